//! The trash: deleting a code or a microsite (after a confirmation page, no JavaScript needed)
//! moves it here, where it can be restored — a code with its scans — or deleted forever, for 30
//! days before qr and microsite purge it. Everything goes through the services' clients with the
//! visitor's own token, so their ownership rules are the only ones there are.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use shared::ApiError;
use shared::client::ClientError;

use qr::api::QrView;
use shared::ui::Chrome;

use super::WebState;
use super::kit::chrome;
use super::session::{Csrf, CsrfOnly, Posted, Session, form_post, see_other};

const FORM_LIMIT: usize = 16 * 1024;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Signed-in routes (behind the session layer).
pub fn router() -> Router<WebState> {
    Router::new()
        .route("/app/trash", get(page))
        // Deleting a code or a page asks first, on a page of its own; POST because forms cannot
        // DELETE. (`/app/qr/…` and `/app/microsites/…` routes without a `delete` come first.)
        .route(
            "/app/{kind}/{id}/delete",
            get(confirm).merge(form_post(move_to_trash, "/app/{kind}/{id}", FORM_LIMIT)),
        )
        .route(
            "/app/trash/{kind}/{id}/{action}",
            form_post(act, "/app/trash", FORM_LIMIT),
        )
}

/// What a trash route acts on (the path segment names the service's API and the app's pages).
#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Qr,
    Microsites,
}

impl Kind {
    fn segment(self) -> &'static str {
        match self {
            Kind::Qr => "qr",
            Kind::Microsites => "microsites",
        }
    }
}

/// What is done to it: `restore`, or `purge` ("delete forever").
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Action {
    Restore,
    Purge,
}

/// "Move … to the trash?": a code's and a page's deletion ask alike; they differ in what it means
/// for the people who scan or visit.
#[derive(Template, WebTemplate)]
#[template(path = "pages/app/trash_confirm.html")]
struct ConfirmTrash {
    chrome: Chrome,
    kind: Kind,
    id: String,
    name: String,
    /// Where people will read "removed by its owner": the code's short URL, or the page's address
    /// while it is published.
    address: Option<String>,
}

impl ConfirmTrash {
    /// The code's editor or the page's builder.
    fn item_url(&self) -> String {
        let id: String = url::form_urlencoded::byte_serialize(self.id.as_bytes()).collect();
        format!("/app/{}/{id}", self.kind.segment())
    }
}

async fn confirm(
    State(state): State<WebState>,
    Path((kind, id)): Path<(Kind, String)>,
    session: Session,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    let token = &session.access_token;
    let (name, address) = match kind {
        Kind::Qr => {
            let code = state.clients.qr.get(token, &id).await?;
            (code.name, code.short_url)
        }
        Kind::Microsites => {
            let page = state.clients.microsite.get(token, &id).await?;
            (page.title, page.published.then_some(page.url))
        }
    };
    Ok(jar.apply(ConfirmTrash {
        chrome: chrome(true, &csrf),
        kind,
        id,
        name,
        address,
    }))
}

/// Moves the visitor's code or page to the trash, then back to its list, which says so.
async fn move_to_trash(
    State(state): State<WebState>,
    Path((kind, id)): Path<(Kind, String)>,
    Posted(session, _): Posted<Form<CsrfOnly>>,
) -> Result<Response, ApiError> {
    let token = &session.access_token;
    Ok(see_other(match kind {
        Kind::Qr => {
            state.clients.qr.delete(token, &id).await?;
            "/app?trashed=1"
        }
        Kind::Microsites => {
            state.clients.microsite.delete(token, &id).await?;
            "/app/microsites?deleted=1"
        }
    }))
}

