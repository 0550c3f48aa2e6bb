//! FOCUS export (DESIGN §14): a hand-built lines frame with known money gives exactly the FOCUS
//! values worked out by hand below; CSV text; the versions' column sets (the CLI is in
//! `focus_cli.rs`).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use counterfoil::frames::columns::{date, money, text};
use counterfoil::money::to_mantissa;
use counterfoil::report::focus::{FocusContext, FocusVersion, MANDATORY_1_2, focus_frame, write_focus_file};
use counterfoil::report::formats::cell_text;
use polars::prelude::*;
use rust_decimal::Decimal;

fn usd(s: &str) -> Option<i128> {
    Some(to_mantissa(s.parse::<Decimal>().unwrap()).unwrap())
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn strs(v: &[Option<&str>]) -> Vec<Option<String>> {
    v.iter().map(|s| s.map(str::to_owned)).collect()
}

/// Four lines, one of each kind that changes a FOCUS value:
/// 0. a matched input-token line in a named workspace (1.5M tokens at $3/MTok = $4.50, billed $4.50);
/// 1. a missing_cost output line in the default workspace on New Year's Eve (250k at $15 = $3.75, no bill);
/// 2. a Priority cache read (not_in_cost_report: 10 tokens at $0.30 = $0.000003, no bill);
/// 3. a cost_only code-execution charge of $0.05 (no usage, no quantity).
fn lines() -> DataFrame {
    let n = 4;
    DataFrame::new(
        n,
        vec![
            date(
                "date",
                vec![
                    Some(day("2026-11-30")),
                    Some(day("2026-12-31")),
                    Some(day("2026-11-30")),
                    Some(day("2026-11-29")),
                ],
            ),
            text("workspace_id", strs(&[Some("wrkspc_a"), None, Some("wrkspc_a"), Some("wrkspc_a")])),
            text("model", strs(&[Some("claude-x-1"), Some("claude-x-1"), Some("claude-x-1"), None])),
            text("service_tier", strs(&[Some("standard"), Some("batch"), Some("priority"), None])),
            text("context_window", strs(&[Some("0-200k"), Some("0-200k"), Some("200k-1M"), None])),
            text("inference_geo", strs(&[Some("global"), Some("us"), Some("global"), None])),
            text("cost_type", strs(&[Some("tokens"), Some("tokens"), Some("tokens"), Some("code_execution")])),
            text(
                "token_type",
                strs(&[Some("uncached_input_tokens"), Some("output_tokens"), Some("cache_read_input_tokens"), None]),
            ),
            Int64Chunked::from_iter_options(
                "quantity".into(),
                [Some(1_500_000), Some(250_000), Some(10), None].into_iter(),
            )
            .into_column(),
            money("rate_usd_per_mtok", vec![usd("3"), usd("15"), usd("0.3"), None]).unwrap(),
            money("expected_usd", vec![usd("4.5"), usd("3.75"), usd("0.000003"), None]).unwrap(),
            money("reported_usd", vec![usd("4.5"), None, None, usd("0.05")]).unwrap(),
            money("delta_usd", vec![usd("0"), None, None, None]).unwrap(),
            text("status", strs(&[Some("match"), Some("missing_cost"), Some("not_in_cost_report"), Some("cost_only")])),
            text("workspace_name", strs(&[Some("Research"), Some("Default"), Some("Research"), Some("Research")])),
            text("description", strs(&[Some("Claude X 1 Usage - Input Tokens"), None, None, None])),
            money("unit_price_usd", vec![None, None, None, None]).unwrap(),
            text("finding", strs(&[None, Some("F1"), None, None])),
        ],
    )
    .unwrap()
}

fn context() -> FocusContext {
    FocusContext {
        organization_id: "org_123".into(),
        organization_name: Some("Acme".into()),
        unsettled_days: BTreeSet::from([day("2026-12-31")]),
    }
}

fn cell(df: &DataFrame, column: &str, row: usize) -> String {
    cell_text(&df.column(column).unwrap().get(row).unwrap()).unwrap_or_else(|| "<null>".into())
}

#[test]
fn each_line_becomes_the_focus_row_worked_out_by_hand() {
    let df = focus_frame(&lines(), &context(), FocusVersion::V1_2).unwrap();
    assert_eq!(df.height(), 4);
    let want: [(&str, [&str; 4]); 33] = [
        ("BilledCost", ["4.5", "0", "0", "0.05"]),
        ("EffectiveCost", ["4.5", "0", "0", "0.05"]),
        ("ContractedCost", ["4.5", "0", "0", "0.05"]),
        // expected where priced, else billed
        ("ListCost", ["4.5", "3.75", "0.000003", "0.05"]),
        ("ListUnitPrice", ["3", "15", "0.3", "<null>"]),
        ("ConsumedQuantity", ["1500000", "250000", "10", "<null>"]),
        ("ConsumedUnit", ["Tokens", "Tokens", "Tokens", "<null>"]),
        ("PricingQuantity", ["1.5", "0.25", "0.00001", "<null>"]),
        ("PricingUnit", ["1000000 Tokens", "1000000 Tokens", "1000000 Tokens", "<null>"]),
        (
            "ChargePeriodStart",
            ["2026-11-30T00:00:00Z", "2026-12-31T00:00:00Z", "2026-11-30T00:00:00Z", "2026-11-29T00:00:00Z"],
        ),
        (
            "ChargePeriodEnd",
            ["2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", "2026-12-01T00:00:00Z", "2026-11-30T00:00:00Z"],
        ),
        (
            "BillingPeriodStart",
            ["2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", "2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z"],
        ),
        (
            "BillingPeriodEnd",
            ["2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", "2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z"],
        ),
        ("BillingAccountId", ["org_123"; 4]),
        ("BillingAccountName", ["Acme"; 4]),
        ("BillingCurrency", ["USD"; 4]),
        ("ChargeCategory", ["Usage"; 4]),
        ("ChargeClass", ["<null>"; 4]),
        ("ChargeFrequency", ["Usage-Based"; 4]),
        (
            "ChargeDescription",
            [
                "Claude X 1 Usage - Input Tokens",
                "claude-x-1 output tokens",
                "claude-x-1 cache read tokens",
                "code execution",
            ],
        ),
        ("ServiceCategory", ["AI and Machine Learning"; 4]),
        ("ServiceSubcategory", ["Generative AI"; 4]),
        ("ServiceName", ["Claude API"; 4]),
        ("ProviderName", ["Anthropic"; 4]),
        ("PublisherName", ["Anthropic"; 4]),
        ("InvoiceIssuerName", ["Anthropic"; 4]),
        ("InvoiceId", ["<null>"; 4]),
        (
            "SkuId",
            [
                "anthropic/claude-x-1/uncached_input_tokens/0-200k",
                "anthropic/claude-x-1/output_tokens/0-200k",
                "anthropic/claude-x-1/cache_read_input_tokens/200k-1M",
                "anthropic/code_execution",
            ],
        ),
        (
            "SkuPriceId",
            [
                "anthropic/claude-x-1/uncached_input_tokens/0-200k/standard/global",
                "anthropic/claude-x-1/output_tokens/0-200k/batch/us",
                "anthropic/claude-x-1/cache_read_input_tokens/200k-1M/priority/global",
                "anthropic/code_execution",
            ],
        ),
        ("SubAccountId", ["wrkspc_a", "<null>", "wrkspc_a", "wrkspc_a"]),
        ("SubAccountName", ["Research", "Default", "Research", "Research"]),
        (
            "Tags",
            [
                r#"{"anthropic/workspace":"Research"}"#,
                r#"{"anthropic/workspace":"Default"}"#,
                r#"{"anthropic/workspace":"Research"}"#,
                r#"{"anthropic/workspace":"Research"}"#,
            ],
        ),
        ("x_ExpectedCost", ["4.5", "3.75", "0.000003", "<null>"]),
    ];
    for (column, values) in want {
        for (row, v) in values.iter().enumerate() {
            assert_eq!(cell(&df, column, row), *v, "{column} row {row}");
        }
    }
    let x: [(&str, [&str; 4]); 8] = [
        ("x_DeltaCost", ["0", "<null>", "<null>", "<null>"]),
        ("x_ReconcileStatus", ["match", "missing_cost", "not_in_cost_report", "cost_only"]),
        ("x_Finding", ["<null>", "F1", "<null>", "<null>"]),
        ("x_ServiceTier", ["standard", "batch", "priority", "<null>"]),
        ("x_InferenceGeo", ["global", "us", "global", "<null>"]),
        ("x_ContextWindow", ["0-200k", "0-200k", "200k-1M", "<null>"]),
        ("x_TokenType", ["uncached_input_tokens", "output_tokens", "cache_read_input_tokens", "<null>"]),
        // the one unsettled day of the context
        ("x_Provisional", ["false", "true", "false", "false"]),
    ];
    for (column, values) in x {
        for (row, v) in values.iter().enumerate() {
            assert_eq!(cell(&df, column, row), *v, "{column} row {row}");
        }
    }
    // Types: money and quantities Decimal(38, 12), periods UTC microseconds, the flag a boolean.
    for c in ["BilledCost", "ListCost", "ListUnitPrice", "PricingQuantity", "ConsumedQuantity", "x_ExpectedCost"] {
        assert_eq!(df.column(c).unwrap().dtype(), &DataType::Decimal(38, 12), "{c}");
    }
    for c in ["ChargePeriodStart", "BillingPeriodEnd"] {
        assert_eq!(df.column(c).unwrap().dtype(), &DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)));
    }
    assert_eq!(df.column("x_Provisional").unwrap().dtype(), &DataType::Boolean);
}

