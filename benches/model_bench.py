"""Benchmark: cost modeling over a year of hourly usage (~10M rows) against straightforward Polars.

    python benches/model_bench.py --rows 10000000

- attribution: the billed USD of every cost line spread over the API keys behind it
  (counterfoil: largest remainder, exact to the bill; Polars: each key's share of the line's
  expected cost × the billed amount, in Decimal);
- what-if: every standard-tier token moved to batch (`batch_share=1`), total per model
  (counterfoil: `cf.whatif`; Polars: the rate table × 0.5 on standard rows).
Each runs in its own process on frames already in memory; peak RSS during the call. The
benchmark checks both give the same totals (attribution: the bill, to the last digit).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import polars as pl
from reconcile_bench import TOKENS, rate_table, reset_peak, rss_kib
from store_bench import year_frames

import counterfoil as cf

DIMS = ["date", "workspace_id", "model", "service_tier", "context_window", "inference_geo", "speed"]
KEY = ["date", "workspace_id", "model", "service_tier", "context_window", "inference_geo", "token_type"]
MONEY = pl.Decimal(38, 12)


def polars_long(usage: pl.DataFrame, rates: pl.DataFrame, by_key: bool) -> pl.LazyFrame:
    extra = ["api_key_id"] if by_key else []
    agg = (
        usage.lazy()
        .group_by(pl.col("bucket_start").dt.date().alias("date"), *DIMS[1:], *extra)
        .agg(pl.col(*TOKENS).sum())
    )
    return (
        agg.unpivot(index=[*DIMS, *extra], on=list(TOKENS), variable_name="column", value_name="quantity")
        .filter(pl.col("quantity") > 0)
        .with_columns(token_type=pl.col("column").replace_strict(TOKENS))
        .join(rates.lazy(), on=[DIMS[0], *DIMS[2:], "token_type"], how="left")
        .with_columns(expected=pl.col("quantity").cast(pl.Decimal(38, 0)) * pl.col("rate"))
    )


def run(impl: str, data: Path) -> None:
    usage = pl.read_parquet(data / "usage.parquet")
    cost = pl.read_parquet(data / "cost.parquet")
    rates = pl.read_parquet(data / "rates.parquet")
    out: dict[str, object] = {"impl": impl}
    for task in ("attribute", "whatif"):
        reset_peak()
        before = rss_kib("VmRSS")
        t0 = time.perf_counter()
        if impl == "counterfoil" and task == "attribute":
            df = cf.attribute(usage, cost)
            total = df.filter(pl.col("cost_type") == "tokens").select(pl.col("allocated_usd").sum()).item()
        elif impl == "counterfoil":
            df = cf.whatif(usage, cf.Scenario(batch_share=1), by=["model"])
            total = df.select(pl.col("scenario_usd").sum()).item()
        elif task == "attribute":
            long = polars_long(usage, rates, by_key=True)
            line = long.group_by(KEY).agg(line_expected=pl.col("expected").sum())
            billed = (
                cost.lazy()
                .filter(pl.col("cost_type") == "tokens")
                .group_by(pl.col("bucket_start").dt.date().alias("date"), *KEY[1:])
                .agg(reported=pl.col("amount_usd").sum())
            )
            shares = (
                long.group_by([*KEY, "api_key_id"])
                .agg(expected=pl.col("expected").sum())
                .join(line, on=KEY, nulls_equal=True)
                .join(billed, on=KEY, nulls_equal=True)
                .with_columns(
                    attributed=(pl.col("reported") * pl.col("expected") / pl.col("line_expected")).cast(MONEY)
                )
            ).collect()
            total = shares.select(pl.col("attributed").sum()).item()
        else:
            long = polars_long(usage, rates, by_key=False)
            factor = pl.when(pl.col("service_tier") == "standard").then(Decimal("0.5")).otherwise(Decimal(1))
            per_model = (
                long.with_columns(scenario=(pl.col("expected") * factor))
                .group_by("model")
                .agg(pl.col("scenario").sum().cast(MONEY))
                .collect()
            )
            total = per_model.select(pl.col("scenario").sum()).item()
        out[task] = {"seconds": time.perf_counter() - t0, "above_mib": (rss_kib("VmHWM") - before) / 1024,
                     "total": str(total)}  # fmt: skip
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--run", help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.run:
        run(a.run, a.data)
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        usage, cost = year_frames(a.rows)
        usage.write_parquet(data / "usage.parquet")
        cost.write_parquet(data / "cost.parquet")
        rate_table(usage).rename({"rate_per_token": "rate"}).write_parquet(data / "rates.parquet")
        billed = cost.filter(pl.col("cost_type") == "tokens").select(pl.col("amount_usd").sum()).item()
        del usage, cost
        runs: dict[str, list[dict[str, dict[str, object]]]] = {"counterfoil": [], "polars": []}
        for _ in range(a.rounds):
            for impl in runs:
                p = subprocess.run([sys.executable, __file__, "--run", impl, "--data", str(data)],
                                   capture_output=True, text=True, check=True)  # fmt: skip
                runs[impl].append(json.loads(p.stdout.strip().splitlines()[-1]))
    for task in ("attribute", "whatif"):
        for impl, rs in runs.items():
            r = sorted((x[task] for x in rs), key=lambda x: float(x["seconds"]))[len(rs) // 2]  # type: ignore[arg-type]
            print(f"{task:9} {impl:11} {r['seconds']:6.2f} s  +{r['above_mib']:.0f} MiB  total {r['total']}",
                  file=sys.stderr)  # fmt: skip
    print(f"billed token cost: {billed}", file=sys.stderr)


if __name__ == "__main__":
    main()
