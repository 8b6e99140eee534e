//! The lists behind the classifier: the vendored crawler-user-agents patterns, the preview
//! fetchers, and what we add to or drop from the crawler list (each with its reason).

use serde::Deserialize;

/// The crawler-user-agents list as published (`data/crawler-user-agents.json`).
pub const CRAWLER_USER_AGENTS_JSON: &str = include_str!("../data/crawler-user-agents.json");

/// One entry of the list; `instances` are real user agents it matches.
#[derive(Debug, Clone, Deserialize)]
pub struct ListEntry {
    pub pattern: String,
    #[serde(default)]
    pub instances: Vec<String>,
}

/// Every entry of the vendored list.
pub fn crawler_user_agent_entries() -> Vec<ListEntry> {
    serde_json::from_str(CRAWLER_USER_AGENTS_JSON).expect("the vendored list is valid JSON")
}

/// The vendored list's patterns (its samples are skipped, not kept).
pub fn crawler_user_agents() -> Vec<String> {
    #[derive(Deserialize)]
    struct Pattern {
        pattern: String,
    }
    let list: Vec<Pattern> =
        serde_json::from_str(CRAWLER_USER_AGENTS_JSON).expect("the vendored list is valid JSON");
    list.into_iter().map(|p| p.pattern).collect()
}

/// Chat and social apps that fetch a shared link to show its preview. They are bots (no person
/// scanned anything) but a code with an Open Graph preview shows it to them. iMessage sends
/// `facebookexternalhit/1.1 Facebot Twitterbot/1.0`.
pub const PREVIEWS: &[&str] = &[
    "facebookexternalhit",
    "facebot",
    "whatsapp",
    "slackbot",
    "slack-imgproxy",
    "twitterbot",
    "telegrambot",
    "discordbot",
    "linkedinbot",
    "skypeuripreview",
    "pinterestbot",
    "redditbot",
    "embedly",
    "vkshare",
    "viber",
    "mastodon",
    "iframely",
    "bingpreview",
];

/// Clients the list leaves out or matches only in some versions: HTTP libraries, headless and
/// automated browsers, and generic words no browser uses.
pub const EXTRA_CRAWLERS: &[&str] = &[
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
    "google-inspectiontool",
    "bot/",
    "spider",
    "crawler",
];

/// Patterns of the list we do not use, and why.
pub const DROPPED: &[(&str, &str)] = &[(
    "Butterfly",
    "also the HTC Butterfly phones' model name, in their browsers' user agents",
)];
