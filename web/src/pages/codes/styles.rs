//! Saved styles: the list, saving the editor's style under a name, deleting.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use shared::ApiError;
use shared::ui::Chrome;

use super::SavedQuery;
use super::editor::{CodePage, render_preview};
use super::form::CodeForm;
use crate::pages::WebState;
use crate::pages::kit::{Errors, chrome};
use crate::pages::session::{CookieJar, CsrfOnly, Posted, Session, csrf_token, see_other};

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/qr_styles.html")]
struct StylesPage {
    chrome: Chrome,
    styles: Vec<qr::api::StyleView>,
    saved: bool,
}

impl StylesPage {
    /// A one-line description of a style, for the list.
    fn describe(&self, style: &qr::api::StyleView) -> String {
        let v = serde_json::to_value(&style.style).unwrap_or_default();
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        let mut out = format!(
            "{} on {}, {} modules, {} corners, error correction {}",
            text("fg"),
            text("bg"),
            text("modules"),
            text("eyes"),
            text("ecc")
        );
        if let Some(caption) = v["frame"]["text"].as_str() {
            out.push_str(&format!(", caption \"{caption}\""));
        }
        out
    }
}

pub(super) async fn page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(query): Query<SavedQuery>,
    session: Session,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let csrf = csrf_token(&state, &headers, &mut jar);
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
    Posted(session, Form(form)): Posted<Form<CodeForm>>,
) -> Result<Response, ApiError> {
    let body = json!({ "name": form.style_name.trim(), "style": form.style() });
    match state
        .clients
        .qr
        .save_style(&session.access_token, &body)
        .await
    {
        Ok(_) => Ok(see_other("/app/qr/styles?saved=1")),
        Err(err) => {
            let (errors, status) = Errors::from_client(err)?;
            let preview_svg = render_preview(&state, &session.access_token, &form).await;
            let csrf = form.csrf_token.clone();
            Ok((
                status,
                CodePage {
                    chrome: chrome(true, &csrf),
                    code: None,
                    form,
                    errors,
                    preview_svg,
                    saved: false,
                    features: state.features,
                },
            )
                .into_response())
        }
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
