//! The founder's interview pipeline: each user who opted in to an interview moves from "opted
//! in" through invited → scheduled → done, with notes and the next step. Every move is recorded
//! (who, when, with what note). Tables `web_interview_pipeline` and `web_interview_moves`.

use serde::Serialize;
use shared::ApiError;
use sqlx::{AnyPool, FromRow};

/// Where an interview stands. `OptedIn` is the start: the user said yes and nobody has acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Stage {
    OptedIn,
    Invited,
    Scheduled,
    Done,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::OptedIn,
        Stage::Invited,
        Stage::Scheduled,
        Stage::Done,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::OptedIn => "opted_in",
            Stage::Invited => "invited",
            Stage::Scheduled => "scheduled",
            Stage::Done => "done",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::OptedIn => "Opted in",
            Stage::Invited => "Invited",
            Stage::Scheduled => "Scheduled",
            Stage::Done => "Done",
        }
    }

    pub fn parse(text: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One opted-in user's place in the pipeline.
#[derive(Debug, Clone, FromRow)]
struct CardRow {
    user_id: String,
    contact: Option<String>,
    time_zone: Option<String>,
    opted_in_at: i64,
    stage: Option<String>,
    notes: Option<String>,
    next_step: Option<String>,
    invited_at: Option<i64>,
    updated_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub user_id: String,
    pub contact: String,
    pub time_zone: String,
    pub opted_in_at: i64,
    pub stage: Stage,
    pub notes: String,
    pub next_step: String,
    /// When the invitation email was queued from the console.
    pub invited_at: Option<i64>,
    /// The last move (or the opt-in).
    pub updated_at: i64,
}

impl From<CardRow> for Card {
    fn from(r: CardRow) -> Card {
        Card {
            stage: r
                .stage
                .as_deref()
                .and_then(Stage::parse)
                .unwrap_or(Stage::OptedIn),
            contact: r.contact.unwrap_or_default(),
            time_zone: r.time_zone.unwrap_or_default(),
            notes: r.notes.unwrap_or_default(),
            next_step: r.next_step.unwrap_or_default(),
            invited_at: r.invited_at,
            updated_at: r.updated_at.unwrap_or(r.opted_in_at),
            opted_in_at: r.opted_in_at,
            user_id: r.user_id,
        }
    }
}

const CARD_SQL: &str = "SELECT i.user_id, i.contact, i.time_zone, i.created_at AS opted_in_at, \
     p.stage, p.notes, p.next_step, p.invited_at, p.updated_at FROM web_interviews i \
     LEFT JOIN web_interview_pipeline p ON p.user_id = i.user_id WHERE i.opted_in = 1";

/// Everyone who opted in, with their stage; the longest-waiting first.
pub async fn cards(pool: &AnyPool) -> Result<Vec<Card>, sqlx::Error> {
    let rows: Vec<CardRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{CARD_SQL} ORDER BY i.created_at, i.user_id"
    )))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Card::from).collect())
}

/// One user's card; `None` when they have not opted in.
pub async fn card(pool: &AnyPool, user_id: &str) -> Result<Option<Card>, sqlx::Error> {
    let row: Option<CardRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{CARD_SQL} AND i.user_id = $1"
    )))
    .bind(user_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Card::from))
}

/// A move as the founder asks for it.
pub struct Move<'a> {
    pub user_id: &'a str,
    pub stage: Stage,
    pub notes: &'a str,
    pub next_step: &'a str,
    /// The founder who moved it (their user id).
    pub by: &'a str,
    /// The invitation email was queued with this move.
    pub emailed: bool,
}

const MAX_NOTES: usize = 4000;
const MAX_NEXT_STEP: usize = 200;

impl Move<'_> {
    fn check(&self) -> Result<(), ApiError> {
        if self.notes.chars().count() > MAX_NOTES {
            return Err(ApiError::invalid(
                "notes",
                format!("Up to {MAX_NOTES} characters of notes."),
            ));
        }
        if self.next_step.chars().count() > MAX_NEXT_STEP
            || self.next_step.chars().any(char::is_control)
        {
            return Err(ApiError::invalid(
                "next_step",
                format!("The next step on one line, up to {MAX_NEXT_STEP} characters."),
            ));
        }
        Ok(())
    }
}

/// Moves an opted-in user's interview (or keeps its stage and updates the notes), and records
/// the move. A user who has not opted in cannot be moved (404).
pub async fn move_to(pool: &AnyPool, change: &Move<'_>, at: i64) -> Result<Card, ApiError> {
    change.check()?;
    let mut conn = pool.acquire().await?;
    let mut tx = shared::db::begin_reading_then_writing(&mut conn).await?;
    let opted_in: Option<(i32,)> =
        sqlx::query_as("SELECT opted_in FROM web_interviews WHERE user_id = $1 AND opted_in = 1")
            .bind(change.user_id)
            .fetch_optional(&mut *tx)
            .await?;
    if opted_in.is_none() {
        return Err(ApiError::not_found());
    }
    let notes = change.notes.trim();
    let next_step = change.next_step.trim();
    sqlx::query(
        "INSERT INTO web_interview_pipeline (user_id, stage, notes, next_step, invited_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) DO UPDATE SET \
         stage = excluded.stage, notes = excluded.notes, next_step = excluded.next_step, \
         invited_at = COALESCE(excluded.invited_at, web_interview_pipeline.invited_at), \
         updated_at = excluded.updated_at",
    )
    .bind(change.user_id)
    .bind(change.stage.as_str())
    .bind(notes)
    .bind(next_step)
    .bind(change.emailed.then_some(at))
    .bind(at)
    .execute(&mut *tx)
    .await?;
    let note = if change.emailed {
        "Invitation emailed".to_owned()
    } else {
        next_step.to_owned()
    };
    sqlx::query(
        "INSERT INTO web_interview_moves (id, user_id, stage, note, moved_by, moved_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(shared::ids::new_id())
    .bind(change.user_id)
    .bind(change.stage.as_str())
    .bind(note)
    .bind(change.by)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    card(pool, change.user_id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// One recorded move.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Moved {
    pub stage: String,
    pub note: String,
    pub moved_by: String,
    pub moved_at: i64,
}

impl Moved {
    pub fn stage_label(&self) -> &'static str {
        Stage::parse(&self.stage).map_or("Unknown", Stage::label)
    }
}

/// A user's moves, oldest first.
pub async fn moves_of(pool: &AnyPool, user_id: &str) -> Result<Vec<Moved>, sqlx::Error> {
    sqlx::query_as(
        "SELECT stage, note, moved_by, moved_at FROM web_interview_moves WHERE user_id = $1 \
         ORDER BY moved_at, id",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
}

/// The pipeline's tables, emptied of a deleted user.
pub const TABLES: [&str; 2] = ["web_interview_pipeline", "web_interview_moves"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_round_trip_and_refuse_unknown_names() {
        for stage in Stage::ALL {
            assert_eq!(Stage::parse(stage.as_str()), Some(stage));
        }
        assert_eq!(Stage::parse("cancelled"), None);
        assert_eq!(Stage::parse(""), None);
    }

    #[test]
    fn a_next_step_is_one_short_line() {
        let change = |next_step| Move {
            user_id: "u",
            stage: Stage::Scheduled,
            notes: "",
            next_step,
            by: "f",
            emailed: false,
        };
        assert!(change("Call on Tuesday").check().is_ok());
        assert_eq!(
            change("two\nlines").check().unwrap_err().field(),
            Some("next_step")
        );
        let long = "x".repeat(MAX_NEXT_STEP + 1);
        assert!(change(&long).check().is_err());
    }
}
