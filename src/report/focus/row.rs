//! The values of each FOCUS column for the lines of a reconciliation (DESIGN §14).
//!
//! Every column is built for every line; `focus_frame` then selects the version's columns. Money
//! is carried as scale-12 mantissas and never leaves exact arithmetic: PricingQuantity =
//! tokens / 10⁶ is the token count's mantissa shifted by six places, not a division.

use chrono::{Datelike, Duration, NaiveDate};
use polars::prelude::*;

use super::FocusContext;
use crate::error::Result;
use crate::frames::CostType;
use crate::frames::columns::{datetime, money, text};
use crate::money::to_scale_12;
use crate::reconcile::labels::type_label;

/// Who sells, publishes, invoices and hosts Claude bought from Anthropic directly
/// (reference/cloud-billing.md §4.2).
const ANTHROPIC: &str = "Anthropic";
/// 10¹² and 10⁶: one unit, and one millionth of a unit, as scale-12 mantissas.
const ONE: i128 = 1_000_000_000_000;
const MILLIONTH: i128 = 1_000_000;

/// A text column of `lines`, or nulls when the frame has no such column (optional extras).
fn strs(lines: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    match lines.column(name) {
        Ok(c) => Ok(c.str()?.iter().map(|s| s.map(str::to_owned)).collect()),
        Err(_) => Ok(vec![None; lines.height()]),
    }
}

/// A money column of `lines` as scale-12 mantissas, or nulls when absent.
fn moneys(lines: &DataFrame, name: &str) -> Result<Vec<Option<i128>>> {
    match lines.column(name) {
        Ok(c) => {
            let d = c.decimal()?;
            let scale = d.scale();
            Ok(d.physical().iter().map(|m| m.and_then(|m| to_scale_12(m, scale))).collect())
        }
        Err(_) => Ok(vec![None; lines.height()]),
    }
}

fn midnight(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp_micros()
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("day 1")
}

fn next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 { (d.year() + 1, 1) } else { (d.year(), d.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).expect("day 1")
}

/// `anthropic/<model>/<token_type>/<context_window>` for tokens, `anthropic/<cost_type>` for the
/// rest. SkuId stays the same across tiers and geos (FOCUS: price variations belong in
/// SkuPriceId), so those two are added only to the price id. A dimension the line does not have
/// (a day reconciled at a coarser key) is `unknown`.
fn sku_ids(
    cost_type: &CostType,
    model: Option<&str>,
    token_type: Option<&str>,
    window: Option<&str>,
    tier: Option<&str>,
    geo: Option<&str>,
) -> (String, String) {
    let part = |s: Option<&str>| s.filter(|s| !s.is_empty()).unwrap_or("unknown").to_owned();
    if *cost_type != CostType::Tokens {
        let id = format!("anthropic/{cost_type}");
        return (id.clone(), id);
    }
    let sku = format!("anthropic/{}/{}/{}", part(model), part(token_type), part(window));
    let price = format!("{sku}/{}/{}", part(tier), part(geo));
    (sku, price)
}

/// What the line is, in words: cost_report's description where there is one.
fn description(
    description: Option<&str>,
    cost_type: &CostType,
    model: Option<&str>,
    token_type: Option<&str>,
) -> String {
    if let Some(d) = description.filter(|d| !d.trim().is_empty()) {
        return d.to_owned();
    }
    let label = type_label(token_type, cost_type.as_str());
    match (cost_type, model) {
        (CostType::Tokens, Some(m)) => format!("{m} {label} tokens"),
        (CostType::Tokens, None) => format!("{label} tokens"),
        _ => label,
    }
}

