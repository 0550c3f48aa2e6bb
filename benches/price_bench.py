"""Benchmark: cf.price on N usage rows (default 10M), eager and lazy: time and peak memory.

    python benches/price_bench.py --rows 10000000 --rounds 3

Four ways, each in its own process on the same Parquet, interleaved, medians reported:

- ``eager``: ``cf.price(usage)``, the whole long frame in memory (every column).
- ``lazy``: ``cf.price(usage, lazy=True).collect()``, the same frame through the lazy source.
- ``eager-agg`` / ``lazy-agg``: expected USD, tokens and rows per model and token type, from the
  eager frame or from the lazy one (``collect(engine="streaming")``).

Every way must give the same row count and the same total to the last digit (checked). Peak is
the process's VmHWM reset after loading the usage, so it is the pricing's own plus the inputs.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from reconcile_bench import make_usage, measure_in_child, median, reset_peak, rss_kib

import counterfoil as cf

MODES = ("eager", "lazy", "eager-agg", "lazy-agg")
KEY = ["model", "token_type"]
AGG = [pl.col("expected_usd").sum(), pl.col("quantity").sum(), pl.len().alias("rows")]


def run(mode: str, usage: pl.DataFrame) -> pl.DataFrame:
    card = cf.RateCard.default()
    if mode == "eager":
        return cf.price(usage, card)
    if mode == "lazy":
        return cf.price(usage, card, lazy=True).collect()
    if mode == "eager-agg":
        return cf.price(usage, card).group_by(KEY).agg(AGG)
    return cf.price(usage, card, lazy=True).group_by(KEY).agg(AGG).collect(engine="streaming")


def measure(mode: str, data: Path) -> None:
    usage = pl.read_parquet(data)
    loaded = rss_kib("VmRSS")
    reset_peak()
    t0 = time.perf_counter()
    out = run(mode, usage)
    seconds = time.perf_counter() - t0
    peak = rss_kib("VmHWM")
    if mode.endswith("-agg"):
        rows, total = int(out["rows"].sum()), out["expected_usd"].sum()
    else:
        rows, total = out.height, out["expected_usd"].sum()
    print(
        json.dumps(
            {
                "mode": mode,
                "seconds": seconds,
                "peak_mib": peak / 1024,
                "loaded_mib": loaded / 1024,
                "rows": rows,
                "total": str(total),
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.measure:
        measure(a.measure, a.data)
        return
    modes = a.modes.split(",")
    runs: dict[str, list[dict[str, object]]] = {m: [] for m in modes}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "usage.parquet"
        make_usage(a.rows).write_parquet(data)
        for round_ in range(a.rounds):
            for mode in modes:
                r = measure_in_child(__file__, mode, data)
                runs[mode].append(r)
                print(
                    f"round {round_ + 1}: {mode:10} {r['seconds']:7.2f} s  peak {r['peak_mib']:7.0f} MiB",
                    file=sys.stderr,
                )
    first = next(iter(runs.values()))[0]
    summary = {}
    for mode, rs in runs.items():
        for r in rs:
            assert (r["rows"], r["total"]) == (first["rows"], first["total"]), (mode, r, first)
        summary[mode] = {
            "median_s": median([float(r["seconds"]) for r in rs]),  # type: ignore[arg-type]
            "median_peak_mib": median([float(r["peak_mib"]) for r in rs]),  # type: ignore[arg-type]
            "median_loaded_mib": median([float(r["loaded_mib"]) for r in rs]),  # type: ignore[arg-type]
            "runs": len(rs),
        }
    print(f"\n{a.rows:,} usage rows -> {first['rows']:,} priced rows, total ${first['total']}", file=sys.stderr)
    for mode, s in summary.items():
        print(
            f"{mode:10} {s['median_s']:7.2f} s  peak {s['median_peak_mib']:7.0f} MiB "
            f"(+{s['median_peak_mib'] - s['median_loaded_mib']:.0f} above the usage in memory)",
            file=sys.stderr,
        )
    print(
        json.dumps(
            {
                "rows": a.rows,
                "rounds": a.rounds,
                "priced_rows": first["rows"],
                "total": first["total"],
                "summary": summary,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
