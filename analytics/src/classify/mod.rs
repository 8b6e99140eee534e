//! Classification of a hit: device, OS and browser, bot or human, country, referrer domain,
//! language and the daily visitor id. The raw IP is read here and goes no further.

pub mod bots;
pub mod geo;
pub mod language;
pub mod referrer;
pub mod user_agent;
pub mod visitor;

use std::net::IpAddr;

use crate::hit::{Hit, Kind, Occurrence};
pub use bots::BotReason;
pub use geo::Geo;
pub use user_agent::UserAgentParser;

/// A classified hit: what is stored, plus the visitor id that is only used for uniques.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classified {
    /// The hit's own, cleaned for storage; `qr_code` feeds `views_by_qr`.
    pub occurrence: Occurrence,
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

/// The occurrence as it may be stored: labels (rule, QR code) cut to [`LABEL_MAX`], ids whole.
fn cleaned(o: &Occurrence) -> Occurrence {
    Occurrence {
        id: clean(&o.id, usize::MAX),
        kind: o.kind,
        target_id: clean(&o.target_id, usize::MAX),
        owner_id: clean(&o.owner_id, usize::MAX),
        occurred_at: o.occurred_at,
        rule: o.rule.as_deref().map(|r| clean(r, LABEL_MAX)),
        block_id: o.block_id.as_deref().map(|b| clean(b, usize::MAX)),
        qr_code: o.qr_code.as_deref().map(|c| clean(c, LABEL_MAX)),
    }
}

pub struct Classifier {
    geo: Geo,
}

impl Classifier {
    /// The user-agent parser is not built here but by the first hit classified (see
    /// [`UserAgentParser::shared`]): it is most of an idle process's heap (~29 MB) and of its
    /// start-up (~150 ms), and a process may serve for a long time before its first scan.
    pub fn new(geo: Geo) -> Self {
        Self { geo }
    }

    /// See [`Geo::attribution`].
    pub fn country_attribution(&self) -> Option<&'static str> {
        self.geo.attribution()
    }

    /// `salt` is the salt of the hit's day, or `None` when that day's salt is gone (a very late
    /// delivery): the hit is then counted, but not as a unique.
    pub fn classify(&self, hit: &Hit, salt: Option<&str>) -> Classified {
        let user_agent = hit.visit.user_agent.as_deref().unwrap_or_default();
        let agent = UserAgentParser::parse_shared(user_agent);
        let bot = bots::check(
            &hit.visit.method,
            hit.visit.prefetch,
            hit.visit.user_agent.as_deref(),
            agent.crawler,
        );
        let ip: Option<IpAddr> = hit
            .visit
            .ip
            .as_deref()
            .and_then(|ip| ip.trim().parse().ok());
        let country = ip.and_then(|ip| self.geo.country(ip));
        let occurrence = &hit.occurrence;
        let refused = occurrence.kind == Kind::Scan
            && occurrence
                .rule
                .as_deref()
                .is_some_and(|rule| REFUSED_RULES.contains(&rule));
        let visitor = match (bot, ip, salt) {
            _ if refused => None,
            (None, Some(ip), Some(salt)) => Some(visitor::visitor_id(
                salt,
                &ip.to_string(),
                user_agent,
                &occurrence.target_id,
            )),
            _ => None,
        };
        Classified {
            occurrence: cleaned(occurrence),
            device: if bot.is_some() { "bot" } else { agent.device }.to_owned(),
            os: clean(&agent.os, LABEL_MAX),
            browser: clean(&agent.browser, LABEL_MAX),
            country,
            referrer: referrer::domain(hit.visit.referrer.as_deref()),
            language: language::preferred(hit.visit.accept_language.as_deref()),
            bot,
            refused,
            visitor,
        }
    }
}

#[cfg(test)]
mod tests;
