"""Frames cross into Python with their exact dtypes: Decimal(38, 12) USD and UTC datetimes."""

import datetime as dt
from decimal import Decimal

import polars as pl

import counterfoil as cf

USAGE = [
    "bucket_start",
    "bucket_end",
    "workspace_id",
    "api_key_id",
    "model",
    "service_tier",
    "context_window",
    "inference_geo",
    "speed",
    "uncached_input_tokens",
    "cache_creation_5m_input_tokens",
    "cache_creation_1h_input_tokens",
    "cache_read_input_tokens",
    "output_tokens",
    "web_search_requests",
]
COST = [
    "bucket_start",
    "bucket_end",
    "workspace_id",
    "description",
    "cost_type",
    "model",
    "service_tier",
    "token_type",
    "context_window",
    "inference_geo",
    "amount_usd",
    "currency",
]
UTC = pl.Datetime("us", "UTC")


def test_usage_frame_columns_and_dtypes(client: cf.AdminClient, org: cf.simulate.Organization) -> None:
    start, end = org.window
    usage = client.usage(start, end, bucket_width="1h")
    assert isinstance(usage, pl.DataFrame)
    assert usage.columns[: len(USAGE)] == USAGE
    assert usage.schema["bucket_start"] == UTC
    assert usage.schema["output_tokens"] == pl.Int64
    first = usage.row(0, named=True)
    assert first["bucket_start"].tzinfo is not None
    assert first["bucket_start"].utcoffset() == dt.timedelta(0)
    # Totals equal the organization's ground truth, token for token.
    truth = org.usage_records()
    for c in ["uncached_input_tokens", "cache_read_input_tokens", "output_tokens", "web_search_requests"]:
        assert usage[c].sum() == truth[c].sum()


def test_cost_frame_is_exact_decimal_usd(client: cf.AdminClient, org: cf.simulate.Organization) -> None:
    start, end = org.window
    cost = client.cost(start, end)
    assert cost.columns == COST
    assert cost.schema["amount_usd"] == pl.Decimal(38, 12)
    assert cost.schema["bucket_start"] == UTC
    value = cost["amount_usd"][0]
    assert isinstance(value, Decimal)
    truth = org.cost_lines()
    assert truth["amount_usd"].sum() == cost["amount_usd"].sum()
    assert cost["currency"].unique().to_list() == ["USD"]
    # The default workspace is a null workspace_id.
    assert cost["workspace_id"].null_count() > 0


def test_dates_and_datetimes_are_accepted(client: cf.AdminClient) -> None:
    a = client.cost(dt.date(2026, 11, 15), dt.date(2026, 11, 17))
    b = client.cost("2026-11-15", dt.datetime(2026, 11, 17, tzinfo=dt.timezone.utc))
    assert a.equals(b)
    assert a["bucket_start"].dt.date().unique().sort().to_list() == [
        dt.date(2026, 11, 15),
        dt.date(2026, 11, 16),
    ]


def test_labels(client: cf.AdminClient) -> None:
    ws = client.workspaces()
    assert "Production" in ws["name"].to_list()
    assert ws["archived_at"].null_count() == ws.height - 1
    keys = client.api_keys()
    assert set(keys["status"]) >= {"active", "archived"}
    assert client.organization()["type"] == "organization"


def test_rate_card_frame() -> None:
    card = cf.RateCard.default()
    df = card.to_frame()
    assert df.schema["input"] == pl.Decimal(38, 12)
    row = df.filter(pl.col("model") == "claude-opus-4-1-20250805").row(0, named=True)
    assert row["cache_write_1h"] == Decimal("30")  # 2x input, never the 5m rate
    assert row["cache_write_5m"] == Decimal("18.75")
