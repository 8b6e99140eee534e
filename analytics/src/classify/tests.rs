//! Table-driven checks of the classification over the user agents the issue lists.

use super::*;
use crate::hit::{Hit, Kind, Occurrence};
use shared::visit::Visit;

fn hit(ua: Option<&str>, method: &str, prefetch: bool) -> Hit {
    Hit {
        occurrence: Occurrence {
            id: "e1".into(),
            kind: Kind::Scan,
            target_id: "qr1".into(),
            owner_id: "u1".into(),
            occurred_at: 1_764_000_000_000,
            rule: Some("default".into()),
            block_id: None,
            qr_code: None,
        },
        visit: Visit {
            method: method.into(),
            prefetch,
            user_agent: ua.map(str::to_owned),
            referrer: None,
            accept_language: None,
            ip: Some("81.2.69.160".into()),
        },
    }
}

fn classifier() -> Classifier {
    Classifier::new(Geo::Embedded)
}

#[test]
fn the_vendored_user_agent_regexes_compile() {
    // Built lazily by the first hit in a running process, so a broken file would only show as
    // "Other" agents there: it fails here instead.
    assert!(super::user_agent::UserAgentParser::new().is_ok());
}

const HUMANS: &[(&str, &str, &str, &str, &str)] = &[
    // (label, user agent, device, os, browser)
    (
        "iOS Safari",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        "mobile",
        "iOS",
        "Mobile Safari",
    ),
    (
        "iPad Safari",
        "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        "tablet",
        "iOS",
        "Mobile Safari",
    ),
    (
        "Android Chrome",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
        "mobile",
        "Android",
        "Chrome Mobile",
    ),
    (
        "Samsung Internet",
        "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
        "mobile",
        "Android",
        "Samsung Internet",
    ),
    (
        "desktop Chrome",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "desktop",
        "Windows",
        "Chrome",
    ),
    (
        "desktop Firefox",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "desktop",
        "Windows",
        "Firefox",
    ),
    (
        "desktop Edge",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
        "desktop",
        "Windows",
        "Edge",
    ),
    (
        "desktop Safari",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
        "desktop",
        "Mac OS X",
        "Safari",
    ),
    (
        "Instagram in-app",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 329.0.3.28.92 (iPhone14,5; iOS 17_4; en_US; en; scale=3.00; 1170x2532; 602541553)",
        "mobile",
        "iOS",
        "Instagram",
    ),
    (
        "Facebook in-app",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/458.0.0.36.110;FBBV/577185123;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/580181163]",
        "mobile",
        "iOS",
        "Facebook",
    ),
    (
        "TikTok in-app (Android)",
        "Mozilla/5.0 (Linux; Android 12; SM-A515F Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/117.0.0.0 Mobile Safari/537.36 trill_310904 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/trill app_version/31.9.4 ByteLocale/en ByteFullLocale/en Region/US Spark/1.4.6.3-bugfix AppVersion/31.9.4 BytedanceWebview/d8a21c6",
        "mobile",
        "Android",
        "TikTok",
    ),
    (
        "TikTok in-app (iOS)",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 musical_ly_34.1.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/US isDarkMode/0 WKWebView/1 RevealType/Dialog BytedanceWebview/d8a21c6",
        "mobile",
        "iOS",
        "TikTok",
    ),
];

const BOTS: &[(&str, &str)] = &[
    ("WhatsApp", "WhatsApp/2.23.20.0"),
    (
        "facebookexternalhit",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    ),
    (
        "Slackbot",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    ),
    ("Twitterbot", "Twitterbot/1.0"),
    ("TelegramBot", "TelegramBot (like TwitterBot)"),
    (
        "Discordbot",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    ),
    (
        "LinkedInBot",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    ),
    (
        "Googlebot",
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.118 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    ),
    (
        "iMessage preview",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
    ),
    (
        "Applebot",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
    ),
    ("curl", "curl/8.4.0"),
    ("python-requests", "python-requests/2.31.0"),
    ("Go-http-client", "Go-http-client/2.0"),
    (
        "headless Chrome",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36",
    ),
];

#[test]
fn humans_get_device_os_and_browser() {
    let c = classifier();
    let mut wrong = Vec::new();
    for (label, ua, device, os, browser) in HUMANS {
        let got = c.classify(&hit(Some(ua), "GET", false), Some("salt"));
        let seen = (got.device.as_str(), got.os.as_str(), got.browser.as_str());
        if got.bot.is_some() || seen != (*device, *os, *browser) {
            wrong.push(format!("{label}: got {seen:?} bot={:?}", got.bot));
        }
        assert!(got.visitor.is_some(), "{label}: humans get a visitor id");
    }
    assert!(wrong.is_empty(), "misclassified:\n{}", wrong.join("\n"));
}

