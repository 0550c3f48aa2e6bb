"""Left alone for ten simulated days: an hourly `sync` then `reconcile --store --new-only`, as cron
runs them, against a fake whose export lags (most of an hour within 4 h, all within 24), with
planted late restatements of settled days, a bill fixed and then broken again, an outage, user
files in the store, a partition deleted and another truncated by hand, and kill -9 at random
moments. What an operator must be able to trust afterwards is checked against the ground truth."""

import datetime as dt
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

import counterfoil as cf
from counterfoil._native import run_cli

UTC = dt.UTC
DAY = dt.timedelta(days=1)


def midnight(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(), UTC)


def test_ten_days_of_hourly_runs_tell_the_truth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    today = dt.date(2026, 11, 26)  # the organization's data runs 11-10 … 11-25, then a partial 11-26
    org = cf.simulate.Organization(seed=32, days=16, today=today, plants=["bend", "drop_cost_line"], lag=True)
    planted = {p["plant"]: p["date"] for p in org.planted().iter_rows(named=True)}
    bend_day, drop_day = planted["bend"], planted["drop_cost_line"]
    assert (bend_day, drop_day) == (dt.date(2026, 11, 18), dt.date(2026, 11, 21)), "the schedule below fits these"
    store = tmp_path / "store"
    start = midnight(dt.date(2026, 11, 14)) + dt.timedelta(minutes=17)
    end = midnight(today) + dt.timedelta(hours=23, minutes=17)
    rng = random.Random(5)

    with cf.FakeAdminApi(org) as api:
        conn = ["--api-key", api.api_key, "--base-url", api.base_url, "--max-retries", "0"]
        sync = ["counterfoil", "sync", "--store", str(store), "--backfill-days", "4", "--restate-days", "5", *conn]
        # The schedule of what the world does to the operator, in simulated time.
        # Late usage for two settled days (two days after each, mid-morning), seen by the next
        # once-a-day re-read (T-3): restatements. The bend is fixed, then billed wrongly again.
        restate_days = [midnight(dt.date(2026, 11, 15)), midnight(dt.date(2026, 11, 22))]
        restated_at = {d + 2 * DAY + dt.timedelta(hours=10): d.date() for d in restate_days}
        fix_at = midnight(bend_day) + 2 * DAY + dt.timedelta(hours=12)  # the bend has alerted by then
        rebreak_at = fix_at + DAY
        outage = (
            midnight(dt.date(2026, 11, 18)) + dt.timedelta(hours=3),
            midnight(dt.date(2026, 11, 18)) + dt.timedelta(hours=9),
        )
        api.set_outage(*outage)
        kills = sorted(rng.sample(range(30, 230), 10))
        alerts: list[dt.datetime] = []
        outcomes: dict[str, int] = {}
        user_files = {".gitignore": b"*.tmp\n", "notes/README.md": b"our store\n", "cost/.keep": b""}
        t, hour = start, 0
        while t <= end:
            api.set_now(t)
            monkeypatch.setenv("COUNTERFOIL_NOW", t.isoformat())  # the CLI's clock, with the fake's
            for at, day in restated_at.items():
                if at <= t < at + dt.timedelta(hours=1):
                    assert api.restate(day, 0.05) > 0
            if fix_at <= t < fix_at + dt.timedelta(hours=1):
                assert api.fix(bend_day)
            if rebreak_at <= t < rebreak_at + dt.timedelta(hours=1):
                api.rebreak(bend_day)
            if hour == 40:  # hands in the store: a partition deleted, another truncated
                (store / "usage" / "date=2026-11-11" / "part-0.parquet").unlink()
                cost = store / "cost" / "date=2026-11-12" / "part-0.parquet"
                cost.write_bytes(cost.read_bytes()[:100])
            if hour in kills:
                p = subprocess.Popen(
                    [sys.executable, "-m", *sync], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                time.sleep(rng.uniform(0.05, 0.6))
                p.send_signal(signal.SIGKILL)
                p.wait(timeout=60)
            code = run_cli([*sync, "--format", "json"])
            outcomes[f"sync {code}"] = outcomes.get(f"sync {code}", 0) + 1
            assert code == (4 if outage[0] <= t < outage[1] else 0), (t, code)
            if hour == 1:  # the operator's own files, next to the data
                for name, body in user_files.items():
                    (store / name).parent.mkdir(parents=True, exist_ok=True)
                    (store / name).write_bytes(body)
            # The last seven full days (the store holds them from 11-10 on).
            first_day = max(t.date() - 7 * DAY, dt.date(2026, 11, 10))
            window = ["--start", first_day.isoformat(), "--end", t.date().isoformat()]
            out = tmp_path / "rec.json"
            code = run_cli(
                [
                    "counterfoil",
                    "reconcile",
                    "--store",
                    str(store),
                    *window,
                    "--new-only",
                    "--format",
                    "json",
                    "--out",
                    str(out),
                ]
            )
            assert code in (0, 1), (t, code)
            if code == 1:
                alerts.append(t)
            t += dt.timedelta(hours=1)
            hour += 1
        truth = api.organization()
    monkeypatch.delenv("COUNTERFOIL_NOW")

    s = cf.Store(store)
    # Restatements: exactly the planted ones (both datasets of each restated day; the fix and the
    # rebreak rebill the bend's cost), never export lag.
    log = s.restatements()
    got = sorted(zip(log["dataset"].to_list(), log["date"].to_list(), strict=True))
    want = sorted([("usage", d.date()) for d in restate_days] + [("cost", d.date()) for d in restate_days]
                  + [("cost", bend_day), ("cost", bend_day)])  # fmt: skip
    assert got == want, got
    # One alert per planted problem when its day settled, and one when the fixed bill broke again.
    events = s.finding_events()
    opened = events.filter(pl.col("event").is_in(["opened", "reopened"]))
    assert sorted(opened["event"].to_list()) == ["opened", "opened", "reopened"], events
    assert len(alerts) == 3, alerts
    assert events.filter(pl.col("event") == "resolved").height == 1, "the fix resolved the bend once"
    findings = s.findings()
    # None of them on a provisional day: each alert came once its day had settled (24 h after it).
    for row in opened.join(findings.select("finding_id", "date"), on="finding_id").iter_rows(named=True):
        assert row["at"] >= midnight(row["date"]) + 2 * DAY, row
    bend = findings.filter(pl.col("date") == bend_day)
    assert bend["times_opened"].to_list() == [2] and bend["resolved_at"].null_count() == 1
    # The operator's files are byte-identical; the partitions taken away are back.
    for name, body in user_files.items():
        assert (store / name).read_bytes() == body, name
    assert not any((store / "_tmp").iterdir()), "no temporary survives a completed run"
    # The store equals the settled ground truth to the last Decimal digit, day by day.
    settled_end = end.date() - DAY  # yesterday has not settled at the last run
    first = dt.date(2026, 11, 10)
    cost = s.cost(first, settled_end).collect().group_by("date").agg(pl.col("amount_usd").sum())
    want_cost = truth.cost_lines().filter(pl.col("date") < settled_end).group_by("date").agg(pl.col("amount_usd").sum())
    assert cost.sort("date")["amount_usd"].to_list() == want_cost.sort("date")["amount_usd"].to_list()
    assert all(isinstance(v, Decimal) for v in cost["amount_usd"])
    usage = s.usage(first, settled_end).collect()
    records = truth.usage_records().filter(pl.col("minute") < midnight(settled_end))
    for c in ["uncached_input_tokens", "cache_read_input_tokens", "output_tokens"]:
        assert usage[c].sum() == records[c].sum(), c
    assert outcomes["sync 4"] == 6, outcomes


def test_a_watcher_survives_an_outage_and_stops_on_revoked_credentials(tmp_path: Path) -> None:
    org = cf.simulate.Organization(seed=3, days=3, today=dt.date(2026, 11, 20))
    with cf.FakeAdminApi(org) as api:
        now = dt.datetime(2026, 11, 20, 6, tzinfo=UTC)
        api.set_now(now)
        api.set_outage(now - dt.timedelta(hours=1), now + dt.timedelta(hours=1))
        cmd = [
            sys.executable,
            "-m",
            "counterfoil",
            "sync",
            "--store",
            str(tmp_path / "s"),
            "--watch",
            "--interval",
            "1s",
        ]
        cmd += ["--format", "json", "--backfill-days", "2", "--max-retries", "0", "--api-key", api.api_key]
        cmd += ["--base-url", api.base_url]
        env = {**os.environ, "COUNTERFOIL_NOW": now.isoformat()}
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as p:
            assert p.stdout is not None and p.stderr is not None
            lines = [p.stdout.readline(), p.stdout.readline()]
            assert all('"exit_code":4' in line and '"error"' in line for line in lines), lines
            api.set_outage(None, None)  # the server recovers: the next run syncs
            for _ in range(5):
                line = p.stdout.readline()
                if '"days_written"' in line:
                    break
            assert '"days_written"' in line, line
            api.revoke_keys()
            code = p.wait(timeout=60)
            err = p.stderr.read()
    assert code == 3, err
    assert "authentication failed" in err and "Traceback" not in err
