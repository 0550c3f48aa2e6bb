//! The three wire forms of an event (DESIGN §12, `reference/alerts.md`).
//!
//! Slack gets one Block Kit message per run, never one per finding (alert fatigue): a header, the
//! money split, at most ten events and "and N more", a context line, and a plain `text` fallback
//! for notifications. Every piece of user text is escaped (`&<>`), so a model or workspace name
//! cannot ping `<!channel>`, and every section is cut to Slack's 3,000 characters. Webhooks get
//! one CloudEvents 1.0 structured-mode envelope per event; PagerDuty one Events API v2 event per
//! event, `dedup_key` the finding id so a resolve closes the incident its trigger opened.

use serde_json::{Value, json};

use super::event::Event;
use crate::money::exact_usd;
use crate::reconcile::Summary;

/// At most this many events are listed in a Slack message.
pub const SLACK_LISTED: usize = 10;
/// Slack's limit on a section's text.
pub const SLACK_SECTION_CHARS: usize = 3000;
/// Slack's limit on a header's text.
const SLACK_HEADER_CHARS: usize = 150;

/// What Slack's mrkdwn would otherwise read as markup.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// `s` cut to `max` characters (not bytes), with an ellipsis when cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn usd(s: &Option<String>) -> String {
    s.as_deref().and_then(|d| crate::money::to_mantissa(d.parse().ok()?).ok()).map_or_else(|| "–".to_owned(), exact_usd)
}

fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SLACK_SECTION_CHARS)}})
}

/// The money split of the run, for Slack's second block.
pub struct Split<'a> {
    pub summary: Option<&'a Summary>,
}

/// One Slack message for the run's `events`.
pub fn slack(events: &[&Event], split: Split<'_>) -> Value {
    let org = events.first().map(|e| e.organization.clone()).unwrap_or_default();
    // One section per finding, not per line: a finding spread over nine token-type lines (an
    // unknown model) is one problem to a reader. Events group by (event, finding, title), in order.
    let mut groups: Vec<Vec<&Event>> = Vec::new();
    for e in events {
        let same = |g: &Vec<&Event>| {
            let h = g[0];
            h.event == e.event && h.finding.is_some() && h.finding == e.finding && h.title == e.title
        };
        match groups.iter_mut().find(|g| same(g)) {
            Some(g) => g.push(e),
            None => groups.push(vec![e]),
        }
    }
    // The headline counts findings; the lines they span follow when they differ.
    let count = |k: &str, label: &str| {
        let lines = events.iter().filter(|e| e.event == k).count();
        let found = groups.iter().filter(|g| g[0].event == k).count();
        if lines == found { format!("{found} {label}") } else { format!("{found} {label} ({lines} lines)") }
    };
    let mut parts = Vec::new();
    for (k, label) in [
        ("finding.opened", "opened"),
        ("finding.reopened", "reopened"),
        ("finding.resolved", "resolved"),
        ("budget.exceeded", "over budget"),
        ("job.failed", "job failed"),
        ("test", "test"),
    ] {
        if events.iter().any(|e| e.event == k) {
            let single = matches!(k, "job.failed" | "test" | "budget.exceeded");
            parts.push(if single { label.to_owned() } else { count(k, label) });
        }
    }
    let headline =
        format!("counterfoil: {} — {}", parts.join(", "), if org.name.is_empty() { &org.id } else { &org.name });
    let mut blocks =
        vec![json!({"type": "header", "text": {"type": "plain_text", "text": cut(&headline, SLACK_HEADER_CHARS)}})];
    if let Some(s) = split.summary {
        blocks.push(json!({"type": "section", "fields": [
            {"type": "mrkdwn", "text": format!("*Billed*\n{}", exact_usd(s.billed_all))},
            {"type": "mrkdwn", "text": format!("*Over-billed*\n{}", exact_usd(s.overbilled))},
            {"type": "mrkdwn", "text": format!("*Under-billed*\n{}", exact_usd(s.underbilled))},
            {"type": "mrkdwn", "text": format!("*Unchecked*\n{}", exact_usd(s.unchecked))},
        ]}));
    }
    for g in groups.iter().take(SLACK_LISTED) {
        let e = g[0];
        if g.len() > 1 {
            let text = format!(
                "*{}* {}({} lines, e.g. `{}`)\n{}\n_Next:_ {}",
                escape(e.event.trim_start_matches("finding.")),
                e.finding.as_deref().map(|f| format!("{} ", escape(f))).unwrap_or_default(),
                g.len(),
                escape(&e.line_key),
                escape(&e.title),
                escape(&e.next_step),
            );
            blocks.push(section(&text));
            continue;
        }
        let money = if e.delta_usd.is_some() || e.reported_usd.is_some() {
            format!(
                "\ndelta {} · expected {} · billed {}",
                usd(&e.delta_usd),
                usd(&e.expected_usd),
                usd(&e.reported_usd)
            )
        } else {
            String::new()
        };
        let text = format!(
            "*{}* {}`{}` ({})\n{}{}\n_Next:_ {}",
            escape(e.event.trim_start_matches("finding.")),
            e.finding.as_deref().map(|f| format!("{} ", escape(f))).unwrap_or_default(),
            escape(&e.line_key),
            escape(&e.status),
            escape(&e.title),
            money,
            escape(&e.next_step),
        );
        blocks.push(section(&text));
    }
    if groups.len() > SLACK_LISTED {
        let rest: Vec<&Vec<&Event>> = groups.iter().skip(SLACK_LISTED).collect();
        let lines: usize = rest.iter().map(|g| g.len()).sum();
        let more = if lines == rest.len() {
            format!("and {} more", rest.len())
        } else {
            format!("and {} more ({lines} lines)", rest.len())
        };
        blocks.push(section(&more));
    }
    let window =
        events.first().map(|e| format!("{} to {} (end exclusive)", e.window.start, e.window.end)).unwrap_or_default();
    let context = format!("{} · organization {} · counterfoil", window, org.id);
    blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": cut(&escape(&context), SLACK_SECTION_CHARS)}]}));
    json!({"text": escape(&headline), "blocks": blocks})
}

