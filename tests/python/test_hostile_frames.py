"""Frames of every wrong kind: each is an InputError naming the column (and row), never a zero,
a truncation, a PanicException or a Polars query plan. Frames in any unit, zone, order or
chunking give the same lines as the API's own frames."""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import counterfoil as cf

TODAY = dt.date(2026, 11, 20)
KEY = ["date", "workspace_id", "model", "service_tier", "context_window", "inference_geo", "cost_type", "token_type"]


@pytest.fixture(scope="module")
def frames() -> tuple[pl.DataFrame, pl.DataFrame, tuple[dt.datetime, dt.datetime]]:
    org = cf.simulate.Organization(seed=21, days=4, today=TODAY, plants="all")
    with cf.FakeAdminApi(org) as api:
        client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url)
        start, end = org.window
        return client.usage(start, end, bucket_width="1h"), client.cost(start, end), (start, end)


@pytest.fixture(scope="module")
def base(frames: tuple[pl.DataFrame, pl.DataFrame, tuple[dt.datetime, dt.datetime]]) -> cf.Reconciliation:
    usage, cost, (start, end) = frames
    return cf.reconcile(usage, cost, start=start, end=end)


U = Callable[[pl.DataFrame], pl.DataFrame]

# (name, change to usage, change to cost, words the message must contain)
BAD: list[tuple[str, U, U, list[str]]] = [
    (
        "null count",
        lambda u: u.with_columns(
            pl.when(pl.int_range(pl.len()) == 3).then(None).otherwise(pl.col("output_tokens")).alias("output_tokens")
        ),
        lambda c: c,
        ['"output_tokens"', "null in row 3", "never read as 0"],
    ),
    (
        "negative count",
        lambda u: u.with_columns(
            pl.when(pl.int_range(pl.len()) == 2)
            .then(-7)
            .otherwise(pl.col("uncached_input_tokens"))
            .alias("uncached_input_tokens")
        ),
        lambda c: c,
        ['"uncached_input_tokens"', "negative (-7) in row 2"],
    ),
    (
        "float count",
        lambda u: u.with_columns(pl.col("output_tokens").cast(pl.Float64)),
        lambda c: c,
        ['"output_tokens"', "integers"],
    ),
    (
        "string count",
        lambda u: u.with_columns(pl.col("output_tokens").cast(pl.String)),
        lambda c: c,
        ['"output_tokens"', "integers"],
    ),
    (
        "count beyond Int64",
        lambda u: u.with_columns(
            pl.when(pl.int_range(pl.len()) == 1)
            .then(pl.lit(2**63, pl.UInt64))
            .otherwise(pl.col("output_tokens").cast(pl.UInt64))
            .alias("output_tokens")
        ),
        lambda c: c,
        ['"output_tokens"', "beyond Int64 in row 1"],
    ),
    (
        "missing count column",
        lambda u: u.drop("cache_read_input_tokens"),
        lambda c: c,
        ['"cache_read_input_tokens"', "never assumed to be 0"],
    ),
    (
        "naive timestamps",
        lambda u: u.with_columns(pl.col("bucket_start").dt.replace_time_zone(None)),
        lambda c: c,
        ['"bucket_start"', "naive"],
    ),
    (
        "string timestamps",
        lambda u: u.with_columns(pl.col("bucket_start").cast(pl.String)),
        lambda c: c,
        ['"bucket_start"', "time zone"],
    ),
    (
        "null timestamp",
        lambda u: u.with_columns(
            pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise(pl.col("bucket_start")).alias("bucket_start")
        ),
        lambda c: c,
        ['"bucket_start"', "null in row 0"],
    ),
    (
        "integer dimension",
        lambda u: u.with_columns(pl.lit(1).alias("model")),
        lambda c: c,
        ['"model"', "expected String"],
    ),
    (
        "float money",
        lambda u: u,
        lambda c: c.with_columns(pl.col("amount_usd").cast(pl.Float64)),
        ['"amount_usd"', "float cannot hold money"],
    ),
    (
        "string money",
        lambda u: u,
        lambda c: c.with_columns(pl.col("amount_usd").cast(pl.String)),
        ['"amount_usd"', "Decimal"],
    ),
    (
        "integer money",
        lambda u: u,
        lambda c: c.with_columns(pl.lit(5).alias("amount_usd")),
        ['"amount_usd"', "Decimal"],
    ),
    (
        "money beyond 12 decimals",
        lambda u: u,
        lambda c: c.with_columns(
            pl.when(pl.int_range(pl.len()) == 4)
            .then(pl.lit(Decimal("0.000000000000001"), pl.Decimal(38, 15)))
            .otherwise(pl.col("amount_usd").cast(pl.Decimal(38, 15)))
            .alias("amount_usd")
        ),
        ['"amount_usd"', "row 4", "more than 12 decimal places"],
    ),
    (
        "null money",
        lambda u: u,
        lambda c: c.with_columns(
            pl.when(pl.int_range(pl.len()) == 5).then(None).otherwise(pl.col("amount_usd")).alias("amount_usd")
        ),
        ['"amount_usd"', "null in row 5"],
    ),
    ("another currency", lambda u: u, lambda c: c.with_columns(pl.lit("EUR").alias("currency")), ['"currency"', "EUR"]),
]


