//! Redirect rules: what a scan of a dynamic code resolves to. Evaluated in order — pause, expiry,
//! scan limit, then the routes (first match wins), else the destination — and then UTM fields
//! and the scan's own query string are applied. Pure functions over a [`ScanContext`], so every
//! rule is tested without HTTP.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::destination::{Blocklist, Destination, DestinationError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    Ios,
    Android,
    Desktop,
}

impl Device {
    /// The scanner's platform from its user agent (only what routing needs).
    pub fn of(user_agent: &str) -> Device {
        let ua = user_agent.to_ascii_lowercase();
        if ua.contains("iphone") || ua.contains("ipad") || ua.contains("ipod") {
            Device::Ios
        } else if ua.contains("android") {
            Device::Android
        } else {
            Device::Desktop
        }
    }

    fn name(self) -> &'static str {
        match self {
            Device::Ios => "ios",
            Device::Android => "android",
            Device::Desktop => "desktop",
        }
    }
}

/// When a route applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Condition {
    Device { device: Device },
}

// No `deny_unknown_fields` here: serde cannot combine it with `flatten`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    #[serde(flatten)]
    pub when: Condition,
    pub url: String,
}

/// Open Graph fields shown to link-preview bots instead of the redirect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preview {
    pub title: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    pub routes: Vec<Route>,
    /// Epoch milliseconds after which the code no longer redirects.
    pub expires_at: Option<i64>,
    /// Where an expired code goes instead of the "expired" page.
    pub expired_url: Option<String>,
    /// Human scans after which the code stops redirecting.
    pub max_scans: Option<u64>,
    /// Pass the scan URL's query string on to the destination.
    pub forward_query: bool,
    pub preview: Option<Preview>,
}

/// UTM fields appended to the destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Utm {
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub term: Option<String>,
    pub content: Option<String>,
}

pub const MAX_ROUTES: usize = 20;

impl Rules {
    /// Validates every URL in the rules (the same checks as a destination) and the bounds.
    pub fn validated(self, blocklist: &Blocklist) -> Result<Rules, (String, DestinationError)> {
        if self.routes.len() > MAX_ROUTES {
            return Err(("rules.routes".into(), DestinationError::TooLong));
        }
        for (i, route) in self.routes.iter().enumerate() {
            Destination::parse(&route.url, blocklist)
                .map_err(|e| (format!("rules.routes[{i}].url"), e))?;
        }
        if let Some(url) = &self.expired_url {
            Destination::parse(url, blocklist).map_err(|e| ("rules.expired_url".into(), e))?;
        }
        Ok(self)
    }
}

impl Utm {
    fn pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("utm_source", &self.source),
            ("utm_medium", &self.medium),
            ("utm_campaign", &self.campaign),
            ("utm_term", &self.term),
            ("utm_content", &self.content),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (k, v)))
    }
}

/// What the redirect needs to know about one scan.
#[derive(Debug, Clone, Default)]
pub struct ScanContext<'a> {
    pub now_ms: i64,
    pub user_agent: &'a str,
    pub query: Option<&'a str>,
    /// Human scans so far (for `max_scans`).
    pub human_scans: u64,
}

/// What a scan resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 302 to this URL; `rule` names what decided (`default`, `device:ios`, `expired_url`).
    Redirect {
        url: String,
        rule: String,
    },
    Paused,
    Expired,
    LimitReached,
}

impl Outcome {
    pub fn rule(&self) -> &str {
        match self {
            Outcome::Redirect { rule, .. } => rule,
            Outcome::Paused => "paused",
            Outcome::Expired => "expired",
            Outcome::LimitReached => "max_scans",
        }
    }
}

pub fn evaluate(
    destination: &str,
    paused: bool,
    rules: &Rules,
    utm: Option<&Utm>,
    scan: &ScanContext<'_>,
) -> Outcome {
    if paused {
        return Outcome::Paused;
    }
    if rules.expires_at.is_some_and(|at| scan.now_ms >= at) {
        return match &rules.expired_url {
            Some(url) => Outcome::Redirect {
                url: url.clone(),
                rule: "expired_url".into(),
            },
            None => Outcome::Expired,
        };
    }
    if rules.max_scans.is_some_and(|max| scan.human_scans >= max) {
        return Outcome::LimitReached;
    }
    let device = Device::of(scan.user_agent);
    let (base, rule) = rules
        .routes
        .iter()
        .find(|route| match &route.when {
            Condition::Device { device: wanted } => *wanted == device,
        })
        .map_or((destination, "default".to_owned()), |route| {
            (route.url.as_str(), format!("device:{}", device.name()))
        });
    Outcome::Redirect {
        url: decorate(
            base,
            utm,
            rules.forward_query.then_some(scan.query).flatten(),
        ),
        rule,
    }
}

