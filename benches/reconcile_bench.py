"""Benchmark: cf.reconcile on an N-row hourly usage frame against the peers a user would reach for.

    python benches/reconcile_bench.py --rows 10000000 --rounds 5 --shape realistic
    python benches/reconcile_bench.py --rows 10000000 --rounds 5 --shape compact

Two shapes of the same organization. `realistic` is what real data looks like: ids of the Admin
API's length and form (`wrkspc_01…`, `apikey_01…`: 33 characters, a prefix and a ULID), 20
workspaces and 100 API keys, rows in no particular order (shuffled, as a warehouse or a fleet's
output returns them). `compact` is the first benchmark's data: 12-byte ids (`wrkspc_a`,
`apikey_13`), 5 workspaces, 50 keys, rows sorted by hour — kinder than any real organization
(every id fits inline in an Arrow string view).

The inputs are generated once (usage, the matching cost report with 1% of lines bent, and the
rate table) and written to Parquet. Then, round after round, each implementation runs in its own
process (so its peak memory, ru_maxrss, is its own) on frames it has already loaded, in the same
interleaved order; the report gives the median seconds and the median peak per implementation.

Implementations (the baselines are written the way a competent user would):
- counterfoil: `cf.reconcile(usage, cost)`.
- duckdb: SQL on in-memory tables, aggregate to the day key first, then unpivot the five sums,
  exact DECIMAL, all cores.
- polars: Python-Polars written well: aggregate first, then unpivot, exact Decimal.
- polars_naive: unpivot the 10M rows first, then join and aggregate (the first version's baseline).
- pandas_float: pandas with float dollars (what a notebook does): fast-ish, not exact.
- pandas_decimal: pandas with `decimal.Decimal` objects: exact, slow.

Every exact implementation must agree with counterfoil on every status count and on both totals
to the last digit (checked); pandas_float must agree on the counts, and its totals' distance from
the exact ones is reported.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    import pandas as pd

KEY = ["date", "workspace_id", "model", "service_tier", "context_window", "inference_geo", "cost_type", "token_type"]
PRICE_KEY = ["date", "model", "service_tier", "context_window", "inference_geo", "speed"]
TOKENS = {
    "uncached_input_tokens": "uncached_input_tokens",
    "cache_creation_5m_input_tokens": "cache_creation.ephemeral_5m_input_tokens",
    "cache_creation_1h_input_tokens": "cache_creation.ephemeral_1h_input_tokens",
    "cache_read_input_tokens": "cache_read_input_tokens",
    "output_tokens": "output_tokens",
}
MODELS = [
    "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5-20251001",
    "claude-opus-4-6",
    "claude-sonnet-4-6",
    "claude-opus-4-8",
    "claude-sonnet-5",
    "claude-opus-5",
]
ELIGIBLE = {"claude-opus-4-6", "claude-sonnet-4-6", "claude-opus-4-8", "claude-sonnet-5", "claude-opus-5"}
START = datetime(2026, 8, 25, tzinfo=timezone.utc)  # every model above is live for 90 days
HOURS = 90 * 24
MONEY = pl.Decimal(38, 12)


def pick(values: list[str | None], idx: pl.Expr) -> pl.Expr:
    return idx.replace_strict(dict(enumerate(values)), return_dtype=pl.String)


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid_ids(prefix: str, n: int, seed: int) -> list[str]:
    """`n` ids of the Admin API's shape: `prefix` + a 26-character ULID (Crockford base32, a
    timestamp part starting `01J`), deterministic for `seed`."""
    import random

    rng = random.Random(seed)
    return [prefix + "01J" + "".join(rng.choice(CROCKFORD) for _ in range(23)) for _ in range(n)]


SHAPES = {
    # workspaces (None is the default workspace), API keys, shuffled
    "realistic": ([None, *ulid_ids("wrkspc_", 20, 1)], ulid_ids("apikey_", 100, 2), True),
    "compact": ([None, "wrkspc_a", "wrkspc_b", "wrkspc_c", "wrkspc_d"], [f"apikey_{k}" for k in range(50)], False),
}


def mix(i: pl.Expr, salt: int, n: int) -> pl.Expr:
    """An index in [0, n) that looks random in the row number `i` (a multiplicative hash)."""
    return ((i + salt) * 2654435761 % 4294967291) % n


def make_usage(n: int, shape: str = "compact") -> pl.DataFrame:
    workspaces, keys, shuffled = SHAPES[shape]
    per_hour = max(1, n // HOURS)
    i = pl.int_range(n, dtype=pl.Int64)
    h = (i * 2654435761) % 1_000_003
    if shape == "compact":  # the first benchmark's data, unchanged (every row is one model)
        model, workspace, key = (i * 7) % len(MODELS), (i * 3) % 5, (i * 13) % 50
        tier_i, long, us = (i * 11) % 20, (i * 17) % 25 == 0, (i * 19) % 10 == 0
    else:  # each key belongs to one workspace; the other dimensions independent of each other
        key = mix(i, 1, len(keys))
        model, workspace = mix(i, 2, len(MODELS)), key % len(workspaces)
        tier_i, long, us = mix(i, 3, 20), mix(i, 4, 25) == 0, mix(i, 5, 10) == 0
    df = pl.select(
        bucket_start=pl.lit(START) + pl.duration(hours=i // per_hour),
        workspace_id=pick(workspaces, workspace),
        api_key_id=pick(keys, key),
        model=pick(MODELS, model),
        tier_i=tier_i,
        long=long,
        us=us,
        uncached_input_tokens=h % 50_000,
        cache_creation_5m_input_tokens=pl.when(h % 3 == 0).then(h % 20_000).otherwise(0),
        cache_creation_1h_input_tokens=pl.when(h % 5 == 0).then(h % 40_000).otherwise(0),
        cache_read_input_tokens=(h * 7) % 200_000,
        output_tokens=h % 4_000 + 1,
        web_search_requests=pl.when(h % 9 == 0).then(h % 4).otherwise(0),
    )
    eligible = pl.col("model").is_in(list(ELIGIBLE))
    df = df.with_columns(
        bucket_end=pl.col("bucket_start") + pl.duration(hours=1),
        service_tier=pl.when(pl.col("tier_i") < 15)
        .then(pl.lit("standard"))
        .when(pl.col("tier_i") < 19)
        .then(pl.lit("batch"))
        .otherwise(pl.lit("priority")),
        context_window=pl.when(pl.col("long") & eligible).then(pl.lit("200k-1M")).otherwise(pl.lit("0-200k")),
        inference_geo=pl.when(~eligible)
        .then(pl.lit("not_available"))
        .when(pl.col("us"))
        .then(pl.lit("us"))
        .otherwise(pl.lit("global")),
        speed=pl.lit("standard"),
    ).select(
        "bucket_start",
        "bucket_end",
        "workspace_id",
        "api_key_id",
        "model",
        "service_tier",
        "context_window",
        "inference_geo",
        "speed",
        *TOKENS,
        "web_search_requests",
    )
    return df.sample(fraction=1.0, shuffle=True, seed=7) if shuffled else df


COST_SCHEMA = {
    "bucket_start": pl.Datetime("us", "UTC"),
    "bucket_end": pl.Datetime("us", "UTC"),
    "workspace_id": pl.String,
    "description": pl.String,
    "cost_type": pl.String,
    "model": pl.String,
    "service_tier": pl.String,
    "token_type": pl.String,
    "context_window": pl.String,
    "inference_geo": pl.String,
    "amount_usd": MONEY,
    "currency": pl.String,
}


def bill(usage: pl.DataFrame, bend_every: int | None = None) -> pl.DataFrame:
    """A cost report for `usage`: counterfoil's own expected amount per line (Priority left out,
    as the real report does), every `bend_every`-th line billed at 1.07 × (none when `None`)."""
    import counterfoil as cf

    lines = cf.reconcile(usage, pl.DataFrame(schema=COST_SCHEMA)).lines.filter(pl.col("status") == "missing_cost")
    bent = (pl.int_range(pl.len()) % bend_every) == 0 if bend_every else pl.lit(False)
    return lines.select(
        bucket_start=pl.col("date").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        bucket_end=(pl.col("date") + pl.duration(days=1)).cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        workspace_id="workspace_id",
        description=pl.lit("label"),
        cost_type="cost_type",
        model="model",
        service_tier="service_tier",
        token_type="token_type",
        context_window="context_window",
        inference_geo="inference_geo",
        amount_usd=pl.when(bent)
        .then(pl.col("expected_usd") * pl.lit(Decimal("1.07")))
        .otherwise("expected_usd")
        .cast(MONEY),
        currency=pl.lit("USD"),
    )


def rate_table(usage: pl.DataFrame) -> pl.DataFrame:
    """USD per token (exact Decimal) per price key and token type, from the bundled card."""
    import counterfoil as cf

    keys = usage.with_columns(date=pl.col("bucket_start").dt.date()).select(PRICE_KEY).unique()
    probe = keys.with_columns(
        bucket_start=pl.col("date").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        bucket_end=pl.col("date").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        workspace_id=pl.lit(None, pl.String),
        api_key_id=pl.lit(None, pl.String),
        **{t: pl.lit(1_000_000, pl.Int64) for t in TOKENS},
        web_search_requests=pl.lit(1, pl.Int64),
    )
    priced = cf.price(probe).with_columns(date=pl.col("bucket_start").dt.date())
    return priced.filter(pl.col("cost_type") == "tokens").select(
        *PRICE_KEY, "token_type", rate_per_token=(pl.col("expected_usd").cast(pl.Decimal(38, 18)) / 1_000_000)
    )


def make_inputs(n: int, out: Path, shape: str = "compact") -> None:
    usage = make_usage(n, shape)
    usage.write_parquet(out / "usage.parquet")
    bill(usage, bend_every=100).write_parquet(out / "cost.parquet")
    rate_table(usage).write_parquet(out / "rates.parquet")


# ---------------------------------------------------------------- implementations


def run_counterfoil(usage: pl.DataFrame, cost: pl.DataFrame, rates: pl.DataFrame) -> pl.DataFrame:
    import counterfoil as cf

    return cf.reconcile(usage, cost).lines.select(*KEY, "quantity", "expected_usd", "reported_usd", "status")


def status_expr() -> pl.Expr:
    both = pl.col("expected_usd").is_not_null() & pl.col("reported_usd").is_not_null()
    return (
        pl.when(pl.col("cost_type").is_in(["code_execution", "session_usage"]))
        .then(pl.lit("cost_only"))
        .when(pl.col("quantity").is_not_null() & pl.col("unpriced"))
        .then(pl.lit("unpriced"))
        .when(
            pl.col("quantity").is_not_null() & pl.col("reported_usd").is_null() & (pl.col("service_tier") == "priority")
        )
        .then(pl.lit("not_in_cost_report"))
        .when(pl.col("quantity").is_null())
        .then(pl.lit("missing_usage"))
        .when(pl.col("reported_usd").is_null())
        .then(pl.lit("missing_cost"))
        .when(both & ((pl.col("reported_usd") - pl.col("expected_usd")).abs() <= Decimal("0.01")))
        .then(pl.lit("match"))
        .otherwise(pl.lit("mismatch"))
    )


def run_duckdb(con: object, _cost: object = None, _rates: object = None) -> pl.DataFrame:
    """DuckDB SQL, aggregate first: 10M rows → day keys, then unpivot the five sums, price, join."""
    key = ", ".join(KEY)
    nk = " AND ".join(f"l.{k} IS NOT DISTINCT FROM r.{k}" for k in KEY)
    sql = f"""
    WITH u AS (
      SELECT CAST(bucket_start AS DATE) AS date, workspace_id, model, service_tier, context_window,
             inference_geo, speed,
             SUM(uncached_input_tokens) AS uncached_input_tokens,
             SUM(cache_creation_5m_input_tokens) AS cache_creation_5m_input_tokens,
             SUM(cache_creation_1h_input_tokens) AS cache_creation_1h_input_tokens,
             SUM(cache_read_input_tokens) AS cache_read_input_tokens,
             SUM(output_tokens) AS output_tokens,
             SUM(web_search_requests) AS web_search_requests
      FROM usage GROUP BY ALL
    ), long AS (
      SELECT * FROM (UNPIVOT u ON uncached_input_tokens, cache_creation_5m_input_tokens,
        cache_creation_1h_input_tokens, cache_read_input_tokens, output_tokens
        INTO NAME col VALUE quantity) WHERE quantity > 0
    ), priced AS (
      SELECT l.date, l.workspace_id, l.model, l.service_tier, l.context_window, l.inference_geo,
             'tokens' AS cost_type, t.token_type, l.quantity,
             CAST(l.quantity AS DECIMAL(38, 0)) * r.rate_per_token AS expected, r.rate_per_token IS NULL AS unpriced
      FROM long l JOIN tt t ON t.col = l.col
      LEFT JOIN rates r ON r.date = l.date AND r.model = l.model AND r.service_tier = l.service_tier
        AND r.context_window = l.context_window AND r.inference_geo = l.inference_geo
        AND r.speed = l.speed AND r.token_type = t.token_type
    ), tokens AS (
      SELECT {key}, SUM(quantity) AS quantity,
             CASE WHEN bool_or(unpriced) THEN NULL ELSE CAST(SUM(expected) AS DECIMAL(38, 12)) END AS expected_usd,
             bool_or(unpriced) AS unpriced
      FROM priced GROUP BY ALL
    ), web AS (
      SELECT date, workspace_id, NULL::VARCHAR AS model, NULL::VARCHAR AS service_tier,
             NULL::VARCHAR AS context_window, NULL::VARCHAR AS inference_geo, 'web_search' AS cost_type,
             NULL::VARCHAR AS token_type, SUM(web_search_requests) AS quantity,
             CAST(SUM(web_search_requests) * 0.01 AS DECIMAL(38, 12)) AS expected_usd, false AS unpriced
      FROM u WHERE web_search_requests > 0 GROUP BY ALL
    ), usage_lines AS (SELECT * FROM tokens UNION ALL SELECT * FROM web),
    reported AS (
      SELECT CAST(bucket_start AS DATE) AS date, workspace_id, model, service_tier, context_window,
             inference_geo, cost_type, token_type, CAST(SUM(amount_usd) AS DECIMAL(38, 12)) AS reported_usd
      FROM cost GROUP BY ALL
    )
    SELECT {", ".join(f"coalesce(l.{k}, r.{k}) AS {k}" for k in KEY)}, l.quantity, l.expected_usd,
           r.reported_usd,
           CASE WHEN coalesce(l.cost_type, r.cost_type) IN ('code_execution', 'session_usage') THEN 'cost_only'
                WHEN l.quantity IS NOT NULL AND l.unpriced THEN 'unpriced'
                WHEN l.quantity IS NOT NULL AND r.reported_usd IS NULL AND l.service_tier = 'priority'
                  THEN 'not_in_cost_report'
                WHEN l.quantity IS NULL THEN 'missing_usage'
                WHEN r.reported_usd IS NULL THEN 'missing_cost'
                WHEN abs(r.reported_usd - l.expected_usd) <= 0.01 THEN 'match'
                ELSE 'mismatch' END AS status
    FROM usage_lines l FULL OUTER JOIN reported r ON {nk}
    """
    return con.sql(sql).pl()  # type: ignore[attr-defined]


def run_polars(usage: pl.DataFrame, cost: pl.DataFrame, rates: pl.DataFrame) -> pl.DataFrame:
    """Polars written well: aggregate the hourly rows to the day key first, then unpivot the five
    sums, join the rates, compute exact Decimal amounts, and meet the cost report."""
    dims = ["date", "workspace_id", "model", "service_tier", "context_window", "inference_geo", "speed"]
    u = (
        usage.lazy()
        .group_by(pl.col("bucket_start").dt.date().alias("date"), *dims[1:])
        .agg(pl.col(*TOKENS, "web_search_requests").sum())
    )
    long = (
        u.unpivot(index=dims, on=list(TOKENS), variable_name="column", value_name="quantity")
        .filter(pl.col("quantity") > 0)
        .with_columns(token_type=pl.col("column").replace_strict(TOKENS), cost_type=pl.lit("tokens"))
        .join(rates.lazy(), on=[*PRICE_KEY, "token_type"], how="left", nulls_equal=True)
        .with_columns(expected_usd=(pl.col("quantity").cast(pl.Decimal(38, 0)) * pl.col("rate_per_token")))
    )
    tokens = long.group_by(KEY).agg(
        pl.col("quantity").sum(),
        pl.col("expected_usd").sum().cast(MONEY),
        unpriced=pl.col("rate_per_token").is_null().any(),
    )
    web = (
        u.filter(pl.col("web_search_requests") > 0)
        .group_by("date", "workspace_id")
        .agg(quantity=pl.col("web_search_requests").sum())
        .with_columns(
            model=pl.lit(None, pl.String),
            service_tier=pl.lit(None, pl.String),
            context_window=pl.lit(None, pl.String),
            inference_geo=pl.lit(None, pl.String),
            cost_type=pl.lit("web_search"),
            token_type=pl.lit(None, pl.String),
            expected_usd=(pl.col("quantity").cast(pl.Decimal(38, 0)) * Decimal("0.01")).cast(MONEY),
            unpriced=pl.lit(False),
        )
        .select(*KEY, "quantity", "expected_usd", "unpriced")
    )
    reported = (
        cost.lazy()
        .with_columns(date=pl.col("bucket_start").dt.date())
        .group_by(KEY)
        .agg(reported_usd=pl.col("amount_usd").sum().cast(MONEY))
    )
    tokens = tokens.with_columns(expected_usd=pl.when(pl.col("unpriced")).then(None).otherwise("expected_usd"))
    lines = pl.concat([tokens.select(*KEY, "quantity", "expected_usd", "unpriced"), web]).join(
        reported, on=KEY, how="full", nulls_equal=True, coalesce=True
    )
    return (
        lines.with_columns(status=status_expr()).select(*KEY, "quantity", "expected_usd", "reported_usd", "status")
    ).collect()


def run_polars_naive(usage: pl.DataFrame, cost: pl.DataFrame, rates: pl.DataFrame) -> pl.DataFrame:
    """Straightforward Polars: melt every token column, join rates, compute, then aggregate."""
    dims = ["date", "workspace_id", "model", "service_tier", "context_window", "inference_geo", "speed"]
    u = usage.with_columns(date=pl.col("bucket_start").dt.date())
    long = (
        u.unpivot(index=dims, on=list(TOKENS), variable_name="column", value_name="quantity")
        .filter(pl.col("quantity") > 0)
        .with_columns(token_type=pl.col("column").replace_strict(TOKENS), cost_type=pl.lit("tokens"))
        .join(rates, on=[*PRICE_KEY, "token_type"], how="left", nulls_equal=True)
        .with_columns(expected_usd=(pl.col("quantity").cast(pl.Decimal(38, 0)) * pl.col("rate_per_token")))
    )
    tokens = long.group_by(KEY).agg(
        pl.col("quantity").sum(),
        pl.col("expected_usd").sum().cast(MONEY),
        unpriced=pl.col("rate_per_token").is_null().any(),
    )
    web = (
        u.filter(pl.col("web_search_requests") > 0)
        .group_by("date", "workspace_id")
        .agg(quantity=pl.col("web_search_requests").sum())
        .with_columns(
            model=pl.lit(None, pl.String),
            service_tier=pl.lit(None, pl.String),
            context_window=pl.lit(None, pl.String),
            inference_geo=pl.lit(None, pl.String),
            cost_type=pl.lit("web_search"),
            token_type=pl.lit(None, pl.String),
            expected_usd=(pl.col("quantity").cast(pl.Decimal(38, 0)) * Decimal("0.01")).cast(MONEY),
            unpriced=pl.lit(False),
        )
        .select(tokens.columns)
    )
    reported = (
        cost.with_columns(date=pl.col("bucket_start").dt.date())
        .group_by(KEY)
        .agg(reported_usd=pl.col("amount_usd").sum().cast(MONEY))
    )
    tokens = tokens.with_columns(expected_usd=pl.when(pl.col("unpriced")).then(None).otherwise("expected_usd"))
    lines = pl.concat([tokens, web]).join(reported, on=KEY, how="full", nulls_equal=True, coalesce=True)
    return lines.with_columns(status=status_expr()).select(*KEY, "quantity", "expected_usd", "reported_usd", "status")


def run_pandas_float(u: pd.DataFrame, c: pd.DataFrame, r: pd.DataFrame) -> pd.DataFrame:
    """pandas as a notebook writes it: aggregate first, dollars as float64."""
    import pandas as pd

    u["date"] = u["bucket_start"].dt.tz_convert(None).dt.normalize()
    r["date"] = pd.to_datetime(r["date"])
    r["rate_per_token"] = r["rate_per_token"].astype(float)
    c["amount_usd"] = c["amount_usd"].astype(float)
    dims = ["date", "workspace_id", "model", "service_tier", "context_window", "inference_geo", "speed"]
    agg = u.groupby(dims, dropna=False)[[*TOKENS, "web_search_requests"]].sum().reset_index()
    long = agg.melt(id_vars=dims, value_vars=list(TOKENS), var_name="column", value_name="quantity")
    long = long[long["quantity"] > 0]
    long["token_type"] = long["column"].map(TOKENS)
    long["cost_type"] = "tokens"
    long = long.merge(r, on=[*PRICE_KEY, "token_type"], how="left")
    long["expected_usd"] = long["quantity"] * long["rate_per_token"]
    long["unpriced"] = long["rate_per_token"].isna()
    tokens = long.groupby(KEY, dropna=False).agg(
        quantity=("quantity", "sum"), expected_usd=("expected_usd", "sum"), unpriced=("unpriced", "any")
    )
    w = agg[agg["web_search_requests"] > 0].groupby(["date", "workspace_id"], dropna=False)["web_search_requests"]
    web = w.sum().rename("quantity").reset_index()
    for col in ["model", "service_tier", "context_window", "inference_geo", "token_type"]:
        web[col] = None
    web["cost_type"] = "web_search"
    web["expected_usd"] = web["quantity"] * 0.01
    web["unpriced"] = False
    c["date"] = c["bucket_start"].dt.tz_convert(None).dt.normalize()
    reported = c.groupby(KEY, dropna=False)["amount_usd"].sum().rename("reported_usd").reset_index()
    lines = pd.concat([tokens.reset_index(), web[tokens.reset_index().columns]])
    lines = lines.merge(reported, on=KEY, how="outer")
    return _pandas_status(lines)


def _pandas_status(lines: pd.DataFrame) -> pd.DataFrame:
    delta = (lines["reported_usd"] - lines["expected_usd"]).abs()
    lines["status"] = "match"
    lines.loc[lines["quantity"].isna(), "status"] = "missing_usage"
    lines.loc[lines["reported_usd"].isna() & lines["quantity"].notna(), "status"] = "missing_cost"
    lines.loc[lines["reported_usd"].isna() & (lines["service_tier"] == "priority"), "status"] = "not_in_cost_report"
    both = lines["reported_usd"].notna() & lines["quantity"].notna()
    lines.loc[both & (delta > 0.01 if delta.dtype == float else delta > Decimal("0.01")), "status"] = "mismatch"
    unpriced = lines["quantity"].notna() & lines["unpriced"].fillna(False).astype(bool)
    lines.loc[unpriced, "status"] = "unpriced"
    lines.loc[unpriced, "expected_usd"] = None
    return lines[[*KEY, "quantity", "expected_usd", "reported_usd", "status"]]


def run_pandas_decimal(u: pd.DataFrame, c: pd.DataFrame, r: pd.DataFrame) -> pd.DataFrame:
    """Straightforward pandas: melt first, money as exact decimal.Decimal objects."""
    import pandas as pd

    u["date"] = u["bucket_start"].dt.tz_convert(None).dt.normalize()
    r["date"] = pd.to_datetime(r["date"])
    dims = ["date", "workspace_id", "model", "service_tier", "context_window", "inference_geo", "speed"]
    long = u.melt(id_vars=dims, value_vars=list(TOKENS), var_name="column", value_name="quantity")
    long = long[long["quantity"] > 0]
    long["token_type"] = long["column"].map(TOKENS)
    long["cost_type"] = "tokens"
    long = long.merge(r, on=[*PRICE_KEY, "token_type"], how="left")
    long["expected_usd"] = long["quantity"].astype(object) * long["rate_per_token"]
    long["unpriced"] = long["rate_per_token"].isna()
    tokens = long.groupby(KEY, dropna=False).agg(
        quantity=("quantity", "sum"), expected_usd=("expected_usd", "sum"), unpriced=("unpriced", "any")
    )
    w = u[u["web_search_requests"] > 0].groupby(["date", "workspace_id"], dropna=False)["web_search_requests"].sum()
    web = w.rename("quantity").reset_index()
    for col in ["model", "service_tier", "context_window", "inference_geo", "token_type"]:
        web[col] = None
    web["cost_type"] = "web_search"
    web["expected_usd"] = web["quantity"].astype(object) * Decimal("0.01")
    web["unpriced"] = False
    c["date"] = c["bucket_start"].dt.tz_convert(None).dt.normalize()
    reported = c.groupby(KEY, dropna=False)["amount_usd"].sum().rename("reported_usd").reset_index()
    lines = pd.concat([tokens.reset_index(), web[tokens.reset_index().columns]])
    lines = lines.merge(reported, on=KEY, how="outer")
    return _pandas_status(lines)


def pandas_to_polars(lines: pd.DataFrame) -> pl.DataFrame:
    lines["date"] = lines["date"].dt.date
    out = lines.astype({"quantity": "Int64"})
    if out["expected_usd"].dtype == float or out["reported_usd"].dtype == float:
        return pl.from_pandas(out)
    return pl.from_pandas(out, schema_overrides={"expected_usd": MONEY, "reported_usd": MONEY})


IMPLS = {
    "counterfoil": run_counterfoil,
    "duckdb": run_duckdb,
    "polars": run_polars,
    "polars_naive": run_polars_naive,
    "pandas_float": run_pandas_float,
    "pandas_decimal": run_pandas_decimal,
}
EXACT = {"counterfoil", "duckdb", "polars", "polars_naive", "pandas_decimal"}


def load(impl: str, data: Path) -> list[object]:
    """The inputs as each library holds them in memory before it starts."""
    if impl.startswith("pandas"):
        import pandas as pd

        return [pd.read_parquet(data / f"{n}.parquet") for n in ("usage", "cost", "rates")]
    if impl == "duckdb":
        import duckdb

        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        for n in ("usage", "cost", "rates"):
            con.execute(f"CREATE TABLE {n} AS SELECT * FROM read_parquet('{data / n}.parquet')")
        con.execute(
            "CREATE TABLE tt AS SELECT * FROM (VALUES "
            + ", ".join(f"('{k}', '{v}')" for k, v in TOKENS.items())
            + ") t(col, token_type)"
        )
        return [con]
    return [pl.read_parquet(data / f"{n}.parquet") for n in ("usage", "cost", "rates")]


def rss_kib(field: str) -> int:
    """`VmRSS` (now) or `VmHWM` (peak since the last reset) of this process, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak() -> None:
    """Resets VmHWM to the current RSS (Linux ≥ 4.0), so the peak is the call's own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def measure(impl: str, data: Path) -> None:
    """In a child process: load (each library reads the Parquet itself), run once, report the
    seconds of the reconciliation alone, the peak RSS and the result's totals."""
    frames = load(impl, data)
    loaded = rss_kib("VmRSS")
    reset_peak()
    t0 = time.perf_counter()
    lines = IMPLS[impl](*frames)
    seconds = time.perf_counter() - t0
    peak = rss_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if impl.startswith("pandas"):
        lines = pandas_to_polars(lines)  # type: ignore[arg-type]
    counts = dict(sorted(lines.group_by("status").len().iter_rows()))
    totals = lines.select(
        pl.col("expected_usd").sum().cast(pl.String), pl.col("reported_usd").sum().cast(pl.String)
    ).row(0)
    assert isinstance(lines, pl.DataFrame)
    print(
        json.dumps(
            {
                "impl": impl,
                "seconds": seconds,
                "peak_rss_mib": peak / 1024,
                "loaded_rss_mib": loaded / 1024,
                "lines": lines.height,
                "counts": counts,
                "totals": totals,
            }
        )
    )