/// `counterfoil://<organization id>` (`unknown` when a job failed before it learned whose bill it is).
fn source(e: &Event) -> String {
    let id = if e.organization.id.is_empty() { "unknown" } else { &e.organization.id };
    format!("counterfoil://{id}")
}

/// The CloudEvents 1.0 structured-mode envelope of `e`.
pub fn cloudevent(e: &Event) -> Value {
    json!({
        "specversion": "1.0",
        "type": format!("dev.counterfoil.{}", e.event),
        "source": source(e),
        "id": format!("{}:{}:{}", e.finding_id, e.event, e.at),
        "subject": e.line_key,
        "time": e.at,
        "datacontenttype": "application/json",
        "data": e,
    })
}

/// The PagerDuty Events API v2 body of `e`.
pub fn pagerduty(e: &Event, routing_key: &str) -> Value {
    if e.event == "finding.resolved" {
        return json!({"routing_key": routing_key, "event_action": "resolve", "dedup_key": e.finding_id});
    }
    let money = e.delta_usd.as_deref().map(|d| format!(" (delta {d} USD)")).unwrap_or_default();
    let who = if e.organization.name.is_empty() { "counterfoil" } else { &e.organization.name };
    let summary = cut(&format!("{who}: {} {}{}", e.title, e.line_key, money), 1024);
    let severity = if e.event == "test" {
        "info"
    } else if e.is_error() {
        "error"
    } else {
        "warning"
    };
    json!({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": e.finding_id,
        "payload": {
            "summary": summary,
            "source": source(e),
            "severity": severity,
            "timestamp": e.at,
            "component": e.key.get("model").cloned().unwrap_or(Value::Null),
            "group": e.key.get("workspace_id").cloned().unwrap_or(Value::Null),
            "class": e.status,
            "custom_details": e,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_cutting() {
        assert_eq!(escape("<!channel> & <b>"), "&lt;!channel&gt; &amp; &lt;b&gt;");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("ééé", 3), "ééé");
    }

    #[test]
    fn a_test_event_in_every_form() {
        let e = super::super::event::test_event(chrono::Utc::now());
        let s = slack(&[&e], Split { summary: None });
        assert_eq!(s["blocks"][0]["type"], "header");
        assert!(s["text"].as_str().unwrap().contains("test"));
        assert_eq!(cloudevent(&e)["specversion"], "1.0");
        assert_eq!(pagerduty(&e, "k")["payload"]["severity"], "info");
    }
}
