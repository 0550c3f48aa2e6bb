"""Many organizations on Dask: one task per organization, results in one place.

A fleet is a table of organizations: a name, where its Admin key is (an environment variable
name or a secrets file path, read in the worker; never the key itself), an optional base URL and
an optional store directory. ``reconcile`` and ``sync`` submit one task per organization to a
``dask.distributed.Client`` (a ``LocalCluster`` of one single-threaded worker process per core
when none is given); each task runs the same Rust code as ``counterfoil reconcile`` / ``sync``,
with the GIL released. A task writes its organization's results as Hive-partitioned Parquet under
``OUT/{lines,findings,summaries}/org=NAME/part-0.parquet`` and returns one summary row; one
organization's failure (a bad key, an API that is down) is its row's ``error``, never the fleet's.

    fleet = cf.fleet.load("fleet.toml")
    summary = cf.fleet.reconcile(fleet, "2026-11-01", "2026-11-15", out="results")

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

from counterfoil._native import AdminClient, RateCard, Store
from counterfoil.exceptions import CounterfoilError, InputError

if TYPE_CHECKING:
    from distributed import Client

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_FIELDS = {"name", "key_env", "key_file", "base_url", "store"}
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
    "error_type": pl.String,
    "error": pl.String,
    "seconds": pl.Float64,
}


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
) -> dict[str, Any]:
    """One organization's reconciliation (a fleet task): results written under ``out``, a summary
    row returned. Never raises for the organization's own failures."""
    started = time.perf_counter()
    try:
        card = RateCard.from_toml(card_toml, "fleet card") if card_toml else None
        if source == "store":
            if not org.store:
                raise InputError(f"{org.name!r} has no store; give one in the fleet or reconcile from the API")
            rec = Store(org.store).reconcile(start, end, card, abs_tol=abs_tol, rel_tol=rel_tol)
        else:
            rec = org.client().reconcile(start, end, card, abs_tol=abs_tol, rel_tol=rel_tol, source=source)
        base = Path(out)
        _write(rec.lines, base, "lines", org.name)  # `org` comes from the Hive partition
        _write(rec.findings, base, "findings", org.name)
        s = rec.summary
        row = {
            "org": org.name,
            "ok": rec.ok,
            "exit_code": 0 if rec.ok else 1,
            "lines": s["lines"],
            "discrepancies": s["discrepancies"],
            "billed_usd": s["billed_all_usd"],
            "overbilled_usd": s["overbilled_usd"],
            "underbilled_usd": s["underbilled_usd"],
            "unchecked_usd": s["unchecked_usd"],
            "seconds": time.perf_counter() - started,
        }
    except Exception as e:  # one organization's failure is its row, never the fleet's
        row = _failure(org.name, e, started)
        _write_failure(Path(out), row)
        return row
    _write(summary_frame([row]).drop("org"), Path(out), "summaries", org.name)
    return row


def sync_one(org: Org, backfill_days: int = 14, restate_days: int = 3) -> dict[str, Any]:
    """One organization's store sync (a fleet task); never raises for its own failures."""
    started = time.perf_counter()
    try:
        if not org.store:
            raise InputError(f"{org.name!r} has no store directory in the fleet")
        s = Store(org.store).sync(org.client(), backfill_days=backfill_days, restate_days=restate_days)
        return {"org": org.name, "ok": True, "exit_code": 0, "days_written": s["days_written"],
                "seconds": time.perf_counter() - started}  # fmt: skip
    except Exception as e:
        return _failure(org.name, e, started)


def summary_frame(rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """Rows (dicts) as the summary frame, every column present and typed."""
    full = [{k: r.get(k) for k in SUMMARY_SCHEMA} for r in rows]
    for r in full:
        for k in ("billed_usd", "overbilled_usd", "underbilled_usd", "unchecked_usd"):
            v = r[k]
            if v is not None:
                r[k] = Decimal(str(v))
    return pl.DataFrame(full, schema=SUMMARY_SCHEMA, orient="row").sort("org")


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
) -> pl.DataFrame:
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
        return summary_frame(rows)
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
) -> pl.DataFrame:
    """Reconciles every organization of ``fleet`` over ``[start, end)``: one Dask task each.
    ``source``: ``legacy`` or ``analytics`` (from the API) or ``store`` (from each org's store).
    Returns the summary frame (also under ``OUT/summaries``)."""
    orgs = load(fleet) if isinstance(fleet, (str, os.PathLike)) else list(fleet)
    if source not in ("legacy", "analytics", "store"):
        raise InputError(f"source must be legacy, analytics or store, not {source!r}")
    text = card.to_toml() if card is not None else None
    tol = (None if abs_tol is None else str(abs_tol), None if rel_tol is None else str(rel_tol))
    base = Path(out).resolve()
    base.mkdir(parents=True, exist_ok=True)
    return _run(client, reconcile_one, orgs, str(start), str(end), str(base), text, *tol, source, out=base)


def sync(
    fleet: Sequence[Org] | str | os.PathLike[str],
    client: Client | str | None = None,
    *,
    backfill_days: int = 14,
    restate_days: int = 3,
) -> pl.DataFrame:
    """Brings every organization's store up to date: one Dask task each."""
    orgs = load(fleet) if isinstance(fleet, (str, os.PathLike)) else list(fleet)
    return _run(client, sync_one, orgs, backfill_days, restate_days)


def main(argv: Sequence[str]) -> int:
    """``counterfoil fleet sync|reconcile`` (``counterfoil.fleet_cli``)."""
    from counterfoil.fleet_cli import main as cli_main

    return cli_main(argv)


def as_dicts(orgs: Sequence[Org]) -> list[dict[str, Any]]:
    """The fleet as plain dicts (for a frame, or to write it back)."""
    return [asdict(o) for o in orgs]
