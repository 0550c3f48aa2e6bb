"""Exceptions by class, with the server's request id, and never the key."""

import pytest
from cli_run import run

import counterfoil as cf


def test_hierarchy() -> None:
    for exc in [cf.AuthenticationError, cf.PermissionDeniedError, cf.RateLimitError]:
        assert issubclass(exc, cf.APIStatusError)
    for exc in [cf.APIStatusError, cf.APIConnectionError, cf.RateCardError, cf.InputError, cf.StoreError]:
        assert issubclass(exc, cf.CounterfoilError)
    assert cf.AuthenticationError.__module__ == "counterfoil"


def test_bad_key_is_authentication_error(api: cf.FakeAdminApi) -> None:
    client = cf.AdminClient(api_key="sk-ant-admin01-NOTTHEKEY-1234", base_url=api.base_url, max_retries=0)
    with pytest.raises(cf.AuthenticationError) as info:
        client.cost("2026-11-15", "2026-11-16")
    err = info.value
    assert err.status_code == 401  # type: ignore[attr-defined]
    assert err.request_id.startswith("req_")  # type: ignore[attr-defined]
    assert "NOTTHEKEY" not in str(err) and "NOTTHEKEY" not in repr(err)
    assert "NOTTHEKEY" not in repr(client)


def test_regular_key_is_permission_denied_with_a_hint(api: cf.FakeAdminApi) -> None:
    client = cf.AdminClient(api_key=api.regular_key, base_url=api.base_url, max_retries=0)
    with pytest.raises(cf.PermissionDeniedError) as info:
        client.usage("2026-11-15", "2026-11-16")
    assert "Admin" in info.value.hint  # type: ignore[attr-defined]


def test_bad_input() -> None:
    client = cf.AdminClient(api_key="sk-ant-admin01-x", base_url="http://127.0.0.1:9")
    with pytest.raises(cf.InputError):
        client.usage("yesterday", "2026-11-16")
    with pytest.raises(cf.InputError):
        client.usage("2026-11-15", "2026-11-16", bucket_width="5m")
    with pytest.raises(cf.InputError):
        client.usage("2026-11-15", "2026-11-16", group_by=["colour"])
    import datetime as dt

    with pytest.raises(cf.InputError, match="naive"):
        client.usage(dt.datetime(2026, 11, 15), "2026-11-16")
    with pytest.raises(cf.InputError):
        cf.AdminClient(api_key="k", base_url="http://example.com")


def test_unreachable_is_connection_error() -> None:
    client = cf.AdminClient(api_key="sk-ant-admin01-x", base_url="http://127.0.0.1:9", max_retries=0)
    with pytest.raises(cf.APIConnectionError):
        client.cost("2026-11-15", "2026-11-16")


def test_rate_card_error_names_the_line(tmp_path: "object") -> None:
    text = (
        'schema = "counterfoil.ratecard/1"\n[[model]]\nid = "m"\nreleased = "2026-01-01"\n'
        '  [[model.rate]]\n  valid_from = "2026-01-01"\n  input = "x"\n  output = "1"\n'
    )
    with pytest.raises(cf.RateCardError, match=r"<string>:7"):
        cf.RateCard.from_toml(text)


def test_credentials_in_a_base_url_are_refused_and_never_echoed() -> None:
    from counterfoil import fleet

    url = "https://alice:hunter2-secret@api.example.test"
    with pytest.raises(cf.InputError) as info:
        cf.AdminClient(api_key="sk-ant-admin01-x", base_url=url)
    text = f"{info.value} {info.value.hint} {info.value!r}"
    assert "refusing a base URL with credentials in it (https://***@api.example.test)" in str(info.value)
    assert "hunter2" not in text and "alice" not in text
    with pytest.raises(cf.InputError, match="credentials") as info:
        fleet.Org(name="o", key_env="X", base_url=url)
    assert "hunter2" not in str(info.value)
    p = run("usage", "--start", "2026-11-01", "--end", "2026-11-02", "--api-key", "sk-ant-admin01-x", "--base-url", url)
    assert p.returncode == 2, p.stderr
    assert "hunter2" not in p.stderr + p.stdout and "***@api.example.test" in p.stderr
