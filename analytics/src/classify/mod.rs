//! Classification of a hit: device, OS and browser, bot or human, country, referrer domain,
//! language and the daily visitor id. The raw IP is read here and goes no further.

pub mod bots;
pub mod geo;
pub mod language;
pub mod referrer;
pub mod user_agent;
pub mod visitor;

use std::net::IpAddr;

use crate::hit::{Hit, Kind};
pub use bots::BotReason;
pub use geo::Geo;
pub use user_agent::UserAgentParser;

/// A classified hit: what is stored, plus the visitor id that is only used for uniques.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classified {
    pub id: String,
    pub kind: Kind,
    pub target_id: String,
    pub owner_id: String,
    pub occurred_at: i64,
    pub rule: Option<String>,
    pub block_id: Option<String>,
    /// The QR code a view came through (its short code), for `views_by_qr`.
    pub qr_code: Option<String>,
    pub device: String,
    pub os: String,
    pub browser: String,
    pub country: Option<String>,
    pub referrer: Option<String>,
    pub language: Option<String>,
    pub bot: Option<BotReason>,
    /// A scan the code answered with a page instead of sending the scanner on (see
    /// [`REFUSED_RULES`]): stored and counted in the total, but neither human nor bot.
    pub refused: bool,
    /// Set for humans when the day's salt is available; never stored with the event.
    pub visitor: Option<String>,
}

/// The rules of scans that reached nobody's destination: the founder disabled the code (or its
/// owner's account), the owner paused it, it expired, or it used up its `max_scans`. Such a
/// scan is not the owner's audience reaching them, so it is not a human scan (nor a unique, nor
/// a step of the founder's activation funnel); qr itself counts only redirects towards
/// `max_scans`, and this keeps the two numbers alike.
pub const REFUSED_RULES: [&str; 4] = ["disabled", "paused", "expired", "max_scans"];

impl Classified {
    /// Counted as a human: not a bot, and the scan was answered with the destination.
    pub fn is_human(&self) -> bool {
        self.bot.is_none() && !self.refused
    }
}

/// Longest label kept for a breakdown value (uap-core can capture free text from the user agent).
const LABEL_MAX: usize = 100;

/// Text as it may be stored: PostgreSQL rejects NUL in text, and one such value would otherwise
/// fail its whole batch on every retry.
fn clean(text: &str, max_chars: usize) -> String {
    // Almost every value is already clean: copy it without walking its characters.
    if text.len() <= max_chars && !text.contains('\0') {
        return text.to_owned();
    }
    text.chars()
        .filter(|c| *c != '\0')
        .take(max_chars)
        .collect()
}

pub struct Classifier {
    agents: std::sync::Arc<UserAgentParser>,
    geo: Geo,
}

impl Classifier {
    pub fn new(geo: Geo) -> Result<Self, String> {
        Ok(Self {
            agents: UserAgentParser::shared()?,
            geo,
        })
    }

    /// See [`Geo::attribution`].
    pub fn country_attribution(&self) -> Option<&'static str> {
        self.geo.attribution()
    }

    /// `salt` is the salt of the hit's day, or `None` when that day's salt is gone (a very late
    /// delivery): the hit is then counted, but not as a unique.
    pub fn classify(&self, hit: &Hit, salt: Option<&str>) -> Classified {
        let user_agent = hit.user_agent.as_deref().unwrap_or_default();
        let agent = self.agents.parse(user_agent);
        let bot = bots::check(
            &hit.method,
            hit.prefetch,
            hit.user_agent.as_deref(),
            agent.spider,
        );
        let ip: Option<IpAddr> = hit.ip.as_deref().and_then(|ip| ip.trim().parse().ok());
        let country = ip.and_then(|ip| self.geo.country(ip));
        let refused = hit.kind == Kind::Scan
            && hit
                .rule
                .as_deref()
                .is_some_and(|rule| REFUSED_RULES.contains(&rule));
        let visitor = match (bot, ip, salt) {
            _ if refused => None,
            (None, Some(ip), Some(salt)) => Some(visitor::visitor_id(
                salt,
                &ip.to_string(),
                user_agent,
                &hit.target_id,
            )),
            _ => None,
        };
        Classified {
            id: clean(&hit.id, usize::MAX),
            kind: hit.kind,
            target_id: clean(&hit.target_id, usize::MAX),
            owner_id: clean(&hit.owner_id, usize::MAX),
            occurred_at: hit.occurred_at,
            rule: hit.rule.as_deref().map(|r| clean(r, LABEL_MAX)),
            block_id: hit.block_id.as_deref().map(|b| clean(b, usize::MAX)),
            qr_code: hit.qr_code.as_deref().map(|c| clean(c, LABEL_MAX)),
            device: if bot.is_some() { "bot" } else { agent.device }.to_owned(),
            os: clean(&agent.os, LABEL_MAX),
            browser: clean(&agent.browser, LABEL_MAX),
            country,
            referrer: referrer::domain(hit.referrer.as_deref()),
            language: language::preferred(hit.accept_language.as_deref()),
            bot,
            refused,
            visitor,
        }
    }
}

#[cfg(test)]
mod tests;
