//! Filters: "only these scans" (`?country=FR&device=mobile&class=human`), applied to every number
//! of an answer and to the CSV export. What can be filtered is [`Dimension`] (one query parameter
//! per dimension, under its name) plus `class`, people or bots. Several filters combine with AND.
//! Values are checked here once; a bad one is a 422 naming the parameter.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::dimension::Dimension;
use crate::error::AnalyticsError;

/// Longest accepted filter value (stored labels are cut shorter than this).
const VALUE_MAX: usize = 200;

/// The device types the classifier gives (`classify::user_agent`).
pub const DEVICES: [&str; 5] = ["mobile", "tablet", "desktop", "bot", "other"];

/// Who the events came from: the `class` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Audience {
    /// Counted as people (`human_scans`).
    Human,
    /// Crawlers, link previews, prefetches and scripts (`bot_scans`).
    Bot,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Human => "human",
            Audience::Bot => "bot",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Audience::Human => "People",
            Audience::Bot => "Bots",
        }
    }
}

/// The `class` parameter's name.
pub const CLASS: &str = "class";

/// Checked filters, at most one value per dimension. Empty: no filter (the rollups answer).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    values: BTreeMap<Dimension, String>,
    class: Option<Audience>,
}

impl Filters {
    /// The filters among a query string's parameters (`a=1&country=FR`); other parameters (the
    /// range's) are left to their own parser. An empty value is no filter, as an empty form
    /// field sends it.
    pub fn from_query(query: &str) -> Result<Filters, AnalyticsError> {
        let mut out = Filters::default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            if name == CLASS {
                let class = match value {
                    "human" => Audience::Human,
                    "bot" => Audience::Bot,
                    _ => return Err(AnalyticsError::invalid(CLASS, "one of human, bot")),
                };
                if out.class.replace(class).is_some_and(|c| c != class) {
                    return Err(AnalyticsError::invalid(CLASS, "given twice"));
                }
            } else if let Some(dimension) = Dimension::parse(&name) {
                let value = checked(dimension, value)?;
                if let Some(before) = out.values.insert(dimension, value.clone())
                    && before != value
                {
                    return Err(AnalyticsError::invalid(
                        dimension.as_str(),
                        "one value per filter (filters combine with AND)",
                    ));
                }
            }
        }
        Ok(out)
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty() && self.class.is_none()
    }

    pub fn class(&self) -> Option<Audience> {
        self.class
    }

    pub fn get(&self, dimension: Dimension) -> Option<&str> {
        self.values.get(&dimension).map(String::as_str)
    }

    /// The dimension filters, in [`Dimension`] order.
    pub fn values(&self) -> impl Iterator<Item = (Dimension, &str)> {
        self.values.iter().map(|(d, v)| (*d, v.as_str()))
    }

    /// These filters and `dimension = value` (replacing an earlier value of it).
    pub fn with(&self, dimension: Dimension, value: &str) -> Filters {
        let mut out = self.clone();
        out.values.insert(dimension, value.to_owned());
        out
    }

    pub fn with_class(&self, class: Audience) -> Filters {
        Filters {
            class: Some(class),
            ..self.clone()
        }
    }

    pub fn without(&self, dimension: Dimension) -> Filters {
        let mut out = self.clone();
        out.values.remove(&dimension);
        out
    }

    pub fn without_class(&self) -> Filters {
        Filters {
            class: None,
            ..self.clone()
        }
    }

    /// As query parameters (`country=FR&device=mobile`, encoded), empty when there are none.
    pub fn to_query(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (dimension, value) in &self.values {
            query.append_pair(dimension.as_str(), value);
        }
        if let Some(class) = self.class {
            query.append_pair(CLASS, class.as_str());
        }
        query.finish()
    }
}

/// One value, checked for its dimension. Countries are ISO codes (upper-cased) or `unknown`;
/// devices are the classifier's types; the others are labels as the breakdowns show them.
fn checked(dimension: Dimension, value: &str) -> Result<String, AnalyticsError> {
    let field = dimension.as_str();
    if value.chars().count() > VALUE_MAX || value.chars().any(char::is_control) {
        return Err(AnalyticsError::invalid(
            field,
            format!("at most {VALUE_MAX} characters, no control characters"),
        ));
    }
    match dimension {
        Dimension::Country => {
            if value == "unknown" {
                return Ok(value.to_owned());
            }
            if value.len() == 2 && value.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Ok(value.to_ascii_uppercase());
            }
            Err(AnalyticsError::invalid(
                field,
                "a two-letter country code such as FR, or unknown",
            ))
        }
        Dimension::Device if !DEVICES.contains(&value) => Err(AnalyticsError::invalid(
            field,
            format!("one of {}", DEVICES.join(", ")),
        )),
        _ => Ok(value.to_owned()),
    }
}

