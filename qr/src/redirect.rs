//! `GET /r/{code}`: the request every scanner makes. It resolves the code from memory (the
//! database only on a cache miss, and never for junk), answers at once, and hands a `qr.scanned`
//! event to the bus without waiting for anyone. Recording can fail; the redirect cannot.

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use shared::ids::now_ms;
use shared::ui::Chrome;
use shared::visit::{self, Visit};

use crate::code::ShortCode;
use crate::contract::{QR_SCANNED, QrScanned};
use crate::gate;
use crate::model::short_url;
use crate::resolve::target::Target;
use crate::rules::{Outcome, ScanContext, evaluate};
use crate::service::QrService;

/// How long a cache miss may wait for the database before the scanner gets a 503 page.
const LOOKUP_BUDGET: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct RedirectState {
    pub service: Arc<QrService>,
}

pub async fn scan(
    State(state): State<RedirectState>,
    Path(raw): Path<String>,
    request: Request,
) -> Response {
    let Some(code) = ShortCode::from_request(&raw) else {
        return not_found();
    };
    // A cache hit answers without arming a timer; only a miss gets the lookup budget.
    let cached = state.service.resolver().resolve_cached(&code);
    let target = match cached {
        Some(Some(target)) => target,
        Some(None) => return not_found(),
        None => match tokio::time::timeout(LOOKUP_BUDGET, state.service.resolver().resolve(&code))
            .await
        {
            Ok(Ok(Some(target))) => target,
            Ok(Ok(None)) => return not_found(),
            Ok(Err(err)) => {
                tracing::warn!(%err, "code lookup failed");
                return unavailable();
            }
            Err(_) => {
                tracing::warn!("code lookup timed out");
                return unavailable();
            }
        },
    };
    // On a custom domain (the `domains` feature), only its owner's codes.
    if !shared::future::domains::may_serve(request.extensions(), &target.owner_id) {
        return not_found();
    }
    // Not published as a scan: analytics would count it as a person reaching the destination
    // (it knows the refused rules, and "trashed" is not one of them yet).
    if target.trashed {
        return trashed(&target.code);
    }

    let (parts, _body) = request.into_parts();
    let headers = &parts.headers;
    let is_head = parts.method == Method::HEAD;
    let prefetch = visit::is_prefetch(headers);
    let bot = botcheck::is_bot(visit::user_agent(headers));
    let human = !bot && !is_head && !prefetch;

    // The founder's decision wins over every rule and preview. Memory only (see `moderation`).
    if state.service.moderation().is_disabled(&target) {
        publish(&state, &target, &parts, "disabled", None);
        return disabled(&target.code);
    }

    if bot && let Some(preview) = &target.rules.preview {
        let page = PreviewPage {
            title: &preview.title,
            description: &preview.description,
            short_url: short_url(state.service.public_base_url(), &target.code),
        };
        publish(&state, &target, &parts, "preview", None);
        return page_response(StatusCode::OK, page.render());
    }

    let (outcome, destination) = decide(&state, &target, &parts).await;
    if destination.is_some() && target.rules.has_password() {
        // The scan is recorded here, once; the password post that follows is not another scan.
        publish(&state, &target, &parts, "password", None);
        return password_page(StatusCode::OK, None, false);
    }
    publish(&state, &target, &parts, outcome.rule(), destination.clone());
    if human && destination.is_some() {
        state.service.scans().count_human_scan(&target);
    }
    answer(outcome, destination, StatusCode::FOUND, &target.code)
}

