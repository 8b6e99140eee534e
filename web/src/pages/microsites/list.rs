//! The list of the visitor's pages, with their views.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::Response;
use shared::ApiError;
use shared::ui::Chrome;

use microsite::api::MicrositeView;

use super::Notice;
use crate::pages::WebState;
use crate::pages::kit::chrome;
use crate::pages::session::{Csrf, Session};

pub struct ListRow {
    pub page: MicrositeView,
    /// Views from analytics, when it can tell us (see [`view_counts`]).
    pub views: Option<u64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/microsite_list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<ListRow>,
    deleted: bool,
}

/// Human views per page, all time (analytics keeps five years), asked of analytics page by page
/// (a beta account has a handful). A page nobody has viewed yet is 0; when analytics does not
/// answer, the list shows "—" rather than failing.
async fn view_counts(state: &WebState, token: &str, pages: &[MicrositeView]) -> Vec<Option<u64>> {
    let range = crate::pages::analytics::all_time_query();
    let mut counts = Vec::with_capacity(pages.len());
    for page in pages {
        let count = match state
            .clients
            .analytics
            .microsite(token, &page.id, &range)
            .await
        {
            Ok(stats) => u64::try_from(stats.human_views).ok(),
            // Analytics answers 404 for a page it has never seen a view of.
            Err(err) if err.api_error().is_some_and(|e| e.status().as_u16() == 404) => Some(0),
            Err(err) => {
                tracing::warn!(%err, "view counts unavailable for the microsite list");
                None
            }
        };
        counts.push(count);
    }
    counts
}

pub(super) async fn list(
    State(state): State<WebState>,
    Query(notice): Query<Notice>,
    session: Session,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    let pages = state
        .clients
        .microsite
        .list(&session.access_token)
        .await?
        .items;
    let views = view_counts(&state, &session.access_token, &pages).await;
    let rows = pages
        .into_iter()
        .zip(views)
        .map(|(page, views)| ListRow { page, views })
        .collect();
    Ok(jar.apply(ListPage {
        chrome: chrome(true, &csrf),
        rows,
        deleted: notice.deleted.is_some(),
    }))
}
