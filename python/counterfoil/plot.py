"""Plots of a reconciliation (needs the ``plot`` extra: ``pip install 'counterfoil[plot]'``).

Amounts are exact ``Decimal`` everywhere in counterfoil; they become floats here only to be
drawn, never to be summed or compared. ``rec.plot()`` calls :func:`delta`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from counterfoil import Reconciliation

COMPARED = ["match", "mismatch", "missing_cost", "missing_usage"]
OVER, UNDER, UNCHECKED = "#c0392b", "#2e6fb7", "#9aa0a8"


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ModuleNotFoundError(
            "plotting needs matplotlib, which counterfoil does not install by default: "
            "pip install 'counterfoil[plot]' (or pip install matplotlib)"
        ) from e
    return plt


def _check_by(rec: Reconciliation, by: str) -> pl.DataFrame:
    lines = rec.lines
    if by not in lines.columns:
        raise ValueError(f"cannot group by {by!r}; choose one of the lines columns, e.g. date, workspace_name, model")
    return lines


def delta_frame(rec: Reconciliation, by: str = "date") -> pl.DataFrame:
    """Over-billed, under-billed and unchecked USD (exact Decimal) per value of ``by``.

    The split of the summary, line by line: a mismatch adds its positive delta to over-billed or
    its negative delta to under-billed; a charge with no usage is over-billed; usage with no cost
    line is under-billed; an unpriced line's reported amount is unchecked.
    """
    lines = _check_by(rec, by)
    zero = pl.lit(Decimal(0), pl.Decimal(38, 12))
    delta = pl.col("delta_usd")
    over = (
        pl.when((pl.col("status") == "mismatch") & (delta > 0))
        .then(delta)
        .when(pl.col("status") == "missing_usage")
        .then(pl.col("reported_usd"))
        .otherwise(zero)
    )
    under = (
        pl.when((pl.col("status") == "mismatch") & (delta < 0))
        .then(-delta)
        .when(pl.col("status") == "missing_cost")
        .then(pl.col("expected_usd"))
        .otherwise(zero)
    )
    unchecked = pl.when(pl.col("status") == "unpriced").then(pl.col("reported_usd").fill_null(zero)).otherwise(zero)
    return (
        lines.group_by(by)
        .agg(
            over.sum().alias("overbilled_usd"),
            under.sum().alias("underbilled_usd"),
            unchecked.sum().alias("unchecked_usd"),
        )
        .sort(by, nulls_last=True)
    )


def expected_vs_reported_frame(rec: Reconciliation, by: str = "date") -> pl.DataFrame:
    """Expected and reported USD (exact Decimal) per value of ``by``, over compared lines."""
    lines = _check_by(rec, by)
    return (
        lines.filter(pl.col("status").is_in(COMPARED))
        .group_by(by)
        .agg(pl.col("expected_usd").sum(), pl.col("reported_usd").sum())
        .sort(by, nulls_last=True)
    )


def _labels(values: list[Any]) -> list[str]:
    return [str(v) if v is not None else "Default" for v in values]


def delta(rec: Reconciliation, by: str = "date", ax: Any = None) -> Any:
    """Diverging bars: over-billed and unchecked up, under-billed down, per ``by``; returns the axes."""
    plt = _pyplot()
    data = delta_frame(rec, by)
    labels = _labels(data[by].to_list())
    drawn = data.select(pl.col("overbilled_usd", "underbilled_usd", "unchecked_usd").cast(pl.Float64))  # display only
    over, under, unchecked = (drawn[c].to_list() for c in drawn.columns)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 0.45 * len(labels) + 2), 3.6), layout="constrained")
    xs = list(range(len(labels)))
    ax.bar(xs, over, color=OVER, label="over-billed")
    ax.bar(xs, unchecked, bottom=over, color=UNCHECKED, label="unchecked")
    ax.bar(xs, [-u for u in under], color=UNDER, label="under-billed")
    ax.axhline(0, color="#555", linewidth=0.8)
    ax.set_xticks(xs, labels, rotation=45, ha="right")
    ax.set_ylabel("USD")
    ax.set_title(f"Billing differences by {by} (reported − expected)")
    # Outside the bars, so the legend never covers one.
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return ax


def expected_vs_reported(rec: Reconciliation, by: str = "date", ax: Any = None) -> Any:
    """Bars of expected vs reported per ``by`` (``date``, ``workspace_name``, ``model``…); returns the axes."""
    plt = _pyplot()
    data = expected_vs_reported_frame(rec, by)
    labels = _labels(data[by].to_list())
    drawn = data.select(pl.col("expected_usd", "reported_usd").cast(pl.Float64))  # display only
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 0.5 * len(labels) + 2), 3.5), layout="constrained")
    xs = range(len(labels))
    ax.bar([x - 0.2 for x in xs], drawn["expected_usd"].to_list(), width=0.4, label="expected")
    ax.bar([x + 0.2 for x in xs], drawn["reported_usd"].to_list(), width=0.4, label="reported")
    ax.set_xticks(list(xs), labels, rotation=45, ha="right")
    ax.set_ylabel("USD")
    ax.set_title(f"Expected vs reported by {by}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return ax
