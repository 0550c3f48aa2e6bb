//! The `cloud_lines` frame of DESIGN §13: one row per Claude line item of a Bedrock or Vertex bill.
//!
//! Readers (`cur`, `gcp`) produce [`CloudLine`]s; `to_frame` is the frame users see
//! (`cf.read_cur`, `cf.read_gcp_billing`) and `from_frame` takes one back (a frame a user filtered,
//! or read from their warehouse) for `reconcile_cloud`, checking every column by name.

use chrono::{DateTime, NaiveDate, Utc};
use polars::prelude::*;

use crate::error::{Error, Result};
use crate::frames::columns::{self as col, Build, MoneyBuilder};
use crate::money::{from_mantissa, to_mantissa};
use crate::rates::TokenType;
use crate::rates::cloud::{Provider, Scope};

/// The columns of `cloud_lines`, in order. `product` (the bill's product or service name) extends
/// the contract so an unknown product is named where it appears.
pub const CLOUD_LINE_COLUMNS: [&str; 23] = [
    "provider",
    "account_id",
    "billing_account_id",
    "date",
    "usage_start",
    "usage_end",
    "region",
    "scope",
    "model",
    "service_tier",
    "context_window",
    "token_type",
    "quantity",
    "billed_usd",
    "list_usd",
    "line_item_type",
    "usage_type",
    "sku_id",
    "sku_description",
    "principal",
    "tags",
    "product",
    "source",
];

/// One Claude line item of a cloud bill. Money is scale-12 mantissas (exact).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudLine {
    pub provider: Provider,
    pub account_id: Option<String>,
    pub billing_account_id: Option<String>,
    pub date: NaiveDate,
    pub usage_start: DateTime<Utc>,
    pub usage_end: Option<DateTime<Utc>>,
    pub region: Option<String>,
    pub scope: Option<Scope>,
    /// The card's canonical id; `None` for a product counterfoil does not know.
    pub model: Option<String>,
    pub service_tier: Option<String>,
    pub context_window: Option<String>,
    /// `None` for an unknown usage type or SKU, and for lines that are not usage.
    pub token_type: Option<TokenType>,
    pub quantity: Option<i64>,
    pub billed: i128,
    pub list: Option<i128>,
    /// `Usage`, `Tax`, `Credit`, `Refund`, `Fee`, … (AWS's names; Google's cost types mapped).
    pub line_item_type: String,
    pub usage_type: Option<String>,
    pub sku_id: Option<String>,
    pub sku_description: Option<String>,
    pub principal: Option<String>,
    /// Resource tags or labels as a JSON object.
    pub tags: Option<String>,
    pub product: Option<String>,
    /// `file:row` of the bill line, so every figure can be traced back.
    pub source: String,
}

impl CloudLine {
    /// Usage is what is priced; tax, credits, refunds, fees and commitments are summed apart.
    pub fn is_usage(&self) -> bool {
        matches!(self.line_item_type.as_str(), "Usage" | "DiscountedUsage" | "SavingsPlanCoveredUsage")
    }
}

fn texts<'a>(lines: &'a [CloudLine], name: &str, f: impl Fn(&'a CloudLine) -> Option<&'a str>) -> Column {
    StringChunked::from_iter_options(name.into(), lines.iter().map(f)).into_column()
}

/// The `cloud_lines` frame of `lines`, its columns built on every core at once (a month of
/// Bedrock is a million lines: one core took most of a second).
pub fn to_frame(lines: &[CloudLine]) -> Result<DataFrame> {
    let money = |name: &'static str, f: fn(&CloudLine) -> Option<i128>| -> Build<'_> {
        Box::new(move || {
            let mut b = MoneyBuilder::new(name, lines.len());
            for l in lines {
                b.push(f(l));
            }
            Ok(b.finish())
        })
    };
    let text = |name: &'static str, f: fn(&CloudLine) -> Option<&str>| -> Build<'_> {
        Box::new(move || Ok(texts(lines, name, f)))
    };
    let builds: Vec<Build> = vec![
        text("provider", |l| Some(l.provider.as_str())),
        text("account_id", |l| l.account_id.as_deref()),
        text("billing_account_id", |l| l.billing_account_id.as_deref()),
        Box::new(|| Ok(col::date("date", lines.iter().map(|l| Some(l.date)).collect()))),
        Box::new(|| Ok(col::datetime("usage_start", lines.iter().map(|l| Some(col::micros(l.usage_start))).collect()))),
        Box::new(|| Ok(col::datetime("usage_end", lines.iter().map(|l| l.usage_end.map(col::micros)).collect()))),
        text("region", |l| l.region.as_deref()),
        text("scope", |l| l.scope.map(Scope::as_str)),
        text("model", |l| l.model.as_deref()),
        text("service_tier", |l| l.service_tier.as_deref()),
        text("context_window", |l| l.context_window.as_deref()),
        text("token_type", |l| l.token_type.map(TokenType::api_name)),
        Box::new(|| {
            Ok(Int64Chunked::from_iter_options("quantity".into(), lines.iter().map(|l| l.quantity)).into_column())
        }),
        money("billed_usd", |l| Some(l.billed)),
        money("list_usd", |l| l.list),
        text("line_item_type", |l| Some(l.line_item_type.as_str())),
        text("usage_type", |l| l.usage_type.as_deref()),
        text("sku_id", |l| l.sku_id.as_deref()),
        text("sku_description", |l| l.sku_description.as_deref()),
        text("principal", |l| l.principal.as_deref()),
        text("tags", |l| l.tags.as_deref()),
        text("product", |l| l.product.as_deref()),
        text("source", |l| Some(l.source.as_str())),
    ];
    Ok(DataFrame::new(lines.len(), col::on_cores(builds)?)?)
}

