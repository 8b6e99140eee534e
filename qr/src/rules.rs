//! Redirect rules: what a scan of a dynamic code resolves to. Evaluated in order — pause, expiry,
//! scan limit, then the routes (device, country, schedule; first match wins), else the
//! destination — and then UTM fields and the scan's own query string are applied. Pure functions
//! over a [`ScanContext`], so every rule is tested without HTTP. A password (checked by the
//! redirect's form, see `gate`) comes after all of these: an expired code asks for nothing.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::destination::{Blocklist, Destination, DestinationError};
use crate::error::QrError;
use crate::experiments;
pub use crate::experiments::Variant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Day {
    pub const ALL: [Day; 7] = [
        Day::Mon,
        Day::Tue,
        Day::Wed,
        Day::Thu,
        Day::Fri,
        Day::Sat,
        Day::Sun,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Day::Mon => "mon",
            Day::Tue => "tue",
            Day::Wed => "wed",
            Day::Thu => "thu",
            Day::Fri => "fri",
            Day::Sat => "sat",
            Day::Sun => "sun",
        }
    }

    fn of(weekday: jiff::civil::Weekday) -> Day {
        Day::ALL[weekday.to_monday_zero_offset() as usize]
    }

    fn before(self) -> Day {
        Day::ALL[(self as usize + 6) % 7]
    }
}

/// When a route applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Condition {
    Device {
        device: Device,
    },
    /// The scanner's country (ISO 3166-1 alpha-2), from the client address.
    Country {
        country: String,
    },
    /// A local time window `from`–`to` (`HH:MM`, `to` exclusive) on `days` (none = every day)
    /// in the IANA `time_zone`. A window with `to` before `from` crosses midnight and belongs
    /// to the day it starts on (`fri 22:00–02:00` includes Saturday 01:00).
    Schedule {
        #[serde(default)]
        days: Vec<Day>,
        from: String,
        to: String,
        time_zone: String,
    },
}

impl Condition {
    fn matches(&self, device: Device, scan: &ScanContext<'_>) -> bool {
        match self {
            Condition::Device { device: wanted } => *wanted == device,
            Condition::Country { country } => scan.country == Some(country.as_str()),
            Condition::Schedule {
                days,
                from,
                to,
                time_zone,
            } => in_window(scan.now_ms, days, from, to, time_zone),
        }
    }

    fn rule_name(&self, device: Device) -> String {
        match self {
            Condition::Device { .. } => format!("device:{}", device.name()),
            Condition::Country { country } => format!("country:{country}"),
            Condition::Schedule { .. } => "schedule".to_owned(),
        }
    }

    /// Whether evaluating the routes needs the scanner's country (so the redirect looks it up
    /// only for codes that route by it).
    pub fn needs_country(&self) -> bool {
        matches!(self, Condition::Country { .. })
    }
}

/// Minutes since midnight of an `HH:MM` time (00:00–23:59).
pub fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

fn in_window(now_ms: i64, days: &[Day], from: &str, to: &str, time_zone: &str) -> bool {
    let (Some(from), Some(to)) = (parse_hhmm(from), parse_hhmm(to)) else {
        return false;
    };
    let (Ok(tz), Ok(now)) = (
        TimeZone::get(time_zone),
        Timestamp::from_millisecond(now_ms),
    ) else {
        return false;
    };
    let local = now.to_zoned(tz);
    let minute =
        u16::try_from(i16::from(local.hour()) * 60 + i16::from(local.minute())).unwrap_or(0);
    let today = Day::of(local.weekday());
    let on = |day: Day| days.is_empty() || days.contains(&day);
    if from < to {
        on(today) && (from..to).contains(&minute)
    } else {
        // Crosses midnight: the evening part is today's window, the small hours yesterday's.
        (on(today) && minute >= from) || (on(today.before()) && minute < to)
    }
}

/// ISO 3166-1 alpha-2 codes officially assigned (2024), for validating country rules.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ \
BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ \
DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT \
GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY \
KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX \
MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS \
RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN \
TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

fn is_country(code: &str) -> bool {
    code.len() == 2 && COUNTRIES.split_ascii_whitespace().any(|c| c == code)
}

/// The country codes a country route takes, in order (for pickers).
pub fn country_codes() -> impl Iterator<Item = &'static str> {
    COUNTRIES.split_ascii_whitespace()
}

// No `deny_unknown_fields` here: serde cannot combine it with `flatten`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Route {
    #[serde(flatten)]
    pub when: Condition,
    pub url: String,
}

