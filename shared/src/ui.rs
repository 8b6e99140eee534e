//! What every server-rendered page shares: the base layout's data, the embedded static assets
//! (served with content hashes so browsers may cache them for a year), and the friendly error
//! page shown to browsers instead of JSON.

use std::collections::HashMap;
use std::sync::OnceLock;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::error::ApiError;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Assets;

/// Escapes text for HTML and XML (element content and quoted attribute values). Templates escape
/// on their own; this is for the few places that build markup in code.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What the base layout needs to know about the visitor.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    pub signed_in: bool,
    /// The session's CSRF token, for the log-out form in the header.
    pub csrf_token: String,
    /// A signed-in founder: the navigation links to the console.
    pub founder: bool,
}

fn hashes() -> &'static HashMap<String, String> {
    static HASHES: OnceLock<HashMap<String, String>> = OnceLock::new();
    HASHES.get_or_init(|| {
        Assets::iter()
            .filter_map(|name| {
                let file = Assets::get(&name)?;
                let hash = hex::encode(&file.metadata.sha256_hash()[..6]);
                Some((name.into_owned(), hash))
            })
            .collect()
    })
}

/// The URL of an embedded asset, with its content hash so a changed file gets a new URL.
pub fn asset(name: &str) -> String {
    match hashes().get(name) {
        Some(hash) => format!("/static/{name}?v={hash}"),
        None => format!("/static/{name}"),
    }
}

#[derive(serde::Deserialize)]
pub struct AssetQuery {
    v: Option<String>,
}

/// `GET /static/{*path}`.
pub async fn serve_asset(
    Path(path): Path<String>,
    Query(query): Query<AssetQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(file) = Assets::get(&path) else {
        return ApiError::not_found().into_response();
    };
    let hash = hashes().get(&path).cloned().unwrap_or_default();
    let etag = format!("\"{hash}\"");
    let cache = if query.v.as_deref() == Some(hash.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300, must-revalidate"
    };
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes());
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        file.data.into_owned().into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(file.metadata.mimetype()) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    response
}

/// `GET /favicon.ico`: browsers ask for it on pages that name no icon (a published microsite,
/// an image opened on its own); the logo, as SVG, which every current browser takes here.
pub async fn favicon() -> Response {
    let Some(file) = Assets::get("favicon.svg") else {
        return ApiError::not_found().into_response();
    };
    let mut response = file.data.into_owned().into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    status: u16,
    title: &'a str,
    message: &'a str,
    request_id: Option<&'a str>,
}

/// A friendly HTML page for an error, with the same status.
pub fn error_page(error: &ApiError, request_id: Option<&str>) -> Response {
    let title = match error.status() {
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::TOO_MANY_REQUESTS => "Slow down a little",
        StatusCode::PAYLOAD_TOO_LARGE => "That was too much",
        StatusCode::UNAUTHORIZED => "Please sign in",
        StatusCode::FORBIDDEN => "Not allowed",
        s if s.is_server_error() => "Something went wrong",
        _ => "That didn't work",
    };
    let message = if error.status() == StatusCode::NOT_FOUND && error.code() == "not_found" {
        "We couldn't find that page. It may have moved, or the link may be mistyped."
    } else {
        error.message()
    };
    let page = ErrorPage {
        chrome: Chrome::default(),
        status: error.status().as_u16(),
        title,
        message,
        request_id,
    };
    match page.render() {
        Ok(html) => (error.status(), Html(html)).into_response(),
        Err(err) => {
            tracing::error!(%err, "error page failed to render");
            (error.status(), error.message().to_owned()).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_have_content_hashes() {
        let url = asset("app.css");
        assert!(url.starts_with("/static/app.css?v="), "{url}");
        assert_eq!(url.len(), "/static/app.css?v=".len() + 12);
        assert!(asset("htmx.min.js").contains("?v="));
    }

    #[tokio::test]
    async fn error_pages_escape_messages() {
        let err = ApiError::bad_request("<script>alert(1)</script>");
        let response = error_page(&err, Some("req-1"));
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        let html = String::from_utf8(body.to_vec()).unwrap();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("req-1"));
    }
}
