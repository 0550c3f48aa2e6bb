"""Property: cf.price equals Decimal arithmetic done independently in Python from the card's frame."""

import datetime as dt
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

import counterfoil as cf

CARD = cf.RateCard.default()
RATES = CARD.to_frame().filter((pl.col("speed") == "standard") & (pl.col("context_window") != "200k-1M"))
DAY = dt.date(2026, 11, 2)
LIVE = (
    RATES.filter(
        (pl.col("valid_from") <= DAY)
        & (pl.col("valid_to").is_null() | (pl.col("valid_to") > DAY))
        & (pl.col("retired").is_null() | (pl.col("retired") > DAY))
    )
    .sort("model")
    .rows(named=True)
)
COLUMNS = {
    "uncached_input_tokens": "input",
    "cache_creation_5m_input_tokens": "cache_write_5m",
    "cache_creation_1h_input_tokens": "cache_write_1h",
    "cache_read_input_tokens": "cache_read",
    "output_tokens": "output",
}


@settings(max_examples=60, deadline=None)
@given(
    row=st.sampled_from(LIVE),
    tier=st.sampled_from(["standard", "batch"]),
    tokens=st.lists(st.integers(0, 50_000_000), min_size=5, max_size=5),
)
def test_price_matches_independent_decimal_arithmetic(row: dict, tier: str, tokens: list[int]) -> None:
    start = dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc)
    usage = pl.DataFrame(
        {
            "bucket_start": [start],
            "bucket_end": [start + dt.timedelta(days=1)],
            "workspace_id": [None],
            "api_key_id": [None],
            "model": [row["model"]],
            "service_tier": [tier],
            "context_window": ["0-200k"],
            "inference_geo": ["global" if row["geo_eligible"] else "not_available"],
            "speed": ["standard"],
            **{c: [n] for c, n in zip(COLUMNS, tokens, strict=True)},
            "web_search_requests": [0],
        },
        schema_overrides={"bucket_start": pl.Datetime("us", "UTC"), "bucket_end": pl.Datetime("us", "UTC")},
    )
    priced = cf.price(usage, CARD)
    factor = Decimal("0.5") if tier == "batch" else Decimal(1)
    want = sum(
        (Decimal(n) * row[card_col] * factor / 1_000_000 for n, card_col in zip(tokens, COLUMNS.values(), strict=True)),
        Decimal(0),
    )
    got = priced["expected_usd"].sum() if priced.height else Decimal(0)
    assert got == want
    assert priced.height == sum(1 for n in tokens if n > 0)
    assert priced["price_status"].to_list() == ["priced"] * priced.height
