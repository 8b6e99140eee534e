//! Page slugs: the `{slug}` of `/m/{slug}`. Lowercase ASCII letters, digits and single inner
//! hyphens, 3–40 characters, and never a word the rest of the site needs. ASCII-only is what
//! makes homoglyphs (`раypal` with a Cyrillic `а`) and encoded traversal (`%2e%2e`) impossible.

pub const MIN_LEN: usize = 3;
pub const MAX_LEN: usize = 40;

/// Words that name routes, roles or brands a visitor could be fooled by.
const RESERVED: &[&str] = &[
    "about",
    "account",
    "admin",
    "api",
    "app",
    "assets",
    "auth",
    "billing",
    "blog",
    "dashboard",
    "docs",
    "founder",
    "help",
    "home",
    "healthz",
    "index",
    "legal",
    "login",
    "logout",
    "m",
    "metrics",
    "microsite",
    "microsites",
    "new",
    "null",
    "official",
    "preview",
    "pricing",
    "privacy",
    "r",
    "readyz",
    "register",
    "report",
    "root",
    "scanpage",
    "security",
    "settings",
    "signin",
    "signup",
    "static",
    "status",
    "support",
    "system",
    "terms",
    "undefined",
    "www",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("a slug has {MIN_LEN} to {MAX_LEN} characters")]
    Length,
    #[error("a slug uses only lowercase letters a–z, digits and hyphens")]
    Characters,
    #[error("a slug cannot start or end with a hyphen, or have two in a row")]
    Hyphens,
    #[error("that slug is reserved")]
    Reserved,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    /// Validates a slug exactly as given: no trimming, no lowercasing, no decoding, so what is
    /// stored is what was typed and what the URL shows.
    pub fn parse(raw: &str) -> Result<Slug, SlugError> {
        // Checked on bytes first so a multi-byte homoglyph is refused as a character, not counted.
        if !raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(if raw.len() > MAX_LEN * 4 {
                SlugError::Length
            } else {
                SlugError::Characters
            });
        }
        if !(MIN_LEN..=MAX_LEN).contains(&raw.len()) {
            return Err(SlugError::Length);
        }
        if raw.starts_with('-') || raw.ends_with('-') || raw.contains("--") {
            return Err(SlugError::Hyphens);
        }
        if RESERVED.contains(&raw) {
            return Err(SlugError::Reserved);
        }
        Ok(Slug(raw.to_owned()))
    }
}

shared::text_newtype!(Slug);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_slugs_pass_unchanged() {
        for s in ["abc", "my-page", "joe-s-tacos-2026", &"a".repeat(40)] {
            assert_eq!(Slug::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn length_is_three_to_forty() {
        assert_eq!(Slug::parse("ab"), Err(SlugError::Length));
        assert_eq!(Slug::parse(""), Err(SlugError::Length));
        assert_eq!(Slug::parse(&"a".repeat(41)), Err(SlugError::Length));
        assert_eq!(Slug::parse(&"a".repeat(5000)), Err(SlugError::Length));
    }

    #[test]
    fn traversal_encoding_and_case_tricks_are_refused() {
        for s in [
            "../x",
            "..",
            "a/b",
            "%2e%2e",
            "%2E%2E%2Fx",
            "a.b",
            "My-Page",
            "a b",
            "a_b",
            "a\0b",
            "abc\n",
            " abc",
            "abc?x=1",
            "abc#x",
        ] {
            assert_eq!(Slug::parse(s), Err(SlugError::Characters), "{s:?}");
        }
    }

    #[test]
    fn homoglyphs_are_refused() {
        // Cyrillic а, Greek ο, full-width a, a combining accent, a zero-width joiner.
        for s in ["pаypal", "gοogle", "ａbc", "cafe\u{301}", "ab\u{200d}c"] {
            assert_eq!(Slug::parse(s), Err(SlugError::Characters), "{s:?}");
        }
    }

    #[test]
    fn hyphens_only_inside() {
        for s in ["-abc", "abc-", "a--b"] {
            assert_eq!(Slug::parse(s), Err(SlugError::Hyphens), "{s:?}");
        }
    }

    #[test]
    fn reserved_words_are_refused() {
        for s in [
            "admin", "api", "app", "login", "static", "report", "scanpage",
        ] {
            assert_eq!(Slug::parse(s), Err(SlugError::Reserved), "{s:?}");
        }
    }
}
