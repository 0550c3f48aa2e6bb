//! The Claude traffic both clouds bill: fixed streams (account × region × model × scope × tier ×
//! context window × caller), each active in some UTC hours with a token vector per hour.
//!
//! Each stream has its own RNG per UTC day (seed × day × stream), so a day's traffic does not
//! depend on the window around it. Every stream is active at its peak hour every day, so every
//! kind of row a plant needs exists whatever the window; the other hours follow a diurnal curve
//! (quieter at weekends), batch streams run a few night hours. Token counts are integers drawn
//! with integer arithmetic: no float ever touches a quantity or a price.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::prices::{HAIKU_4_5, OPUS_4_8, OPUS_5, SONNET_4_6, SONNET_5};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Provider {
    Aws,
    Gcp,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Aws => "aws_bedrock",
            Provider::Gcp => "gcp_vertex",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Global,
    Regional,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::Regional => "regional",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tier {
    Standard,
    Batch,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Standard => "standard",
            Tier::Batch => "batch",
        }
    }
}

/// How an AWS caller named the model: a geo profile (`us.`/`eu.`), the global profile, or the
/// in-region model id. Geo and in-region calls are both billed as regional.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    Geo,
    Global,
    InRegion,
}

/// An AWS usage account or a GCP project.
pub(crate) struct Account {
    pub id: &'static str,
    pub name: &'static str,
    /// GCP project number (empty for AWS).
    pub number: &'static str,
}

pub(crate) const AWS_PAYER: (&str, &str) = ("999988887777", "acme-payer");
pub(crate) const AWS_ACCOUNTS: [Account; 2] = [
    Account { id: "111122223333", name: "acme-prod", number: "" },
    Account { id: "444455556666", name: "acme-research", number: "" },
];
pub(crate) const GCP_BILLING_ACCOUNT: &str = "01A2B3-C4D5E6-F7A8B9";
pub(crate) const GCP_PROJECTS: [Account; 2] = [
    Account { id: "acme-ml-prod", name: "ACME ML prod", number: "482619375104" },
    Account { id: "acme-ml-dev", name: "ACME ML dev", number: "739105286431" },
];

/// Token classes used, in `TokenType::ALL` order: input, 5m write, 1h write, cache read, output.
type Classes = [bool; 5];
const ALL: Classes = [true; 5];
const NO_1H: Classes = [true, true, false, true, true];
const IN_OUT: Classes = [true, false, false, false, true];
const NO_WRITES: Classes = [true, false, false, true, true];

pub(crate) struct Stream {
    pub provider: Provider,
    pub account: usize,
    pub region: &'static str,
    pub model: &'static str,
    pub scope: Scope,
    pub profile: Profile,
    pub tier: Tier,
    /// The 200k-1M context window.
    pub long: bool,
    pub classes: Classes,
    /// AWS: the caller's IAM principal after `arn:aws:…::<account>:`; GCP: none.
    pub principal: &'static str,
    /// AWS resource tags (`user_…` keys without the prefix) / GCP labels.
    pub tags: &'static [(&'static str, &'static str)],
    /// Mean uncached input tokens in an active hour at the daily peak.
    pub volume: u64,
    pub peak_hour: u32,
}

type Tags = &'static [(&'static str, &'static str)];