/// Open Graph fields shown to link-preview bots instead of the redirect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preview {
    pub title: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    pub routes: Vec<Route>,
    /// Epoch milliseconds after which the code no longer redirects.
    pub expires_at: Option<i64>,
    /// Where an expired code goes instead of the "expired" page.
    pub expired_url: Option<String>,
    /// The IANA zone the owner thinks in: `expires_at` (always an instant) is shown back in it.
    /// Display only; it never changes what a scan resolves to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Human scans after which the code stops redirecting.
    pub max_scans: Option<u64>,
    /// Pass the scan URL's query string on to the destination.
    pub forward_query: bool,
    pub preview: Option<Preview>,
    /// Write-only: a new password scanners must type first (`""` removes it). The service
    /// hashes it and clears this field; it is never stored or shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The argon2 hash of the password. Stored; the API shows only whether there is one, and
    /// a value sent by a client is ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    /// An A/B split of the default destination (the `experiments` feature, see
    /// [`crate::experiments`]): used instead of the destination when no route matched.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Variant>,
}

/// UTM fields appended to the destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Utm {
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub term: Option<String>,
    pub content: Option<String>,
}

pub const MAX_ROUTES: usize = 20;
pub const PASSWORD_LEN: std::ops::RangeInclusive<usize> = 4..=128;

fn url_error(field: String) -> impl FnOnce(DestinationError) -> QrError {
    move |source| QrError::Destination { field, source }
}

impl Rules {
    /// Validates every URL in the rules (the same checks as a destination), each condition and
    /// the bounds; country codes come back upper-cased. Errors name the field
    /// (`rules.routes[2].country`).
    pub fn validated(mut self, blocklist: &Blocklist) -> Result<Rules, QrError> {
        if self.routes.len() > MAX_ROUTES {
            return Err(QrError::invalid(
                "rules.routes",
                format!("at most {MAX_ROUTES} routes"),
            ));
        }
        for (i, route) in self.routes.iter_mut().enumerate() {
            let at = |name: &str| format!("rules.routes[{i}].{name}");
            Destination::parse(&route.url, blocklist).map_err(url_error(at("url")))?;
            match &mut route.when {
                Condition::Device { .. } => {}
                Condition::Country { country } => {
                    *country = country.trim().to_ascii_uppercase();
                    if !is_country(country) {
                        return Err(QrError::invalid(
                            at("country"),
                            "use a two-letter ISO 3166 country code, e.g. DE",
                        ));
                    }
                }
                Condition::Schedule {
                    days,
                    from,
                    to,
                    time_zone,
                } => {
                    let start = parse_hhmm(from).ok_or_else(|| {
                        QrError::invalid(at("from"), "use a 24-hour time like 09:00")
                    })?;
                    let end = parse_hhmm(to).ok_or_else(|| {
                        QrError::invalid(at("to"), "use a 24-hour time like 17:30")
                    })?;
                    if start == end {
                        return Err(QrError::invalid(
                            at("to"),
                            "the window must end at a different time than it starts",
                        ));
                    }
                    if TimeZone::get(time_zone).is_err() {
                        return Err(QrError::invalid(
                            at("time_zone"),
                            "use an IANA time zone, e.g. Europe/Berlin",
                        ));
                    }
                    days.sort_by_key(|d| *d as u8);
                    days.dedup();
                }
            }
        }
        if let Some(url) = &self.expired_url {
            Destination::parse(url, blocklist).map_err(url_error("rules.expired_url".into()))?;
        }
        if let Some(zone) = &self.time_zone
            && TimeZone::get(zone).is_err()
        {
            return Err(QrError::invalid(
                "rules.time_zone",
                "use an IANA time zone, e.g. Europe/Berlin",
            ));
        }
        self.variants = experiments::validated(std::mem::take(&mut self.variants), blocklist)?;
        if let Some(password) = &self.password
            && !password.is_empty()
            && !PASSWORD_LEN.contains(&password.chars().count())
        {
            return Err(QrError::invalid(
                "rules.password",
                "the password must be 4–128 characters",
            ));
        }
        Ok(self)
    }

    /// Whether scanners must type a password first.
    pub fn has_password(&self) -> bool {
        self.password_hash.is_some()
    }

