"""The simulated organization is deterministic and its fake API round-trips."""

import datetime as dt

import counterfoil as cf


def test_same_seed_same_data() -> None:
    a = cf.simulate.Organization(seed=3, days=3, today=dt.date(2026, 11, 1))
    b = cf.simulate.Organization(seed=3, days=3, today="2026-11-01")
    assert a.usage_records().equals(b.usage_records())
    assert a.cost_lines().equals(b.cost_lines())
    c = cf.simulate.Organization(seed=4, days=3, today=dt.date(2026, 11, 1))
    assert not a.usage_records().equals(c.usage_records())


def test_round_trip_through_a_context_manager() -> None:
    org = cf.simulate.Organization(seed=1, days=2, today=dt.date(2026, 11, 10))
    with cf.FakeAdminApi(org, rate_limit_every=2, retry_after_ms=5) as api:
        client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url, max_retries=4)
        start, end = org.window
        usage = client.usage(start, end, bucket_width="1d", group_by=[])
        assert usage.height == 2
        assert usage["output_tokens"].sum() == org.usage_records()["output_tokens"].sum()
        cost = client.cost(start, end)  # the 2nd request gets a 429 and is retried
        assert cost["amount_usd"].sum() == org.cost_lines()["amount_usd"].sum()
        assert api.request_count == 3
    # Stopped: nothing listens any more.
    try:
        cf.AdminClient(api_key=api.api_key, base_url=api.base_url, max_retries=0).cost(start, end)
    except cf.APIConnectionError:
        pass
    else:
        raise AssertionError("the fake API should be stopped")
