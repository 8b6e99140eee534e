//! Custom short codes and codes read from a scanner's URL: no panic; an accepted code uses only
//! `a-z`, `0-9` and single inner dashes, and is found again from its own text in any case.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qr::code::ShortCode;

fn alphabet(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fuzz_target!(|raw: &str| {
    if let Ok(code) = ShortCode::parse_custom(raw) {
        let s = code.as_str();
        assert!((3..=64).contains(&s.len()) && alphabet(s), "{s:?}");
        assert!(!s.starts_with('-') && !s.ends_with('-') && !s.contains("--"));
        assert_eq!(ShortCode::parse_custom(s).as_ref(), Ok(&code));
        assert_eq!(
            ShortCode::from_request(&s.to_ascii_uppercase()).as_ref(),
            Some(&code)
        );
    }
    if let Some(code) = ShortCode::from_request(raw) {
        assert!(alphabet(code.as_str()), "{raw:?}");
    }
});
