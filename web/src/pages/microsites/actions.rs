//! Publishing, unpublishing and a QR code for the page (deleting it is the trash's, `pages::trash`).

use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use shared::ApiError;

use super::{builder_url, enc, own_page};
use crate::pages::WebState;
use crate::pages::session::{CsrfOnly, Posted, see_other};
use serde::Serialize;

use super::builder::refused_as_is;

/// Publishes the page (`LIVE`) or takes it down, then back to the builder, which says so.
pub(super) async fn set_live<const LIVE: bool>(
    State(state): State<WebState>,
    Path(id): Path<String>,
    Posted(session, _): Posted<Form<CsrfOnly>>,
) -> Result<Response, ApiError> {
    let (client, token) = (&state.clients.microsite, &session.access_token);
    let (page, notice) = if LIVE {
        (client.publish(token, &id).await?, "published")
    } else {
        (client.unpublish(token, &id).await?, "unpublished")
    };
    Ok(see_other(&format!("{}?{notice}=1", builder_url(&page.id))))
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
