"""``price(..., lazy=True)``: the eager frame's rows, whatever Polars asks of the source."""

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import counterfoil as cf

COLUMNS = ["bucket_start", "workspace_id", "model", "token_type", "quantity", "expected_usd", "price_note"]
PREDICATES = [
    None,
    pl.col("price_status") == "unpriced",
    pl.col("expected_usd") > 1,
    (pl.col("token_type") == "output_tokens") & pl.col("workspace_id").is_not_null(),
]


@pytest.fixture(scope="module")
def usage(api: cf.FakeAdminApi, org: cf.simulate.Organization) -> pl.DataFrame:
    client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url)
    start, end = org.window
    # Day buckets with a planted unknown model, so unpriced rows and notes are in the frame.
    u = client.usage(start, end, bucket_width="1d")
    stray = u.head(3).with_columns(model=pl.lit("claude-not-released"))
    return pl.concat([u, stray])


@settings(max_examples=40, deadline=None)
@given(
    batch_rows=st.integers(1, 400),
    columns=st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=4, unique=True),
    predicate=st.sampled_from(range(len(PREDICATES))),
    head=st.none() | st.integers(0, 900),
)
def test_any_projection_filter_and_limit_gives_the_eager_rows(
    usage: pl.DataFrame, batch_rows: int, columns: list[str], predicate: int, head: int | None
) -> None:
    eager = cf.price(usage).lazy()
    lazy = cf.price(usage, lazy=True, batch_rows=batch_rows)
    queries = []
    for frame in (eager, lazy):
        p = PREDICATES[predicate]
        q = frame.filter(p) if p is not None else frame
        q = q.select(columns)
        queries.append(q.head(head) if head is not None else q)
    want, got = queries[0].collect(), queries[1].collect()
    assert got.equals(want), (got, want)
    assert got.schema == want.schema


def test_streaming_aggregate_and_full_collect_match_eager(usage: pl.DataFrame) -> None:
    eager = cf.price(usage)
    lazy = cf.price(usage, lazy=True, batch_rows=50)
    assert lazy.collect().equals(eager)
    key = ["model", "token_type"]
    agg = [pl.col("expected_usd").sum(), pl.col("quantity").sum(), pl.len()]
    got = lazy.group_by(key).agg(agg).sort(key, nulls_last=True).collect(engine="streaming")
    want = eager.group_by(key).agg(agg).sort(key, nulls_last=True)
    assert got.equals(want)
    assert got["len"].sum() == eager.height > usage.height
    # The LazyFrame can be collected again (each collect prices anew).
    assert lazy.select(pl.len()).collect().item() == eager.height


def test_an_empty_usage_frame_gives_an_empty_lazy_frame(usage: pl.DataFrame) -> None:
    lazy = cf.price(usage.head(0), lazy=True)
    out = lazy.collect()
    assert out.height == 0
    assert out.schema == cf.price(usage).schema


def test_bad_batch_sizes_and_bad_usage_are_refused_at_the_call(usage: pl.DataFrame) -> None:
    for bad in (0, -5, 1.5, True):
        with pytest.raises(cf.InputError, match="batch_rows"):
            cf.price(usage, lazy=True, batch_rows=bad)  # type: ignore[arg-type]
    naive = usage.with_columns(pl.col("bucket_start").dt.replace_time_zone(None))
    with pytest.raises(cf.InputError, match="bucket_start"):
        cf.price(naive, lazy=True)
    future = usage.with_columns(bucket_start=pl.lit(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
    assert cf.price(future, lazy=True).collect().height == cf.price(future).height


def test_a_predicate_on_columns_not_returned_reads_them_once(usage: pl.DataFrame) -> None:
    # What an engine that leaves the predicate's columns out of `with_columns` would ask for;
    # the predicate names `quantity` twice.
    from counterfoil.pricing import _batches

    source = cf._native.PriceSource(usage)
    predicate = (pl.col("quantity") > 1_000) & (pl.col("quantity") < 10_000_000)
    got = pl.concat(list(_batches(source, 37, ["model", "expected_usd"], predicate, 25)))
    want = cf.price(usage).filter(predicate).select("model", "expected_usd").head(25)
    assert got.height == 25
    assert got.equals(want)
