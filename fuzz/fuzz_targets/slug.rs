//! Microsite slugs: no panic; an accepted slug is exactly the input, 3–40 characters of `a-z`,
//! `0-9` and single inner hyphens.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microsite::slug::Slug;

fuzz_target!(|raw: &str| {
    if let Ok(slug) = Slug::parse(raw) {
        let s = slug.as_str();
        assert_eq!(s, raw);
        assert!((3..=40).contains(&s.len()));
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        );
        assert!(!s.starts_with('-') && !s.ends_with('-') && !s.contains("--"));
        assert_eq!(Slug::parse(s), Ok(slug.clone()));
    }
});
