//! What a hit is counted by besides time: the one list the writer, the queries, the API and the
//! dashboards' charts all follow. A new dimension is one variant here plus the value it takes from
//! a classified hit; the compiler leads through the rest.

use std::collections::BTreeMap;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::classify::Classified;
use crate::hit::Kind;

/// One breakdown. Declaration order is the order of the API's `by_*` lists and of the charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dimension {
    Device,
    Os,
    Browser,
    Country,
    Referrer,
    Language,
    /// The redirect rule that decided (scans).
    Rule,
    /// The link block followed (clicks).
    Block,
    /// The QR code a microsite view came through, by its short code (views).
    Qr,
}

impl Dimension {
    pub const ALL: [Dimension; 9] = [
        Dimension::Device,
        Dimension::Os,
        Dimension::Browser,
        Dimension::Country,
        Dimension::Referrer,
        Dimension::Language,
        Dimension::Rule,
        Dimension::Block,
        Dimension::Qr,
    ];

    /// Its name in `analytics_rollup_dimensions.dimension` and in the API's `by_<name>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Device => "device",
            Dimension::Os => "os",
            Dimension::Browser => "browser",
            Dimension::Country => "country",
            Dimension::Referrer => "referrer",
            Dimension::Language => "language",
            Dimension::Rule => "rule",
            Dimension::Block => "block",
            Dimension::Qr => "qr",
        }
    }

    pub fn parse(name: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.as_str() == name)
    }

    /// The title of its chart.
    pub fn label(self) -> &'static str {
        match self {
            Dimension::Device => "Device",
            Dimension::Os => "Operating system",
            Dimension::Browser => "Browser",
            Dimension::Country => "Country",
            Dimension::Referrer => "Referrer",
            Dimension::Language => "Language",
            Dimension::Rule => "Redirect rule",
            Dimension::Block => "Clicks by link",
            Dimension::Qr => "Views by QR code",
        }
    }

    /// The value a hit adds to; `None` when the hit has no such thing (a scan has no block).
    /// Absent visitor facts get a visible name rather than vanishing from the breakdown.
    pub fn value_of(self, hit: &Classified) -> Option<&str> {
        match self {
            Dimension::Device => Some(&hit.device),
            Dimension::Os => Some(&hit.os),
            Dimension::Browser => Some(&hit.browser),
            Dimension::Country => hit.country.as_deref().or(self.absent()),
            Dimension::Referrer => hit.referrer.as_deref().or(self.absent()),
            Dimension::Language => hit.language.as_deref().or(self.absent()),
            Dimension::Rule => hit.occurrence.rule.as_deref(),
            Dimension::Block => hit.occurrence.block_id.as_deref(),
            Dimension::Qr => hit.occurrence.qr_code.as_deref(),
        }
    }

    /// The value counted for a hit without this fact (`unknown` country, `direct` referrer);
    /// `None` for dimensions a hit may simply not have (a scan has no block).
    pub fn absent(self) -> Option<&'static str> {
        match self {
            Dimension::Country | Dimension::Language => Some("unknown"),
            Dimension::Referrer => Some("direct"),
            _ => None,
        }
    }

    /// Whether the answer about `kind` lists it as `by_<name>`. Blocks and QR codes are the
    /// owner's own things rather than facts about the audience: a microsite's answer has them
    /// as `clicks_by_block` and `views_by_qr`.
    pub fn is_breakdown_of(self, kind: Kind) -> bool {
        match self {
            Dimension::Rule => kind == Kind::Scan,
            Dimension::Block | Dimension::Qr => false,
            _ => true,
        }
    }
}

/// One human count of a breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Count {
    pub key: String,
    pub count: i64,
}

/// The `by_<dimension>` lists of an answer, in [`Dimension`] order. Flattened into the answer,
/// so the JSON has one field per dimension, as it always had.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Breakdowns(BTreeMap<Dimension, Vec<Count>>);