@pytest.mark.parametrize(("name", "bad_usage", "bad_cost", "words"), BAD, ids=[b[0] for b in BAD])
def test_wrong_frames_are_input_errors_naming_the_column(
    frames: tuple[pl.DataFrame, pl.DataFrame, tuple[dt.datetime, dt.datetime]],
    name: str,
    bad_usage: U,
    bad_cost: U,
    words: list[str],
) -> None:
    usage, cost, _ = frames
    with pytest.raises(cf.InputError) as info:
        cf.reconcile(bad_usage(usage), bad_cost(cost))
    msg = str(info.value)
    assert "\n" not in msg, msg
    for w in words:
        assert w in msg, f"{name}: {w!r} not in {msg!r}"
    if bad_cost(cost) is cost:
        with pytest.raises(cf.InputError):  # price() goes through the same rules
            cf.price(bad_usage(usage))
        with pytest.raises(cf.InputError):  # refused at the call, not at collect()
            cf.price(bad_usage(usage), lazy=True)


def test_categorical_and_enum_dimensions_are_read_as_their_strings(
    frames: tuple[pl.DataFrame, pl.DataFrame, tuple[dt.datetime, dt.datetime]], base: cf.Reconciliation
) -> None:
    usage, cost, (start, end) = frames
    models = usage["model"].drop_nulls().unique().sort().to_list()
    cat_usage = usage.with_columns(pl.col("model").cast(pl.Categorical), pl.col("service_tier").cast(pl.Categorical))
    enum_cost = cost.with_columns(pl.col("model").cast(pl.Enum(cost["model"].drop_nulls().unique().sort())))
    rec = cf.reconcile(cat_usage, enum_cost, start=start, end=end)
    assert rec.lines.equals(base.lines)
    assert cf.price(cat_usage).equals(cf.price(usage))
    assert cf.price(cat_usage, lazy=True).collect().equals(cf.price(usage))
    assert models  # the column had values to encode


def test_a_dictionary_encoded_arrow_column_is_refused_not_a_panic(
    frames: tuple[pl.DataFrame, pl.DataFrame, tuple[dt.datetime, dt.datetime]],
) -> None:
    pytest.importorskip("pyarrow")
    usage, _, _ = frames
    table = usage.to_arrow()
    i = table.schema.get_field_index("model")
    table = table.set_column(i, "model", table.column("model").dictionary_encode())
    with pytest.raises(cf.InputError, match="categorical") as info:
        cf.price(table)
    assert info.value.exit_code == 2


