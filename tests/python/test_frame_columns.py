"""Every Python entry point that reads a user's frame: a renamed or missing column is refused with
the columns it saw, and a LazyFrame is taken exactly as the DataFrame it collects to."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest

import counterfoil as cf

START, END = dt.datetime(2026, 11, 14, tzinfo=dt.UTC), dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
Frames = tuple[pl.DataFrame, pl.DataFrame]


@pytest.fixture(scope="module")
def frames() -> Frames:
    """Six days of usage; the cost of 36 days, enough for the forecast's 28 complete days."""
    org = cf.simulate.Organization(seed=7, days=36, today=dt.date(2026, 11, 20))
    with cf.FakeAdminApi(org) as api:
        client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url)
        return client.usage(START, END), client.cost(START - dt.timedelta(days=30), END)


def _entry_points() -> dict[str, Callable[[Any, Any], Any]]:
    """Each function with its usage (u) and cost (c) arguments placed."""
    return {
        "reconcile": lambda u, c: cf.reconcile(u, c, start=START, end=END).lines,
        "price": lambda u, c: cf.price(u),
        "price(lazy=True)": lambda u, c: cf.price(u, lazy=True).collect(),
        "attribute": lambda u, c: cf.attribute(u, c, start=START, end=END),
        "cache_report": lambda u, c: cf.cache_report(u),
        "whatif": lambda u, c: cf.whatif(u, cf.Scenario(batch_share="0.5")),
        "forecast": lambda u, c: cf.forecast(c, month="2026-11", today="2026-11-20"),
        "spend_report": lambda u, c: cf.spend_report(u, c, START, END, today="2026-11-20") is not None,
    }


READS_COST_ONLY = {"forecast"}
READS_USAGE_ONLY = {"price", "price(lazy=True)", "cache_report", "whatif"}


@pytest.mark.parametrize("name", sorted(set(_entry_points()) - READS_COST_ONLY))
def test_a_renamed_usage_column_is_refused_naming_both_names(frames: Frames, name: str) -> None:
    usage, cost = frames
    call = _entry_points()[name]
    with pytest.raises(cf.InputError) as info:
        call(usage.rename({"model": "mdl"}), cost)
    msg = str(info.value)
    assert msg.startswith('usage: the usage frame has no column "model"; it has "bucket_start"'), msg
    assert msg.endswith('("mdl" not a usage column: renamed?)'), msg
    assert info.value.exit_code == 2
    with pytest.raises(cf.InputError, match=r'usage: the usage frame has no column "workspace_id"; it has '):
        call(usage.drop("workspace_id").lazy(), cost)


@pytest.mark.parametrize("name", sorted(set(_entry_points()) - READS_USAGE_ONLY))
def test_a_missing_cost_column_is_refused_with_the_columns_it_has(frames: Frames, name: str) -> None:
    usage, cost = frames
    call = _entry_points()[name]
    with pytest.raises(cf.InputError) as info:
        call(usage, cost.rename({"amount_usd": "amount"}))
    msg = str(info.value)
    assert msg.startswith('cost: the cost frame has no column "amount_usd" (a missing count or amount'), msg
    assert '"amount" not a cost column: renamed?' in msg, msg


@pytest.mark.parametrize("name", list(_entry_points()))
def test_a_lazyframe_is_read_as_the_dataframe_it_collects_to(frames: Frames, name: str) -> None:
    usage, cost = frames
    call = _entry_points()[name]
    eager = call(usage, cost)
    lazy = call(usage.lazy(), cost.lazy())
    if isinstance(eager, pl.DataFrame):
        assert eager.height > 0
        assert lazy.equals(eager)
    else:
        assert lazy == eager


def test_a_store_s_lazyframes_go_straight_into_the_cost_model(tmp_path: Any) -> None:
    store = cf.Store(tmp_path / "store")
    org = cf.simulate.Organization(seed=4, days=31, today=dt.date(2026, 11, 20))
    with cf.FakeAdminApi(org) as api:
        now = dt.datetime(2026, 11, 20, 6, tzinfo=dt.UTC)
        api.set_now(now)
        store.sync(cf.AdminClient(api_key=api.api_key, base_url=api.base_url, now=now), backfill_days=30)
    usage, cost = store.usage(START, END), store.cost(START, END)
    assert cf.attribute(usage, cost, start=START, end=END).height > 0
    assert cf.cache_report(usage).height > 0
    lazy = cf.forecast(store.cost(), month="2026-11", today="2026-11-20")
    assert lazy == cf.forecast(store.cost().collect(), month="2026-11", today="2026-11-20")
    assert lazy["month_to_date_usd"] > 0
