"""``price``: what every token of a usage frame should have cost, eagerly or as a LazyFrame.

Each usage row becomes about 3.6 priced rows (one per token type with tokens, one for web
searches), so ten million usage rows make a frame of about ten gigabytes. ``lazy=True`` returns
a ``pl.LazyFrame`` instead: the same rows, priced by the same Rust code in batches of usage rows
as Polars pulls them, building only the columns the query reads. A query that selects a few
columns, filters or aggregates (``collect(engine="streaming")``) then holds one batch at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, overload

import polars as pl
from polars.io.plugins import register_io_source

from counterfoil._native import InputError, PriceSource, RateCard
from counterfoil._native import price as _price_eager

#: Usage rows priced per batch of a lazy ``price``: about a million priced rows, a few hundred
#: megabytes with every column.
BATCH_ROWS = 250_000


@overload
def price(
    usage: pl.DataFrame | pl.LazyFrame,
    card: RateCard | None = None,
    *,
    lazy: Literal[False] = False,
    batch_rows: int = ...,
) -> pl.DataFrame: ...
@overload
def price(
    usage: pl.DataFrame | pl.LazyFrame,
    card: RateCard | None = None,
    *,
    lazy: Literal[True],
    batch_rows: int = ...,
) -> pl.LazyFrame: ...
def price(
    usage: pl.DataFrame | pl.LazyFrame,
    card: RateCard | None = None,
    *,
    lazy: bool = False,
    batch_rows: int = BATCH_ROWS,
) -> pl.DataFrame | pl.LazyFrame:
    """Price ``usage`` with ``card`` (the bundled card by default).

    Returns the long frame (usage dimensions, ``cost_type``, ``token_type``, ``quantity``,
    ``rate_usd_per_mtok``, ``unit_price_usd``, ``expected_usd``, ``price_status``,
    ``price_note``), or with ``lazy=True`` a LazyFrame of exactly those rows. The usage is
    checked before this returns either way: bad input raises ``InputError`` here, not at
    ``collect()``.
    """
    if isinstance(batch_rows, bool) or not isinstance(batch_rows, int) or not 1 <= batch_rows < 2**63:
        raise InputError(f"batch_rows must be a positive integer, not {batch_rows!r}")
    if not lazy:
        return _price_eager(usage, card)
    source = PriceSource(usage, card)
    schema = source.batch(0, 0).schema

    def batches(
        with_columns: list[str] | None, predicate: pl.Expr | None, n_rows: int | None, _batch_size: int | None
    ) -> Iterator[pl.DataFrame]:
        return _batches(source, batch_rows, with_columns, predicate, n_rows)

    try:  # the plan then reads PYTHON[counterfoil.price] SCAN
        return register_io_source(batches, schema=schema, is_pure=True, explain_name="counterfoil.price")
    except TypeError:  # a Polars without explain_name
        return register_io_source(batches, schema=schema, is_pure=True)


def _batches(
    source: PriceSource,
    batch_rows: int,
    with_columns: list[str] | None,
    predicate: pl.Expr | None,
    n_rows: int | None,
) -> Iterator[pl.DataFrame]:
    """The priced batches Polars asked for: projected, filtered and limited."""
    columns = with_columns
    if columns is not None and predicate is not None:
        # The predicate may read columns the query does not return.
        extra = list(dict.fromkeys(c for c in predicate.meta.root_names() if c not in columns))
        columns = [*columns, *extra]
    left = n_rows
    for offset in range(0, max(source.height, 1), batch_rows):  # one empty batch if empty
        if left is not None and left <= 0:
            return
        df = source.batch(offset, batch_rows, columns)
        if predicate is not None:
            df = df.filter(predicate)
        if with_columns is not None and columns is not with_columns:
            df = df.select(with_columns)
        if left is not None:
            df = df.head(left)
            left -= df.height
        yield df
