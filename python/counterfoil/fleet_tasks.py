"""A fleet's tasks: one organization's reconciliation or sync where a Dask worker runs it, its
results written under ``OUT`` (Hive-partitioned, each file replaced atomically), the sinks told
(``fleet_alerts``), and one summary row returned. A task never raises for its organization's own
failures: they are its row (``counterfoil.fleet`` runs these; see its docs)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from counterfoil import fleet_alerts
from counterfoil._native import RateCard, Store, reconciliation_metrics, sync_metrics
from counterfoil.exceptions import InputError

if TYPE_CHECKING:
    from counterfoil.fleet import Org

_MONEY = pl.Decimal(38, 12)

#: The summary frame's columns, one row per organization.
SUMMARY_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "org": pl.String,
    "ok": pl.Boolean,
    "exit_code": pl.Int32,
    "lines": pl.Int64,
    "discrepancies": pl.Int64,
    "billed_usd": _MONEY,
    "overbilled_usd": _MONEY,
    "underbilled_usd": _MONEY,
    "unchecked_usd": _MONEY,
    "days_written": pl.Int64,
    "days_restated": pl.Int64,
    "notified": pl.Int64,
    "notify_error": pl.String,
    "error_type": pl.String,
    "error": pl.String,
    "seconds": pl.Float64,
}


def _write(df: pl.DataFrame, out: Path, dataset: str, org: str) -> None:
    """``OUT/dataset/org=NAME/part-0.parquet``, replaced atomically (written aside, renamed)."""
    d = out / dataset / f"org={org}"
    d.mkdir(parents=True, exist_ok=True)
    tmp = d / f".part-0.parquet.{os.getpid()}.tmp"
    df.write_parquet(tmp)
    os.replace(tmp, d / "part-0.parquet")


def _clear(out: Path, org: str) -> None:
    """Removes an organization's previous ``lines`` and ``findings`` (a failed task must not leave
    an older window's results beside its failure row): only the files counterfoil writes there
    (``part-0.parquet`` and its temporaries), then the ``org=NAME`` directory if that left it
    empty. Anything else in it stays, and so does the directory."""
    for dataset in ("lines", "findings"):
        d = out / dataset / f"org={org}"
        if not d.is_dir() or d.is_symlink():
            continue
        for f in d.iterdir():
            if f.name == "part-0.parquet" or (f.name.startswith(".part-0.parquet.") and f.name.endswith(".tmp")):
                f.unlink(missing_ok=True)
        try:
            d.rmdir()
        except OSError:  # not empty: someone else's files
            pass


def _write_failure(out: Path, row: dict[str, Any]) -> None:
    """A failed organization's output: its old lines and findings removed, its failure row
    written (atomically) as its summary."""
    _clear(out, row["org"])
    _write(summary_frame([row]).drop("org"), out, "summaries", row["org"])


def _failure(org: str, e: BaseException, started: float) -> dict[str, Any]:
    """A failed organization's row, with the exit code the CLI would give it (the core's, carried
    by every error it raises; 2 for the fleet's own input errors; 70 for anything else: a bug)."""
    code = getattr(e, "exit_code", None)
    if not isinstance(code, int):
        code = 2 if isinstance(e, InputError) else 70
    return {"org": org, "ok": None, "exit_code": code, "error_type": type(e).__name__, "error": str(e),
            "seconds": time.perf_counter() - started}  # fmt: skip


def reconcile_one(
    org: Org,
    start: str,
    end: str,
    out: str,
    card_toml: str | None = None,
    abs_tol: str | None = None,
    rel_tol: str | None = None,
    source: str = "legacy",
    sinks: fleet_alerts.Sinks | None = None,
    metrics: bool = False,
) -> dict[str, Any]:
    """One organization's reconciliation (a fleet task): results written under ``out``, the
    sinks told (``fleet_alerts``), a summary row returned (with its metrics text when asked).
    Never raises for the organization's own failures."""
    started = time.perf_counter()
    store: Store | None = None
    try:
        card = RateCard.from_toml(card_toml, "fleet card") if card_toml else None
        if source == "store":
            if not org.store:
                raise InputError(f"{org.name!r} has no store; give one in the fleet or reconcile from the API")
            store = Store(org.store)
            rec = store.reconcile(start, end, card, abs_tol=abs_tol, rel_tol=rel_tol)
        else:
            rec = org.client().reconcile(start, end, card, abs_tol=abs_tol, rel_tol=rel_tol, source=source)
        base = Path(out)
        _write(rec.lines, base, "lines", org.name)  # `org` comes from the Hive partition
        _write(rec.findings, base, "findings", org.name)
        s = rec.summary
        row = {
            "org": org.name,
            "ok": rec.ok,
            "exit_code": rec.exit_code,
            "lines": s["lines"],
            "discrepancies": s["discrepancies"],
            "billed_usd": s["billed_all_usd"],
            "overbilled_usd": s["overbilled_usd"],
            "underbilled_usd": s["underbilled_usd"],
            "unchecked_usd": s["unchecked_usd"],
        }
    except Exception as e:  # one organization's failure is its row, never the fleet's
        row = _failure(org.name, e, started)
        _write_failure(Path(out), row)
        fleet_alerts.tell_failure(row, f"fleet reconcile ({org.name})", e, sinks, org.store, (start, end))
        return row
    fleet_alerts.tell(row, rec, sinks, store)  # after the results are on disk
    row["seconds"] = time.perf_counter() - started
    _write(summary_frame([row]).drop("org"), Path(out), "summaries", org.name)
    if metrics:
        row["metrics"] = reconciliation_metrics(rec, command="fleet-reconcile", org=org.name)
    return row


def sync_one(
    org: Org,
    backfill_days: int = 14,
    restate_days: int = 3,
    sinks: fleet_alerts.Sinks | None = None,
    metrics: bool = False,
) -> dict[str, Any]:
    """One organization's store sync (a fleet task); never raises for its own failures. A
    failure is told as ``job.failed``, as ``counterfoil sync --notify`` does."""
    started = time.perf_counter()
    try:
        if not org.store:
            raise InputError(f"{org.name!r} has no store directory in the fleet")
        store = Store(org.store)
        s = store.sync(org.client(), backfill_days=backfill_days, restate_days=restate_days)
    except Exception as e:
        row = _failure(org.name, e, started)
        fleet_alerts.tell_failure(row, f"fleet sync ({org.name})", e, sinks, org.store)
        return row
    row = {"org": org.name, "ok": True, "exit_code": 0, "days_written": s["days_written"],
           "days_restated": s["days_restated"], "seconds": time.perf_counter() - started}  # fmt: skip
    if metrics:
        row["metrics"] = sync_metrics(store, s, command="fleet-sync", org=org.name)
    return row


def summary_frame(rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """Rows (dicts) as the summary frame, every column present and typed."""
    full = [{k: r.get(k) for k in SUMMARY_SCHEMA} for r in rows]
    for r in full:
        for k in ("billed_usd", "overbilled_usd", "underbilled_usd", "unchecked_usd"):
            v = r[k]
            if v is not None:
                r[k] = Decimal(str(v))
    return pl.DataFrame(full, schema=SUMMARY_SCHEMA, orient="row").sort("org")
