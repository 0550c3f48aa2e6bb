//! `--metrics-file PATH`: a run's money, findings, projection and restatements as OpenMetrics
//! gauges for node_exporter's textfile collector (DESIGN §12).
//!
//! Metrics are the one place counterfoil's money may be a float: they are for graphs and alert
//! rules, not for the record. The file still writes each amount as its exact decimal (a float
//! parser reads `12.345678901234` as well as anything), so what a graph starts from is the
//! report's number to the digit. The file is replaced atomically, so the collector never reads
//! half of it, and only by a run that finished: a job that stops succeeding leaves
//! `counterfoil_last_success_timestamp_seconds` behind, which is what a "stale" rule watches.
//!
//! Every sample carries `organization` (the id) and `command` (`reconcile`, `sync`, `forecast`,
//! `fleet-reconcile`, `fleet-sync`): node_exporter merges every file of its directory, so two
//! jobs of one organization would otherwise write the same series twice, which it refuses. The
//! label is not `job`, which Prometheus sets to the scrape job and would rename. The money and
//! finding gauges are per workspace (`workspace`, the id or `default`, and `workspace_name`):
//! `sum by (organization)` is the organization's total. A fleet adds `org`, its own name for the
//! organization, by which an organization that failed this run keeps its previous samples (so
//! its stale timestamp shows, instead of its series vanishing).

use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::money::{format_mantissa, format_scaled};
use crate::reconcile::Reconciliation;

/// The gauges, in the order the file lists them: name, help, OpenMetrics unit.
const FAMILIES: [(&str, &str, Option<&str>); 8] = [
    ("counterfoil_billed_usd", "Everything billed in the window, USD.", Some("usd")),
    ("counterfoil_overbilled_usd", "Billed above what the tokens cost, USD.", Some("usd")),
    ("counterfoil_underbilled_usd", "Billed below what the tokens cost, USD.", Some("usd")),
    ("counterfoil_unchecked_usd", "Billed with nothing to check it against, USD.", Some("usd")),
    ("counterfoil_open_findings", "Discrepancy lines in the window.", None),
    ("counterfoil_projected_month_usd", "The forecast month's projected spend, USD.", Some("usd")),
    ("counterfoil_sync_restated_days", "Partitions the last sync found restated.", None),
    ("counterfoil_last_success_timestamp_seconds", "When the command last finished, Unix seconds.", Some("seconds")),
];

/// One sample: a gauge name, its labels in order, and its value as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: String,
}

impl Sample {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Whose samples, from which command: the labels every sample of one run carries.
#[derive(Debug, Clone)]
pub struct Who {
    /// The organization id (`unknown` when a run never learned it).
    pub organization: String,
    pub command: String,
    /// A fleet's name for the organization.
    pub org: Option<String>,
}

impl Who {
    pub fn new(organization: Option<&str>, command: &str, org: Option<&str>) -> Who {
        let organization = organization.filter(|o| !o.is_empty()).unwrap_or("unknown").to_owned();
        Who { organization, command: command.to_owned(), org: org.map(str::to_owned) }
    }

    fn labels(&self, extra: &[(&str, String)]) -> Vec<(String, String)> {
        let mut l = vec![("organization".to_owned(), self.organization.clone())];
        if let Some(o) = &self.org {
            l.push(("org".to_owned(), o.clone()));
        }
        l.push(("command".to_owned(), self.command.clone()));
        l.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        l
    }
}

fn seconds(at: DateTime<Utc>) -> String {
    format_scaled(i128::from(at.timestamp_micros()), 6)
}

/// A set of samples, rendered grouped by gauge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metrics {
    pub samples: Vec<Sample>,
}

impl Metrics {
    fn push(&mut self, name: &str, labels: Vec<(String, String)>, value: String) {
        self.samples.push(Sample { name: name.to_owned(), labels, value });
    }

    fn success(&mut self, who: &Who, at: DateTime<Utc>) {
        self.push("counterfoil_last_success_timestamp_seconds", who.labels(&[]), seconds(at));
    }

