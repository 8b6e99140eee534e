//! What the console's pages share: the founder-page extractor (session, founder check and CSRF
//! token in one) and the founder-form one (the form's token checked, then the founder), where a
//! user's page is, the funnel's human labels, who the numbers leave out, and CSV answers with
//! formula cells defused.

use std::collections::HashSet;

use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use shared::ApiError;
use shared::ui::Chrome;

use crate::pages::WebState;
use crate::pages::kit::chrome;
use crate::pages::session::{CookieJar, Csrf, Founder, Posted, Session, Tokened};

/// A console page's visitor: a signed-in founder, with the CSRF token the page's forms carry and
/// the cookies to send with it. Rejects like [`Founder`] (login redirect, or a 404 page).
pub struct FounderPage {
    pub session: Session,
    csrf: String,
    jar: CookieJar,
}

impl FromRequestParts<WebState> for FounderPage {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        let Founder(session) = Founder::from_request_parts(parts, state).await?;
        let Ok(Csrf(csrf, jar)) = Csrf::from_request_parts(parts, state).await;
        Ok(FounderPage { session, csrf, jar })
    }
}

/// A console form (`F` declares only its own fields) and the founder page it was posted from.
/// Read as [`Posted`] reads a form: its CSRF token checked first, then the founder. The page
/// holds the checked token, for showing it again with what went wrong.
pub struct FounderForm<F>(pub FounderPage, pub F);

impl<F> FromRequest<WebState> for FounderForm<F>
where
    F: serde::de::DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &WebState) -> Result<Self, Response> {
        let Posted(Founder(session), Form(Tokened { csrf_token, form })) =
            Posted::<Form<Tokened<F>>, Founder>::from_request(request, state).await?;
        // The token matched the cookie, so there is no new cookie to send.
        let page = FounderPage {
            session,
            csrf: csrf_token,
            jar: CookieJar::default(),
        };
        Ok(FounderForm(page, form))
    }
}

impl FounderPage {
    pub fn token(&self) -> &str {
        &self.session.access_token
    }

    pub fn chrome(&self) -> Chrome {
        chrome(true, &self.csrf)
    }

    /// The page with the cookies it needs.
    pub fn render(self, page: impl IntoResponse) -> Response {
        self.jar.apply(page)
    }
}

/// The email outbox, which lives in auth's database: in split mode this process does not hold
/// it, and the founder is told what to do instead (`otherwise`).
pub fn outbox<'a>(state: &'a WebState, otherwise: &str) -> Result<&'a email::Outbox, ApiError> {
    state.outbox.as_ref().ok_or_else(|| {
        ApiError::invalid(
            "outbox",
            format!("The email outbox is not in this process: {otherwise}."),
        )
    })
}

/// The console's page about one user: every place a user appears links here.
pub fn user_href(user_id: &str) -> String {
    let id: String = url::form_urlencoded::byte_serialize(user_id.as_bytes()).collect();
    format!("/admin/users/{id}")
}

/// The funnel's steps (analytics' keys) as the founder reads them.
pub fn step_label(step: &str) -> &'static str {
    match step {
        "signed_up" => "Signed up",
        "created_qr" => "Created a code",
        "first_human_scan" => "Got a first human scan",
        "published_microsite" => "Published a page",
        "returned_later_week" => "Came back a later week",
        _ => "Other step",
    }
}

/// A timeline entry (analytics' kinds) as a sentence's start.
pub fn event_label(kind: &str) -> &'static str {
    match kind {
        "signed_up" => "Signed up",
        "created_qr" => "Created a code",
        "published_microsite" => "Published a page",
        "sent_feedback" => "Sent feedback",
        "chose_plan" => "Chose a plan",
        "answered_interview" => "Answered the interview question",
        _ => "Did something",
    }
}

/// Who the console's numbers count. By default the beta's users only: the founders' own accounts
/// and the seeded demo users would flatter every number.
#[derive(Debug, Clone, Default)]
pub struct Counted {
    /// "include founders and demo users" is ticked.
    pub everyone: bool,
    pub founder_ids: HashSet<String>,
}

impl Counted {
    /// The founders are the accounts auth marks as such (from `FOUNDER_EMAILS`).
    pub async fn ask(state: &WebState, token: &str, everyone: bool) -> Result<Counted, ApiError> {
        let founder_ids = if everyone {
            HashSet::new()
        } else {
            state
                .clients
                .auth
                .admin_users(token)
                .await?
                .into_iter()
                .filter(|u| u.role == "founder")
                .map(|u| u.id)
                .collect()
        };
        Ok(Counted {
            everyone,
            founder_ids,
        })
    }

    /// The query pairs analytics reads (`demo=exclude&exclude=…`); empty when counting everyone.
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        if self.everyone {
            return Vec::new();
        }
        let mut ids: Vec<&str> = self.founder_ids.iter().map(String::as_str).collect();
        ids.sort_unstable();
        vec![("demo", "exclude".to_owned()), ("exclude", ids.join(","))]
    }

    pub fn query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.query_pairs())
            .finish()
    }
}

/// Spreadsheet apps run a cell that starts with `=`, `+`, `-`, `@`, tab or CR as a formula: such
/// cells get a leading apostrophe so an email or label can never become `=cmd|…`.
pub fn csv_cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

/// A CSV download of `rows` under `header`; every cell is written as given (defuse free text
/// with [`csv_cell`] first).
pub fn csv_download<const N: usize>(
    filename: &str,
    header: [&str; N],
    rows: impl IntoIterator<Item = [String; N]>,
) -> Result<Response, ApiError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| ApiError::internal(e);
    out.write_record(header).map_err(csv_error)?;
    for row in rows {
        out.write_record(row).map_err(csv_error)?;
    }
    let body = out
        .into_inner()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused() {
        assert_eq!(csv_cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("ada@example.com"), "ada@example.com");
    }

    #[test]
    fn user_links_encode_the_id() {
        assert_eq!(user_href("0193-ab"), "/admin/users/0193-ab");
        assert_eq!(user_href("a/../b"), "/admin/users/a%2F..%2Fb");
    }

    #[test]
    fn funnel_steps_read_as_words() {
        assert_eq!(step_label("signed_up"), "Signed up");
        assert_eq!(step_label("created_qr"), "Created a code");
        assert_eq!(step_label("something_new"), "Other step");
    }

    #[test]
    fn the_beta_is_counted_without_founders_and_demo_users() {
        let counted = Counted {
            everyone: false,
            founder_ids: HashSet::from(["f2".to_owned(), "f1".to_owned()]),
        };
        assert_eq!(counted.query(), "demo=exclude&exclude=f1%2Cf2");
        let everyone = Counted {
            everyone: true,
            ..counted
        };
        assert_eq!(everyone.query(), "");
    }
}