def test_errors_raised_before_the_core_still_carry_hint_and_exit_code(
    frames: tuple[pl.DataFrame, pl.DataFrame, tuple[dt.datetime, dt.datetime]],
) -> None:
    usage, _, _ = frames
    for call in (lambda: cf.price(pl.LazyFrame({"a": [1]})), lambda: cf.price(usage, batch_rows=0)):  # type: ignore[arg-type]
        with pytest.raises(cf.InputError) as info:
            call()
        assert info.value.exit_code == 2
        assert info.value.hint is None or isinstance(info.value.hint, str)
    assert cf.AuthenticationError.exit_code == 3 and cf.APIConnectionError.exit_code == 4
    assert cf.CounterfoilError.exit_code == 70


def test_not_frames_at_all(frames: tuple[pl.DataFrame, pl.DataFrame, tuple[dt.datetime, dt.datetime]]) -> None:
    with pytest.raises(cf.InputError, match=r"usage must be a polars DataFrame or LazyFrame .* got NoneType"):
        cf.reconcile(None, 42)  # type: ignore[arg-type]
    with pytest.raises(cf.InputError, match=r"cost must be a polars DataFrame or LazyFrame .* got int"):
        cf.reconcile(frames[0], 42)  # type: ignore[arg-type]
    with pytest.raises(cf.InputError, match=r'usage: the usage frame has no column "bucket_start", .*; it has "a"'):
        cf.price(pl.LazyFrame({"a": [1]}))  # type: ignore[arg-type]


def test_harmless_variants_are_accepted(
    frames: tuple[pl.DataFrame, pl.DataFrame, tuple[dt.datetime, dt.datetime]], base: cf.Reconciliation
) -> None:
    usage, cost, (start, end) = frames
    narrow = usage.with_columns(pl.col(c).cast(pl.Int32) for c in usage.columns if c.endswith(("_tokens", "_requests")))
    wide_scale = cost.with_columns(pl.col("amount_usd").cast(pl.Decimal(38, 15)))  # only zeros past 12 digits
    small_scale = cost.with_columns(pl.col("amount_usd").cast(pl.Decimal(30, 12)))
    for u, c in [(narrow, cost), (usage, wide_scale), (usage, small_scale)]:
        assert cf.reconcile(u, c, start=start, end=end).lines.equals(base.lines)


def test_a_missing_price_dimension_is_unpriced_never_standard(
    frames: tuple[pl.DataFrame, pl.DataFrame, tuple[dt.datetime, dt.datetime]],
) -> None:
    usage, cost, (start, end) = frames
    # Not grouped by speed: the column is there, all null (a missing column is refused, below).
    not_by_speed = usage.with_columns(pl.lit(None, pl.String).alias("speed"))
    rec = cf.reconcile(not_by_speed, cost, start=start, end=end)
    unpriced = rec.lines.filter(pl.col("status") == "unpriced")
    fast_capable = unpriced.filter(pl.col("price_note").str.contains("speed is unknown"))
    assert fast_capable.height > 0
    assert fast_capable["model"].str.starts_with("claude-opus").all()
    assert rec.summary["unchecked_usd"] > 0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    unit=st.sampled_from(["ns", "us", "ms"]),
    zone=st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]),
    seed=st.integers(0, 2**32 - 1),
    chunks=st.integers(1, 6),
)
def test_same_lines_in_any_unit_zone_order_and_chunking(
    frames: tuple[pl.DataFrame, pl.DataFrame, tuple[dt.datetime, dt.datetime]],
    base: cf.Reconciliation,
    unit: str,
    zone: str,
    seed: int,
    chunks: int,
) -> None:
    usage, cost, (start, end) = frames

    def vary(df: pl.DataFrame) -> pl.DataFrame:
        df = df.with_columns(
            pl.col(c).dt.cast_time_unit(unit).dt.convert_time_zone(zone)  # type: ignore[arg-type]
            for c in ("bucket_start", "bucket_end")
        ).sample(fraction=1.0, shuffle=True, seed=seed)
        step = max(1, -(-df.height // chunks))
        return pl.concat([df.slice(i, step) for i in range(0, df.height, step)], rechunk=False)

    rec = cf.reconcile(vary(usage), vary(cost), start=start, end=end)
    assert rec.lines.equals(base.lines)
    assert rec.summary == base.summary
