"""Cloud bills from Python: a CUR 2.0 Parquet with a real MAP<string,string> `product` column
(as AWS writes it, built here with pyarrow), checked against DuckDB reading the same file and
against prices worked out by hand (cloud-billing.md §1.4: regional = 1.1 x global)."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_run import run

import counterfoil as cf

SONNET46 = "Claude Sonnet 4.6 (Amazon Bedrock Edition)"
HAIKU45 = "Claude Haiku 4.5 (Amazon Bedrock Edition)"
OPUS48 = "Claude Opus 4.8 (Amazon Bedrock Edition)"

# (usage type, product, MTok, cost, line item type, expected status, expected USD by hand)
ROWS = [
    ("USE1-MP:USE1_InputTokenCount-Units", SONNET46, 2.5, 8.25, "Usage", "match", "8.25"),  # 2.5 x 3.30
    ("USW2-MP:USW2_CacheWrite1hInputTokenCount-Units", HAIKU45, 0.4, 0.55, "Usage", "mismatch", "0.88"),  # 0.4 x 2.20
    ("USE1-MP:USE1_input_tokens_global_standard-Units", OPUS48, 1.0, 5.0, "Usage", "match", "5"),  # 1 x 5
    ("USE1-MP:USE1_InputTokenCount-Units", SONNET46, None, 0.83, "Tax", "not_usage", None),
    ("USE1-BoxUsage:m5.large", "Amazon Elastic Compute Cloud", 10.0, 12.34, "Usage", None, None),
]


def write_cur2_parquet(path: Path) -> None:
    start = dt.datetime(2026, 11, 3, 4, tzinfo=dt.UTC)
    product = pa.array(
        [[("product_name", r[1]), ("region", "us-east-1")] for r in ROWS], type=pa.map_(pa.string(), pa.string())
    )
    table = pa.table(
        {
            "bill_payer_account_id": ["999988887777"] * len(ROWS),
            "line_item_usage_account_id": ["111122223333"] * len(ROWS),
            "line_item_line_item_type": [r[4] for r in ROWS],
            "line_item_usage_start_date": pa.array([start] * len(ROWS), pa.timestamp("us", "UTC")),
            "line_item_usage_end_date": pa.array(
                [start + dt.timedelta(hours=1)] * len(ROWS), pa.timestamp("us", "UTC")
            ),
            "line_item_usage_type": [r[0] for r in ROWS],
            "line_item_usage_amount": pa.array([r[2] for r in ROWS], pa.float64()),
            "line_item_unblended_cost": pa.array([r[3] for r in ROWS], pa.float64()),
            "line_item_iam_principal": ["arn:aws:iam::111122223333:user/alice"] * len(ROWS),
            "pricing_unit": ["Units"] * 4 + ["Hrs"],
            "product": product,
        }
    )
    pq.write_table(table, path)


@pytest.fixture()
def cur(tmp_path: Path) -> Path:
    p = tmp_path / "BILLING_PERIOD=2026-11" / "export-00001.snappy.parquet"
    p.parent.mkdir()
    write_cur2_parquet(p)
    return p


def test_read_cur_parquet_map_matches_duckdb(cur: Path) -> None:
    lines = cf.read_cur(cur)
    assert lines.height == 4
    assert lines["quantity"].to_list() == [2_500_000, 400_000, 1_000_000, None]
    assert lines["model"].to_list()[:3] == ["claude-sonnet-4-6", "claude-haiku-4-5-20251001", "claude-opus-4-8"]
    assert lines["principal"].to_list()[0] == "arn:aws:iam::111122223333:user/alice"
    assert lines.schema["billed_usd"] == pl.Decimal(38, 12)
    # DuckDB reads the same file and filters the same rows, independently of counterfoil.
    total = duckdb.sql(
        f"""select sum(line_item_unblended_cost::decimal(38, 10)) from read_parquet('{cur}')
            where product['product_name'] like 'Claude % (Amazon Bedrock Edition)'"""
    ).fetchall()[0][0]
    assert sum(lines["billed_usd"].to_list()) == total == Decimal("14.63")
    # The export's directory and a LazyFrame read the same lines.
    assert cf.read_cur(cur.parent.parent).drop("source").equals(lines.drop("source"))
    assert cf.read_cur(pl.scan_parquet(cur)).drop("source").equals(lines.drop("source"))


def test_reconcile_cloud_from_frames_and_files(cur: Path) -> None:
    rec = cf.reconcile_cloud(cf.read_cur(cur))
    assert rec.lines["status"].to_list() == [r[5] for r in ROWS[:4]]
    want = [Decimal(r[6]) if r[6] else None for r in ROWS[:4]]
    assert rec.lines["expected_usd"].to_list() == want
    s = rec.summary
    assert s["total"]["underbilled_usd"] == Decimal("0.33")
    assert s["total"]["not_usage_usd"] == Decimal("0.83")
    assert s["other"] == {}, "a cloud_lines frame holds Claude rows only"
    assert [f["id"] for f in rec.findings] == ["C1"]
    assert rec.findings[0]["delta_usd"] == Decimal("-0.33")
    assert rec.exit_code == 1 and not rec.ok
    by_path = cf.reconcile_cloud(cur=[cur], start="2026-11-03", end="2026-11-04")
    assert by_path.lines.drop("source").equals(rec.lines.drop("source"))
    assert by_path.summary["other"]["aws_bedrock"] == {"rows": 1, "cost_usd": Decimal("12.34")}
    spend = cf.all_spend(cloud=rec)
    assert spend.columns == [
        "provider", "account_id", "account_name", "date", "model", "token_type",
        "billed_usd", "expected_usd", "delta_usd",
    ]  # fmt: skip
    assert sum(spend["billed_usd"].to_list()) == Decimal("13.8"), "usage only: 8.25 + 0.55 + 5"


def test_cli_cloud_reconcile_json_html_and_exit_codes(cur: Path, tmp_path: Path) -> None:
    p = run(
        "cloud", "reconcile", "--cur", str(cur), "--start", "2026-11-01", "--end", "2026-12-01", "--format", "json",
        env={"COLUMNS": "80"},
    )  # fmt: skip
    assert p.returncode == 1, p.stderr
    doc = json.loads(p.stdout)
    assert doc["summary"]["total"]["billed_usd"] == "13.8"
    assert doc["lines"][1]["status"] == "mismatch"
    assert doc["lines"][1]["note"].startswith("1h cache writes billed at the 5m rate")
    assert all(len(line) <= 80 for line in p.stderr.splitlines()), p.stderr
    html = tmp_path / "cloud.html"
    p = run(
        "cloud",
        "reconcile",
        "--cur",
        str(cur),
        "--start",
        "2026-11-01",
        "--end",
        "2026-12-01",
        "--format",
        "html",
        "--out",
        str(html),
    )
    assert p.returncode == 1 and "<h1>Claude on AWS Bedrock" in html.read_text()
    p = run("cloud", "reconcile", "--cur", str(cur), "--start", "2026-10-01", "--end", "2026-11-01")
    assert p.returncode == 2 and "they cover 2026-11-03 → 2026-11-03" in p.stderr
    p = run("cloud", "reconcile", "--gcp", str(cur), "--start", "2026-11-01", "--end", "2026-12-01")
    assert p.returncode == 2 and "pass it with --cur" in p.stderr and "Traceback" not in p.stderr


def test_bad_input_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(cf.InputError, match="not an AWS Cost and Usage Report"):
        cf.read_cur(pl.DataFrame({"service_description": ["Claude Sonnet 4.6"], "cost": [1.0]}))
    empty = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"line_item_usage_type": pa.array([], pa.string())}), empty)
    with pytest.raises(cf.InputError, match="no line_item_unblended_cost column"):
        cf.read_cur(empty)
    with pytest.raises(cf.InputError, match="cloud_lines"):
        cf.reconcile_cloud(pl.DataFrame({"a": [1]}))
