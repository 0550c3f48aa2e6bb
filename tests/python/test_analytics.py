"""The Analytics API from Python and the CLI: the same reconciliation and the same suggested
overlay both ways, the overlay fixing what it found, filters, and bad input refused."""

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from cli_run import run

import counterfoil as cf

TODAY = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def world() -> dict[str, object]:
    org = cf.simulate.Organization(seed=23, days=16, today=TODAY, contract="demo")
    api = cf.FakeAdminApi(org)
    client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url)
    start, end = org.window
    return {
        "api": api,
        "client": client,
        "start": start.date().isoformat(),
        "end": end.date().isoformat(),
        "usage": client.analytics_usage(start, end, bucket_width="1d"),
        "cost": client.analytics_cost(start, end, bucket_width="1d"),
        "workspaces": client.workspaces(),
    }


def connection(world: dict[str, object]) -> list[str]:
    api = world["api"]
    assert isinstance(api, cf.FakeAdminApi)
    return [
        "--start",
        str(world["start"]),
        "--end",
        str(world["end"]),
        "--api-key",
        api.api_key,
        "--base-url",
        api.base_url,
    ]


def rec_of(world: dict[str, object], card: cf.RateCard | None = None, by_api_key: bool = False) -> cf.Reconciliation:
    usage, cost, ws = world["usage"], world["cost"], world["workspaces"]
    assert isinstance(usage, pl.DataFrame) and isinstance(cost, pl.DataFrame) and isinstance(ws, pl.DataFrame)
    return cf.reconcile_analytics(
        usage, cost, card, start=world["start"], end=world["end"], workspaces=ws, by_api_key=by_api_key
    )


def test_the_cli_and_python_reconcile_the_same_lines(world: dict[str, object]) -> None:
    rec = rec_of(world)
    p = run("reconcile", "--source", "analytics", "--format", "json", *connection(world))
    assert p.returncode == 1, p.stderr  # the stale Haiku 4.5 price
    cli = json.loads(p.stdout)["summary"]
    py = rec.summary
    for k in ["counts", "lines", "expected_usd", "reported_usd", "net_usd", "overbilled_usd", "source"]:
        assert str(cli[k]) == str(py[k]), k
    assert cli["discount_by_model"] == [
        {k: (str(v) if v is not None and not isinstance(v, str) else v) for k, v in m.items()}
        for m in py["discount_by_model"]
    ]
    opus = next(m for m in py["discount_by_model"] if m["model"] == "claude-opus-5-5")
    assert opus["discount"] == Decimal("0.12")
    assert opus["amount_usd"] == opus["list_usd"] * Decimal("0.88")
    lines = rec.lines
    assert lines.schema["list_usd"] == pl.Decimal(38, 12) and lines.schema["discount"] == pl.Decimal(38, 12)
    assert "api_key_id" not in lines.columns
    by_key = rec_of(world, by_api_key=True).lines
    assert by_key.height > lines.height
    assert by_key["list_usd"].sum() == lines["list_usd"].sum()


def test_the_suggested_overlay_is_the_same_both_ways_and_fixes_the_lines(
    world: dict[str, object], tmp_path: Path
) -> None:
    cal = cf.suggest_rates(rec_of(world))
    assert len(cal) == 3
    frame = cal.frame()
    assert frame["kind"].to_list() == ["price_change", "discount", "discount"]
    assert frame["ratio"].to_list() == [Decimal("1.2"), Decimal("0.88"), Decimal("0.92")]
    p = run("rates", "--suggest", *connection(world))
    assert p.returncode == 0, p.stderr
    assert p.stdout == cal.toml
    path = tmp_path / "overlay.toml"
    path.write_text(p.stdout)
    card = cf.RateCard.load(path)
    assert rec_of(world, card).ok
    assert rec_of(world, cal.apply()).ok
    fixed = run("reconcile", "--source", "analytics", "--rates", str(path), *connection(world))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    legacy = run("reconcile", "--rates", str(path), *connection(world))
    assert legacy.returncode == 0, legacy.stdout + legacy.stderr


