//! Bots and link previews. A request is a bot when its user agent is a known crawler or preview
//! fetcher (the `isbot` crate's list, extended with the preview fetchers and HTTP libraries our
//! users' links meet most), when uap-core calls it a spider, when it is a `HEAD` request, when it
//! is marked as a prefetch, or when it has no user agent at all (every real browser sends one).
//! Bots are stored and counted as bot scans, never dropped.

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

/// Preview fetchers and clients that `isbot`'s list may lack or has changed over time; matched
/// case-insensitively anywhere in the user agent.
const EXTRA_PATTERNS: &[&str] = &[
    "whatsapp",
    "facebookexternalhit",
    "facebot",
    "slackbot",
    "slack-imgproxy",
    "twitterbot",
    "telegrambot",
    "discordbot",
    "linkedinbot",
    "googlebot",
    "google-inspectiontool",
    "applebot",
    "skypeuripreview",
    "redditbot",
    "pinterestbot",
    "embedly",
    "bingpreview",
    "vkshare",
    "viber",
    "snapchat/.*bot",
    "headlesschrome",
    "phantomjs",
    "puppeteer",
    "playwright",
    "selenium",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "httpx",
    "go-http-client",
    "curl/",
    "wget/",
    "libwww-perl",
    "okhttp/",
    "java/",
    "axios/",
    "node-fetch",
    "undici",
];

pub struct BotDetector {
    bots: isbot::Bots,
    /// `is_bot` runs one regex of a few hundred alternatives over the lower-cased user agent;
    /// real traffic repeats a small set of user agents, so each answer is remembered (bounded).
    listed: moka::sync::Cache<std::sync::Arc<str>, bool>,
}

/// Distinct user agents remembered (as in `user_agent`).
const CACHE_ENTRIES: u64 = 20_000;

impl Default for BotDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl BotDetector {
    pub fn new() -> Self {
        let mut bots = isbot::Bots::default();
        bots.append(EXTRA_PATTERNS);
        Self {
            bots,
            listed: moka::sync::Cache::new(CACHE_ENTRIES),
        }
    }

    fn listed(&self, user_agent: &str) -> bool {
        if let Some(known) = self.listed.get(user_agent) {
            return known;
        }
        let listed = self.bots.is_bot(user_agent);
        self.listed.insert(std::sync::Arc::from(user_agent), listed);
        listed
    }

    /// The reason this request is a bot, or `None` for a (probable) human.
    pub fn check(
        &self,
        method: &str,
        prefetch: bool,
        user_agent: Option<&str>,
        spider: bool,
    ) -> Option<BotReason> {
        if method.eq_ignore_ascii_case("HEAD") {
            return Some(BotReason::Head);
        }
        if prefetch {
            return Some(BotReason::Prefetch);
        }
        match user_agent.map(str::trim) {
            None | Some("") => Some(BotReason::NoUserAgent),
            Some(ua) if spider || self.listed(ua) => Some(BotReason::UserAgent),
            Some(_) => None,
        }
    }
}
