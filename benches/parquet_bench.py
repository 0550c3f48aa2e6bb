"""Benchmark: reconcile straight from Parquet (one file per day, as a store keeps them) with
projection and window push-down, against reading every column and row first.

    python benches/parquet_bench.py --rows 10000000 --window-days 30

Each way runs in its own process; its seconds include reading. Both give the same lines.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import polars as pl
from reconcile_bench import START, make_inputs


def run(mode: str, data: Path, days: int) -> None:
    from reconcile_bench import rss_kib

    import counterfoil as cf

    start = START + timedelta(days=30)
    end = start + timedelta(days=days)
    t0 = time.perf_counter()
    usage_glob = str(data / "usage" / "**" / "*.parquet")
    if mode == "pushdown":
        usage = pl.scan_parquet(usage_glob, hive_partitioning=False)
        cost = pl.scan_parquet(data / "cost.parquet")
        rec = cf.reconcile(usage, cost, start=start, end=end)
    else:
        usage = pl.read_parquet(usage_glob, hive_partitioning=False)
        cost = pl.read_parquet(data / "cost.parquet")
        rec = cf.reconcile(usage, cost, start=start, end=end)
    seconds = time.perf_counter() - t0
    print(json.dumps({"mode": mode, "seconds": seconds, "peak_mib": rss_kib("VmHWM") / 1024,
                      "lines": rec.lines.height, "reported": str(rec.summary["reported_usd"])}))  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--window-days", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--run", help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.run:
        run(a.run, a.data, a.window_days)
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        make_inputs(a.rows, data)
        usage = pl.read_parquet(data / "usage.parquet")
        for (day,), part in usage.group_by(pl.col("bucket_start").dt.date(), maintain_order=True):
            d = data / "usage" / f"date={day}"
            d.mkdir(parents=True)
            part.write_parquet(d / "part-0.parquet")
        del usage
        results: dict[str, list[dict[str, object]]] = {"read_all": [], "pushdown": []}
        for _ in range(a.rounds):
            for mode in results:
                cmd = [sys.executable, __file__, "--run", mode, "--data", str(data)]
                cmd += ["--window-days", str(a.window_days)]
                p = subprocess.run(cmd, capture_output=True, text=True, check=True)
                results[mode].append(json.loads(p.stdout.strip().splitlines()[-1]))
    med = {m: sorted(r, key=lambda x: float(x["seconds"]))[len(r) // 2] for m, r in results.items()}  # type: ignore[arg-type]
    assert med["read_all"]["lines"] == med["pushdown"]["lines"]
    assert med["read_all"]["reported"] == med["pushdown"]["reported"]
    for m, r in med.items():
        print(f"{m:9} {r['seconds']:.2f} s  peak {r['peak_mib']:.0f} MiB  {r['lines']} lines", file=sys.stderr)
    print(json.dumps(med, indent=2))


if __name__ == "__main__":
    main()
