//! The cost frame: one row per day × group, `amount_usd` exact.

use polars::prelude::*;

use super::columns::{datetime, micros, money, text};
use crate::api::wire::{Bucket, CostResult};
use crate::error::{Error, Result};
use crate::money::{cents_to_usd, to_mantissa};

/// The contract columns of DESIGN §3.
pub const COST_COLUMNS: [&str; 12] = [
    "bucket_start",
    "bucket_end",
    "workspace_id",
    "description",
    "cost_type",
    "model",
    "service_tier",
    "token_type",
    "context_window",
    "inference_geo",
    "amount_usd",
    "currency",
];

/// Builds the cost frame, converting cents to USD exactly. Any currency but USD is refused:
/// a column named `amount_usd` must never hold another currency.
pub fn cost_frame(buckets: &[Bucket<CostResult>]) -> Result<DataFrame> {
    let n: usize = buckets.iter().map(|b| b.results.len()).sum();
    let mut start = Vec::with_capacity(n);
    let mut end = Vec::with_capacity(n);
    let mut dims: [Vec<Option<String>>; 8] = Default::default();
    let mut amount = Vec::with_capacity(n);
    let mut currency = Vec::with_capacity(n);
    for b in buckets {
        for r in &b.results {
            if !r.currency.eq_ignore_ascii_case("USD") {
                return Err(Error::ApiResponse {
                    endpoint: "cost_report".into(),
                    message: format!(
                        "amount in {} on {}; counterfoil only handles USD",
                        r.currency,
                        b.starting_at.date_naive()
                    ),
                });
            }
            start.push(Some(micros(b.starting_at)));
            end.push(Some(micros(b.ending_at)));
            for (col, v) in dims.iter_mut().zip([
                &r.workspace_id,
                &r.description,
                &r.cost_type,
                &r.model,
                &r.service_tier,
                &r.token_type,
                &r.context_window,
                &r.inference_geo,
            ]) {
                col.push(v.clone());
            }
            amount.push(Some(to_mantissa(cents_to_usd(r.amount)).map_err(|e| e.of_response(crate::api::COST_REPORT))?));
            currency.push(Some("USD".to_owned()));
        }
    }
    let [ws, desc, ctype, model, tier, ttype, ctx, geo] = dims;
    let columns = vec![
        datetime(COST_COLUMNS[0], start),
        datetime(COST_COLUMNS[1], end),
        text(COST_COLUMNS[2], ws),
        text(COST_COLUMNS[3], desc),
        text(COST_COLUMNS[4], ctype),
        text(COST_COLUMNS[5], model),
        text(COST_COLUMNS[6], tier),
        text(COST_COLUMNS[7], ttype),
        text(COST_COLUMNS[8], ctx),
        text(COST_COLUMNS[9], geo),
        money(COST_COLUMNS[10], amount)?,
        text(COST_COLUMNS[11], currency),
    ];
    Ok(DataFrame::new(n, columns)?)
}
