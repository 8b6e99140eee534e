//! The builder: the page's settings, its blocks with their forms, a live preview, and the
//! same page shown again (with what was typed) when a change is refused.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::ApiError;
use shared::client::ClientError;

use shared::ui::Chrome;

use microsite::api::MicrositeView;
use microsite::contract::Changes;
use microsite::theme::{Theme, Tweaks};

use super::block_form::{BlockForm, ICONS, KINDS, NETWORKS};
use super::{
    FormError, Notice, Placement, Refusal, answered, builder_url, enc, named, own_page, status_for,
};
use crate::pages::WebState;
use crate::pages::kit::chrome;
use crate::pages::session::{Csrf, Posted, Session, csrf_form, see_other};

/// The page settings form, as typed.
#[derive(Deserialize, Default, Clone)]
pub(super) struct SettingsForm {
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

    /// The settings as the API takes them; a theme it does not know is refused here.
    fn changes(&self) -> Result<Changes, FormError> {
        let wanted =
            |on: &Option<String>, colour: &str| on.is_some().then(|| colour.trim().to_owned());
        Ok(Changes {
            title: Some(self.title.clone()),
            description: Some(self.description.clone()),
            slug: Some(self.slug.trim().to_owned()),
            theme: Some(named("theme", &self.theme)?),
            tweaks: Some(Tweaks {
                accent: wanted(&self.accent_on, &self.accent),
                background: wanted(&self.background_on, &self.background),
            }),
            ..Changes::default()
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
    /// Whether the block takes an image file (its form is then sent as multipart).
    pub fn uploads(&self) -> bool {
        matches!(self.form.kind.as_str(), "profile" | "image")
    }

    /// Where the block's form posts: the block (or the page's "add"), through the upload
    /// route when it takes a file.
    pub fn action(&self, page_id: &str) -> String {
        let page = format!("/app/microsites/{}", enc(page_id));
        match (&self.id, self.uploads()) {
            (Some(id), false) => format!("{page}/blocks/{}", enc(id)),
            (Some(id), true) => format!("{page}/blocks/{}/upload", enc(id)),
            (None, false) => format!("{page}/blocks"),
            (None, true) => format!("{page}/upload"),
        }
    }

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
    fn spots(&self) -> Vec<crate::pages::Spot> {
        use shared::features::Feature;
        vec![
            crate::pages::Spot::of(
                self.features,
                Feature::Pixels,
                "Pixels",
                None,
                "Retargeting pixel ids are checked per network; nothing fires yet.",
            ),
            crate::pages::Spot::of(
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
pub(super) struct Redo {
    pub(super) settings: Option<SettingsForm>,
    /// The block at this index (an index past the end: the "add" form) as typed.
    pub(super) block: Option<(usize, BlockForm)>,
    pub(super) placement: Option<Placement>,
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

pub(super) async fn builder(
    State(state): State<WebState>,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
    session: Session,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    let page = own_page(&state, &session, &id).await?;
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
pub(super) async fn refused(
    state: &WebState,
    headers: &HeaderMap,
    session: &Session,
    csrf: &str,
    id: &str,
    (placement, status): Refusal,
    mut redo: Redo,
) -> Result<Response, ApiError> {
    redo.placement = Some(placement);
    let page = own_page(state, session, id).await?;
    let page = render(state, session, csrf, page, None, redo).await;
    Ok((status_for(headers, status), page).into_response())
}

/// Shows the builder again after the service refused a form that has nothing to keep.
pub(super) async fn refused_as_is(
    state: &WebState,
    headers: &HeaderMap,
    session: &Session,
    csrf: &str,
    id: &str,
    err: ClientError,
) -> Result<Response, ApiError> {
    let refusal = answered(err)?;
    refused(state, headers, session, csrf, id, refusal, Redo::default()).await
}

pub(super) async fn save_settings(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Posted(session, Form(form)): Posted<Form<SettingsForm>>,
) -> Result<Response, ApiError> {
    let client = &state.clients.microsite;
    let refusal = match form.changes() {
        Ok(changes) => match client.update(&session.access_token, &id, &changes).await {
            Ok(page) => return Ok(see_other(&format!("{}?saved=1", builder_url(&page.id)))),
            Err(err) => answered(err)?,
        },
        Err(e) => (Placement::Page(e), StatusCode::UNPROCESSABLE_ENTITY),
    };
    let csrf = form.csrf_token.clone();
    let redo = Redo {
        settings: Some(form),
        ..Redo::default()
    };
    refused(&state, &headers, &session, &csrf, &id, refusal, redo).await
}

csrf_form!(SettingsForm);
