"""`reconcile --metrics-file`: an OpenMetrics textfile that Prometheus' own parser reads, with the
reconciliation's money (as floats: metrics are for graphs) and the last success time."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from cli_run import run
from conftest import TODAY
from prometheus_client.openmetrics.parser import text_string_to_metric_families

import counterfoil as cf

GAUGES = {
    "counterfoil_billed_usd": "billed_all_usd",
    "counterfoil_overbilled_usd": "overbilled_usd",
    "counterfoil_underbilled_usd": "underbilled_usd",
    "counterfoil_unchecked_usd": "unchecked_usd",
    "counterfoil_open_findings": "discrepancies",
    "counterfoil_last_success_timestamp_seconds": None,
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[cf.Store, str]:
    org = cf.simulate.Organization(seed=4, days=8, today=TODAY, plants=["bend", "drop_cost_line"])
    store = cf.Store(tmp_path_factory.mktemp("store") / "s")
    with cf.FakeAdminApi(org) as api:
        now = dt.datetime(2026, 11, 20, 6, tzinfo=dt.timezone.utc)
        api.set_now(now)
        store.sync(cf.AdminClient(api_key=api.api_key, base_url=api.base_url, now=now), backfill_days=7)
    state = json.loads((Path(store.path) / "state.json").read_text())
    return store, state["organization"]["id"]


def test_prometheus_reads_the_metrics_file(store: tuple[cf.Store, str], tmp_path: Path) -> None:
    s, org_id = store
    metrics = tmp_path / "counterfoil.prom"
    p = run(
        "reconcile",
        "--store",
        s.path,
        "--start",
        "2026-11-13",
        "--end",
        "2026-11-20",
        "--format",
        "json",
        "--metrics-file",
        str(metrics),
        env={"COUNTERFOIL_NOW": "2026-11-20T07:00:00Z"},
    )
    assert p.returncode == 1, p.stderr
    summary = json.loads(p.stdout)["summary"]
    text = metrics.read_text()
    assert text.endswith("# EOF\n")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name, field in GAUGES.items():
        f = families[name]
        assert f.type == "gauge", name
        (sample,) = f.samples
        assert sample.labels == {"organization": org_id}
        if field is None:
            assert sample.value == dt.datetime(2026, 11, 20, 7, tzinfo=dt.timezone.utc).timestamp()
        else:
            want = summary[field]
            assert sample.value == pytest.approx(float(Decimal(str(want)))), name
    assert families["counterfoil_overbilled_usd"].samples[0].value > 0
    assert families["counterfoil_open_findings"].samples[0].value >= 1


def test_a_failed_run_leaves_the_old_file(store: tuple[cf.Store, str], tmp_path: Path) -> None:
    s, _ = store
    metrics = tmp_path / "counterfoil.prom"
    metrics.write_text("old\n")
    p = run(
        "reconcile", "--store", s.path, "--start", "2020-01-01", "--end", "2020-01-02", "--metrics-file", str(metrics)
    )
    assert p.returncode == 2
    assert metrics.read_text() == "old\n"
