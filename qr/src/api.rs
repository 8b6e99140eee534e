//! The JSON API under `/api/v1/qr`: owner-only, another user's code is a 404. Handlers extract,
//! authorise, call the service and shape the answer.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::ApiError;
use shared::extract::{Json, Query};
use shared::identity::{Principal, Scope};
use shared::openapi::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa::IntoParams;
use utoipa_axum::routes;

use crate::api_state::ApiState;
use crate::contract::{Changes, NewStyle, PreviewRequest};
pub use crate::contract::{ListView, QrView, StyleView};
use crate::error::QrError;
use crate::images::{Format, display_file_name, file_name};
use crate::microsite::Caller;
use crate::model::short_url;
use crate::render::print::{Paper, PrintStudio, SheetRequest, SvgSheets};
use crate::store::ListQuery;

/// The JSON API's routes with their OpenAPI entries (`routes!` registers both at once).
fn api() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(preview))
        .routes(
            routes!(crate::bulk::create).layer(DefaultBodyLimit::max(crate::bulk::MAX_CSV_BYTES)),
        )
        .routes(routes!(crate::bulk::export))
        .routes(routes!(list_styles, save_style))
        .routes(routes!(delete_style))
        .routes(routes!(read, update, remove))
        .routes(routes!(trash_list))
        .routes(routes!(restore))
        .routes(routes!(purge))
        .routes(routes!(image_svg))
        .routes(routes!(image_png))
        .routes(routes!(image_pdf))
        .routes(routes!(print_sheet))
        .merge(crate::admin::api())
}

pub fn router(state: ApiState) -> Router {
    api().split_for_parts().0.with_state(state)
}

/// The OpenAPI entries of qr's routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::tagged(api().into_openapi(), "qr")
}

#[utoipa::path(post, path = "/api/v1/qr", request_body = Changes,
    responses((status = 201, description = "The new code", body = QrView)))]
async fn create(
    State(state): State<ApiState>,
    principal: Principal,
    headers: HeaderMap,
    Json(changes): Json<Changes>,
) -> Result<(StatusCode, Json<QrView>), ApiError> {
    principal.require(Scope::QrWrite)?;
    let caller = Caller::from_request(&principal.user_id, &headers);
    let qr = state.service.create(&caller, changes).await?;
    Ok((
        StatusCode::CREATED,
        Json(QrView::of(qr, state.service.public_base_url())),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    cursor: Option<String>,
    /// Codes per page (default 20; at most 100 are returned). Any `u32` is taken; documented as
    /// an int64 with that maximum because `u32` would read as `format: int32`, which refuses
    /// values the handler accepts and caps.
    #[param(value_type = Option<u64>, maximum = 4_294_967_295.0)]
    limit: Option<u32>,
    q: Option<String>,
    tag: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/qr", params(ListParams),
    responses((status = 200, description = "The caller's codes, newest first", body = ListView)))]
async fn list(
    State(state): State<ApiState>,
    principal: Principal,
    Query(params): Query<ListParams>,
) -> Result<Json<ListView>, ApiError> {
    principal.require(Scope::QrRead)?;
    let cursor = params
        .cursor
        .as_deref()
        .map(|c| {
            c.split_once('.')
                .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id.to_owned())))
                .ok_or_else(|| ApiError::invalid("cursor", "that cursor is not one we gave out"))
        })
        .transpose()?;
    let page = state
        .service
        .list(ListQuery {
            owner_id: &principal.user_id,
            cursor,
            limit: params.limit.unwrap_or(20),
            search: params.q.as_deref().map(str::trim).filter(|q| !q.is_empty()),
            tag: params
                .tag
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty()),
        })
        .await?;
    let base = state.service.public_base_url();
    Ok(Json(ListView {
        items: page
            .items
            .into_iter()
            .map(|qr| QrView::of(qr, base))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/api/v1/qr/{id}", params(("id" = String, Path, description = "The code's id")),
    responses((status = 200, description = "The code", body = QrView)))]
async fn read(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<QrView>, ApiError> {
    principal.require(Scope::QrRead)?;
    let qr = state.service.get(&principal.user_id, &id).await?;
    Ok(Json(QrView::of(qr, state.service.public_base_url())))
}

#[utoipa::path(patch, path = "/api/v1/qr/{id}", params(("id" = String, Path, description = "The code's id")), request_body = Changes,
    responses((status = 200, description = "The changed code", body = QrView)))]
async fn update(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(changes): Json<Changes>,
) -> Result<Json<QrView>, ApiError> {
    principal.require(Scope::QrWrite)?;
    let caller = Caller::from_request(&principal.user_id, &headers);
    let qr = state.service.update(&caller, &id, changes).await?;
    Ok(Json(QrView::of(qr, state.service.public_base_url())))
}

