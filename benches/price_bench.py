"""Benchmark: cf.price on an N-row usage frame (default 10M): time and peak memory.

python benches/price_bench.py --rows 10000000
"""

import argparse
import resource
import time

import polars as pl
from reconcile_bench import make_usage

import counterfoil as cf


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    a = ap.parse_args()
    usage = make_usage(a.rows)
    card = cf.RateCard.default()
    before = rss_mib()
    t0 = time.perf_counter()
    priced = cf.price(usage, card)
    seconds = time.perf_counter() - t0
    print(
        f"price(): {a.rows:,} usage rows -> {priced.height:,} priced rows in {seconds:.2f} s "
        f"({a.rows / seconds / 1e6:.1f} M usage rows/s); peak RSS {rss_mib():,.0f} MiB "
        f"({before:,.0f} MiB before the call)"
    )
    total = priced.select(pl.col("expected_usd").sum()).item()
    print(f"total expected: ${total}")


if __name__ == "__main__":
    main()
