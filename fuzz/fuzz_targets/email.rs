//! Sign-up emails: no panic; an accepted address is in normal form (trimmed, lower case, one
//! `@`, a dotted domain, no spaces, controls or angle brackets) and normalising it again keeps it.
#![no_main]

use auth::domain::Email;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    if let Ok(email) = Email::parse(raw) {
        let s = email.as_str();
        assert!(!s.is_empty() && s.len() <= 254);
        assert_eq!(s.trim(), s);
        assert_eq!(s.matches('@').count(), 1, "{s:?}");
        let (local, domain) = s.split_once('@').unwrap();
        assert!(!local.is_empty() && local.len() <= 64);
        assert!(domain.split('.').count() >= 2 && domain.split('.').all(|l| !l.is_empty()));
        assert!(
            !s.chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        );
        assert_eq!(
            Email::parse(s)
                .map(|e| e.as_str().to_owned())
                .ok()
                .as_deref(),
            Some(s),
            "{raw:?}"
        );
    }
});
