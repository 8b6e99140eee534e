//! Whose QR code is it? A `qr` block names one of the owner's QR codes; the qr service owns them,
//! so the microsite service asks it (through its public API, with the caller's own credential)
//! and never reads qr's tables. When qr cannot be asked, a page with a new QR block is refused
//! rather than saved unverified. The QR block's picture is also qr's: its `image.svg`, in the
//! code's own style, fetched when the page is saved (a plain code when it cannot be).

use std::future::Future;
use std::pin::Pin;

use axum::http::{Method, StatusCode};
use serde::Deserialize;
use shared::client::{ClientError, ServiceClient, bearer};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a QR code could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrCheckError {
    /// The qr service is down, slow, or not configured in this process.
    #[error("the qr service is unavailable: {0}")]
    Unavailable(String),
    /// The credential may not read QR codes (an API key without `qr:read`).
    #[error("{0}")]
    Forbidden(String),
}

/// The qr service as the microsite service needs it.
pub trait QrDirectory: Send + Sync + 'static {
    /// The short code of QR code `qr_id` if it belongs to `owner_id` (who presented `credential`);
    /// `None` if it does not exist or is someone else's (qr does not tell the two apart).
    fn code_of<'a>(
        &'a self,
        owner_id: &'a str,
        credential: &'a str,
        qr_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, QrCheckError>>;

    /// QR code `qr_id` drawn in its saved style (qr's `image.svg`), checked by
    /// [`acceptable_svg`]; `None` when qr cannot draw it (down, not theirs, odd output), and the
    /// page then draws a plain code.
    fn styled_svg<'a>(
        &'a self,
        _owner_id: &'a str,
        _credential: &'a str,
        _qr_id: &'a str,
    ) -> BoxFuture<'a, Option<String>> {
        Box::pin(async { None })
    }
}

/// The largest styled SVG a page takes (a logo is an embedded PNG; qr keeps it small).
pub const MAX_STYLED_SVG: usize = 256 * 1024;

/// qr's SVG as a page may inline it: the `<svg>` element alone (no XML prolog), nothing that
/// runs script or embeds HTML. qr only ever writes shapes, text and a `data:image/png` logo; this
/// is the second lock, so that a bug there cannot become script on a creator's page.
pub fn acceptable_svg(svg: &str) -> Option<String> {
    let start = svg.find("<svg")?;
    let svg = svg[start..].trim_end();
    let lower = svg.to_ascii_lowercase();
    let refused = [
        "<script",
        "foreignobject",
        "javascript:",
        "<iframe",
        "<!entity",
        "href=\"http",
    ];
    (svg.len() <= MAX_STYLED_SVG
        && svg.ends_with("</svg>")
        && !refused.iter().any(|bad| lower.contains(bad))
        && !has_event_attribute(&lower))
    .then(|| svg.to_owned())
}

/// ` on…=`: an event handler attribute (`onload=`, `onclick =`), not the word "on" in a caption.
fn has_event_attribute(lower: &str) -> bool {
    lower.match_indices(" on").any(|(at, _)| {
        let rest = lower[at + 3..].trim_start_matches(|c: char| c.is_ascii_alphabetic());
        rest.trim_start().starts_with('=')
    })
}

/// Asks qr's `GET /api/v1/qr/{id}`, in-process or over HTTP, as the caller.
pub struct QrServiceDirectory {
    client: ServiceClient,
}

impl QrServiceDirectory {
    pub fn new(client: ServiceClient) -> Self {
        Self { client }
    }
}

/// The one field we need from qr's answer; the rest of its shape is qr's business.
#[derive(Deserialize)]
struct QrRef {
    code: String,
}

impl QrDirectory for QrServiceDirectory {
    fn code_of<'a>(
        &'a self,
        _owner_id: &'a str,
        credential: &'a str,
        qr_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, QrCheckError>> {
        Box::pin(async move {
            let id: String = url::form_urlencoded::byte_serialize(qr_id.as_bytes()).collect();
            let answer = self
                .client
                .json::<QrRef>(
                    Method::GET,
                    &format!("/api/v1/qr/{id}"),
                    bearer(credential),
                    None::<&()>,
                )
                .await;
            match answer {
                Ok(qr) => Ok(Some(qr.code)),
                Err(ClientError::Api { error, .. }) => match error.status() {
                    StatusCode::NOT_FOUND => Ok(None),
                    StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => {
                        Err(QrCheckError::Forbidden(error.message().to_owned()))
                    }
                    status => Err(QrCheckError::Unavailable(format!("qr answered {status}"))),
                },
                Err(err) => Err(QrCheckError::Unavailable(err.to_string())),
            }
        })
    }
    fn styled_svg<'a>(
        &'a self,
        _owner_id: &'a str,
        credential: &'a str,
        qr_id: &'a str,
    ) -> BoxFuture<'a, Option<String>> {
        Box::pin(self.fetch_svg(credential, qr_id))
    }
}

impl QrServiceDirectory {
    async fn fetch_svg(&self, credential: &str, qr_id: &str) -> Option<String> {
        let id: String = url::form_urlencoded::byte_serialize(qr_id.as_bytes()).collect();
        let answer = self
            .client
            .send(
                Method::GET,
                &format!("/api/v1/qr/{id}/image.svg"),
                bearer(credential),
                None,
            )
            .await;
        match answer {
            Ok(answer) if answer.status == StatusCode::OK => {
                let svg = acceptable_svg(std::str::from_utf8(&answer.body).ok()?);
                if svg.is_none() {
                    tracing::warn!(qr_id, "qr's styled SVG was refused; drawing a plain code");
                }
                svg
            }
            Ok(answer) => {
                tracing::info!(qr_id, status = %answer.status, "no styled SVG from qr");
                None
            }
            Err(err) => {
                tracing::info!(qr_id, %err, "no styled SVG from qr");
                None
            }
        }
    }
}

/// For a process that runs the microsite service without any way to reach qr (split mode with no
/// `QR_URL`): every check fails as unavailable, so QR blocks are refused, never trusted.
pub struct UnreachableQrDirectory;

impl QrDirectory for UnreachableQrDirectory {
    fn code_of<'a>(
        &'a self,
        _owner_id: &'a str,
        _credential: &'a str,
        _qr_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, QrCheckError>> {
        Box::pin(async {
            Err(QrCheckError::Unavailable(
                "QR_URL is not set for this microsite service".into(),
            ))
        })
    }
}
