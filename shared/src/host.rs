//! The one rule for the host of an http(s) URL that we store and later put in a page, an SVG or
//! a redirect: an IP address or a name made of DNS characters.

use url::Url;

/// Whether the URL's host is an IP address or a name of DNS characters. The WHATWG parser
/// accepts more in a host (`"`, `'`, `` ` ``, `{`, `}`, `|`…) and keeps it as typed, so
/// `https://example.com"/` would be stored with a quote in it; no real host needs one.
pub fn is_web_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        }
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => true,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_addresses_pass_markup_characters_do_not() {
        for ok in [
            "https://example.com/",
            "http://127.0.0.1:8080/",
            "https://[::1]/",
            "https://a_b.example/",
        ] {
            assert!(is_web_host(&Url::parse(ok).unwrap()), "{ok}");
        }
        // Both parse (the parser keeps the quote in the host); neither is a web host.
        for bad in ["https://example.com\"/", "mailto:a@example.com"] {
            assert!(!is_web_host(&Url::parse(bad).unwrap()), "{bad}");
        }
    }
}
