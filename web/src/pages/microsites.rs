//! The microsite pages: the list, "new from a template" (or blank), and the builder — page
//! settings, blocks added, edited, moved and removed, a live preview in a phone-sized frame,
//! publishing, the public URL to copy, a QR code for the page in one click, and deletion after a
//! confirmation. Plain forms that work without JavaScript; htmx swaps the builder in place.
//! Everything goes through `MicrositeClient` with the visitor's own access token, so the
//! microsite service's ownership and validation rules are the only ones there are.

mod block_form;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::ApiError;
use shared::client::ClientError;
use shared::ui::Chrome;

use microsite::api::MicrositeView;
use microsite::theme::Theme;

use self::block_form::{BlockForm, ICONS, KINDS, NETWORKS};
use super::WebState;
use super::auth::{chrome, form_session, require_session};
use super::session::{CookieJar, Session, csrf_token, see_other};

/// A block's text may be 5,000 characters; a form with a few of them stays far below this.
const FORM_LIMIT: usize = 64 * 1024;

pub fn router() -> Router<WebState> {
    let small = || DefaultBodyLimit::max(FORM_LIMIT);
    Router::new()
        .route("/app/microsites", get(list))
        .route(
            "/app/microsites/new",
            get(new_page).post(create).layer(small()),
        )
        .route(
            "/app/microsites/{id}",
            get(builder).post(save_settings).layer(small()),
        )
        .route(
            "/app/microsites/{id}/blocks",
            post(add_block).layer(small()),
        )
        .route(
            "/app/microsites/{id}/blocks/{block}",
            post(edit_block).layer(small()),
        )
        .route(
            "/app/microsites/{id}/blocks/{block}/move",
            post(move_block).layer(small()),
        )
        // POST because HTML forms cannot send DELETE.
        .route(
            "/app/microsites/{id}/blocks/{block}/remove",
            post(remove_block).layer(small()),
        )
        .route("/app/microsites/{id}/publish", post(publish).layer(small()))
        .route(
            "/app/microsites/{id}/unpublish",
            post(unpublish).layer(small()),
        )
        .route("/app/microsites/{id}/qr", post(make_qr).layer(small()))
        .route(
            "/app/microsites/{id}/delete",
            get(confirm_delete).post(remove).layer(small()),
        )
}

