//! Many codes at once, from a CSV file or pasted rows.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::ApiError;
use shared::ui::Chrome;

use qr::api::QrView;

use crate::pages::WebState;
use crate::pages::kit::{Errors, chrome};
use crate::pages::session::{Csrf, CsrfForm, Posted, Session};

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/qr_bulk.html")]
struct BulkPage {
    chrome: Chrome,
    csv: String,
    created: Vec<QrView>,
    rows: Vec<qr::bulk::RowError>,
    error: Option<String>,
}

pub(super) async fn page(_: Session, Csrf(csrf, jar): Csrf) -> Result<Response, ApiError> {
    Ok(jar.apply(BulkPage {
        chrome: chrome(true, &csrf),
        csv: String::new(),
        created: Vec::new(),
        rows: Vec::new(),
        error: None,
    }))
}

#[derive(Deserialize, Default)]
pub(super) struct BulkForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    csv: String,
}

/// The upload as sent: a file (multipart) or the pasted text (`csv`, kept to show again); the
/// file wins when both are given.
pub(super) struct BulkUpload {
    form: BulkForm,
    csv: Bytes,
}

impl CsrfForm for BulkUpload {
    fn csrf_token(&self) -> &str {
        &self.form.csrf_token
    }
}

impl FromRequest<WebState> for BulkUpload {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &WebState) -> Result<Self, ApiError> {
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let Form(form) = Form::<BulkForm>::from_request(request, state)
                .await
                .map_err(|_| ApiError::invalid("csv", "send the form again"))?;
            let csv = Bytes::from(form.csv.clone());
            return Ok(BulkUpload { form, csv });
        }
        let mut parts = Multipart::from_request(request, state)
            .await
            .map_err(|_| ApiError::invalid("csv", "send the form again"))?;
        let mut form = BulkForm::default();
        let mut file = Bytes::new();
        let bad = |_| ApiError::invalid("csv", "the upload was cut short; send it again");
        while let Some(field) = parts.next_field().await.map_err(bad)? {
            match field.name() {
                Some("csrf_token") => form.csrf_token = field.text().await.map_err(bad)?,
                Some("csv") => form.csv = field.text().await.map_err(bad)?,
                Some("file") => file = field.bytes().await.map_err(bad)?,
                _ => {}
            }
        }
        let csv = if file.is_empty() {
            Bytes::from(form.csv.clone())
        } else {
            file
        };
        Ok(BulkUpload { form, csv })
    }
}

pub(super) async fn upload(
    State(state): State<WebState>,
    Posted(session, BulkUpload { form, csv }): Posted<BulkUpload>,
) -> Result<Response, ApiError> {
    let mut page = BulkPage {
        chrome: chrome(true, &form.csrf_token),
        csv: form.csv,
        created: Vec::new(),
        rows: Vec::new(),
        error: None,
    };
    if csv.iter().all(u8::is_ascii_whitespace) {
        page.error = Some("Choose a CSV file or paste rows first.".into());
        return Ok(page.into_response());
    }
    // Always 200: htmx swaps only successful answers, and the page says what happened.
    match state.clients.qr.bulk(&session.access_token, csv).await {
        Ok(qr::client::BulkOutcome::Created(done)) => {
            page.created = done.items;
            page.csv.clear();
        }
        Ok(qr::client::BulkOutcome::Rejected(rows)) => page.rows = rows,
        Err(err) => {
            let (errors, _) = Errors::from_client(err)?;
            page.error = errors.general(&[]).map(str::to_owned);
        }
    }
    Ok(page.into_response())
}
