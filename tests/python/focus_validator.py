"""The FinOps Foundation's ``focus-validator`` in its own virtualenv, for the FOCUS export tests.

It needs Python >= 3.12 (counterfoil supports 3.10), so it gets a venv of its own, created once
and cached under ``~/.cache`` like ``scripts/test``'s venv (``COUNTERFOIL_FOCUS_VENV`` overrides
the place). ``pyarrow`` is pinned below 22: the validator pins ``numpy<2`` and a newer pyarrow
refuses to run with it. Validation is offline (``--block-download``, the bundled 1.2 model).

The validator always exits 0, so its verdict is read from its JUnit XML. It opens
``focus_validator/rules/currency_codes.csv`` relative to the working directory, so it runs from
its own site-packages. ``python tests/python/focus_validator.py`` creates the venv and prints
the executable's path (``scripts/test`` does that before pytest).
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

REQUIREMENTS = ["focus-validator==2.2.1", "pyarrow>=21,<22"]
VENV = Path(os.environ.get("COUNTERFOIL_FOCUS_VENV", Path.home() / ".cache" / "counterfoil-focus-validator"))

# FOCUS 1.2 says InvoiceId "MUST be null" (C-004) and "MUST NOT be null" (C-005) under the same
# (empty) condition in the validator's model: every file fails one of the two
# (reference/cloud-billing.md §4.4). Nothing else may fail.
CONTRADICTORY = frozenset({"InvoiceId-C-004-C", "InvoiceId-C-005-C"})


def _python312() -> str:
    """An interpreter >= 3.12: $FOCUS_VALIDATOR_PYTHON, python3.1x on PATH, or pyenv's."""
    candidates = [os.environ.get("FOCUS_VALIDATOR_PYTHON", "")]
    candidates += [shutil.which(f"python3.{minor}") or "" for minor in (12, 13, 14)]
    candidates += sorted(glob.glob(str(Path.home() / ".pyenv/versions/3.1[2-9]*/bin/python")))
    if sys.version_info >= (3, 12):
        candidates.insert(0, sys.executable)
    for c in filter(None, candidates):
        probe = subprocess.run(
            [c, "-c", "import sys; print(sys.version_info >= (3, 12))"], capture_output=True, text=True
        )
        if probe.returncode == 0 and probe.stdout.strip() == "True":
            return c
    raise RuntimeError(
        "focus-validator needs Python >= 3.12 and none was found: "
        "set FOCUS_VALIDATOR_PYTHON or install one (e.g. pyenv install 3.12)"
    )


def executable() -> Path:
    """The ``focus-validator`` script, installing it into the cached venv the first time."""
    exe = VENV / "bin" / "focus-validator"
    marker = VENV / "counterfoil-requirements.txt"
    wanted = "\n".join(REQUIREMENTS)
    if exe.exists() and marker.exists() and marker.read_text() == wanted:
        return exe
    subprocess.run([_python312(), "-m", "venv", "--clear", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *REQUIREMENTS], check=True)
    marker.write_text(wanted)
    return exe


@dataclass
class Verdict:
    tests: int
    skipped: int
    failed: dict[str, str]

    @property
    def passed(self) -> int:
        return self.tests - self.skipped - len(self.failed)


def validate(path: Path, version: str = "1.2") -> Verdict:
    """Runs the validator on ``path`` (CSV or Parquet by its extension) and reads its JUnit XML."""
    exe = executable()
    site = next((VENV / "lib").glob("python3.*/site-packages"))
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "focus.xml"
        args = ["--data-file", str(path.resolve()), "--validate-version", version, "--block-download"]
        args += ["--output-type", "unittest", "--output-destination", str(xml)]
        run = subprocess.run([str(exe), *args], cwd=site, capture_output=True, text=True, timeout=600)
        if not xml.exists():
            raise RuntimeError(f"focus-validator wrote no report (exit {run.returncode}):\n{run.stdout}\n{run.stderr}")
        root = ET.parse(xml).getroot()
    failed = {}
    for case in root.iter("testcase"):
        failure = case.find("failure")
        if failure is not None:
            rule = (case.get("name") or "").split(" :: ")[0]
            failed[rule] = failure.get("message") or ""
    return Verdict(tests=int(root.get("tests", "0")), skipped=int(root.get("skipped", "0")), failed=failed)


if __name__ == "__main__":
    print(executable())
