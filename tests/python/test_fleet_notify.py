"""`counterfoil fleet reconcile|sync --notify --metrics-file`: three organizations, three sinks
(Slack, a CloudEvents webhook, PagerDuty) on loopback. Each organization's events carry its own
id and name and the money of its own lines; Slack gets one digest per organization; with each
organization's store, each event reaches each sink once across runs; a sink that is down makes
the fleet exit 4 naming its host while the other sinks get everything, and it is sent what it
missed by the next run; a failed sync is `job.failed`; one metrics file for the fleet."""

import datetime as dt
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from cli_run import run
from prometheus_client.openmetrics.parser import text_string_to_metric_families
from receivers import Receiver, receivers

import counterfoil as cf
from counterfoil import fleet, fleet_alerts

distributed = pytest.importorskip("distributed")

TODAY = dt.date(2026, 11, 20)
START, END = "2026-11-13", "2026-11-20"
PD_KEY = "PDROUTINGKEYSECRET00000000000001"
NAMES = ["emea", "apac", "amer"]


@pytest.fixture()
def sinks() -> Iterator[list[Receiver]]:
    with receivers(3) as rs:
        yield rs


def usd(v: Decimal) -> str:
    """An exact amount as Slack's digest shows it: `$1,105.445728474`, at least two decimals."""
    whole, _, frac = format(v.normalize(), ",f").partition(".")
    return f"${whole}.{frac:0<2}"


def identity(store: Path) -> tuple[str, str]:
    o = json.loads((store / "state.json").read_text())["organization"]
    return o["id"], o["name"]


