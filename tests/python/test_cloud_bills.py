"""The simulated cloud bills read back with DuckDB: totals, spellings and whole tokens agree."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

import counterfoil as cf

END = dt.date(2026, 11, 8)  # 14 days across a month boundary


@pytest.fixture(scope="module")
def bills(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    out = tmp_path_factory.mktemp("cloud")
    return out, cf.simulate.cloud_bills(out, seed=7, days=14, end=END)


def exact(x: object) -> Decimal:
    """A bill's double as the decimal its shortest text spells (Python's repr is that text)."""
    assert isinstance(x, float)
    return Decimal(repr(x))


def total(truth: dict[str, object], provider: str) -> Decimal:
    totals = truth["totals"]
    assert isinstance(totals, dict)
    t = totals[provider]
    return Decimal(t["usage_billed_usd"]) + Decimal(t["not_usage_usd"])


def cur2_claude(out: Path, columns: str) -> list[tuple[object, ...]]:
    """CUR 2.0 Parquet rows of Claude products (the product map filtered in Python: DuckDB's
    lambda syntax changed between versions)."""
    rows = duckdb.sql(f"SELECT product, {columns} FROM '{out}/cur2/data/*/*.parquet'").fetchall()
    name = [{p["key"]: p["value"] for p in r[0]}.get("product_name", "") for r in rows]
    return [
        r[1:]
        for r, n in zip(rows, name, strict=True)
        if n.startswith("Claude ") and n.endswith("(Amazon Bedrock Edition)")
    ]


def test_the_truth_is_truth_json_and_deterministic(bills: tuple[Path, dict[str, object]], tmp_path: Path) -> None:
    out, truth = bills
    assert truth == json.loads((out / "truth.json").read_text())
    again = cf.simulate.cloud_bills(tmp_path / "again", seed=7, days=14, end="2026-11-08")
    assert (tmp_path / "again" / "truth.json").read_bytes() == (out / "truth.json").read_bytes()
    assert again == truth
    plants = truth["plants"]
    assert isinstance(plants, list)
    assert sorted(p["plant"] for p in plants) == sorted(
        [
            "regional_billed_global",
            "write_1h_billed_5m",
            "cache_wrong_scope",
            "unknown_usage_type",
            "unknown_product",
            "vertex_overbilled",
            "invocation_gap",
        ]
    )


def test_duckdb_finds_the_truths_totals_in_every_aws_spelling(bills: tuple[Path, dict[str, object]]) -> None:
    out, truth = bills
    costs = cur2_claude(out, "line_item_unblended_cost")
    assert sum(exact(c) for (c,) in costs) == total(truth, "aws_bedrock")
    csv = f"read_csv('{out}/cur2-csv/data/*/*.csv.gz', all_varchar = true)"
    texts = duckdb.sql(
        f"SELECT line_item_unblended_cost FROM {csv} "
        "WHERE json_extract_string(product, '$.product_name') LIKE 'Claude %'"
    ).fetchall()
    assert sorted(Decimal(t) for (t,) in texts) == sorted(exact(c) for (c,) in costs)
    legacy = f"read_csv('{out}/legacy-cur/*.csv.gz', all_varchar = true)"
    texts = duckdb.sql(
        f'SELECT "lineItem/UnblendedCost" FROM {legacy} WHERE "product/ProductName" LIKE \'Claude %\''
    ).fetchall()
    assert sum(Decimal(t) for (t,) in texts) == total(truth, "aws_bedrock")
    athena = f"'{out}/legacy-cur-athena/*/*.parquet'"
    costs = duckdb.sql(
        f"SELECT line_item_unblended_cost FROM {athena} WHERE product_product_name LIKE 'Claude %'"
    ).fetchall()
    assert sum(exact(c) for (c,) in costs) == total(truth, "aws_bedrock")


def test_duckdb_finds_the_truths_totals_in_every_gcp_spelling(bills: tuple[Path, dict[str, object]]) -> None:
    out, truth = bills
    where = "service.description LIKE 'Claude %'"
    for source in [f"'{out}/gcp/billing.parquet'", f"read_json('{out}/gcp/billing.ndjson')"]:
        costs = duckdb.sql(f"SELECT cost FROM {source} WHERE {where}").fetchall()
        assert sum(exact(c) for (c,) in costs) == total(truth, "gcp_vertex"), source
    csv = f"read_csv('{out}/gcp/billing.csv', all_varchar = true)"
    texts = duckdb.sql(f"SELECT cost FROM {csv} WHERE service_description LIKE 'Claude %'").fetchall()
    assert sum(Decimal(t) for (t,) in texts) == total(truth, "gcp_vertex")


def test_claude_quantities_are_whole_tokens(bills: tuple[Path, dict[str, object]]) -> None:
    out, truth = bills
    rows = cur2_claude(out, "line_item_usage_amount, line_item_line_item_type")
    tokens = [exact(a) * 10**6 for (a, kind) in rows if kind == "Usage"]
    assert tokens and all(t == t.to_integral_value() for t in tokens)
    lines = truth["lines"]
    assert isinstance(lines, list)
    want = sorted(
        line["quantity"] for line in lines if line["provider"] == "aws_bedrock" and line["quantity"] is not None
    )
    assert sorted(int(t) for t in tokens) == want


def test_a_foreign_directory_and_bad_arguments_are_refused(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep")
    with pytest.raises(cf.InputError, match="not a fake-cloud-bills output"):
        cf.simulate.cloud_bills(tmp_path, end=END)
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]
    with pytest.raises(cf.InputError, match="between 1 and 400"):
        cf.simulate.cloud_bills(tmp_path / "new", days=0, end=END)
    with pytest.raises(cf.InputError, match="naive datetime"):
        cf.simulate.cloud_bills(tmp_path / "new", end=dt.datetime(2026, 11, 8))
    with pytest.raises(cf.InputError, match="UTC day"):
        cf.simulate.cloud_bills(tmp_path / "new", end=dt.datetime(2026, 11, 8, 12, tzinfo=dt.UTC))
    assert not (tmp_path / "new").exists()
