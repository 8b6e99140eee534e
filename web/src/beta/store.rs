//! SQL of the web service's own tables (`web_*`), portable between SQLite and PostgreSQL.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, FromRow};

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Feedback {
    pub id: String,
    pub user_id: String,
    pub message: String,
    pub rating: Option<i32>,
    pub page: Option<String>,
    pub created_at: i64,
}

pub async fn insert_feedback(
    pool: &AnyPool,
    user_id: &str,
    message: &str,
    rating: Option<u8>,
    page: Option<&str>,
    at: i64,
    demo: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO web_feedback (id, user_id, message, rating, page, created_at, demo) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(shared::ids::new_id())
    .bind(user_id)
    .bind(message)
    .bind(rating.map(i32::from))
    .bind(page)
    .bind(at)
    .bind(i32::from(demo))
    .execute(pool)
    .await?;
    Ok(())
}

/// The newest feedback first.
pub async fn feedback(pool: &AnyPool, limit: i64) -> Result<Vec<Feedback>, sqlx::Error> {
    newest(
        pool,
        "web_feedback",
        "id, user_id, message, rating, page, created_at",
        limit,
    )
    .await
}

/// Up to `limit` rows of `table`, newest first (ties in id order, so pages are stable).
async fn newest<T>(
    pool: &AnyPool,
    table: &'static str,
    columns: &'static str,
    limit: i64,
) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {columns} FROM {table} ORDER BY created_at DESC, id LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(pool)
    .await
}

pub async fn set_plan(
    pool: &AnyPool,
    user_id: &str,
    plan: &str,
    price: &str,
    at: i64,
    demo: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO web_pricing_interest (user_id, plan, price, created_at, demo) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET plan = excluded.plan, \
         price = excluded.price, created_at = excluded.created_at",
    )
    .bind(user_id)
    .bind(plan)
    .bind(price)
    .bind(at)
    .bind(i32::from(demo))
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn plan_of(pool: &AnyPool, user_id: &str) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT plan FROM web_pricing_interest WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(p,)| p))
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Interview {
    pub user_id: String,
    pub opted_in: i32,
    pub contact: Option<String>,
    pub time_zone: Option<String>,
    pub created_at: i64,
}

pub async fn set_interview(
    pool: &AnyPool,
    answer: &Interview,
    demo: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO web_interviews (user_id, opted_in, contact, time_zone, created_at, demo) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) DO UPDATE SET \
         opted_in = excluded.opted_in, contact = excluded.contact, \
         time_zone = excluded.time_zone, created_at = excluded.created_at",
    )
    .bind(&answer.user_id)
    .bind(answer.opted_in)
    .bind(answer.contact.as_deref())
    .bind(answer.time_zone.as_deref())
    .bind(answer.created_at)
    .bind(i32::from(demo))
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn interview_of(pool: &AnyPool, user_id: &str) -> Result<Option<Interview>, sqlx::Error> {
    sqlx::query_as(
        "SELECT user_id, opted_in, contact, time_zone, created_at FROM web_interviews \
         WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await
}

/// One user's feedback, newest first (their page in the console).
pub async fn feedback_of(pool: &AnyPool, user_id: &str) -> Result<Vec<Feedback>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, user_id, message, rating, page, created_at FROM web_feedback \
         WHERE user_id = $1 ORDER BY created_at DESC, id",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
}

/// Everyone who said yes, newest first (the founder's interview list).
pub async fn interview_optins(pool: &AnyPool) -> Result<Vec<Interview>, sqlx::Error> {
    sqlx::query_as(
        "SELECT user_id, opted_in, contact, time_zone, created_at FROM web_interviews \
         WHERE opted_in = 1 ORDER BY created_at DESC",
    )
    .fetch_all(pool)
    .await
}

const USER_TABLES: [&str; 3] = ["web_feedback", "web_pricing_interest", "web_interviews"];

/// Removes a deleted user's rows.
pub async fn delete_user(pool: &AnyPool, user_id: &str) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    shared::db::delete_from_each(&mut tx, &USER_TABLES, "user_id = $1", user_id).await?;
    shared::db::delete_from_each(&mut tx, &super::pipeline::TABLES, "user_id = $1", user_id)
        .await?;
    tx.commit().await
}

/// Removes every demo row.
pub async fn delete_demo(pool: &AnyPool) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    // The pipeline has no demo mark of its own: it follows the demo users' interview answers.
    for table in super::pipeline::TABLES {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE user_id IN \
             (SELECT user_id FROM web_interviews WHERE demo = 1)"
        )))
        .execute(&mut *tx)
        .await?;
    }
    for table in USER_TABLES {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE demo = 1"
        )))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}