/// Where a path segment came from the visitor: encoded before it goes into a `Location`.
fn enc(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

fn builder_url(id: &str) -> String {
    format!("/app/microsites/{}", enc(id))
}

// --- Errors -------------------------------------------------------------------------------------

/// An error the service answered about this form, with the field path it named.
#[derive(Debug, Clone, Default)]
pub struct FormError {
    /// `title`, `tweaks.accent`, … for the settings; the field inside the block for a block.
    pub field: String,
    pub message: String,
}

/// Where an answered error belongs.
enum Placement {
    /// `blocks[i].field…` → block `i`, and the field inside it.
    Block(usize, FormError),
    /// Anything else: the settings form, or the whole page.
    Page(FormError),
}

impl Placement {
    fn of(field: Option<&str>, message: &str) -> Placement {
        let message = message.to_owned();
        let Some(field) = field else {
            return Placement::Page(FormError {
                field: String::new(),
                message,
            });
        };
        let block = field.strip_prefix("blocks[").and_then(|rest| {
            let (index, rest) = rest.split_once(']')?;
            let index: usize = index.parse().ok()?;
            // `.items[0].handle` → `items`: the form has one field for the whole list.
            let inner = rest
                .trim_start_matches('.')
                .split(['.', '['])
                .next()
                .unwrap_or_default();
            Some((index, inner.to_owned()))
        });
        match block {
            Some((index, inner)) => Placement::Block(
                index,
                FormError {
                    field: inner,
                    message,
                },
            ),
            None => Placement::Page(FormError {
                field: field.to_owned(),
                message,
            }),
        }
    }
}

/// A refusal the visitor can act on (4xx, or "QR codes cannot be checked right now") becomes a
/// form error with its status; anything else is a real failure and gets the error page.
fn answered(err: ClientError) -> Result<(Placement, StatusCode), ApiError> {
    match err.api_error() {
        Some(api)
            if api.status().is_client_error()
                || api.status() == StatusCode::SERVICE_UNAVAILABLE =>
        {
            Ok((Placement::of(api.field(), api.message()), api.status()))
        }
        _ => Err(err.into()),
    }
}

/// htmx 2 does not swap 4xx/5xx answers; a re-rendered form that carries its own error is sent
/// as 200 to htmx so the visitor sees it, and with its real status to everyone else.
fn status_for(headers: &HeaderMap, status: StatusCode) -> StatusCode {
    if headers.contains_key("hx-request") {
        StatusCode::OK
    } else {
        status
    }
}

/// The session for a state-changing form (CSRF first), or the redirect to log in.
async fn form_user(
    state: &WebState,
    headers: &HeaderMap,
    csrf: &str,
    jar: &mut CookieJar,
    id: &str,
) -> Result<Result<Session, Response>, ApiError> {
    form_session(state, headers, csrf, jar, &builder_url(id)).await
}

// --- The list -----------------------------------------------------------------------------------

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

#[derive(Deserialize, Default)]
struct Notice {
    saved: Option<String>,
    published: Option<String>,
    unpublished: Option<String>,
    deleted: Option<String>,
}

/// Human views per page, all time (analytics keeps five years), asked of analytics page by page
/// (a beta account has a handful). A page nobody has viewed yet is 0; when analytics does not
/// answer, the list shows "—" rather than failing.
async fn view_counts(state: &WebState, token: &str, pages: &[MicrositeView]) -> Vec<Option<u64>> {
    let range = super::analytics::all_time_query();
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

async fn list(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(notice): Query<Notice>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match require_session(&state, &headers, &mut jar, "/app/microsites").await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let csrf = csrf_token(&state, &headers, &mut jar);
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

// --- New page -----------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct NewForm {
    #[serde(default)]
    csrf_token: String,
    /// Empty for a blank page.
    #[serde(default)]
    template: String,
    #[serde(default)]
    slug: String,
    /// Only used for a blank page; a template brings its own title.
    #[serde(default)]
    title: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/microsite_new.html")]
struct NewPage {
    chrome: Chrome,
    form: NewForm,
    error: Option<FormError>,
    templates: Vec<(&'static str, &'static str, &'static str)>,
}

/// The five templates with a label and a line about each.
const TEMPLATES: [(&str, &str, &str); 5] = [
    (
        "creator",
        "Creator",
        "Profile, socials, latest video and links.",
    ),
    (
        "restaurant_menu",
        "Restaurant menu",
        "Menu sections, opening hours, booking and directions.",
    ),
    ("event", "Event", "Date, place, tickets and the schedule."),
    (
        "business_card",
        "Business card",
        "Who you are and how to reach you.",
    ),
    (
        "product_launch",
        "Product launch",
        "The pitch, a demo video and where to buy.",
    ),
];

impl NewPage {
    fn error_on(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    fn general_error(&self) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| !["slug", "title", "template"].contains(&e.field.as_str()))
            .map(|e| e.message.as_str())
    }
}

async fn new_page(State(state): State<WebState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    match require_session(&state, &headers, &mut jar, "/app/microsites/new").await? {
        Ok(_) => {}
        Err(redirect) => return Ok(jar.apply(redirect)),
    }
    let csrf = csrf_token(&state, &headers, &mut jar);
    Ok(jar.apply(NewPage {
        chrome: chrome(true, &csrf),
        form: NewForm {
            template: "creator".into(),
            ..NewForm::default()
        },
        error: None,
        templates: TEMPLATES.to_vec(),
    }))
}

async fn create(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<NewForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let here = "/app/microsites/new";
    let session = match form_session(&state, &headers, &form.csrf_token, &mut jar, here).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let client = &state.clients.microsite;
    let token = &session.access_token;
    let slug = form.slug.trim();
    let result = if form.template.is_empty() {
        let body = json!({ "slug": slug, "title": form.title.trim(), "blocks": [] });
        client.create(token, &body).await
    } else {
        client.from_template(token, &form.template, slug).await
    };
    match result {
        Ok(page) => Ok(jar.apply(see_other(&builder_url(&page.id)))),
        Err(err) => {
            let (placement, status) = answered(err)?;
            let error = match placement {
                Placement::Page(e) => e,
                Placement::Block(_, e) => e,
            };
            let csrf = form.csrf_token.clone();
            Ok(jar.apply((
                status_for(&headers, status),
                NewPage {
                    chrome: chrome(true, &csrf),
                    form,
                    error: Some(error),
                    templates: TEMPLATES.to_vec(),
                },
            )))
        }
    }
}

// --- The builder --------------------------------------------------------------------------------

/// The page settings form, as typed.
#[derive(Deserialize, Default, Clone)]
struct SettingsForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    theme: String,
    /// Colour inputs always send a colour: a checkbox says whether the tweak is wanted.
    #[serde(default)]
    accent_on: Option<String>,
    #[serde(default)]
    accent: String,
    #[serde(default)]
    background_on: Option<String>,
    #[serde(default)]
    background: String,
}

impl SettingsForm {
    fn of(page: &MicrositeView) -> Self {
        SettingsForm {
            csrf_token: String::new(),
            title: page.title.clone(),
            description: page.description.clone().unwrap_or_default(),
            slug: page.slug.clone(),
            theme: page.theme.as_str().to_owned(),
            accent_on: page.tweaks.accent.as_ref().map(|_| "on".to_owned()),
            accent: page
                .tweaks
                .accent
                .clone()
                .unwrap_or_else(|| "#2563eb".into()),
            background_on: page.tweaks.background.as_ref().map(|_| "on".to_owned()),
            background: page
                .tweaks
                .background
                .clone()
                .unwrap_or_else(|| "#ffffff".into()),
        }
    }

    fn body(&self) -> Value {
        let mut tweaks = serde_json::Map::new();
        if self.accent_on.is_some() {
            tweaks.insert("accent".into(), json!(self.accent.trim()));
        }
        if self.background_on.is_some() {
            tweaks.insert("background".into(), json!(self.background.trim()));
        }
        json!({
            "title": self.title,
            "description": self.description,
            "slug": self.slug.trim(),
            "theme": self.theme,
            "tweaks": tweaks,
        })
    }
}

/// One block in the builder (or one "add a block" form, which has no id yet).
pub struct BlockRow {
    /// Unique on the page: the block id, or `new-{type}`.
    pub key: String,
    pub id: Option<String>,
    pub form: BlockForm,
    pub error: Option<FormError>,
    pub first: bool,
    pub last: bool,
}

impl BlockRow {
    /// Whether the error is about `field` (to mark the input `aria-invalid`).
    pub fn invalid(&self, field: &str) -> bool {
        self.error.as_ref().is_some_and(|e| e.field == field)
    }
}

pub struct QrChoice {
    pub id: String,
    pub label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/microsite_builder.html")]
struct BuilderPage {
    chrome: Chrome,
    page: MicrositeView,
    settings: SettingsForm,
    rows: Vec<BlockRow>,
    new_rows: Vec<BlockRow>,
    qr_codes: Vec<QrChoice>,
    qr_unavailable: bool,
    error: Option<FormError>,
    notice: Option<&'static str>,
    themes: Vec<&'static str>,
    icons: &'static [microsite::block::Icon],
    networks: &'static [microsite::block::Network],
    /// For the future features' spots ("Pixels", "Webhooks").
    features: shared::features::Features,
}

impl BuilderPage {
    /// The future features a page could use: the real control when on, else "Coming soon".
    fn spots(&self) -> Vec<super::Spot> {
        use shared::features::Feature;
        vec![
            super::Spot::of(
                self.features,
                Feature::Pixels,
                "Pixels",
                None,
                "Retargeting pixel ids are checked per network; nothing fires yet.",
            ),
            super::Spot::of(
                self.features,
                Feature::Integrations,
                "Integrations and webhooks",
                None,
                "Webhook URLs are checked (https, public host); nothing is delivered yet.",
            ),
        ]
    }

    fn settings_error(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    fn general_error(&self) -> Option<&str> {
        const SHOWN: [&str; 6] = [
            "title",
            "description",
            "slug",
            "theme",
            "tweaks.accent",
            "tweaks.background",
        ];
        self.error
            .as_ref()
            .filter(|e| !SHOWN.contains(&e.field.as_str()))
            .map(|e| e.message.as_str())
    }

    /// Whether the picker lists this QR code (a block keeps its code even when the list is
    /// unavailable or the code is not among the first hundred).
    fn lists_qr(&self, id: &str) -> bool {
        self.qr_codes.iter().any(|qr| qr.id == id)
    }

    /// The preview's address; the version makes the frame reload after every change.
    fn preview_src(&self) -> String {
        format!(
            "/m/{}/preview?v={}",
            enc(&self.page.slug),
            self.page.updated_at
        )
    }
}

/// What a failed form changes in the builder it is shown again in.
#[derive(Default)]
struct Redo {
    settings: Option<SettingsForm>,
    /// The block at this index (an index past the end: the "add" form) as typed.
    block: Option<(usize, BlockForm)>,
    placement: Option<Placement>,
}

async fn render(
    state: &WebState,
    session: &Session,
    csrf: &str,
    page: MicrositeView,
    notice: Option<&'static str>,
    redo: Redo,
) -> BuilderPage {
    let (qr_codes, qr_unavailable) = qr_choices(state, &session.access_token).await;
    let count = page.blocks.len();
    let mut rows: Vec<BlockRow> = page
        .blocks
        .iter()
        .enumerate()
        .map(|(i, block)| BlockRow {
            key: block.id().to_owned(),
            id: Some(block.id().to_owned()),
            form: BlockForm::of(block),
            error: None,
            first: i == 0,
            last: i + 1 == count,
        })
        .collect();
    let mut new_rows: Vec<BlockRow> = KINDS
        .iter()
        .map(|(kind, _)| BlockRow {
            key: format!("new-{kind}"),
            id: None,
            form: BlockForm::blank(kind),
            error: None,
            first: false,
            last: false,
        })
        .collect();
    // The form as typed goes back where it was typed: an existing block, or its "add" form.
    let typed_kind = redo.block.as_ref().map(|(_, form)| form.kind.clone());
    if let Some((index, form)) = redo.block {
        let row = match rows.get_mut(index) {
            Some(row) => Some(row),
            None => new_rows.iter_mut().find(|r| r.form.kind == form.kind),
        };
        if let Some(row) = row {
            row.form = form;
        }
    }
    let mut error = None;
    match redo.placement {
        Some(Placement::Block(index, e)) => {
            // Past the end is the block being added.
            let row = match rows.get_mut(index) {
                Some(row) => Some(row),
                None if index == count => {
                    typed_kind.and_then(|kind| new_rows.iter_mut().find(|r| r.form.kind == kind))
                }
                None => None,
            };
            match row {
                Some(row) => row.error = Some(e),
                None => error = Some(e),
            }
        }
        Some(Placement::Page(e)) => error = Some(e),
        None => {}
    }
    BuilderPage {
        chrome: chrome(true, csrf),
        settings: redo.settings.unwrap_or_else(|| SettingsForm::of(&page)),
        page,
        rows,
        new_rows,
        qr_codes,
        qr_unavailable,
        error,
        notice,
        themes: Theme::ALL.iter().map(|t| t.as_str()).collect(),
        icons: ICONS,
        networks: NETWORKS,
        features: state.features,
    }
}

/// The visitor's dynamic QR codes, for the QR block's picker.
async fn qr_choices(state: &WebState, token: &str) -> (Vec<QrChoice>, bool) {
    match state.clients.qr.list(token, "limit=100").await {
        Ok(list) => (
            list.items
                .into_iter()
                .filter(|qr| qr.short_url.is_some())
                .map(|qr| QrChoice {
                    label: format!("{} ({})", qr.name, qr.code),
                    id: qr.id,
                })
                .collect(),
            false,
        ),
        Err(err) => {
            tracing::warn!(%err, "qr codes unavailable for the microsite builder");
            (Vec::new(), true)
        }
    }
}

async fn builder(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match require_session(&state, &headers, &mut jar, &builder_url(&id)).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let csrf = csrf_token(&state, &headers, &mut jar);
    let page = state
        .clients
        .microsite
        .get(&session.access_token, &id)
        .await?;
    let notice = if notice.published.is_some() {
        Some("Published. Visitors now see this version.")
    } else if notice.unpublished.is_some() {
        Some("Unpublished. Visitors get \"not found\" until you publish again.")
    } else if notice.saved.is_some() {
        Some("Saved.")
    } else {
        None
    };
    let page = render(&state, &session, &csrf, page, notice, Redo::default()).await;
    Ok(jar.apply(page))
}

/// Shows the builder again after a refused change, keeping what was typed.
async fn refused(
    state: &WebState,
    headers: &HeaderMap,
    session: &Session,
    csrf: &str,
    id: &str,
    err: ClientError,
    mut redo: Redo,
) -> Result<Response, ApiError> {
    let (placement, status) = answered(err)?;
    redo.placement = Some(placement);
    let page = state
        .clients
        .microsite
        .get(&session.access_token, id)
        .await?;
    let page = render(state, session, csrf, page, None, redo).await;
    Ok((status_for(headers, status), page).into_response())
}

async fn save_settings(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<SettingsForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match form_user(&state, &headers, &form.csrf_token, &mut jar, &id).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let client = &state.clients.microsite;
    match client
        .update(&session.access_token, &id, &form.body())
        .await
    {
        Ok(page) => Ok(jar.apply(see_other(&format!("{}?saved=1", builder_url(&page.id))))),
        Err(err) => {
            let csrf = form.csrf_token.clone();
            let redo = Redo {
                settings: Some(form),
                ..Redo::default()
            };
            let response = refused(&state, &headers, &session, &csrf, &id, err, redo).await?;
            Ok(jar.apply(response))
        }
    }
}

/// The page's blocks as the API takes them back.
fn blocks_json(page: &MicrositeView) -> Vec<Value> {
    page.blocks
        .iter()
        .filter_map(|b| serde_json::to_value(b).ok())
        .collect()
}

fn position(page: &MicrositeView, block: &str) -> Result<usize, ApiError> {
    page.blocks
        .iter()
        .position(|b| b.id() == block)
        .ok_or_else(ApiError::not_found)
}

async fn add_block(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<BlockForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match form_user(&state, &headers, &form.csrf_token, &mut jar, &id).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let client = &state.clients.microsite;
    let page = client.get(&session.access_token, &id).await?;
    let index = page.blocks.len();
    let mut blocks = blocks_json(&page);
    blocks.push(form.to_json(None));
    match client
        .replace_blocks(&session.access_token, &id, blocks)
        .await
    {
        Ok(page) => {
            let added = page.blocks.get(index).map(|b| b.id().to_owned());
            Ok(jar.apply(see_other(&format!(
                "{}?saved=1#block-{}",
                builder_url(&page.id),
                enc(&added.unwrap_or_default())
            ))))
        }
        Err(err) => {
            let csrf = form.csrf_token.clone();
            let redo = Redo {
                block: Some((index, form)),
                ..Redo::default()
            };
            let response = refused(&state, &headers, &session, &csrf, &id, err, redo).await?;
            Ok(jar.apply(response))
        }
    }
}

async fn edit_block(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path((id, block)): Path<(String, String)>,
    Form(form): Form<BlockForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match form_user(&state, &headers, &form.csrf_token, &mut jar, &id).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let client = &state.clients.microsite;
    let page = client.get(&session.access_token, &id).await?;
    let index = position(&page, &block)?;
    let mut blocks = blocks_json(&page);
    blocks[index] = form.to_json(Some(&block));
    match client
        .replace_blocks(&session.access_token, &id, blocks)
        .await
    {
        Ok(page) => Ok(jar.apply(see_other(&format!(
            "{}?saved=1#block-{}",
            builder_url(&page.id),
            enc(&block)
        )))),
        Err(err) => {
            let csrf = form.csrf_token.clone();
            let redo = Redo {
                block: Some((index, form)),
                ..Redo::default()
            };
            let response = refused(&state, &headers, &session, &csrf, &id, err, redo).await?;
            Ok(jar.apply(response))
        }
    }
}

#[derive(Deserialize)]
struct MoveForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    direction: String,
}

async fn move_block(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path((id, block)): Path<(String, String)>,
    Form(form): Form<MoveForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match form_user(&state, &headers, &form.csrf_token, &mut jar, &id).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let client = &state.clients.microsite;
    let page = client.get(&session.access_token, &id).await?;
    let index = position(&page, &block)?;
    let mut order: Vec<String> = page.blocks.iter().map(|b| b.id().to_owned()).collect();
    let other = match form.direction.as_str() {
        "up" => index.checked_sub(1),
        "down" => Some(index + 1).filter(|&i| i < order.len()),
        _ => return Err(ApiError::invalid("direction", "move a block up or down")),
    };
    if let Some(other) = other {
        order.swap(index, other);
        // A reorder changes no block, so it never needs the qr service.
        client.reorder(&session.access_token, &id, &order).await?;
    }
    Ok(jar.apply(see_other(&format!(
        "{}?saved=1#block-{}",
        builder_url(&id),
        enc(&block)
    ))))
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

async fn remove_block(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path((id, block)): Path<(String, String)>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match form_user(&state, &headers, &form.csrf_token, &mut jar, &id).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let client = &state.clients.microsite;
    let page = client.get(&session.access_token, &id).await?;
    let index = position(&page, &block)?;
    let mut blocks = blocks_json(&page);
    blocks.remove(index);
    match client
        .replace_blocks(&session.access_token, &id, blocks)
        .await
    {
        Ok(_) => Ok(jar.apply(see_other(&format!("{}?saved=1", builder_url(&id))))),
        Err(err) => {
            let csrf = form.csrf_token.clone();
            let response =
                refused(&state, &headers, &session, &csrf, &id, err, Redo::default()).await?;
            Ok(jar.apply(response))
        }
    }
}

async fn publish(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match form_user(&state, &headers, &form.csrf_token, &mut jar, &id).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let page = state
        .clients
        .microsite
        .publish(&session.access_token, &id)
        .await?;
    Ok(jar.apply(see_other(&format!("{}?published=1", builder_url(&page.id)))))
}

async fn unpublish(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match form_user(&state, &headers, &form.csrf_token, &mut jar, &id).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let page = state
        .clients
        .microsite
        .unpublish(&session.access_token, &id)
        .await?;
    Ok(jar.apply(see_other(&format!(
        "{}?unpublished=1",
        builder_url(&page.id)
    ))))
}

/// A QR code name has at most 120 characters.
fn qr_name(title: &str) -> String {
    let name = format!("Microsite: {title}");
    name.chars().take(120).collect()
}

/// One click: a dynamic (`url`) QR code whose destination is this page's public URL.
async fn make_qr(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match form_user(&state, &headers, &form.csrf_token, &mut jar, &id).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let page = state
        .clients
        .microsite
        .get(&session.access_token, &id)
        .await?;
    let body = json!({ "kind": "url", "name": qr_name(&page.title), "destination": page.url });
    match state.clients.qr.create(&session.access_token, &body).await {
        Ok(qr) => Ok(jar.apply(see_other(&format!("/app/qr/{}?saved=1", enc(&qr.id))))),
        Err(err) => {
            let csrf = form.csrf_token.clone();
            let response =
                refused(&state, &headers, &session, &csrf, &id, err, Redo::default()).await?;
            Ok(jar.apply(response))
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/microsite_delete.html")]
struct DeletePage {
    chrome: Chrome,
    page: MicrositeView,
}

/// Deleting asks first, on a page of its own: no JavaScript `confirm()` needed.
async fn confirm_delete(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let here = format!("{}/delete", builder_url(&id));
    let session = match require_session(&state, &headers, &mut jar, &here).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let csrf = csrf_token(&state, &headers, &mut jar);
    let page = state
        .clients
        .microsite
        .get(&session.access_token, &id)
        .await?;
    Ok(jar.apply(DeletePage {
        chrome: chrome(true, &csrf),
        page,
    }))
}

async fn remove(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match form_user(&state, &headers, &form.csrf_token, &mut jar, &id).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    state
        .clients
        .microsite
        .delete(&session.access_token, &id)
        .await?;
    Ok(jar.apply(see_other("/app/microsites?deleted=1")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_find_their_block_and_field() {
        match Placement::of(Some("blocks[3].url"), "bad") {
            Placement::Block(3, e) => assert_eq!(e.field, "url"),
            _ => panic!("a block error"),
        }
        match Placement::of(Some("blocks[0].items[2].handle"), "bad") {
            Placement::Block(0, e) => assert_eq!(e.field, "items"),
            _ => panic!("a block error"),
        }
        match Placement::of(Some("blocks[7]"), "bad") {
            Placement::Block(7, e) => assert_eq!(e.field, ""),
            _ => panic!("a block error"),
        }
        assert!(matches!(
            Placement::of(Some("tweaks.accent"), "bad"),
            Placement::Page(e) if e.field == "tweaks.accent"
        ));
        assert!(matches!(
            Placement::of(Some("blocks"), "too many"),
            Placement::Page(_)
        ));
        assert!(matches!(Placement::of(None, "x"), Placement::Page(e) if e.field.is_empty()));
    }
}
