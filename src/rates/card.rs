//! Loading, validating and layering rate cards.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::located::{at, line_of, toml_error};
use super::model::{CacheMultipliers, CardFile, Discount, ModelEntry, Modifier, UnitPrice};
use crate::error::{Error, Result};

/// The bundled card's text.
pub const BUNDLED_CARD: &str = include_str!("card.toml");
const SCHEMA: &str = "counterfoil.ratecard/1";

/// A validated, effective rate card.
#[derive(Debug, Clone)]
pub struct RateCard {
    pub as_of: Option<NaiveDate>,
    pub defaults: CacheMultipliers,
    pub discount_factor: Option<Decimal>,
    pub models: Vec<ModelEntry>,
    pub modifiers: Vec<Modifier>,
    pub unit_prices: Vec<UnitPrice>,
    /// Negotiated discounts per model and date range.
    pub discounts: Vec<Discount>,
    /// Bedrock and Vertex list prices, model ids canonical (`rates::cloud`).
    pub cloud_prices: Vec<super::cloud::CloudPrice>,
    /// Where each model came from ("bundled" or a file name), for `counterfoil rates`.
    pub origins: Vec<String>,
    /// Things that are allowed but unusual (a cache price off its usual multiple without an
    /// `exceptions` note): shown by `rates --check`, `--rates` and `RateCard.warnings`.
    pub warnings: Vec<String>,
    pub(super) index: HashMap<String, usize>,
}

/// The largest token price a card may hold, USD per MTok: far above any real price, and small
/// enough that tokens × price × every modifier cannot overflow exact 128-bit money.
pub const MAX_TOKEN_PRICE: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);
/// The largest unit price (per request, hour…), USD.
pub const MAX_UNIT_PRICE: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);
/// The largest modifier factor or cache multiplier.
pub const MAX_FACTOR: Decimal = Decimal::from_parts(100, 0, 0, false, 0);

impl RateCard {
    /// The card shipped with counterfoil: parsed and validated once per process, then cloned
    /// (every reconcile, price and fleet task asks for it).
    pub fn bundled() -> RateCard {
        static BUNDLED: std::sync::OnceLock<RateCard> = std::sync::OnceLock::new();
        BUNDLED
            .get_or_init(|| {
                RateCard::from_toml(BUNDLED_CARD, "bundled card.toml").expect("the bundled rate card is valid")
            })
            .clone()
    }

    /// Parses a standalone card (no layering).
    fn parse_file(text: &str, origin: &str) -> Result<CardFile> {
        let file: CardFile = toml::from_str(text).map_err(|e| toml_error(origin, text, e))?;
        if file.schema != SCHEMA {
            return Err(at(
                origin,
                text,
                Some("schema"),
                format!("schema must be {SCHEMA:?}, found {:?}", file.schema),
            ));
        }
        if file.currency != "USD" {
            return Err(at(origin, text, Some("currency"), "only USD cards are supported".into()));
        }
        if file.token_unit != 1_000_000 {
            return Err(at(origin, text, Some("token_unit"), "token prices must be per 1000000 tokens".into()));
        }
        Ok(file)
    }

    /// A card from TOML text. A user card (`extends = "bundled"`, the default for anything but
    /// the bundled file itself) is layered over the bundled card.
    pub fn from_toml(text: &str, origin: &str) -> Result<RateCard> {
        let file = RateCard::parse_file(text, origin)?;
        let standalone = origin == "bundled card.toml" || file.extends.as_deref() == Some("none");
        match file.extends.as_deref() {
            None | Some("bundled") | Some("none") => {}
            Some(other) => {
                return Err(at(
                    origin,
                    text,
                    Some("extends"),
                    format!("extends must be \"bundled\" or \"none\", found {other:?}"),
                ));
            }
        }
        let mut card = if standalone { RateCard::empty() } else { RateCard::bundled() };
        card.layer(file, origin, text)?;
        Ok(card)
    }

