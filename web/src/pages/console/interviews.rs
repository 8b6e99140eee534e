//! The interview pipeline (`/admin/interviews`): everyone who opted in, by stage (opted in →
//! invited → scheduled → done), each with notes and the next step. The founder moves a card
//! with one form, emails the invitation through the outbox, and exports the pipeline as CSV.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::handler::Handler;
use axum::response::Response;
use axum::routing::get;
use email::{Email, Message};
use serde::Deserialize;
use shared::ApiError;
use shared::ui::Chrome;

use super::kit::{self, FounderForm, FounderPage, csv_cell, csv_download, user_href};
use super::{FORM_LIMIT, ShowsDates, day};
use crate::beta::pipeline::{self, Card, Move, Stage};
use crate::pages::WebState;
use crate::pages::session::{back_to, form_post, see_other};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/admin/interviews", get(interviews))
        .route(
            "/admin/interviews.csv",
            get(export.layer(back_to("/admin/interviews"))),
        )
        .route(
            "/admin/interviews/move",
            form_post(move_card, "/admin/interviews", FORM_LIMIT),
        )
        .route(
            "/admin/interviews/invite",
            form_post(invite, "/admin/interviews", FORM_LIMIT),
        )
}

/// A card with the account's email (from auth).
struct Row {
    card: Card,
    email: String,
    href: String,
}

struct Column {
    stage: Stage,
    rows: Vec<Row>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/admin/interviews.html")]
struct InterviewsPage {
    chrome: Chrome,
    columns: Vec<Column>,
    stages: [Stage; 4],
    notice: Option<String>,
}

impl ShowsDates for InterviewsPage {}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
    to: Option<String>,
}

/// Cards with their emails, in pipeline order.
async fn rows(state: &WebState, token: &str) -> Result<Vec<Row>, ApiError> {
    let emails = super::Emails::ask(state, token).await?;
    Ok(pipeline::cards(state.beta.pool())
        .await?
        .into_iter()
        .map(|card| Row {
            email: emails.of(&card.user_id),
            href: user_href(&card.user_id),
            card,
        })
        .collect())
}

async fn interviews(
    State(state): State<WebState>,
    Query(q): Query<NoticeQuery>,
    page: FounderPage,
) -> Result<Response, ApiError> {
    let mut rows = rows(&state, page.token()).await?;
    let columns = Stage::ALL
        .into_iter()
        .map(|stage| Column {
            stage,
            rows: rows.extract_if(.., |r| r.card.stage == stage).collect(),
        })
        .collect();
    let to = q.to.unwrap_or_default();
    let notice = match q.notice.as_deref() {
        Some("moved") => Some("Saved.".to_owned()),
        Some("invited") if state.email_delivery => Some(format!(
            "The invitation to {to} is queued for sending (see Outbox)."
        )),
        Some("invited") => Some(format!(
            "Email is off, so nothing was sent to {to}: the invitation is in the Outbox to copy, \
             and the interview is marked invited."
        )),
        _ => None,
    };
    let chrome = page.chrome();
    Ok(page.render(InterviewsPage {
        chrome,
        columns,
        stages: Stage::ALL,
        notice,
    }))
}

#[derive(Deserialize)]
struct MoveForm {
    user_id: String,
    stage: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    next_step: String,
}

async fn move_card(
    State(state): State<WebState>,
    FounderForm(founder, form): FounderForm<MoveForm>,
) -> Result<Response, ApiError> {
    let stage = Stage::parse(&form.stage)
        .ok_or_else(|| ApiError::invalid("stage", "Opted in, invited, scheduled or done."))?;
    let change = Move {
        user_id: &form.user_id,
        stage,
        notes: &form.notes,
        next_step: &form.next_step,
        by: &founder.session.user_id,
        emailed: false,
    };
    pipeline::move_to(state.beta.pool(), &change, shared::ids::now_ms()).await?;
    Ok(see_other(&format!(
        "/admin/interviews?notice=moved#interview-{}",
        url_part(&form.user_id)
    )))
}

#[derive(Deserialize)]
struct InviteForm {
    user_id: String,
}

/// The invitation: plain text, no link (they answer by replying).
fn invitation(to: &str, time_zone: &str) -> Message {
    let zone = if time_zone.is_empty() {
        String::new()
    } else {
        format!(" ({time_zone})")
    };
    Message {
        to: to.to_owned(),
        subject: "20 minutes about Scanpage?".to_owned(),
        body: format!(
            "Hello,\n\nYou said you would be happy to tell us how you use Scanpage. Thank you!\n\n\
             Could you reply with two or three times next week that suit you{zone}? A 20-minute \
             video or phone call is all we need.\n\nThe Scanpage founders\n"
        ),
        html: None,
    }
}

async fn invite(
    State(state): State<WebState>,
    FounderForm(founder, form): FounderForm<InviteForm>,
) -> Result<Response, ApiError> {
    let outbox = kit::outbox(&state, "invite them from the contact they gave")?;
    let pool = state.beta.pool();
    let card = pipeline::card(pool, &form.user_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let email = state
        .clients
        .auth
        .admin_users(founder.token())
        .await?
        .into_iter()
        .find(|u| u.id == form.user_id)
        .map(|u| u.email)
        .ok_or_else(ApiError::not_found)?;
    outbox
        .queue(&invitation(&email, &card.time_zone))
        .await
        .map_err(ApiError::internal)?;
    // A card further along stays there: the email is then a reminder, not a step back.
    let stage = match card.stage {
        Stage::OptedIn => Stage::Invited,
        later => later,
    };
    let change = Move {
        user_id: &form.user_id,
        stage,
        notes: &card.notes,
        next_step: &card.next_step,
        by: &founder.session.user_id,
        emailed: true,
    };
    pipeline::move_to(pool, &change, shared::ids::now_ms()).await?;
    Ok(see_other(&format!(
        "/admin/interviews?notice=invited&to={}#interview-{}",
        url_part(&email),
        url_part(&form.user_id)
    )))
}

fn url_part(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn export(State(state): State<WebState>, page: FounderPage) -> Result<Response, ApiError> {
    let rows = rows(&state, page.token()).await?;
    csv_download(
        "scanpage-interviews.csv",
        [
            "email",
            "stage",
            "contact",
            "time_zone",
            "opted_in",
            "invitation_emailed",
            "updated",
            "next_step",
            "notes",
        ],
        rows.into_iter().map(|r| {
            let c = r.card;
            [
                csv_cell(&r.email),
                c.stage.as_str().to_owned(),
                csv_cell(&c.contact),
                csv_cell(&c.time_zone),
                day(c.opted_in_at),
                c.invited_at.map(day).unwrap_or_default(),
                day(c.updated_at),
                csv_cell(&c.next_step),
                csv_cell(&c.notes),
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_invitation_names_their_time_zone_and_carries_no_link() {
        let m = invitation("ada@example.com", "Europe/Paris");
        assert_eq!(m.to, "ada@example.com");
        assert!(m.body.contains("suit you (Europe/Paris)?"), "{}", m.body);
        assert!(!m.body.contains("http"));
        assert!(invitation("a@b.c", "").body.contains("suit you?"));
    }
}
