"""Shared fixtures: a simulated organization with a fixed 'today', served by the fake Admin API."""

import datetime as dt
from collections.abc import Iterator

import pytest

import counterfoil as cf

TODAY = dt.date(2026, 11, 20)


@pytest.fixture(scope="session")
def org() -> cf.simulate.Organization:
    return cf.simulate.Organization(seed=7, days=7, today=TODAY)


@pytest.fixture(scope="session")
def api(org: cf.simulate.Organization) -> Iterator[cf.FakeAdminApi]:
    with cf.FakeAdminApi(org) as api:
        yield api


@pytest.fixture()
def client(api: cf.FakeAdminApi) -> cf.AdminClient:
    return cf.AdminClient(api_key=api.api_key, base_url=api.base_url)