@pytest.mark.timeout(600)
def test_three_organizations_three_sinks_exactly_once_and_a_sink_that_was_down(
    tmp_path: Path, sinks: list[Receiver]
) -> None:
    plants = [["bend"], ["bend", "drop_cost_line"], ["unknown_model"]]
    orgs = [cf.simulate.Organization(seed=60 + i, days=8, today=TODAY, plants=p) for i, p in enumerate(plants)]
    lines = []
    with cf.FakeAdminApi(orgs) as api:
        now = dt.datetime(2026, 11, 20, 6, tzinfo=dt.timezone.utc)
        api.set_now(now)
        for name, key in zip(NAMES, api.api_keys, strict=True):
            cf.Store(tmp_path / name).sync(cf.AdminClient(api_key=key, base_url=api.base_url, now=now), backfill_days=7)
            os.environ[f"CF_FLEET_NOTIFY_{name}"] = key
            lines.append(f'[[org]]\nname = "{name}"\nkey_env = "CF_FLEET_NOTIFY_{name}"\nstore = "{tmp_path / name}"\n')
    (tmp_path / "fleet.toml").write_text("\n".join(lines))
    slack, hook, pd = sinks
    env = {"COUNTERFOIL_PAGERDUTY_URL": pd.url, "PD_KEY": PD_KEY}
    metrics = tmp_path / "fleet.prom"
    cmd = ["fleet", "reconcile", "--fleet", str(tmp_path / "fleet.toml"), "--start", START, "--end", END,
           "--out", str(tmp_path / "out"), "--source", "store", "--notify", f"slack:{slack.url}",
           "--notify", f"webhook:{hook.url}", "--notify", "pagerduty:env:PD_KEY",
           "--metrics-file", str(metrics)]  # fmt: skip

    # Run 1: the webhook is down. Slack and PagerDuty get every organization's events; exit 4.
    hook.down = True
    t = time.perf_counter()
    p = run(*cmd, env=env)
    first = time.perf_counter() - t
    assert p.returncode == 4, p.stdout + p.stderr
    failed = re.findall(r"^error: (\w+): notification to webhook \(127\.0\.0\.1\) failed \(HTTP 503 after 4 attempts\)",
                        p.stderr, re.M)  # fmt: skip
    assert sorted(failed) == sorted(NAMES), p.stderr
    assert "SECRET" not in p.stdout + p.stderr
    assert len(hook.paths) == 3 * 4 and not hook.seen, "four attempts per organization, none taken"

    ids = {name: identity(tmp_path / name) for name in NAMES}
    out = tmp_path / "out"
    digests = slack.bodies()
    assert len(digests) == 3, "one Slack digest per organization per run"
    for name, (org_id, org_name) in ids.items():
        (d,) = [d for d in digests if org_id in d["blocks"][-1]["elements"][0]["text"]]
        assert d["blocks"][0]["text"]["text"].endswith(f"— {org_name}"), d["blocks"][0]
        summary = pl.read_parquet(out / "summaries" / f"org={name}" / "part-0.parquet").row(0, named=True)
        assert d["blocks"][1]["fields"][0]["text"] == f"*Billed*\n{usd(summary['billed_usd'])}", "its own split"

    triggers = [b for b in pd.bodies() if b["routing_key"] == PD_KEY]
    per_org: dict[str, list[dict[str, Any]]] = {}
    for b in triggers:
        per_org.setdefault(b["payload"]["custom_details"]["organization"]["id"], []).append(b)
    assert set(per_org) == {i for i, _ in ids.values()}
    for name, (org_id, org_name) in ids.items():
        bad = pl.read_parquet(out / "lines" / f"org={name}" / "part-0.parquet").filter(
            pl.col("status").is_in(["mismatch", "missing_usage", "missing_cost", "unpriced"])
        )
        events = per_org[org_id]
        assert len(events) == bad.height > 0, name
        for e in events:
            d = e["payload"]["custom_details"]
            assert d["organization"] == {"id": org_id, "name": org_name}
            assert e["payload"]["source"] == f"counterfoil://{org_id}" and e["dedup_key"] == d["finding_id"]
        got = sorted((d["custom_details"]["delta_usd"] or "") for d in (e["payload"] for e in events))
        want = sorted("" if v is None else str(v.normalize()) for v in bad["delta_usd"])
        assert [g and Decimal(g) for g in got] == [w and Decimal(w) for w in want], "the lines' money, to the digit"

    # Run 2: the webhook is back and gets exactly what it missed; the others get nothing again.
    hook.down = False
    t = time.perf_counter()
    p = run(*cmd, env=env)
    second = time.perf_counter() - t
    assert p.returncode == 1, p.stdout + p.stderr
    events = hook.bodies()
    assert sorted(e["data"]["finding_id"] for e in events) == sorted(
        b["payload"]["custom_details"]["finding_id"] for b in triggers
    )
    for e in events:
        org = e["data"]["organization"]
        assert e["specversion"] == "1.0" and e["source"] == f"counterfoil://{org['id']}"
        assert e["type"] == "dev.counterfoil.finding.opened"
    assert len(slack.bodies()) == 3 and len(pd.bodies()) == len(triggers), "never twice once acknowledged"

    # Run 3: nothing new anywhere.
    t = time.perf_counter()
    p = run(*cmd, env=env)
    third = time.perf_counter() - t
    assert p.returncode == 1, p.stderr
    assert (len(slack.bodies()), len(hook.bodies()), len(pd.bodies())) == (3, len(events), len(triggers))
    t = time.perf_counter()
    assert run(*cmd[: cmd.index("--notify")], env=env).returncode == 1
    bare = time.perf_counter() - t
    print(f"fleet reconcile, 3 orgs x 3 sinks: first (webhook down) {first:.1f} s, catch-up {second:.1f} s, "
          f"nothing new {third:.1f} s, without --notify {bare:.1f} s", file=sys.stderr)  # fmt: skip

    # One metrics file: every organization, labelled with its id and the fleet's name for it.
    text = metrics.read_text()
    samples = [s for f in text_string_to_metric_families(text) for s in f.samples]
    success = {s.labels["org"]: s.labels for s in samples if s.name == "counterfoil_last_success_timestamp_seconds"}
    assert sorted(success) == sorted(NAMES)
    for name, labels in success.items():
        assert labels == {"organization": ids[name][0], "org": name, "command": "fleet-reconcile"}
        summary = pl.read_parquet(out / "summaries" / f"org={name}" / "part-0.parquet").row(0, named=True)
        mine = rf'^counterfoil_overbilled_usd\{{[^}}]*org="{name}"[^}}]*\}} (\S+)$'
        assert sum(Decimal(v) for v in re.findall(mine, text, re.M)) == summary["overbilled_usd"], name
    for f in [*out.rglob("*.parquet"), *(tmp_path / n / "finding_events.parquet" for n in NAMES), metrics]:
        assert b"SECRET" not in f.read_bytes(), f