/// Moves the code to the trash: it stops redirecting (scanners see "removed by its owner", 410),
/// leaves the lists, keeps its short code and scans, and can be restored for 30 days before it
/// is purged for good.
#[utoipa::path(delete, path = "/api/v1/qr/{id}", params(("id" = String, Path, description = "The code's id")),
    responses((status = 204, description = "Moved to the trash (restorable for 30 days)")))]
async fn remove(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::QrWrite)?;
    state.service.trash(&principal.user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's trash: codes deleted in the last 30 days, most recently deleted first, each with
/// `deleted_at` and `purge_at`.
#[utoipa::path(get, path = "/api/v1/qr/trash",
    responses((status = 200, description = "The caller's trashed codes", body = ListView)))]
async fn trash_list(
    State(state): State<ApiState>,
    principal: Principal,
) -> Result<Json<ListView>, ApiError> {
    principal.require(Scope::QrRead)?;
    let trashed = state.service.trashed(&principal.user_id).await?;
    let base = state.service.public_base_url();
    Ok(Json(ListView {
        items: trashed.into_iter().map(|qr| QrView::of(qr, base)).collect(),
        next_cursor: None,
    }))
}

/// Takes a code out of the trash: it redirects again at once, with its scans.
#[utoipa::path(post, path = "/api/v1/qr/{id}/restore", params(("id" = String, Path, description = "The code's id")),
    responses((status = 200, description = "The restored code", body = QrView)))]
async fn restore(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<QrView>, ApiError> {
    principal.require(Scope::QrWrite)?;
    let qr = state.service.restore(&principal.user_id, &id).await?;
    Ok(Json(QrView::of(qr, state.service.public_base_url())))
}

/// Deletes a code in the trash for good ("delete forever"); its short code then answers 404.
/// A code not in the trash is a 404: delete it first.
#[utoipa::path(delete, path = "/api/v1/qr/{id}/purge", params(("id" = String, Path, description = "The code's id")),
    responses((status = 204, description = "Deleted for good")))]
async fn purge(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::QrWrite)?;
    state.service.purge(&principal.user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SizeParam {
    /// Width in pixels (default 1024).
    #[param(minimum = 64, maximum = 4096)]
    size: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/qr/{id}/image.svg", params(("id" = String, Path, description = "The code's id")),
    responses(
        (status = 200, description = "The rendered code", content_type = "image/svg+xml", body = String),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
    ))]
async fn image_svg(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    image(&state, &principal, &id, Format::Svg, 0, &headers).await
}

#[utoipa::path(get, path = "/api/v1/qr/{id}/image.png", params(("id" = String, Path, description = "The code's id"), SizeParam),
    responses(
        (status = 200, description = "The rendered code", content_type = "image/png", body = Vec<u8>),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
    ))]
async fn image_png(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(params): Query<SizeParam>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    image(
        &state,
        &principal,
        &id,
        Format::Png,
        params.size.unwrap_or(crate::images::DEFAULT_PNG_SIZE),
        &headers,
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/qr/{id}/image.pdf", params(("id" = String, Path, description = "The code's id")),
    responses(
        (status = 200, description = "The code as a vector PDF, for print", content_type = "application/pdf", body = Vec<u8>),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
    ))]
async fn image_pdf(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    image(&state, &principal, &id, Format::Pdf, 0, &headers).await
}

async fn image(
    state: &ApiState,
    principal: &Principal,
    id: &str,
    format: Format,
    size: u32,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    principal.require(Scope::QrRead)?;
    let qr = state.service.get(&principal.user_id, id).await?;
    let payload = qr.payload(state.service.public_base_url())?;
    let (bytes, etag) = state
        .service
        .images()
        .render(payload, qr.style.clone(), format, size)
        .await?;
    let disposition = crate::download::attachment(
        &display_file_name(&qr.name, format, size),
        &file_name(&qr.name, &qr.code, format, size),
    );
    Ok(image_response(
        bytes,
        &etag,
        format,
        Some(disposition),
        headers,
    ))
}

fn image_response(
    bytes: bytes::Bytes,
    etag: &str,
    format: Format,
    disposition: Option<HeaderValue>,
    headers: &HeaderMap,
) -> Response {
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes());
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        bytes.into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    // Private: images are owner-only. Revalidate: an edit changes the ETag.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    if let Some(value) = disposition {
        h.insert(header::CONTENT_DISPOSITION, value);
    }
    // An SVG opened directly must not run anything.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            // `img-src data:`: a logo is embedded as a data: URI of our own re-encoded PNG.
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
        ),
    );
    response
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct PrintParams {
    /// `a4` (default) or `letter`.
    #[param(inline)]
    paper: Option<Paper>,
    /// The code's printed width in millimetres (default 80).
    size_mm: Option<f64>,
    /// Defaults to the short URL (dynamic codes) or the code's name.
    caption: Option<String>,
}

