"""Many organizations on Dask: one task per organization, results in one place.

A fleet is a table of organizations: a name, where its Admin key is (an environment variable
name or a secrets file path, read in the worker; never the key itself), an optional base URL and
an optional store directory. ``reconcile`` and ``sync`` submit one task per organization to a
``dask.distributed.Client`` (a ``LocalCluster`` of one single-threaded worker process per core
when none is given); each task runs the same Rust code as ``counterfoil reconcile`` / ``sync``,
with the GIL released. A task writes its organization's results as Hive-partitioned Parquet under
``OUT/{lines,findings,summaries}/org=NAME/part-0.parquet`` and returns one summary row; one
organization's failure (a bad key, an API that is down) is its row's ``error``, never the fleet's.
The tasks live in ``fleet_tasks``; with ``notify=`` each tells the sinks about its own
organization, and ``metrics_file=`` gathers every organization's gauges in one file
(``fleet_alerts``).

    fleet = cf.fleet.load("fleet.toml")
    summary = cf.fleet.reconcile(fleet, "2026-11-01", "2026-11-15", out="results")
    summary = cf.fleet.reconcile(fleet, start, end, out="results", source="store",
                                 notify=["slack:env:SLACK_HOOK"], metrics_file="fleet.prom")

The unit of work, one organization × window, maps onto Spark as it is: ``mapInArrow`` over a
table of organizations, calling ``AdminClient(...).reconcile(...)`` per row (see the README).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import polars as pl
import tomllib

from counterfoil import fleet_alerts
from counterfoil._native import AdminClient, RateCard
from counterfoil.exceptions import CounterfoilError, InputError
from counterfoil.fleet_tasks import (  # noqa: F401  (public: the unit of work, and its rows)
    SUMMARY_SCHEMA,
    _failure,
    _write_failure,
    reconcile_one,
    summary_frame,
    sync_one,
)

if TYPE_CHECKING:
    from distributed import Client

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_FIELDS = {"name", "key_env", "key_file", "base_url", "store"}


@dataclass(frozen=True)
class Org:
    """One organization of a fleet. The key is looked up where the task runs."""

    name: str
    key_env: str | None = None
    key_file: str | None = None
    base_url: str | None = None
    store: str | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise InputError(f"fleet: organization name {self.name!r} must be letters, digits, '.', '_' or '-'")
        if (self.key_env is None) == (self.key_file is None):
            raise InputError(f"fleet: organization {self.name!r} needs exactly one of key_env and key_file")
        if self.base_url is not None and "@" in urlsplit(self.base_url).netloc:
            # Refused here, before the URL can reach a repr, a log line or a summary file.
            raise InputError(
                f"fleet: organization {self.name!r}: refusing a base URL with credentials in it; "
                "give the key with key_env or key_file, a proxy's credentials in HTTPS_PROXY"
            )

    def api_key(self) -> str:
        """The Admin key, from the environment variable or the secrets file."""
        if self.key_env is not None:
            key = os.environ.get(self.key_env)
            if not key:
                raise InputError(f"environment variable {self.key_env} (the key of {self.name!r}) is not set")
            return key.strip()
        assert self.key_file is not None
        try:
            return Path(self.key_file).read_text().strip()
        except OSError as e:
            raise InputError(f"cannot read the key file of {self.name!r}: {e}") from None

    def client(self) -> AdminClient:
        return AdminClient(api_key=self.api_key(), base_url=self.base_url)


def load(path: str | os.PathLike[str]) -> list[Org]:
    """A fleet from a TOML file of ``[[org]]`` tables (name, key_env or key_file, base_url, store)."""
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise InputError(f"cannot read the fleet file {path}: {e}") from None
    return from_records(data.get("org", []), str(path))


def from_records(records: Iterable[dict[str, Any]] | pl.DataFrame, where: str = "fleet") -> list[Org]:
    """A fleet from dicts or a frame with the same columns; names must be unique."""
    rows = records.to_dicts() if isinstance(records, pl.DataFrame) else list(records)
    orgs: list[Org] = []
    for i, r in enumerate(rows):
        extra = set(r) - _FIELDS
        if "api_key" in extra:
            raise InputError(f"{where}: org {i + 1} holds an api_key; give key_env or key_file, never the key itself")
        if extra:
            raise InputError(f"{where}: org {i + 1} has unknown fields {sorted(extra)}; allowed: {sorted(_FIELDS)}")
        if "name" not in r:
            raise InputError(f"{where}: org {i + 1} has no name")
        text = {k: (str(v) if v is not None else None) for k, v in r.items()}
        orgs.append(
            Org(str(r["name"]), text.get("key_env"), text.get("key_file"), text.get("base_url"), text.get("store"))
        )
    names = [o.name for o in orgs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"{where}: organization names must be unique; repeated: {dupes}")
    if not orgs:
        raise InputError(f"{where}: the fleet has no organizations ([[org]] tables)")
    return orgs


class SchedulerError(CounterfoilError):
    """The Dask scheduler given could not be reached: exit 4, like an API that is down."""

    exit_code = 4

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def _client(client: Client | str | None) -> tuple[Client, bool]:
    try:
        from distributed import Client, LocalCluster  # untyped: calls below are checked by tests
    except ImportError:
        raise ModuleNotFoundError(
            "counterfoil.fleet runs on Dask: pip install 'counterfoil[dask]'", name="distributed"
        ) from None
    if isinstance(client, Client):
        return client, False
    if isinstance(client, str):
        try:
            return Client(client), True  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as e:  # refused, timed out, a name that does not resolve
            raise SchedulerError(
                f"cannot reach the Dask scheduler at {client}: {e}",
                "check the address (tcp://HOST:8786) and that the scheduler is running; "
                "without --scheduler the fleet runs on a local cluster",
            ) from None
    cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True)  # type: ignore[no-untyped-call]
    return Client(cluster), True  # type: ignore[no-untyped-call]


def _run(
    client: Client | str | None, fn: Any, orgs: Sequence[Org], *args: Any, out: Path | None = None
) -> list[dict[str, Any]]:
    """Runs ``fn`` for each organization; a task whose worker died (on every attempt) becomes its
    failure row, also written under ``out`` (with its old lines and findings removed)."""
    c, own = _client(client)
    try:
        futures = [c.submit(fn, o, *args, key=f"counterfoil-{fn.__name__}-{o.name}-{time.time_ns()}", pure=False)
                   for o in orgs]  # fmt: skip
        rows = []
        for o, f in zip(orgs, futures, strict=True):
            try:
                rows.append(f.result())
            except Exception as e:  # a worker that died under the task (each time it ran)
                rows.append(_failure(o.name, e, time.perf_counter()))
                if out is not None:
                    _write_failure(out, rows[-1])
        return rows
    finally:
        if own:
            cluster = c.cluster
            c.close()  # type: ignore[no-untyped-call]
            if cluster is not None:
                cluster.close()


def reconcile(
    fleet: Sequence[Org] | str | os.PathLike[str],
    start: str,
    end: str,
    client: Client | str | None = None,
    *,
    out: str | os.PathLike[str],
    card: RateCard | None = None,
    abs_tol: Decimal | str | None = None,
    rel_tol: Decimal | str | None = None,
    source: str = "legacy",
    notify: Sequence[str] | None = None,
    metrics_file: str | os.PathLike[str] | None = None,
) -> pl.DataFrame:
    """Reconciles every organization of ``fleet`` over ``[start, end)``: one Dask task each.
    ``source``: ``legacy`` or ``analytics`` (from the API) or ``store`` (from each org's store).
    ``notify``: SPECs as for ``--notify``; each organization's task tells each sink about its
    findings (with ``source="store"`` once per sink across runs) and about its failure; a sink
    that fails is that row's ``notify_error`` (exit code 4), never an exception. ``metrics_file``:
    one OpenMetrics file for the whole fleet. Returns the summary frame (also under
    ``OUT/summaries``)."""
    orgs = load(fleet) if isinstance(fleet, (str, os.PathLike)) else list(fleet)
    if source not in ("legacy", "analytics", "store"):
        raise InputError(f"source must be legacy, analytics or store, not {source!r}")
    sinks = fleet_alerts.sinks(notify)
    text = card.to_toml() if card is not None else None
    tol = (None if abs_tol is None else str(abs_tol), None if rel_tol is None else str(rel_tol))
    base = Path(out).resolve()
    base.mkdir(parents=True, exist_ok=True)
    args = (str(start), str(end), str(base), text, *tol, source, sinks, metrics_file is not None)
    rows = _run(client, reconcile_one, orgs, *args, out=base)
    fleet_alerts.write(metrics_file, rows, "fleet-reconcile")
    return summary_frame(rows)


def sync(
    fleet: Sequence[Org] | str | os.PathLike[str],
    client: Client | str | None = None,
    *,
    backfill_days: int = 14,
    restate_days: int = 3,
    notify: Sequence[str] | None = None,
    metrics_file: str | os.PathLike[str] | None = None,
) -> pl.DataFrame:
    """Brings every organization's store up to date: one Dask task each. ``notify``: each
    organization whose sync fails is told as ``job.failed``; ``metrics_file``: restated
    partitions and last success per organization, one file for the fleet."""
    orgs = load(fleet) if isinstance(fleet, (str, os.PathLike)) else list(fleet)
    sinks = fleet_alerts.sinks(notify)
    rows = _run(client, sync_one, orgs, backfill_days, restate_days, sinks, metrics_file is not None)
    fleet_alerts.write(metrics_file, rows, "fleet-sync")
    return summary_frame(rows)


def main(argv: Sequence[str]) -> int:
    """``counterfoil fleet sync|reconcile`` (``counterfoil.fleet_cli``)."""
    from counterfoil.fleet_cli import main as cli_main

    return cli_main(argv)


def as_dicts(orgs: Sequence[Org]) -> list[dict[str, Any]]:
    """The fleet as plain dicts (for a frame, or to write it back)."""
    return [asdict(o) for o in orgs]
