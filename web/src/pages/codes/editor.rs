//! Creating and editing a code: the form with its live preview, saving (deleting is `trash`'s).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use shared::ApiError;
use shared::client::ClientError;
use shared::features::{Feature, Features};
use shared::ui::Chrome;

use qr::api::QrView;

use super::SavedQuery;
use super::form::{CodeForm, CountryRow, PreviewBody};
use super::submit::CodeSubmission;
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

    /// The country rows with, for each, the error qr gave its route (if any).
    fn country_rows(&self) -> Vec<(usize, CountryRow, Option<&str>, Option<&str>)> {
        let rules = &self.form.rules;
        rules
            .country_rows()
            .into_iter()
            .enumerate()
            .map(|(i, row)| {
                let error = |name: &str| {
                    rules
                        .country_route(i)
                        .and_then(|route| self.errors.on(&format!("rules.routes[{route}].{name}")))
                };
                (i, row, error("country"), error("url"))
            })
            .collect()
    }

    /// The error shown above the form: one no field shows in place.
    fn general_error(&self) -> Option<&str> {
        let mut shown: Vec<String> = [
            "name",
            "destination",
            "tags",
            "style.fg",
            "style.bg",
            "style.margin",
            "style.frame.text",
            "style.frame.template",
            "style.gradient.to",
            "style.eye_color",
            "style.modules",
            "style.eyes",
            "utm",
            "file",
            "rules.time_zone",
            "rules.expires_at",
        ]
        .map(str::to_owned)
        .to_vec();
        let rules = &self.form.rules;
        for route in (0..rules.countries.len()).filter_map(|i| rules.country_route(i)) {
            shown.push(format!("rules.routes[{route}].country"));
            shown.push(format!("rules.routes[{route}].url"));
        }
        let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
        self.errors.general(&shown)
    }

    /// The zone `<select>`'s options.
    fn time_zones(&self) -> &'static [String] {
        super::form::time_zones()
    }

    fn countries(&self) -> impl Iterator<Item = &'static str> {
        qr::rules::country_codes()
    }

    /// A typed country that is not in the list (kept as an option so the refusal shows it).
    fn unknown_country(&self, typed: &str) -> bool {
        let typed = typed.trim();
        !typed.is_empty() && !qr::rules::country_codes().any(|c| c.eq_ignore_ascii_case(typed))
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

/// "Add a country" / "Remove" on a country row: the form again with the rows changed, saving
/// nothing (how rows are added and removed without JavaScript).
async fn rows_changed(
    state: &WebState,
    session: &Session,
    code: Option<QrView>,
    mut form: CodeForm,
    logo: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let errors = match upload_logo(state, session, &mut form, logo).await? {
        Ok(()) => Errors::default(),
        Err(errors) => errors,
    };
    let rules = &mut form.rules;
    rules.countries = rules.country_rows();
    rules.add_country = None;
    rules.remove_country = None;
    let csrf = form.csrf_token.clone();
    let token = &session.access_token;
    let status = if errors.has_field() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = CodePage::render(state, token, &csrf, code, form, errors).await;
    Ok((status, page).into_response())
}

/// The web's own checks (time zones), then the logo: `Err` is the form's error to show instead.
async fn prepare(
    state: &WebState,
    session: &Session,
    form: &mut CodeForm,
    logo: axum::body::Bytes,
) -> Result<Result<(), Errors>, ApiError> {
    if let Err(err) = form.rules.check() {
        return Ok(Err(Errors::from_api(err)?));
    }
    upload_logo(state, session, form, logo).await
}

/// Uploads a logo file sent with the form (if any) and puts it on the form, before anything
/// else can refuse the form: the re-shown form then keeps it (a browser cannot refill a file
/// input), whether the code is refused or a country row was added.
async fn upload_logo(
    state: &WebState,
    session: &Session,
    form: &mut CodeForm,
    logo: axum::body::Bytes,
) -> Result<Result<(), Errors>, ApiError> {
    if logo.is_empty() {
        return Ok(Ok(()));
    }
    match state
        .clients
        .qr
        .upload_media(&session.access_token, logo)
        .await
    {
        Ok(uploaded) => {
            form.logo_id = uploaded.id;
            form.logo_size = qr::style::Logo::default_size().to_string();
            Ok(Ok(()))
        }
        // The error is about the chosen file, whatever media named it.
        Err(err) => Ok(Err(Errors::from_client(err)?.0.at("file"))),
    }
}

pub(super) async fn create(
    State(state): State<WebState>,
    Posted(session, submitted): Posted<CodeSubmission>,
) -> Result<Response, ApiError> {
    let CodeSubmission { mut form, logo, .. } = submitted;
    if form.rules.editing_rows() {
        return rows_changed(&state, &session, None, form, logo).await;
    }
    if let Err(errors) = prepare(&state, &session, &mut form, logo).await? {
        return invalid(&state, &session, None, form, errors).await;
    }
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

/// The form again, as typed, with the web's own refusal of it.
async fn invalid(
    state: &WebState,
    session: &Session,
    code: Option<QrView>,
    form: CodeForm,
    errors: Errors,
) -> Result<Response, ApiError> {
    let csrf = form.csrf_token.clone();
    let page = CodePage::render(state, &session.access_token, &csrf, code, form, errors).await;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
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
    Posted(session, submitted): Posted<CodeSubmission>,
) -> Result<Response, ApiError> {
    let CodeSubmission { mut form, logo, .. } = submitted;
    // The editor shows some rules only (not the link-preview card): keep the rest as they are.
    let current = state.clients.qr.get(&session.access_token, &id).await?;
    if form.rules.editing_rows() {
        return rows_changed(&state, &session, Some(current), form, logo).await;
    }
    if let Err(errors) = prepare(&state, &session, &mut form, logo).await? {
        return invalid(&state, &session, Some(current), form, errors).await;
    }
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
    Posted(session, submitted): Posted<CodeSubmission>,
) -> Result<Response, ApiError> {
    let svg = render_preview(&state, &session.access_token, &submitted.form).await;
    Ok(Html(svg).into_response())
}
