//! Files answered by the API (print sheets, zip exports): a body with fixed headers.

use std::fmt::Write as _;

use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};

/// `body` with each `(header, value)` set, replacing what the body's own answer had.
pub(crate) fn file(body: impl IntoResponse, headers: &[(HeaderName, &'static str)]) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    for (name, value) in headers {
        h.insert(name.clone(), HeaderValue::from_static(value));
    }
    response
}

/// `Content-Disposition: attachment` naming the file twice (RFC 6266): `filename=` an ASCII
/// fallback for old clients, `filename*=UTF-8''…` the name as its owner wrote it, so "Café
/// menu" downloads as `Café menu.png` (RFC 5987 percent-encoding: only the header's safe
/// characters are left as they are, so nothing in a name can end the value or add a parameter).
pub(crate) fn attachment(unicode_name: &str, ascii_fallback: &str) -> HeaderValue {
    let fallback: String = ascii_fallback
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let value = format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        percent_encode_attr(unicode_name)
    );
    // Every byte is visible ASCII by construction.
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// RFC 5987 `value-chars`: `attr-char`s as they are, every other byte of the UTF-8 as `%XX`.
fn percent_encode_attr(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() * 3);
    for byte in raw.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_names_are_percent_encoded_beside_an_ascii_fallback() {
        let value = attachment("Café menu.png", "scanpage-cafe-menu-ab3cd5e-1024.png");
        assert_eq!(
            value.to_str().unwrap(),
            "attachment; filename=\"scanpage-cafe-menu-ab3cd5e-1024.png\"; filename*=UTF-8''Caf%C3%A9%20menu.png"
        );
    }

    #[test]
    fn nothing_in_a_name_can_break_out_of_the_header() {
        let value = attachment("a\"; filename=evil.exe\r\n.png", "x\"y\\z.png");
        let text = value.to_str().unwrap();
        assert!(text.starts_with("attachment; filename=\"x_y_z.png\"; filename*=UTF-8''a%22%3B%20filename%3Devil.exe%0D%0A.png"), "{text}");
        assert_eq!(text.matches('"').count(), 2);
    }
}
