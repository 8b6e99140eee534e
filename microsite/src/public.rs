//! The public routes: `GET /m/{slug}` (the published page, from memory), the tracked link hop
//! `GET /m/{slug}/l/{block_id}[/{index}]` (every outbound link of a public page goes through it;
//! `POST` is `<a ping>` for `mailto:`/`tel:`), and the owner's `GET /m/{slug}/preview`. Views and clicks are
//! handed to the bus without waiting; recording can fail, the page cannot.
//!
//! QR attribution: a view whose URL carries `?src=qr_{code}` (what a QR redirect to a microsite
//! adds) is published with the referrer `{PUBLIC_BASE_URL}/r/{code}` — the short link the visitor
//! really came through — when the browser sent no `Referer` of its own (camera apps never do).
//! The parameter is not part of the canonical URL and does not change the page or its ETag.

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::extract::{FromRef, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use shared::bus::Event;
use shared::events::{MICROSITE_CLICKED, MICROSITE_VIEWED, MicrositeClicked, MicrositeViewed};
use shared::identity::{Identity, Principal, Scope};
use shared::ui::Chrome;
use shared::visit::Visit;

use crate::page::Rendered;
use crate::service::{AtSlug, MicrositeService, Published};
use crate::slug::Slug;

/// How long a cache miss may wait for the database before the visitor gets a 503 page.
const LOOKUP_BUDGET: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct PublicState {
    pub service: Arc<MicrositeService>,
    pub identity: Identity,
    /// The pages' `og:image` cards, rendered once per version.
    pub cards: Arc<crate::og::Cards>,
}

impl FromRef<PublicState> for Identity {
    fn from_ref(state: &PublicState) -> Identity {
        state.identity.clone()
    }
}

pub async fn view(
    State(state): State<PublicState>,
    Servable(published): Servable,
    request: Request,
) -> Response {
    let (parts, _body) = request.into_parts();
    let mut visit = Visit::capture(&parts);
    let qr_code = qr_code(&parts);
    visit.referrer = visit
        .referrer
        .or_else(|| qr_source(qr_code.as_deref(), state.service.public_base_url()));
    publish(
        &state,
        MICROSITE_VIEWED.event(MicrositeViewed {
            microsite_id: published.microsite_id.clone(),
            owner_id: published.owner_id.clone(),
            slug: published.slug.clone(),
            visit,
            qr_code,
        }),
    );
    page_response(&published.page, &parts.headers, "no-cache")
}

/// Whether `path` is a link hop (`/m/{slug}/l/{block_id}[/{index}]`). Its `POST` is a browser's
/// `<a ping>`, sent cross-site when the page is seen on a custom domain (the ping goes to the
/// canonical address) — so the cross-site guard lets it through: it changes nothing a `GET` on
/// the same address would not (both count one click), and carries no session.
pub fn is_hop_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/m/") else {
        return false;
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let plain = |s: &str| !s.is_empty() && s.len() <= 64;
    match segments.as_slice() {
        [slug, "l", block] => plain(slug) && plain(block),
        [slug, "l", block, index] => {
            plain(slug) && plain(block) && plain(index) && index.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

/// `GET /m/{slug}/l/{block_id}`: a block's first outbound link (a link block's only one); `POST`
/// on the same address is its `<a ping>`, as for [`click_at`] (the hop tells them apart).
pub async fn click(
    State(state): State<PublicState>,
    Servable(published): Servable,
    Path((_, block_id)): Path<(String, String)>,
    request: Request,
) -> Response {
    hop(&state, &published, block_id, 0, request)
}

/// `GET /m/{slug}/l/{block_id}/{index}`: a block's `index`th outbound link (a social item, a link
/// in Markdown, a contact detail). `POST` on the same address is `<a ping>`: counted, 204.
pub async fn click_at(
    State(state): State<PublicState>,
    Servable(published): Servable,
    Path((_, block_id, index)): Path<(String, String, String)>,
    request: Request,
) -> Response {
    // Digits only (no sign, no spaces), and small: a page has at most a few hundred links.
    let index = match index.parse::<usize>() {
        Ok(n) if index.bytes().all(|b| b.is_ascii_digit()) && index.len() <= 4 => n,
        _ => return not_found(),
    };
    hop(&state, &published, block_id, index, request)
}

/// Counts a click on the `index`th outbound link of block `block_id` and sends the visitor there.
/// The destination is only ever one the published page holds (looked up by block and index;
/// nothing in the request names a URL), so the hop is no open redirect.
fn hop(
    state: &PublicState,
    published: &Published,
    block_id: String,
    index: usize,
    request: Request,
) -> Response {
    let Some(url) = published.links.get(&block_id).and_then(|l| l.get(index)) else {
        return not_found();
    };
    let Ok(location) = HeaderValue::from_str(url) else {
        return unavailable();
    };
    let (parts, _body) = request.into_parts();
    let is_ping = parts.method == axum::http::Method::POST;
    publish(
        state,
        MICROSITE_CLICKED.event(MicrositeClicked {
            microsite_id: published.microsite_id.clone(),
            owner_id: published.owner_id.clone(),
            slug: published.slug.clone(),
            block_id,
            url: url.clone(),
            visit: Visit::capture(&parts),
        }),
    );
    let mut response = if is_ping {
        StatusCode::NO_CONTENT.into_response()
    } else {
        let mut r = StatusCode::FOUND.into_response();
        r.headers_mut().insert(header::LOCATION, location);
        r
    };
    let h = response.headers_mut();
    // Every click must reach us to be counted.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    response
}

/// `GET /m/{slug}/og.png`: the published page's card. Answers exactly as the page would when
/// there is no page (404, or 410 for a trashed one), so it leaks nothing the page does not.
/// `no-cache` with an ETag, like the page: a crawler revalidates for free, and an unpublished
/// page's card stops being served at once.
pub async fn og_image(
    State(state): State<PublicState>,
    Servable(published): Servable,
    headers: HeaderMap,
) -> Response {
    let card = &published.page.og;
    let etag = format!("\"og-{}\"", card.version());
    let mut response = if matches_etag(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match state.cards.png(card).await {
            Ok(png) => png.into_response(),
            Err(err) => {
                tracing::warn!(%err, "og card failed to render");
                return unavailable();
            }
        }
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, etag);
    }
    response
}

pub async fn preview(
    State(state): State<PublicState>,
    principal: Principal,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Ok(slug) = Slug::parse(&raw) else {
        return not_found();
    };
    if principal.require(Scope::MicrositesRead).is_err() {
        return not_found();
    }
    match state.service.preview(&principal.user_id, &slug).await {
        Ok(page) => {
            let mut response = page_response(&page, &headers, "private, no-store");
            let h = response.headers_mut();
            h.insert("x-robots-tag", HeaderValue::from_static("noindex"));
            // The builder shows the draft in an <iframe> on our own origin; only the preview may
            // be framed, and only by us. Public pages stay `frame-ancestors 'none'`.
            let csp = page
                .csp
                .replace("frame-ancestors 'none'", "frame-ancestors 'self'");
            if let Ok(csp) = HeaderValue::from_str(&csp) {
                h.insert(header::CONTENT_SECURITY_POLICY, csp);
            }
            h.insert(
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("SAMEORIGIN"),
            );
            response
        }
        Err(crate::error::MicrositeError::NotFound) => not_found(),
        Err(err) => {
            tracing::warn!(%err, "preview failed");
            unavailable()
        }
    }
}

/// The published page a public request names (its `{slug}`), for the page, its card and its links
/// alike; the rejection is the answer a visitor gets when there is none (see [`servable`]).
pub struct Servable(pub Arc<Published>);

impl FromRequestParts<PublicState> for Servable {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &PublicState) -> Result<Self, Response> {
        // Every public route starts `/m/{slug}`; the values come percent-decoded, as `Path` gives.
        let Ok(Path(params)) =
            Path::<Vec<(String, String)>>::from_request_parts(parts, state).await
        else {
            return Err(not_found());
        };
        let raw = params
            .iter()
            .find_map(|(name, value)| (name == "slug").then_some(value.as_str()))
            .unwrap_or_default();
        servable(state, raw, &parts.extensions).await.map(Servable)
    }
}

/// The published page a public request may see, or the response that says why not: the slug must
/// be valid and published (a trashed page says it was removed), and on a custom domain (the
/// `domains` feature) the page must be that domain owner's, for the page and its links alike.
async fn servable(
    state: &PublicState,
    raw: &str,
    extensions: &Extensions,
) -> Result<Arc<Published>, Response> {
    let Ok(slug) = Slug::parse(raw) else {
        return Err(not_found());
    };
    let (owner_id, published) = match lookup(state, &slug).await? {
        AtSlug::Page(page) => (page.owner_id.clone(), Some(page)),
        AtSlug::Trashed { owner_id } => (owner_id, None),
        AtSlug::Nothing => return Err(not_found()),
    };
    if !shared::future::domains::may_serve(extensions, &owner_id) {
        return Err(not_found());
    }
    published.ok_or_else(removed)
}

/// What is at the slug, from memory; a cache miss waits for the database at most
/// [`LOOKUP_BUDGET`].
async fn lookup(state: &PublicState, slug: &Slug) -> Result<AtSlug, Response> {
    match tokio::time::timeout(LOOKUP_BUDGET, state.service.published(slug)).await {
        Ok(Ok(found)) => Ok(found),
        Ok(Err(err)) => {
            tracing::warn!(%err, "microsite lookup failed");
            Err(unavailable())
        }
        Err(_) => {
            tracing::warn!("microsite lookup timed out");
            Err(unavailable())
        }
    }
}

/// Whether the request's `If-None-Match` names `etag` (weakly compared, `*` included).
fn matches_etag(request_headers: &HeaderMap, etag: &str) -> bool {
    let etag = etag.trim_start_matches("W/");
    request_headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == etag)
}