const fn s(
    (provider, account, region, model): (Provider, usize, &'static str, &'static str),
    (scope, profile, tier, long): (Scope, Profile, Tier, bool),
    classes: Classes,
    (principal, tags): (&'static str, Tags),
    (volume, peak_hour): (u64, u32),
) -> Stream {
    Stream { provider, account, region, model, scope, profile, tier, long, classes, principal, tags, volume, peak_hour }
}

use Profile::{Geo, InRegion};
use Provider::{Aws, Gcp};
use Scope::{Global, Regional};
use Tier::{Batch, Standard};

const SEARCH: &[(&str, &str)] = &[("team", "search"), ("env", "prod")];
const RESEARCH: &[(&str, &str)] = &[("team", "research"), ("env", "dev")];
const NONE: &[(&str, &str)] = &[];
const G: Profile = Profile::Global;

#[rustfmt::skip]
pub(crate) const STREAMS: [Stream; 17] = [
    s((Aws, 0, "us-east-1", HAIKU_4_5), (Regional, Geo, Standard, false), ALL, ("user/alice", SEARCH), (400_000, 14)),
    s((Aws, 0, "us-east-1", HAIKU_4_5), (Global, G, Standard, false), ALL, ("assumed-role/BedrockApp/search-api@acme.org", SEARCH), (300_000, 15)),
    s((Aws, 0, "us-west-2", HAIKU_4_5), (Regional, InRegion, Batch, false), IN_OUT, ("assumed-role/BatchRunner/nightly@acme.org", NONE), (2_000_000, 3)),
    s((Aws, 0, "us-east-1", SONNET_4_6), (Regional, InRegion, Standard, false), ALL, ("user/bob", SEARCH), (250_000, 16)),
    s((Aws, 1, "eu-central-1", SONNET_4_6), (Regional, Geo, Standard, false), NO_1H, ("assumed-role/Research/carol@acme.org", RESEARCH), (150_000, 10)),
    s((Aws, 1, "us-west-2", OPUS_4_8), (Global, G, Standard, false), NO_1H, ("assumed-role/Research/dave@acme.org", RESEARCH), (100_000, 17)),
    s((Aws, 1, "us-west-2", OPUS_4_8), (Global, G, Standard, true), NO_1H, ("assumed-role/Research/dave@acme.org", RESEARCH), (600_000, 18)),
    s((Aws, 0, "us-east-1", SONNET_5), (Regional, Geo, Standard, false), NO_1H, ("user/alice", NONE), (200_000, 13)),
    s((Aws, 1, "eu-central-1", SONNET_5), (Global, G, Batch, false), IN_OUT, ("assumed-role/BatchRunner/eval@acme.org", RESEARCH), (1_500_000, 2)),
    s((Aws, 0, "us-east-1", OPUS_5), (Global, G, Standard, false), NO_1H, ("user/erin", SEARCH), (80_000, 19)),
    s((Aws, 1, "us-west-2", OPUS_5), (Regional, Geo, Standard, false), ALL, ("assumed-role/Research/carol@acme.org", RESEARCH), (60_000, 20)),
    s((Gcp, 0, "global", SONNET_4_6), (Global, G, Standard, false), NO_1H, ("", SEARCH), (300_000, 15)),
    s((Gcp, 0, "us-east5", OPUS_4_8), (Regional, InRegion, Standard, false), ALL, ("", SEARCH), (120_000, 16)),
    s((Gcp, 0, "us-east5", OPUS_4_8), (Regional, InRegion, Standard, true), ALL, ("", SEARCH), (500_000, 17)),
    s((Gcp, 1, "europe-west1", HAIKU_4_5), (Regional, InRegion, Standard, false), NO_1H, ("", RESEARCH), (350_000, 9)),
    s((Gcp, 1, "global", HAIKU_4_5), (Global, G, Standard, false), NO_WRITES, ("", RESEARCH), (250_000, 11)),
    s((Gcp, 1, "global", OPUS_4_8), (Global, G, Standard, false), ALL, ("", RESEARCH), (90_000, 18)),
];

/// One stream's usage in one UTC hour.
#[derive(Debug, Clone)]
pub(crate) struct Hour {
    pub stream: usize,
    pub start: DateTime<Utc>,
    /// `TokenType::ALL` order; zero for a class the stream does not use.
    pub tokens: [i64; 5],
}

/// The RNG of one stream on one day (also used for its invocation records).
pub(crate) fn day_rng(seed: u64, day: NaiveDate, stream: usize, salt: u64) -> ChaCha8Rng {
    let d = u64::try_from(day.num_days_from_ce()).unwrap_or_default();
    let mixed = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ d.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    ChaCha8Rng::seed_from_u64(mixed ^ ((stream as u64) << 40) ^ (salt << 56))
}

/// Activity weight of an hour, in percent of the peak (0 = closed).
fn weight(stream: &Stream, hour: u32, weekend: bool) -> u64 {
    let dist = hour.abs_diff(stream.peak_hour).min(24 - hour.abs_diff(stream.peak_hour));
    let w = match stream.tier {
        Tier::Batch => match hour.wrapping_sub(stream.peak_hour) {
            0 => 100,
            1..=3 => 70,
            _ => 0,
        },
        Tier::Standard => [100, 80, 60, 40, 25].get(dist as usize).copied().unwrap_or(6),
    };
    if weekend { w / 2 } else { w }
}

/// Every stream's active hours of `day`, stream by stream, hour by hour.
pub(crate) fn day_hours(seed: u64, day: NaiveDate) -> Vec<Hour> {
    let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
    let mut hours = Vec::new();
    for (i, stream) in STREAMS.iter().enumerate() {
        let mut rng = day_rng(seed, day, i, 0);
        for hour in 0..24u32 {
            let w = weight(stream, hour, weekend);
            let active = hour == stream.peak_hour || rng.random_range(0..100) < w;
            if !active {
                continue;
            }
            let scale = w.max(20) * rng.random_range(40..=160u64); // percent × percent
            let input = (stream.volume * scale / 10_000).max(1);
            let mut pct = |lo: u64, hi: u64| (input * rng.random_range(lo..=hi) / 100).max(1);
            let drawn = [input, pct(5, 30), pct(2, 15), pct(100, 500), pct(5, 40)];
            let mut tokens = [0i64; 5];
            for (k, t) in tokens.iter_mut().enumerate() {
                if stream.classes[k] {
                    *t = i64::try_from(drawn[k]).expect("hourly token counts are far below i64::MAX");
                }
            }
            hours.push(Hour { stream: i, start: midnight + Duration::hours(i64::from(hour)), tokens });
        }
    }
    hours
}
