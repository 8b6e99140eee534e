//! Just enough user-agent knowledge for the scan path: is this a link-preview fetcher or a
//! crawler? Such requests get the Open Graph preview (when one is set) and never use up a
//! `max_scans` limit. Analytics classifies every scan properly afterwards; this list only has to
//! be cheap and to err on the side of "human".

const PREVIEW_AND_CRAWLER_MARKERS: &[&str] = &[
    "facebookexternalhit",
    "facebot",
    "whatsapp",
    "slackbot",
    "slack-imgproxy",
    "twitterbot",
    "telegrambot",
    "discordbot",
    "linkedinbot",
    "googlebot",
    "bingbot",
    "applebot",
    "skypeuripreview",
    "redditbot",
    "embedly",
    "pinterest",
    "vkshare",
    "mastodon",
    "headlesschrome",
    "curl/",
    "wget/",
    "python-requests",
    "go-http-client",
    "bot/",
    "spider",
    "crawler",
];

/// One automaton over every marker, case-insensitive: a single pass over the user agent and no
/// lowercased copy of it, since this runs on every scan.
static MARKERS: std::sync::LazyLock<aho_corasick::AhoCorasick> = std::sync::LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(PREVIEW_AND_CRAWLER_MARKERS)
        .expect("the marker list is a valid automaton")
});

pub fn is_bot(user_agent: &str) -> bool {
    user_agent.is_empty() || MARKERS.is_match(user_agent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_and_crawlers_are_recognised() {
        for ua in [
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "WhatsApp/2.23.20.0",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "Twitterbot/1.0",
            "TelegramBot (like TwitterBot)",
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
            "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "curl/8.4.0",
            "python-requests/2.31.0",
            "Go-http-client/1.1",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36",
            "",
        ] {
            assert!(is_bot(ua), "{ua}");
        }
    }

    #[test]
    fn phones_are_people() {
        for ua in [
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 307.0.0.34.111",
        ] {
            assert!(!is_bot(ua), "{ua}");
        }
    }
}
