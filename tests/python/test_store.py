"""The store from Python and the CLI: sync, lazy frames that Polars and DuckDB read with Decimal
money and UTC timestamps, reconcile --store --new-only, one writer at a time, and SIGKILL at
random moments leaving every partition whole."""

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from cli_run import run

import counterfoil as cf

TODAY = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> tuple[cf.Store, cf.simulate.Organization]:
    org = cf.simulate.Organization(seed=4, days=8, today=TODAY, plants=["bend"])
    store = cf.Store(tmp_path_factory.mktemp("store") / "s")
    with cf.FakeAdminApi(org) as api:
        now = dt.datetime(2026, 11, 20, 6, tzinfo=dt.timezone.utc)
        api.set_now(now)
        # The client keeps the simulated organization's clock.
        client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url, now=now)
        summary = store.sync(client, backfill_days=7)
    assert summary["days_written"] > 0, summary
    return store, org


def test_lazy_frames_read_with_decimal_money_and_utc(synced: tuple[cf.Store, cf.simulate.Organization]) -> None:
    store, org = synced
    start, end = org.window
    usage = store.usage(start.date() + dt.timedelta(days=1), end.date())
    assert isinstance(usage, pl.LazyFrame)
    df = usage.collect()
    assert df.schema["bucket_start"] == pl.Datetime("us", "UTC")
    assert "date" in df.columns, "the Hive partition column"
    truth = org.usage_records().filter(pl.col("minute") >= start + dt.timedelta(days=1))
    assert df["output_tokens"].sum() == truth["output_tokens"].sum()
    cost = store.cost().collect()
    assert cost.schema["amount_usd"] == pl.Decimal(38, 12)
    assert pl.scan_parquet(Path(store.path) / "usage", hive_partitioning=True).collect().height >= df.height


def test_duckdb_reads_the_store_as_it_is(synced: tuple[cf.Store, cf.simulate.Organization]) -> None:
    import duckdb

    store, _ = synced
    con = duckdb.connect()
    glob = str(Path(store.path) / "cost" / "*" / "*.parquet")
    row = con.execute(
        f"SELECT any_value(typeof(amount_usd)), any_value(typeof(bucket_start)), sum(amount_usd) "
        f"FROM read_parquet('{glob}', hive_partitioning=true)"
    ).fetchone()
    assert row is not None
    assert row[0] == "DECIMAL(38,12)" and row[1] == "TIMESTAMP WITH TIME ZONE", row
    assert row[2] == store.cost().collect()["amount_usd"].sum()
    dates = con.execute(f"SELECT count(DISTINCT date) FROM read_parquet('{glob}', hive_partitioning=true)").fetchone()
    assert dates is not None and dates[0] >= 7


def test_reconcile_from_the_store_alerts_once(synced: tuple[cf.Store, cf.simulate.Organization]) -> None:
    store, org = synced
    start, end = org.window
    s = start.date() + dt.timedelta(days=1)
    first = store.reconcile(s, end.date())
    assert "first_seen" in first.lines.columns
    assert first.lines.filter(pl.col("status") == "mismatch").height == 1
    findings = store.findings()
    assert findings.height == 1 and findings["resolved_at"].null_count() == 1
    p = run("reconcile", "--store", store.path, "--start", str(s), "--end", str(end.date()), "--new-only")
    assert p.returncode == 0, "seen before: an hourly job does not alert again\n" + p.stderr
    assert "(none new)" in p.stderr
    p = run("reconcile", "--store", store.path, "--start", str(s), "--end", str(end.date()))
    assert p.returncode == 1


