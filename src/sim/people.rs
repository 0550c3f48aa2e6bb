//! Who uses the simulated organization: workspaces, API keys, and the "apps" that send traffic.

use chrono::{DateTime, Duration, Utc};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::api::wire::{ApiKeyInfo, DataResidency, Workspace};

/// A source of traffic: which workspace and credential it uses and what it tends to send.
#[derive(Debug, Clone)]
pub(crate) struct App {
    /// Index into the workspace list; `None` is the default workspace.
    pub workspace: Option<usize>,
    /// Index into the key list; `None` is Console / Workbench use.
    pub api_key: Option<usize>,
    pub account_id: Option<String>,
    pub service_account_id: Option<String>,
    /// Relative share of the organization's traffic.
    pub weight: u32,
    /// Candidate models, most preferred first; the ones not available on a day are skipped.
    pub models: &'static [&'static str],
    /// Percent of requests sent as batch and as priority.
    pub batch_pct: u32,
    pub priority_pct: u32,
    /// Percent of requests with web search, long context, fast mode, explicit `us` geo.
    pub web_pct: u32,
    pub long_pct: u32,
    pub fast_pct: u32,
    pub us_pct: u32,
    /// Size of a typical request, in input tokens.
    pub scale: u64,
}

pub(crate) struct People {
    pub workspaces: Vec<Workspace>,
    pub api_keys: Vec<ApiKeyInfo>,
    pub apps: Vec<App>,
}

/// A Stripe-like id: prefix + 24 base-58 characters from the org's RNG.
pub(crate) fn sim_id(rng: &mut ChaCha8Rng, prefix: &str) -> String {
    const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let tail: String = (0..24).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    format!("{prefix}{tail}")
}

/// The one Managed Agents agent of the simulated organization (its session runtime is billed to
/// the Research workspace).
pub(crate) const AGENT_ID: &str = "agent_01SimResearchAssistant000";

const FRONTIER: &[&str] =
    &["claude-opus-5-5", "claude-opus-5", "claude-opus-4-8", "claude-opus-4-6", "claude-opus-4-1-20250805"];
const WORKHORSE: &[&str] =
    &["claude-sonnet-5-5", "claude-sonnet-4-6", "claude-sonnet-4-5-20250929", "claude-sonnet-4-20250514"];
const MIXED: &[&str] = &[
    "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5-20251001",
    "claude-sonnet-5",
    "claude-opus-4-5-20251101",
    "claude-3-5-haiku-20241022",
];
const CHEAP: &[&str] = &["claude-haiku-4-5-20251001", "claude-3-5-haiku-20241022"];

pub(crate) fn people(rng: &mut ChaCha8Rng, start: DateTime<Utc>, end: DateTime<Utc>) -> People {
    let created = start - Duration::days(400);
    let ws = |rng: &mut ChaCha8Rng, name: &str, geo: &str, archived: Option<DateTime<Utc>>| Workspace {
        id: sim_id(rng, "wrkspc_01"),
        name: name.into(),
        kind: Some("workspace".into()),
        created_at: created,
        archived_at: archived,
        display_color: Some("#6C5BB9".into()),
        data_residency: Some(DataResidency {
            workspace_geo: Some("us".into()),
            default_inference_geo: Some(geo.into()),
            allowed_inference_geos: Some(serde_json::json!("unrestricted")),
        }),
    };
    let mid = start + (end - start) / 2;
    let workspaces = vec![
        ws(rng, "Production", "global", None),
        ws(rng, "Research", "global", None),
        ws(rng, "US Data", "us", None),
        ws(rng, "Batch Pipeline", "global", None),
        ws(rng, "Legacy Prototype", "global", Some(mid)),
    ];
    // The people who create keys: a platform lead, two product engineers, a researcher.
    let creators: Vec<String> = (0..4).map(|_| sim_id(rng, "user_01")).collect();
    let key = |rng: &mut ChaCha8Rng, name: &str, ws: Option<usize>, status: &str, by: usize| ApiKeyInfo {
        id: sim_id(rng, "apikey_01"),
        name: name.into(),
        kind: Some("api_key".into()),
        created_at: created,
        created_by: Some(crate::api::wire::Actor { id: creators[by].clone(), kind: "user".into() }),
        expires_at: None,
        partial_key_hint: Some(format!("sk-ant-api03-{}...{}", &sim_id(rng, "")[..3], &sim_id(rng, "")[..4])),
        status: status.into(),
        workspace_id: ws.map(|i| workspaces[i].id.clone()),
    };
    let api_keys = vec![
        key(rng, "default-key", None, "active", 0),
        key(rng, "prod-api", Some(0), "active", 0),
        key(rng, "prod-worker", Some(0), "active", 1),
        key(rng, "research-notebooks", Some(1), "active", 3),
        key(rng, "us-backend", Some(2), "active", 2),
        key(rng, "nightly-batch", Some(3), "active", 1),
        key(rng, "prototype", Some(4), "archived", 3),
        key(rng, "prod-canary", Some(0), "active", 2),
        key(rng, "research-evals", Some(1), "active", 3),
        key(rng, "support-bot", Some(2), "active", 2),
        key(rng, "embeddings-backfill", Some(3), "active", 0),
    ];
    let user = sim_id(rng, "user_01");
    let svac = sim_id(rng, "svac_01");
    let app = |workspace, api_key, weight, models, scale| App {
        workspace,
        api_key,
        account_id: None,
        service_account_id: None,
        weight,
        models,
        batch_pct: 0,
        priority_pct: 0,
        web_pct: 0,
        long_pct: 0,
        fast_pct: 0,
        us_pct: 0,
        scale,
    };
    let apps = vec![
        App { web_pct: 10, ..app(None, Some(0), 3, MIXED, 6_000) },
        App { web_pct: 5, ..app(None, None, 1, WORKHORSE, 3_000) },
        App { priority_pct: 8, web_pct: 15, long_pct: 6, us_pct: 10, ..app(Some(0), Some(1), 8, WORKHORSE, 12_000) },
        App { fast_pct: 10, long_pct: 4, ..app(Some(0), Some(2), 4, FRONTIER, 20_000) },
        App { account_id: Some(user), web_pct: 30, long_pct: 10, ..app(Some(1), Some(3), 3, FRONTIER, 30_000) },
        App { ..app(Some(2), Some(4), 3, WORKHORSE, 8_000) },
        App { service_account_id: Some(svac), batch_pct: 85, ..app(Some(3), Some(5), 4, CHEAP, 15_000) },
        App { ..app(Some(4), Some(6), 1, MIXED, 4_000) },
        App { fast_pct: 20, ..app(Some(0), Some(7), 2, FRONTIER, 10_000) },
        App { web_pct: 5, long_pct: 15, ..app(Some(1), Some(8), 2, FRONTIER, 40_000) },
        App { us_pct: 40, web_pct: 10, ..app(Some(2), Some(9), 3, CHEAP, 5_000) },
        App { batch_pct: 95, ..app(Some(3), Some(10), 2, WORKHORSE, 25_000) },
    ];
    People { workspaces, api_keys, apps }
}
