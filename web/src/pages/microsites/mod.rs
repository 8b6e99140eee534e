//! The microsite pages: the list, "new from a template" (or blank), and the builder — page
//! settings, blocks added, edited, moved and removed, a live preview in a phone-sized frame,
//! publishing, the public URL to copy, a QR code for the page in one click, and deletion after a
//! confirmation. Plain forms that work without JavaScript; htmx swaps the builder in place.
//! Everything goes through `MicrositeClient` with the visitor's own access token, so the
//! microsite service's ownership and validation rules are the only ones there are.

mod actions;
mod block_form;
mod blocks;
mod builder;
mod list;
mod new;
mod upload;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{MethodRouter, get};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde::de::value::{Error as NameError, StrDeserializer};
use shared::ApiError;
use shared::client::ClientError;

use super::WebState;
use super::session::{Session, form_post};
use microsite::api::MicrositeView;

/// A block's text may be 5,000 characters; a form with a few of them stays far below this.
const FORM_LIMIT: usize = 64 * 1024;

/// Signed-in routes. A form on the builder goes back to the builder after logging in.
pub fn router() -> Router<WebState> {
    let small = || DefaultBodyLimit::max(FORM_LIMIT);
    Router::new()
        .route("/app/microsites", get(list::list))
        .route(
            "/app/microsites/new",
            get(new::page).post(new::create).layer(small()),
        )
        .route(
            "/app/microsites/{id}",
            get(builder::builder)
                .post(builder::save_settings)
                .layer(small()),
        )
        .route("/app/microsites/{id}/blocks", builder_form(blocks::add))
        .route(
            "/app/microsites/{id}/blocks/{block}",
            builder_form(blocks::edit),
        )
        .route(
            "/app/microsites/{id}/blocks/{block}/move",
            builder_form(blocks::move_block),
        )
        // POST because HTML forms cannot send DELETE.
        .route(
            "/app/microsites/{id}/blocks/{block}/remove",
            builder_form(blocks::remove),
        )
        .route(
            "/app/microsites/{id}/publish",
            builder_form(actions::set_live::<true>),
        )
        .route(
            "/app/microsites/{id}/unpublish",
            builder_form(actions::set_live::<false>),
        )
        .route("/app/microsites/{id}/qr", builder_form(actions::make_qr))
        // A block's form with a file (avatar, image): multipart, so the larger limit.
        .route(
            "/app/microsites/{id}/upload",
            form_post(upload::add, "/app/microsites/{id}", upload::UPLOAD_LIMIT),
        )
        .route(
            "/app/microsites/{id}/blocks/{block}/upload",
            form_post(upload::edit, "/app/microsites/{id}", upload::UPLOAD_LIMIT),
        )
    // `/app/microsites/{id}/delete` (asks, then moves the page to the trash) is the trash's.
}

/// A form on the builder: it goes back to the builder after logging in.
fn builder_form<H: Handler<T, WebState>, T: 'static>(handler: H) -> MethodRouter<WebState> {
    form_post(handler, "/app/microsites/{id}", FORM_LIMIT)
}

/// What the list and the builder say after a redirect (`?saved=1`…).
#[derive(Deserialize, Default)]
struct Notice {
    saved: Option<String>,
    published: Option<String>,
    unpublished: Option<String>,
    deleted: Option<String>,
}

/// Where a path segment came from the visitor: encoded before it goes into a `Location`.
fn enc(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

/// The visitor's page `id`. The service answers 404 for a missing page and for another user's,
/// so either is the not-found page.
async fn own_page(
    state: &WebState,
    session: &Session,
    id: &str,
) -> Result<MicrositeView, ApiError> {
    Ok(state
        .clients
        .microsite
        .get(&session.access_token, id)
        .await?)
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

/// A refused form: where its error goes, and the status the page is answered with.
type Refusal = (Placement, StatusCode);

/// A name the service knows (a theme, an icon…), read the way the service reads it, so an
/// unknown one is refused with the same "unknown variant `…`, expected one of …" message.
fn named<T: DeserializeOwned>(field: &str, value: &str) -> Result<T, FormError> {
    T::deserialize(StrDeserializer::<NameError>::new(value)).map_err(|e| FormError {
        field: field.to_owned(),
        message: e.to_string(),
    })
}

/// A refusal the visitor can act on (4xx, or "QR codes cannot be checked right now") becomes a
/// form error with its status; anything else is a real failure and gets the error page.
fn answered(err: ClientError) -> Result<Refusal, ApiError> {
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