@pytest.mark.timeout(600)
def test_a_failed_sync_is_job_failed_and_keeps_its_last_success_in_the_metrics_file(
    tmp_path: Path, sinks: list[Receiver]
) -> None:
    # A store syncs up to the real clock: these organizations' data end today.
    api = cf.FakeAdminApi([cf.simulate.Organization(seed=70 + i, days=3) for i in range(3)])
    for name, key in zip(NAMES, api.api_keys, strict=True):
        os.environ[f"CF_FLEET_SYNC_{name}"] = key
    os.environ["CF_FLEET_SYNC_BAD"] = "sk-ant-admin01-not-a-key-of-this-organization"
    os.environ["COUNTERFOIL_PAGERDUTY_URL"] = sinks[2].url  # before the workers are spawned
    members = [fleet.Org(name=n, key_env=f"CF_FLEET_SYNC_{n}", base_url=api.base_url, store=str(tmp_path / n))
               for n in NAMES]  # fmt: skip
    broken = [*members[:2], fleet.Org(name="amer", key_env="CF_FLEET_SYNC_BAD", base_url=api.base_url,
                                      store=str(tmp_path / "amer"))]  # fmt: skip
    specs = [f"slack:{sinks[0].url}", f"webhook:{sinks[1].url}", f"pagerduty:{PD_KEY}"]
    metrics = tmp_path / "sync.prom"
    with pytest.raises(cf.InputError):
        fleet.sync(members, notify=["webhook:http://example.com/SECRET"])  # before any work, no cluster
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with distributed.Client(cluster) as client:
        ok = fleet.sync(members, client, backfill_days=2, notify=specs, metrics_file=metrics)
        quiet = [len(r.bodies()) for r in sinks]
        before = {s.labels["org"]: s.value for f in text_string_to_metric_families(metrics.read_text())
                  for s in f.samples if s.name == "counterfoil_last_success_timestamp_seconds"}  # fmt: skip
        bad = fleet.sync(broken, client, notify=specs, metrics_file=metrics)
    cluster.close()
    api.stop()
    assert ok["error"].null_count() == 3 and quiet == [0, 0, 0], "a sync that works says nothing"
    row = bad.filter(pl.col("org") == "amer").row(0, named=True)
    assert (row["error_type"], row["exit_code"], row["notified"], row["notify_error"]) == (
        "AuthenticationError", 3, 1, None)  # fmt: skip
    org_id, org_name = identity(tmp_path / "amer")
    (event,) = sinks[1].bodies()
    assert event["type"] == "dev.counterfoil.job.failed" and event["source"] == f"counterfoil://{org_id}"
    assert event["data"]["organization"] == {"id": org_id, "name": org_name}, "from its store"
    assert event["data"]["title"].startswith("counterfoil fleet sync (amer) failed: authentication failed")
    (page,) = sinks[2].bodies()
    assert page["dedup_key"] == "job_fleet_sync_amer" and page["payload"]["severity"] == "error"
    assert len(sinks[0].bodies()) == 1

    samples = [s for f in text_string_to_metric_families(metrics.read_text()) for s in f.samples]
    after = {s.labels["org"]: s.value for s in samples if s.name == "counterfoil_last_success_timestamp_seconds"}
    assert after["amer"] == before["amer"], "the failed organization's last success, carried over"
    assert after["emea"] > before["emea"] and after["apac"] > before["apac"]
    restated = {s.labels["org"]: s.value for s in samples if s.name == "counterfoil_sync_restated_days"}
    assert restated == {n: float(bad.filter(pl.col("org") == n)["days_restated"][0] or 0) for n in NAMES[:2]} | {
        "amer": 0.0}  # fmt: skip


def test_a_failed_reconcile_task_is_job_failed_with_its_window(tmp_path: Path, sinks: list[Receiver]) -> None:
    """One task, run in-process as a worker would run it: an organization without a store asked
    to reconcile from it fails (exit 2) and says so, naming the fleet's organization."""
    member = fleet.Org(name="nostore", key_env="CF_FLEET_UNUSED")
    to = fleet_alerts.sinks([f"webhook:{sinks[1].url}"])
    assert "SECRET" not in repr(to) and repr(to) == "Sinks(webhook (127.0.0.1))"
    row = fleet.reconcile_one(member, START, END, str(tmp_path), source="store", sinks=to)
    assert (row["error_type"], row["exit_code"], row["notified"]) == ("InputError", 2, 1)
    (e,) = sinks[1].bodies()
    assert e["type"] == "dev.counterfoil.job.failed" and e["source"] == "counterfoil://unknown"
    assert e["data"]["organization"] == {"id": "", "name": "nostore"}
    assert e["data"]["window"] == {"start": START, "end": END}
    assert e["data"]["finding_id"] == "job_fleet_reconcile_nostore" and e["data"]["status"] == "exit 2"