def measure_in_child(script: str, what: str, data: Path) -> dict[str, object]:
    """Runs `script --measure WHAT --data DATA` in a fresh process; its last line of JSON."""
    p = subprocess.run(
        [sys.executable, script, "--measure", what, "--data", str(data)], capture_output=True, text=True, check=False
    )
    if p.returncode != 0:
        raise SystemExit(f"{what} failed:\n{p.stderr}")
    result: dict[str, object] = json.loads(p.stdout.strip().splitlines()[-1])
    return result


def median(xs: list[float]) -> float:
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--impls", default=",".join(IMPLS))
    ap.add_argument("--shape", choices=sorted(SHAPES), default="realistic")
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.measure:
        measure(a.measure, a.data)
        return
    impls = a.impls.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        t0 = time.perf_counter()
        make_inputs(a.rows, data, a.shape)
        print(f"generated {a.rows:,} usage rows ({a.shape}) in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        runs: dict[str, list[dict[str, object]]] = {i: [] for i in impls}
        for round_ in range(a.rounds):
            for impl in impls:
                r = measure_in_child(__file__, impl, data)
                runs[impl].append(r)
                print(
                    f"round {round_ + 1}: {impl:15} {r['seconds']:7.2f} s  peak {r['peak_rss_mib']:7.0f} MiB",
                    file=sys.stderr,
                )
    base = runs["counterfoil"][0] if "counterfoil" in runs else None
    summary = {}
    for impl, rs in runs.items():
        for r in rs:
            if base:
                assert r["counts"] == base["counts"], (impl, r["counts"], base["counts"])
                if impl in EXACT:
                    assert [Decimal(x) for x in r["totals"]] == [Decimal(x) for x in base["totals"]], (
                        impl,
                        r["totals"],
                    )
        s = {
            "median_s": median([float(r["seconds"]) for r in rs]),  # type: ignore[arg-type]
            "median_peak_mib": median([float(r["peak_rss_mib"]) for r in rs]),  # type: ignore[arg-type]
            "median_loaded_mib": median([float(r["loaded_rss_mib"]) for r in rs]),  # type: ignore[arg-type]
            "runs": len(rs),
            "lines": rs[0]["lines"],
            "exact": impl in EXACT,
        }
        if base and impl not in EXACT:
            pairs = zip(rs[0]["totals"], base["totals"], strict=True)  # type: ignore[call-overload]
            s["totals_off_by"] = [str(Decimal(str(x)) - Decimal(y)) for x, y in pairs]
        summary[impl] = s
    print("\nmedians:", file=sys.stderr)
    ref = summary.get("counterfoil")
    for impl, s in summary.items():
        ratio = f"  {s['median_s'] / ref['median_s']:5.2f}x counterfoil's time" if ref and impl != "counterfoil" else ""
        print(
            f"{impl:15} {s['median_s']:7.2f} s  peak {s['median_peak_mib']:7.0f} MiB "
            f"(+{s['median_peak_mib'] - s['median_loaded_mib']:.0f} above its inputs in memory){ratio}",
            file=sys.stderr,
        )
    print(json.dumps({"rows": a.rows, "rounds": a.rounds, "shape": a.shape, "summary": summary}, indent=2))


if __name__ == "__main__":
    main()
