//! Browser sessions: the access and refresh tokens in cookies, their refresh (`refresh`, a
//! layer in front of the signed-in pages), who is signing in (`extract`: the extractors pages
//! take), the CSRF token, and where to go after signing in.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use shared::ApiError;
use shared::identity::{ACCESS_COOKIE, ACCESS_TOKEN_TTL, REFRESH_COOKIE, cookie_value};
use subtle::ConstantTimeEq;

use auth::client::{DeviceHint, SessionAnswer};

use super::WebState;

mod extract;
mod refresh;

pub(crate) use extract::csrf_form;
pub use extract::{
    Anyone, CsrfForm, CsrfOnly, Founder, Posted, PublicForm, ReturnTo, Session, Tokened, back_to,
    form_post,
};
pub use refresh::{refresh, visitor_is_founder};

/// The form token cookie. SameSite=Strict and HttpOnly: the page copies it into a hidden field
/// when rendering, so script never needs to read it.
pub const CSRF_COOKIE: &str = "sp_csrf";
const REFRESH_MAX_AGE: u64 = 30 * 24 * 60 * 60;
/// A random identifier of this browser, kept long after sign-out, so auth can tell an account's
/// owner about a sign-in from a device it has not seen. Not an address, not a session.
pub const DEVICE_COOKIE: &str = "sp_device";
const DEVICE_MAX_AGE: u64 = 400 * 24 * 60 * 60;

/// This browser as a sign-in's device: its device cookie (made now, and set on `jar`, when it
/// has none yet) and its user agent.
pub fn device(state: &WebState, headers: &HeaderMap, jar: &mut CookieJar) -> DeviceHint {
    let id = cookie_value(headers, DEVICE_COOKIE)
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .unwrap_or_else(|| {
            let id = new_csrf_token(); // 256 random bits, URL-safe
            jar.set(
                state.secure_cookies,
                DEVICE_COOKIE,
                &id,
                DEVICE_MAX_AGE,
                "Lax",
            );
            id
        });
    DeviceHint {
        id: Some(id),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(300).collect()),
    }
}

/// Cookies to send with a response.
#[derive(Default)]
pub struct CookieJar(Vec<HeaderValue>);

impl CookieJar {
    fn set(&mut self, secure: bool, name: &str, value: &str, max_age: u64, same_site: &str) {
        let secure = if secure { "; Secure" } else { "" };
        let cookie = format!(
            "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite={same_site}{secure}"
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            self.0.push(v);
        }
    }

    /// Stores a fresh token pair (and a fresh CSRF token: a new session gets a new one).
    pub fn sign_in(&mut self, state: &WebState, tokens: &SessionAnswer) -> Option<String> {
        let access = tokens.access_token.as_deref()?;
        let refresh = tokens.refresh_token.as_deref()?;
        let secure = state.secure_cookies;
        self.set(
            secure,
            ACCESS_COOKIE,
            access,
            ACCESS_TOKEN_TTL.as_secs(),
            "Lax",
        );
        self.set(secure, REFRESH_COOKIE, refresh, REFRESH_MAX_AGE, "Lax");
        let csrf = new_csrf_token();
        self.set(secure, CSRF_COOKIE, &csrf, REFRESH_MAX_AGE, "Strict");
        Some(access.to_owned())
    }

    pub fn sign_out(&mut self, state: &WebState) {
        for (name, same_site) in [
            (ACCESS_COOKIE, "Lax"),
            (REFRESH_COOKIE, "Lax"),
            (CSRF_COOKIE, "Strict"),
        ] {
            self.set(state.secure_cookies, name, "", 0, same_site);
        }
    }

    pub fn csrf(&mut self, state: &WebState, token: &str) {
        self.set(
            state.secure_cookies,
            CSRF_COOKIE,
            token,
            REFRESH_MAX_AGE,
            "Strict",
        );
    }

    /// Attaches the cookies to a response.
    pub fn apply(self, response: impl IntoResponse) -> Response {
        let mut response = response.into_response();
        for cookie in self.0 {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        response
    }
}

fn new_csrf_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The visitor's CSRF token for the page's forms, and the cookies to set with the page (a first
/// visit gets a token minted): `Csrf(csrf, jar)`, then `jar.apply(page)`.
pub struct Csrf(pub String, pub CookieJar);

impl FromRequestParts<WebState> for Csrf {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let mut jar = CookieJar::default();
        let token = csrf_token(state, &parts.headers, &mut jar);
        Ok(Csrf(token, jar))
    }
}

/// The visitor's CSRF token, minting one (into `jar`) for a first visit.
fn csrf_token(state: &WebState, headers: &HeaderMap, jar: &mut CookieJar) -> String {
    if let Some(token) = cookie_value(headers, CSRF_COOKIE).filter(|t| t.len() >= 32) {
        token
    } else {
        let token = new_csrf_token();
        jar.csrf(state, &token);
        token
    }
}

/// A state-changing form must echo the token of its cookie (double submit, compared in constant
/// time). Together with the Origin / Sec-Fetch-Site check of the CSRF layer in front.
fn check_csrf(headers: &HeaderMap, submitted: &str) -> Result<(), ApiError> {
    let expected = cookie_value(headers, CSRF_COOKIE).unwrap_or_default();
    if expected.len() >= 32 && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "This form has expired. Go back, reload the page and try again.",
        ))
    }
}

impl CookieJar {
    /// A refresh keeps the session, so it keeps its CSRF token (open forms stay valid).
    pub(super) fn sign_in_keep_csrf(
        &mut self,
        state: &WebState,
        tokens: &SessionAnswer,
    ) -> Option<String> {
        let access = tokens.access_token.as_deref()?;
        let refresh = tokens.refresh_token.as_deref()?;
        self.set(
            state.secure_cookies,
            ACCESS_COOKIE,
            access,
            ACCESS_TOKEN_TTL.as_secs(),
            "Lax",
        );
        self.set(
            state.secure_cookies,
            REFRESH_COOKIE,
            refresh,
            REFRESH_MAX_AGE,
            "Lax",
        );
        Some(access.to_owned())
    }
}

/// Lives in `shared` so the fuzz crate can reach it without building the whole frontend.
pub use shared::http::safe_next;

/// 303 See Other: after a POST the browser follows with a GET.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Whether the browser holds session cookies (public pages use it only to pick the navigation;
/// nothing is authorised by it).
pub fn has_session_cookie(headers: &HeaderMap) -> bool {
    cookie_value(headers, ACCESS_COOKIE).is_some()
        || cookie_value(headers, REFRESH_COOKIE).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_only_a_local_path() {
        assert_eq!(
            safe_next(Some("/app/settings?tab=keys")),
            "/app/settings?tab=keys"
        );
        for evil in [
            "//evil.com",
            "/\\evil.com",
            "https://evil.com",
            "evil.com",
            "/\t/evil.com",
            "",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(Some(evil)), "/app", "{evil:?}");
        }
        assert_eq!(safe_next(None), "/app");
    }

    #[test]
    fn csrf_tokens_must_match_the_cookie() {
        let mut headers = HeaderMap::new();
        let token = new_csrf_token();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{CSRF_COOKIE}={token}")).unwrap(),
        );
        assert!(check_csrf(&headers, &token).is_ok());
        assert!(check_csrf(&headers, "forged").is_err());
        assert!(check_csrf(&HeaderMap::new(), "").is_err());
    }
}
