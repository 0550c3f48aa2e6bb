"""Long calls release the GIL and stop on Ctrl-C."""

import _thread
import datetime as dt
import signal
import threading
import time
from collections.abc import Iterator

import pytest

import counterfoil as cf


@pytest.fixture(scope="module")
def slow_api() -> Iterator[cf.FakeAdminApi]:
    org = cf.simulate.Organization(seed=1, days=2, today=dt.date(2026, 11, 20))
    with cf.FakeAdminApi(org, latency_ms=400) as api:
        yield api


def test_fetch_releases_the_gil(slow_api: cf.FakeAdminApi) -> None:
    client = cf.AdminClient(api_key=slow_api.api_key, base_url=slow_api.base_url)
    count = 0
    stop = threading.Event()

    def spin() -> None:
        nonlocal count
        while not stop.is_set():
            count += 1

    t = threading.Thread(target=spin)
    t.start()
    t0 = time.perf_counter()
    client.cost("2026-11-18", "2026-11-20")
    elapsed = time.perf_counter() - t0
    stop.set()
    t.join()
    assert elapsed >= 0.4
    assert count > 100_000, f"the other thread ran only {count} loops in {elapsed:.2f}s"


def test_ctrl_c_interrupts_a_long_call(slow_api: cf.FakeAdminApi) -> None:
    # Ctrl-C reaches Python only while SIGINT has Python's handler; a library an earlier test
    # started (Dask, a subprocess helper) may have left it ignored, and then interrupt_main()
    # does nothing. Install the default handler for this test and put back what was there.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _interrupt_a_long_call(slow_api)
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupt_a_long_call(slow_api: cf.FakeAdminApi) -> None:
    client = cf.AdminClient(api_key=slow_api.api_key, base_url=slow_api.base_url, concurrency=1)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        # Minute buckets over two days: two pages of 400 ms each per call.
        for _ in range(20):
            client.usage("2026-11-18", "2026-11-20", bucket_width="1m")
    timer.join()
    assert time.perf_counter() - t0 < 2.5, "stopped within about a second of Ctrl-C"
