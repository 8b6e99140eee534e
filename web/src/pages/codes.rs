//! The QR code pages: the dashboard list, the create and edit forms with a live preview, and
//! image downloads. Everything goes through `QrClient` with the visitor's own access token, so
//! the qr service's ownership rules are the only ones there are.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::ApiError;
use shared::ui::Chrome;

use qr::api::QrView;

use super::WebState;
use super::auth::{Errors, chrome, form_session, require_session};
use super::session::{CookieJar, csrf_token, see_other};

const FORM_LIMIT: usize = 16 * 1024;

pub fn router() -> Router<WebState> {
    let small = || DefaultBodyLimit::max(FORM_LIMIT);
    Router::new()
        .route("/app", get(dashboard))
        .route("/app/qr/new", get(new_page).post(create).layer(small()))
        .route("/app/qr/preview", post(preview).layer(small()))
        .route("/app/qr/{id}", get(edit_page).post(update).layer(small()))
        // POST because HTML forms cannot send DELETE.
        .route("/app/qr/{id}/delete", post(remove).layer(small()))
        .route("/app/qr/{id}/image.svg", get(image_svg))
        .route("/app/qr/{id}/image.png", get(image_png))
}

// --- Dashboard -------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    tag: Option<String>,
    cursor: Option<String>,
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
}

async fn dashboard(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match require_session(&state, &headers, &mut jar, "/app").await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let csrf = csrf_token(&state, &headers, &mut jar);
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
    Ok(jar.apply(Dashboard {
        chrome: chrome(true, &csrf),
        email: session.user.email,
        codes,
        q: query.q.unwrap_or_default(),
        tag: query.tag.unwrap_or_default(),
        next_cursor,
        unavailable,
    }))
}

// --- Create and edit --------------------------------------------------------------------------

/// The form's fields, as typed (so they can be shown again with an error).
#[derive(Deserialize, Default, Clone)]
struct CodeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    destination: String,
    #[serde(default)]
    tags: String,
    #[serde(default = "black")]
    fg: String,
    #[serde(default = "white")]
    bg: String,
    #[serde(default = "square")]
    modules: String,
    #[serde(default = "square")]
    eyes: String,
    #[serde(default = "level_m")]
    ecc: String,
    #[serde(default)]
    frame_text: String,
    #[serde(default)]
    paused: Option<String>,
}

fn black() -> String {
    "#000000".into()
}
fn white() -> String {
    "#ffffff".into()
}
fn square() -> String {
    "square".into()
}
fn level_m() -> String {
    "M".into()
}

impl CodeForm {
    fn blank() -> Self {
        CodeForm {
            fg: black(),
            bg: white(),
            modules: square(),
            eyes: square(),
            ecc: level_m(),
            ..CodeForm::default()
        }
    }

    fn of(qr: &QrView) -> Self {
        let style = serde_json::to_value(&qr.style).unwrap_or_default();
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        CodeForm {
            csrf_token: String::new(),
            name: qr.name.clone(),
            destination: qr.destination.clone().unwrap_or_default(),
            tags: qr.tags.join(", "),
            fg: text(&style["fg"]),
            bg: text(&style["bg"]),
            modules: text(&style["modules"]),
            eyes: text(&style["eyes"]),
            ecc: text(&style["ecc"]),
            frame_text: text(&style["frame"]["text"]),
            paused: qr.paused.then(|| "on".to_owned()),
        }
    }

    /// The style object the qr API takes. Values are passed as typed; qr validates them.
    fn style(&self) -> Value {
        let mut style = json!({
            "fg": self.fg.trim(), "bg": self.bg.trim(), "modules": self.modules,
            "eyes": self.eyes, "ecc": self.ecc,
        });
        if !self.frame_text.trim().is_empty() {
            style["frame"] = json!({ "text": self.frame_text.trim() });
        }
        style
    }