/// `GET /api/v1/qr/{id}/print.svg?paper=a4|letter`: the print-studio stand-in's sheet of one of
/// the caller's codes (the `print-studio` feature). No PDF: the stand-in has no PDF writer.
#[utoipa::path(get, path = "/api/v1/qr/{id}/print.svg", params(("id" = String, Path, description = "The code's id"), PrintParams),
    responses((status = 200, description = "A printable sheet (feature `print-studio`)", content_type = "image/svg+xml", body = String)))]
async fn print_sheet(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
    Query(params): Query<PrintParams>,
) -> Result<Response, ApiError> {
    principal.require(Scope::QrRead)?;
    let features = state.service.features();
    features.require(shared::features::Feature::PrintStudio)?;
    let qr = state.service.get(&principal.user_id, &id).await?;
    let base = state.service.public_base_url();
    let matrix =
        crate::render::Matrix::encode(&qr.payload(base)?, qr.style.ecc).map_err(QrError::from)?;
    let n = matrix.width();
    let modules: Vec<Vec<bool>> = (0..n)
        .map(|y| (0..n).map(|x| matrix.is_dark(x, y)).collect())
        .collect();
    let caption = params.caption.unwrap_or_else(|| {
        if qr.kind.is_dynamic() {
            short_url(base, &qr.code)
        } else {
            qr.name.clone()
        }
    });
    let paper = params.paper.unwrap_or(Paper::A4);
    let svg = SvgSheets { features }.sheet(&SheetRequest {
        modules: &modules,
        paper,
        code_mm: params.size_mm.unwrap_or(80.0),
        caption: &caption,
    })?;
    Ok(crate::download::file(
        svg,
        &[
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "private, no-cache"),
            // Opened directly (to print from the browser), the SVG must not run anything.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; sandbox",
            ),
        ],
    ))
}

/// The editor's live preview: renders an unsaved style.
#[utoipa::path(post, path = "/api/v1/qr/preview.svg", request_body = PreviewRequest,
    responses((status = 200, description = "An unsaved style rendered", content_type = "image/svg+xml", body = String)))]
async fn preview(
    State(state): State<ApiState>,
    principal: Principal,
    headers: HeaderMap,
    Json(request): Json<PreviewRequest>,
) -> Result<Response, ApiError> {
    principal.require(Scope::QrRead)?;
    let style = request.style.validated().map_err(QrError::from)?;
    let payload = request
        .content
        .filter(|c| !c.is_empty() && c.len() <= crate::model::MAX_CONTENT)
        .unwrap_or_else(|| short_url(state.service.public_base_url(), "preview"));
    let (bytes, etag) = state
        .service
        .images()
        .render(payload, style, Format::Svg, 0)
        .await?;
    Ok(image_response(bytes, &etag, Format::Svg, None, &headers))
}

#[utoipa::path(post, path = "/api/v1/qr/styles", request_body = NewStyle,
    responses((status = 201, description = "The saved style", body = StyleView)))]
async fn save_style(
    State(state): State<ApiState>,
    principal: Principal,
    Json(new): Json<NewStyle>,
) -> Result<(StatusCode, Json<StyleView>), ApiError> {
    principal.require(Scope::QrWrite)?;
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "name",
            "the style needs a name of 1–60 characters",
        ));
    }
    let style = new.style.validated().map_err(QrError::from)?;
    // A saved style is checked on a short URL of a real code's length, as codes are.
    let sample = short_url(
        state.service.public_base_url(),
        &"x".repeat(crate::code::GENERATED_LEN),
    );
    state
        .service
        .images()
        .check_scannable(sample, &style)
        .await?;
    let id = shared::ids::new_id();
    let at = shared::ids::now_ms();
    let json = serde_json::to_string(&style).map_err(ApiError::internal)?;
    state
        .service
        .store()
        .save_style(&id, &principal.user_id, &name, &json, at)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(StyleView {
            id,
            name,
            style,
            created_at: at,
        }),
    ))
}

#[utoipa::path(get, path = "/api/v1/qr/styles",
    responses((status = 200, description = "The caller's saved styles", body = Vec<StyleView>)))]
async fn list_styles(
    State(state): State<ApiState>,
    principal: Principal,
) -> Result<Json<Vec<StyleView>>, ApiError> {
    principal.require(Scope::QrRead)?;
    let rows = state.service.store().styles(&principal.user_id).await?;
    let styles = rows
        .into_iter()
        .filter_map(|(id, name, style, created_at)| {
            Some(StyleView {
                id,
                name,
                style: serde_json::from_str(&style).ok()?,
                created_at,
            })
        })
        .collect();
    Ok(Json(styles))
}

#[utoipa::path(delete, path = "/api/v1/qr/styles/{id}", params(("id" = String, Path, description = "The style's id")),
    responses((status = 204, description = "Deleted")))]
async fn delete_style(
    State(state): State<ApiState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::QrWrite)?;
    state
        .service
        .store()
        .delete_style(&principal.user_id, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