/// Appends UTM fields (without overriding ones the URL already has) and a forwarded query.
fn decorate(base: &str, utm: Option<&Utm>, forwarded: Option<&str>) -> String {
    let Ok(mut url) = Url::parse(base) else {
        return base.to_owned();
    };
    let existing: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    {
        let mut pairs = url.query_pairs_mut();
        if let Some(utm) = utm {
            for (key, value) in utm.pairs() {
                if !existing.iter().any(|k| k == key) {
                    pairs.append_pair(key, value);
                }
            }
        }
        if let Some(query) = forwarded {
            for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
                pairs.append_pair(&key, &value);
            }
        }
    }
    if url.query() == Some("") {
        url.set_query(None);
    }
    url.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const IPHONE: &str =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15";
    const ANDROID: &str =
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile";
    const DESKTOP: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120";

    fn scan(ua: &str) -> ScanContext<'_> {
        ScanContext {
            now_ms: 1_000,
            user_agent: ua,
            ..Default::default()
        }
    }

    fn url(outcome: Outcome) -> String {
        match outcome {
            Outcome::Redirect { url, .. } => url,
            other => panic!("expected a redirect, got {other:?}"),
        }
    }

    #[test]
    fn device_routes_send_phones_to_their_stores() {
        let rules: Rules = serde_json::from_value(serde_json::json!({"routes": [
            {"type": "device", "device": "ios", "url": "https://apps.apple.com/app/x"},
            {"type": "device", "device": "android", "url": "https://play.google.com/store/x"}
        ]}))
        .unwrap();
        let dest = "https://example.com/";
        assert_eq!(
            url(evaluate(dest, false, &rules, None, &scan(IPHONE))),
            "https://apps.apple.com/app/x"
        );
        assert_eq!(
            url(evaluate(dest, false, &rules, None, &scan(ANDROID))),
            "https://play.google.com/store/x"
        );
        let desktop = evaluate(dest, false, &rules, None, &scan(DESKTOP));
        assert_eq!(desktop.rule(), "default");
        assert_eq!(url(desktop), dest);
    }

    #[test]
    fn pause_expiry_and_limits_come_first() {
        let dest = "https://example.com/";
        let mut rules = Rules::default();
        assert_eq!(
            evaluate(dest, true, &rules, None, &scan(DESKTOP)),
            Outcome::Paused
        );
        rules.expires_at = Some(500);
        assert_eq!(
            evaluate(dest, false, &rules, None, &scan(DESKTOP)),
            Outcome::Expired
        );
        rules.expired_url = Some("https://example.com/sorry".into());
        assert_eq!(
            url(evaluate(dest, false, &rules, None, &scan(DESKTOP))),
            "https://example.com/sorry"
        );
        let rules = Rules {
            max_scans: Some(3),
            ..Rules::default()
        };
        let mut ctx = scan(DESKTOP);
        ctx.human_scans = 2;
        assert!(matches!(
            evaluate(dest, false, &rules, None, &ctx),
            Outcome::Redirect { .. }
        ));
        ctx.human_scans = 3;
        assert_eq!(
            evaluate(dest, false, &rules, None, &ctx),
            Outcome::LimitReached
        );
    }

    #[test]
    fn utm_and_forwarded_queries_are_appended() {
        let utm = Utm {
            source: Some("poster".into()),
            campaign: Some("spring sale".into()),
            ..Utm::default()
        };
        let rules = Rules {
            forward_query: true,
            ..Rules::default()
        };
        let mut ctx = scan(DESKTOP);
        ctx.query = Some("table=4");
        let out = url(evaluate(
            "https://example.com/menu?utm_source=keep",
            false,
            &rules,
            Some(&utm),
            &ctx,
        ));
        assert_eq!(
            out,
            "https://example.com/menu?utm_source=keep&utm_campaign=spring+sale&table=4"
        );
    }

    #[test]
    fn rule_urls_are_validated_like_destinations() {
        let rules: Rules = serde_json::from_value(serde_json::json!({"routes": [
            {"type": "device", "device": "ios", "url": "javascript:alert(1)"}
        ]}))
        .unwrap();
        let err = rules.validated(&Blocklist::default()).unwrap_err();
        assert_eq!(err.0, "rules.routes[0].url");
        let unknown = serde_json::from_value::<Rules>(serde_json::json!({"routez": []}));
        assert!(unknown.is_err());
    }
}
