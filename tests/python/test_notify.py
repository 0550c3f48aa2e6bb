"""`Store.reconcile(..., notify=[...])`: the same alerts as `reconcile --store --notify`, against a
loopback receiver that records every request."""

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import TODAY
from receivers import Receiver

import counterfoil as cf


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture()
def store(tmp_path: Path) -> cf.Store:
    org = cf.simulate.Organization(seed=4, days=8, today=TODAY, plants=["bend"])
    store = cf.Store(tmp_path / "s")
    with cf.FakeAdminApi(org) as api:
        now = dt.datetime(2026, 11, 20, 6, tzinfo=dt.timezone.utc)
        api.set_now(now)
        store.sync(cf.AdminClient(api_key=api.api_key, base_url=api.base_url, now=now), backfill_days=7)
    return store


def test_each_finding_is_told_once(store: cf.Store, receiver: Receiver) -> None:
    rec = store.reconcile(dt.date(2026, 11, 13), dt.date(2026, 11, 20), notify=[f"webhook:{receiver.url}"])
    assert len(receiver.seen) == 1
    ctype, event = receiver.seen[0]
    assert ctype == "application/cloudevents+json"
    assert event["type"] == "dev.counterfoil.finding.opened"
    bad = rec.lines.filter(rec.lines["status"] == "mismatch")
    assert event["data"]["delta_usd"] == str(bad["delta_usd"][0].normalize())
    store.reconcile(dt.date(2026, 11, 13), dt.date(2026, 11, 20), notify=[f"webhook:{receiver.url}"])
    assert len(receiver.seen) == 1, "never twice once acknowledged"
    events = store.finding_events()
    assert "SECRET" not in " ".join(events["sink"].drop_nulls().to_list())


def test_a_bad_spec_fails_before_work_and_a_down_sink_raises_after_it(store: cf.Store) -> None:
    with pytest.raises(cf.InputError):
        store.reconcile(dt.date(2026, 11, 13), dt.date(2026, 11, 20), notify=["webhook:http://example.com/SECRET"])
    assert store.findings().height == 0, "nothing was reconciled"
    with pytest.raises(cf.NotificationError) as info:
        store.reconcile(dt.date(2026, 11, 13), dt.date(2026, 11, 20), notify=["webhook:http://127.0.0.1:9/SECRET"])
    assert info.value.exit_code == 4
    assert "webhook (127.0.0.1)" in str(info.value) and "SECRET" not in str(info.value)
    assert store.findings().height == 1, "the work was done and recorded"


def test_without_a_store_every_discrepancy_is_opened_and_told(receiver: Receiver) -> None:
    """`cf.notify(rec, [...])`: one CloudEvent per discrepancy line of a reconciliation made
    from frames or the API, with the line's exact money; a sink that is down is a
    NotificationError naming only its host."""
    org = cf.simulate.Organization(seed=7, days=7, today=TODAY, plants=["bend", "drop_cost_line"])
    with cf.FakeAdminApi(org) as planted:
        client = cf.AdminClient(api_key=planted.api_key, base_url=planted.base_url)
        rec = client.reconcile("2026-11-14", "2026-11-20")
    bad = rec.discrepancies
    assert bad.height == 2
    assert cf.notify(rec, [f"webhook:{receiver.url}"]) == 2
    kinds = [ct for ct, _ in receiver.seen]
    assert kinds == ["application/cloudevents+json"] * 2
    assert {e["type"] for _, e in receiver.seen} == {"dev.counterfoil.finding.opened"}
    got = sorted(Decimal(e["data"]["expected_usd"]) for _, e in receiver.seen)
    assert got == sorted(bad["expected_usd"].to_list()), "the lines' exact money"
    assert cf.notify(rec, []) == 0, "no sinks, nothing sent"
    with pytest.raises(cf.NotificationError) as info:
        cf.notify(rec, ["webhook:http://127.0.0.1:9/hook/SECRET-TOKEN"])
    assert info.value.exit_code == 4
    assert "127.0.0.1" in str(info.value) and "SECRET-TOKEN" not in str(info.value)


def test_notify_with_the_store_tells_each_finding_once(store: cf.Store, receiver: Receiver) -> None:
    """`cf.notify(rec, sinks, store=store)` after `store.reconcile(...)`: what the fleet does, so
    that the results are written before any sink is tried; exactly once across runs."""
    hook = [f"webhook:{receiver.url}"]
    rec = store.reconcile(dt.date(2026, 11, 13), dt.date(2026, 11, 20))
    assert cf.notify(rec, hook, store=store) == 1
    assert cf.notify(rec, hook, store=store) == 0, "acknowledged: never twice"
    again = store.reconcile(dt.date(2026, 11, 13), dt.date(2026, 11, 20))
    assert cf.notify(again, hook, store=store) == 0
    (event,) = receiver.bodies()
    bad = rec.discrepancies
    assert event["data"]["finding_id"] == store.findings()["finding_id"][0]
    assert Decimal(event["data"]["delta_usd"]) == bad["delta_usd"][0]