    /// A card from a file (layered over the bundled card unless it says `extends = "none"`).
    pub fn load(path: &Path) -> Result<RateCard> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::RateCard {
            location: path.display().to_string(),
            message: format!("cannot read the rate card: {e}"),
        })?;
        RateCard::from_toml(&text, &path.display().to_string())
    }

    fn empty() -> RateCard {
        RateCard {
            as_of: None,
            defaults: CacheMultipliers {
                cache_write_5m: Decimal::new(125, 2),
                cache_write_1h: Decimal::TWO,
                cache_read: Decimal::new(1, 1),
            },
            discount_factor: None,
            models: vec![],
            modifiers: vec![],
            unit_prices: vec![],
            discounts: vec![],
            cloud_prices: vec![],
            origins: vec![],
            warnings: vec![],
            index: HashMap::new(),
        }
    }

    /// Applies `file` over this card: models, modifiers and unit prices replace by id.
    fn layer(&mut self, file: CardFile, origin: &str, text: &str) -> Result<()> {
        if file.as_of.is_some() {
            self.as_of = file.as_of;
        }
        if let Some(d) = file.default_cache_multipliers {
            for (name, v) in [
                ("cache_write_5m", d.cache_write_5m),
                ("cache_write_1h", d.cache_write_1h),
                ("cache_read", d.cache_read),
            ] {
                if v.is_sign_negative() || v > MAX_FACTOR {
                    return Err(at(
                        origin,
                        text,
                        Some(name),
                        format!("default_cache_multipliers.{name} must be between 0 and {MAX_FACTOR}, found {v}"),
                    ));
                }
            }
            if d != RateCard::empty().defaults && !origin.starts_with("bundled") {
                self.warnings.push(format!(
                    "{origin}: default_cache_multipliers differ from the usual 1.25 / 2 / 0.1; every model without explicit cache prices uses them"
                ));
            }
            self.defaults = d;
        }
        if let Some(f) = file.discount_factor {
            if f <= Decimal::ZERO || f > Decimal::ONE {
                return Err(at(
                    origin,
                    text,
                    Some("discount_factor"),
                    format!("discount_factor must be in (0, 1], found {f}"),
                ));
            }
            self.discount_factor = Some(f);
        }
        for m in file.modifiers {
            validate_modifier(&m).map_err(|msg| at(origin, text, Some(&format!("id = \"{}\"", m.id)), msg))?;
            match self.modifiers.iter_mut().find(|x| x.id == m.id) {
                Some(x) => *x = m,
                None => self.modifiers.push(m),
            }
        }
        for u in file.unit_prices {
            if u.price.is_sign_negative() || u.price > MAX_UNIT_PRICE {
                return Err(at(
                    origin,
                    text,
                    Some(&format!("id = \"{}\"", u.id)),
                    format!("unit price {:?} must be between 0 and {MAX_UNIT_PRICE} USD, found {}", u.id, u.price),
                ));
            }
            match self.unit_prices.iter_mut().find(|x| x.id == u.id) {
                Some(x) => *x = u,
                None => self.unit_prices.push(u),
            }
        }
        for m in file.models {
            validate_model(&m, text).map_err(|(line_hint, msg)| Error::RateCard {
                location: format!("{origin}:{}", line_of(text, line_hint)),
                message: format!("model {:?}: {msg}", m.id.get_ref()),
            })?;
            let defaults = self.defaults;
            self.warnings.extend(
                unusual(&m, &defaults)
                    .into_iter()
                    .map(|(pos, w)| format!("{origin}:{}: model {:?}: {w}", line_of(text, pos), m.id.get_ref())),
            );
            let existing = self.resolve_index(m.id.get_ref());
            match existing {
                Some(i) => {
                    self.models[i] = m;
                    self.origins[i] = origin.to_owned();
                }
                None => {
                    self.models.push(m);
                    self.origins.push(origin.to_owned());
                }
            }
            self.reindex().map_err(|msg| at(origin, text, None, msg))?;
        }
        for d in file.discounts {
            self.add_discount(d).map_err(|msg| at(origin, text, Some("[[discount]]"), msg))?;
        }
        super::cloud::layer(self, file.cloud_prices).map_err(|msg| at(origin, text, Some("[[cloud_price]]"), msg))
    }

    fn reindex(&mut self) -> std::result::Result<(), String> {
        let mut index = HashMap::new();
        for (i, m) in self.models.iter().enumerate() {
            for name in std::iter::once(m.id.get_ref()).chain(m.aliases.iter()) {
                if let Some(j) = index.insert(name.clone(), i)
                    && j != i
                {
                    return Err(format!(
                        "{name:?} names two models ({} and {})",
                        self.models[j].id.get_ref(),
                        m.id.get_ref()
                    ));
                }
            }
        }
        self.index = index;
        Ok(())
    }

    /// The model an id names: exact id, then alias, then dated ↔ undated forms. Nothing else is
    /// guessed. A Claude Code `[1m]` suffix is ignored.
    pub fn resolve(&self, model: &str) -> Option<&ModelEntry> {
        self.resolve_index(model).map(|i| &self.models[i])
    }

    fn resolve_index(&self, model: &str) -> Option<usize> {
        let model = model.strip_suffix("[1m]").unwrap_or(model);
        if let Some(&i) = self.index.get(model) {
            return Some(i);
        }
        if let Some(undated) = strip_date(model)
            && let Some(&i) = self.index.get(undated)
        {
            return Some(i);
        }
        // An undated id given for a dated one (`claude-opus-4-1` → `claude-opus-4-1-20250805`).
        let mut found = None;
        for (name, &i) in &self.index {
            if strip_date(name) == Some(model) {
                if found.is_some_and(|f| f != i) {
                    return None; // ambiguous: refuse to guess
                }
                found = Some(i);
            }
        }
        found
    }

    /// The effective card as a standalone TOML file (`extends = "none"`): what `from_toml`
    /// reads back to the same card.
    pub fn to_toml(&self) -> Result<String> {
        let file = CardFile {
            schema: SCHEMA.into(),
            currency: "USD".into(),
            token_unit: 1_000_000,
            as_of: self.as_of,
            extends: Some("none".into()),
            discount_factor: self.discount_factor,
            default_cache_multipliers: Some(self.defaults),
            modifiers: self.modifiers.clone(),
            unit_prices: self.unit_prices.clone(),
            models: self.models.clone(),
            discounts: self.discounts.clone(),
            cloud_prices: self.cloud_prices.clone(),
        };
        toml::to_string(&file).map_err(|e| Error::RateCard { location: "<export>".into(), message: e.to_string() })
    }

    pub fn modifier(&self, dimension: &str, value: &str) -> Option<&Modifier> {
        self.modifiers.iter().find(|m| m.dimension == dimension && m.value == value)
    }

    pub fn unit_price(&self, cost_type: &str) -> Option<&UnitPrice> {
        self.unit_prices.iter().find(|u| u.cost_type == cost_type)
    }
}

