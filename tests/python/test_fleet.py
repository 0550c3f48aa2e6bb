"""A fleet of organizations on Dask: every organization's lines equal a sequential run, one
organization's failure is its row, the CLI's exit codes, the fleet file's rules, fork safety."""

import datetime as dt
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import counterfoil as cf
from counterfoil import fleet

distributed = pytest.importorskip("distributed")

TODAY = dt.date(2026, 11, 20)
START, END = "2026-11-17", "2026-11-20"


@pytest.fixture(scope="module")
def fake() -> cf.FakeAdminApi:
    orgs = [
        cf.simulate.Organization(seed=300 + i, days=3, today=TODAY, plants="bend" if i % 10 == 0 else None)
        for i in range(50)
    ]
    return cf.FakeAdminApi(orgs)


def members(fake: cf.FakeAdminApi) -> list[fleet.Org]:
    out = []
    for i, key in enumerate(fake.api_keys):
        os.environ[f"CF_TEST_KEY_{i}"] = key  # workers are spawned after this: they inherit it
        out.append(fleet.Org(name=f"org-{i:02d}", key_env=f"CF_TEST_KEY_{i}", base_url=fake.base_url))
    return out


def test_fifty_organizations_on_a_local_cluster_equal_a_sequential_run(fake: cf.FakeAdminApi, tmp_path: Path) -> None:
    orgs = members(fake)
    os.environ["CF_TEST_KEY_BAD"] = "sk-ant-admin01-not-a-key-of-this-organization"
    bad_key = fleet.Org(name="bad-key", key_env="CF_TEST_KEY_BAD", base_url=fake.base_url)
    api_down = fleet.Org(name="api-down", key_env="CF_TEST_KEY_0", base_url="http://127.0.0.1:9")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with distributed.Client(cluster) as client:
        summary = fleet.reconcile([*orgs, bad_key, api_down], START, END, client, out=tmp_path)
    cluster.close()
    assert summary.height == 52
    errors = summary.filter(pl.col("error").is_not_null())
    assert dict(zip(errors["org"], errors["error_type"], strict=True)) == {
        "bad-key": "AuthenticationError",
        "api-down": "APIConnectionError",
    }
    assert dict(zip(errors["org"], errors["exit_code"], strict=True)) == {"bad-key": 3, "api-down": 4}
    done = summary.filter(pl.col("error").is_null())
    assert done.height == 50
    assert done.filter(~pl.col("ok"))["org"].to_list() == [f"org-{i:02d}" for i in range(0, 50, 10)], "the bent ones"
    # Every organization's lines equal a sequential run of the same Rust path.
    for o in orgs:
        seq = cf.AdminClient(api_key=o.api_key(), base_url=o.base_url).reconcile(START, END)
        got = pl.read_parquet(tmp_path / "lines" / f"org={o.name}" / "part-0.parquet")
        assert got.equals(seq.lines), o.name
        row = done.filter(pl.col("org") == o.name).row(0, named=True)
        assert row["discrepancies"] == seq.summary["discrepancies"]
        assert row["billed_usd"] == seq.summary["reported_all_usd"]
    # Results in one place: Hive-partitioned Parquet any engine reads.
    lines = pl.scan_parquet(tmp_path / "lines" / "**" / "*.parquet", hive_partitioning=True).collect()
    assert lines["org"].n_unique() == 50
    stored = pl.read_parquet(tmp_path / "summaries" / "**" / "*.parquet", hive_partitioning=True)
    assert stored.height == 52 and stored.filter(pl.col("error").is_not_null()).height == 2


def test_the_cli_exits_1_on_discrepancies_and_4_on_a_failure(fake: cf.FakeAdminApi, tmp_path: Path) -> None:
    orgs = members(fake)
    lines = []
    for o in orgs[:3]:  # org-00 has a planted bend
        lines += [f'[[org]]\nname = "{o.name}"\nkey_env = "{o.key_env}"\nbase_url = "{o.base_url}"\n']
    path = tmp_path / "fleet.toml"
    path.write_text("\n".join(lines))
    cmd = [sys.executable, "-m", "counterfoil", "fleet", "reconcile", "--fleet", str(path)]
    cmd += ["--start", START, "--end", END, "--out", str(tmp_path / "out")]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=os.environ)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "3 organizations: 2 clean, 1 with discrepancies, 0 failed" in p.stderr
    path.write_text(
        "\n".join(lines) + '\n[[org]]\nname = "down"\nkey_env = "CF_TEST_KEY_1"\nbase_url = "http://127.0.0.1:9"\n'
    )
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=os.environ)
    assert p.returncode == 4, p.stdout + p.stderr
    assert "1 failed" in p.stderr


