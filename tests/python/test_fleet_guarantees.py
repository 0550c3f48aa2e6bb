"""What a fleet run leaves under OUT, whatever happens to its workers: a summary row on disk for
every organization (a worker killed on every attempt included), a failed rerun never leaves an
older window's lines and findings beside its failure row, and an unreachable scheduler is one
error line and exit 4."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import counterfoil as cf
from counterfoil import fleet

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

TODAY = dt.date(2026, 11, 20)
START, END = "2026-11-17", "2026-11-20"


def _killer(doomed: str) -> Any:
    """A worker plugin that kills its worker process as soon as it starts executing a task of
    the ``doomed`` organization (the fleet's task keys name the organization), every time."""

    class KillOnExecute(distributed.WorkerPlugin):  # type: ignore[misc]  # local: pickled by value
        name = "kill-on-execute"

        def transition(self, key: object, start: str, finish: str, **kwargs: object) -> None:
            if finish == "executing" and f"-{doomed}-" in str(key):
                os._exit(17)

    return KillOnExecute()


def _stale(out: Path, org: str) -> None:
    """An older run's output for ``org``, and a file of the user's beside it."""
    for dataset in ("lines", "findings", "summaries"):
        d = out / dataset / f"org={org}"
        d.mkdir(parents=True)
        pl.DataFrame({"window": ["2026-10"]}).write_parquet(d / "part-0.parquet")
    (out / "findings" / f"org={org}" / "NOTES.txt").write_text("mine")


def _on_disk(out: Path) -> dict[str, dict[str, Any]]:
    stored = pl.read_parquet(out / "summaries" / "**" / "*.parquet", hive_partitioning=True)
    return {r["org"]: r for r in stored.iter_rows(named=True)}


@pytest.mark.timeout(240)
def test_a_worker_killed_on_every_attempt_leaves_its_failure_row_on_disk(tmp_path: Path) -> None:
    with cf.FakeAdminApi(cf.simulate.Organization(seed=31, days=3, today=TODAY)) as api:
        os.environ["CF_TEST_KEY_GUARANTEES"] = api.api_key  # before the workers are spawned
        good = fleet.Org(name="good", key_env="CF_TEST_KEY_GUARANTEES", base_url=api.base_url)
        doomed = fleet.Org(name="doomed", key_env="CF_TEST_KEY_GUARANTEES", base_url=api.base_url)
        _stale(tmp_path, "doomed")
        # Two attempts: the worker dies under the first, the nanny restarts it, it dies again.
        with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
            cluster = distributed.LocalCluster(
                n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
            )
            with distributed.Client(cluster) as client:
                first = fleet.reconcile([good], START, END, client, out=tmp_path)  # before the plugin
                client.register_plugin(_killer("doomed"))
                summary = fleet.reconcile([doomed], START, END, client, out=tmp_path)
            cluster.close()
    assert first["error"].to_list() == [None]
    row = summary.row(0, named=True)
    assert (row["org"], row["error_type"], row["exit_code"]) == ("doomed", "KilledWorker", 70)
    stored = _on_disk(tmp_path)
    assert stored["doomed"]["error_type"] == "KilledWorker" and stored["doomed"]["ok"] is None
    assert stored["good"]["error"] is None, "the other organization's row is its own"
    # The killed organization's older lines and findings are gone; the user's file stays.
    assert not (tmp_path / "lines" / "org=doomed").exists()
    assert [p.name for p in (tmp_path / "findings" / "org=doomed").iterdir()] == ["NOTES.txt"]
    assert (tmp_path / "lines" / "org=good" / "part-0.parquet").is_file()


@pytest.mark.timeout(240)
def test_a_rerun_where_an_organization_fails_leaves_nothing_of_its_old_window(tmp_path: Path) -> None:
    with cf.FakeAdminApi(cf.simulate.Organization(seed=32, days=3, today=TODAY)) as api:
        os.environ["CF_TEST_KEY_RERUN"] = api.api_key
        orgs = [fleet.Org(name=n, key_env="CF_TEST_KEY_RERUN", base_url=api.base_url) for n in ("a", "b")]
        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None)
        with distributed.Client(cluster) as client:
            before = fleet.reconcile(orgs, START, END, client, out=tmp_path)
            assert before["error"].null_count() == 2
            assert (tmp_path / "lines" / "org=b" / "part-0.parquet").is_file()
            (tmp_path / "lines" / "org=b" / "README").write_text("the user's")
            # The rerun: b's API is down now; a's rerun replaces a's output.
            down = fleet.Org(name="b", key_env="CF_TEST_KEY_RERUN", base_url="http://127.0.0.1:9")
            after = fleet.reconcile([orgs[0], down], START, "2026-11-19", client, out=tmp_path)
        cluster.close()
    assert dict(zip(after["org"], after["error_type"], strict=True)) == {"a": None, "b": "APIConnectionError"}
    stored = _on_disk(tmp_path)
    assert stored["b"]["exit_code"] == 4 and stored["b"]["lines"] is None
    assert [p.name for p in (tmp_path / "lines" / "org=b").iterdir()] == ["README"], "only counterfoil's file went"
    assert not (tmp_path / "findings" / "org=b").exists()
    lines = pl.scan_parquet(tmp_path / "lines" / "**" / "*.parquet", hive_partitioning=True).collect()
    assert lines["org"].unique().to_list() == ["a"]
    assert lines["date"].max() == dt.date(2026, 11, 18), "a's new window"


def test_an_unreachable_scheduler_is_one_error_line_and_exit_4(tmp_path: Path) -> None:
    path = tmp_path / "fleet.toml"
    path.write_text('[[org]]\nname = "a"\nkey_env = "CF_TEST_KEY_UNUSED"\n')
    cmd = [sys.executable, "-m", "counterfoil", "fleet", "reconcile", "--fleet", str(path), "--start", START]
    cmd += ["--end", END, "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:9"]
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 4, p.stdout + p.stderr
    assert "Traceback" not in p.stderr
    errors = [line for line in p.stderr.splitlines() if line.startswith("error:")]
    assert errors == [errors[0]] and "tcp://127.0.0.1:9" in errors[0], p.stderr
    assert any(line.startswith("hint:") for line in p.stderr.splitlines()), p.stderr
