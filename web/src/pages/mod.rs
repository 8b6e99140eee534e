//! The server-rendered pages of the web service. Handlers are thin: gather what the page needs
//! (through the service clients), fill its template.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::routing::get;
use shared::ui::Chrome;

use crate::app::Clients;

pub mod account_data;
pub mod analytics;
pub mod auth;
pub mod beta;
pub mod codes;
pub mod console;
pub mod kit;
pub mod microsites;
pub mod session;
pub mod trash;

#[derive(Clone)]
pub struct WebState {
    pub clients: Clients,
    /// Cookies get `Secure` when the public URL is https.
    pub secure_cookies: bool,
    /// Feedback, pricing interest, interviews and abuse reports (this service's own tables).
    pub beta: crate::beta::Beta,
    /// Which future services are switched on (the console lists them).
    pub features: shared::features::Features,
    /// The host of `PUBLIC_BASE_URL` (links from our own pages are not a signup source).
    pub public_host: std::sync::Arc<str>,
    /// Whether queued email is delivered (`SMTP_URL` is set). Pages say "we sent" only then;
    /// otherwise they say no email went out and where the founder finds the link.
    pub email_delivery: bool,
    /// The email outbox, for the founder's Outbox page (in auth's database; `None` when this
    /// process does not hold it, as in split mode).
    pub outbox: Option<email::Outbox>,
    /// Verifies the access cookie (who is signed in, and their role) without asking auth.
    pub identity: shared::identity::Identity,
}

/// A future feature's place on a page: its real control when the flag is on, a disabled one
/// labelled "Coming soon" when off (`pages/app/coming_soon.html`).
pub struct Spot {
    pub label: &'static str,
    pub on: bool,
    /// Where the real control goes (when there is a page for it yet).
    pub href: Option<String>,
    /// What it does, shown when on.
    pub note: &'static str,
}

impl Spot {
    pub fn of(
        features: shared::features::Features,
        feature: shared::features::Feature,
        label: &'static str,
        href: Option<String>,
        note: &'static str,
    ) -> Spot {
        Spot {
            label,
            on: features.is_enabled(feature),
            href,
            note,
        }
    }
}

pub fn router(state: WebState) -> Router {
    // The pages that read the session sit behind the layer that refreshes it (once per
    // request). The others never see it: signing in and out sets the cookies itself.
    let signed_in = Router::new()
        .merge(auth::settings_router())
        .merge(codes::router())
        .merge(microsites::router())
        .merge(trash::router())
        .merge(beta::router())
        .merge(console::router())
        .merge(analytics::router())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::refresh,
        ));
    Router::new()
        .merge(signed_in)
        .merge(auth::public_router())
        .merge(beta::public_router())
        .route("/", get(landing))
        .route("/static/{*path}", get(shared::ui::serve_asset))
        .route("/favicon.ico", get(shared::ui::favicon))
        .with_state(state)
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/landing.html")]
struct Landing {
    chrome: Chrome,
}

async fn landing() -> Landing {
    Landing {
        chrome: Chrome::default(),
    }
}
