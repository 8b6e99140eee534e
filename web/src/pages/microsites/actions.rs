//! Publishing, unpublishing and a QR code for the page (deleting it is the trash's, `pages::trash`).

use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use shared::ApiError;

use askama::Template;
use askama_web::WebTemplate;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use shared::ui::Chrome;

use super::block_form::KINDS;
use super::{builder_url, enc, own_page};
use crate::pages::WebState;
use crate::pages::kit::chrome;
use crate::pages::session::{CsrfOnly, Posted, csrf_form, see_other};

use super::builder::refused_as_is;

/// The publish (or unpublish) button; `anyway` is the warning page's "publish anyway".
#[derive(Deserialize)]
pub(super) struct PublishForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    anyway: Option<String>,
}

csrf_form!(PublishForm);

/// One block still holding a starter's example values, as the warning lists it.
struct PlaceholderRow {
    label: &'static str,
    values: Vec<String>,
    edit_href: String,
}

/// "This page still has the template's example values": which blocks, then publish anyway or
/// edit. Plain forms and links, no JavaScript.
#[derive(Template, WebTemplate)]
#[template(path = "pages/app/microsite_publish_warning.html")]
struct PublishWarning {
    chrome: Chrome,
    title: String,
    builder: String,
    rows: Vec<PlaceholderRow>,
}

/// Publishes the page (`LIVE`) or takes it down, then back to the builder, which says so. A page
/// that still holds a starter's placeholders gets the warning first, unless it says "anyway".
pub(super) async fn set_live<const LIVE: bool>(
    State(state): State<WebState>,
    Path(id): Path<String>,
    Posted(session, Form(form)): Posted<Form<PublishForm>>,
) -> Result<Response, ApiError> {
    let (client, token) = (&state.clients.microsite, &session.access_token);
    if LIVE && form.anyway.is_none() {
        let page = own_page(&state, &session, &id).await?;
        // The microsite service lists them with the page (`MicrositeView::placeholders`).
        if !page.placeholders.is_empty() {
            let builder = builder_url(&page.id);
            let rows = page
                .placeholders
                .iter()
                .map(|p| PlaceholderRow {
                    label: block_label(&p.kind),
                    values: p.values.iter().map(|v| short(v)).collect(),
                    edit_href: format!("{builder}#block-{}", enc(&p.block_id)),
                })
                .collect();
            let warning = PublishWarning {
                chrome: chrome(true, &form.csrf_token),
                title: page.title,
                builder,
                rows,
            };
            return Ok(warning.into_response());
        }
    }
    let (page, notice) = if LIVE {
        (client.publish(token, &id).await?, "published")
    } else {
        (client.unpublish(token, &id).await?, "unpublished")
    };
    Ok(see_other(&format!("{}?{notice}=1", builder_url(&page.id))))
}

/// The builder's name for a block type.
fn block_label(kind: &str) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("Block", |(_, label)| label)
}

/// A value on one line, at most 80 characters.
fn short(value: &str) -> String {
    let line = value.lines().next().unwrap_or_default();
    if line.chars().count() > 80 || value.lines().nth(1).is_some() {
        line.chars().take(79).collect::<String>() + "…"
    } else {
        line.to_owned()
    }
}

/// A QR code name has at most 120 characters.
fn qr_name(title: &str) -> String {
    let name = format!("Microsite: {title}");
    name.chars().take(120).collect()
}

/// The qr request for a dynamic code that goes to a page.
#[derive(Serialize)]
struct NewLinkCode<'a> {
    kind: &'static str,
    name: String,
    destination: &'a str,
}

/// One click: a dynamic (`url`) QR code whose destination is this page's public URL.
pub(super) async fn make_qr(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Posted(session, Form(form)): Posted<Form<CsrfOnly>>,
) -> Result<Response, ApiError> {
    let page = own_page(&state, &session, &id).await?;
    let body = NewLinkCode {
        kind: "url",
        name: qr_name(&page.title),
        destination: &page.url,
    };
    match state.clients.qr.create(&session.access_token, &body).await {
        Ok(qr) => Ok(see_other(&format!("/app/qr/{}?saved=1", enc(&qr.id)))),
        Err(err) => refused_as_is(&state, &headers, &session, &form.csrf_token, &id, err).await,
    }
}
