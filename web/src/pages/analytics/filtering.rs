//! Click-to-filter on the dashboards: every breakdown row is a plain link to the same page with
//! its value added (`?range=7d&device=mobile`), the active filters show as removable chips, and
//! the same filters go to the analytics API and the CSV link. Checking the values is analytics'
//! job ([`Filters::from_query`]); a bad value in a hand-made URL is shown like a bad range.

use std::collections::BTreeMap;

use analytics::dimension::Dimension;
use analytics::filter::{Audience, Filters};

use super::world;

/// The page's filters and what links to it need: its path and its range's query.
pub struct Filtering {
    base: String,
    range_query: String,
    pub filters: Filters,
}

/// One active filter: "Country: France ×".
pub struct Chip {
    pub label: &'static str,
    pub value: String,
    /// The page without this filter.
    pub remove_href: String,
}

impl Filtering {
    /// `raw_query` is the page's whole query string; a bad filter value is the error message
    /// (and no filter applies).
    pub fn parse(base: &str, range_query: String, raw_query: &str) -> (Filtering, Option<String>) {
        let (filters, error) = match Filters::from_query(raw_query) {
            Ok(filters) => (filters, None),
            Err(err) => (Filters::default(), Some(err.to_string())),
        };
        (
            Filtering {
                base: base.to_owned(),
                range_query,
                filters,
            },
            error,
        )
    }

    /// The filters as a query suffix (`&country=FR`), empty without filters: appended to the
    /// API's range query and to links that keep the range.
    pub fn suffix(&self) -> String {
        suffix(&self.filters)
    }

    /// This page with `dimension = key` added to its filters.
    pub fn href_with(&self, dimension: Dimension, key: &str) -> String {
        self.href(&self.filters.with(dimension, key))
    }

    pub fn href_with_class(&self, class: Audience) -> String {
        self.href(&self.filters.with_class(class))
    }

    fn href(&self, filters: &Filters) -> String {
        format!("{}?{}{}", self.base, self.range_query, suffix(filters))
    }

    /// The chips of the active filters; `names` gives link blocks their labels.
    pub fn chips(&self, names: &BTreeMap<String, String>) -> Vec<Chip> {
        let mut chips: Vec<Chip> = self
            .filters
            .values()
            .map(|(dimension, value)| Chip {
                label: chip_label(dimension),
                value: shown(dimension, value, names),
                remove_href: self.href(&self.filters.without(dimension)),
            })
            .collect();
        if let Some(class) = self.filters.class() {
            chips.push(Chip {
                label: "Visitors",
                value: class.label().to_owned(),
                remove_href: self.href(&self.filters.without_class()),
            });
        }
        chips
    }
}

fn suffix(filters: &Filters) -> String {
    let query = filters.to_query();
    if query.is_empty() {
        query
    } else {
        format!("&{query}")
    }
}

/// The chip's name of a dimension (shorter than its chart's title).
fn chip_label(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Os => "OS",
        Dimension::Block => "Link",
        Dimension::Qr => "QR code",
        other => other.label(),
    }
}

/// A value as people read it: a country by name, a link block by its label.
pub fn shown(dimension: Dimension, value: &str, names: &BTreeMap<String, String>) -> String {
    match dimension {
        Dimension::Country => world::country_name(value).unwrap_or(value).to_owned(),
        Dimension::Block => names.get(value).map_or(value, String::as_str).to_owned(),
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_add_a_filter_and_chips_remove_one() {
        let (f, error) = Filtering::parse(
            "/app/qr/q1/analytics",
            "range=7d".into(),
            "range=7d&country=fr&block=b1",
        );
        assert!(error.is_none());
        assert_eq!(f.suffix(), "&country=FR&block=b1");
        assert_eq!(
            f.href_with(Dimension::Device, "mobile"),
            "/app/qr/q1/analytics?range=7d&device=mobile&country=FR&block=b1"
        );
        let names = BTreeMap::from([("b1".to_owned(), "Shop & more".to_owned())]);
        let chips = f.chips(&names);
        assert_eq!(chips.len(), 2);
        assert_eq!(
            (chips[0].label, chips[0].value.as_str()),
            ("Country", "France")
        );
        assert_eq!(
            chips[0].remove_href,
            "/app/qr/q1/analytics?range=7d&block=b1"
        );
        assert_eq!(
            (chips[1].label, chips[1].value.as_str()),
            ("Link", "Shop & more")
        );
    }

    #[test]
    fn a_bad_value_is_an_error_and_no_filter() {
        let (f, error) = Filtering::parse("/p", "range=7d".into(), "device=toaster");
        assert!(error.unwrap().contains("device"));
        assert!(f.filters.is_empty());
        assert_eq!(f.suffix(), "");
    }
}
