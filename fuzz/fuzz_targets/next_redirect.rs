//! The `next` parameter after signing in: whatever comes in, where we redirect is a path on our
//! own origin that fits in a `Location` header.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::http::safe_next;

fuzz_target!(|raw: &str| {
    let next = safe_next(Some(raw));
    assert!(next == raw || next == "/app");
    assert!(next.starts_with('/') && !next.starts_with("//") && !next.contains('\\'));
    assert!(!next.chars().any(|c| c.is_whitespace() || c.is_control()));
    assert!(axum_header_ok(&next), "{next:?}");
    let base = url::Url::parse("https://scanpage.test/login").unwrap();
    let resolved = base.join(&next).expect("a relative reference");
    assert_eq!(resolved.origin(), base.origin(), "{next:?} left the site");
});

/// What `http::HeaderValue::from_str` accepts: visible ASCII, spaces, tabs and bytes ≥ 0x80.
fn axum_header_ok(s: &str) -> bool {
    s.bytes().all(|b| (b >= 32 && b != 127) || b == b'\t')
}
