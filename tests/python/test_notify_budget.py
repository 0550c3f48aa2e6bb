"""`forecast --store --budget --notify`: `budget.exceeded` once per crossing of (month, budget),
remembered in the store's event log; again only after the projection went back under and crossed
again; without a store, every run over budget. Against a loopback receiver."""

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from cli_run import run
from receivers import Receiver

import counterfoil as cf


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    org = cf.simulate.Organization(seed=21, days=60, today=dt.date(2026, 11, 28))
    path = tmp_path_factory.mktemp("budget") / "s"
    with cf.FakeAdminApi(org) as api:
        now = dt.datetime(2026, 11, 28, 6, tzinfo=dt.timezone.utc)
        api.set_now(now)
        cf.Store(path).sync(cf.AdminClient(api_key=api.api_key, base_url=api.base_url, now=now), backfill_days=59)
    return str(path)


def forecast(store: str | None, day: str, *extra: str, hour: int = 7) -> tuple[int, dict[str, object], str]:
    where = ["--store", store] if store else []
    p = run("forecast", *where, "--format", "json", *extra, env={"COUNTERFOIL_NOW": f"{day}T{hour:02}:00:00Z"})
    return p.returncode, json.loads(p.stdout) if p.stdout else {}, p.stderr


def test_once_per_crossing_and_again_after_it_cleared(store: str, receiver: Receiver) -> None:
    # Two days of the month with different projections; the budget sits between them.
    days = ["2026-11-12", "2026-11-26"]
    projected = {d: Decimal(str(forecast(store, d)[1]["projected_usd"])) for d in days}
    high, low = sorted(days, key=lambda d: projected[d], reverse=True)
    assert projected[high] > projected[low]
    budget = ((projected[high] + projected[low]) / 2).quantize(Decimal("0.01"))
    hook = ["--budget", str(budget), "--notify", f"webhook:{receiver.url}"]

    runs = [high, high, low, low, high, high]  # each at its own hour: the runs' clock moves on
    codes = [forecast(store, d, *hook, hour=7 + i)[0] for i, d in enumerate(runs)]
    assert codes == [1, 1, 0, 0, 1, 1], "the exit code still says over budget on every run"
    told = receiver.bodies()
    assert [e["type"] for e in told] == ["dev.counterfoil.budget.exceeded"] * 2, "the first crossing, then the second"
    for e in told:
        d = e["data"]
        assert d["finding_id"] == f"budget_2026-11_{budget.normalize()}"
        assert Decimal(d["expected_usd"]) == budget
        assert Decimal(d["reported_usd"]) == projected[high]
        assert Decimal(d["delta_usd"]) == projected[high] - budget
    assert told[0]["id"] != told[1]["id"], "two crossings, two events"

    log = cf.Store(store).finding_events()
    rows = log.filter(log["event"] == "budget")
    assert rows["status"].to_list() == ["exceeded", "cleared", "exceeded"]
    assert log.filter(log["status"].str.starts_with("budget@")).height == 2, "each acknowledged once"

    # A new budget is a new crossing; a run with the sink down is told again by the next.
    receiver.down = True
    one = ["--budget", "1", "--notify", f"webhook:{receiver.url}"]
    code, _, err = forecast(store, high, *one, hour=14)
    assert code == 4 and "notification to webhook (127.0.0.1) failed" in err and "SECRET" not in err, err
    receiver.down = False
    assert forecast(store, high, *one, hour=15)[0] == 1
    assert forecast(store, high, *one, hour=16)[0] == 1
    assert [e["data"]["finding_id"] for e in receiver.bodies()[2:]] == ["budget_2026-11_1"]


def test_without_a_store_every_run_over_budget_is_told(tmp_path: Path, receiver: Receiver) -> None:
    org = cf.simulate.Organization(seed=22, days=40, today=dt.date(2026, 11, 20))
    with cf.FakeAdminApi(org) as api:
        api.set_now(dt.datetime(2026, 11, 20, 7, tzinfo=dt.timezone.utc))
        conn = ["--base-url", api.base_url, "--api-key", api.api_key]
        for _ in range(2):
            code, out, err = forecast(None, "2026-11-20", *conn, "--budget", "1", "--notify", f"webhook:{receiver.url}")
            assert code == 1, err
    told = receiver.bodies()
    assert len(told) == 2
    org_id = told[0]["data"]["organization"]["id"]
    assert told[0]["source"] == f"counterfoil://{org_id}" and org_id, "from the API, whose bill it is"
    assert Decimal(told[1]["data"]["reported_usd"]) == Decimal(str(out["projected_usd"]))