/// Every column of DESIGN §14 for every line, in no particular order.
pub fn columns(lines: &DataFrame, ctx: &FocusContext) -> Result<Vec<Column>> {
    let n = lines.height();
    let days: Vec<NaiveDate> = {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
        let c = lines.column("date")?.date()?.physical().clone();
        c.iter().map(|d| epoch + Duration::days(i64::from(d.unwrap_or(0)))).collect()
    };
    let quantity: Vec<Option<i64>> = lines.column("quantity")?.i64()?.iter().collect();
    let [ws, ws_name, model, tier, window, geo, cost_type, token_type, status, finding, desc] = [
        "workspace_id",
        "workspace_name",
        "model",
        "service_tier",
        "context_window",
        "inference_geo",
        "cost_type",
        "token_type",
        "status",
        "finding",
        "description",
    ]
    .map(|c| strs(lines, c));
    let (ws, ws_name, model, tier, window, geo) = (ws?, ws_name?, model?, tier?, window?, geo?);
    let (cost_type, token_type, status, finding, desc) = (cost_type?, token_type?, status?, finding?, desc?);
    let [rate, unit_price, expected, reported, delta, list] =
        ["rate_usd_per_mtok", "unit_price_usd", "expected_usd", "reported_usd", "delta_usd", "list_usd"]
            .map(|c| moneys(lines, c));
    let (rate, unit_price, expected, reported, delta, list) = (rate?, unit_price?, expected?, reported?, delta?, list?);
    let provisional: Vec<bool> = match lines.column("provisional") {
        Ok(c) => c.bool()?.iter().map(|b| b.unwrap_or(false)).collect(),
        Err(_) => days.iter().map(|d| ctx.unsettled_days.contains(d)).collect(),
    };

    let kinds: Vec<CostType> = cost_type.iter().map(|c| CostType::from(c.as_deref().unwrap_or(""))).collect();
    let kind = |i: usize| &kinds[i];
    let billed: Vec<Option<i128>> = (0..n).map(|i| Some(reported[i].unwrap_or(0))).collect();
    // The bill's list amount (Analytics) where it has one, else the card's, else the billed
    // amount: FOCUS requires a ListCost on every row.
    let list_cost: Vec<Option<i128>> = (0..n).map(|i| list[i].or(expected[i]).or(billed[i])).collect();
    let consumed_unit = |i: usize| match kind(i) {
        CostType::Tokens => "Tokens",
        CostType::WebSearch => "Requests",
        _ => "Units",
    };
    let has_q = |i: usize| quantity[i].is_some();
    let pricing_quantity: Vec<Option<i128>> = (0..n)
        .map(|i| {
            let q = i128::from(quantity[i]?);
            Some(if *kind(i) == CostType::Tokens { q * MILLIONTH } else { q * ONE })
        })
        .collect();
    let (sku, sku_price): (Vec<_>, Vec<_>) = (0..n)
        .map(|i| {
            let (a, b) = sku_ids(
                kind(i),
                model[i].as_deref(),
                token_type[i].as_deref(),
                window[i].as_deref(),
                tier[i].as_deref(),
                geo[i].as_deref(),
            );
            (Some(a), Some(b))
        })
        .unzip();
    let tags: Vec<Option<String>> = (0..n)
        .map(|i| {
            let mut o = serde_json::Map::new();
            if let Some(w) = ws_name[i].as_ref().or(ws[i].as_ref()) {
                o.insert("anthropic/workspace".into(), w.clone().into());
            }
            Some(serde_json::Value::Object(o).to_string())
        })
        .collect();
    let same = |v: &str| vec![Some(v.to_owned()); n];
    let stamps = |f: &dyn Fn(NaiveDate) -> NaiveDate| days.iter().map(|d| Some(midnight(f(*d)))).collect::<Vec<_>>();

    Ok(vec![
        money("BilledCost", billed.clone())?,
        text("BillingAccountId", same(&ctx.organization_id)),
        text("BillingAccountName", vec![ctx.organization_name.clone(); n]),
        text("BillingCurrency", same("USD")),
        datetime("BillingPeriodEnd", stamps(&next_month)),
        datetime("BillingPeriodStart", stamps(&month_start)),
        text("ChargeCategory", same("Usage")),
        text("ChargeClass", vec![None; n]),
        text(
            "ChargeDescription",
            (0..n)
                .map(|i| Some(description(desc[i].as_deref(), kind(i), model[i].as_deref(), token_type[i].as_deref())))
                .collect(),
        ),
        text("ChargeFrequency", same("Usage-Based")),
        datetime("ChargePeriodEnd", stamps(&|d| d + Duration::days(1))),
        datetime("ChargePeriodStart", stamps(&|d| d)),
        money("ConsumedQuantity", (0..n).map(|i| quantity[i].map(|q| i128::from(q) * ONE)).collect())?,
        text("ConsumedUnit", (0..n).map(|i| has_q(i).then(|| consumed_unit(i).to_owned())).collect()),
        money("ContractedCost", billed.clone())?,
        money("EffectiveCost", billed)?,
        text("HostProviderName", same(ANTHROPIC)),
        text("InvoiceId", vec![None; n]),
        text("InvoiceIssuerName", same(ANTHROPIC)),
        money("ListCost", list_cost)?,
        money(
            "ListUnitPrice",
            (0..n)
                .map(|i| match kind(i) {
                    _ if !has_q(i) => None,
                    CostType::Tokens => rate[i],
                    CostType::WebSearch => unit_price[i],
                    _ => None,
                })
                .collect(),
        )?,
        money("PricingQuantity", pricing_quantity)?,
        text(
            "PricingUnit",
            (0..n)
                .map(|i| {
                    has_q(i).then(|| if *kind(i) == CostType::Tokens { "1000000 Tokens" } else { consumed_unit(i) })
                })
                .map(|u| u.map(str::to_owned))
                .collect(),
        ),
        text("ProviderName", same(ANTHROPIC)),
        text("PublisherName", same(ANTHROPIC)),
        text("ServiceCategory", same("AI and Machine Learning")),
        text("ServiceName", same("Claude API")),
        text("ServiceProviderName", same(ANTHROPIC)),
        text("ServiceSubcategory", same("Generative AI")),
        text("SkuId", sku),
        text("SkuPriceId", sku_price),
        text("SubAccountId", ws),
        text("SubAccountName", ws_name),
        text("Tags", tags),
        money("x_ExpectedCost", expected)?,
        money("x_DeltaCost", delta)?,
        text("x_ReconcileStatus", status),
        text("x_Finding", finding),
        text("x_ServiceTier", tier),
        text("x_InferenceGeo", geo),
        text("x_ContextWindow", window),
        text("x_TokenType", token_type),
        BooleanChunked::from_iter_values("x_Provisional".into(), provisional.into_iter()).into_column(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billing_periods_are_calendar_months() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(month_start(d(2026, 11, 30)), d(2026, 11, 1));
        assert_eq!(next_month(d(2026, 11, 30)), d(2026, 12, 1));
        assert_eq!(next_month(d(2026, 12, 31)), d(2027, 1, 1));
    }

    #[test]
    fn sku_ids_keep_price_variations_out_of_the_sku() {
        let (sku, price) = sku_ids(
            &CostType::Tokens,
            Some("claude-opus-5-5"),
            Some("output_tokens"),
            Some("0-200k"),
            Some("batch"),
            Some("us"),
        );
        assert_eq!(sku, "anthropic/claude-opus-5-5/output_tokens/0-200k");
        assert_eq!(price, "anthropic/claude-opus-5-5/output_tokens/0-200k/batch/us");
        assert_eq!(sku_ids(&CostType::WebSearch, None, None, None, None, None).1, "anthropic/web_search");
        assert_eq!(
            sku_ids(&CostType::Tokens, Some("m"), Some("t"), None, None, None).1,
            "anthropic/m/t/unknown/unknown/unknown"
        );
    }
}
