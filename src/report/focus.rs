//! FOCUS export (DESIGN §14): one FinOps Open Cost and Usage Specification row per
//! reconciliation line, so FinOps tools (Vantage, DuckDB notebooks, a FOCUS lake) see Claude
//! spend with what counterfoil found about it.
//!
//! The row is built from the `lines` frame, not from the wire: what a FinOps tool sees is exactly
//! what `reconcile` checked. The bill's amount is the cost of record (BilledCost = EffectiveCost =
//! ContractedCost, 0 where cost_report has no line); the rate card's amount rides along as
//! `x_ExpectedCost` and is the ListCost where a line is priced. Money stays `Decimal(38, 12)`;
//! CSV writes every decimal with a point (`0.0`), because validators infer a column's type from
//! its text and a column of whole numbers would read as integers. The values of each row are in
//! [`row`]; this file owns the versions, the column sets and writing the file.

pub mod cloud;
mod row;

use std::path::Path;

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::reconcile::{Provenance, Reconciliation};
use crate::report::formats::{Format, cell_text, write_csv_cells, write_frame_file};

/// The FOCUS versions counterfoil writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FocusVersion {
    #[default]
    V1_2,
    V1_3,
}

/// The versions as users spell them, for messages.
pub const SUPPORTED_VERSIONS: &str = "1.2, 1.3";

impl FocusVersion {
    /// `"1.2"` or `"1.3"` (also `1.2.0`); anything else is an input error naming the supported ones.
    pub fn parse(s: &str) -> Result<FocusVersion> {
        match s.trim() {
            "1.2" | "1.2.0" => Ok(FocusVersion::V1_2),
            "1.3" | "1.3.0" => Ok(FocusVersion::V1_3),
            other => Err(Error::input_hint(
                format!("unsupported FOCUS version {other:?}"),
                format!("supported versions: {SUPPORTED_VERSIONS}"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FocusVersion::V1_2 => "1.2",
            FocusVersion::V1_3 => "1.3",
        }
    }

    /// The columns a file of this version has, in order: the FOCUS columns then the `x_` ones.
    pub fn columns(self) -> Vec<&'static str> {
        let mut c: Vec<&'static str> = FOCUS_COLUMNS
            .iter()
            .filter(|(_, since)| self == FocusVersion::V1_3 || *since == FocusVersion::V1_2)
            .map(|(name, _)| *name)
            .collect();
        c.extend(X_COLUMNS);
        c
    }

    /// The columns this version makes mandatory (21 in 1.2; 1.3 adds HostProviderName and
    /// ServiceProviderName).
    pub fn mandatory(self) -> Vec<&'static str> {
        let mut m = MANDATORY_1_2.to_vec();
        if self == FocusVersion::V1_3 {
            m.extend(["HostProviderName", "ServiceProviderName"]);
        }
        m.sort_unstable();
        m
    }
}

/// The 21 Mandatory columns of FOCUS 1.2 (reference/cloud-billing.md §4.1).
pub const MANDATORY_1_2: [&str; 21] = [
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ContractedCost",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceName",
];

/// The FOCUS columns written, each with the version that introduced it (alphabetical, as the
/// specification lists them). Recommended and conditional columns are written where a Claude
/// line has a value for them; the others (commitments, capacity reservations, regions of a
/// cloud) would be null on every row and are left out.
const FOCUS_COLUMNS: [(&str, FocusVersion); 34] = [
    ("BilledCost", FocusVersion::V1_2),
    ("BillingAccountId", FocusVersion::V1_2),
    ("BillingAccountName", FocusVersion::V1_2),
    ("BillingCurrency", FocusVersion::V1_2),
    ("BillingPeriodEnd", FocusVersion::V1_2),
    ("BillingPeriodStart", FocusVersion::V1_2),
    ("ChargeCategory", FocusVersion::V1_2),
    ("ChargeClass", FocusVersion::V1_2),
    ("ChargeDescription", FocusVersion::V1_2),
    ("ChargeFrequency", FocusVersion::V1_2),
    ("ChargePeriodEnd", FocusVersion::V1_2),
    ("ChargePeriodStart", FocusVersion::V1_2),
    ("ConsumedQuantity", FocusVersion::V1_2),
    ("ConsumedUnit", FocusVersion::V1_2),
    ("ContractedCost", FocusVersion::V1_2),
    ("EffectiveCost", FocusVersion::V1_2),
    ("HostProviderName", FocusVersion::V1_3),
    ("InvoiceId", FocusVersion::V1_2),
    ("InvoiceIssuerName", FocusVersion::V1_2),
    ("ListCost", FocusVersion::V1_2),
    ("ListUnitPrice", FocusVersion::V1_2),
    ("PricingQuantity", FocusVersion::V1_2),
    ("PricingUnit", FocusVersion::V1_2),
    ("ProviderName", FocusVersion::V1_2),
    ("PublisherName", FocusVersion::V1_2),
    ("ServiceCategory", FocusVersion::V1_2),
    ("ServiceName", FocusVersion::V1_2),
    ("ServiceProviderName", FocusVersion::V1_3),
    ("ServiceSubcategory", FocusVersion::V1_2),
    ("SkuId", FocusVersion::V1_2),
    ("SkuPriceId", FocusVersion::V1_2),
    ("SubAccountId", FocusVersion::V1_2),
    ("SubAccountName", FocusVersion::V1_2),
    ("Tags", FocusVersion::V1_2),
];

/// counterfoil's own columns (FOCUS requires the `x_` prefix for them).
pub const X_COLUMNS: [&str; 9] = [
    "x_ExpectedCost",
    "x_DeltaCost",
    "x_ReconcileStatus",
    "x_Finding",
    "x_ServiceTier",
    "x_InferenceGeo",
    "x_ContextWindow",
    "x_TokenType",
    "x_Provisional",
];

/// Whose bill a FOCUS file describes, and which days may still change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FocusContext {
    /// BillingAccountId: the Anthropic organization id.
    pub organization_id: String,
    /// BillingAccountName, when known.
    pub organization_name: Option<String>,
    /// Days whose data may still be restated: `x_Provisional = true`.
    pub unsettled_days: std::collections::BTreeSet<chrono::NaiveDate>,
}

