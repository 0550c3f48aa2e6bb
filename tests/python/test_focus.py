"""FOCUS export from Python and the CLI: the simulated organization's reconciliation as FOCUS 1.2
Parquet and CSV passes the FinOps Foundation's focus-validator (only the two contradictory
InvoiceId rules may fail), its money sums equal the summary to the digit, a 1.3 frame has the
1.3 columns, and the bad inputs are errors with hints."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from cli_run import run
from focus_validator import CONTRADICTORY, validate

import counterfoil as cf

MANDATORY_1_2 = {
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
    "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost",
    "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
}  # fmt: skip
X_COLUMNS = [
    "x_ExpectedCost", "x_DeltaCost", "x_ReconcileStatus", "x_Finding", "x_ServiceTier", "x_InferenceGeo",
    "x_ContextWindow", "x_TokenType", "x_Provisional",
]  # fmt: skip
COMPARED = ["match", "mismatch", "missing_cost", "missing_usage"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[cf.Reconciliation, str, Path]:
    """The README's organization (every planted discrepancy), reconciled in Python; the same
    window exported by the CLI against the same fake API, as CSV and as Parquet beside it."""
    org = cf.simulate.Organization(seed=7, days=14, plants="all")
    csv = tmp_path_factory.mktemp("focus") / "focus.csv"
    with cf.FakeAdminApi(org) as api:
        client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url)
        start, end = org.window
        rec = cf.reconcile(client.usage(start, end), client.cost(start, end), workspaces=client.workspaces())
        org_id = client.organization()["id"]
        env = {"ANTHROPIC_BASE_URL": api.base_url, "ANTHROPIC_ADMIN_KEY": api.api_key}
        for out in (csv, csv.with_suffix(".parquet")):
            r = run("focus", "--start", str(start.date()), "--end", str(end.date()), "--out", str(out), env=env)
            assert r.returncode == 0, r.stderr
            assert "wrote" in r.stderr
    return rec, org_id, csv


def _usd(x: object) -> Decimal:
    return Decimal(str(x)) if x is not None else Decimal(0)


@pytest.mark.timeout(1200)  # the first run creates the validator's venv (pip, about a minute)
def test_focus_1_2_parquet_and_csv_pass_the_validator(
    demo: tuple[cf.Reconciliation, str, Path], tmp_path: Path
) -> None:
    rec, org_id, csv = demo
    focus = cf.to_focus(rec, organization_id=org_id)
    parquet = tmp_path / "focus.parquet"
    focus.write_parquet(parquet)
    assert set(focus["x_ReconcileStatus"]) >= {"match", "mismatch", "missing_cost", "not_in_cost_report", "cost_only"}
    # Both writers: Polars' (the Python frame) and counterfoil's own (the CLI's CSV and Parquet).
    for path in (parquet, csv, csv.with_suffix(".parquet")):
        verdict = validate(path)
        assert set(verdict.failed) <= CONTRADICTORY, (path.name, verdict.failed)
        assert verdict.tests > 500 and verdict.passed > 100, verdict  # the model ran, not an empty pass
    # The CLI's CSV is the same rows as the Python frame, every money cell with a decimal point.
    from_csv = pl.read_csv(csv, infer_schema=False)
    assert from_csv.columns == focus.columns
    assert from_csv.height == focus.height == rec.lines.height
    assert from_csv["BilledCost"].str.contains(r"\.").all()
    assert sum(Decimal(v) for v in from_csv["BilledCost"]) == focus["BilledCost"].sum()
    # The CLI also knows the organization's name and the days the API may restate; the rest is equal.
    cli_only = ["BillingAccountName", "x_Provisional"]
    assert pl.read_parquet(csv.with_suffix(".parquet")).drop(cli_only).equals(focus.drop(cli_only))


def test_money_sums_equal_the_summary_to_the_digit(demo: tuple[cf.Reconciliation, str, Path]) -> None:
    rec, org_id, _ = demo
    focus = cf.to_focus(rec, organization_id=org_id)
    s = rec.summary
    assert focus.schema["BilledCost"] == pl.Decimal(38, 12)
    assert _usd(focus["BilledCost"].sum()) == s["reported_all_usd"]
    compared = focus.filter(pl.col("x_ReconcileStatus").is_in(COMPARED))
    assert _usd(compared["BilledCost"].sum()) == s["reported_usd"]
    assert _usd(compared["x_ExpectedCost"].sum()) == s["expected_usd"]
    priority = focus.filter(pl.col("x_ReconcileStatus") == "not_in_cost_report")
    assert _usd(priority["x_ExpectedCost"].sum()) == s["priority_expected_usd"]
    # Lines with no billed amount: BilledCost 0, the card's amount as ListCost and x_ExpectedCost.
    unbilled = focus.filter(pl.col("x_ReconcileStatus").is_in(["missing_cost", "not_in_cost_report"]))
    assert unbilled.height > 0
    assert (unbilled["BilledCost"] == Decimal(0)).all()
    assert (unbilled["ListCost"] == unbilled["x_ExpectedCost"]).all()
    # One row per line, in the lines' order: PricingQuantity is tokens / 10⁶ exactly.
    tokens = pl.concat([rec.lines, focus], how="horizontal").filter(pl.col("cost_type") == "tokens")
    assert (tokens["PricingQuantity"] * 1_000_000 == tokens["quantity"].cast(pl.Decimal(38, 12))).all()
    assert (tokens["ListUnitPrice"].fill_null(0) == tokens["rate_usd_per_mtok"].fill_null(0)).all()
    assert (focus["BillingAccountId"] == org_id).all()
    assert focus.schema["ChargePeriodStart"] == pl.Datetime("us", "UTC")
    # A reconciliation of two frames knows no restatement window: nothing is provisional.
    assert focus.schema["x_Provisional"] == pl.Boolean
    assert not focus["x_Provisional"].any()


def test_focus_1_3_has_the_1_3_columns(demo: tuple[cf.Reconciliation, str, Path]) -> None:
    rec, org_id, _ = demo
    v12 = cf.to_focus(rec, organization_id=org_id).columns
    v13 = cf.to_focus(rec, version="1.3", organization_id=org_id)
    assert MANDATORY_1_2 | {"HostProviderName", "ServiceProviderName"} <= set(v13.columns)
    assert set(v13.columns) - set(v12) == {"HostProviderName", "ServiceProviderName"}
    assert v13.columns[-len(X_COLUMNS) :] == X_COLUMNS
    assert (v13["ServiceProviderName"] == "Anthropic").all()


def test_bad_inputs_are_errors_with_hints(demo: tuple[cf.Reconciliation, str, Path]) -> None:
    rec, org_id, _ = demo
    with pytest.raises(cf.InputError, match=r'unsupported FOCUS version "1\.4"') as e:
        cf.to_focus(rec, version="1.4", organization_id=org_id)
    assert "1.2, 1.3" in str(getattr(e.value, "hint", ""))
    with pytest.raises(cf.InputError, match="needs rec"):
        cf.to_focus(None)
    with pytest.raises(cf.InputError, match="organization id") as e:
        cf.to_focus(rec)
    assert "organization_id=" in str(getattr(e.value, "hint", ""))


def test_an_empty_window_has_the_full_schema(demo: tuple[cf.Reconciliation, str, Path], tmp_path: Path) -> None:
    rec, org_id, _ = demo
    org = cf.simulate.Organization(seed=7, days=3)
    out = tmp_path / "empty.parquet"
    start, end = "2026-01-01", "2026-01-03"  # before the organization's data
    with cf.FakeAdminApi(org) as api:
        client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url)
        empty = cf.reconcile(client.usage(start, end), client.cost(start, end), start=start, end=end)
        env = {"ANTHROPIC_BASE_URL": api.base_url, "ANTHROPIC_ADMIN_KEY": api.api_key}
        r = run("focus", "--start", start, "--end", end, "--out", str(out), env=env)
    focus = cf.to_focus(empty, organization_id=org_id)
    assert focus.height == 0
    assert focus.schema == cf.to_focus(rec, organization_id=org_id).schema
    # The CLI writes a file with every column and no rows.
    assert r.returncode == 0, r.stderr
    written = pl.read_parquet(out)
    assert written.height == 0
    assert written.schema == focus.schema
    r = run("focus", "--start", start, "--end", end, "--out", str(out), "--focus-version", "9")
    assert r.returncode == 2
    assert "1.2, 1.3" in r.stderr


def test_from_a_store_the_organization_and_settled_days_are_known(tmp_path: Path) -> None:
    today = dt.date(2026, 11, 20)
    org = cf.simulate.Organization(seed=4, days=8, today=today)
    store = cf.Store(tmp_path / "s")
    with cf.FakeAdminApi(org) as api:
        now = dt.datetime(2026, 11, 20, 6, tzinfo=dt.timezone.utc)
        api.set_now(now)
        client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url, now=now)
        store.sync(client, backfill_days=7)
        org_id = client.organization()["id"]
    focus = cf.to_focus(store.reconcile("2026-11-13", "2026-11-20"))
    assert (focus["BillingAccountId"] == org_id).all()
    assert focus["BillingAccountName"].is_not_null().all()
    # Fetched at 2026-11-20T06:00: a day settles 24 h after it ends, so 11-18 (ended 11-19T00:00,
    # settled 11-20T00:00) is settled and 11-19 is provisional, as the lines say.
    provisional = focus.group_by(pl.col("ChargePeriodStart").dt.date()).agg(pl.col("x_Provisional").all())
    assert provisional.height == 7
    for day, flag in provisional.iter_rows():
        assert flag == (day >= dt.date(2026, 11, 19)), day
    rec = store.reconcile("2026-11-13", "2026-11-20")
    lines = rec.lines
    assert (lines["provisional"] == (lines["date"] >= dt.date(2026, 11, 19))).all()
    assert rec.summary["provisional_days"] == [dt.date(2026, 11, 19)]


def test_client_reconcile_knows_its_organization_and_recent_days() -> None:
    org = cf.simulate.Organization(seed=7, days=7, today=dt.date(2026, 11, 20))
    with cf.FakeAdminApi(org) as api:
        now = dt.datetime(2026, 11, 20, 6, tzinfo=dt.timezone.utc)
        api.set_now(now)
        client = cf.AdminClient(api_key=api.api_key, base_url=api.base_url, now=now)
        rec = client.reconcile(*org.window)
        me = client.organization()
    focus = cf.to_focus(rec)  # no organization_id needed: the client asked /v1/organizations/me
    assert (focus["BillingAccountId"] == me["id"]).all()
    assert (focus["BillingAccountName"] == me["name"]).all()
    # By the client's clock, today − 3 days and later may still be restated.
    provisional = focus.group_by(pl.col("ChargePeriodStart").dt.date()).agg(pl.col("x_Provisional").all())
    assert provisional.height == 7
    for day, flag in provisional.iter_rows():
        assert flag == (day >= dt.date(2026, 11, 17)), day


@pytest.mark.timeout(1200)
def test_focus_with_cloud_bills_passes_the_validator_and_sums_every_provider(
    demo: tuple[cf.Reconciliation, str, Path], tmp_path: Path
) -> None:
    rec, org_id, _ = demo
    truth = cf.simulate.cloud_bills(tmp_path / "bills")
    start, end = truth["config"]["start"], truth["config"]["end"]
    cloud = cf.reconcile_cloud(
        cur=[tmp_path / "bills" / "cur2"], gcp=[tmp_path / "bills" / "gcp" / "billing.parquet"], start=start, end=end
    )
    focus = cf.to_focus(rec, cloud=cloud, organization_id=org_id)
    anthropic = cf.to_focus(rec, organization_id=org_id)
    assert focus.height == anthropic.height + cloud.lines.height
    by_provider = {p: _usd(g["BilledCost"].sum()) for (p,), g in focus.group_by("ProviderName")}
    for provider, name in (("aws_bedrock", "Amazon Web Services"), ("gcp_vertex", "Google Cloud")):
        totals = truth["totals"][provider]
        assert by_provider[name] == Decimal(totals["usage_billed_usd"]) + Decimal(totals["not_usage_usd"])
    assert by_provider["Anthropic"] == rec.summary["reported_all_usd"]
    tax = focus.filter(pl.col("ChargeCategory") == "Tax")
    assert tax.height > 0 and tax["SkuId"].is_null().all()
    path = tmp_path / "all.parquet"
    focus.write_parquet(path)
    verdict = validate(path)
    assert set(verdict.failed) <= CONTRADICTORY, verdict.failed
    # The CLI writes the clouds alone when it has no Anthropic source.
    out = tmp_path / "clouds.csv"
    r = run(
        "focus", "--start", start, "--end", end, "--out", str(out), "--cur", str(tmp_path / "bills" / "cur2"),
        env={"ANTHROPIC_ADMIN_KEY": "", "ANTHROPIC_ADMIN_API_KEY": ""},
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "cloud bills only" in r.stderr
    assert set(pl.read_csv(out, infer_schema=False)["ProviderName"]) == {"Amazon Web Services"}
