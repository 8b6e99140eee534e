//! A code's images and the zip of them all, passed through from qr. Not pages: a visitor who is
//! not signed in gets 401, not the login page.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::ApiError;
use shared::client::Answer;

use crate::pages::WebState;
use crate::pages::session::Session;

pub(super) async fn image_svg(
    State(state): State<WebState>,
    Path(id): Path<String>,
    session: Option<Session>,
) -> Result<Response, ApiError> {
    image(&state, session, &id, "image.svg".to_owned()).await
}

pub(super) async fn image_pdf(
    State(state): State<WebState>,
    Path(id): Path<String>,
    session: Option<Session>,
) -> Result<Response, ApiError> {
    image(&state, session, &id, "image.pdf".to_owned()).await
}

/// `?size=` in pixels (default 1024; qr refuses a size outside its range).
#[derive(Deserialize)]
pub(super) struct SizeQuery {
    size: Option<u32>,
}

pub(super) async fn image_png(
    State(state): State<WebState>,
    Path(id): Path<String>,
    Query(query): Query<SizeQuery>,
    session: Option<Session>,
) -> Result<Response, ApiError> {
    let size = query.size.unwrap_or(1024);
    image(&state, session, &id, format!("image.png?size={size}")).await
}

/// Passes qr's image answer through (type, file name, ETag).
async fn image(
    state: &WebState,
    session: Option<Session>,
    id: &str,
    file: String,
) -> Result<Response, ApiError> {
    let session = session.ok_or_else(ApiError::unauthenticated)?;
    let answer = state
        .clients
        .qr
        .image(&session.access_token, id, &file)
        .await?;
    let mut response = pass_through(
        answer,
        &[
            header::CONTENT_TYPE,
            header::CONTENT_DISPOSITION,
            header::ETAG,
            header::CACHE_CONTROL,
            header::CONTENT_SECURITY_POLICY,
        ],
    );
    if !response.headers().contains_key(header::CACHE_CONTROL) {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
    }
    Ok(response)
}

#[derive(Deserialize)]
pub(super) struct ExportQuery {
    ids: Option<String>,
}

/// Every code's PNG and SVG in one zip (or those in `ids`), passed through from qr.
pub(super) async fn export_zip(
    State(state): State<WebState>,
    Query(query): Query<ExportQuery>,
    session: Option<Session>,
) -> Result<Response, ApiError> {
    let session = session.ok_or_else(ApiError::unauthenticated)?;
    let params: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query.ids.iter().map(|ids| ("ids", ids)))
        .finish();
    let answer = state
        .clients
        .qr
        .export(&session.access_token, &params)
        .await?;
    Ok(pass_through(
        answer,
        &[
            header::CONTENT_TYPE,
            header::CONTENT_DISPOSITION,
            header::CACHE_CONTROL,
        ],
    ))
}

/// qr's body with those of its headers that say what the file is.
fn pass_through(answer: Answer, names: &[HeaderName]) -> Response {
    let mut response = (StatusCode::OK, answer.body).into_response();
    for name in names {
        if let Some(value) = answer.headers.get(name) {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    response
}