fn page_response(page: &Rendered, request_headers: &HeaderMap, cache: &'static str) -> Response {
    let mut response = if matches_etag(request_headers, &page.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Html(page.html.clone()).into_response()
    };
    let h = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&page.etag) {
        h.insert(header::ETAG, etag);
    }
    if let Ok(csp) = HeaderValue::from_str(&page.csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    response
}

/// `?src=qr_{code}` → the code, when it looks like one of ours.
fn qr_code(parts: &Parts) -> Option<String> {
    let code = parts
        .uri
        .query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("src=qr_"))?;
    let valid = (4..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    valid.then(|| code.to_owned())
}

/// The QR code → the short link the visitor came through.
fn qr_source(code: Option<&str>, base: &str) -> Option<String> {
    code.map(|code| format!("{}/r/{code}", base.trim_end_matches('/')))
}

/// Hands an event to the bus. Never waits; a full queue costs a counted view, not a page.
fn publish(state: &PublicState, event: Event) {
    if let Err(err) = state.service.bus().publish(event) {
        tracing::warn!(%err, "microsite event not recorded");
    }
}

/// Why a visitor sees no page at a slug: the words of the one friendly "missing" page.
struct Missing {
    status: StatusCode,
    title: &'static str,
    heading: &'static str,
    lead: &'static str,
    hint: &'static str,
}

