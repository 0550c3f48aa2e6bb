"""Plots of a reconciliation (needs the ``plot`` extra: ``pip install 'counterfoil[plot]'``).

Amounts are exact ``Decimal`` everywhere in counterfoil; they become floats here only to be
drawn, never to be summed or compared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from counterfoil import Reconciliation

COMPARED = ["match", "mismatch", "missing_cost", "missing_usage"]


def expected_vs_reported_frame(rec: Reconciliation, by: str = "date") -> pl.DataFrame:
    """Expected and reported USD (exact Decimal) per value of ``by``, over compared lines."""
    lines = rec.lines
    if by not in lines.columns:
        raise ValueError(f"cannot group by {by!r}; choose one of the lines columns")
    return (
        lines.filter(pl.col("status").is_in(COMPARED))
        .group_by(by)
        .agg(pl.col("expected_usd").sum(), pl.col("reported_usd").sum())
        .sort(by, nulls_last=True)
    )


def expected_vs_reported(rec: Reconciliation, by: str = "date", ax: Any = None) -> Any:
    """Bars of expected vs reported per ``by`` (``date``, ``workspace_name``, ``model``…); returns the axes."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib: pip install 'counterfoil[plot]'") from e
    data = expected_vs_reported_frame(rec, by)
    labels = [str(v) if v is not None else "Default" for v in data[by].to_list()]
    drawn = data.select(pl.col("expected_usd", "reported_usd").cast(pl.Float64))  # display only
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 0.5 * len(labels)), 3.5))
    xs = range(len(labels))
    ax.bar([x - 0.2 for x in xs], drawn["expected_usd"].to_list(), width=0.4, label="expected")
    ax.bar([x + 0.2 for x in xs], drawn["reported_usd"].to_list(), width=0.4, label="reported")
    ax.set_xticks(list(xs), labels, rotation=45, ha="right")
    ax.set_ylabel("USD")
    ax.set_title(f"Expected vs reported by {by}")
    ax.legend()
    return ax