/// Lines back from a `cloud_lines` frame; a missing or mistyped column is an input error naming it.
pub fn from_frame(df: &DataFrame) -> Result<Vec<CloudLine>> {
    let missing: Vec<&str> = CLOUD_LINE_COLUMNS.iter().copied().filter(|c| df.column(c).is_err()).collect();
    if !missing.is_empty() {
        return Err(Error::input_hint(
            format!("not a cloud_lines frame: missing column(s) {}", missing.join(", ")),
            "make it with cf.read_cur or cf.read_gcp_billing",
        ));
    }
    let s = |name: &str| -> Result<StringChunked> {
        Ok(df.column(name)?.as_materialized_series().cast(&DataType::String)?.str()?.clone())
    };
    let text = |c: &StringChunked, i: usize| c.get(i).map(str::to_string);
    let (
        provider,
        account,
        billing,
        region,
        scope,
        model,
        tier,
        ctx,
        token,
        lit,
        ut,
        sku,
        skud,
        principal,
        tags,
        product,
        source,
    ) = (
        s("provider")?,
        s("account_id")?,
        s("billing_account_id")?,
        s("region")?,
        s("scope")?,
        s("model")?,
        s("service_tier")?,
        s("context_window")?,
        s("token_type")?,
        s("line_item_type")?,
        s("usage_type")?,
        s("sku_id")?,
        s("sku_description")?,
        s("principal")?,
        s("tags")?,
        s("product")?,
        s("source")?,
    );
    let date = df.column("date")?.as_materialized_series().cast(&DataType::Date)?;
    let date = date.date()?.clone();
    let micros = |name: &str| -> Result<Int64Chunked> {
        let c = df.column(name)?.as_materialized_series().cast(&col::datetime_dtype())?;
        Ok(c.datetime()?.physical().clone())
    };
    let (start, end) = (micros("usage_start")?, micros("usage_end")?);
    let quantity = df.column("quantity")?.as_materialized_series().cast(&DataType::Int64)?;
    let quantity = quantity.i64()?.clone();
    let money = |name: &str| -> Result<Vec<Option<i128>>> {
        let c = df.column(name)?.as_materialized_series().cast(&col::money_dtype())?;
        Ok(c.decimal()?.physical().iter().collect())
    };
    let (billed, list) = (money("billed_usd")?, money("list_usd")?);
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let bad = |what: &str| Error::input(format!("cloud_lines row {i}: {what}"));
        let p = provider.get(i).ok_or_else(|| bad("provider is empty"))?;
        out.push(CloudLine {
            provider: Provider::parse(p).ok_or_else(|| bad(&format!("unknown provider {p:?}")))?,
            account_id: text(&account, i),
            billing_account_id: text(&billing, i),
            date: epoch + chrono::Duration::days(date.physical().get(i).ok_or_else(|| bad("date is empty"))? as i64),
            usage_start: start
                .get(i)
                .and_then(DateTime::from_timestamp_micros)
                .ok_or_else(|| bad("usage_start is empty"))?,
            usage_end: end.get(i).and_then(DateTime::from_timestamp_micros),
            region: text(&region, i),
            scope: scope
                .get(i)
                .map(|v| Scope::parse(v).ok_or_else(|| bad(&format!("unknown scope {v:?}"))))
                .transpose()?,
            model: text(&model, i),
            service_tier: text(&tier, i),
            context_window: text(&ctx, i),
            token_type: token
                .get(i)
                .map(|v| TokenType::from_api_name(v).ok_or_else(|| bad(&format!("unknown token_type {v:?}"))))
                .transpose()?,
            quantity: quantity.get(i),
            billed: billed[i].ok_or_else(|| bad("billed_usd is empty"))?,
            list: list[i],
            line_item_type: text(&lit, i).ok_or_else(|| bad("line_item_type is empty"))?,
            usage_type: text(&ut, i),
            sku_id: text(&sku, i),
            sku_description: text(&skud, i),
            principal: text(&principal, i),
            tags: text(&tags, i),
            product: text(&product, i),
            source: text(&source, i).unwrap_or_else(|| format!("frame row {i}")),
        });
    }
    Ok(out)
}

/// A decimal from a line's mantissa, for messages and JSON.
pub fn usd(m: i128) -> String {
    from_mantissa(m).map(|d| d.to_string()).unwrap_or_else(|| m.to_string())
}

/// Exact scale-12 money from a bill's decimal, naming the cell when it cannot be held.
pub fn money_of(d: rust_decimal::Decimal, what: &dyn Fn() -> String) -> Result<i128> {
    to_mantissa(d).map_err(|e| Error::input(format!("{}: {e}", what())))
}
