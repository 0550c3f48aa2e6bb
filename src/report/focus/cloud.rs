//! Cloud lines as FOCUS rows (DESIGN §14, reference `cloud-billing.md` §4.2), so one FOCUS file
//! holds Anthropic's bill and the Bedrock and Vertex bills side by side.
//!
//! The provider that invoices is the FOCUS provider ("Amazon Web Services", "Google Cloud");
//! Anthropic is the publisher and, from FOCUS 1.3, the service provider (the seller of a
//! marketplace good), the cloud the host. Token quantities and money stay exact: PricingQuantity
//! is tokens / 10⁶ as a mantissa shift, every cost a scale-12 mantissa. Tax rows have no SkuId
//! (FOCUS: SkuId MUST be null for Tax); invocation-log checks carry no money and are not rows.

use chrono::{Datelike, Duration, NaiveDate};
use polars::prelude::*;

use super::FocusVersion;
use crate::cloud::reconcile::{CheckedLine, CloudReconciliation, CloudStatus};
use crate::error::Result;
use crate::frames::columns::{datetime, micros, money, text};
use crate::rates::cloud::Provider;

fn names(p: Provider) -> (&'static str, &'static str) {
    match p {
        Provider::AwsBedrock => ("Amazon Web Services", "Amazon Bedrock"),
        Provider::GcpVertex => ("Google Cloud", "Vertex AI"),
    }
}

fn category(line_item_type: &str) -> &'static str {
    match line_item_type {
        "Usage" | "DiscountedUsage" | "SavingsPlanCoveredUsage" => "Usage",
        "Tax" => "Tax",
        "Credit" | "Refund" | "EdpDiscount" | "PrivateRateDiscount" | "SavingsPlanNegation" => "Credit",
        "Fee" | "RIFee" | "SavingsPlanUpfrontFee" | "SavingsPlanRecurringFee" => "Purchase",
        _ => "Adjustment",
    }
}

fn month(d: NaiveDate, next: bool) -> i64 {
    let first = d.with_day(1).expect("day 1");
    let first = if next {
        let (y, m) = if d.month() == 12 { (d.year() + 1, 1) } else { (d.year(), d.month() + 1) };
        NaiveDate::from_ymd_opt(y, m, 1).expect("day 1")
    } else {
        first
    };
    first.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp_micros()
}

/// FOCUS's string handling wants ASCII (the validator checks ChargeDescription): Vertex's em-dash
/// SKU names become " - ", any other non-ASCII character "?". The SKU's own text stays in the
/// cloud_lines frame.
fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '—' | '–' | '‑' => '-',
            c if c.is_ascii() => c,
            _ => '?',
        })
        .collect()
}

