//! The classifier against its sources: the crawler list's own sample user agents, real
//! browsers (which must all be people), and the link-preview fetchers of the chat apps codes
//! are shared in.

use botcheck::{Agent, classify};

fn browsers() -> Vec<&'static str> {
    include_str!("fixtures/browsers.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

#[test]
fn the_lists_own_instances_are_crawlers() {
    let entries = botcheck::lists::crawler_user_agent_entries();
    let instances: Vec<&str> = entries
        .iter()
        .filter(|e| {
            !botcheck::lists::DROPPED
                .iter()
                .any(|(p, _)| *p == e.pattern)
        })
        .flat_map(|e| e.instances.iter().map(String::as_str))
        .collect();
    let missed: Vec<&str> = instances
        .iter()
        .copied()
        .filter(|ua| !classify(ua).is_bot())
        .collect();
    let recognised = 1.0 - missed.len() as f64 / instances.len() as f64;
    println!(
        "{} of {} instances recognised ({:.2}%)",
        instances.len() - missed.len(),
        instances.len(),
        recognised * 100.0
    );
    assert!(instances.len() > 1_500, "the list has its instances");
    assert!(recognised >= 0.98, "missed: {missed:#?}");
}

#[test]
fn real_browsers_are_people() {
    let browsers = browsers();
    assert!(browsers.len() >= 30);
    let wrong: Vec<_> = browsers
        .iter()
        .map(|ua| (classify(ua), *ua))
        .filter(|(agent, _)| *agent != Agent::Human)
        .collect();
    assert!(wrong.is_empty(), "taken for bots: {wrong:#?}");
}

#[test]
fn chat_apps_fetching_a_link_are_previews() {
    for (app, ua) in [
        (
            "Slack",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        ),
        (
            "Slack images",
            "Slack-ImgProxy (+https://api.slack.com/robots)",
        ),
        ("WhatsApp", "WhatsApp/2.23.20.0"),
        ("WhatsApp (Android)", "WhatsApp/2.24.22.79 A"),
        (
            "Facebook",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        ),
        ("Twitter", "Twitterbot/1.0"),
        (
            "Discord",
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        ),
        ("Telegram", "TelegramBot (like TwitterBot)"),
        (
            "iMessage",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
        ),
        (
            "LinkedIn",
            "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        ),
    ] {
        assert_eq!(classify(ua), Agent::Preview, "{app}: {ua}");
    }
}

#[test]
fn crawlers_scripts_and_headless_browsers_are_crawlers() {
    for ua in [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
        "curl/8.4.0",
        "python-requests/2.31.0",
        "Go-http-client/2.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36",
        "",
        "   ",
    ] {
        assert_eq!(classify(ua), Agent::Crawler, "{ua:?}");
    }
}

#[test]
fn building_the_classifier_is_cheap() {
    let started = std::time::Instant::now();
    let _ = botcheck::Classifier::default();
    let took = started.elapsed();
    println!("built in {took:?}");
    // Unoptimised test builds included: the scan path must never wait seconds for it.
    assert!(took < std::time::Duration::from_secs(2), "took {took:?}");
}
