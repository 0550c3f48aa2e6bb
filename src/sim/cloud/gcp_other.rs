//! The GCP rows that are not Claude token usage: other services the reader must count and skip
//! (Compute Engine with a sustained-use credit, BigQuery, Gemini on Vertex AI), and the Claude
//! not-usage lines it must keep apart (a tax line per project and month, one adjustment).
//!
//! The well-known public service ids are Google's own; SKU ids are stable hashes.

use chrono::Duration;
use rust_decimal::Decimal;

use super::aws::period_start;
use super::gcp::{Credit, GcpRow, draw, quantityless, service};
use super::prices::{HAIKU_4_5, OPUS_4_8, SONNET_4_6};
use super::text::google_id;
use super::traffic::Scope;
use super::{CloudConfig, Facts};
use crate::rates::TokenType;

fn other(
    project: usize,
    day: chrono::NaiveDate,
    (service_id, service_name, sku): (&'static str, &'static str, &'static str),
    usage: (Decimal, &'static str, Decimal, &'static str),
    cost: Decimal,
    credits: Vec<Credit>,
) -> GcpRow {
    let (start, end) = quantityless(day);
    GcpRow {
        service: (service_id.to_owned(), service_name),
        sku: (google_id(&["sku", sku]), sku.to_owned()),
        start,
        end,
        project,
        labels: &[],
        location: Some(if service_name == "BigQuery" { "US" } else { "us-east5" }),
        export_time: end + Duration::hours(6),
        cost,
        cost_at_list: cost,
        usage: Some(usage),
        credits,
        cost_type: "regular",
        adjustment: None,
        claude: None,
    }
}

fn not_usage(
    project: usize,
    span: (chrono::NaiveDate, chrono::NaiveDate),
    model: &'static str,
    cost: Decimal,
) -> GcpRow {
    let (start, _) = quantityless(span.0);
    let (end, _) = quantityless(span.1);
    let svc = service(model);
    GcpRow {
        sku: (google_id(&["sku", "tax", svc.1]), "Tax".to_owned()),
        service: svc,
        start,
        end,
        project,
        labels: &[],
        location: None,
        export_time: end + Duration::hours(6),
        cost,
        cost_at_list: cost,
        usage: None,
        credits: vec![],
        cost_type: "tax",
        adjustment: None,
        claude: Some(Facts { model: Some(model), line_item_type: "Tax", ..Facts::default() }),
    }
}

/// Daily other services per project, a tax line per project and month (8 % of its Claude cost,
/// to the cent) and a goodwill adjustment on the middle day.
pub(crate) fn rows(config: &CloudConfig, claude: &[GcpRow]) -> Vec<GcpRow> {
    let mut out = Vec::new();
    for day in config.dates() {
        for project in 0..2u64 {
            let p = project as usize;
            let cores = Decimal::from(4 + 4 * project);
            let seconds = cores * Decimal::from(86_400);
            let hours = cores * Decimal::from(24);
            let cost = (hours * Decimal::new(31_611, 6)).normalize();
            let sud = Credit {
                name: "Sustained Usage Discount",
                amount: -(cost * Decimal::new(2, 1)).normalize(),
                full_name: "",
                id: "",
                kind: "SUSTAINED_USAGE_DISCOUNT",
            };
            let n2 = ("6F81-5844-456A", "Compute Engine", "N2 Instance Core running in Americas");
            out.push(other(p, day, n2, (seconds, "seconds", hours, "hour"), cost, vec![sud]));
            let k = draw(config, day, project, 1, 300);
            let bytes = Decimal::from(k) * Decimal::from(4_294_967_296i64);
            let tib = (Decimal::from(k) / Decimal::from(256)).normalize();
            let bq = ("24E6-581D-38E5", "BigQuery", "Analysis");
            out.push(other(
                p,
                day,
                bq,
                (bytes, "byte", tib, "tebibyte"),
                (tib * Decimal::new(625, 2)).normalize(),
                vec![],
            ));
            let tokens = Decimal::from(draw(config, day, 10 + project, 10_000, 900_000) * 10);
            let mtok = (tokens / Decimal::from(1_000_000)).normalize();
            let gemini = ("C7E2-9256-1C43", "Vertex AI", "Gemini 2.5 Pro Input Text Tokens");
            let cost = (mtok * Decimal::new(125, 2)).normalize();
            out.push(other(p, day, gemini, (tokens, "count", mtok, "1000000 count"), cost, vec![]));
        }
    }
    let (first, end) = (config.start(), config.end);
    let mut month = period_start(quantityless(first).0);
    while month < end {
        let next = month.checked_add_months(chrono::Months::new(1)).expect("months stay in range");
        for (project, model) in [(0, SONNET_4_6), (1, HAIKU_4_5)] {
            let base: Decimal =
                claude.iter().filter(|r| r.project == project && period_start(r.start) == month).map(|r| r.cost).sum();
            if !base.is_zero() {
                let tax = (base * Decimal::new(8, 2)).round_dp(2);
                out.push(not_usage(project, (month.max(first), next.min(end)), model, tax));
            }
        }
        month = next;
    }
    let mid = config.middle();
    let (start, end) = quantityless(mid);
    let desc = super::gcp::sku_description(OPUS_4_8, "us-east5", false, TokenType::Input);
    out.push(GcpRow {
        service: service(OPUS_4_8),
        sku: (google_id(&["sku", &desc]), desc),
        start,
        end,
        project: 0,
        labels: &[],
        location: Some("us-east5"),
        export_time: end + Duration::hours(30),
        cost: Decimal::new(-500, 2),
        cost_at_list: Decimal::new(-500, 2),
        usage: None,
        credits: vec![],
        cost_type: "adjustment",
        adjustment: Some((
            "adj-0001",
            "Goodwill credit for a regional outage",
            "MANUAL_ADJUSTMENTS",
            "GENERAL_ADJUSTMENT",
        )),
        claude: Some(Facts {
            model: Some(OPUS_4_8),
            scope: None::<Scope>,
            line_item_type: "Credit",
            ..Facts::default()
        }),
    });
    out
}