/// `POST /r/{code}`: the password form of a protected code. Same-origin only (the route's CSRF
/// layer); wrong guesses are limited per code and visitor.
pub async fn unlock(
    State(state): State<RedirectState>,
    Path(raw): Path<String>,
    request: Request,
) -> Response {
    let Some(code) = ShortCode::from_request(&raw) else {
        return not_found();
    };
    let target =
        match tokio::time::timeout(LOOKUP_BUDGET, state.service.resolver().resolve(&code)).await {
            Ok(Ok(Some(target))) => target,
            Ok(Ok(None)) => return not_found(),
            _ => return unavailable(),
        };
    // The same custom-domain rule as the scan: only the domain owner's codes.
    if !shared::future::domains::may_serve(request.extensions(), &target.owner_id) {
        return not_found();
    }
    if target.trashed {
        return trashed(&target.code);
    }
    if state.service.moderation().is_disabled(&target) {
        return disabled(&target.code);
    }
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 4096).await else {
        return password_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            Some("That is too long."),
            false,
        );
    };
    let password = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();

    let (outcome, destination) = decide(&state, &target, &parts).await;
    let (Some(hash), Some(_)) = (&target.rules.password_hash, &destination) else {
        // Not protected (any more), or paused/expired: answer as a scan would, without a count.
        return answer(outcome, destination, StatusCode::SEE_OTHER, &target.code);
    };
    let visitor = gate::visitor(shared::client_addr::of(&parts).0);
    let attempts = state.service.attempts();
    if attempts.locked(&target.code, visitor) {
        return locked();
    }
    if password.is_empty()
        || password.chars().count() > 128
        || !gate::verify(password, hash.clone()).await
    {
        attempts.fail(&target.code, visitor);
        if attempts.locked(&target.code, visitor) {
            return locked();
        }
        return password_page(
            StatusCode::UNAUTHORIZED,
            Some("That password is not right. Try again."),
            false,
        );
    }
    if !botcheck::is_bot(visit::user_agent(&parts.headers)) {
        state.service.scans().count_human_scan(&target);
    }
    answer(outcome, destination, StatusCode::SEE_OTHER, &target.code)
}

/// Runs the rules for this request: pause, expiry, limit, routes (device, country, schedule).
async fn decide(
    state: &RedirectState,
    target: &Target,
    parts: &axum::http::request::Parts,
) -> (Outcome, Option<String>) {
    let user_agent = visit::user_agent(&parts.headers);
    let human_scans = if target.rules.max_scans.is_some() {
        state.service.scans().human_scans(target).await
    } else {
        0
    };
    // In memory (embedded registry data), and only for codes that route by country.
    let country = if target.rules.needs_country() {
        shared::client_addr::of(parts)
            .0
            .and_then(iptocc::country_code)
    } else {
        None
    };
    let outcome = evaluate(
        &target.destination,
        target.paused,
        &target.rules,
        target.utm.as_ref(),
        &ScanContext {
            now_ms: now_ms(),
            user_agent,
            query: parts.uri.query(),
            human_scans,
            country,
            visitor: crate::experiments::visitor_for(
                state.service.features(),
                &target.qr_id,
                &target.rules.variants,
                parts,
                now_ms(),
            ),
        },
    );
    let destination = match &outcome {
        Outcome::Redirect { url, .. } => Some(attribute_microsite(
            url,
            state.service.public_base_url(),
            &target.code,
        )),
        _ => None,
    };
    (outcome, destination)
}

fn answer(
    outcome: Outcome,
    destination: Option<String>,
    redirect: StatusCode,
    code: &str,
) -> Response {
    match (outcome, destination) {
        (Outcome::Redirect { .. }, Some(url)) => redirect_to(&url, redirect),
        (Outcome::Paused, _) => status_page(
            StatusCode::GONE,
            "This code is paused",
            "Whoever printed this code has paused it for now. Try again later.",
            Some(code),
        ),
        _ => status_page(
            StatusCode::GONE,
            "This code has expired",
            "This QR code is no longer active.",
            Some(code),
        ),
    }
}

/// A code the founder disabled, or a code of a disabled account.
fn disabled(code: &str) -> Response {
    status_page(
        StatusCode::GONE,
        "This code has been disabled",
        "Scanpage has disabled this QR code. It no longer leads anywhere.",
        Some(code),
    )
}