/// `claude-x-20250514` → `claude-x`.
fn strip_date(id: &str) -> Option<&str> {
    let (head, tail) = id.rsplit_once('-')?;
    (tail.len() == 8 && tail.bytes().all(|b| b.is_ascii_digit())).then_some(head)
}

fn validate_modifier(m: &Modifier) -> std::result::Result<(), String> {
    if !matches!(m.dimension.as_str(), "service_tier" | "inference_geo") {
        return Err(format!("dimension must be service_tier or inference_geo, found {:?}", m.dimension));
    }
    match (m.factor, m.not_in_cost_report) {
        (Some(f), false) if f > Decimal::ZERO && f <= MAX_FACTOR => Ok(()),
        (Some(f), false) => Err(format!("factor must be above 0 and at most {MAX_FACTOR}, found {f}")),
        (None, true) => Ok(()),
        _ => Err("a modifier has either a factor or not_in_cost_report = true".into()),
    }
}

/// Checks one model; on failure returns a text to find the line by, and the message.
fn validate_model(m: &ModelEntry, _text: &str) -> std::result::Result<(), (usize, String)> {
    let id_pos = m.id.span().start;
    if m.rates.is_empty() {
        return Err((id_pos, "has no [[model.rate]] rows".into()));
    }
    if let (Some(r), Some(t)) = (m.released, m.retired)
        && t <= r
    {
        return Err((id_pos, format!("retired {t} is not after released {r}")));
    }
    for r in &m.rates {
        let pos = r.valid_from.span().start;
        if let Some(to) = r.valid_to
            && to <= *r.valid_from.get_ref()
        {
            return Err((pos, format!("rate row valid_to {to} is not after valid_from {}", r.valid_from.get_ref())));
        }
        if !matches!(r.context_window.as_str(), "any" | "0-200k" | "200k-1M") {
            return Err((pos, format!("context_window must be any, 0-200k or 200k-1M, found {:?}", r.context_window)));
        }
        if !matches!(r.speed.as_str(), "standard" | "fast") {
            return Err((pos, format!("speed must be standard or fast, found {:?}", r.speed)));
        }
        let prices = [Some(r.input), Some(r.output), r.cache_write_5m, r.cache_write_1h, r.cache_read];
        if let Some(p) = prices.iter().flatten().find(|p| p.is_sign_negative() || **p > MAX_TOKEN_PRICE) {
            return Err((pos, format!("prices must be between 0 and {MAX_TOKEN_PRICE} USD per MTok, found {p}")));
        }
    }
    for (i, a) in m.rates.iter().enumerate() {
        for b in &m.rates[i + 1..] {
            let windows_meet =
                a.context_window == "any" || b.context_window == "any" || a.context_window == b.context_window;
            let (af, bf) = (*a.valid_from.get_ref(), *b.valid_from.get_ref());
            let dates_meet = a.valid_to.is_none_or(|t| bf < t) && b.valid_to.is_none_or(|t| af < t);
            if a.speed == b.speed && windows_meet && dates_meet {
                return Err((
                    b.valid_from.span().start,
                    format!(
                        "rate rows from {af} and {bf} overlap for context_window {} / speed {}",
                        b.context_window, b.speed
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Cache prices off their usual relation to input, on rows that do not say so in `exceptions`.
fn unusual(m: &ModelEntry, defaults: &CacheMultipliers) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for r in m.rates.iter().filter(|r| r.exceptions.is_none()) {
        let pos = r.valid_from.span().start;
        let from = r.valid_from.get_ref();
        for (name, price, usual) in [
            ("cache_write_5m", r.cache_write_5m, Decimal::new(125, 2)),
            ("cache_write_1h", r.cache_write_1h, Decimal::TWO),
        ] {
            if let Some(p) = price.filter(|p| *p != r.input * usual) {
                out.push((pos, format!(
                    "rate from {from}: {name} {p} is not {usual} × input {}; if that is intended, say so with exceptions = \"…\"",
                    r.input
                )));
            }
        }
        let read = r.price(super::model::TokenType::CacheRead, defaults);
        if read > r.input {
            out.push((pos, format!(
                "rate from {from}: cache_read {read} is above input {}; if that is intended, say so with exceptions = \"…\"",
                r.input
            )));
        }
    }
    out
}
