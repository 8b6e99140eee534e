//! The logo form on a code's page.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shared::ApiError;

use qr::api::QrView;
use qr::contract::Changes;
use qr::style::Logo;

use super::editor::CodePage;
use super::form::CodeForm;
use crate::pages::WebState;
use crate::pages::kit::Errors;
use crate::pages::session::{Posted, csrf_form, see_other};

/// The logo form (multipart: `csrf_token`, `file`, or `remove`).
pub(super) struct LogoUpload {
    csrf_token: String,
    file: Bytes,
    remove: bool,
}

csrf_form!(LogoUpload);

impl FromRequest<WebState> for LogoUpload {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &WebState) -> Result<Self, ApiError> {
        let bad = || ApiError::invalid("file", "the upload was cut short; send it again");
        let mut parts = Multipart::from_request(request, state)
            .await
            .map_err(|_| bad())?;
        let mut upload = LogoUpload {
            csrf_token: String::new(),
            file: Bytes::new(),
            remove: false,
        };
        while let Some(field) = parts.next_field().await.map_err(|_| bad())? {
            match field.name() {
                Some("csrf_token") => upload.csrf_token = field.text().await.map_err(|_| bad())?,
                Some("file") => upload.file = field.bytes().await.map_err(|_| bad())?,
                Some("remove") => upload.remove = true,
                _ => {}
            }
        }
        Ok(upload)
    }
}

/// Uploads the image to media through qr's client, then sets (or clears) the code's
/// `style.logo`.
pub(super) async fn logo(
    State(state): State<WebState>,
    Path(id): Path<String>,
    Posted(session, upload): Posted<LogoUpload>,
) -> Result<Response, ApiError> {
    let LogoUpload {
        csrf_token: csrf,
        file,
        remove,
    } = upload;
    let here = format!(
        "/app/qr/{}",
        url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
    );
    let current = state.clients.qr.get(&session.access_token, &id).await?;
    let outcome = set_logo(&state, &session.access_token, &current, remove, file).await?;
    match outcome {
        Ok(()) => Ok(see_other(&format!("{here}?saved=1"))),
        Err(errors) => {
            let form = CodeForm::of(&current);
            let token = &session.access_token;
            let page = CodePage::render(&state, token, &csrf, Some(current), form, errors).await;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// Uploads the logo (unless removing it) and saves the code's style with it; a mistake the user
/// can fix (not an image, too large a logo for the style) is a form error.
async fn set_logo(
    state: &WebState,
    token: &str,
    current: &QrView,
    remove: bool,
    file: axum::body::Bytes,
) -> Result<Result<(), Errors>, ApiError> {
    let mut style = current.style.clone();
    style.logo = if remove {
        None
    } else if file.is_empty() {
        return Ok(Err(Errors::from_api(ApiError::invalid(
            "file",
            "choose a PNG or JPEG image first",
        ))?));
    } else {
        match state.clients.qr.upload_media(token, file).await {
            // A new logo starts at the default size, whatever the old one had.
            Ok(uploaded) => Some(Logo {
                id: uploaded.id,
                size: Logo::default_size(),
            }),
            Err(err) => return Ok(Err(Errors::from_client(err)?.0)),
        }
    };
    let changes = Changes {
        style: Some(style),
        ..Changes::default()
    };
    match state.clients.qr.update(token, &current.id, &changes).await {
        Ok(_) => Ok(Ok(())),
        Err(err) => Ok(Err(Errors::from_client(err)?.0)),
    }
}
