//! Short codes: what follows `/r/` in a printed QR code. Generated ones are 7 characters drawn
//! from a CSPRNG over an alphabet without look-alikes (no 0/o, 1/l/i), so a code read aloud or
//! typed from a poster still works; they say nothing about row ids or creation order. Custom
//! codes are allowed when they are valid and not reserved.

use rand::Rng;

/// Lower-case letters and digits minus `0 o 1 l i`: 31 symbols, so 7 characters give
/// 31^7 ≈ 27.5 billion codes.
const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
pub const GENERATED_LEN: usize = 7;
const CUSTOM_MIN: usize = 3;
const CUSTOM_MAX: usize = 64;

/// Words that could be mistaken for our own pages or used to impersonate us.
const RESERVED: &[&str] = &[
    "admin",
    "api",
    "app",
    "assets",
    "auth",
    "dashboard",
    "help",
    "login",
    "logout",
    "m",
    "me",
    "metrics",
    "healthz",
    "readyz",
    "pricing",
    "qr",
    "r",
    "report",
    "reset",
    "settings",
    "signup",
    "static",
    "support",
    "www",
    "scanpage",
    "security",
    "abuse",
    "billing",
];

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShortCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("a custom code needs {CUSTOM_MIN} to {CUSTOM_MAX} characters")]
    Length,
    #[error("a custom code may contain only letters a–z, digits and single dashes inside")]
    Characters,
    #[error("'{0}' is reserved; choose another code")]
    Reserved(String),
}

impl ShortCode {
    /// A fresh random code.
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let code = (0..GENERATED_LEN)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        ShortCode(code)
    }

    /// A code chosen by the user. Case-insensitive: stored lower-case.
    pub fn parse_custom(raw: &str) -> Result<Self, CodeError> {
        let code = raw.trim().to_ascii_lowercase();
        if !(CUSTOM_MIN..=CUSTOM_MAX).contains(&code.len()) {
            return Err(CodeError::Length);
        }
        let valid_chars = code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid_chars || code.starts_with('-') || code.ends_with('-') || code.contains("--") {
            return Err(CodeError::Characters);
        }
        if RESERVED.contains(&code.as_str()) {
            return Err(CodeError::Reserved(code));
        }
        Ok(ShortCode(code))
    }

    /// A code from a scanner's URL: normalised the same way, but never an error — an invalid
    /// one simply is not found. Returns `None` for anything that cannot be a code, so the
    /// redirect never touches the cache or database for junk.
    pub fn from_request(raw: &str) -> Option<Self> {
        let ok = (CUSTOM_MIN..=CUSTOM_MAX).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        ok.then(|| ShortCode(raw.to_ascii_lowercase()))
    }
}

shared::text_newtype!(ShortCode);

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn generated_codes_use_the_unambiguous_alphabet() {
        for _ in 0..1_000 {
            let code = ShortCode::generate();
            assert_eq!(code.as_str().len(), GENERATED_LEN);
            assert!(
                code.as_str().bytes().all(|b| ALPHABET.contains(&b)),
                "{code}"
            );
            assert!(!code.as_str().contains(['0', 'o', '1', 'l', 'i']));
        }
    }

    #[test]
    fn generated_codes_do_not_repeat() {
        let codes: HashSet<_> = (0..10_000).map(|_| ShortCode::generate()).collect();
        assert_eq!(codes.len(), 10_000);
    }

    #[test]
    fn custom_codes_are_validated() {
        assert_eq!(
            ShortCode::parse_custom(" Menu-2026 ").unwrap().as_str(),
            "menu-2026"
        );
        assert_eq!(ShortCode::parse_custom("ab"), Err(CodeError::Length));
        assert_eq!(
            ShortCode::parse_custom(&"a".repeat(65)),
            Err(CodeError::Length)
        );
        for bad in ["-abc", "abc-", "a--b", "ab c", "ab/c", "abç", "<b>x", "a.b"] {
            assert_eq!(
                ShortCode::parse_custom(bad),
                Err(CodeError::Characters),
                "{bad}"
            );
        }
        for reserved in ["admin", "API", "login", "static"] {
            assert!(matches!(
                ShortCode::parse_custom(reserved),
                Err(CodeError::Reserved(_))
            ));
        }
    }

    #[test]
    fn request_codes_are_filtered_before_any_lookup() {
        assert_eq!(
            ShortCode::from_request("AbC2345").unwrap().as_str(),
            "abc2345"
        );
        assert!(ShortCode::from_request("../etc/passwd").is_none());
        assert!(ShortCode::from_request("x").is_none());
        assert!(ShortCode::from_request(&"a".repeat(200)).is_none());
        assert!(ShortCode::from_request("a%00b").is_none());
    }
}
