"""`--metrics-file` on reconcile, sync and forecast: OpenMetrics textfiles that Prometheus' own
parser reads, with the report's money to the digit (each amount is written as its exact decimal,
which the parser reads as a float), per workspace where it applies, and a `command` label so
that the files of several jobs of one organization merge without a duplicate series."""

import datetime as dt
import json
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cli_run import run
from conftest import TODAY
from prometheus_client.openmetrics.parser import text_string_to_metric_families

import counterfoil as cf

NOW = {"COUNTERFOIL_NOW": "2026-11-20T07:00:00Z"}
AT = dt.datetime(2026, 11, 20, 7, tzinfo=dt.timezone.utc).timestamp()
SAMPLE = re.compile(r"^(\w+)\{(.*)\} (\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def raw(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], Decimal]:
    """Every sample as written (name, labels) → its exact decimal, read without Prometheus."""
    out = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m:
            key = (m[1], frozenset(LABEL.findall(m[2])))
            assert key not in out, f"duplicate series {key}"
            out[key] = Decimal(m[3])
    return out


def parsed(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The same samples through prometheus_client's OpenMetrics parser (which checks the format)."""
    assert text.endswith("# EOF\n")
    out = {}
    for f in text_string_to_metric_families(text):
        assert f.type == "gauge", f.name
        for s in f.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def stakes(line: dict[str, Any]) -> tuple[Decimal, Decimal, Decimal]:
    """(over, under, unchecked) of one line, by DESIGN §4, from the report's own strings."""
    d = {
        k: Decimal(line[k]) if line[k] is not None else Decimal(0)
        for k in ("expected_usd", "reported_usd", "delta_usd")
    }
    status = line["status"]
    if status == "mismatch":
        return (max(d["delta_usd"], Decimal(0)), max(-d["delta_usd"], Decimal(0)), Decimal(0))
    return {
        "missing_usage": (d["reported_usd"], Decimal(0), Decimal(0)),
        "missing_cost": (Decimal(0), d["expected_usd"], Decimal(0)),
        "unpriced": (Decimal(0), Decimal(0), d["reported_usd"]),
    }.get(status, (Decimal(0), Decimal(0), Decimal(0)))


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> tuple[cf.Store, str]:
    org = cf.simulate.Organization(seed=4, days=8, today=TODAY, plants=["bend", "drop_cost_line"])
    store = cf.Store(tmp_path_factory.mktemp("store") / "s")
    with cf.FakeAdminApi(org) as api:
        now = dt.datetime(2026, 11, 20, 6, tzinfo=dt.timezone.utc)
        api.set_now(now)
        store.sync(cf.AdminClient(api_key=api.api_key, base_url=api.base_url, now=now), backfill_days=7)
    state = json.loads((Path(store.path) / "state.json").read_text())
    return store, state["organization"]["id"]


def test_reconcile_gauges_per_workspace_equal_the_report_to_the_digit(
    synced: tuple[cf.Store, str], tmp_path: Path
) -> None:
    s, org_id = synced
    metrics = tmp_path / "counterfoil.prom"
    args = ["--start", "2026-11-13", "--end", "2026-11-20", "--format", "json", "--metrics-file", str(metrics)]
    p = run("reconcile", "--store", s.path, *args, env=NOW)
    assert p.returncode == 1, p.stderr
    report = json.loads(p.stdout)
    text = metrics.read_text()
    exact, floats = raw(text), parsed(text)
    assert floats.keys() == exact.keys()
    for k, v in exact.items():
        assert floats[k] == float(v), k  # what Prometheus stores is the exact decimal's float

    # The oracle: the report's lines, summed per workspace by hand.
    want: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for line in report["lines"]:
        w = want[line["workspace_id"] or "default"]
        over, under, unchecked = stakes(line)
        w["counterfoil_billed_usd"] += Decimal(line["reported_usd"] or 0)
        w["counterfoil_overbilled_usd"] += over
        w["counterfoil_underbilled_usd"] += under
        w["counterfoil_unchecked_usd"] += unchecked
        w["counterfoil_open_findings"] += line["status"] in ("mismatch", "missing_usage", "missing_cost", "unpriced")
    got: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for (name, labels), v in exact.items():
        lab = dict(labels)
        assert (lab["organization"], lab["command"]) == (org_id, "reconcile"), lab
        if name == "counterfoil_last_success_timestamp_seconds":
            assert set(lab) == {"organization", "command"} and v == Decimal(int(AT))
            continue
        got[lab["workspace"]][name] = v
    assert {w: dict(g) for w, g in got.items()} == {w: dict(g) for w, g in want.items()}
    assert len(got) >= 3, "several workspaces"

    # The workspaces add up to the summary, exactly.
    summary = report["summary"]
    for name, field in [
        ("counterfoil_billed_usd", "billed_all_usd"),
        ("counterfoil_overbilled_usd", "overbilled_usd"),
        ("counterfoil_underbilled_usd", "underbilled_usd"),
        ("counterfoil_unchecked_usd", "unchecked_usd"),
        ("counterfoil_open_findings", "discrepancies"),
    ]:
        assert sum(g[name] for g in got.values()) == Decimal(str(summary[field])), name
    assert sum(g["counterfoil_overbilled_usd"] for g in got.values()) > 0


def test_a_failed_run_leaves_the_old_file(synced: tuple[cf.Store, str], tmp_path: Path) -> None:
    s, _ = synced
    metrics = tmp_path / "counterfoil.prom"
    metrics.write_text("old\n")
    p = run(
        "reconcile", "--store", s.path, "--start", "2020-01-01", "--end", "2020-01-02", "--metrics-file", str(metrics)
    )
    assert p.returncode == 2
    assert metrics.read_text() == "old\n"


@pytest.mark.timeout(240)
def test_sync_and_forecast_gauges_and_three_jobs_files_merge_without_a_duplicate(tmp_path: Path) -> None:
    org = cf.simulate.Organization(seed=12, days=36, today=TODAY)
    store = tmp_path / "s"
    files = {c: tmp_path / f"{c}.prom" for c in ("sync", "forecast", "reconcile")}
    with cf.FakeAdminApi(org) as api:
        api.set_now(dt.datetime(2026, 11, 20, 7, tzinfo=dt.timezone.utc))
        conn = ["--base-url", api.base_url, "--api-key", api.api_key]
        sync = ["sync", "--store", str(store), "--format", "json", *conn, "--metrics-file", str(files["sync"])]
        p = run(*sync, "--backfill-days", "35", env=NOW)
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["days_restated"] == 0
        first = raw(files["sync"].read_text())
        # Anthropic restates a settled day: the next day's sync says so, and so does the gauge.
        assert api.restate("2026-11-17", 0.05) > 0
        api.set_now(dt.datetime(2026, 11, 21, 7, tzinfo=dt.timezone.utc))
        p = run(*sync, "--restate-days", "5", env={"COUNTERFOIL_NOW": "2026-11-21T07:00:00Z"})
        assert p.returncode == 0, p.stderr
        restated = json.loads(p.stdout)["days_restated"]
        org_id = json.loads((store / "state.json").read_text())["organization"]["id"]
    assert restated >= 1
    labels = frozenset({("organization", org_id), ("command", "sync")})
    assert first[("counterfoil_sync_restated_days", labels)] == 0
    text = files["sync"].read_text()
    assert parsed(text)[("counterfoil_sync_restated_days", labels)] == restated
    assert raw(text)[("counterfoil_last_success_timestamp_seconds", labels)] == Decimal(int(AT) + 86400)

    p = run("forecast", "--store", str(store), "--format", "json", "--metrics-file", str(files["forecast"]), env=NOW)
    assert p.returncode == 0, p.stderr
    projected = Decimal(str(json.loads(p.stdout)["projected_usd"]))
    labels = frozenset({("organization", org_id), ("command", "forecast")})
    exact = raw(files["forecast"].read_text())
    assert exact[("counterfoil_projected_month_usd", labels)] == projected > 0
    assert parsed(files["forecast"].read_text())[("counterfoil_projected_month_usd", labels)] == float(projected)

    window = ["--start", "2026-11-13", "--end", "2026-11-20"]
    p = run("reconcile", "--store", str(store), *window, "--metrics-file", str(files["reconcile"]), env=NOW)
    assert p.returncode == 0, p.stderr
    # node_exporter reads every file of its directory as one exposition: no series twice.
    merged = [raw(f.read_text()) for f in files.values()]
    keys = [k for m in merged for k in m]
    assert len(keys) == len(set(keys))
    success = [k for k in keys if k[0] == "counterfoil_last_success_timestamp_seconds"]
    assert sorted(dict(k[1])["command"] for k in success) == ["forecast", "reconcile", "sync"]