    /// A reconciliation's split and findings per workspace, and its finish time `at`.
    pub fn reconciliation(rec: &Reconciliation, who: &Who, at: DateTime<Utc>) -> Metrics {
        let mut m = Metrics::default();
        for w in &rec.summary.by_workspace {
            let id = w.key.clone().unwrap_or_else(|| "default".to_owned());
            let labels = who.labels(&[("workspace", id), ("workspace_name", w.label.clone())]);
            for (name, v) in [
                ("counterfoil_billed_usd", w.billed),
                ("counterfoil_overbilled_usd", w.overbilled),
                ("counterfoil_underbilled_usd", w.underbilled),
                ("counterfoil_unchecked_usd", w.unchecked),
            ] {
                m.push(name, labels.clone(), format_mantissa(v));
            }
            m.push("counterfoil_open_findings", labels, w.discrepancies.to_string());
        }
        m.success(who, at);
        m
    }

    /// A forecast's projection for its month.
    pub fn forecast(f: &crate::model::Forecast, who: &Who, at: DateTime<Utc>) -> Metrics {
        let mut m = Metrics::default();
        m.push("counterfoil_projected_month_usd", who.labels(&[]), format_mantissa(f.projected));
        m.success(who, at);
        m
    }

    /// A sync's restated partitions (`days_restated` of its summary).
    pub fn sync(restated: usize, who: &Who, at: DateTime<Utc>) -> Metrics {
        let mut m = Metrics::default();
        m.push("counterfoil_sync_restated_days", who.labels(&[]), restated.to_string());
        m.success(who, at);
        m
    }

    /// The exposition text: each gauge once, its samples together, then `# EOF`.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (name, help, unit) in FAMILIES {
            let samples: Vec<&Sample> = self.samples.iter().filter(|s| s.name == name).collect();
            if samples.is_empty() {
                continue;
            }
            let _ = writeln!(out, "# TYPE {name} gauge");
            if let Some(u) = unit {
                let _ = writeln!(out, "# UNIT {name} {u}");
            }
            let _ = writeln!(out, "# HELP {name} {help}");
            for s in samples {
                let labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
                let _ = writeln!(out, "{name}{{{}}} {}", labels.join(","), s.value);
            }
        }
        out.push_str("# EOF\n");
        out
    }

    /// The samples of a text this module wrote (comments skipped).
    pub fn parse(text: &str) -> Result<Metrics> {
        let bad = |l: &str| Error::input(format!("not a counterfoil metrics line: {l:?}"));
        let mut m = Metrics::default();
        for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (name, rest) = line.split_once('{').ok_or_else(|| bad(line))?;
            if !FAMILIES.iter().any(|f| f.0 == name) {
                return Err(bad(line));
            }
            let (labels, value) = parse_labels(rest).ok_or_else(|| bad(line))?;
            let value = value.trim();
            if value.parse::<f64>().is_err() {
                return Err(bad(line));
            }
            m.push(name, labels, value.to_owned());
        }
        Ok(m)
    }

    /// The samples of `parts`, then those of `previous` whose `org` is one of `keep` (organizations
    /// that failed this run) and whose command is `command`; a labelset seen twice keeps its first.
    pub fn merge(parts: Vec<Metrics>, previous: &Metrics, keep: &[String], command: &str) -> Metrics {
        let mut m = Metrics::default();
        let carried = previous.samples.iter().filter(|s| {
            s.label("command") == Some(command) && s.label("org").is_some_and(|o| keep.iter().any(|k| k == o))
        });
        for s in parts.into_iter().flat_map(|p| p.samples).chain(carried.cloned()) {
            if !m.samples.iter().any(|t| t.name == s.name && t.labels == s.labels) {
                m.samples.push(s);
            }
        }
        m
    }

    /// Writes the text to `path`, atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        crate::fsio::write_output_bytes(path, self.text().as_bytes())
    }
}