impl FocusContext {
    /// The context a reconciliation carries, with `organization_id` overriding (or supplying) the
    /// organization; an error with a hint when neither says whose bill it is.
    pub fn of(provenance: &Provenance, organization_id: Option<&str>) -> Result<FocusContext> {
        let known = provenance.organization.as_ref();
        let id = match (organization_id, known) {
            (Some(id), _) if !id.trim().is_empty() => id.trim().to_owned(),
            (Some(_), _) => return Err(Error::input("the organization id is empty")),
            (None, Some((id, _))) => id.clone(),
            (None, None) => {
                return Err(Error::input_hint(
                    "FOCUS needs the organization id (BillingAccountId), and this reconciliation does not know it",
                    "pass organization_id=client.organization()[\"id\"], or use client.reconcile or Store.reconcile, which know it",
                ));
            }
        };
        let name = known.filter(|(k, _)| *k == id).map(|(_, n)| n.clone());
        Ok(FocusContext {
            organization_id: id,
            organization_name: name,
            unsettled_days: provenance.unsettled_days.clone(),
        })
    }
}

/// The FOCUS frame of `rec`: one row per line, the columns of `version`.
pub fn to_focus(rec: &Reconciliation, ctx: &FocusContext, version: FocusVersion) -> Result<DataFrame> {
    focus_frame(&rec.lines, ctx, version)
}

/// The FOCUS frame of a `lines` frame (DESIGN §3 columns, plus `workspace_name`, `description`,
/// `unit_price_usd` and `finding` where present).
pub fn focus_frame(lines: &DataFrame, ctx: &FocusContext, version: FocusVersion) -> Result<DataFrame> {
    let columns = row::columns(lines, ctx)?;
    let df = DataFrame::new(lines.height(), columns)?;
    Ok(df.select(version.columns())?)
}

/// The file formats of a FOCUS export, from the output's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FocusFile {
    Parquet,
    Csv,
}

impl FocusFile {
    pub fn of(path: &Path) -> Result<FocusFile> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("parquet") => Ok(FocusFile::Parquet),
            Some("csv") => Ok(FocusFile::Csv),
            _ => Err(Error::input_hint(
                format!("cannot tell the FOCUS file format of {}", path.display()),
                "name the output FILE.parquet or FILE.csv",
            )),
        }
    }
}

/// Writes a FOCUS frame to `path` (`fsio::write_output`), Parquet or CSV by its extension.
pub fn write_focus_file(df: &mut DataFrame, path: &Path) -> Result<()> {
    match FocusFile::of(path)? {
        FocusFile::Parquet => write_frame_file(df, Format::Parquet, path, false),
        FocusFile::Csv => crate::fsio::write_output(path, |w| write_csv_cells(df, w, &focus_cell)),
    }
}

/// A CSV cell of a FOCUS file: the usual texts, with a decimal point in every decimal.
fn focus_cell(v: &AnyValue<'_>) -> Option<String> {
    let text = cell_text(v)?;
    Some(match v {
        AnyValue::Decimal(..) if !text.contains('.') => text + ".0",
        _ => text,
    })
}