def test_filters_grouping_and_unbucketed_rows(world: dict[str, object]) -> None:
    client = world["client"]
    assert isinstance(client, cf.AdminClient)
    s, e = world["start"], world["end"]
    opus = client.analytics_usage(s, e, group_by=["model"], models=["claude-opus-5-5"])
    assert opus["model"].to_list() == ["claude-opus-5-5"]
    assert opus["bucket_start"].null_count() == 1, "no bucket: one row per group over the window"
    total = client.analytics_usage(s, e, group_by=["model"])
    assert total.filter(pl.col("model") == "claude-opus-5-5")["output_tokens"].item() == opus["output_tokens"].item()
    users = client.analytics_cost(s, e, group_by=["actor_type"], actor_types="user_actor")
    assert users["actor_type"].to_list() == ["user_actor"]
    with pytest.raises(cf.InputError, match="unknown analytics filter"):
        client.analytics_usage(s, e, colours=["blue"])
    with pytest.raises(cf.InputError, match="cannot group by"):
        client.analytics_cost(s, e, group_by=["description"])
    with pytest.raises(cf.InputError, match="2026-01-01"):
        client.analytics_usage("2025-12-01", "2025-12-02")
    with pytest.raises(cf.InputError, match="contract"):
        cf.simulate.Organization(days=3, contract="generous")


def test_claude_code_from_the_cli_and_python_agree(world: dict[str, object]) -> None:
    client = world["client"]
    assert isinstance(client, cf.AdminClient)
    df = client.claude_code("2026-11-15", "2026-11-18")
    assert df.height > 5 and df["sessions"].min() >= 1  # type: ignore[operator]
    api = world["api"]
    assert isinstance(api, cf.FakeAdminApi)
    p = run(
        "claude-code",
        "--start",
        "2026-11-15",
        "--end",
        "2026-11-18",
        "--format",
        "csv",
        "--api-key",
        api.api_key,
        "--base-url",
        api.base_url,
    )
    assert p.returncode == 0, p.stderr
    cli = pl.read_csv(io.StringIO(p.stdout), schema_overrides={"estimated_cost_usd": pl.Decimal(38, 12)})
    assert cli["estimated_cost_usd"].to_list() == df["estimated_cost_usd"].to_list()
    assert cli["actor"].to_list() == df["actor"].to_list()


def test_analytics_lines_keep_the_frame_contract_arithmetic(world: dict[str, object]) -> None:
    """delta_usd = reported_usd − expected_usd on every line (DESIGN §3), as for cost_report; the
    list-price check has its own list_delta_usd; billed_all_usd is what was billed after discounts."""
    rec = rec_of(world)
    lines = rec.lines
    both = lines.filter(pl.col("reported_usd").is_not_null() & pl.col("expected_usd").is_not_null())
    assert both.height > 100
    assert both.filter(pl.col("delta_usd") != pl.col("reported_usd") - pl.col("expected_usd")).height == 0
    assert both.filter(pl.col("list_delta_usd") != pl.col("list_usd") - pl.col("expected_usd")).height == 0
    # The demo contract discounts Opus 5.5 by 12 %: there the two deltas differ by the discount.
    opus = both.filter((pl.col("model") == "claude-opus-5-5") & (pl.col("list_usd") > 0))
    assert opus.height > 0
    assert (opus["list_usd"] - opus["reported_usd"] == opus["list_usd"] * Decimal("0.12")).all()
    s = rec.summary
    billed = lines["reported_usd"].drop_nulls().sum()
    at_list = lines["list_usd"].drop_nulls().sum()
    assert s["billed_all_usd"] == billed == s["net_usd"]
    assert s["reported_all_usd"] == at_list > billed
    assert s["list_delta_usd"] == s["list_usd"] - s["expected_usd"]
    assert s["delta_usd"] == s["reported_usd"] - s["expected_usd"]
    for r in s["by_model"]:
        assert r["delta_usd"] == r["reported_usd"] - r["expected_usd"]
        assert r["list_delta_usd"] == r["list_usd"] - r["expected_usd"]
    client = world["client"]
    assert isinstance(client, cf.AdminClient)
    start, end = str(world["start"]), str(world["end"])
    legacy = cf.reconcile(client.usage(start, end), client.cost(start, end), start=start, end=end).summary
    assert legacy["billed_all_usd"] == legacy["reported_all_usd"] < s["reported_all_usd"]
    assert legacy["billed_all_usd"] == s["billed_all_usd"], "both endpoints bill the same after discounts"
