"""``counterfoil fleet sync|reconcile``: the fleet's command line (arguments, the 80-column
summary, the exit code: 0 all clean, 1 any discrepancies, 4 any failed, any sink that did not
acknowledge, or no scheduler)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from decimal import Decimal

import polars as pl

from counterfoil._native import RateCard
from counterfoil.exceptions import CounterfoilError
from counterfoil.fleet import SchedulerError, reconcile, sync
from counterfoil.fleet_alerts import from_env


def main(argv: Sequence[str]) -> int:
    """``counterfoil fleet sync|reconcile``: exit 0 all clean, 1 any discrepancies, 4 any failed."""
    p = argparse.ArgumentParser(prog="counterfoil fleet", description="Reconcile or sync many organizations on Dask.")
    sub = p.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--fleet", required=True, help="the fleet file ([[org]] tables)")
    common.add_argument("--scheduler", help="a Dask scheduler address [default: a local cluster, a worker per core]")
    common.add_argument(
        "--notify",
        action="append",
        metavar="SPEC",
        help="send alerts: slack:URL, webhook:URL or pagerduty:ROUTING_KEY, any value as env:NAME "
        "(repeatable) [default: $COUNTERFOIL_NOTIFY, comma-separated]; each organization is told "
        "its own (reconcile: its findings, with --source store once each; sync and reconcile: a "
        "failure as job.failed)",
    )
    common.add_argument(
        "--metrics-file", metavar="PATH", help="every organization's OpenMetrics gauges, in one file written atomically"
    )
    r = sub.add_parser("reconcile", parents=[common], help="reconcile every organization over a window")
    r.add_argument("--start", required=True, help="first UTC day, inclusive")
    r.add_argument("--end", required=True, help="end UTC day, exclusive")
    r.add_argument("--out", required=True, help="results directory (lines, findings, summaries by org)")
    r.add_argument("--source", choices=["legacy", "analytics", "store"], default="legacy", help="where to read")
    r.add_argument("--rates", help="a rate card layered over the bundled one")
    r.add_argument("--abs-tol", help="absolute tolerance per line, USD [default: 0.01]")
    r.add_argument("--rel-tol", help="relative tolerance per line [default: 0]")
    s = sub.add_parser("sync", parents=[common], help="bring every organization's store up to date")
    s.add_argument("--backfill-days", type=int, default=14, help="full UTC days the first run fetches")
    s.add_argument("--restate-days", type=int, default=3, help="days re-read once per UTC day")
    a = p.parse_args(argv)
    alerts = dict(notify=a.notify or from_env(), metrics_file=a.metrics_file)
    try:
        if a.command == "reconcile":
            card = RateCard.load(a.rates) if a.rates else None
            summary = reconcile(a.fleet, a.start, a.end, a.scheduler, out=a.out, card=card,
                                abs_tol=a.abs_tol, rel_tol=a.rel_tol, source=a.source, **alerts)  # fmt: skip
        else:
            summary = sync(a.fleet, a.scheduler, backfill_days=a.backfill_days, restate_days=a.restate_days,
                           **alerts)  # fmt: skip
    except SchedulerError as e:
        print(f"error: {e}", file=sys.stderr)
        print(f"hint: {e.hint}", file=sys.stderr)
        return 4
    except CounterfoilError as e:
        print(f"error: {e}", file=sys.stderr)
        if getattr(e, "hint", None):
            print(f"hint: {e.hint}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(_table(summary))
    failed = summary.filter(pl.col("error").is_not_null()).height
    dirty = summary.filter(pl.col("ok") == False).height  # noqa: E712
    unsent = summary.filter(pl.col("notify_error").is_not_null())
    for org, why in unsent.select("org", "notify_error").iter_rows():
        print(f"error: {org}: {why}", file=sys.stderr)  # names sinks by kind and host only
    told = ""
    if a.notify or from_env():
        told = f"; {summary['notified'].sum()} events notified"
        if unsent.height:
            told += f", a sink failed for {unsent.height} (with --source store, the next run sends what it missed)"
    print(f"{summary.height} organizations: {summary.height - failed - dirty} clean, {dirty} with discrepancies, "
          f"{failed} failed{told}", file=sys.stderr)  # fmt: skip
    return 4 if failed or unsent.height else 1 if dirty else 0


def _cents(v: Decimal | None) -> str:
    return "" if v is None else f"${v.quantize(Decimal('0.01')):,}"


def _table(summary: pl.DataFrame) -> str:
    """The summary for an 80-column terminal, money in cents (exact values: OUT/summaries);
    a failed organization's error on the line below it."""
    width = max(12, *(len(o) for o in summary["org"]))
    head = f"{'org':<{width}}  {'status':<9}{'issues':>6}  {'over':>10}  {'under':>10}  {'unchecked':>10}"
    out = [head, "-" * len(head)]
    for r in summary.iter_rows(named=True):
        status = "failed" if r["error"] is not None else "ok" if r["ok"] else "issues"
        issues = "" if r["discrepancies"] is None else str(r["discrepancies"])
        out.append(
            f"{r['org']:<{width}}  {status:<9}{issues:>6}  {_cents(r['overbilled_usd']):>10}  "
            f"{_cents(r['underbilled_usd']):>10}  {_cents(r['unchecked_usd']):>10}"
        )
        if r["error"] is not None:
            text = f"{r['error_type']}: {r['error']}"
            out.append(f"  {text[:76]}" + ("…" if len(text) > 76 else ""))
    return "\n".join(line.rstrip() for line in out)