/// A label value as the exposition format quotes it.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// `k="v",k2="v2"} rest` → the labels and `rest`.
fn parse_labels(s: &str) -> Option<(Vec<(String, String)>, &str)> {
    let mut labels = Vec::new();
    let mut rest = s;
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Some((labels, after));
        }
        rest = rest.strip_prefix(',').unwrap_or(rest);
        let (key, after) = rest.split_once("=\"")?;
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next()? {
                (i, '"') => break i,
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    c => value.push(c),
                },
                (_, c) => value.push(c),
            }
        };
        labels.push((key.to_owned(), value));
        rest = &after[end + 1..];
    }
}

/// Writes the gauges of `rec` (one command, one organization) to `path`.
pub fn write(path: &Path, rec: &Reconciliation, command: &str, at: DateTime<Utc>) -> Result<()> {
    let org = rec.provenance.organization.as_ref().map(|(id, _)| id.as_str());
    Metrics::reconciliation(rec, &Who::new(org, command, None), at).write(path)
}

/// Writes the samples of `parts` to `path`, carrying over from the file already there the
/// samples of the organizations in `keep` (see [`Metrics::merge`]); a previous file that is not
/// counterfoil's carries nothing.
pub fn write_merged(path: &Path, parts: Vec<Metrics>, keep: &[String], command: &str) -> Result<()> {
    let previous = std::fs::read_to_string(path).ok().and_then(|t| Metrics::parse(&t).ok()).unwrap_or_default();
    Metrics::merge(parts, &previous, keep, command).write(path)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any label values and any amount survive the text and its parse, and the value written is
        /// the amount's exact decimal (what the report shows).
        #[test]
        fn samples_round_trip(org in "\\PC{0,12}", name in "[a-z\"\\\\\n ]{0,12}", m in -(10i128.pow(28))..10i128.pow(28)) {
            let who = Who::new(Some(&org), "reconcile", Some(&name));
            let mut s = Metrics::default();
            s.push("counterfoil_billed_usd", who.labels(&[("workspace_name", name.clone())]), format_mantissa(m));
            let back = Metrics::parse(&s.text()).unwrap();
            prop_assert_eq!(&back, &s);
            prop_assert_eq!(crate::money::to_mantissa(back.samples[0].value.parse().unwrap()).unwrap(), m);
        }
    }

    #[test]
    fn labels_round_trip_and_values_are_exact_decimals() {
        let who = Who::new(Some("org \"a\"\\b\nc"), "fleet-sync", Some("emea"));
        let at = DateTime::from_timestamp_micros(1_763_622_000_250_000).unwrap();
        let m = Metrics::sync(3, &who, at);
        let text = m.text();
        assert!(text.contains(r#"organization="org \"a\"\\b\nc",org="emea",command="fleet-sync""#), "{text}");
        assert!(text.contains("} 1763622000.25\n"), "{text}");
        assert_eq!(Metrics::parse(&text).unwrap(), m);
        assert_eq!(format_mantissa(1_500_000_000_000), "1.5");
        assert!(Metrics::parse("node_cpu{a=\"b\"} 1").is_err(), "only counterfoil's own gauges");
    }

    #[test]
    fn merge_carries_only_the_failed_organizations_of_the_same_command() {
        let at = DateTime::from_timestamp(1_000, 0).unwrap();
        let old = |org: &str, cmd: &str| Metrics::sync(1, &Who::new(Some("x"), cmd, Some(org)), at);
        let mut previous = old("a", "fleet-sync");
        previous.samples.extend(old("b", "fleet-sync").samples);
        previous.samples.extend(old("b", "fleet-reconcile").samples);
        let fresh = Metrics::sync(2, &Who::new(Some("x"), "fleet-sync", Some("a")), at);
        let m = Metrics::merge(vec![fresh], &previous, &["b".to_owned()], "fleet-sync");
        let shown: Vec<(&str, &str, &str)> = m
            .samples
            .iter()
            .map(|s| (s.label("org").unwrap(), s.label("command").unwrap(), s.value.as_str()))
            .collect();
        assert_eq!(shown.len(), 4, "{shown:?}");
        assert!(shown.contains(&("a", "fleet-sync", "2")) && !shown.contains(&("a", "fleet-sync", "1")));
        assert!(shown.contains(&("b", "fleet-sync", "1")));
        assert!(!shown.iter().any(|s| s.1 == "fleet-reconcile"));
    }
}