#[test]
fn csv_writes_every_decimal_with_a_point() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("focus.csv");
    let mut df = focus_frame(&lines(), &context(), FocusVersion::V1_2).unwrap();
    write_focus_file(&mut df, &path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut rows = text.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    assert_eq!(header, FocusVersion::V1_2.columns());
    let first: Vec<&str> = rows.next().unwrap().split(',').collect();
    let at = |name: &str| first[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(at("BilledCost"), "4.5");
    assert_eq!(at("ConsumedQuantity"), "1500000.0");
    assert_eq!(at("ListUnitPrice"), "3.0");
    assert_eq!(at("x_DeltaCost"), "0.0");
    assert_eq!(at("ChargePeriodStart"), "2026-11-30T00:00:00Z");
    assert_eq!(at("x_Provisional"), "false");
    assert_eq!(rows.count(), 3);
    // Parquet keeps the types.
    let parquet = dir.path().join("focus.parquet");
    write_focus_file(&mut df, &parquet).unwrap();
    use polars_io::SerReader;
    let back = polars_io::parquet::read::ParquetReader::new(std::fs::File::open(&parquet).unwrap()).finish().unwrap();
    assert!(back.equals_missing(&df));
    let err = write_focus_file(&mut df, &dir.path().join("focus.xlsx")).unwrap_err();
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn versions_and_their_columns() {
    let v12 = FocusVersion::V1_2.columns();
    let v13 = FocusVersion::V1_3.columns();
    assert_eq!(FocusVersion::V1_2.mandatory().len(), 21);
    assert_eq!(FocusVersion::V1_3.mandatory().len(), 23);
    for m in MANDATORY_1_2 {
        assert!(v12.contains(&m), "{m}");
    }
    for m in FocusVersion::V1_3.mandatory() {
        assert!(v13.contains(&m), "{m}");
    }
    assert!(!v12.contains(&"HostProviderName") && !v12.contains(&"ServiceProviderName"));
    // Every column of a 1.3 file is a FOCUS 1.3 column (the 57 of 1.2 + the 8 of 1.3) or x_.
    let focus_1_3: BTreeSet<&str> = FOCUS_1_2_ALL.iter().chain(FOCUS_1_3_NEW.iter()).copied().collect();
    assert_eq!(focus_1_3.len(), 65);
    for c in &v13 {
        assert!(focus_1_3.contains(c) || c.starts_with("x_"), "{c} is neither FOCUS 1.3 nor x_");
    }
    let df = focus_frame(&lines(), &context(), FocusVersion::V1_3).unwrap();
    assert_eq!(df.get_column_names().iter().map(|c| c.as_str()).collect::<Vec<_>>(), v13);
    assert_eq!(cell(&df, "ServiceProviderName", 0), "Anthropic");
    assert_eq!(cell(&df, "HostProviderName", 0), "Anthropic");
    let err = FocusVersion::parse("1.4").unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.hint().unwrap().contains("1.2, 1.3"), "{err}");
}

/// An empty reconciliation is a file with the full schema and no rows.
#[test]
fn no_lines_give_the_full_schema() {
    let empty = lines().head(Some(0));
    let df = focus_frame(&empty, &context(), FocusVersion::V1_2).unwrap();
    assert_eq!(df.height(), 0);
    assert_eq!(df.width(), FocusVersion::V1_2.columns().len());
    assert_eq!(df.column("BilledCost").unwrap().dtype(), &DataType::Decimal(38, 12));
}

/// The 57 columns of FOCUS 1.2 (reference/cloud-billing.md §4.1).
const FOCUS_1_2_ALL: [&str; 57] = [
    "AvailabilityZone",
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingAccountType",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "CapacityReservationId",
    "CapacityReservationStatus",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountQuantity",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "CommitmentDiscountUnit",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceId",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingCurrency",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
    "SkuId",
    "SkuMeter",
    "SkuPriceDetails",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "SubAccountType",
    "Tags",
];

/// What FOCUS 1.3 adds.
const FOCUS_1_3_NEW: [&str; 8] = [
    "AllocatedMethodDetails",
    "AllocatedMethodId",
    "AllocatedResourceId",
    "AllocatedResourceName",
    "AllocatedTags",
    "ContractApplied",
    "HostProviderName",
    "ServiceProviderName",
];