/// The FOCUS frame of a cloud reconciliation: the same columns as `report::focus::to_focus`.
pub fn cloud_focus(rec: &CloudReconciliation, version: FocusVersion) -> Result<DataFrame> {
    let rows: Vec<&CheckedLine> = rec.lines.iter().filter(|l| l.status != CloudStatus::UsageMismatch).collect();
    let n = rows.len();
    let col = |f: &dyn Fn(&CheckedLine) -> Option<String>| rows.iter().map(|l| f(l)).collect::<Vec<_>>();
    let m = |f: &dyn Fn(&CheckedLine) -> Option<i128>| rows.iter().map(|l| f(l)).collect::<Vec<_>>();
    let usage = |l: &CheckedLine| category(&l.line.line_item_type) == "Usage";
    let sku = |l: &CheckedLine| -> Option<String> {
        if category(&l.line.line_item_type) == "Tax" {
            return None;
        }
        let part = |s: Option<&str>| s.unwrap_or("unknown").to_string();
        let token = l.line.token_type.map(|t| t.api_name());
        Some(match (&l.line.model, token) {
            (Some(model), Some(t)) => {
                format!("{}/{model}/{t}/{}", l.line.provider.as_str(), part(l.line.context_window.as_deref()))
            }
            _ => format!(
                "{}/{}",
                l.line.provider.as_str(),
                part(l.line.usage_type.as_deref().or(l.line.sku_id.as_deref()))
            ),
        })
    };
    let quantity = |l: &CheckedLine| l.line.quantity.filter(|_| usage(l) && l.line.token_type.is_some());
    let start = |l: &CheckedLine| Some(micros(l.line.usage_start));
    let end = |l: &CheckedLine| Some(micros(l.line.usage_end.unwrap_or(l.line.usage_start + Duration::hours(1))));
    let columns = vec![
        money("BilledCost", m(&|l| Some(l.line.billed)))?,
        text("BillingAccountId", col(&|l| l.line.billing_account_id.clone().or(l.line.account_id.clone()))),
        text("BillingAccountName", vec![None; n]),
        text("BillingCurrency", vec![Some("USD".into()); n]),
        datetime("BillingPeriodEnd", rows.iter().map(|l| Some(month(l.line.date, true))).collect()),
        datetime("BillingPeriodStart", rows.iter().map(|l| Some(month(l.line.date, false))).collect()),
        text("ChargeCategory", col(&|l| Some(category(&l.line.line_item_type).into()))),
        text("ChargeClass", vec![None; n]),
        text(
            "ChargeDescription",
            col(&|l| {
                l.line
                    .sku_description
                    .clone()
                    .or(l.line.usage_type.clone())
                    .or(l.line.product.clone())
                    .map(|d| ascii(&d))
            }),
        ),
        text(
            "ChargeFrequency",
            col(&|l| {
                Some(
                    if usage(l) || category(&l.line.line_item_type) == "Tax" { "Usage-Based" } else { "One-Time" }
                        .into(),
                )
            }),
        ),
        datetime("ChargePeriodEnd", rows.iter().map(|l| end(l)).collect()),
        datetime("ChargePeriodStart", rows.iter().map(|l| start(l)).collect()),
        money("ConsumedQuantity", m(&|l| quantity(l).map(|q| i128::from(q) * 1_000_000_000_000)))?,
        text("ConsumedUnit", col(&|l| quantity(l).map(|_| "Tokens".into()))),
        money("ContractedCost", m(&|l| Some(l.line.billed)))?,
        money("EffectiveCost", m(&|l| Some(l.line.billed)))?,
        text("HostProviderName", col(&|l| Some(names(l.line.provider).0.into()))),
        text("InvoiceId", vec![None; n]),
        text("InvoiceIssuerName", col(&|l| Some(names(l.line.provider).0.into()))),
        money("ListCost", m(&|l| Some(l.line.list.or(l.expected).unwrap_or(l.line.billed))))?,
        money("ListUnitPrice", m(&|l| quantity(l).and(l.rate).and_then(|r| crate::money::to_mantissa(r).ok())))?,
        money("PricingQuantity", m(&|l| quantity(l).map(|q| i128::from(q) * 1_000_000)))?,
        text("PricingUnit", col(&|l| quantity(l).map(|_| "1000000 Tokens".into()))),
        text("ProviderName", col(&|l| Some(names(l.line.provider).0.into()))),
        text("PublisherName", vec![Some("Anthropic".into()); n]),
        text("ServiceCategory", vec![Some("AI and Machine Learning".into()); n]),
        text("ServiceName", col(&|l| Some(names(l.line.provider).1.into()))),
        text("ServiceProviderName", vec![Some("Anthropic".into()); n]),
        text("ServiceSubcategory", vec![Some("Generative AI".into()); n]),
        text("SkuId", col(&sku)),
        text(
            "SkuPriceId",
            col(&|l| {
                sku(l).map(|s| {
                    format!(
                        "{s}/{}/{}",
                        l.line.scope.map_or("unknown", |s| s.as_str()),
                        l.line.service_tier.as_deref().unwrap_or("unknown")
                    )
                })
            }),
        ),
        text("SubAccountId", col(&|l| l.line.account_id.clone())),
        text("SubAccountName", vec![None; n]),
        text("Tags", col(&|l| Some(l.line.tags.clone().unwrap_or_else(|| "{}".into())))),
        money("x_ExpectedCost", m(&|l| l.expected))?,
        money("x_DeltaCost", m(&|l| l.delta()))?,
        text("x_ReconcileStatus", col(&|l| Some(l.status.as_str().into()))),
        text("x_Finding", col(&|l| l.finding.clone())),
        text("x_ServiceTier", col(&|l| l.line.service_tier.clone())),
        text("x_InferenceGeo", col(&|l| l.line.region.clone())),
        text("x_ContextWindow", col(&|l| l.line.context_window.clone())),
        text("x_TokenType", col(&|l| l.line.token_type.map(|t| t.api_name().to_string()))),
        BooleanChunked::from_iter_values("x_Provisional".into(), std::iter::repeat_n(false, n)).into_column(),
    ];
    Ok(DataFrame::new(n, columns)?.select(version.columns())?)
}

/// Anthropic's FOCUS rows (if any) followed by the clouds'.
pub fn combined(anthropic: Option<DataFrame>, cloud: &CloudReconciliation, version: FocusVersion) -> Result<DataFrame> {
    let c = cloud_focus(cloud, version)?;
    match anthropic {
        Some(mut a) => {
            a.vstack_mut(&c)?;
            Ok(a)
        }
        None => Ok(c),
    }
}
