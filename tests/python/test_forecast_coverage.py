"""cf.forecast covers only the window it is given (or the frame's own bucket range): a day
without rows inside it spent $0, a frame that stops short of today is refused naming its last
day, and an unsettled yesterday is provisional_usd, apart from month_to_date_usd."""

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from cli_run import run

import counterfoil as cf

TODAY = "2026-11-25"  # a Wednesday
UTC = dt.timezone.utc
SCHEMA = {
    "bucket_start": pl.Datetime("us", "UTC"),
    "bucket_end": pl.Datetime("us", "UTC"),
    **{c: pl.String for c in ("workspace_id", "description", "cost_type", "model", "service_tier")},
    **{c: pl.String for c in ("token_type", "context_window", "inference_geo")},
    "amount_usd": pl.Decimal(38, 12),
    "currency": pl.String,
}


def ten_a_day(first: str, end: str) -> pl.DataFrame:
    """$10 of code execution a day over [first, end)."""
    d, stop = dt.date.fromisoformat(first), dt.date.fromisoformat(end)
    rows = []
    while d < stop:
        at = dt.datetime(d.year, d.month, d.day, tzinfo=UTC)
        rows.append(
            (at, at + dt.timedelta(days=1), "wrkspc_a", "line", "code_execution", *[None] * 5, Decimal(10), "USD")
        )
        d += dt.timedelta(days=1)
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def test_yesterday_is_provisional_and_the_projection_is_a_full_month() -> None:
    # Nov 1–23 settled: 23 × 10 = 230; yesterday (the 24th) 10, apart. Projected: 230 + the 24th
    # and the six days left at the mean of 10 = 230 + 7 × 10 = 300, as are low and high.
    f = cf.forecast(ten_a_day("2026-10-20", TODAY), today=TODAY)
    assert (f["month_to_date_usd"], f["provisional_usd"]) == (Decimal(230), Decimal(10))
    assert f["projected_usd"] == f["low_usd"] == f["high_usd"] == Decimal(300)
    assert (f["days_elapsed"], f["days_left"], f["provisional_days"]) == (24, 6, 1)
    assert (f["covered_from"], f["covered_to"]) == (dt.date(2026, 10, 20), dt.date(2026, 11, 24))
    # settle_hours=0: nothing provisional, the month to date is 24 × 10 = 240.
    f = cf.forecast(ten_a_day("2026-10-20", TODAY), today=TODAY, settle_hours=0)
    assert (f["month_to_date_usd"], f["provisional_usd"], f["projected_usd"]) == (240, 0, 300)


def test_a_frame_ending_eight_days_early_is_refused_unless_its_window_says_it_was_quiet() -> None:
    cost = ten_a_day("2026-10-20", "2026-11-17")  # the last row is Monday the 16th
    with pytest.raises(cf.InputError, match="up to 2026-11-16 and today is 2026-11-25"):
        cf.forecast(cost, today=TODAY)
    # Given the window it was fetched for, the 17th to the 24th spent nothing: month to date
    # Nov 1–16 = 160, provisional 0. The 28 settled days (Oct 27 – Nov 23) hold each weekday
    # 3 × 10 + 0 (mean 7.5): projected 160 + 7 × 7.5 = 212.5, low 160 + 7 × 0, high 160 + 7 × 10.
    f = cf.forecast(cost, today=TODAY, start="2026-10-20", end=TODAY)
    assert (f["month_to_date_usd"], f["provisional_usd"]) == (Decimal(160), Decimal(0))
    assert (f["projected_usd"], f["low_usd"], f["high_usd"]) == (Decimal("212.5"), 160, 230)


def test_a_first_day_without_spend_inside_the_window_is_accepted() -> None:
    cost = ten_a_day("2026-10-28", TODAY)  # the first day needed, Tuesday Oct 27, has no row
    with pytest.raises(cf.InputError, match="needs the cost from 2026-10-27"):
        cf.forecast(cost, today=TODAY)
    # Tuesdays 0 + 10 + 10 + 10 (mean 7.5): projected 230 + 7.5 (the 24th) + 6 × 10 = 297.5;
    # low 230 + 7 × 0 = 230, high 230 + 7 × 10 = 300.
    f = cf.forecast(cost, today=TODAY, start=dt.datetime(2026, 10, 27, tzinfo=UTC))
    assert (f["month_to_date_usd"], f["provisional_usd"]) == (Decimal(230), Decimal(10))
    assert (f["projected_usd"], f["low_usd"], f["high_usd"]) == (Decimal("297.5"), 230, 300)


def test_the_cli_refuses_a_store_left_unsynced_for_eight_days(tmp_path: Path) -> None:
    # A store synced up to yesterday, then its last 8 cost days taken out (state.json and files):
    # what a store looks like when its job stopped running 8 days ago.
    today = dt.datetime.now(dt.timezone.utc).date()
    with cf.FakeAdminApi(cf.simulate.Organization(seed=17, days=40)) as api:
        store = cf.Store(tmp_path / "s")
        store.sync(cf.AdminClient(api_key=api.api_key, base_url=api.base_url), backfill_days=40, restate_days=1)
    p = run("forecast", "--store", str(tmp_path / "s"), "--format", "json")
    assert p.returncode in (0, 1), p.stderr
    f = json.loads(p.stdout)
    assert f["covered_to"] == str(today - dt.timedelta(days=1)) and f["provisional_days"] in (0, 1)
    state_path = tmp_path / "s" / "state.json"
    state = json.loads(state_path.read_text())
    last = today - dt.timedelta(days=9)
    for k in range(1, 9):
        day = str(today - dt.timedelta(days=k))
        state["cost"].pop(day)
        shutil.rmtree(tmp_path / "s" / "cost" / f"date={day}")
    state_path.write_text(json.dumps(state))
    p = run("forecast", "--store", str(tmp_path / "s"))
    assert p.returncode == 2, p.stdout + p.stderr
    assert f"up to {last} and today is {today}" in p.stderr and "Traceback" not in p.stderr
