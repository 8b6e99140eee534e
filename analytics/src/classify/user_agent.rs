//! Device, OS and browser from the `User-Agent` header, using uap-core's regexes (vendored as
//! JSON in `analytics/data/uap-core`, Apache-2.0) run by the `ua-parser` crate.
//!
//! Building the extractor compiles a few hundred regexes (~100 ms), so it happens once per
//! process; results are cached because real traffic repeats a small set of user agents.

use std::sync::Arc;

use moka::sync::Cache;

const REGEXES: &str = include_str!("../../data/uap-core/regexes.json");
/// Distinct user agents remembered; a few MB at most.
const CACHE_ENTRIES: u64 = 20_000;

/// What a user agent says about the software and hardware behind it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agent {
    /// `mobile`, `tablet`, `desktop`, `bot` or `other`.
    pub device: &'static str,
    pub os: String,
    pub browser: String,
    /// A crawler or preview fetcher, by uap-core or by the product's bot list (`botcheck`):
    /// decided once per distinct user agent, with the rest, and cached with it.
    pub crawler: bool,
}

pub struct UserAgentParser {
    extractor: ua_parser::Extractor<'static>,
    cache: Cache<Arc<str>, Arc<Agent>>,
}

static SHARED: std::sync::OnceLock<Result<Arc<UserAgentParser>, String>> =
    std::sync::OnceLock::new();

impl UserAgentParser {
    /// The process-wide parser, built on first use (it is immutable and costly to build: ~150 ms
    /// and ~29 MB, measured by `cargo run --release -p analytics --example heap`).
    pub fn shared() -> Result<Arc<UserAgentParser>, String> {
        SHARED
            .get_or_init(|| UserAgentParser::new().map(Arc::new))
            .clone()
    }

    /// `user_agent` read by the process-wide parser. Should the vendored data ever fail to
    /// compile (a test guards it), the hit is still counted, as an unknown agent.
    pub fn parse_shared(user_agent: &str) -> Arc<Agent> {
        match Self::shared() {
            Ok(parser) => parser.parse(user_agent),
            Err(err) => {
                static REPORTED: std::sync::Once = std::sync::Once::new();
                REPORTED.call_once(|| tracing::error!(%err, "user-agent parser unavailable"));
                Arc::new(Agent {
                    device: "other",
                    os: "Other".to_owned(),
                    browser: "Other".to_owned(),
                    crawler: botcheck::is_bot(user_agent.trim()),
                })
            }
        }
    }

    /// Compiles the vendored regexes. Fails only if the vendored data is broken.
    pub fn new() -> Result<Self, String> {
        let regexes: ua_parser::Regexes<'static> =
            serde_json::from_str(REGEXES).map_err(|e| format!("uap-core regexes: {e}"))?;
        let extractor = ua_parser::Extractor::try_from(regexes)
            .map_err(|e| format!("uap-core regexes: {e}"))?;
        Ok(Self {
            extractor,
            cache: Cache::new(CACHE_ENTRIES),
        })
    }

    pub fn parse(&self, user_agent: &str) -> Arc<Agent> {
        if let Some(hit) = self.cache.get(user_agent) {
            return hit;
        }
        let agent = Arc::new(self.parse_uncached(user_agent));
        self.cache.insert(Arc::from(user_agent), agent.clone());
        agent
    }

    fn parse_uncached(&self, user_agent: &str) -> Agent {
        let (browser, os, device) = self.extractor.extract(user_agent);
        let browser = in_app_browser(user_agent).map_or_else(
            || browser.map_or_else(|| "Other".to_owned(), |b| b.family.into_owned()),
            str::to_owned,
        );
        let os = os.map_or_else(|| "Other".to_owned(), |o| o.os.into_owned());
        let device_family = device.map_or_else(String::new, |d| d.device.into_owned());
        let spider = device_family == "Spider";
        let device = device_type(user_agent, &os, &device_family, spider);
        Agent {
            device,
            os,
            browser,
            crawler: spider || botcheck::is_bot(user_agent.trim()),
        }
    }
}

/// In-app browsers uap-core 0.18 does not name (it reports a generic web view); their markers
/// come from the apps' own user agents.
const IN_APP_MARKERS: &[(&str, &str)] = &[
    ("musical_ly", "TikTok"),
    ("BytedanceWebview", "TikTok"),
    ("AppName/trill", "TikTok"),
];

fn in_app_browser(user_agent: &str) -> Option<&'static str> {
    IN_APP_MARKERS
        .iter()
        .find(|(marker, _)| user_agent.contains(marker))
        .map(|(_, name)| *name)
}

/// uap-core names device models, not form factors; dashboards want the form factor.
fn device_type(user_agent: &str, os: &str, device_family: &str, spider: bool) -> &'static str {
    if spider {
        return "bot";
    }
    match os {
        "iOS" | "iPadOS" if device_family.starts_with("iPad") => "tablet",
        "iOS" | "iPadOS" => "mobile",
        // Android tablets omit "Mobile" from their user agent (Google's own guidance).
        "Android" if user_agent.contains("Mobile") => "mobile",
        "Android" => "tablet",
        "Windows" | "Mac OS X" | "Linux" | "Ubuntu" | "Fedora" | "Chrome OS" | "FreeBSD" => {
            "desktop"
        }
        _ => "other",
    }
}