/// Restores or purges ("delete forever") one of the visitor's trashed codes or pages.
async fn act(
    State(state): State<WebState>,
    Path((kind, id, action)): Path<(Kind, String, Action)>,
    Posted(session, _): Posted<Form<CsrfOnly>>,
) -> Result<Response, ApiError> {
    let (qr, pages, token) = (
        &state.clients.qr,
        &state.clients.microsite,
        &session.access_token,
    );
    match (kind, action) {
        (Kind::Qr, Action::Restore) => drop(qr.restore(token, &id).await?),
        (Kind::Qr, Action::Purge) => qr.purge(token, &id).await?,
        (Kind::Microsites, Action::Restore) => drop(pages.restore(token, &id).await?),
        (Kind::Microsites, Action::Purge) => pages.purge(token, &id).await?,
    }
    Ok(see_other(match action {
        Action::Restore => "/app/trash?restored=1",
        Action::Purge => "/app/trash?purged=1",
    }))
}

/// One thing in the trash, as the page lists it.
struct Row {
    id: String,
    name: String,
    /// The short URL or the page's address, which answers "removed by its owner" meanwhile.
    address: String,
    days_left: i64,
}

/// One service's part of the trash; `unavailable` when that service did not answer.
struct Section {
    rows: Vec<Row>,
    unavailable: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/trash.html")]
struct TrashPage {
    chrome: Chrome,
    codes: Section,
    pages: Section,
    restored: bool,
    purged: bool,
}

#[derive(Deserialize)]
struct Notice {
    restored: Option<String>,
    purged: Option<String>,
}

async fn page(
    State(state): State<WebState>,
    Query(notice): Query<Notice>,
    session: Session,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    let token = &session.access_token;
    let now = shared::ids::now_ms();
    let codes = section(state.clients.qr.trash(token).await, |code| Row {
        days_left: days_left(code.purge_at, now),
        address: code.short_url.unwrap_or_default(),
        id: code.id,
        name: code.name,
    })?;
    let pages = section(state.clients.microsite.trash(token).await, |page| Row {
        days_left: days_left(page.purge_at, now),
        address: page.url,
        id: page.id,
        name: page.title,
    })?;
    Ok(jar.apply(TrashPage {
        chrome: chrome(true, &csrf),
        codes,
        pages,
        restored: notice.restored.is_some(),
        purged: notice.purged.is_some(),
    }))
}

/// A service's trash as rows; a service that is down degrades its section, not the page.
fn section<L: Listed>(
    answer: Result<L, ClientError>,
    row: impl Fn(L::Item) -> Row,
) -> Result<Section, ApiError> {
    match answer {
        Ok(list) => Ok(Section {
            rows: list.items().into_iter().map(row).collect(),
            unavailable: false,
        }),
        Err(err) if err.api_error().is_none() => {
            tracing::warn!(%err, "a service's trash is unavailable");
            Ok(Section {
                rows: Vec::new(),
                unavailable: true,
            })
        }
        Err(err) => Err(err.into()),
    }
}

/// The two services' list answers, read the same way.
trait Listed {
    type Item;
    fn items(self) -> Vec<Self::Item>;
}

impl Listed for qr::api::ListView {
    type Item = QrView;
    fn items(self) -> Vec<QrView> {
        self.items
    }
}

impl Listed for microsite::api::ListView {
    type Item = microsite::api::MicrositeView;
    fn items(self) -> Vec<Self::Item> {
        self.items
    }
}

/// Whole days until the purge, rounded up (a code purged in 3 hours has 1 day left).
fn days_left(purge_at: Option<i64>, now: i64) -> i64 {
    purge_at.map_or(0, |at| ((at - now).max(0) + DAY_MS - 1) / DAY_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_left_round_up_and_never_go_negative() {
        let now = 1_000_000_000_000;
        assert_eq!(days_left(Some(now + 30 * DAY_MS), now), 30);
        assert_eq!(days_left(Some(now + 3 * 60 * 60 * 1000), now), 1);
        assert_eq!(days_left(Some(now - DAY_MS), now), 0);
        assert_eq!(days_left(None, now), 0);
    }
}
