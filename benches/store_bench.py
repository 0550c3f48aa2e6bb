"""Benchmark: the store (DESIGN §7).

    python benches/store_bench.py --rows 10000000

1. A 90-day hourly backfill through the fake Admin API with 100 ms per response, with the
   client's default concurrency and with one request at a time; then an unchanged run.
2. `reconcile --store` over a year of hourly usage (~10M rows in 365 day partitions, written in
   the layout and with the state a sync writes) against `cf.reconcile` on the same frames already
   in memory; each in its own process, peak RSS during the call. Both give the same lines.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
from reconcile_bench import TOKENS, bill, reset_peak, rss_kib

import counterfoil as cf

# Models live on every day of the year below (none released later or retired earlier).
MODELS = ["claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001", "claude-opus-4-5-20251101"]
YEAR_START = datetime(2025, 11, 24, tzinfo=UTC)


def backfill() -> None:
    org = cf.simulate.Organization(seed=11, days=90)
    with cf.FakeAdminApi(org, latency_ms=100) as api, tempfile.TemporaryDirectory() as tmp:
        runs = {}
        for name, concurrency in [("concurrent", 4), ("sequential", 1)]:
            client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url, concurrency=concurrency)
            before = api.request_count
            t0 = time.perf_counter()
            s = cf.Store(Path(tmp) / name).sync(client, backfill_days=90)
            runs[name] = (time.perf_counter() - t0, api.request_count - before, s["days_written"])
        client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url)
        before = api.request_count
        t0 = time.perf_counter()
        s = cf.Store(Path(tmp) / "concurrent").sync(client, backfill_days=90)
        unchanged = (time.perf_counter() - t0, api.request_count - before, s["days_written"], s["days_unchanged"])
    for name, (sec, req, days) in runs.items():
        print(f"90-day backfill, {name}: {sec:.2f} s, {req} requests, {days} day partitions", file=sys.stderr)
    print(
        f"unchanged run: {unchanged[0]:.2f} s, {unchanged[1]} requests, {unchanged[2]} written, "
        f"{unchanged[3]} unchanged",
        file=sys.stderr,
    )


def year_frames(n: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    hours = 365 * 24
    per_hour = max(1, n // hours)
    i = pl.int_range(n, dtype=pl.Int64)
    h = (i * 2654435761) % 1_000_003
    usage = pl.select(
        bucket_start=pl.lit(YEAR_START) + pl.duration(hours=i // per_hour),
        workspace_id=(i * 3 % 5).replace_strict({0: None, 1: "wrkspc_a", 2: "wrkspc_b", 3: "wrkspc_c", 4: "wrkspc_d"}),
        api_key_id=pl.format("apikey_{}", (i * 13) % 50),
        model=((i * 7) % len(MODELS)).replace_strict(dict(enumerate(MODELS)), return_dtype=pl.String),
        service_tier=pl.when((i * 11) % 20 < 16).then(pl.lit("standard")).otherwise(pl.lit("batch")),
        context_window=pl.lit("0-200k"),
        inference_geo=pl.lit("not_available"),
        speed=pl.lit("standard"),
        uncached_input_tokens=h % 50_000,
        cache_creation_5m_input_tokens=pl.when(h % 3 == 0).then(h % 20_000).otherwise(0),
        cache_creation_1h_input_tokens=pl.when(h % 5 == 0).then(h % 40_000).otherwise(0),
        cache_read_input_tokens=(h * 7) % 200_000,
        output_tokens=h % 4_000 + 1,
        web_search_requests=pl.when(h % 9 == 0).then(h % 4).otherwise(0),
    ).with_columns(bucket_end=pl.col("bucket_start") + pl.duration(hours=1), account_id=None, service_account_id=None)
    usage = usage.select(
        "bucket_start", "bucket_end", "workspace_id", "api_key_id", "model", "service_tier", "context_window",
        "inference_geo", "speed", *TOKENS, "web_search_requests",
        pl.col("account_id").cast(pl.String), pl.col("service_account_id").cast(pl.String),
    )  # fmt: skip
    cost = bill(usage)  # a clean bill: counterfoil's own expected amount per line
    return usage, cost


def write_store(usage: pl.DataFrame, cost: pl.DataFrame, root: Path) -> None:
    """The layout and state.json a sync writes (content hashes are not checked on read)."""
    state: dict[str, object] = {"schema": "counterfoil.store/1", "created_at": datetime.now(UTC).isoformat(),
                                "organization": {"id": "bench", "name": "bench"}, "restate_checked": None}  # fmt: skip
    for name, df in (("usage", usage), ("cost", cost)):
        days: dict[str, object] = {}
        for (day,), part in df.group_by(pl.col("bucket_start").dt.date(), maintain_order=True):
            d = root / name / f"date={day}"
            d.mkdir(parents=True)
            part.write_parquet(d / "part-0.parquet")
            days[str(day)] = {"fetched_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                              "rows": part.height, "content_hash": "0" * 64, "complete": True}  # fmt: skip
        state[name] = days
    (root / "state.json").write_text(json.dumps(state, indent=2))


def measure(mode: str, root: Path) -> None:
    start, end = YEAR_START.date(), YEAR_START.date() + timedelta(days=365)
    if mode == "memory":
        usage = pl.read_parquet(root / "usage" / "**" / "*.parquet", hive_partitioning=False)
        cost = pl.read_parquet(root / "cost" / "**" / "*.parquet", hive_partitioning=False)
    reset_peak()
    before = rss_kib("VmRSS")
    t0 = time.perf_counter()
    if mode == "memory":
        rec = cf.reconcile(usage, cost, start=start, end=end)
    else:
        rec = cf.Store(root).reconcile(start, end)
    seconds = time.perf_counter() - t0
    print(json.dumps({"mode": mode, "seconds": seconds, "before_mib": before / 1024,
                      "peak_mib": rss_kib("VmHWM") / 1024, "lines": rec.lines.height,
                      "reported": str(rec.summary["reported_usd"])}))  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    ap.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.measure:
        measure(a.measure, a.root)
        return
    backfill()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "store"
        usage, cost = year_frames(a.rows)
        write_store(usage, cost, root)
        print(f"a year of hourly usage: {usage.height:,} rows in 365 day partitions", file=sys.stderr)
        del usage, cost
        results: dict[str, list[dict[str, object]]] = {"store": [], "memory": []}
        for _ in range(a.rounds):
            for mode in results:
                cmd = [sys.executable, __file__, "--measure", mode, "--root", str(root)]
                p = subprocess.run(cmd, capture_output=True, text=True, check=True)
                results[mode].append(json.loads(p.stdout.strip().splitlines()[-1]))
    med = {m: sorted(r, key=lambda x: float(x["seconds"]))[len(r) // 2] for m, r in results.items()}  # type: ignore[arg-type]
    assert med["store"]["lines"] == med["memory"]["lines"] and med["store"]["reported"] == med["memory"]["reported"]
    for m, r in med.items():
        print(
            f"reconcile a year, {m:6}: {r['seconds']:.2f} s (reading included for the store), "
            f"peak {r['peak_mib']:.0f} MiB ({r['before_mib']:.0f} before the call), {r['lines']} lines",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
