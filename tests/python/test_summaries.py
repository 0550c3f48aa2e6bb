"""Python summaries keep their types: money and exact ratios as Decimal, days as dates, seconds
as a float, counts as ints — read from the core's typed summary, never guessed from key names."""

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import counterfoil as cf

NOW = dt.datetime(2026, 11, 20, 6, tzinfo=dt.UTC)


def walk(v: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(v, dict):
        return [x for k, w in v.items() for x in walk(w, f"{path}.{k}")]
    if isinstance(v, list):
        return [x for w in v for x in walk(w, f"{path}[]")]
    return [(path, v)]


def test_sync_reconcile_and_forecast_summaries_are_typed(tmp_path: Path) -> None:
    org = cf.simulate.Organization(seed=4, days=31, today=NOW.date(), contract="demo")
    with cf.FakeAdminApi(org) as api:
        api.set_now(NOW)
        client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url, now=NOW)
        sync = cf.Store(tmp_path / "s").sync(client, backfill_days=30)
        rec = client.reconcile("2026-11-13", "2026-11-20")
        analytics = client.reconcile("2026-11-13", "2026-11-20", source="analytics")
        cost = client.cost("2026-10-20", "2026-11-20")
    assert isinstance(sync["seconds"], float) and sync["seconds"] > 0, sync
    assert isinstance(sync["requests"], int) and sync["requests"] > 0
    days = sync["days_fetched"]
    assert days[0] == dt.date(2026, 10, 21) and all(isinstance(d, dt.date) for d in days)
    for summary in (rec.summary, analytics.summary):
        for path, v in walk(summary):
            if path.endswith("_usd"):
                assert isinstance(v, Decimal), (path, v)
            elif path.endswith((".lines", ".discrepancies")) or ".counts." in path:
                assert isinstance(v, int) and not isinstance(v, bool), (path, v)
        assert summary["window"] == {"start": dt.date(2026, 11, 13), "end": dt.date(2026, 11, 20)}
    assert all(isinstance(r["discount"], Decimal) for r in analytics.summary["discount_by_model"])
    opus = next(r for r in analytics.summary["discount_by_model"] if r["model"] == "claude-opus-5-5")
    assert opus["discount"] == Decimal("0.12"), "the demo contract's 12 %"
    runtime = rec.summary["session_runtime"]
    assert isinstance(runtime["hours"], Decimal) and runtime["hours"] * runtime["usd_per_hour"] == runtime["usd"]
    f = cf.forecast(cost, month="2026-11", budget_usd="10", today="2026-11-20")
    assert f["today"] == dt.date(2026, 11, 20) and isinstance(f["days_left"], int)
    assert isinstance(f["projected_usd"], Decimal) and f["budget_usd"] == Decimal("10")
    assert f["over_budget"] is True