def test_sync_fills_each_organizations_store(tmp_path: Path) -> None:
    # A store syncs up to the real clock: these organizations' data end today.
    recent = cf.FakeAdminApi([cf.simulate.Organization(seed=400 + i, days=3) for i in range(4)])
    for i, key in enumerate(recent.api_keys):
        os.environ[f"CF_TEST_RECENT_{i}"] = key
    orgs = [
        fleet.Org(name=f"r{i}", key_env=f"CF_TEST_RECENT_{i}", base_url=recent.base_url, store=str(tmp_path / f"r{i}"))
        for i in range(4)
    ]
    end = dt.datetime.now(dt.timezone.utc).date()
    start = (end - dt.timedelta(days=2)).isoformat()
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with distributed.Client(cluster) as client:
        summary = fleet.sync(orgs, client, backfill_days=3, restate_days=1)
        again = fleet.reconcile(orgs, start, end.isoformat(), client, out=tmp_path / "out", source="store")
    cluster.close()
    assert summary["error"].null_count() == 4, summary["error"].to_list()
    assert (summary["days_written"] > 0).all()
    assert again["error"].null_count() == 4, again["error"].to_list()
    for o in orgs[:2]:
        from_api = cf.AdminClient(api_key=o.api_key(), base_url=o.base_url).reconcile(start, end.isoformat())
        row = again.filter(pl.col("org") == o.name).row(0, named=True)
        assert row["discrepancies"] == from_api.summary["discrepancies"]
        assert row["billed_usd"] == from_api.summary["reported_all_usd"]
    recent.stop()


def test_the_fleet_file_never_holds_a_key_and_names_are_unique(tmp_path: Path) -> None:
    path = tmp_path / "fleet.toml"
    path.write_text('[[org]]\nname = "a"\napi_key = "sk-ant-admin01-x"\n')
    with pytest.raises(cf.InputError, match="never the key itself"):
        fleet.load(path)
    path.write_text('[[org]]\nname = "a"\nkey_env = "X"\n[[org]]\nname = "a"\nkey_file = "/k"\n')
    with pytest.raises(cf.InputError, match="unique"):
        fleet.load(path)
    with pytest.raises(cf.InputError, match="exactly one of key_env and key_file"):
        fleet.Org(name="b")
    with pytest.raises(cf.InputError, match="letters, digits"):
        fleet.Org(name="../etc", key_env="X")
    secret = tmp_path / "key"
    secret.write_text("sk-ant-admin01-from-a-file\n")
    assert fleet.Org(name="c", key_file=str(secret)).api_key() == "sk-ant-admin01-from-a-file"


def _child(base_url: str, key: str, q: "multiprocessing.Queue[object]") -> None:
    rec = cf.AdminClient(api_key=key, base_url=base_url).reconcile(START, END)
    q.put(rec.summary["lines"])


def test_a_forked_worker_builds_its_own_runtime(fake: cf.FakeAdminApi) -> None:
    key = fake.api_keys[5]
    parent = cf.AdminClient(api_key=key, base_url=fake.base_url).reconcile(START, END)  # the parent's runtime runs
    ctx = multiprocessing.get_context("fork")
    q: multiprocessing.Queue[object] = ctx.Queue()
    p = ctx.Process(target=_child, args=(fake.base_url, key, q))
    p.start()
    p.join(120)
    assert p.exitcode == 0
    assert q.get(timeout=5) == parent.summary["lines"]


def test_on_the_analytics_source_the_fleet_stores_what_was_billed_not_the_list_price(tmp_path: Path) -> None:
    org = cf.simulate.Organization(seed=23, days=4, today=TODAY, contract="demo")  # Opus 5.5 at 12 % off
    with cf.FakeAdminApi(org) as api:
        os.environ["CF_TEST_KEY_CONTRACT"] = api.api_key
        member = fleet.Org(name="contract", key_env="CF_TEST_KEY_CONTRACT", base_url=api.base_url)
        row = fleet.reconcile_one(member, START, END, str(tmp_path), source="analytics")
        client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url)
        legacy = client.reconcile(START, END).summary
    assert row.get("error") is None, row
    assert row["billed_usd"] == legacy["reported_all_usd"], "what cost_report bills, after the discount"
    lines = pl.read_parquet(tmp_path / "lines" / "org=contract" / "part-0.parquet")
    assert row["billed_usd"] == lines["reported_usd"].drop_nulls().sum() < lines["list_usd"].drop_nulls().sum()
