//! Code editing: what a create or an edit may set ([`Changes`]) and the checks that turn it into
//! a valid [`QrCode`]. Pure: no storage, no other service; the workflow around it (microsite
//! lookups, password hashing, storage, cache invalidation) is in `service`.

use shared::features::Features;

use crate::contract::Changes;
use crate::destination::{Blocklist, Destination};
use crate::error::QrError;
use crate::model::{Content, Kind, QrCode};
use crate::render::Matrix;
use crate::rules::Utm;

pub const MAX_NAME: usize = 120;
pub const MAX_TAGS: usize = 10;
pub const MAX_TAG_LEN: usize = 32;
pub const MAX_UTM: usize = 100;

/// A code's name: trimmed, 1–[`MAX_NAME`] characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeName(String);

impl CodeName {
    pub fn parse(raw: &str) -> Result<Self, QrError> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            return Err(QrError::invalid(
                "name",
                format!("the name must be 1–{MAX_NAME} characters"),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(QrError::invalid(
                "name",
                "the name cannot contain control characters",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// One UTM value: at most [`MAX_UTM`] characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UtmValue(String);

impl UtmValue {
    pub fn parse(raw: String) -> Result<Self, QrError> {
        if raw.chars().count() > MAX_UTM || raw.chars().any(char::is_control) {
            return Err(QrError::invalid(
                "utm",
                format!("UTM values are at most {MAX_UTM} plain characters"),
            ));
        }
        Ok(Self(raw))
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// Every field of `utm` checked: the stored form is made of values that passed.
    pub fn check_all(utm: Utm) -> Result<Utm, QrError> {
        let check = |value: Option<String>| {
            value
                .map(|v| Self::parse(v).map(Self::into_string))
                .transpose()
        };
        Ok(Utm {
            source: check(utm.source)?,
            medium: check(utm.medium)?,
            campaign: check(utm.campaign)?,
            term: check(utm.term)?,
            content: check(utm.content)?,
        })
    }
}

/// A code's tags: at most [`MAX_TAGS`], each trimmed, lower-cased, 1–[`MAX_TAG_LEN`] letters,
/// digits, spaces, `-` or `_`; duplicates dropped, first order kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tags(Vec<String>);

impl Tags {
    pub fn parse(tags: Vec<String>) -> Result<Self, QrError> {
        if tags.len() > MAX_TAGS {
            return Err(QrError::invalid("tags", format!("at most {MAX_TAGS} tags")));
        }
        let mut out: Vec<String> = Vec::with_capacity(tags.len());
        for tag in tags {
            let tag = tag.trim().to_lowercase();
            let ok = !tag.is_empty()
                && tag.chars().count() <= MAX_TAG_LEN
                && tag
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == ' ');
            if !ok {
                return Err(QrError::invalid(
                    "tags",
                    format!("tags are 1–{MAX_TAG_LEN} letters, digits, spaces, - or _"),
                ));
            }
            if !out.contains(&tag) {
                out.push(tag);
            }
        }
        Ok(Self(out))
    }

    pub fn into_vec(self) -> Vec<String> {
        self.0
    }
}

/// What the checks of one change read besides the change itself.
pub struct Checks<'a> {
    /// One snapshot for the whole change: the founder may add a domain meanwhile.
    pub blocklist: &'a Blocklist,
    pub features: Features,
    pub public_base_url: &'a str,
}

/// Validates `changes` and writes them into `qr`. On create, missing required fields are
/// errors; on edit, absent fields stay as they are.
pub fn apply(
    qr: &mut QrCode,
    changes: Changes,
    creating: bool,
    checks: &Checks<'_>,
) -> Result<(), QrError> {
    if let Some(name) = changes.name {
        qr.name = CodeName::parse(&name)?.into_string();
    } else if creating {
        return Err(QrError::invalid("name", "give the code a name"));
    }
    apply_target(qr, changes.destination, changes.content, creating, checks)?;
    if let Some(style) = changes.style {
        qr.style = style.validated()?;
    }
    if let Some(mut rules) = changes.rules {
        // A hash is never taken from a client; the caller decides what the stored one becomes.
        rules.password_hash = None;
        let sets_variants = !rules.variants.is_empty();
        let rules = rules.validated(checks.blocklist);
        if sets_variants {
            // Flag off, a mistake in new variants is still "not enabled", not a field error.
            let new = rules.as_ref().map_or(&[][..], |r| &r.variants[..]);
            crate::experiments::check_allowed(checks.features, &qr.rules.variants, new)?;
        }
        qr.rules = rules?;
    }
    if let Some(utm) = changes.utm {
        qr.utm = Some(UtmValue::check_all(utm)?);
    }
    if let Some(tags) = changes.tags {
        qr.tags = Tags::parse(tags)?.into_vec();
    }
    if let Some(paused) = changes.paused {
        qr.paused = paused;
    }
    // The payload must fit the chosen error-correction level.
    Matrix::encode(&qr.payload(checks.public_base_url)?, qr.style.ecc)?;
    Ok(())
}

/// Where the code leads: a microsite (set elsewhere), a destination URL, or static content.
fn apply_target(
    qr: &mut QrCode,
    destination: Option<String>,
    content: Option<Content>,
    creating: bool,
    checks: &Checks<'_>,
) -> Result<(), QrError> {
    if qr.kind == Kind::Microsite {
        if destination.is_some() || content.is_some() {
            return Err(QrError::invalid(
                if destination.is_some() {
                    "destination"
                } else {
                    "content"
                },
                "a microsite code goes to its microsite: set microsite_id",
            ));
        }
    } else if qr.kind.is_dynamic() {
        if let Some(raw) = destination {
            let destination = Destination::parse(&raw, checks.blocklist).map_err(|source| {
                QrError::Destination {
                    field: "destination".into(),
                    source,
                }
            })?;
            qr.destination = Some(destination.as_str().to_owned());
        } else if creating {
            return Err(QrError::invalid("destination", "enter a destination URL"));
        }
        if content.is_some() {
            return Err(QrError::invalid(
                "content",
                "a url code has a destination, not content",
            ));
        }
    } else {
        if destination.is_some() {
            return Err(QrError::invalid(
                "destination",
                "static codes have content, not a destination",
            ));
        }
        if let Some(content) = content {
            content.payload(qr.kind)?;
            qr.content = Some(content);
        } else if creating {
            return Err(QrError::invalid(
                "content",
                "static codes need their content",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(CodeName::parse("  Menu ").unwrap().into_string(), "Menu");
        assert!(CodeName::parse("   ").is_err());
        assert!(CodeName::parse(&"x".repeat(MAX_NAME + 1)).is_err());
        assert!(CodeName::parse("a\u{7}b").is_err());
    }

    #[test]
    fn utm_values_are_short_plain_text() {
        assert!(UtmValue::parse("spring-sale".into()).is_ok());
        assert!(UtmValue::parse("x".repeat(MAX_UTM + 1)).is_err());
        assert!(UtmValue::parse("a\nb".into()).is_err());
        let utm = Utm {
            campaign: Some("a\u{0}".into()),
            ..Utm::default()
        };
        assert!(UtmValue::check_all(utm).is_err());
    }

    #[test]
    fn tags_are_normalised() {
        let tags = Tags::parse(vec![" Menu ".into(), "menu".into(), "table_2".into()]).unwrap();
        assert_eq!(tags.into_vec(), ["menu", "table_2"]);
        assert!(Tags::parse(vec!["no/slash".into()]).is_err());
        assert!(Tags::parse(vec!["t".into(); MAX_TAGS + 1]).is_err());
    }
}
