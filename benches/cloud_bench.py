"""Benchmark: reading a month of CUR 2.0 with N rows, of which a tenth are Claude on Bedrock.

    python benches/cloud_bench.py --rows 10000000 --rounds 5

The export is generated once, shaped like AWS's (snake_case columns, `product` and
`resource_tags` as Parquet MAP<string,string>, hourly timestamps, 12-digit accounts, ARNs, rows in
no particular order, EC2/S3/CloudWatch rows around the Claude ones), and written to one Parquet
file. Each round, in one process per implementation (so peak memory is its own), in interleaved
order:
- counterfoil: `cf.read_cur(path)` — every Claude row as a `cloud_lines` row (tokens exact from
  MTok, billed as Decimal, model, scope, token type…), other rows counted and summed.
- duckdb: SQL reading the same file and filtering the same rows (`product['product_name'] LIKE
  'Claude % (Amazon Bedrock Edition)'`), selecting the columns a reader needs, cost as
  DECIMAL(38, 10), into an Arrow table (all cores) — filtering only: no parsing of usage types.
Both must agree on the Claude row count and Σ billed to the digit (checked).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

CLAUDE = [
    ("Claude Sonnet 4.6 (Amazon Bedrock Edition)", ["InputTokenCount", "OutputTokenCount", "CacheReadInputTokenCount",
                                                   "CacheWriteInputTokenCount"], 3.3),
    ("Claude Haiku 4.5 (Amazon Bedrock Edition)", ["InputTokenCount_Global", "OutputTokenCount_Global",
                                                  "CacheWrite1hInputTokenCount_Global"], 1.0),
    ("Claude Opus 4.8 (Amazon Bedrock Edition)", ["input_tokens_standard", "output_tokens_global_standard",
                                                 "cache_read_tokens_standard"], 5.5),
]  # fmt: skip
OTHER = [
    ("Amazon Elastic Compute Cloud", "BoxUsage:m5.large"),
    ("Amazon Simple Storage Service", "TimedStorage-ByteHrs"),
    ("AmazonCloudWatch", "CW:Requests"),
]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Written a million rows (one row group) at a time, so memory stays bounded."""
    import pyarrow.parquet as pq

    writer = None
    for part, start in enumerate(range(0, rows, 1_000_000)):
        table = chunk(min(1_000_000, rows - start), seed + part, start)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def chunk(rows: int, seed: int, first: int) -> pa.Table:
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    claude = rng.random(rows) < 0.1
    which = rng.integers(0, len(CLAUDE), rows)
    leg = rng.integers(0, 3, rows)
    other = rng.integers(0, len(OTHER), rows)
    hours = rng.integers(0, 30 * 24, rows)
    start = np.datetime64("2026-11-01T00:00:00", "us") + hours.astype("timedelta64[h]")
    tokens = rng.integers(1, 5_000_000, rows)
    names = np.where(claude, np.array([c[0] for c in CLAUDE])[which], np.array([o[0] for o in OTHER])[other])
    usage_type = np.where(
        claude,
        np.char.add("USE1-MP:USE1_", np.array([[c[1][i % len(c[1])] for i in range(3)] for c in CLAUDE])[which, leg]),
        np.array([o[1] for o in OTHER])[other],
    )
    usage_type = np.where(claude, np.char.add(usage_type, "-Units"), usage_type)
    amount = np.where(claude, tokens / 1e6, rng.random(rows) * 100)
    rate = np.array([c[2] for c in CLAUDE])[which]
    # Costs are decimal amounts of at most 10 places, as CUR writes them (tokens × rate / 10⁶ rounded).
    cost = np.where(claude, np.round(tokens * rate / 1e6, 10), np.round(rng.random(rows) * 3, 10))
    accounts = np.array(["111122223333", "444455556666", "777788889999"])[rng.integers(0, 3, rows)]
    keys = ["product_name", "region", "servicecode", "usagetype"]
    offsets = np.arange(0, (rows + 1) * len(keys), len(keys), dtype=np.int32)
    values = np.stack([names, np.full(rows, "us-east-1"), np.where(claude, "AmazonBedrock", "Other"), usage_type], 1)

    def one(x: object) -> pa.Array:
        arr = pa.array(x)
        return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr

    product = pa.MapArray.from_arrays(offsets, one(np.tile(keys, rows)), one(values.reshape(-1)))
    tag_offsets = np.arange(0, (rows + 1), 1, dtype=np.int32)
    tags = pa.MapArray.from_arrays(tag_offsets, one(np.full(rows, "user_team")), one(np.full(rows, "ml")))
    table = pa.table(
        {
            "bill_billing_entity": np.where(claude, "AWS Marketplace", "AWS"),
            "bill_payer_account_id": np.full(rows, "999988887777"),
            "identity_line_item_id": [f"{first + i:026x}" for i in rng.permutation(rows)],
            "line_item_usage_account_id": accounts,
            "line_item_line_item_type": np.full(rows, "Usage"),
            "line_item_usage_start_date": pa.array(start, pa.timestamp("us", "UTC")),
            "line_item_usage_end_date": pa.array(start + np.timedelta64(1, "h"), pa.timestamp("us", "UTC")),
            "line_item_product_code": np.where(claude, "prod4ezhkeia6k2cs", "AmazonEC2"),
            "line_item_usage_type": usage_type,
            "line_item_operation": np.full(rows, "Usage"),
            "line_item_resource_id": np.char.add(
                "arn:aws:bedrock:us-east-1:111122223333:inference-profile/x", which.astype(str)
            ),
            "line_item_usage_amount": amount,
            "line_item_unblended_cost": cost,
            "line_item_currency_code": np.full(rows, "USD"),
            "line_item_iam_principal": np.char.add("arn:aws:iam::111122223333:user/u", (hours % 50).astype(str)),
            "pricing_unit": np.where(claude, "Units", "Hrs"),
            "pricing_public_on_demand_cost": cost,
            "product": product,
            "resource_tags": tags,
        }
    )
    return table


