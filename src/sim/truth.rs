//! The organization's ground truth as frames: what it used and what it was billed.

use polars::prelude::*;

use super::org::Organization;
use crate::error::Result;
use crate::frames::columns::{date, datetime, int, micros, money, text, token_count};
use crate::money::{cents_to_usd, to_mantissa};

impl Organization {
    /// One row per usage record (minute resolution), every dimension filled in.
    pub fn records_frame(&self) -> Result<DataFrame> {
        let r = &self.records;
        let s = |f: &dyn Fn(&super::UsageRecord) -> Option<String>| r.iter().map(f).collect::<Vec<_>>();
        let count =
            |v: u64| token_count(v).ok_or_else(|| crate::error::Error::Internal("simulated count beyond Int64".into()));
        let t = |i: usize| r.iter().map(|x| count(x.tokens[i])).collect::<Result<Vec<_>>>();
        let columns = vec![
            datetime("minute", r.iter().map(|x| Some(micros(x.minute))).collect()),
            text("workspace_id", s(&|x| x.workspace_id.clone())),
            text("api_key_id", s(&|x| x.api_key_id.clone())),
            text("model", s(&|x| Some(x.model.clone()))),
            text("service_tier", s(&|x| Some(x.service_tier.clone()))),
            text("context_window", s(&|x| Some(x.context_window.clone()))),
            text("inference_geo", s(&|x| Some(x.inference_geo.clone()))),
            text("speed", s(&|x| Some(x.speed.clone()))),
            int("uncached_input_tokens", t(0)?),
            int("cache_creation_5m_input_tokens", t(1)?),
            int("cache_creation_1h_input_tokens", t(2)?),
            int("cache_read_input_tokens", t(3)?),
            int("output_tokens", t(4)?),
            int("web_search_requests", r.iter().map(|x| count(x.web_search_requests)).collect::<Result<_>>()?),
            text("account_id", s(&|x| x.account_id.clone())),
            text("service_account_id", s(&|x| x.service_account_id.clone())),
        ];
        Ok(DataFrame::new(r.len(), columns)?)
    }

    /// Every line the organization is billed, per UTC day, in USD.
    pub fn cost_lines_frame(&self) -> Result<DataFrame> {
        let lines: Vec<_> = self.cost_lines.iter().flat_map(|(d, ls)| ls.iter().map(move |l| (*d, l))).collect();
        let s = |f: &dyn Fn(&super::CostLine) -> Option<String>| lines.iter().map(|(_, l)| f(l)).collect::<Vec<_>>();
        let amounts = lines
            .iter()
            .map(|(_, l)| to_mantissa(cents_to_usd(l.amount_cents)).map(Some))
            .collect::<Result<Vec<_>>>()?;
        let columns = vec![
            date("date", lines.iter().map(|(d, _)| Some(*d)).collect()),
            text("workspace_id", s(&|l| l.workspace_id.clone())),
            text("description", s(&|l| Some(l.description.clone()))),
            text("cost_type", s(&|l| Some(l.cost_type.clone()))),
            text("model", s(&|l| l.model.clone())),
            text("service_tier", s(&|l| l.service_tier.clone())),
            text("token_type", s(&|l| l.token_type.clone())),
            text("context_window", s(&|l| l.context_window.clone())),
            text("inference_geo", s(&|l| l.inference_geo.clone())),
            money("amount_usd", amounts)?,
        ];
        Ok(DataFrame::new(lines.len(), columns)?)
    }
}

impl Organization {
    /// The planted discrepancies: the key of each line, the plant, and the status reconciliation
    /// must give it.
    pub fn planted_frame(&self) -> Result<DataFrame> {
        let p = &self.planted;
        let s = |f: &dyn Fn(&super::Planted) -> Option<String>| p.iter().map(f).collect::<Vec<_>>();
        let columns = vec![
            date("date", p.iter().map(|x| Some(x.key.date)).collect()),
            text("workspace_id", s(&|x| x.key.workspace_id.as_deref().map(str::to_owned))),
            text("model", s(&|x| x.key.model.as_deref().map(str::to_owned))),
            text("service_tier", s(&|x| x.key.service_tier.as_deref().map(str::to_owned))),
            text("context_window", s(&|x| x.key.context_window.as_deref().map(str::to_owned))),
            text("inference_geo", s(&|x| x.key.inference_geo.as_deref().map(str::to_owned))),
            text("cost_type", s(&|x| Some(x.key.cost_type.to_string()))),
            text("token_type", s(&|x| x.key.token_type.as_deref().map(str::to_owned))),
            text("plant", s(&|x| Some(x.plant.as_str().to_owned()))),
            text("status", s(&|x| Some(x.status.as_str().to_owned()))),
        ];
        Ok(DataFrame::new(p.len(), columns)?)
    }
}
