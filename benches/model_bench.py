"""Benchmark: cost modeling over a year of hourly usage (~10M rows) against straightforward Polars.

    python benches/model_bench.py --rows 10000000 --shape realistic
    python benches/model_bench.py --rows 10000000 --shape compact

Shapes: `realistic` is reconcile_bench's (ids of the Admin API's length, 20 workspaces, 100 API
keys each in one workspace, 7 models, shuffled rows, 90 days); `compact` is a year of hourly rows
sorted by hour with 12-byte ids, 5 workspaces and 50 keys (store_bench's year).

- attribution: the billed USD of every token line split over the API keys behind it by largest
  remainder in units of 10⁻¹² USD, ties to the earlier key (counterfoil: `cf.attribute`; Polars:
  the same split written in Polars with Int128 mantissas — floor of each share, then one unit
  each to the largest remainders — so both give the same amount on every row, checked per key);
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
from reconcile_bench import TOKENS, bill, make_usage, rate_table, reset_peak, rss_kib
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


UNIT = 10**12  # mantissa units per USD (Decimal(38, 12))
ONE_UNIT = pl.lit(Decimal("0.000000000001"))


def polars_attribute(usage: pl.DataFrame, cost: pl.DataFrame, rates: pl.DataFrame) -> pl.DataFrame:
    """counterfoil's attribution of token lines, in Polars: per (line, key) the expected USD is the
    weight; each key gets floor(billed × w / W) units and the units left over go one each to the
    largest remainders (ties to the earlier key, as `model::allocate` does)."""
    weights = (
        polars_long(usage, rates, by_key=True)
        .group_by([*KEY, "api_key_id"])
        .agg(w=(pl.col("expected").sum() * UNIT).cast(pl.Int128))
    )
    billed = (
        cost.lazy()
        .filter(pl.col("cost_type") == "tokens")
        .group_by(pl.col("bucket_start").dt.date().alias("date"), *KEY[1:])
        .agg(r=(pl.col("amount_usd").sum() * UNIT).cast(pl.Int128))
    )
    line = pl.struct(KEY)
    return (
        weights.join(billed, on=KEY, nulls_equal=True)
        .sort([*KEY, "api_key_id"], nulls_last=False)
        .with_columns(big_w=pl.col("w").sum().over(line))
        .with_columns(q=pl.col("r") // pl.col("big_w"), rm=pl.col("r") % pl.col("big_w"))
        .with_columns(
            part=pl.col("q") * pl.col("w") + pl.col("rm") * pl.col("w") // pl.col("big_w"),
            rem=pl.col("rm") * pl.col("w") % pl.col("big_w"),
        )
        .with_columns(
            left=pl.col("r") - pl.col("part").sum().over(line),
            rank=pl.col("rem").rank("ordinal", descending=True).over(line),
        )
        .with_columns(allocated=pl.col("part") + (pl.col("rank") <= pl.col("left")).cast(pl.Int128))
        .select(*KEY, "api_key_id", allocated_usd=(pl.col("allocated").cast(pl.Decimal(38, 0)) * ONE_UNIT).cast(MONEY))
        .collect()
    )


def per_key(df: pl.DataFrame) -> dict[str, str]:
    """Allocated USD per API key, as exact strings (what both implementations must agree on)."""
    sums = df.group_by("api_key_id").agg(pl.col("allocated_usd").sum().cast(pl.String)).sort("api_key_id")
    return dict(sums.iter_rows())  # type: ignore[arg-type]


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
            df = cf.attribute(usage, cost).filter(
                pl.col("cost_type") == "tokens", pl.col("allocated_usd").is_not_null()
            )
            total = df.select(pl.col("allocated_usd").sum()).item()
        elif impl == "counterfoil":
            df = cf.whatif(usage, cf.Scenario(batch_share=1), by=["model"])
            total = df.select(pl.col("scenario_usd").sum()).item()
        elif task == "attribute":
            df = polars_attribute(usage, cost, rates)
            total = df.select(pl.col("allocated_usd").sum()).item()
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
        if task == "attribute":
            out[task]["per_key"] = per_key(df)  # type: ignore[index]
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--shape", choices=["realistic", "compact"], default="realistic")
    ap.add_argument("--run", help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.run:
        run(a.run, a.data)
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        if a.shape == "compact":
            usage, cost = year_frames(a.rows)
        else:
            usage = make_usage(a.rows, "realistic")
            cost = bill(usage)
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
    reference = runs["counterfoil"][0]["attribute"]
    for impl, rs in runs.items():
        for x in rs:
            assert x["attribute"]["per_key"] == reference["per_key"], f"{impl}: another split per key"
            assert Decimal(str(x["attribute"]["total"])) == Decimal(str(billed)), f"{impl}: not the bill"
            assert x["whatif"]["total"] == runs["counterfoil"][0]["whatif"]["total"], f"{impl}: another scenario"
    summary: dict[str, dict[str, object]] = {}
    for task in ("attribute", "whatif"):
        for impl, rs in runs.items():
            for i, x in enumerate(rs):
                print(f"round {i + 1}: {task:9} {impl:11} {x[task]['seconds']:6.2f} s", file=sys.stderr)
            r = sorted((x[task] for x in rs), key=lambda x: float(x["seconds"]))[len(rs) // 2]  # type: ignore[arg-type]
            summary[f"{task}/{impl}"] = {"median_s": r["seconds"], "above_mib": r["above_mib"], "total": r["total"]}
            print(f"{task:9} {impl:11} {r['seconds']:6.2f} s  +{r['above_mib']:.0f} MiB  total {r['total']}",
                  file=sys.stderr)  # fmt: skip
    print(f"billed token cost: {billed}; every run split it the same way per key", file=sys.stderr)
    print(json.dumps({"rows": a.rows, "rounds": a.rounds, "shape": a.shape, "summary": summary}, indent=2))


if __name__ == "__main__":
    main()
