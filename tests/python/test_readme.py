"""The README's Python examples run as written (against the simulated organization).

Blocks fenced as ```python are runnable and run here; ```py marks illustrative snippets (an
Airflow DAG, Spark) that need systems the tests do not have."""

import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).parents[2] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


KEY = ["date", "workspace_id", "model", "service_tier", "context_window", "inference_geo", "cost_type", "token_type"]


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ns: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), ns)
    if "rec" in ns and "org" in ns:
        # The example finds exactly what was planted: no false alarm, nothing missed.
        found = ns["rec"].discrepancies.select([*KEY, "status"]).sort(KEY, nulls_last=True)
        planted = ns["org"].planted().select([*KEY, "status"]).sort(KEY, nulls_last=True)
        assert found.equals(planted), (found, planted)
        assert (tmp_path / "report.html").exists()
