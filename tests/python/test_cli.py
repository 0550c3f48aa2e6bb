"""The console script through a subprocess: formats, exit codes, one-line errors."""

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import polars as pl
from cli_run import run

import counterfoil as cf


def test_usage_table_and_env_credentials(api: cf.FakeAdminApi) -> None:
    env = {"ANTHROPIC_ADMIN_KEY": api.api_key, "ANTHROPIC_BASE_URL": api.base_url}
    p = run("usage", "--start", "2026-11-15", "--end", "2026-11-17", env=env)
    assert p.returncode == 0, p.stderr
    assert "Default" in p.stdout
    assert api.api_key not in p.stdout + p.stderr


def test_each_format(api: cf.FakeAdminApi, tmp_path: Path) -> None:
    base = [
        "--start",
        "2026-11-15",
        "--end",
        "2026-11-17",
        "--api-key",
        api.api_key,
        "--base-url",
        api.base_url,
    ]
    p = run("cost", "--format", "json", *base)
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    assert all(isinstance(r["amount_usd"], str) for r in rows)
    assert sum(Decimal(r["amount_usd"]) for r in rows) > 0
    p = run("cost", "--format", "csv", *base)
    assert p.stdout.splitlines()[0].startswith("bucket_start,bucket_end,workspace_id")
    out = tmp_path / "u.parquet"
    p = run("usage", "--format", "parquet", "--out", str(out), *base)
    assert p.returncode == 0, p.stderr
    df = pl.read_parquet(out)
    assert df.schema["bucket_start"] == pl.Datetime("us", "UTC")


def test_exit_codes(api: cf.FakeAdminApi) -> None:
    p = run("usage", "--start", "nope", "--end", "2026-11-17")
    assert p.returncode == 2
    assert p.stderr.startswith("error: ") and "Traceback" not in p.stderr
    p = run(
        "usage",
        "--start",
        "2026-11-15",
        "--end",
        "2026-11-16",
        "--api-key",
        api.regular_key,
        "--base-url",
        api.base_url,
    )
    assert p.returncode == 3
    assert "hint:" in p.stderr and api.regular_key not in p.stderr
    p = run(
        "cost",
        "--start",
        "2026-11-15",
        "--end",
        "2026-11-16",
        "--api-key",
        "sk-ant-admin01-x",
        "--base-url",
        "http://127.0.0.1:9",
        "--max-retries",
        "0",
    )
    assert p.returncode == 4
    assert "Traceback" not in p.stderr and "panicked" not in p.stderr


def test_missing_key_is_exit_2_with_hint() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    p = subprocess.run(
        [sys.executable, "-m", "counterfoil", "cost", "--start", "2026-11-15", "--end", "2026-11-16"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert p.returncode == 2
    assert "hint: an Admin API key" in p.stderr


def test_fake_api_prints_url_and_key() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "counterfoil", "fake-api", "--port", "0", "--days", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            key = proc.stdout.readline().strip()
            assert url.startswith("ANTHROPIC_BASE_URL=http://127.0.0.1:")
            assert key.startswith("ANTHROPIC_ADMIN_KEY=sk-ant-admin01-")
            client = cf.AdminClient(api_key=key.split("=", 1)[1], base_url=url.split("=", 1)[1])
            assert client.organization()["type"] == "organization"
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def test_job_mode_messages(api: cf.FakeAdminApi, tmp_path: Path) -> None:
    """Every writing command says `wrote PATH` on stderr; data stays on stdout."""
    base = ["--start", "2026-11-15", "--end", "2026-11-17", "--api-key", api.api_key, "--base-url", api.base_url]
    for cmd, name in [("usage", "u.csv"), ("cost", "c.json")]:
        out = tmp_path / name
        fmt = name.split(".")[1]
        p = run(cmd, "--format", fmt, "--out", str(out), *base)
        assert p.returncode == 0, p.stderr
        assert p.stdout == "" and p.stderr.strip() == f"wrote {out}", p.stderr
    out = tmp_path / "card.csv"
    p = run("rates", "--format", "csv", "--out", str(out))
    assert p.returncode == 0 and p.stderr.strip() == f"wrote {out}", p.stderr


def test_csv_timestamps_keep_their_zone_for_duckdb(api: cf.FakeAdminApi, tmp_path: Path) -> None:
    import duckdb

    out = tmp_path / "cost.csv"
    base = ["--start", "2026-11-15", "--end", "2026-11-17", "--api-key", api.api_key, "--base-url", api.base_url]
    assert run("cost", "--format", "csv", "--out", str(out), *base).returncode == 0
    first = out.read_text().splitlines()[1]
    assert first.startswith("2026-11-15T00:00:00Z,2026-11-16T00:00:00Z,"), first
    con = duckdb.connect()
    row = con.execute(f"SELECT typeof(bucket_start) FROM read_csv_auto('{out}') LIMIT 1").fetchone()
    assert row is not None and row[0] == "TIMESTAMP WITH TIME ZONE", row


def test_a_closed_pipe_ends_quietly(api: cf.FakeAdminApi) -> None:
    cmd = (
        f"set -o pipefail; {sys.executable} -m counterfoil usage --start 2026-11-14 --end 2026-11-20 "
        f"--bucket-width 1h --format csv --api-key {api.api_key} --base-url {api.base_url} | head -2"
    )
    p = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert len(p.stdout.splitlines()) == 2
    assert p.stderr == "", p.stderr


def test_failing_reconcile_says_why_on_stderr(tmp_path: Path) -> None:
    import datetime as dt

    org = cf.simulate.Organization(seed=11, days=4, today=dt.date(2026, 11, 20), plants="all")
    with cf.FakeAdminApi(org) as api:
        start, end = (d.date().isoformat() for d in org.window)
        out = tmp_path / "r.json"
        p = run(
            "reconcile", "--start", start, "--end", end, "--api-key", api.api_key, "--base-url", api.base_url,
            "--format", "json", "--out", str(out),
        )  # fmt: skip
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert lines[0] == f"wrote {out}"
    assert lines[-1].endswith("unchecked; see --format html") and "discrepancies in" in lines[-1], lines
    doc = json.loads(out.read_text())
    assert list(doc) == ["window", "summary", "findings", "lines"]
    assert list(doc["lines"][0])[:4] == ["date", "workspace_id", "model", "service_tier"], "contract order"
    assert {"overbilled_usd", "underbilled_usd", "unchecked_usd"} <= set(doc["summary"])


def test_recent_days_warn(api: cf.FakeAdminApi) -> None:
    import datetime as dt

    today = dt.datetime.now(dt.timezone.utc).date()
    p = run(
        "reconcile", "--start", (today - dt.timedelta(days=2)).isoformat(), "--end",
        (today + dt.timedelta(days=1)).isoformat(), "--api-key", api.api_key, "--base-url", api.base_url,
    )  # fmt: skip
    assert "warning: the window includes" in p.stderr and "may still restate" in p.stderr, p.stderr
