//! Creating and editing a code: the form with its live preview, saving (deleting is `trash`'s).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use shared::ApiError;
use shared::client::ClientError;
use shared::features::{Feature, Features};
use shared::ui::Chrome;

use qr::api::QrView;

use super::SavedQuery;
use super::form::{CodeForm, PreviewBody};
use crate::pages::kit::{Errors, chrome};
use crate::pages::session::{Csrf, Posted, Session, see_other};
use crate::pages::{Spot, WebState};

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/qr_form.html")]
pub(super) struct CodePage {
    chrome: Chrome,
    /// `None` while creating.
    code: Option<QrView>,
    form: CodeForm,
    errors: Errors,
    preview_svg: String,
    saved: bool,
    /// For the future features' spots ("Print sheet", "A/B test", "Custom domain").
    features: Features,
}

impl CodePage {
    /// The form (with its preview) for `code` (`None` while creating), showing `errors`.
    pub(super) async fn render(
        state: &WebState,
        token: &str,
        csrf: &str,
        code: Option<QrView>,
        form: CodeForm,
        errors: Errors,
    ) -> CodePage {
        let preview_svg = render_preview(state, token, &form).await;
        CodePage {
            chrome: chrome(true, csrf),
            code,
            form,
            errors,
            preview_svg,
            saved: false,
            features: state.features,
        }
    }

    /// The form again, as typed, with qr's refusal of it (a real failure is the error page).
    pub(super) async fn refused(
        state: &WebState,
        session: &Session,
        code: Option<QrView>,
        form: CodeForm,
        err: ClientError,
    ) -> Result<Response, ApiError> {
        let (errors, status) = Errors::from_client(err)?;
        let csrf = form.csrf_token.clone();
        let page = CodePage::render(state, &session.access_token, &csrf, code, form, errors).await;
        Ok((status, page).into_response())
    }

    /// The future features a saved code's page offers: the real link when on, else "Coming soon".
    fn spots(&self) -> Vec<Spot> {
        let Some(code) = &self.code else {
            return Vec::new();
        };
        let dynamic = code.short_url.is_some();
        let mut spots = vec![Spot::of(
            self.features,
            Feature::PrintStudio,
            "Print sheet (A4)",
            Some(format!("/api/v1/qr/{}/print.svg?paper=a4", code.id)),
            "An A4 page with the code, its caption, bleed and quiet zone, ready to print.",
        )];
        if dynamic {
            spots.push(Spot::of(
                self.features,
                Feature::Experiments,
                "A/B test",
                Some(format!("/app/qr/{}/analytics", code.id)),
                "Split scans over 2–4 destinations with the API's rules.variants; \
                 Analytics counts scans per variant (by rule).",
            ));
            spots.push(Spot::of(
                self.features,
                Feature::Domains,
                "Custom domain",
                None,
                "Register your domain with POST /api/v1/domains; it serves your codes once approved.",
            ));
        }
        spots
    }

    fn action(&self) -> String {
        match &self.code {
            Some(code) => format!("/app/qr/{}", code.id),
            None => "/app/qr/new".to_owned(),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct NewQuery {
    /// A saved style to start from.
    style: Option<String>,
}

pub(super) async fn new_page(
    State(state): State<WebState>,
    Query(query): Query<NewQuery>,
    session: Session,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    let mut form = CodeForm::blank();
    if let Some(id) = query.style {
        let styles = state.clients.qr.styles(&session.access_token).await?;
        let saved = styles
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(ApiError::not_found)?;
        form.apply_style(&saved.style);
    }
    let token = &session.access_token;
    let page = CodePage::render(&state, token, &csrf, None, form, Errors::default()).await;
    Ok(jar.apply(page))
}

pub(super) async fn create(
    State(state): State<WebState>,
    Posted(session, Form(form)): Posted<Form<CodeForm>>,
) -> Result<Response, ApiError> {
    match state
        .clients
        .qr
        .create(&session.access_token, &form.body(true))
        .await
    {
        Ok(created) => Ok(see_other(&format!("/app/qr/{}?saved=1", created.id))),
        Err(err) => CodePage::refused(&state, &session, None, form, err).await,
    }
}

pub(super) async fn edit_page(
    State(state): State<WebState>,
    Path(id): Path<String>,
    Query(query): Query<SavedQuery>,
    session: Session,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    let code = state.clients.qr.get(&session.access_token, &id).await?;
    let form = CodeForm::of(&code);
    let token = &session.access_token;
    let mut page =
        CodePage::render(&state, token, &csrf, Some(code), form, Errors::default()).await;
    page.saved = query.saved.is_some();
    Ok(jar.apply(page))
}

pub(super) async fn update(
    State(state): State<WebState>,
    Path(id): Path<String>,
    Posted(session, Form(form)): Posted<Form<CodeForm>>,
) -> Result<Response, ApiError> {
    // The editor shows some rules only (not the link-preview card): keep the rest as they are.
    let current = state.clients.qr.get(&session.access_token, &id).await?;
    let mut body = form.body(false);
    body.rules.preview = current.rules.preview.clone();
    // A/B variants are set through the API; sent back unchanged they need no flag.
    body.rules.variants = current.rules.variants.clone();
    if current.kind.as_str() == "microsite" {
        // Its destination is its microsite's page, not a field.
        body.destination = None;
    }
    match state
        .clients
        .qr
        .update(&session.access_token, &id, &body)
        .await
    {
        Ok(updated) => Ok(see_other(&format!("/app/qr/{}?saved=1", updated.id))),
        Err(err) => CodePage::refused(&state, &session, Some(current), form, err).await,
    }
}

/// The SVG of the style being edited, or a short note saying why it cannot be drawn. The SVG is
/// built by qr from validated numbers and enum values only (captions escaped), so it is safe to
/// place in the page as it is.
pub(super) async fn render_preview(state: &WebState, token: &str, form: &CodeForm) -> String {
    let body = PreviewBody {
        style: form.style(),
    };
    match state.clients.qr.preview(token, &body).await {
        Ok(svg) => String::from_utf8_lossy(&svg).into_owned(),
        Err(err) => {
            let message = err
                .api_error()
                .map_or("The preview is unavailable right now.".to_owned(), |e| {
                    e.message().to_owned()
                });
            format!(
                "<p class=\"alert alert-error\">{}</p>",
                shared::ui::escape(&message)
            )
        }
    }
}

/// htmx posts the form here as it changes; the answer replaces the preview.
pub(super) async fn preview(
    State(state): State<WebState>,
    Posted(session, Form(form)): Posted<Form<CodeForm>>,
) -> Result<Response, ApiError> {
    let svg = render_preview(&state, &session.access_token, &form).await;
    Ok(Html(svg).into_response())
}
