//! Cloud names of Claude models → the canonical Anthropic id of the rate card.
//!
//! AWS names a model by its Marketplace product ("Claude Sonnet 4.6 (Amazon Bedrock Edition)",
//! older "Claude 3.7 Sonnet … v2") and its runtime id ("us.anthropic.claude-sonnet-4-6",
//! "global.anthropic.claude-haiku-4-5-20251001-v1:0", an inference-profile ARN); Google by the
//! service and SKU display names ("Claude Opus 4.8", mangled in SKUs as "Claude Opus 4 8"). The
//! one table is the card itself: each model's `name` ("Claude Opus 4.8") and ids. A cloud name is
//! read as (family, version numbers) and matched against the card's names read the same way, so
//! word order, dots and the Bedrock suffix do not matter, and a name that matches no model, or
//! two, is `None` — kept as an unpriced line, never folded into a near neighbour.

use crate::rates::RateCard;

/// The families Claude model names use.
const FAMILIES: [&str; 6] = ["haiku", "sonnet", "opus", "fable", "mythos", "instant"];

/// (family, version numbers) of a display name, e.g. ("opus", [4, 8]) for "Claude Opus 4 8",
/// "Claude Opus 4.8" and "Claude 4.8 Opus (Amazon Bedrock Edition)".
pub fn name_key(name: &str) -> Option<(&'static str, Vec<u32>)> {
    let lower = name.to_ascii_lowercase();
    let lower = lower.split(" (amazon bedrock edition)").next().unwrap_or(&lower);
    let mut words = lower.split(|c: char| c.is_whitespace() || c == '.').filter(|w| !w.is_empty());
    if words.next() != Some("claude") {
        return None;
    }
    let mut family = None;
    let mut version = vec![];
    for w in words {
        if let Some(f) = FAMILIES.iter().find(|f| **f == w) {
            if family.replace(*f).is_some() {
                return None;
            }
        } else if let Ok(n) = w.parse::<u32>() {
            version.push(n);
        } else if w.starts_with('v') && w[1..].parse::<u32>().is_ok() {
            // "v2": the Bedrock listing's revision, not a model version.
        } else if w.starts_with('(') || w.ends_with(')') {
            // "(100K)" and the like: a listing detail.
        } else {
            return None;
        }
    }
    Some((family?, version)).filter(|(_, v)| !v.is_empty())
}

/// The card id of a display name ("Claude Sonnet 4.6 (Amazon Bedrock Edition)", "Claude Opus 4 8").
pub fn from_display_name(card: &RateCard, name: &str) -> Option<String> {
    let key = name_key(name)?;
    let mut found = None;
    for m in &card.models {
        if m.name.as_deref().and_then(name_key).as_ref() == Some(&key) {
            if found.is_some() {
                return None; // two models answer: refuse to guess
            }
            found = Some(m.id.get_ref().clone());
        }
    }
    found
}

/// The card id of a Bedrock runtime model id or inference-profile id/ARN.
pub fn from_bedrock_id(card: &RateCard, id: &str) -> Option<String> {
    let id = id.rsplit('/').next().unwrap_or(id);
    let id = id.split_once("anthropic.").map(|(_, rest)| rest)?;
    let id = match id.rfind("-v") {
        Some(i) if id[i + 2..].split(':').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) => &id[..i],
        _ => id,
    };
    card.resolve(id).map(|m| m.id.get_ref().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> RateCard {
        RateCard::bundled()
    }

    #[test]
    fn display_names_in_every_spelling() {
        let c = card();
        for (name, id) in [
            ("Claude Sonnet 4.6 (Amazon Bedrock Edition)", "claude-sonnet-4-6"),
            ("Claude Opus 4 8", "claude-opus-4-8"),
            ("Claude Opus 4.8", "claude-opus-4-8"),
            ("Claude Haiku 4.5", "claude-haiku-4-5-20251001"),
            ("Claude 3.7 Sonnet (Amazon Bedrock Edition)", "claude-3-7-sonnet-20250219"),
            ("Claude 3.5 Sonnet v2 (Amazon Bedrock Edition)", "claude-3-5-sonnet-20241022"),
            ("Claude Opus 5", "claude-opus-5"),
        ] {
            assert_eq!(from_display_name(&c, name).as_deref(), Some(id), "{name}");
        }
        for unknown in ["Claude Nova 9 (Amazon Bedrock Edition)", "Claude Opus 4.9", "Titan Text", "Claude", ""] {
            assert_eq!(from_display_name(&c, unknown), None, "{unknown}");
        }
    }

    #[test]
    fn every_named_card_model_round_trips_through_its_cloud_names() {
        let c = card();
        for m in &c.models {
            let Some(name) = m.name.as_deref() else { continue };
            let id = m.id.get_ref().as_str();
            let bedrock = format!("{name} (Amazon Bedrock Edition)");
            let vertex_sku = name.replace('.', " ");
            for spelling in [name, bedrock.as_str(), vertex_sku.as_str()] {
                assert_eq!(from_display_name(&c, spelling).as_deref(), Some(id), "{spelling}");
            }
            let runtime = format!("us.anthropic.{id}-v1:0");
            assert_eq!(from_bedrock_id(&c, &runtime).as_deref(), Some(id), "{runtime}");
        }
    }

    #[test]
    fn bedrock_runtime_ids_and_profile_arns() {
        let c = card();
        for (raw, id) in [
            ("global.anthropic.claude-haiku-4-5-20251001-v1:0", Some("claude-haiku-4-5-20251001")),
            ("us.anthropic.claude-sonnet-4-6", Some("claude-sonnet-4-6")),
            ("anthropic.claude-opus-4-8-v1", Some("claude-opus-4-8")),
            (
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-opus-5-v1:0",
                Some("claude-opus-5"),
            ),
            ("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3", None),
            ("amazon.titan-text-v1", None),
        ] {
            assert_eq!(from_bedrock_id(&c, raw).as_deref(), id, "{raw}");
        }
    }
}
