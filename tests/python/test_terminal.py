"""The CLI on a real terminal (a pty through `script`), as a person sees it: the progress bar is
gone before the report starts, and at 80 and 100 columns no line runs past the edge."""

import datetime as dt
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import counterfoil as cf

ESC = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])")


def screen(raw: str) -> list[str]:
    """What a terminal shows for `raw`: carriage returns, erase-line and colour codes applied."""
    lines, col, i = [""], 0, 0
    while i < len(raw):
        m = ESC.match(raw, i)
        if m:
            if m.group(2) == "K":  # erase in line: 2K all of it, K / 0K from the cursor
                lines[-1] = "" if m.group(1) == "2" else lines[-1][:col]
            i = m.end()
            continue
        c = raw[i]
        if c == "\r":
            col = 0
        elif c == "\n":
            lines.append("")
            col = 0
        else:
            line = lines[-1].ljust(col)
            lines[-1] = line[:col] + c + line[col + 1 :]
            col += 1
        i += 1
    return lines


@pytest.fixture(scope="module")
def api() -> Iterator[cf.FakeAdminApi]:
    org = cf.simulate.Organization(seed=7, days=7, today=dt.date(2026, 11, 20), plants="all")
    with cf.FakeAdminApi(org) as api:
        yield api


@pytest.mark.parametrize("columns", [80, 100])
def test_the_report_starts_on_a_clean_line_and_fits_the_terminal(
    api: cf.FakeAdminApi, columns: int, tmp_path: Path
) -> None:
    cmd = [sys.executable, "-m", "counterfoil", "reconcile", "--start", "2026-11-14", "--end", "2026-11-20"]
    cmd += ["--base-url", api.base_url, "--api-key", api.api_key]
    env = {**os.environ, "COLUMNS": str(columns), "TERM": "xterm", "NO_COLOR": "1"}
    typescript = tmp_path / "typescript"
    p = subprocess.run(
        ["script", "-q", "-e", "-c", shlex.join(cmd), str(typescript)], env=env, capture_output=True, timeout=120
    )
    assert p.returncode == 1, "discrepancies are planted"
    raw = p.stdout.decode()
    assert "pages" in raw, "the progress bar was drawn (a terminal)"
    shown = screen(raw)
    assert shown[0].startswith("counterfoil reconcile 2026-11-14 to 2026-11-20"), shown[:3]
    assert not [line for line in shown if "pages" in line], "no frame of the bar is left on screen"
    too_wide = [line for line in shown if len(line) > columns]
    assert not too_wide, too_wide
    summary = " ".join(line.strip() for line in shown if line.strip())
    assert re.search(r"\d+ discrepancies in \d+ findings: \$[\d,.]+ over-billed", summary), summary[-400:]
