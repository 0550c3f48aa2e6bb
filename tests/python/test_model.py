"""Cost modeling from Python and the CLI: the same answers both ways, parts that add up to the
bill, scenarios, the forecast, bad input refused, and the HTML spend report."""

import datetime as dt
import json
import subprocess
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from cli_run import run

import counterfoil as cf

TODAY = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def world() -> dict[str, object]:
    org = cf.simulate.Organization(seed=17, days=10, today=TODAY, plants=["bend", "drop_cost_line"])
    api = cf.FakeAdminApi(org)
    client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url)
    start, end = org.window
    return {
        "org": org,
        "api": api,
        "start": start.date().isoformat(),
        "end": end.date().isoformat(),
        "usage": client.usage(start, end),
        "cost": client.cost(start, end),
        "workspaces": client.workspaces(),
        "api_keys": client.api_keys(),
    }


def cli(world: dict[str, object], *args: str) -> subprocess.CompletedProcess[str]:
    api = world["api"]
    assert isinstance(api, cf.FakeAdminApi)
    base = [
        "--start",
        str(world["start"]),
        "--end",
        str(world["end"]),
        "--api-key",
        api.api_key,
        "--base-url",
        api.base_url,
    ]
    return run(*args, *base)


def test_attribution_adds_up_to_the_bill_and_agrees_with_the_cli(world: dict[str, object]) -> None:
    usage, cost = world["usage"], world["cost"]
    assert isinstance(usage, pl.DataFrame) and isinstance(cost, pl.DataFrame)
    a = cf.attribute(usage, cost, workspaces=world["workspaces"], api_keys=world["api_keys"])  # type: ignore[arg-type]
    assert a["allocated_usd"].sum() == cost["amount_usd"].sum(), "every billed cent lands on a row"
    # Within each line, the parts add up to the line.
    per_line = a.group_by("date", "workspace_id", "cost_type", "token_type", "line_reported_usd").agg(
        pl.col("allocated_usd").sum()
    )
    lines = per_line.filter(pl.col("line_reported_usd").is_not_null())
    assert (lines["allocated_usd"] == lines["line_reported_usd"]).all()
    assert set(a["basis"].drop_nulls()) <= {"expected", "quantity", "no_usage"}
    assert a.filter(pl.col("api_key_id").is_not_null())["api_key_name"].null_count() == 0
    assert a["created_by"].drop_nulls().str.starts_with("user_").all()
    p = cli(world, "attribute", "--format", "json", "--by", "workspace_name,api_key_name")
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    by = cf.attribute(
        usage, cost, workspaces=world["workspaces"], api_keys=world["api_keys"], by=["workspace_name", "api_key_name"]
    )  # type: ignore[arg-type]
    assert len(rows) == by.height
    got = {(r["workspace_name"], r["api_key_name"]): Decimal(r["allocated_usd"]) for r in rows}
    want = {(r["workspace_name"], r["api_key_name"]): r["allocated_usd"] for r in by.iter_rows(named=True)}
    assert got == want, "the CLI and Python agree to the last digit"


def test_cache_and_whatif_agree_with_the_cli(world: dict[str, object]) -> None:
    usage = world["usage"]
    assert isinstance(usage, pl.DataFrame)
    c = cf.cache_report(usage, by=["model"])
    p = cli(world, "cache", "--by", "model", "--format", "json")
    assert p.returncode == 0, p.stderr
    rows = {r["model"]: r for r in json.loads(p.stdout)}
    for r in c.iter_rows(named=True):
        assert Decimal(rows[r["model"]]["net_savings_usd"]) == r["net_savings_usd"]
    s = cf.Scenario(batch_share="0.5", swap_models={"claude-opus-5-5": "claude-sonnet-5-5"})
    w = cf.whatif(usage, s, by=["model"])
    p = cli(world, "whatif", "--batch-share", "0.5", "--swap", "claude-opus-5-5=claude-sonnet-5-5", "--format", "json")
    assert p.returncode == 0, p.stderr
    rows = {r["model"]: r for r in json.loads(p.stdout)}
    for r in w.iter_rows(named=True):
        assert Decimal(rows[r["model"]]["scenario_usd"]) == r["scenario_usd"]
    assert w.filter(pl.col("status") == "priced")["delta_usd"].sum() < 0, "batch and a cheaper model save money"


def test_bad_model_input_is_refused(world: dict[str, object]) -> None:
    usage, cost = world["usage"], world["cost"]
    assert isinstance(usage, pl.DataFrame) and isinstance(cost, pl.DataFrame)
    for scenario in [
        cf.Scenario(swap_models={"claude-opus-5": "claude-nonesuch"}),
        cf.Scenario(batch_share=2),
        cf.Scenario(where={"colour": "blue"}),
        cf.Scenario(price_date="2019-01-01"),
    ]:
        with pytest.raises(cf.InputError):
            cf.whatif(usage, scenario)
    with pytest.raises(cf.InputError):
        cf.Scenario(batch_share="lots")
    with pytest.raises(cf.InputError, match="not a usage dimension"):
        cf.cache_report(usage, by=["colour"])
    with pytest.raises(cf.InputError, match="budget"):
        cf.forecast(cost, budget_usd="a lot", today=TODAY)
    with pytest.raises(cf.InputError, match="has not begun"):
        cf.forecast(cost, month="2027-03", today=TODAY)
    p = cli(world, "whatif", "--batch-share", "1.5")
    assert p.returncode == 2 and "batch_share" in p.stderr
    p = cli(world, "whatif", "--swap", "claude-opus-5")
    assert p.returncode == 2 and "FROM=TO" in p.stderr


def test_forecast_from_a_long_enough_history() -> None:
    org = cf.simulate.Organization(seed=18, days=40, today=TODAY)
    with cf.FakeAdminApi(org) as api:
        client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url)
        start, end = org.window
        cost = client.cost(start, end)
    f = cf.forecast(cost, budget_usd="100", today=TODAY)
    assert f["month"] == "2026-11" and f["days_elapsed"] == 19 and f["days_left"] == 11
    assert (
        f["month_to_date_usd"] + f["provisional_usd"]  # yesterday, unsettled, is kept apart
        == cost.filter(pl.col("bucket_start") >= dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc))["amount_usd"].sum()
    )
    assert f["low_usd"] <= f["projected_usd"] <= f["high_usd"]
    assert f["over_budget"] is True and isinstance(f["projected_usd"], Decimal)


def test_spend_report(world: dict[str, object], tmp_path: Path) -> None:
    usage, cost = world["usage"], world["cost"]
    assert isinstance(usage, pl.DataFrame) and isinstance(cost, pl.DataFrame)
    html = cf.spend_report(
        usage, cost, world["start"], world["end"], workspaces=world["workspaces"], api_keys=world["api_keys"],  # type: ignore[arg-type]
        scenario=cf.Scenario(batch_share="0.5"), budget_usd="500", today=TODAY,
    )  # fmt: skip
    assert html is not None
    for section in ["Billed per day", "Top API keys", "Prompt caching", "What if", "Forecast"]:
        assert section in html
    assert "<script" not in html
    out = tmp_path / "spend.html"
    p = cli(world, "spend-report", "--batch-share", "0.5", "--budget", "500", "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert p.stderr.strip() == f"wrote {out}"
    assert "Top API keys" in out.read_text()