/// The filter parameters of the analytics routes, for the OpenAPI document (the routes read them
/// with [`Filters::from_query`]; a test keeps this list equal to [`Dimension::ALL`]).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Read through `Filters`, declared for the document.
pub struct FilterParams {
    /// Device type: mobile, tablet, desktop, bot or other.
    device: Option<String>,
    /// Operating system, as the `by_os` breakdown names it (`iOS`).
    os: Option<String>,
    /// Browser, as `by_browser` names it.
    browser: Option<String>,
    /// ISO 3166-1 alpha-2 country code (`FR`), or `unknown`.
    country: Option<String>,
    /// Referring domain, or `direct`.
    referrer: Option<String>,
    /// Preferred language (`de`), or `unknown`.
    language: Option<String>,
    /// The redirect rule that decided a scan.
    rule: Option<String>,
    /// A link block's id (clicks).
    block: Option<String>,
    /// The short code of the QR code a page view came through.
    qr: Option<String>,
    /// `human` or `bot`.
    class: Option<String>,
}

/// Axum extractor: the request's filters, or the 422 that says which one is wrong.
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Filters {
    type Rejection = AnalyticsError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Filters::from_query(parts.uri.query().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::IntoParams;

    fn field_of(query: &str) -> String {
        match Filters::from_query(query) {
            Err(AnalyticsError::Invalid { field, .. }) => field.to_owned(),
            other => panic!("{query}: {other:?}"),
        }
    }

    #[test]
    fn every_dimension_is_a_filter_and_round_trips() {
        let mut query = Vec::new();
        for dimension in Dimension::ALL {
            let value = match dimension {
                Dimension::Country => "FR",
                Dimension::Device => "mobile",
                _ => "a b&c",
            };
            let one = Filters::from_query(&format!(
                "{}={}",
                dimension.as_str(),
                url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>()
            ))
            .unwrap();
            assert_eq!(one.get(dimension), Some(value), "{dimension:?}");
            query.push(one.to_query());
        }
        let all =
            Filters::from_query(&format!("{}&class=bot&from=2026-01-01", query.join("&"))).unwrap();
        assert_eq!(all.values().count(), Dimension::ALL.len());
        assert_eq!(all.class(), Some(Audience::Bot));
        assert_eq!(Filters::from_query(&all.to_query()).unwrap(), all);
        let emptied = Dimension::ALL
            .into_iter()
            .fold(all.without_class(), |f, d| f.without(d));
        assert!(emptied.is_empty());
        assert_eq!(emptied.to_query(), "");
    }

    #[test]
    fn the_documented_parameters_are_the_filters() {
        let documented: Vec<String> = FilterParams::into_params(|| None)
            .into_iter()
            .map(|p| p.name)
            .collect();
        let mut expected: Vec<String> = Dimension::ALL
            .into_iter()
            .map(|d| d.as_str().to_owned())
            .collect();
        expected.push(CLASS.to_owned());
        assert_eq!(documented, expected);
    }

    #[test]
    fn bad_values_name_their_parameter() {
        assert_eq!(field_of("country=France"), "country");
        assert_eq!(field_of("country=F1"), "country");
        assert_eq!(field_of("device=toaster"), "device");
        assert_eq!(field_of("class=robots"), "class");
        assert_eq!(field_of("os=iOS&os=Android"), "os");
        assert_eq!(field_of("browser=%00x"), "browser");
        assert_eq!(
            field_of(&format!("referrer={}", "a".repeat(201))),
            "referrer"
        );
    }

    #[test]
    fn countries_are_upper_cased_and_empty_values_ignored() {
        let f = Filters::from_query("country=fr&os=&tz=UTC").unwrap();
        assert_eq!(f.get(Dimension::Country), Some("FR"));
        assert_eq!(f.get(Dimension::Os), None);
        assert!(Filters::from_query("country=unknown").is_ok());
        assert!(Filters::from_query("").unwrap().is_empty());
    }
}
