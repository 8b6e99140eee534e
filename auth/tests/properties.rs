//! Property tests of email normalisation: nothing panics, an accepted address is already in its
//! normal form (trimmed, lower case, one `@`, a dotted domain, no markup or spaces), and
//! normalising it again changes nothing — so one person is one account however they type it.

use auth::domain::Email;
use proptest::prelude::*;
use proptest::sample::select;

fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::range('a', 'z'),
        3 => select(vec![
            '@', '.', '+', '-', '_', '<', '>', '"', '\'', ' ', '\t', '\n', '\r', '\0', '\u{7f}',
            '\u{85}', '\u{a0}', '\u{200b}', '\u{3000}', '\u{feff}', 'é', 'İ', 'ß', 'Ａ', 'K',
            '\u{212a}', 'Σ', 'ς', '(', ')', ',', ';', ':', '[', ']', '\\', 'A', 'Z', '0',
        ]),
        1 => any::<char>(),
    ]
}

fn tricky_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(tricky_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

fn email_like() -> impl Strategy<Value = String> {
    (
        select(vec!["", " ", "\t", "\n", "\u{a0}"]),
        prop_oneof!["[a-zA-Z0-9._%+-]{0,70}", tricky_text(20)],
        select(vec!["@", "@", "@@", "", "＠"]),
        prop_oneof![
            "[a-zA-Z0-9-]{1,20}(\\.[a-zA-Z0-9-]{0,10}){0,3}",
            tricky_text(20)
        ],
        select(vec!["", " ", ".", "\n", "\u{3000}"]),
    )
        .prop_map(|(a, local, at, domain, z)| format!("{a}{local}{at}{domain}{z}"))
}

fn check(raw: &str) -> Result<(), TestCaseError> {
    let Ok(email) = Email::parse(raw) else {
        return Ok(());
    };
    let s = email.as_str();
    prop_assert!(!s.is_empty() && s.len() <= 254, "{:?}", s);
    prop_assert_eq!(s, s.trim());
    prop_assert_eq!(s.to_lowercase(), s);
    prop_assert_eq!(s.matches('@').count(), 1, "{:?}", s);
    let (local, domain) = s.split_once('@').unwrap();
    prop_assert!(!local.is_empty() && local.len() <= 64, "{:?}", s);
    prop_assert!(domain.split('.').count() >= 2);
    prop_assert!(domain.split('.').all(|label| !label.is_empty()), "{:?}", s);
    prop_assert!(
        !s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>'),
        "{:?}",
        s
    );
    let again = Email::parse(s).ok().map(|e| e.as_str().to_owned());
    prop_assert_eq!(
        again.as_deref(),
        Some(s),
        "normalising twice changes {:?}",
        raw
    );
    // However it is cased or padded, it is the same account.
    let padded = format!("  {}\n", s.to_uppercase());
    if padded.to_lowercase().trim() == s {
        let padded = Email::parse(&padded).ok().map(|e| e.as_str().to_owned());
        prop_assert_eq!(padded.as_deref(), Some(s));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn emails_near_valid(raw in email_like()) {
        check(&raw)?;
    }

    #[test]
    fn emails_arbitrary(raw in any::<String>()) {
        check(&raw)?;
    }
}
