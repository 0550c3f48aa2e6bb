"""cf.reconcile over the fake API: plants found, money exact, writers, tolerance arguments."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

import counterfoil as cf

# The reconciliation key, then the rest of the lines contract (DESIGN §3).
KEY = ["date", "workspace_id", "model", "service_tier", "context_window", "inference_geo", "cost_type", "token_type"]
LINES = [*KEY, "quantity", "rate_usd_per_mtok", "expected_usd", "reported_usd", "delta_usd", "status"]


@pytest.fixture(scope="module")
def planted_org() -> cf.simulate.Organization:
    return cf.simulate.Organization(seed=11, days=6, today=dt.date(2026, 11, 20), plants="all")


@pytest.fixture(scope="module")
def rec(planted_org: cf.simulate.Organization) -> cf.Reconciliation:
    with cf.FakeAdminApi(planted_org) as api:
        client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url)
        start, end = planted_org.window
        usage = client.usage(
            start,
            end,
            bucket_width="1d",
            group_by=["workspace_id", "model", "service_tier", "context_window", "inference_geo", "speed"],
        )
        cost = client.cost(start, end)
        return cf.reconcile(usage, cost, workspaces=client.workspaces(), start=start, end=end)


def test_lines_contract_and_dtypes(rec: cf.Reconciliation) -> None:
    lines = rec.lines
    assert lines.columns[: len(LINES)] == LINES
    assert lines.schema["date"] == pl.Date
    for c in ["rate_usd_per_mtok", "expected_usd", "reported_usd", "delta_usd"]:
        assert lines.schema[c] == pl.Decimal(38, 12), c
    assert "explanation" in lines.columns and "workspace_name" in lines.columns


def test_exactly_the_plants_are_found(rec: cf.Reconciliation, planted_org: cf.simulate.Organization) -> None:
    planted = planted_org.planted()
    assert set(planted["plant"]) == {
        "bend",
        "drop_cost_line",
        "phantom_cost_line",
        "one_hour_at_five_minute",
        "unknown_model",
        "web_search_overbill",
    }
    found = rec.discrepancies.select([*KEY, "status"]).sort(KEY, nulls_last=True)
    want = planted.select([*KEY, "status"]).sort(KEY, nulls_last=True)
    assert found.equals(want)
    assert rec.ok is False
    assert rec.summary["counts"]["unpriced"] == planted.filter(pl.col("plant") == "unknown_model").height


def test_summary_money_is_decimal_and_exact(rec: cf.Reconciliation, planted_org: cf.simulate.Organization) -> None:
    s = rec.summary
    assert isinstance(s["expected_usd"], Decimal)
    assert s["delta_usd"] == s["reported_usd"] - s["expected_usd"]
    # Every dollar of the cost report is accounted for, to the last digit.
    assert s["reported_all_usd"] == planted_org.cost_lines()["amount_usd"].sum()
    assert s["window"] == {"start": dt.date(2026, 11, 14), "end": dt.date(2026, 11, 20)}


def test_writers(rec: cf.Reconciliation, tmp_path: Path) -> None:
    doc = json.loads(rec.to_json() or "")
    assert list(doc) == ["window", "summary", "findings", "lines"]
    assert all(isinstance(line["expected_usd"], str | None) for line in doc["lines"])
    assert len(doc["lines"]) == rec.lines.height
    rec.to_parquet(tmp_path / "lines.parquet")
    assert pl.read_parquet(tmp_path / "lines.parquet").equals(rec.lines)
    rec.to_csv(tmp_path / "lines.csv")
    assert (tmp_path / "lines.csv").read_text().startswith("date,workspace_id,model")
    html = rec.to_html()
    assert html is not None and "<svg" in html and "http" not in html.split("<body>")[1].split("Generated")[0]


def test_clean_org_is_ok_and_hourly_usage_gives_the_same_lines() -> None:
    org = cf.simulate.Organization(seed=2, days=3, today=dt.date(2026, 11, 20))
    with cf.FakeAdminApi(org) as api:
        client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url)
        start, end = org.window
        dims = ["workspace_id", "model", "service_tier", "context_window", "inference_geo", "speed"]
        daily = client.usage(start, end, bucket_width="1d", group_by=dims)
        hourly = client.usage(start, end, bucket_width="1h", group_by=dims)
        cost = client.cost(start, end)
    a = cf.reconcile(daily, cost)
    b = cf.reconcile(hourly, cost)
    assert a.ok and b.ok
    assert a.lines.equals(b.lines)


def test_tolerance_arguments(rec: cf.Reconciliation, planted_org: cf.simulate.Organization) -> None:
    with pytest.raises(cf.InputError):
        cf.reconcile(rec.lines, rec.lines, abs_tol="lots")
    with pytest.raises(cf.InputError, match=r"no column"):
        cf.reconcile(pl.DataFrame({"bucket_start": []}), pl.DataFrame({"bucket_start": []}))


def test_reconcile_cli_exit_codes(tmp_path: Path) -> None:
    import subprocess
    import sys

    def run(org: cf.simulate.Organization, *extra: str) -> subprocess.CompletedProcess[str]:
        with cf.FakeAdminApi(org) as api:
            start, end = (d.date().isoformat() for d in org.window)
            return subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "counterfoil",
                    "reconcile",
                    "--start",
                    start,
                    "--end",
                    end,
                    "--api-key",
                    api.api_key,
                    "--base-url",
                    api.base_url,
                    *extra,
                ],
                capture_output=True,
                text=True,
                timeout=120,
            )

    clean = run(cf.simulate.Organization(seed=3, days=3, today=dt.date(2026, 11, 20)))
    assert clean.returncode == 0, clean.stderr
    assert "no discrepancies" in clean.stdout
    planted = cf.simulate.Organization(seed=3, days=3, today=dt.date(2026, 11, 20), plants="bend")
    bad = run(planted, "--format", "json")
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["summary"]["counts"]["mismatch"] == 1
    out = tmp_path / "r.html"
    assert run(planted, "--format", "html", "--out", str(out)).returncode == 1
    assert "Discrepancy lines (1)" in out.read_text() and "Findings (1)" in out.read_text()


def test_notebook_views(rec: cf.Reconciliation, monkeypatch: pytest.MonkeyPatch) -> None:
    html = rec._repr_html_()
    assert "over-billed" in html and "<svg" in html
    for f in rec.findings["finding"]:
        assert f in html
    import matplotlib

    matplotlib.use("Agg")
    ax = rec.plot()
    assert ax.get_title().startswith("Billing differences by date")
    labels = {t.get_text() for t in ax.get_legend().get_texts()}
    assert labels == {"over-billed", "under-billed", "unchecked"}
    from counterfoil.plot import delta_frame

    split = delta_frame(rec, "date")
    s = rec.summary
    assert split["overbilled_usd"].sum() == s["overbilled_usd"]
    assert split["underbilled_usd"].sum() == s["underbilled_usd"]
    assert split["unchecked_usd"].sum() == s["unchecked_usd"]
    with pytest.raises(ValueError, match="cannot group by"):
        rec.plot("nope")
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'counterfoil\[plot\]'"):
        rec.plot()


def test_findings_group_the_discrepancies(rec: cf.Reconciliation) -> None:
    f = rec.findings
    assert f.columns[:5] == ["finding", "kind", "direction", "amount_usd", "title"]
    assert f["lines"].sum() == rec.discrepancies.height
    assert set(rec.discrepancies["finding"]) == set(f["finding"])
    unchecked = f.filter(pl.col("direction") == "unchecked")["amount_usd"].sum()
    assert unchecked == rec.summary["unchecked_usd"]
