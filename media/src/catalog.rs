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
}