def run_counterfoil(path: Path) -> dict[str, object]:
    import counterfoil as cf

    t = time.perf_counter()
    lines = cf.read_cur(path)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "rows": lines.height, "billed": str(lines["billed_usd"].sum())}


def run_duckdb(path: Path) -> dict[str, object]:
    import duckdb

    t = time.perf_counter()
    arrow = duckdb.sql(
        f"""select line_item_usage_account_id, bill_payer_account_id, line_item_usage_start_date,
                   line_item_usage_end_date, line_item_usage_type, line_item_usage_amount,
                   line_item_unblended_cost::decimal(38, 10) as billed, pricing_public_on_demand_cost,
                   line_item_line_item_type, line_item_iam_principal, product['product_name'] as product_name,
                   product['region'] as region, resource_tags
            from read_parquet('{path}')
            where product['product_name'] like 'Claude % (Amazon Bedrock Edition)'"""
    ).to_arrow_table()
    seconds = time.perf_counter() - t
    billed = duckdb.sql("select sum(billed) from arrow").fetchall()[0][0]
    return {"seconds": seconds, "rows": arrow.num_rows, "billed": str(billed.normalize())}


def peak_mib() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would carry the parent's across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def child(impl: str, path: str) -> None:
    out = {"counterfoil": run_counterfoil, "duckdb": run_duckdb}[impl](Path(path))
    out["peak_mib"] = peak_mib()
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--child", nargs=2)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    if a.child:
        return child(*a.child)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cur-00001.snappy.parquet"
        t = time.perf_counter()
        generate(path, a.rows)
        print(f"generated {a.rows:,} rows ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t:.1f} s")
        results: dict[str, list[dict[str, object]]] = {"counterfoil": [], "duckdb": []}
        for _ in range(a.rounds):
            for impl in results:
                p = subprocess.run(
                    [sys.executable, __file__, "--child", impl, str(path)], capture_output=True, text=True
                )
                if p.returncode != 0:
                    raise SystemExit(p.stderr)
                results[impl].append(json.loads(p.stdout.strip().splitlines()[-1]))
        cf_, db = results["counterfoil"][0], results["duckdb"][0]
        same = (cf_["rows"], Decimal(str(cf_["billed"]))) == (db["rows"], Decimal(str(db["billed"])))
        assert same, (cf_, db)
        summary = {
            impl: {
                "median_s": statistics.median(float(r["seconds"]) for r in rs),  # type: ignore[arg-type]
                "runs_s": [round(float(r["seconds"]), 3) for r in rs],  # type: ignore[arg-type]
                "peak_mib": statistics.median(float(r["peak_mib"]) for r in rs),  # type: ignore[arg-type]
            }
            for impl, rs in results.items()
        }
        summary["claude_rows"] = cf_["rows"]  # type: ignore[assignment]
        summary["at"] = datetime.now(UTC).isoformat(timespec="seconds")  # type: ignore[assignment]
        print(json.dumps(summary, indent=2))
        ratio = summary["duckdb"]["median_s"] / summary["counterfoil"]["median_s"]
        print(f"counterfoil {summary['counterfoil']['median_s']:.2f} s, duckdb {summary['duckdb']['median_s']:.2f} s: "
              f"{ratio:.2f}x")  # fmt: skip
        if a.json:
            a.json.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
