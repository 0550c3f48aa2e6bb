"""A fleet's alerts and metrics file (DESIGN §12), through the same core as one organization's.

Each organization's task tells the sinks itself, where it runs, with the calls
``counterfoil reconcile --notify`` is made of (``Store.reconcile`` then ``notify(rec, sinks,
store=store)``, or ``notify(rec, sinks)`` from the API; ``notify_failure`` for a task that
failed): the organization's store, which remembers what each sink acknowledged, is on the
worker, and a sink that fails for one organization does not hold back another. So Slack gets one
digest per organization per run (its header names the organization, its money split is that
organization's), never one message mixing several bills. The driver only checks the SPECs before
any work (a bad one is exit 2 with nothing run) and writes the one metrics file from the
samples the tasks return.

A SPEC may hold a secret (a webhook URL, a routing key). It reaches a worker inside ``Sinks``,
whose repr shows the schemes only, so a Dask log line that prints a task's arguments never shows
one; ``env:NAME`` is read where it is used (the driver to check it, each worker to send), as a
fleet's ``key_env`` is.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from counterfoil._native import (
    Reconciliation,
    Store,
    check_notify,
    notify,
    notify_failure,
    write_metrics,
)
from counterfoil.exceptions import CounterfoilError


class Sinks:
    """The SPECs of a run, checked; its repr never shows a URL or key."""

    def __init__(self, specs: Sequence[str]) -> None:
        self.specs = list(specs)
        self.shown = check_notify(self.specs)  # InputError before any work

    def __repr__(self) -> str:
        return f"Sinks({', '.join(self.shown)})"


def sinks(notify: Sequence[str] | None) -> Sinks | None:
    """The checked sinks of ``notify`` (None or empty: no alerts)."""
    if isinstance(notify, str):
        notify = [notify]
    return Sinks(notify) if notify else None


def from_env() -> list[str]:
    """``COUNTERFOIL_NOTIFY`` (comma-separated SPECs), what the CLI uses without ``--notify``."""
    return [s.strip() for s in os.environ.get("COUNTERFOIL_NOTIFY", "").split(",") if s.strip()]


def _failed(row: dict[str, Any], e: CounterfoilError) -> None:
    """A sink that did not acknowledge (exit 4, what `counterfoil reconcile --notify` exits with
    after doing the work), or an ``env:NAME`` this worker does not have (exit 2)."""
    row["notify_error"] = str(e)
    row["notified"] = getattr(e, "acknowledged", None)  # what the sinks that worked were told
    row["exit_code"] = max(row.get("exit_code") or 0, getattr(e, "exit_code", 4))


def tell(row: dict[str, Any], rec: Reconciliation, to: Sinks | None, store: Store | None) -> None:
    """Tells the sinks about an organization's reconciliation (with its store: once per sink
    across runs); the row gets ``notified`` and, when a sink failed, ``notify_error``."""
    if to is None:
        return
    try:
        row["notified"] = notify(rec, to.specs, store=store)
    except CounterfoilError as e:
        _failed(row, e)


def tell_failure(
    row: dict[str, Any],
    job: str,
    e: BaseException,
    to: Sinks | None,
    store: str | None,
    window: tuple[str, str] | None = None,
) -> None:
    """``job.failed`` for an organization whose task failed (exit 2–4), with its organization's id
    and name when its store knows them, else the fleet's name for it, and the window it was for."""
    if to is None:
        return
    try:
        known = Store(store) if store and Path(store).is_dir() else None
    except Exception:  # a store that cannot be opened is the failure being told about
        known = None
    try:
        start, end = window or (None, None)
        row["notified"] = notify_failure(
            job, e, to.specs, store=known, organization=("", row["org"]), start=start, end=end
        )
    except CounterfoilError as n:  # the row keeps the failure's own exit code, as the CLI does
        row["notify_error"] = str(n)
        row["notified"] = getattr(n, "acknowledged", None)


def write(path: str | os.PathLike[str] | None, rows: Sequence[dict[str, Any]], command: str) -> None:
    """The run's metrics file: every organization's samples, and for one that failed this run
    its samples from the file already there (so its last success ages instead of vanishing)."""
    if path is None:
        return
    parts = [r["metrics"] for r in rows if r.get("metrics")]
    keep = [r["org"] for r in rows if r.get("error") is not None]
    write_metrics(Path(path), parts, command=command, keep=keep)