/// The same answer whether the slug is malformed, unknown, unpublished or someone else's.
const NOT_FOUND: Missing = Missing {
    status: StatusCode::NOT_FOUND,
    title: "Page not found",
    heading: "This page isn't here",
    lead: "Nothing has been published at this address, or it has been taken down.",
    hint: "If you scanned a code or followed a link, whoever shared it may still be working on the page.",
};

/// A page its owner moved to the trash: gone for now (410), and maybe back.
const REMOVED: Missing = Missing {
    status: StatusCode::GONE,
    title: "Page removed",
    heading: "This page was removed by its owner",
    lead: "Whoever published this page has removed it. If they restore it, it will be back at this address.",
    hint: "If you think this is a mistake, contact whoever shared the link or printed the code.",
};

#[derive(Template)]
#[template(path = "missing.html")]
struct MissingPage {
    chrome: Chrome,
    why: &'static Missing,
}

fn missing(why: &'static Missing) -> Response {
    let page = MissingPage {
        chrome: Chrome::default(),
        why,
    };
    friendly(why.status, page.render(), why.heading)
}

fn not_found() -> Response {
    missing(&NOT_FOUND)
}

fn removed() -> Response {
    missing(&REMOVED)
}

/// A page in the product's style with `status`, never cached (the answer can change any time).
fn friendly(status: StatusCode, html: askama::Result<String>, fallback: &str) -> Response {
    let html = html.unwrap_or_else(|_| fallback.to_owned());
    let mut response = (status, Html(html)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn unavailable() -> Response {
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        Html("<!doctype html><title>Unavailable</title><p>This page is briefly unavailable. Please try again in a minute.</p>"),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::is_hop_path;

    #[test]
    fn hop_paths_are_exactly_the_link_hops() {
        for path in ["/m/maya/l/b1", "/m/maya/l/b1/0", "/m/maya/l/b1/12"] {
            assert!(is_hop_path(path), "{path}");
        }
        for path in [
            "/m/maya",
            "/m/maya/l",
            "/m/maya/l/",
            "/m/maya/l/b1/x",
            "/m/maya/l/b1/1/2",
            "/m/maya/preview",
            "/m//l/b1",
            "/app/m/maya/l/b1",
            "/api/v1/microsites",
        ] {
            assert!(!is_hop_path(path), "{path}");
        }
    }
}
