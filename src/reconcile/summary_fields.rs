//! The summary as it is shown: one typed tree (`crate::typed`) for the CLI's JSON and for
//! Python's dict, keys in contract order (DESIGN §4, §5).

use serde_json::Value;

use super::Source;
use super::summary::{Rollup, SIGN_CONVENTION, SIGN_CONVENTION_ANALYTICS, Summary};
use crate::typed;
use crate::typed::Typed;

impl Rollup {
    fn typed(&self, analytics: bool) -> Typed {
        let mut t = typed! {
            "key" => self.key.clone(),
            "label" => self.label.clone(),
            "expected_usd" => Typed::Money(self.expected),
            "reported_usd" => Typed::Money(self.reported),
            "delta_usd" => Typed::Money(self.delta()),
            "billed_usd" => Typed::Money(self.billed),
            "overbilled_usd" => Typed::Money(self.overbilled),
            "underbilled_usd" => Typed::Money(self.underbilled),
            "unchecked_usd" => Typed::Money(self.unchecked),
            "lines" => self.lines,
            "discrepancies" => self.discrepancies,
        };
        if analytics {
            t.insert("list_usd", Typed::Money(self.list));
            t.insert("list_delta_usd", Typed::Money(self.checked_delta()));
        }
        t
    }
}

impl Summary {
    /// The `window` object: its first day and its end day (exclusive), or null.
    pub fn window_typed(&self) -> Typed {
        match self.window {
            Some(w) => typed! {"start" => w.start.date_naive(), "end" => w.end.date_naive()},
            None => Typed::Null,
        }
    }

    /// The `window` object of the JSON output.
    pub fn window_json(&self) -> Value {
        self.window_typed().to_json()
    }

    /// The summary as JSON: money as decimal strings in USD.
    pub fn to_json(&self) -> Value {
        self.to_typed().to_json()
    }

    /// The summary as a typed tree: money as `Money`, dates as dates, counts as integers.
    pub fn to_typed(&self) -> Typed {
        let analytics = self.source == Source::Analytics;
        let rollups = |v: &[Rollup]| Typed::List(v.iter().map(|r| r.typed(analytics)).collect());
        let non_token = Typed::Map(
            self.non_token
                .iter()
                .map(|(k, (e, r))| {
                    (k.clone(), typed! {"expected_usd" => Typed::Money(*e), "reported_usd" => Typed::Money(*r)})
                })
                .collect(),
        );
        let counts = Typed::Map(self.counts.iter().map(|(k, n)| ((*k).to_owned(), Typed::from(*n))).collect());
        let coarsened = self
            .coarsened
            .iter()
            .map(|(d, dims)| typed! {"date" => *d, "dropped" => dims.to_vec()})
            .collect::<Vec<Typed>>();
        let mut t = typed! {
            "window" => self.window_typed(),
            "lines" => self.lines,
            "ok" => self.discrepancies() == 0,
            "discrepancies" => self.discrepancies(),
            "counts" => counts,
            "expected_usd" => Typed::Money(self.expected),
            "reported_usd" => Typed::Money(self.reported),
            "delta_usd" => Typed::Money(self.delta()),
            "overbilled_usd" => Typed::Money(self.overbilled),
            "underbilled_usd" => Typed::Money(self.underbilled),
            "unchecked_usd" => Typed::Money(self.unchecked),
            "sign_convention" => SIGN_CONVENTION,
            "reported_all_usd" => Typed::Money(self.reported_all),
            "billed_all_usd" => Typed::Money(self.billed_all),
            "priority_expected_usd" => Typed::Money(self.priority_expected),
            "non_token" => non_token,
            "coarsened" => coarsened,
            "by_day" => rollups(&self.by_day),
            "by_workspace" => rollups(&self.by_workspace),
            "by_model" => rollups(&self.by_model),
            "by_token_type" => rollups(&self.by_token_type),
        };
        if let Some(r) = &self.session_runtime {
            t.insert(
                "session_runtime",
                typed! {"usd" => Typed::Money(r.usd), "usd_per_hour" => r.usd_per_hour, "hours" => r.hours()},
            );
        }
        t.insert("source", self.source.as_str());
        t.insert("provisional_days", self.provisional_days.clone());
        if analytics {
            t.insert("net_usd", Typed::Money(self.net_all));
            t.insert("list_usd", Typed::Money(self.list));
            t.insert("list_delta_usd", Typed::Money(self.checked_delta()));
            t.insert("list_sign_convention", SIGN_CONVENTION_ANALYTICS);
            let rows = self
                .discount_by_model
                .iter()
                .map(|m| {
                    typed! {"model" => m.model.clone(), "list_usd" => Typed::Money(m.list),
                    "amount_usd" => Typed::Money(m.net), "discount" => Typed::money(m.discount())}
                })
                .collect::<Vec<Typed>>();
            t.insert("discount_by_model", rows);
        }
        t
    }
}
