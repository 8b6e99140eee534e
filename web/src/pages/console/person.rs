//! One user's page (`/admin/users/{id}`): their account, codes and pages with the people who
//! scanned or viewed them, feedback, plan interest, where their interview stands, and a timeline
//! of their lifecycle (from analytics' product events and the interview moves). Every place the
//! console shows a user links here through [`super::kit::user_href`].

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use shared::ApiError;
use shared::ui::Chrome;

use analytics::product::client::{TargetHits, UserDetail};
use auth::client::AdminUser;

use super::kit::{FounderPage, event_label};
use super::{ShowsDates, degrade};
use crate::beta::pipeline::{self, Card, Moved};
use crate::beta::store::{self, Feedback};
use crate::pages::WebState;

pub fn router() -> Router<WebState> {
    Router::new().route("/admin/users/{id}", get(person))
}

/// One line of the timeline, from analytics or from the interview pipeline.
struct Moment {
    at: i64,
    what: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/admin/person.html")]
struct PersonPage {
    chrome: Chrome,
    account: AdminUser,
    /// `None`: analytics did not answer.
    detail: Option<UserDetail>,
    feedback: Vec<Feedback>,
    plan: Option<String>,
    interview: Option<Card>,
    answered_no: bool,
    timeline: Vec<Moment>,
}

impl ShowsDates for PersonPage {}

impl PersonPage {
    fn name(target: &TargetHits) -> &str {
        target.name.as_deref().unwrap_or(&target.id)
    }

    fn human_scans(&self) -> i64 {
        self.detail
            .as_ref()
            .and_then(|d| d.metrics.as_ref())
            .map_or(0, |m| m.human_scans)
    }
}

async fn person(
    State(state): State<WebState>,
    Path(id): Path<String>,
    page: FounderPage,
) -> Result<Response, ApiError> {
    let account = state
        .clients
        .auth
        .admin_users(page.token())
        .await?
        .into_iter()
        .find(|u| u.id == id)
        .ok_or_else(ApiError::not_found)?;
    let detail = degrade("user", state.clients.console.user(page.token(), &id).await);
    let pool = state.beta.pool();
    let interview = pipeline::card(pool, &id).await?;
    let answered_no = interview.is_none()
        && store::interview_of(pool, &id)
            .await?
            .is_some_and(|i| i.opted_in == 0);
    let moves = pipeline::moves_of(pool, &id).await?;
    let chrome = page.chrome();
    Ok(page.render(PersonPage {
        chrome,
        timeline: timeline(&account, detail.as_ref(), &moves),
        feedback: store::feedback_of(pool, &id).await?,
        plan: store::plan_of(pool, &id).await?,
        account,
        detail,
        interview,
        answered_no,
    }))
}

/// Lifecycle events and interview moves, oldest first. Without analytics, the signup date from
/// auth still starts it.
fn timeline(account: &AdminUser, detail: Option<&UserDetail>, moves: &[Moved]) -> Vec<Moment> {
    let mut moments: Vec<Moment> = match detail {
        Some(d) => d
            .timeline
            .iter()
            .map(|e| Moment {
                at: e.at,
                what: match (e.kind.as_str(), e.subject.as_deref()) {
                    ("signed_up", Some(source)) => format!("Signed up (from {source})"),
                    ("chose_plan", Some(plan)) => format!("Chose the {plan} plan"),
                    ("answered_interview", Some("yes")) => "Said yes to an interview".to_owned(),
                    ("answered_interview", Some(_)) => "Said no to an interview".to_owned(),
                    (kind, _) => event_label(kind).to_owned(),
                },
            })
            .collect(),
        None => vec![Moment {
            at: account.created_at,
            what: "Signed up".to_owned(),
        }],
    };
    moments.extend(moves.iter().map(|m| Moment {
        at: m.moved_at,
        what: if m.note.is_empty() {
            format!("Interview: {}", m.stage_label())
        } else {
            format!("Interview: {} ({})", m.stage_label(), m.note)
        },
    }));
    moments.sort_by_key(|m| m.at);
    moments
}

impl Moment {
    /// `2026-12-06 14:05` (UTC): a day often holds several steps.
    fn when(&self) -> String {
        jiff::Timestamp::from_millisecond(self.at)
            .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    }
}