def test_bad_stores(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("not a store")
    with pytest.raises(cf.StoreError, match="not a counterfoil store"):
        cf.Store(tmp_path)
    p = run("reconcile", "--store", str(tmp_path), "--start", "2026-11-01", "--end", "2026-11-02")
    assert p.returncode == 2 and "not a counterfoil store" in p.stderr
    empty = tmp_path / "new"
    store = cf.Store(empty)
    with pytest.raises(cf.StoreError):
        store.usage()


def test_one_writer_at_a_time_and_a_clean_cli_summary(tmp_path: Path) -> None:
    org = cf.simulate.Organization(seed=9, days=4)
    with cf.FakeAdminApi(org, latency_ms=400) as api:
        base = [
            "--store",
            str(tmp_path / "s"),
            "--api-key",
            api.api_key,
            "--base-url",
            api.base_url,
            "--backfill-days",
            "3",
        ]
        cmd = [sys.executable, "-m", "counterfoil", "sync", *base, "--format", "json"]
        first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        second = run("sync", *base)
        out, err = first.communicate(timeout=120)
    assert second.returncode == 2, second.stderr
    assert f"pid {first.pid}" in second.stderr and "hint:" in second.stderr
    assert first.returncode == 0, err
    summary = json.loads(out)
    assert summary["days_written"] == 8 and summary["requests"] > 0


def test_sigkill_at_random_moments_never_leaves_a_partial_partition(tmp_path: Path) -> None:
    """At least 30 SIGKILLs land mid-run: after a first complete sync, late data changes
    yesterday before every run, so each run rewrites partitions and archives the old ones, and the
    kill lands anywhere in it. After each kill every partition is a whole
    Parquet file and the store reads; a final run completes it, equal to the truth."""
    org = cf.simulate.Organization(seed=13, days=6)
    root = tmp_path / "s"
    rng = random.Random(7)
    yesterday = org.window[1].date() - dt.timedelta(days=1)
    with cf.FakeAdminApi(org, latency_ms=40) as api:
        args = [
            "sync",
            "--store",
            str(root),
            "--api-key",
            api.api_key,
            "--base-url",
            api.base_url,
            "--backfill-days",
            "5",
        ]
        started = time.monotonic()
        assert run(*args).returncode == 0
        full = time.monotonic() - started
        kills = runs = 0
        while kills < 30 and runs < 120:
            runs += 1
            api.restate(yesterday, 0.02)
            p = subprocess.Popen(
                [sys.executable, "-m", "counterfoil", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            time.sleep(rng.uniform(0.05, full))
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
                kills += 1
            p.wait(timeout=60)
            check_whole(root)
        final = run(*args, "--format", "json")
        truth = api.organization()
    assert kills >= 30, (kills, runs)
    assert final.returncode == 0, final.stderr
    check_whole(root)
    store = cf.Store(root)
    end = truth.window[1].date()
    first = end - dt.timedelta(days=5)
    usage = store.usage(first, end).collect()
    records = truth.usage_records().filter(pl.col("minute") >= dt.datetime.combine(first, dt.time(), dt.timezone.utc))
    assert usage["uncached_input_tokens"].sum() == records["uncached_input_tokens"].sum()
    cost = store.cost(first, end).collect()["amount_usd"].sum()
    want = truth.cost_lines().filter(pl.col("date") >= first)["amount_usd"].sum()
    assert cost == want and isinstance(cost, Decimal)
    # Late data changed yesterday before every run; runs that were not killed in time archived
    # the replaced partitions. (Whether a change is a restatement or export lag depends on the
    # hour the test runs at, as yesterday's buckets settle 24 h after they end.)
    assert len(list((root / "_history" / "usage").glob("*/*.parquet"))) >= 2


def check_whole(root: Path) -> None:
    if not (root / "state.json").exists():
        return
    json.loads((root / "state.json").read_text())  # whole, not torn
    for f in (
        list(root.glob("usage/*/*.parquet"))
        + list(root.glob("cost/*/*.parquet"))
        + list(root.glob("_history/*/*/*.parquet"))
    ):
        pl.read_parquet(f)  # a torn file would not read
    leftovers = [p for p in root.rglob(".*") if p.is_file() and not p.name.endswith(".lock")]
    assert all(p.parent.name.startswith("date=") or p.parent == root for p in leftovers)


def test_watch_ends_cleanly_on_sigterm(tmp_path: Path) -> None:
    org = cf.simulate.Organization(seed=21, days=3)
    with cf.FakeAdminApi(org) as api:
        # A still clock: otherwise a minute boundary between the two runs adds today's usage.
        api.set_now(dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0))
        cmd = [sys.executable, "-m", "counterfoil", "sync", "--store", str(tmp_path / "s"), "--api-key", api.api_key]
        cmd += ["--base-url", api.base_url, "--backfill-days", "2", "--watch", "--interval", "1s", "--format", "json"]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        assert p.stdout is not None
        lines = [p.stdout.readline(), p.stdout.readline()]  # two runs, a second apart
        assert time.monotonic() < deadline
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    first, second = (json.loads(x) for x in lines)
    assert first["days_written"] == 6 and second["days_written"] == 0, (first, second)


def test_an_api_failure_halfway_leaves_the_store_whole_and_the_next_run_completes(tmp_path: Path) -> None:
    org = cf.simulate.Organization(seed=22, days=9)
    root = tmp_path / "s"
    args = ["sync", "--store", str(root), "--backfill-days", "8", "--max-retries", "0", "--concurrency", "1"]
    with cf.FakeAdminApi(org, error_every=4) as flaky:
        p = run(*args, "--api-key", flaky.api_key, "--base-url", flaky.base_url)
    assert p.returncode == 4 and "HTTP 500" in p.stderr, p.stderr
    check_whole(root)
    with cf.FakeAdminApi(org) as api:
        p = run(*args, "--api-key", api.api_key, "--base-url", api.base_url, "--format", "json")
    assert p.returncode == 0, p.stderr
    check_whole(root)
    assert len(list(root.glob("usage/*/*.parquet"))) == 9


def test_a_failed_write_keeps_the_old_partition(tmp_path: Path) -> None:
    """A disk that fills up mid-partition (here: a file-size limit on the process) fails the run
    with a message naming the file; every stored partition stays as it was."""
    import resource

    org = cf.simulate.Organization(seed=23, days=3)
    root = tmp_path / "s"
    with cf.FakeAdminApi(org) as api:
        base = [
            "sync",
            "--store",
            str(root),
            "--api-key",
            api.api_key,
            "--base-url",
            api.base_url,
            "--backfill-days",
            "2",
        ]
        assert run(*base).returncode == 0
        before = {p: p.read_bytes() for p in root.glob("*/date=*/part-0.parquet")}
        yesterday = org.window[1].date() - dt.timedelta(days=1)
        api.restate(yesterday, 0.5)

        def limit() -> None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

        p = subprocess.run(
            [sys.executable, "-m", "counterfoil", *base], capture_output=True, text=True, timeout=120, preexec_fn=limit
        )
    assert p.returncode == 2, p.stderr
    assert "part-0.parquet" in p.stderr or ".parquet" in p.stderr, p.stderr
    check_whole(root)
    for path, data in before.items():
        assert path.read_bytes() == data, f"{path} changed although its write failed"


def test_a_window_the_store_does_not_hold_is_refused(synced: tuple[cf.Store, cf.simulate.Organization]) -> None:
    store, _ = synced
    p = run("reconcile", "--store", store.path, "--start", "2025-01-01", "--end", "2025-01-03")
    assert p.returncode == 2
    assert "has no usage for 2025-01-01" in p.stderr and "hint:" in p.stderr


def test_a_damaged_partition_is_named(synced: tuple[cf.Store, cf.simulate.Organization], tmp_path: Path) -> None:
    import shutil

    store, org = synced
    copy = tmp_path / "copy"
    shutil.copytree(store.path, copy)
    victim = sorted(copy.glob("usage/*/part-0.parquet"))[-2]  # inside the window
    victim.write_bytes(victim.read_bytes()[:100])
    start, end = org.window
    p = run(
        "reconcile", "--store", str(copy), "--start", str(start.date() + dt.timedelta(days=1)), "--end", str(end.date())
    )
    assert p.returncode == 2
    assert str(victim) in p.stderr and "not a readable Parquet file" in p.stderr
