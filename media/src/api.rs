//! HTTP: `POST /api/v1/media` (a signed-in user's upload, multipart field `file`) and the public
//! `GET /media/{id}.png`. Handlers extract, authorise and call [`Media`].

use axum::Router;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, FromRef, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::{Bytes, BytesMut};
use shared::ApiError;
use shared::extract::Json;
use shared::identity::{Identity, Principal, Scope};
use shared::openapi::{OpenApiRouter, UtoipaMethodRouterExt};
use tower_http::csrf::CsrfLayer;
use utoipa_axum::routes;

use crate::process::MAX_UPLOAD_BYTES;
use crate::{Media, MediaError, MediaId, MediaList, Uploaded};

/// Room for the multipart framing around a file of the largest accepted size; a bigger body is
/// cut off (413) before it is read.
const BODY_LIMIT: usize = MAX_UPLOAD_BYTES + 16 * 1024;

#[derive(Clone)]
pub struct MediaState {
    pub media: Media,
    pub identity: Identity,
}

impl FromRef<MediaState> for Identity {
    fn from_ref(state: &MediaState) -> Identity {
        state.identity.clone()
    }
}

/// The JSON API's route with its OpenAPI entry (`routes!` registers both at once).
fn api() -> OpenApiRouter<MediaState> {
    OpenApiRouter::new().routes(routes!(upload, list).layer(DefaultBodyLimit::max(BODY_LIMIT)))
}

/// The OpenAPI entry of the upload route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::tagged(api().into_openapi(), "media")
}

/// The upload form: one field, `file`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // describes the multipart body; the handler reads it field by field
struct UploadForm {
    /// A PNG or JPEG image.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

pub fn router(state: MediaState) -> Router {
    // The upload also accepts the session cookie, and a cross-site HTML form *can* send
    // multipart: refuse cross-site browser POSTs by their Sec-Fetch-Site / Origin (scripts and
    // servers send neither and pass).
    let csrf = CsrfLayer::new()
        .add_trusted_origin(state.media.public_base_url())
        .unwrap_or_else(|_| CsrfLayer::new());
    let uploads = api().split_for_parts().0.route_layer(csrf);
    Router::new()
        .route("/media/{file}", get(serve))
        .merge(uploads)
        .with_state(state)
}

#[utoipa::path(post, path = "/api/v1/media",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored (re-encoded as PNG); use its `id` as a logo", body = Uploaded),
        (status = 413, description = "Over 1 MiB, or past the user's storage quota (`UPLOAD_QUOTA_MB`; the message says how much is used)"),
        (status = 429, description = "More than 30 uploads in 10 minutes; `Retry-After` says when to try again"),
    ))]
async fn upload(
    State(state): State<MediaState>,
    principal: Principal,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<Uploaded>), MediaError> {
    // Uploading is part of making codes: the same permission.
    principal.require(Scope::QrWrite)?;
    let bytes = file_field(multipart.map_err(|_| MediaError::MissingFile)?).await?;
    let uploaded = state.media.upload(&principal.user_id, bytes).await?;
    Ok((StatusCode::CREATED, Json(uploaded)))
}

#[utoipa::path(get, path = "/api/v1/media",
    responses((status = 200, description = "The caller's uploads, oldest first, with the storage they use", body = MediaList)))]
async fn list(
    State(state): State<MediaState>,
    principal: Principal,
) -> Result<Json<MediaList>, MediaError> {
    // Images are part of the codes they style: the same permission as reading codes.
    principal.require(Scope::QrRead)?;
    Ok(Json(state.media.list(&principal.user_id).await?))
}

/// The bytes of the `file` field, refused as soon as they pass the limit.
async fn file_field(mut multipart: Multipart) -> Result<Bytes, MediaError> {
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let mut buf = BytesMut::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if buf.len() + chunk.len() > MAX_UPLOAD_BYTES {
                return Err(MediaError::TooLarge);
            }
            buf.extend_from_slice(&chunk);
        }
        return Ok(buf.freeze());
    }
    Err(MediaError::MissingFile)
}

fn multipart_error(err: MultipartError) -> MediaError {
    MediaError::Multipart(err.body_text(), err.status())
}

/// `GET /media/{id}.png`: the stored PNG, cacheable forever (its name is its hash).
async fn serve(
    State(state): State<MediaState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = file
        .strip_suffix(".png")
        .and_then(MediaId::parse)
        .ok_or(MediaError::NotFound)?;
    let etag = format!("\"{id}\"");
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes());
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let png = state.media.png(&id).await?.ok_or(MediaError::NotFound)?;
        png.into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(response)
}