    /// Whether evaluating needs the scanner's country.
    pub fn needs_country(&self) -> bool {
        self.routes.iter().any(|r| r.when.needs_country())
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
    /// The scanner's country (ISO 3166-1 alpha-2), when known and needed.
    pub country: Option<&'a str>,
    /// The scanner's A/B key for today when the code's test runs (flag on), else `None`.
    pub visitor: Option<u64>,
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

/// Whether a code answers scans, and if not why: the checks a scan meets first, in the order
/// [`evaluate`] applies them (so the dashboard's badge and the redirect always agree).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Paused,
    Expired,
    LimitReached,
}

impl Status {
    /// `paused` beats expiry, which beats the scan limit, as for a scan at `now_ms` after
    /// `human_scans` counted ones.
    pub fn of(paused: bool, rules: &Rules, now_ms: i64, human_scans: u64) -> Status {
        if paused {
            Status::Paused
        } else if rules.expires_at.is_some_and(|at| now_ms >= at) {
            Status::Expired
        } else if rules.max_scans.is_some_and(|max| human_scans >= max) {
            Status::LimitReached
        } else {
            Status::Active
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
    match Status::of(paused, rules, scan.now_ms, scan.human_scans) {
        Status::Paused => return Outcome::Paused,
        Status::Expired => {
            return match &rules.expired_url {
                Some(url) => Outcome::Redirect {
                    url: url.clone(),
                    rule: "expired_url".into(),
                },
                None => Outcome::Expired,
            };
        }
        Status::LimitReached => return Outcome::LimitReached,
        Status::Active => {}
    }
    let device = Device::of(scan.user_agent);
    let (base, rule) = rules
        .routes
        .iter()
        .find(|route| route.when.matches(device, scan))
        .map_or_else(
            || split(destination, rules, scan.visitor),
            |route| (route.url.as_str(), route.when.rule_name(device)),
        );
    Outcome::Redirect {
        url: decorate(
            base,
            utm,
            rules.forward_query.then_some(scan.query).flatten(),
        ),
        rule,
    }
}

/// Where an unrouted scan goes: its variant (`variant:<n>`, 1-based) when an A/B test runs
/// for this scanner, else the destination.
fn split<'r>(destination: &'r str, rules: &'r Rules, visitor: Option<u64>) -> (&'r str, String) {
    let weights: Vec<u32> = rules.variants.iter().map(|v| v.weight).collect();
    match visitor.and_then(|key| experiments::choose(key, &weights)) {
        Some(i) => (rules.variants[i].url.as_str(), format!("variant:{}", i + 1)),
        None => (destination, "default".to_owned()),
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
    fn the_status_names_what_stops_a_scan_in_the_same_order() {
        let mut rules = Rules {
            expires_at: Some(1_000),
            max_scans: Some(5),
            ..Rules::default()
        };
        assert_eq!(Status::of(false, &rules, 999, 4), Status::Active);
        assert_eq!(Status::of(false, &rules, 999, 5), Status::LimitReached);
        assert_eq!(Status::of(false, &rules, 1_000, 5), Status::Expired);
        assert_eq!(Status::of(true, &rules, 1_000, 5), Status::Paused);
        rules.expired_url = Some("https://example.com/over".into());
        // Expired with somewhere else to go is still expired: the badge says why it moved.
        assert_eq!(Status::of(false, &rules, 2_000, 0), Status::Expired);
    }

    #[test]
    fn the_owners_time_zone_must_be_a_real_one() {
        let blocklist = Blocklist::default();
        let zoned = |zone: &str| Rules {
            time_zone: Some(zone.into()),
            ..Rules::default()
        };
        assert!(zoned("America/New_York").validated(&blocklist).is_ok());
        let err = zoned("Mars/Olympus").validated(&blocklist).unwrap_err();
        assert!(err.to_string().contains("IANA"), "{err}");
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
        assert!(
            matches!(err, QrError::Destination { field, .. } if field == "rules.routes[0].url")
        );
        let unknown = serde_json::from_value::<Rules>(serde_json::json!({"routez": []}));
        assert!(unknown.is_err());
    }

    fn rules(value: serde_json::Value) -> Rules {
        serde_json::from_value::<Rules>(value)
            .unwrap()
            .validated(&Blocklist::default())
            .unwrap()
    }

    fn field_of(value: serde_json::Value) -> String {
        let err = serde_json::from_value::<Rules>(value)
            .unwrap()
            .validated(&Blocklist::default())
            .unwrap_err();
        match err {
            QrError::Invalid { field, .. } | QrError::Destination { field, .. } => field,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn country_routes_match_the_scanners_country_first_match_wins() {
        let rules = rules(serde_json::json!({"routes": [
            {"type": "device", "device": "ios", "url": "https://example.com/ios"},
            {"type": "country", "country": "de", "url": "https://example.de/"},
            {"type": "country", "country": "AT", "url": "https://example.at/"}
        ]}));
        assert!(rules.needs_country());
        let dest = "https://example.com/";
        let mut ctx = scan(DESKTOP);
        ctx.country = Some("DE");
        let out = evaluate(dest, false, &rules, None, &ctx);
        assert_eq!(out.rule(), "country:DE");
        assert_eq!(url(out), "https://example.de/");
        // An iPhone in Germany meets the device route first.
        let mut ctx = scan(IPHONE);
        ctx.country = Some("DE");
        assert_eq!(
            url(evaluate(dest, false, &rules, None, &ctx)),
            "https://example.com/ios"
        );
        ctx = scan(DESKTOP);
        ctx.country = None;
        assert_eq!(url(evaluate(dest, false, &rules, None, &ctx)), dest);
    }

    #[test]
    fn bad_countries_are_refused_naming_the_route() {
        let value = serde_json::json!({"routes": [
            {"type": "device", "device": "ios", "url": "https://example.com/ios"},
            {"type": "device", "device": "android", "url": "https://example.com/a"},
            {"type": "country", "country": "XX", "url": "https://example.com/"}
        ]});
        assert_eq!(field_of(value), "rules.routes[2].country");
        let value = serde_json::json!({"routes": [
            {"type": "country", "country": "<b>", "url": "https://example.com/"}
        ]});
        assert_eq!(field_of(value), "rules.routes[0].country");
    }

    /// 2026-11-27 is a Friday. Berlin is UTC+1 in November.
    fn at_berlin(day: u8, hour: u8, minute: u8) -> i64 {
        let text = format!("2026-11-{day:02}T{hour:02}:{minute:02}:00+01:00[Europe/Berlin]");
        text.parse::<jiff::Zoned>()
            .unwrap()
            .timestamp()
            .as_millisecond()
    }

    #[test]
    fn schedules_follow_local_time_days_and_midnight() {
        let office = rules(serde_json::json!({"routes": [
            {"type": "schedule", "days": ["mon", "tue", "wed", "thu", "fri"],
             "from": "09:00", "to": "17:30", "time_zone": "Europe/Berlin",
             "url": "https://example.com/open"}
        ]}));
        let dest = "https://example.com/closed";
        let at = |ms: i64| {
            let mut ctx = scan(DESKTOP);
            ctx.now_ms = ms;
            evaluate(dest, false, &office, None, &ctx)
        };
        assert_eq!(at(at_berlin(27, 9, 0)).rule(), "schedule");
        assert_eq!(url(at(at_berlin(27, 17, 29))), "https://example.com/open");
        assert_eq!(url(at(at_berlin(27, 17, 30))), dest, "the end is exclusive");
        assert_eq!(url(at(at_berlin(27, 8, 59))), dest);
        assert_eq!(
            url(at(at_berlin(28, 10, 0))),
            dest,
            "Saturday is not listed"
        );

        let late = rules(serde_json::json!({"routes": [
            {"type": "schedule", "days": ["fri"], "from": "22:00", "to": "02:00",
             "time_zone": "Europe/Berlin", "url": "https://example.com/late"}
        ]}));
        let at = |ms: i64| {
            let mut ctx = scan(DESKTOP);
            ctx.now_ms = ms;
            url(evaluate(dest, false, &late, None, &ctx))
        };
        assert_eq!(at(at_berlin(27, 23, 0)), "https://example.com/late");
        assert_eq!(
            at(at_berlin(28, 1, 59)),
            "https://example.com/late",
            "Friday night runs into Saturday"
        );
        assert_eq!(at(at_berlin(28, 2, 0)), dest);
        assert_eq!(
            at(at_berlin(28, 23, 0)),
            dest,
            "Saturday evening is not Friday's"
        );
        assert_eq!(
            at(at_berlin(27, 1, 0)),
            dest,
            "Friday's small hours belong to Thursday"
        );
    }

    #[test]
    fn bad_schedules_name_the_field() {
        let route = |from: &str, to: &str, tz: &str| {
            serde_json::json!({"routes": [{"type": "schedule", "from": from, "to": to,
                "time_zone": tz, "url": "https://example.com/"}]})
        };
        assert_eq!(
            field_of(route("9am", "17:00", "UTC")),
            "rules.routes[0].from"
        );
        assert_eq!(
            field_of(route("09:00", "24:00", "UTC")),
            "rules.routes[0].to"
        );
        assert_eq!(
            field_of(route("09:00", "09:00", "UTC")),
            "rules.routes[0].to"
        );
        assert_eq!(
            field_of(route("09:00", "17:00", "Mars/Olympus")),
            "rules.routes[0].time_zone"
        );
        assert_eq!(
            field_of(serde_json::json!({"password": "abc"})),
            "rules.password"
        );
    }
}
