//! The QR code pages: the dashboard list, the create and edit forms with a live preview, saved
//! styles, bulk creation and image downloads. Everything goes through `QrClient` with the
//! visitor's own access token, so the qr service's ownership rules are the only ones there are.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use serde::Deserialize;

use super::WebState;
use super::session::form_post;

mod bulk;
mod dashboard;
mod downloads;
mod editor;
mod form;
mod logo;
mod styles;
mod submit;

const FORM_LIMIT: usize = 16 * 1024;
/// qr takes CSVs up to 4 MiB; a multipart envelope adds a little.
const BULK_LIMIT: usize = 4 * 1024 * 1024 + 64 * 1024;
/// media takes images up to 1 MiB; a multipart envelope adds a little.
const LOGO_LIMIT: usize = media::process::MAX_UPLOAD_BYTES + 16 * 1024;

/// Signed-in routes (behind the session layer). A form that is not its page's own goes back, after
/// logging in, to the page it names.
pub fn router() -> Router<WebState> {
    Router::new()
        .route("/app", get(dashboard::dashboard))
        .route(
            "/app/qr/new",
            // The form carries an optional logo file while creating.
            get(editor::new_page)
                .post(editor::create)
                .layer(DefaultBodyLimit::max(LOGO_LIMIT)),
        )
        .route(
            "/app/qr/preview",
            form_post(editor::preview, "/app", FORM_LIMIT),
        )
        .route(
            "/app/qr/bulk",
            get(bulk::page)
                .post(bulk::upload)
                .layer(DefaultBodyLimit::max(BULK_LIMIT)),
        )
        .route(
            "/app/qr/styles",
            get(styles::page)
                .post(styles::save)
                .layer(DefaultBodyLimit::max(LOGO_LIMIT)),
        )
        .route(
            "/app/qr/styles/{id}/delete",
            form_post(styles::delete, "/app/qr/styles", FORM_LIMIT),
        )
        .route(
            "/app/qr/{id}",
            get(editor::edit_page).merge(form_post(editor::update, "/app", LOGO_LIMIT)),
        )
        // `/app/qr/{id}/delete` (asks, then moves the code to the trash) is the trash's route.
        .route(
            "/app/qr/{id}/logo",
            form_post(logo::logo, "/app/qr/{id}", LOGO_LIMIT),
        )
        .route("/app/qr/export.zip", get(downloads::export_zip))
        .route("/app/qr/{id}/image.svg", get(downloads::image_svg))
        .route("/app/qr/{id}/image.png", get(downloads::image_png))
        .route("/app/qr/{id}/image.pdf", get(downloads::image_pdf))
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}
