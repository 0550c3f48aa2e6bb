"""Benchmark: concurrent vs sequential paging of 90 days of hourly usage grouped by every dimension,
through the fake Admin API with 100 ms of latency per response.

    python benches/fetch_bench.py [--days 90] [--latency-ms 100]

Both fetches must return the identical frame; the figure is concurrent time / sequential time.
"""

import argparse
import datetime as dt
import time

import counterfoil as cf

ALL = [
    "api_key_id",
    "workspace_id",
    "model",
    "service_tier",
    "context_window",
    "inference_geo",
    "speed",
    "account_id",
    "service_account_id",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--latency-ms", type=int, default=100)
    ap.add_argument("--concurrency", default="4,8")
    a = ap.parse_args()
    org = cf.simulate.Organization(seed=7, days=a.days, today=dt.date(2026, 11, 20))
    start, end = org.window
    with cf.FakeAdminApi(org, latency_ms=a.latency_ms) as api:

        def fetch(concurrency: int) -> tuple[float, object, int]:
            client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url, concurrency=concurrency)
            before = api.request_count
            t0 = time.perf_counter()
            frame = client.usage(start, end, bucket_width="1h", group_by=ALL)
            return time.perf_counter() - t0, frame, api.request_count - before

        seq_s, seq, seq_n = fetch(1)
        print(f"sequential: {seq_s:.2f} s, {seq_n} requests, {seq.height:,} rows")  # type: ignore[attr-defined]
        for c in (int(x) for x in a.concurrency.split(",")):
            s, frame, n = fetch(c)
            assert frame.equals(seq), "concurrent paging must give the identical frame"  # type: ignore[attr-defined]
            print(f"concurrency {c}: {s:.2f} s, {n} requests = {s / seq_s:.2f} of sequential (identical frame)")


if __name__ == "__main__":
    main()
