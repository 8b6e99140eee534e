//! A profile's avatar or an image block's picture chosen as a file: the block's form is posted as
//! `multipart/form-data` (a plain submit without JavaScript; htmx sends the same form data),
//! the file goes to the media module through qr's client, and the block is saved with the
//! media path (`/media/<id>.png`) in place of a typed URL. A file media refuses is a form error on
//! that block, with everything typed kept.

use axum::Form;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use shared::ApiError;

use super::block_form::BlockForm;
use super::builder::{Redo, refused};
use super::{FormError, Placement, blocks, own_page};
use crate::pages::WebState;
use crate::pages::kit::text_form;
use crate::pages::session::{Posted, Session};

/// Room for the largest accepted image and the block's other fields.
pub(super) const UPLOAD_LIMIT: usize = media::process::MAX_UPLOAD_BYTES + super::FORM_LIMIT;

/// A block's form posted as multipart: its fields, and the chosen file (empty if none).
pub(super) struct BlockUpload {
    form: BlockForm,
    file: Bytes,
}

impl crate::pages::session::CsrfForm for BlockUpload {
    fn csrf_token(&self) -> &str {
        &self.form.csrf_token
    }
}

impl FromRequest<WebState> for BlockUpload {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &WebState) -> Result<Self, ApiError> {
        let bad = || ApiError::invalid("file", "the upload was cut short; send it again");
        let mut parts = Multipart::from_request(request, state)
            .await
            .map_err(|_| bad())?;
        let mut fields = Vec::new();
        let mut file = Bytes::new();
        while let Some(field) = parts.next_field().await.map_err(|_| bad())? {
            let Some(name) = field.name().map(str::to_owned) else {
                continue;
            };
            if name == "file" {
                file = field.bytes().await.map_err(|_| bad())?;
            } else {
                let value = field.text().await.map_err(|_| bad())?;
                fields.push((name, value));
            }
        }
        // Every field of the form is text: the same struct reads them as the urlencoded form.
        let form: BlockForm = text_form(fields)?;
        Ok(BlockUpload { form, file })
    }
}

/// `POST /app/microsites/{id}/upload`: adds a block whose image is uploaded with it.
pub(super) async fn add(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Posted(session, upload): Posted<BlockUpload>,
) -> Result<Response, ApiError> {
    let index = own_page(&state, &session, &id).await?.blocks.len();
    match with_upload(&state, &session, upload).await? {
        Ok(form) => blocks::add(State(state), headers, Path(id), Posted(session, Form(form))).await,
        Err((form, refusal)) => refuse(&state, &headers, &session, &id, index, form, refusal).await,
    }
}

/// `POST /app/microsites/{id}/blocks/{block}/upload`: saves a block, its image uploaded with it.
pub(super) async fn edit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path((id, block)): Path<(String, String)>,
    Posted(session, upload): Posted<BlockUpload>,
) -> Result<Response, ApiError> {
    let page = own_page(&state, &session, &id).await?;
    let index = page
        .blocks
        .iter()
        .position(|b| b.id() == block)
        .ok_or_else(ApiError::not_found)?;
    match with_upload(&state, &session, upload).await? {
        Ok(form) => {
            blocks::edit(
                State(state),
                headers,
                Path((id, block)),
                Posted(session, Form(form)),
            )
            .await
        }
        Err((form, refusal)) => refuse(&state, &headers, &session, &id, index, form, refusal).await,
    }
}

/// The form with the uploaded image's media path in the block's image field; no file leaves the
/// form as typed. A file media refuses is the form back with why.
async fn with_upload(
    state: &WebState,
    session: &Session,
    upload: BlockUpload,
) -> Result<Result<BlockForm, (BlockForm, (FormError, StatusCode))>, ApiError> {
    let BlockUpload { mut form, file } = upload;
    if file.is_empty() {
        return Ok(Ok(form));
    }
    let target = match form.kind.as_str() {
        "profile" => &mut form.avatar_url,
        "image" => &mut form.url,
        _ => {
            let error = FormError {
                field: "file".into(),
                message: "only a profile's avatar or an image block takes a file".into(),
            };
            return Ok(Err((form, (error, StatusCode::UNPROCESSABLE_ENTITY))));
        }
    };
    match state
        .clients
        .qr
        .upload_media(&session.access_token, file)
        .await
    {
        Ok(uploaded) => {
            *target = microsite::block::media_path(&uploaded.id);
            Ok(Ok(form))
        }
        Err(err) => match err.api_error() {
            // Not an image, too large, over the quota, too many at once: the visitor can act.
            Some(api) if api.status().is_client_error() => {
                let error = FormError {
                    field: "file".into(),
                    message: api.message().to_owned(),
                };
                Ok(Err((form, (error, api.status()))))
            }
            _ => Err(err.into()),
        },
    }
}

async fn refuse(
    state: &WebState,
    headers: &HeaderMap,
    session: &Session,
    id: &str,
    index: usize,
    form: BlockForm,
    (error, status): (FormError, StatusCode),
) -> Result<Response, ApiError> {
    let csrf = form.csrf_token.clone();
    let redo = Redo {
        block: Some((index, form)),
        ..Redo::default()
    };
    let refusal = (Placement::Block(index, error), status);
    refused(state, headers, session, &csrf, id, refusal, redo).await
}
