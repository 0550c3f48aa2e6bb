"""The console script through a subprocess: formats, exit codes, one-line errors."""

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import polars as pl

import counterfoil as cf


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "counterfoil", *args], capture_output=True, text=True, env=full, timeout=120
    )


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
