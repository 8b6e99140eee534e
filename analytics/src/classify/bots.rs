//! Bots and link previews. A request is a bot when its user agent is a crawler or a preview
//! fetcher by the product's one classifier (`botcheck`, which qr's scan limits use too, so a
//! code's limit and its statistics agree), when uap-core calls it a spider, when it is a `HEAD`
//! request, when it is marked as a prefetch, or when it has no user agent at all (every real
//! browser sends one). Bots are stored and counted as bot scans, never dropped.

/// Why a request counts as a bot (stored with the event, so counts can be explained).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BotReason {
    UserAgent,
    Head,
    Prefetch,
    NoUserAgent,
}

impl BotReason {
    pub fn as_str(self) -> &'static str {
        match self {
            BotReason::UserAgent => "user-agent",
            BotReason::Head => "head",
            BotReason::Prefetch => "prefetch",
            BotReason::NoUserAgent => "no-user-agent",
        }
    }
}

/// The reason this request is a bot, or `None` for a (probable) human. `crawler` is the user
/// agent's verdict ([`super::user_agent::Agent::crawler`]: uap-core's spiders and `botcheck`'s
/// list), worked out once per distinct user agent.
pub fn check(
    method: &str,
    prefetch: bool,
    user_agent: Option<&str>,
    crawler: bool,
) -> Option<BotReason> {
    if method.eq_ignore_ascii_case("HEAD") {
        return Some(BotReason::Head);
    }
    if prefetch {
        return Some(BotReason::Prefetch);
    }
    match user_agent.map(str::trim) {
        None | Some("") => Some(BotReason::NoUserAgent),
        Some(_) if crawler => Some(BotReason::UserAgent),
        Some(_) => None,
    }
}