/// A code its owner moved to the trash: gone for now, and maybe back (they can restore it).
fn trashed(code: &str) -> Response {
    status_page(
        StatusCode::GONE,
        "This code was removed by its owner",
        "Whoever printed this QR code has removed it. If they restore it, it will work again.",
        Some(code),
    )
}

fn password_page(status: StatusCode, error: Option<&'static str>, locked: bool) -> Response {
    let page = gate::PasswordPage {
        chrome: Chrome::default(),
        error,
        locked,
    };
    page_response(status, askama::Template::render(&page))
}

fn locked() -> Response {
    let mut response = password_page(
        StatusCode::TOO_MANY_REQUESTS,
        Some("Too many wrong passwords. Try again in 15 minutes."),
        true,
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("900"));
    response
}

/// A scan that lands on one of our own microsites says which code it came through
/// (`?src=qr_<code>`), since phone cameras send no Referer; the microsite reports the view with
/// that code as its referrer.
fn attribute_microsite(url: &str, public_base_url: &str, code: &str) -> String {
    let ours = url
        .strip_prefix(public_base_url)
        .is_some_and(|rest| rest.starts_with("/m/"));
    if !ours {
        return url.to_owned(); // most scans: no parse on the hot path
    }
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            parsed
                .query_pairs_mut()
                .append_pair("src", &format!("qr_{code}"));
            parsed.into()
        }
        _ => url.to_owned(),
    }
}

/// `status` is 302 for a scan, 303 after the password form's POST.
fn redirect_to(url: &str, status: StatusCode) -> Response {
    match HeaderValue::from_str(url) {
        Ok(location) => {
            let mut response = status.into_response();
            let h = response.headers_mut();
            h.insert(header::LOCATION, location);
            // Every scan must reach us to be counted: no browser or proxy may cache this.
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("strict-origin-when-cross-origin"),
            );
            response
        }
        // Stored destinations are serialised URLs, so this cannot happen; if it does, say so.
        Err(_) => unavailable(),
    }
}

/// Hands the scan to the bus. Never waits; a full queue costs a counted scan, not a redirect.
fn publish(
    state: &RedirectState,
    target: &Target,
    parts: &axum::http::request::Parts,
    rule: &str,
    destination: Option<String>,
) {
    let payload = QrScanned {
        qr_id: target.qr_id.clone(),
        owner_id: target.owner_id.clone(),
        code: target.code.clone(),
        destination,
        rule: rule.to_owned(),
        visit: Visit::capture(parts),
    };
    if let Err(err) = state.service.bus().emit(QR_SCANNED, payload) {
        tracing::warn!(%err, "scan not recorded");
    }
}

#[derive(Template)]
#[template(path = "preview.html")]
struct PreviewPage<'a> {
    title: &'a str,
    description: &'a str,
    short_url: String,
}

#[derive(Template)]
#[template(path = "scan_status.html")]
struct StatusPage<'a> {
    chrome: Chrome,
    title: &'a str,
    message: &'a str,
    /// The scanned code, for the pre-filled report link (a short code: letters, digits, `-`).
    code: Option<&'a str>,
}

fn status_page(status: StatusCode, title: &str, message: &str, code: Option<&str>) -> Response {
    let page = StatusPage {
        chrome: Chrome::default(),
        title,
        message,
        code,
    };
    page_response(status, page.render())
}

fn page_response(status: StatusCode, html: Result<String, askama::Error>) -> Response {
    let mut response = match html {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(%err, "scan page failed to render");
            (status, "This code cannot be shown right now.").into_response()
        }
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The same page, status and (cached) timing whether the code never existed or was purged.
fn not_found() -> Response {
    status_page(
        StatusCode::NOT_FOUND,
        "This QR code doesn't exist",
        "The code you scanned isn't one of ours, or it has been removed.",
        None,
    )
}

fn unavailable() -> Response {
    status_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "We can't open this code right now",
        "Something on our side is briefly unavailable. Please scan again in a minute.",
        None,
    )
}
