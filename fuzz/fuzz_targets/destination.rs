//! QR destinations: no panic; an accepted URL is http(s) with a host, inert in markup and in a
//! `Location` header, not blocked, and accepted again unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qr::destination::{Blocklist, Destination, MAX_LEN, parse_domain};

fuzz_target!(|raw: &str| {
    let blocklist = Blocklist::from_lines("evil.example\nphish.test");
    if let Ok(destination) = Destination::parse(raw, &blocklist) {
        let s = destination.as_str();
        let url = url::Url::parse(s).expect("a URL");
        assert!(matches!(url.scheme(), "http" | "https"), "{raw:?} → {s}");
        let host = url.host_str().expect("a host");
        assert!(!host.is_empty());
        assert!(blocklist.matching(host).is_none(), "{raw:?} → {s}");
        assert!(s.len() <= MAX_LEN);
        assert!(s.is_ascii(), "{s:?}");
        assert!(
            !s.chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '`')),
            "{raw:?} → {s:?}"
        );
        assert_eq!(Destination::parse(s, &blocklist).as_ref(), Ok(&destination));
    }
    if let Some(domain) = parse_domain(raw) {
        assert_eq!(
            parse_domain(&domain).as_deref(),
            Some(domain.as_str()),
            "{raw:?}"
        );
    }
});