#[test]
fn bots_and_previews_are_bots() {
    let c = classifier();
    let missed: Vec<_> = BOTS
        .iter()
        .filter(|(_, ua)| {
            c.classify(&hit(Some(ua), "GET", false), Some("salt"))
                .bot
                .is_none()
        })
        .map(|(label, _)| *label)
        .collect();
    assert!(missed.is_empty(), "not recognised as bots: {missed:?}");
    let got = c.classify(&hit(Some(BOTS[0].1), "GET", false), Some("salt"));
    assert_eq!(got.device, "bot");
    assert_eq!(got.visitor, None, "bots never count as uniques");
}

#[test]
fn head_prefetch_and_missing_user_agent_are_bots() {
    let c = classifier();
    let safari = HUMANS[0].1;
    let reason = |method, prefetch, ua| c.classify(&hit(ua, method, prefetch), None).bot;
    assert_eq!(reason("HEAD", false, Some(safari)), Some(BotReason::Head));
    assert_eq!(reason("GET", true, Some(safari)), Some(BotReason::Prefetch));
    assert_eq!(reason("GET", false, None), Some(BotReason::NoUserAgent));
    assert_eq!(
        reason("GET", false, Some("  ")),
        Some(BotReason::NoUserAgent)
    );
    assert_eq!(reason("GET", false, Some(safari)), None);
}

#[test]
fn country_referrer_and_language() {
    let c = classifier();
    let mut h = hit(Some(HUMANS[0].1), "GET", false);
    h.visit.referrer = Some("https://www.Instagram.com/p/abc?igsh=secret".into());
    h.visit.accept_language = Some("fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5".into());
    let got = c.classify(&h, Some("salt"));
    assert_eq!(got.country.as_deref(), Some("GB"));
    assert_eq!(got.referrer.as_deref(), Some("instagram.com"));
    assert_eq!(got.language.as_deref(), Some("fr"));

    assert_eq!(
        language::preferred(Some("en;q=0.5, de;q=0.9")).as_deref(),
        Some("de")
    );
    assert_eq!(language::preferred(Some("*")), None);
    assert_eq!(referrer::domain(Some("not a url")), None);
    for private in ["10.1.2.3", "192.168.0.1", "127.0.0.1", "::1", "fd00::1"] {
        h.visit.ip = Some(private.into());
        assert_eq!(c.classify(&h, None).country, None, "{private}");
    }
}

#[test]
fn visitor_ids_depend_on_salt_and_target() {
    let c = classifier();
    let h = hit(Some(HUMANS[0].1), "GET", false);
    let a = c.classify(&h, Some("salt-day-1")).visitor.unwrap();
    assert_eq!(c.classify(&h, Some("salt-day-1")).visitor.unwrap(), a);
    assert_ne!(c.classify(&h, Some("salt-day-2")).visitor.unwrap(), a);
    let mut other = h.clone();
    other.occurrence.target_id = "qr2".into();
    assert_ne!(c.classify(&other, Some("salt-day-1")).visitor.unwrap(), a);
    assert!(!a.contains("81.2.69.160"));
    assert_eq!(c.classify(&h, None).visitor, None, "no salt, no unique");
}

#[test]
fn stored_text_has_no_nul_and_bounded_labels() {
    let c = classifier();
    let mut h = hit(
        Some("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)"),
        "GET",
        false,
    );
    h.occurrence.rule = Some(format!("device:\0ios{}", "x".repeat(500)));
    h.occurrence.owner_id = "u\u{0}1".into();
    let got = c.classify(&h, None);
    assert_eq!(got.occurrence.owner_id, "u1");
    let rule = got.occurrence.rule.unwrap();
    assert!(
        !rule.contains('\0') && rule.chars().count() == 100,
        "{rule}"
    );
}

#[test]
fn scans_answered_with_a_page_are_neither_human_nor_bot() {
    let c = classifier();
    let safari = HUMANS[0].1;
    for rule in REFUSED_RULES {
        let mut h = hit(Some(safari), "GET", false);
        h.occurrence.rule = Some(rule.into());
        let got = c.classify(&h, Some("salt"));
        assert!(got.refused && !got.is_human(), "{rule}");
        assert_eq!(got.bot, None, "{rule} is not a bot either");
        assert_eq!(got.visitor, None, "{rule} is not a unique");
    }
    for rule in ["default", "password", "device:ios", "expired_url"] {
        let mut h = hit(Some(safari), "GET", false);
        h.occurrence.rule = Some(rule.into());
        assert!(c.classify(&h, Some("salt")).is_human(), "{rule}");
    }
    // Only scans have redirect rules; a view is never refused.
    let mut view = hit(Some(safari), "GET", false);
    view.occurrence.kind = Kind::View;
    view.occurrence.rule = Some("disabled".into());
    assert!(c.classify(&view, None).is_human());
}
