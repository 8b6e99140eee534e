//! Who uploaded what: the `media_items` table in the qr service's database. The image store
//! knows bytes by hash; this knows owners, so that a QR style may only use its owner's logos.

use shared::db::Db;

use crate::error::MediaError;
use crate::id::MediaId;

#[derive(Clone, Debug)]
pub struct Catalog {
    db: Db,
}

/// One upload as recorded.
pub struct Item<'a> {
    pub id: &'a MediaId,
    pub owner_id: &'a str,
    pub width: u32,
    pub height: u32,
    pub bytes: usize,
    pub created_at: i64,
}

impl Catalog {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Records an upload; uploading the same image again changes nothing.
    #[tracing::instrument(skip_all)]
    pub async fn record(&self, item: Item<'_>) -> Result<(), MediaError> {
        sqlx::query(
            "INSERT INTO media_items (id, owner_id, width, height, bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (owner_id, id) DO NOTHING",
        )
        .bind(item.id.as_str())
        .bind(item.owner_id)
        .bind(i64::from(item.width))
        .bind(i64::from(item.height))
        .bind(i64::try_from(item.bytes).unwrap_or(i64::MAX))
        .bind(item.created_at)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Whether `owner_id` uploaded the image `id`.
    #[tracing::instrument(skip_all)]
    pub async fn owns(&self, owner_id: &str, id: &MediaId) -> Result<bool, MediaError> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT bytes FROM media_items WHERE owner_id = $1 AND id = $2")
                .bind(owner_id)
                .bind(id.as_str())
                .fetch_optional(self.db.pool())
                .await?;
        Ok(row.is_some())
    }

    /// How many bytes of images `owner_id` has stored (what the quota counts).
    #[tracing::instrument(skip_all)]
    pub async fn used_bytes(&self, owner_id: &str) -> Result<u64, MediaError> {
        // PostgreSQL's SUM of a BIGINT is NUMERIC, which the Any driver cannot decode: cast back.
        let (used,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM media_items WHERE owner_id = $1",
        )
        .bind(owner_id)
        .fetch_one(self.db.pool())
        .await?;
        Ok(u64::try_from(used).unwrap_or(0))
    }

    /// Everything `owner_id` uploaded, oldest first.
    #[tracing::instrument(skip_all)]
    pub async fn list(&self, owner_id: &str) -> Result<Vec<Listed>, MediaError> {
        let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT id, width, height, bytes, created_at FROM media_items \
             WHERE owner_id = $1 ORDER BY created_at, id",
        )
        .bind(owner_id)
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, width, height, bytes, created_at)| Listed {
                id,
                width,
                height,
                bytes,
                created_at,
            })
            .collect())
    }

    /// Forgets every upload of `owner_id` (their account was deleted); answers how many. The
    /// files stay: they are named by content, and another user may have uploaded the same one.
    #[tracing::instrument(skip_all)]
    pub async fn delete_owner(&self, owner_id: &str) -> Result<u64, MediaError> {
        let done = sqlx::query("DELETE FROM media_items WHERE owner_id = $1")
            .bind(owner_id)
            .execute(self.db.pool())
            .await?;
        Ok(done.rows_affected())
    }
}

/// One upload as listed.
pub struct Listed {
    pub id: String,
    pub width: i64,
    pub height: i64,
    pub bytes: i64,
    pub created_at: i64,
}