impl Breakdowns {
    /// Every breakdown of `kind`, each empty.
    pub fn empty(kind: Kind) -> Breakdowns {
        Breakdowns(
            Dimension::ALL
                .into_iter()
                .filter(|d| d.is_breakdown_of(kind))
                .map(|d| (d, Vec::new()))
                .collect(),
        )
    }

    /// Every breakdown of `kind`, filled from `counts` (the others in `counts` are left there).
    pub fn take(kind: Kind, counts: &mut BTreeMap<Dimension, Vec<Count>>) -> Breakdowns {
        let mut out = Breakdowns::empty(kind);
        for (dimension, list) in &mut out.0 {
            *list = counts.remove(dimension).unwrap_or_default();
        }
        out
    }

    pub fn get(&self, dimension: Dimension) -> &[Count] {
        self.0.get(&dimension).map_or(&[], Vec::as_slice)
    }

    pub fn iter(&self) -> impl Iterator<Item = (Dimension, &[Count])> {
        self.0.iter().map(|(d, list)| (*d, list.as_slice()))
    }
}

const PREFIX: &str = "by_";

impl Serialize for Breakdowns {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (dimension, list) in &self.0 {
            map.serialize_entry(&format!("{PREFIX}{}", dimension.as_str()), list)?;
        }
        map.end()
    }
}

/// Reads the `by_<dimension>` fields of a flattened answer and passes over the others, as serde
/// passes over unknown fields.
impl<'de> Deserialize<'de> for Breakdowns {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = Breakdowns;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("`by_<dimension>` lists")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Breakdowns, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    match key.strip_prefix(PREFIX).and_then(Dimension::parse) {
                        Some(dimension) => {
                            out.insert(dimension, map.next_value()?);
                        }
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Breakdowns(out))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// The `by_<dimension>` properties of the answer about a scan, for its OpenAPI schema.
pub(crate) fn scan_schema() -> utoipa::openapi::schema::Object {
    schema_of(Kind::Scan)
}

/// The same for the answer about a microsite's views.
pub(crate) fn view_schema() -> utoipa::openapi::schema::Object {
    schema_of(Kind::View)
}

fn schema_of(kind: Kind) -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder};
    let mut object = ObjectBuilder::new();
    for dimension in Dimension::ALL
        .into_iter()
        .filter(|d| d.is_breakdown_of(kind))
    {
        let name = format!("{PREFIX}{}", dimension.as_str());
        // `Count` is registered by the answers that name it as a field (`clicks_by_block`).
        let items = utoipa::openapi::Ref::from_schema_name("Count");
        object = object
            .property(&name, ArrayBuilder::new().items(items))
            .required(name);
    }
    object.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_distinct() {
        for dimension in Dimension::ALL {
            assert_eq!(Dimension::parse(dimension.as_str()), Some(dimension));
        }
        let mut sorted = Dimension::ALL;
        sorted.sort();
        assert_eq!(sorted, Dimension::ALL, "ALL is in declaration order");
    }

    #[test]
    fn breakdowns_are_flat_by_fields_in_order() {
        let mut counts = BTreeMap::from([(
            Dimension::Os,
            vec![Count {
                key: "iOS".into(),
                count: 2,
            }],
        )]);
        let by = Breakdowns::take(Kind::Scan, &mut counts);
        let json = serde_json::to_string(&by).unwrap();
        assert_eq!(
            json,
            r#"{"by_device":[],"by_os":[{"key":"iOS","count":2}],"by_browser":[],"by_country":[],"by_referrer":[],"by_language":[],"by_rule":[]}"#
        );
        let back: Breakdowns = serde_json::from_str(
            r#"{"total":1,"by_os":[{"key":"iOS","count":2}],"by_planet":[],"by_rule":[]}"#,
        )
        .unwrap();
        assert_eq!(back.get(Dimension::Os), by.get(Dimension::Os));
        assert_eq!(back.iter().count(), 2, "unknown fields are passed over");
        assert!(
            !serde_json::to_string(&Breakdowns::empty(Kind::View))
                .unwrap()
                .contains("rule")
        );
    }
}