    fn body(&self, creating: bool) -> Value {
        let tags: Vec<&str> = self
            .tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        let mut body = json!({
            "name": self.name, "destination": self.destination.trim(),
            "style": self.style(), "tags": tags,
        });
        if !creating {
            body["paused"] = json!(self.paused.is_some());
        }
        body
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/qr_form.html")]
struct CodePage {
    chrome: Chrome,
    /// `None` while creating.
    code: Option<QrView>,
    form: CodeForm,
    errors: Errors,
    preview_svg: String,
    saved: bool,
}

impl CodePage {
    fn action(&self) -> String {
        match &self.code {
            Some(code) => format!("/app/qr/{}", code.id),
            None => "/app/qr/new".to_owned(),
        }
    }
}

async fn new_page(State(state): State<WebState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match require_session(&state, &headers, &mut jar, "/app/qr/new").await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let csrf = csrf_token(&state, &headers, &mut jar);
    let form = CodeForm::blank();
    let preview_svg = render_preview(&state, &session.access_token, &form).await;
    Ok(jar.apply(CodePage {
        chrome: chrome(true, &csrf),
        code: None,
        form,
        errors: Errors::default(),
        preview_svg,
        saved: false,
    }))
}

async fn create(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session =
        match form_session(&state, &headers, &form.csrf_token, &mut jar, "/app/qr/new").await? {
            Ok(session) => session,
            Err(redirect) => return Ok(jar.apply(redirect)),
        };
    match state
        .clients
        .qr
        .create(&session.access_token, &form.body(true))
        .await
    {
        Ok(created) => Ok(jar.apply(see_other(&format!("/app/qr/{}?saved=1", created.id)))),
        Err(err) => {
            let (errors, status) = Errors::from_client(err)?;
            let preview_svg = render_preview(&state, &session.access_token, &form).await;
            let csrf = form.csrf_token.clone();
            Ok(jar.apply((
                status,
                CodePage {
                    chrome: chrome(true, &csrf),
                    code: None,
                    form,
                    errors,
                    preview_svg,
                    saved: false,
                },
            )))
        }
    }
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

async fn edit_page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<SavedQuery>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let here = format!(
        "/app/qr/{}",
        url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
    );
    let session = match require_session(&state, &headers, &mut jar, &here).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let csrf = csrf_token(&state, &headers, &mut jar);
    let code = state.clients.qr.get(&session.access_token, &id).await?;
    let form = CodeForm::of(&code);
    let preview_svg = render_preview(&state, &session.access_token, &form).await;
    Ok(jar.apply(CodePage {
        chrome: chrome(true, &csrf),
        code: Some(code),
        form,
        errors: Errors::default(),
        preview_svg,
        saved: query.saved.is_some(),
    }))
}

async fn update(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CodeForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match form_session(&state, &headers, &form.csrf_token, &mut jar, "/app").await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    match state
        .clients
        .qr
        .update(&session.access_token, &id, &form.body(false))
        .await
    {
        Ok(updated) => Ok(jar.apply(see_other(&format!("/app/qr/{}?saved=1", updated.id)))),
        Err(err) => {
            let (errors, status) = Errors::from_client(err)?;
            let code = state.clients.qr.get(&session.access_token, &id).await?;
            let preview_svg = render_preview(&state, &session.access_token, &form).await;
            let csrf = form.csrf_token.clone();
            Ok(jar.apply((
                status,
                CodePage {
                    chrome: chrome(true, &csrf),
                    code: Some(code),
                    form,
                    errors,
                    preview_svg,
                    saved: false,
                },
            )))
        }
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

async fn remove(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match form_session(&state, &headers, &form.csrf_token, &mut jar, "/app").await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    state.clients.qr.delete(&session.access_token, &id).await?;
    Ok(jar.apply(see_other("/app")))
}

// --- Live preview and images -------------------------------------------------------------------

/// The SVG of the style being edited, or a short note saying why it cannot be drawn. The SVG is
/// built by qr from validated numbers and enum values only (captions escaped), so it is safe to
/// place in the page as it is.
async fn render_preview(state: &WebState, token: &str, form: &CodeForm) -> String {
    let body = json!({ "style": form.style() });
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
async fn preview(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match form_session(&state, &headers, &form.csrf_token, &mut jar, "/app").await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let svg = render_preview(&state, &session.access_token, &form).await;
    Ok(jar.apply(Html(svg)))
}

#[derive(Deserialize)]
struct SizeQuery {
    size: Option<u32>,
}

async fn image_svg(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    image(&state, &headers, &id, "image.svg".to_owned()).await
}

async fn image_png(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<SizeQuery>,
) -> Result<Response, ApiError> {
    let size = query.size.unwrap_or(1024);
    image(&state, &headers, &id, format!("image.png?size={size}")).await
}

/// Passes qr's image answer through (type, file name, ETag).
async fn image(
    state: &WebState,
    headers: &HeaderMap,
    id: &str,
    file: String,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let Some(session) = super::session::current(state, headers, &mut jar).await? else {
        return Err(ApiError::unauthenticated());
    };
    let answer = state
        .clients
        .qr
        .image(&session.access_token, id, &file)
        .await?;
    let mut response = (StatusCode::OK, answer.body).into_response();
    for name in [
        header::CONTENT_TYPE,
        header::CONTENT_DISPOSITION,
        header::ETAG,
        header::CACHE_CONTROL,
        header::CONTENT_SECURITY_POLICY,
    ] {
        if let Some(value) = answer.headers.get(&name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    if !response.headers().contains_key(header::CACHE_CONTROL) {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
    }
    Ok(jar.apply(response))
}
