//! What a scan, page view or link click records about its visitor, read from the request in one
//! place so that qr's redirect and microsite's public pages send analytics the same thing: the
//! method, whether it was a prefetch, the user agent, referrer and language (cut to what
//! analytics keeps), and the client address (never logged; analytics keeps only a salted hash).

use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::{Deserialize, Serialize};

/// Longest user agent, referrer and `Accept-Language` an event carries, in characters.
pub const MAX_USER_AGENT: usize = 512;
pub const MAX_REFERRER: usize = 1024;
pub const MAX_ACCEPT_LANGUAGE: usize = 128;

/// A visit as an event describes it. Events carry it flattened (`#[serde(flatten)]`): its fields
/// sit beside the event's own on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    /// `GET` or `HEAD`.
    pub method: String,
    /// The request was marked as a prefetch (`Sec-Purpose`/`Purpose: prefetch`).
    pub prefetch: bool,
    pub user_agent: Option<String>,
    pub referrer: Option<String>,
    pub accept_language: Option<String>,
    pub ip: Option<String>,
}

impl Visit {
    pub fn capture(parts: &Parts) -> Self {
        let headers = &parts.headers;
        Self {
            method: parts.method.as_str().to_owned(),
            prefetch: is_prefetch(headers),
            user_agent: header_str(headers, header::USER_AGENT)
                .map(|s| truncate(s, MAX_USER_AGENT)),
            referrer: header_str(headers, header::REFERER).map(|s| truncate(s, MAX_REFERRER)),
            accept_language: header_str(headers, header::ACCEPT_LANGUAGE)
                .map(|s| truncate(s, MAX_ACCEPT_LANGUAGE)),
            ip: crate::client_addr::of(parts).0.map(|ip| ip.to_string()),
        }
    }
}

/// The request was marked as a prefetch or preview (`Sec-Purpose`, `Purpose`, `X-Moz`,
/// `X-Purpose`): a browser guessing, not a person visiting.
pub fn is_prefetch(headers: &HeaderMap) -> bool {
    ["sec-purpose", "purpose", "x-moz", "x-purpose"]
        .iter()
        .filter_map(|name| headers.get(*name))
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("prefetch") || v.eq_ignore_ascii_case("preview"))
}

/// The request's user agent, `""` when it sent none (or one that is not text).
pub fn user_agent(headers: &HeaderMap) -> &str {
    header_str(headers, header::USER_AGENT).unwrap_or_default()
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut request = Request::get("/r/abc");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn prefetches_are_recognised() {
        assert!(is_prefetch(
            &parts(&[("sec-purpose", "prefetch;prerender")]).headers
        ));
        assert!(is_prefetch(&parts(&[("purpose", "Prefetch")]).headers));
        assert!(is_prefetch(&parts(&[("x-purpose", "preview")]).headers));
        assert!(!is_prefetch(&parts(&[]).headers));
    }

    #[test]
    fn a_visit_keeps_bounded_headers() {
        let long = "x".repeat(2 * MAX_USER_AGENT);
        let visit = Visit::capture(&parts(&[
            ("user-agent", &long),
            ("accept-language", "fr-CH, fr;q=0.9"),
        ]));
        assert_eq!(visit.method, "GET");
        assert_eq!(visit.user_agent.unwrap().len(), MAX_USER_AGENT);
        assert_eq!(visit.accept_language.as_deref(), Some("fr-CH, fr;q=0.9"));
        assert_eq!(visit.referrer, None);
        assert_eq!(visit.ip, None);
        assert!(!visit.prefetch);
    }
}
