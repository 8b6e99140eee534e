//! The console's Outbox (`/admin/outbox`): the newest emails with where each stands (queued,
//! sent, retrying, failed), attempts and the last error. With delivery off (no `SMTP_URL`) —
//! or for a message that failed — the page shows the link inside each message, so the founder
//! can hand it to the person it was for. Founders only; the links are never logged.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use email::outbox::Listed;
use shared::ApiError;
use shared::ui::Chrome;

use super::day;
use crate::pages::WebState;
use crate::pages::kit::chrome;
use crate::pages::session::{Csrf, Founder};

/// How many messages the page lists (newest first).
const SHOWN: u32 = 200;

pub fn router() -> Router<WebState> {
    Router::new().route("/admin/outbox", get(outbox))
}

/// One message as the page shows it.
struct Row {
    message: Listed,
    state: &'static str,
    /// The link to hand over: only when it did not (or will not) arrive by email.
    link: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/admin/outbox.html")]
struct OutboxPage {
    chrome: Chrome,
    email_delivery: bool,
    /// `None`: this process does not hold the outbox (split mode).
    rows: Option<Vec<Row>>,
}

impl OutboxPage {
    fn time(ms: &i64) -> String {
        let secs = ms.div_euclid(1000);
        format!(
            "{} {:02}:{:02} UTC",
            day(*ms),
            secs.div_euclid(3600).rem_euclid(24),
            secs.div_euclid(60).rem_euclid(60)
        )
    }
}

async fn outbox(
    State(state): State<WebState>,
    _: Founder,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    let rows = match &state.outbox {
        Some(outbox) => Some(
            outbox
                .recent(SHOWN)
                .await?
                .into_iter()
                .map(|message| {
                    let state_now = message.state();
                    let hand_over =
                        !state.email_delivery || state_now == email::outbox::State::Failed;
                    Row {
                        link: hand_over
                            .then(|| message.link().map(str::to_owned))
                            .flatten(),
                        state: state_now.as_str(),
                        message,
                    }
                })
                .collect(),
        ),
        None => None,
    };
    Ok(jar.apply(OutboxPage {
        chrome: chrome(true, &csrf),
        email_delivery: state.email_delivery,
        rows,
    }))
}
