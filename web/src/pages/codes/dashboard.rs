//! The dashboard: the visitor's codes, searchable by name and tag, with their scan counts.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use shared::ApiError;
use shared::ui::Chrome;

use qr::api::QrView;
use qr::rules::Status;

use crate::pages::WebState;
use crate::pages::kit::chrome;
use crate::pages::session::{Csrf, Session};

#[derive(Deserialize, Default)]
pub(super) struct ListQuery {
    q: Option<String>,
    tag: Option<String>,
    cursor: Option<String>,
    /// Set after a code was moved to the trash (`?trashed=1`).
    trashed: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    email: String,
    codes: Vec<QrView>,
    q: String,
    tag: String,
    next_cursor: Option<String>,
    unavailable: bool,
    trashed: bool,
    /// When the page was made, for the expiry badge.
    now_ms: i64,
    /// Human scans per code id, when analytics answered.
    scans: Option<std::collections::BTreeMap<String, analytics::query::ScanTotals>>,
}

impl Dashboard {
    fn human_scans(&self, id: &str) -> Option<i64> {
        Some(self.scans.as_ref()?.get(id).map_or(0, |t| t.human))
    }

    /// The card's badge (CSS class, words) for what a scan of the code meets now, by qr's own
    /// order of checks. Static codes encode their content and have no state to show. The scan
    /// limit is judged on analytics' human count (what the card shows); without it, it is not.
    fn state(&self, code: &QrView) -> Option<(&'static str, &'static str)> {
        if code.deleted_at.is_some() {
            return Some(("state-trash", "In trash"));
        }
        code.short_url.as_ref()?;
        let human = self
            .human_scans(&code.id)
            .map_or(0, |n| u64::try_from(n).unwrap_or(0));
        Some(
            match Status::of(code.paused, &code.rules, self.now_ms, human) {
                Status::Active => ("state-active", "Active"),
                Status::Paused => ("state-paused", "Paused"),
                Status::Expired => ("state-expired", "Expired"),
                Status::LimitReached => ("state-limit", "Scan limit reached"),
            },
        )
    }
}

pub(super) async fn dashboard(
    State(state): State<WebState>,
    Query(query): Query<ListQuery>,
    session: Session,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    // The page shows the address, which the token does not hold.
    let user = state.clients.auth.me_with(&session.access_token).await?;
    let params: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            [
                ("q", &query.q),
                ("tag", &query.tag),
                ("cursor", &query.cursor),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (k, v))),
        )
        .append_pair("limit", "24")
        .finish();
    // The qr service being down degrades this page, it does not fail it.
    let (codes, next_cursor, unavailable) =
        match state.clients.qr.list(&session.access_token, &params).await {
            Ok(page) => (page.items, page.next_cursor, false),
            Err(err) if err.api_error().is_none() => {
                tracing::warn!(%err, "qr service unavailable for the dashboard");
                (Vec::new(), None, true)
            }
            Err(err) => return Err(err.into()),
        };
    // Scan counts are a nice-to-have on this page: analytics being down leaves them out.
    let ids: Vec<&str> = codes.iter().map(|c| c.id.as_str()).collect();
    let scans = match state
        .clients
        .analytics
        .qr_totals(&session.access_token, &ids)
        .await
    {
        Ok(totals) => Some(totals),
        Err(err) => {
            tracing::warn!(%err, "scan counts unavailable for the dashboard");
            None
        }
    };
    Ok(jar.apply(Dashboard {
        chrome: chrome(true, &csrf),
        now_ms: jiff::Timestamp::now().as_millisecond(),
        email: user.email,
        scans,
        codes,
        q: query.q.unwrap_or_default(),
        tag: query.tag.unwrap_or_default(),
        next_cursor,
        unavailable,
        trashed: query.trashed.is_some(),
    }))
}
