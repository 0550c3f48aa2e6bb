//! The AWS rows that are not Claude token usage: other services the reader must count and skip
//! (EC2, S3, another vendor's model on Bedrock), and the Claude not-usage lines it must keep
//! apart (a tax line per account and month, one credit, one refund).
//!
//! A tax line starts on the first day of its month that lies in the window (not before it), so
//! a reader that selects by the day of the usage start keeps every line the truth lists.

use chrono::{Duration, NaiveDate, Utc};
use rand::RngExt;
use rust_decimal::Decimal;

use super::aws::{CurRow, period_start, product, usage_type};
use super::prices::{HAIKU_4_5, OPUS_5, SONNET_4_6};
use super::traffic::{Scope, Tier, day_rng};
use super::{CloudConfig, Facts};
use crate::rates::TokenType;

fn midnight(d: NaiveDate) -> chrono::DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
}

#[allow(clippy::too_many_arguments)]
fn service_row(
    account: usize,
    start: chrono::DateTime<Utc>,
    hours: i64,
    (code, name, usage_type, operation): (&'static str, &'static str, &str, &'static str),
    (amount, unit, rate): (Decimal, &'static str, Decimal),
    resource: Option<String>,
    description: String,
) -> CurRow {
    CurRow {
        billing_entity: "AWS",
        line_item_id: String::new(),
        account,
        line_item_type: "Usage",
        start,
        end: start + Duration::hours(hours),
        product_code: code,
        usage_type: Some(usage_type.to_owned()),
        operation: Some(operation),
        resource_id: resource,
        usage_amount: Some(amount),
        rate: Some(rate),
        cost: (amount * rate).normalize(),
        legal_entity: "Amazon Web Services, Inc.",
        description,
        principal: None,
        pricing_unit: Some(unit),
        product_name: name,
        region: Some(if usage_type.starts_with("USW2") { "us-west-2" } else { "us-east-1" }),
        servicecode: code,
        tags: &[],
        claude: None,
    }
}

/// EC2 every hour, S3 storage once a day, a Mistral model on Bedrock a few hours a day.
pub(crate) fn services(config: &CloudConfig) -> Vec<CurRow> {
    let mut out = Vec::new();
    let ec2 = ("AmazonEC2", "Amazon Elastic Compute Cloud", "USE1-BoxUsage:m7i.large", "RunInstances");
    let s3 = ("AmazonS3", "Amazon Simple Storage Service", "USE1-TimedStorage-ByteHrs", "StandardStorage");
    let mistral = ("AmazonBedrock", "Amazon Bedrock", "USW2-MistralLarge2-input-tokens", "InvokeModelInference");
    for day in config.dates() {
        let mut rng = day_rng(config.seed, day, 99, 1);
        for hour in 0..24 {
            let start = midnight(day) + Duration::hours(hour);
            let n = Decimal::from(rng.random_range(1..=3u32));
            let text = "$0.1008 per On Demand Linux m7i.large Instance Hour".to_owned();
            out.push(service_row(
                0,
                start,
                1,
                ec2,
                (n, "Hrs", Decimal::new(1008, 4)),
                Some("i-0a1b2c3d4e5f60718".into()),
                text,
            ));
        }
        for account in 0..2 {
            let gb_mo = Decimal::new(rng.random_range(20_000..=90_000i64), 4);
            let text = "$0.023 per GB - first 50 TB / month of storage used".to_owned();
            out.push(service_row(account, midnight(day), 24, s3, (gb_mo, "GB-Mo", Decimal::new(23, 3)), None, text));
        }
        for hour in 9..13 {
            let k_tokens = Decimal::new(rng.random_range(1_000..=400_000i64), 1);
            let text = "Mistral Large 2 input tokens, per 1K".to_owned();
            let start = midnight(day) + Duration::hours(hour);
            out.push(service_row(1, start, 1, mistral, (k_tokens, "1K tokens", Decimal::new(2, 3)), None, text));
        }
    }
    out
}

fn not_usage_row(
    account: usize,
    (start, end): (NaiveDate, NaiveDate),
    (kind, model, usage_type): (&'static str, &'static str, Option<String>),
    cost: Decimal,
    description: String,
) -> CurRow {
    let (product_name, code) = product(model);
    CurRow {
        billing_entity: "AWS Marketplace",
        line_item_id: String::new(),
        account,
        line_item_type: kind,
        start: midnight(start),
        end: midnight(end),
        product_code: code,
        usage_type,
        operation: None,
        resource_id: None,
        usage_amount: None,
        rate: None,
        cost,
        legal_entity: "Anthropic, PBC",
        description,
        principal: None,
        pricing_unit: None,
        product_name,
        region: None,
        servicecode: code,
        tags: &[],
        claude: Some(Facts { model: Some(model), line_item_type: kind, ..Facts::default() }),
    }
}

/// A tax line per account and month (8 % of its Claude usage, to the cent), one credit and one
/// refund on the middle day.
pub(crate) fn not_usage(config: &CloudConfig, usage: &[CurRow]) -> Vec<CurRow> {
    let (first, end) = (config.start(), config.end);
    let mut out = Vec::new();
    let mut month = period_start(midnight(first));
    while month < end {
        let next = month.checked_add_months(chrono::Months::new(1)).expect("months stay in range");
        for (account, model) in [(0, HAIKU_4_5), (1, SONNET_4_6)] {
            let base: Decimal = usage
                .iter()
                .filter(|r| r.claude.is_some() && r.account == account && period_start(r.start) == month)
                .map(|r| r.cost)
                .sum();
            if base.is_zero() {
                continue;
            }
            let tax = (base * Decimal::new(8, 2)).round_dp(2);
            let code = product(model).1;
            let span = (month.max(first), next.min(end));
            out.push(not_usage_row(account, span, ("Tax", model, None), tax, format!("Tax for product code {code}")));
        }
        month = next;
    }
    let mid = config.middle();
    let day = (mid, mid + Duration::days(1));
    let credit_type = usage_type("us-east-1", OPUS_5, Scope::Regional, Tier::Standard, false, TokenType::Input);
    let text = "AWS Credits: Bedrock proof-of-concept credit".to_owned();
    out.push(not_usage_row(0, day, ("Credit", OPUS_5, Some(credit_type)), Decimal::new(-2500, 2), text));
    let refund_type = usage_type("eu-central-1", SONNET_4_6, Scope::Regional, Tier::Standard, false, TokenType::Input);
    let text = "Refund: duplicate charge for a failed request".to_owned();
    out.push(not_usage_row(1, day, ("Refund", SONNET_4_6, Some(refund_type)), Decimal::new(-375, 2), text));
    out
}
