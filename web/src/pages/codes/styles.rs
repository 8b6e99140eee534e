//! Saved styles: the list, saving the editor's style under a name, deleting.

use std::fmt::Write as _;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use shared::ApiError;
use shared::ui::Chrome;

use super::SavedQuery;
use super::editor::CodePage;
use super::form::{NamedStyle, ecc_name, eye_name, module_name};
use super::submit::CodeSubmission;
use crate::pages::WebState;
use crate::pages::kit::chrome;
use crate::pages::session::{Csrf, CsrfOnly, Posted, Session, see_other};

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/qr_styles.html")]
struct StylesPage {
    chrome: Chrome,
    styles: Vec<qr::api::StyleView>,
    saved: bool,
}

impl StylesPage {
    /// A one-line description of a style, for the list.
    fn describe(&self, view: &qr::api::StyleView) -> String {
        let style = &view.style;
        let mut out = format!(
            "{} on {}, {} modules, {} corners, error correction {}",
            style.fg.hex(),
            style.bg.hex(),
            module_name(style.modules),
            eye_name(style.eyes),
            ecc_name(style.ecc)
        );
        if let Some(frame) = &style.frame {
            let _ = write!(out, ", caption \"{}\"", frame.text);
        }
        out
    }
}

pub(super) async fn page(
    State(state): State<WebState>,
    Query(query): Query<SavedQuery>,
    session: Session,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    let styles = state.clients.qr.styles(&session.access_token).await?;
    Ok(jar.apply(StylesPage {
        chrome: chrome(true, &csrf),
        styles,
        saved: query.saved.is_some(),
    }))
}

/// "Save style" on the QR form: the same fields, posted here.
pub(super) async fn save(
    State(state): State<WebState>,
    Posted(session, submitted): Posted<CodeSubmission>,
) -> Result<Response, ApiError> {
    // The page's form is multipart (it may carry a logo file, which a saved style ignores).
    let form = submitted.form;
    let body = NamedStyle {
        name: form.style_name.trim().to_owned(),
        style: form.style(),
    };
    match state
        .clients
        .qr
        .save_style(&session.access_token, &body)
        .await
    {
        Ok(_) => Ok(see_other("/app/qr/styles?saved=1")),
        Err(err) => CodePage::refused(&state, &session, None, form, err).await,
    }
}

pub(super) async fn delete(
    State(state): State<WebState>,
    Path(id): Path<String>,
    Posted(session, _): Posted<Form<CsrfOnly>>,
) -> Result<Response, ApiError> {
    state
        .clients
        .qr
        .delete_style(&session.access_token, &id)
        .await?;
    Ok(see_other("/app/qr/styles"))
}
