//! Every SQL statement of the microsite service. One text serves SQLite and PostgreSQL (sqlx
//! `Any`, `$n` placeholders); rows decode into a private struct and convert to domain types here.

use shared::db::{Db, is_unique_violation, json_text as json};
use sqlx::FromRow;

use crate::error::MicrositeError;
use crate::model::{Content, Microsite};

#[derive(FromRow)]
struct Row {
    id: String,
    owner_id: String,
    slug: String,
    draft: String,
    published: Option<String>,
    published_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    deleted_at: Option<i64>,
}

const COLUMNS: &str =
    "id, owner_id, slug, draft, published, published_at, created_at, updated_at, deleted_at";

impl TryFrom<Row> for Microsite {
    type Error = MicrositeError;

    fn try_from(row: Row) -> Result<Self, MicrositeError> {
        let corrupt = |what: &str, e: serde_json::Error| {
            MicrositeError::Database(sqlx::Error::Decode(
                format!("microsite_pages.{what}: {e}").into(),
            ))
        };
        Ok(Microsite {
            draft: serde_json::from_str(&row.draft).map_err(|e| corrupt("draft", e))?,
            published: row
                .published
                .as_deref()
                .map(serde_json::from_str::<Content>)
                .transpose()
                .map_err(|e| corrupt("published", e))?,
            id: row.id,
            owner_id: row.owner_id,
            slug: row.slug,
            published_at: row.published_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
            deleted_at: row.deleted_at,
        })
    }
}

fn slug_conflict(err: sqlx::Error) -> MicrositeError {
    if is_unique_violation(&err) {
        MicrositeError::SlugTaken
    } else {
        err.into()
    }
}

#[derive(Clone)]
pub struct Store {
    db: Db,
}

impl Store {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    #[tracing::instrument(skip_all, fields(microsite_id = %page.id))]
    pub async fn insert(&self, page: &Microsite) -> Result<(), MicrositeError> {
        sqlx::query(
            "INSERT INTO microsite_pages (id, owner_id, slug, draft, published, published_at, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&page.id)
        .bind(&page.owner_id)
        .bind(&page.slug)
        .bind(json(&page.draft))
        .bind(page.published.as_ref().map(json))
        .bind(page.published_at)
        .bind(page.created_at)
        .bind(page.updated_at)
        .execute(self.db.pool())
        .await
        .map_err(slug_conflict)?;
        Ok(())
    }

    /// Writes every mutable column of an owner's page.
    #[tracing::instrument(skip_all, fields(microsite_id = %page.id))]
    pub async fn update(&self, page: &Microsite) -> Result<(), MicrositeError> {
        let done = sqlx::query(
            "UPDATE microsite_pages SET slug = $1, draft = $2, published = $3, published_at = $4, \
             updated_at = $5 WHERE id = $6 AND owner_id = $7 AND deleted_at IS NULL",
        )
        .bind(&page.slug)
        .bind(json(&page.draft))
        .bind(page.published.as_ref().map(json))
        .bind(page.published_at)
        .bind(page.updated_at)
        .bind(&page.id)
        .bind(&page.owner_id)
        .execute(self.db.pool())
        .await
        .map_err(slug_conflict)?;
        if done.rows_affected() == 0 {
            return Err(MicrositeError::NotFound);
        }
        Ok(())
    }

    /// The owner's page, or `NotFound` (also when it is someone else's or in the trash).
    pub async fn get(&self, owner_id: &str, id: &str) -> Result<Microsite, MicrositeError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM microsite_pages WHERE id = $1 AND owner_id = $2 \
             AND deleted_at IS NULL"
        );
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(owner_id)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or(MicrositeError::NotFound)?
            .try_into()
    }

    /// The page at `slug`, in the trash or not (see `Microsite::deleted_at`).
    pub async fn by_slug(&self, slug: &str) -> Result<Option<Microsite>, MicrositeError> {
        let sql = format!("SELECT {COLUMNS} FROM microsite_pages WHERE slug = $1");
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(slug)
            .fetch_optional(self.db.pool())
            .await?
            .map(Microsite::try_from)
            .transpose()
    }

    /// An owner's pages, newest first (a beta user has a handful, so no paging yet).
    pub async fn list(&self, owner_id: &str) -> Result<Vec<Microsite>, MicrositeError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM microsite_pages WHERE owner_id = $1 AND deleted_at IS NULL \
             ORDER BY created_at DESC, id DESC LIMIT 500"
        );
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(owner_id)
            .fetch_all(self.db.pool())
            .await?
            .into_iter()
            .map(Microsite::try_from)
            .collect()
    }

    /// Deletes a page in the owner's trash for good and returns its slug.
    pub async fn purge(&self, owner_id: &str, id: &str) -> Result<String, MicrositeError> {
        sqlx::query_scalar::<_, String>(
            "DELETE FROM microsite_pages WHERE id = $1 AND owner_id = $2 \
             AND deleted_at IS NOT NULL RETURNING slug",
        )
        .bind(id)
        .bind(owner_id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or(MicrositeError::NotFound)
    }

    /// Moves the owner's page to the trash at `at` and returns its slug, which stays reserved.
    pub async fn trash(&self, owner_id: &str, id: &str, at: i64) -> Result<String, MicrositeError> {
        sqlx::query_scalar::<_, String>(
            "UPDATE microsite_pages SET deleted_at = $1 WHERE id = $2 AND owner_id = $3 \
             AND deleted_at IS NULL RETURNING slug",
        )
        .bind(at)
        .bind(id)
        .bind(owner_id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or(MicrositeError::NotFound)
    }

    /// Takes the owner's page out of the trash and returns its slug.
    pub async fn restore(&self, owner_id: &str, id: &str) -> Result<String, MicrositeError> {
        sqlx::query_scalar::<_, String>(
            "UPDATE microsite_pages SET deleted_at = NULL WHERE id = $1 AND owner_id = $2 \
             AND deleted_at IS NOT NULL RETURNING slug",
        )
        .bind(id)
        .bind(owner_id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or(MicrositeError::NotFound)
    }

    /// The owner's trash, most recently trashed first.
    pub async fn trashed(&self, owner_id: &str) -> Result<Vec<Microsite>, MicrositeError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM microsite_pages WHERE owner_id = $1 \
             AND deleted_at IS NOT NULL ORDER BY deleted_at DESC, id DESC LIMIT 500"
        );
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(owner_id)
            .fetch_all(self.db.pool())
            .await?
            .into_iter()
            .map(Microsite::try_from)
            .collect()
    }

    /// `(owner_id, id)` of up to `limit` pages trashed before `cutoff`, for the purge job.
    pub async fn trashed_before(
        &self,
        cutoff: i64,
        limit: i64,
    ) -> Result<Vec<(String, String)>, MicrositeError> {
        Ok(sqlx::query_as(
            "SELECT owner_id, id FROM microsite_pages WHERE deleted_at < $1 \
             ORDER BY deleted_at LIMIT $2",
        )
        .bind(cutoff)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?)
    }

    /// Deletes every page of an owner and returns their slugs.
    pub async fn delete_owner(&self, owner_id: &str) -> Result<Vec<String>, MicrositeError> {
        Ok(sqlx::query_scalar::<_, String>(
            "DELETE FROM microsite_pages WHERE owner_id = $1 RETURNING slug",
        )
        .bind(owner_id)
        .fetch_all(self.db.pool())
        .await?)
    }
}
