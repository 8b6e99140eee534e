//! Every SQL statement of the qr service. One text serves SQLite and PostgreSQL (sqlx `Any`,
//! `$n` placeholders); rows decode into private structs and convert to domain types here.

use shared::db::{Db, is_unique_violation, json_text as json};
use sqlx::FromRow;

use crate::error::QrError;
use crate::model::{Kind, QrCode};

#[derive(FromRow)]
struct Row {
    id: String,
    owner_id: String,
    code: String,
    name: String,
    kind: String,
    destination: Option<String>,
    microsite_id: Option<String>,
    content: Option<String>,
    style: String,
    rules: String,
    utm: Option<String>,
    tags: String,
    paused: i64,
    created_at: i64,
    updated_at: i64,
    deleted_at: Option<i64>,
}

const COLUMNS: &str = "id, owner_id, code, name, kind, destination, microsite_id, content, style, \
                       rules, utm, tags, paused, created_at, updated_at, deleted_at";

impl TryFrom<Row> for QrCode {
    type Error = QrError;

    fn try_from(row: Row) -> Result<Self, QrError> {
        let corrupt = |what: &str, e: serde_json::Error| {
            QrError::Database(sqlx::Error::Decode(format!("qr_codes.{what}: {e}").into()))
        };
        Ok(QrCode {
            kind: Kind::parse(&row.kind).unwrap_or_default(),
            content: row
                .content
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| corrupt("content", e))?,
            style: serde_json::from_str(&row.style).map_err(|e| corrupt("style", e))?,
            rules: serde_json::from_str(&row.rules).map_err(|e| corrupt("rules", e))?,
            utm: row
                .utm
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| corrupt("utm", e))?,
            tags: serde_json::from_str(&row.tags).map_err(|e| corrupt("tags", e))?,
            id: row.id,
            owner_id: row.owner_id,
            code: row.code,
            name: row.name,
            destination: row.destination,
            microsite_id: row.microsite_id,
            paused: row.paused != 0,
            created_at: row.created_at,
            updated_at: row.updated_at,
            deleted_at: row.deleted_at,
        })
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// The one INSERT of a code, shared by single and bulk creation.
fn insert_statement(qr: &QrCode) -> AnyQuery<'_> {
    bind_editable(
        sqlx::query(
            "INSERT INTO qr_codes (name, destination, content, style, rules, utm, tags, paused, \
             updated_at, microsite_id, id, owner_id, code, kind, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        ),
        qr,
    )
    .bind(&qr.id)
    .bind(&qr.owner_id)
    .bind(&qr.code)
    .bind(qr.kind.as_str())
    .bind(qr.created_at)
}

/// The columns an edit may change, bound as `$1`–`$10` in this order: the insert and the
/// update share it, so a new column cannot be written by one and forgotten by the other.
fn bind_editable<'q>(query: AnyQuery<'q>, qr: &'q QrCode) -> AnyQuery<'q> {
    query
        .bind(&qr.name)
        .bind(&qr.destination)
        .bind(qr.content.as_ref().map(json))
        .bind(json(&qr.style))
        .bind(json(&qr.rules))
        .bind(qr.utm.as_ref().map(json))
        .bind(json(&qr.tags))
        .bind(i64::from(qr.paused))
        .bind(qr.updated_at)
        .bind(&qr.microsite_id)
}

#[derive(Clone)]
pub struct Store {
    db: Db,
}

/// A page of the list and the cursor for the next one.
pub struct Page {
    pub items: Vec<QrCode>,
    pub next_cursor: Option<String>,
}

pub struct ListQuery<'a> {
    pub owner_id: &'a str,
    pub cursor: Option<(i64, String)>,
    pub limit: u32,
    pub search: Option<&'a str>,
    pub tag: Option<&'a str>,
}

/// The tables that hold rows about one code (`qr_id`), beside the code itself.
const PER_CODE_TABLES: [&str; 2] = ["qr_scan_counts", "qr_disabled_codes"];

impl Store {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Inserts a new code; `Err(CodeTaken)` when its short code exists already.
    #[tracing::instrument(skip_all, fields(qr_id = %qr.id))]
    pub async fn insert(&self, qr: &QrCode) -> Result<(), QrError> {
        let result = insert_statement(qr).execute(self.db.pool()).await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(QrError::CodeTaken),
            Err(e) => Err(e.into()),
        }
    }

    /// Inserts many codes in one transaction: all or none.
    pub async fn insert_all(&self, codes: &[QrCode]) -> Result<(), QrError> {
        let mut tx = self.db.pool().begin().await?;
        for qr in codes {
            let result = insert_statement(qr).execute(&mut *tx).await;
            if let Err(e) = result {
                return Err(if is_unique_violation(&e) {
                    QrError::CodeTaken
                } else {
                    e.into()
                });
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The owner's code, or `NotFound` (also when it belongs to someone else or is in the trash).
    pub async fn get(&self, owner_id: &str, id: &str) -> Result<QrCode, QrError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM qr_codes WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL"
        );
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(owner_id)
            .fetch_optional(self.db.pool())
            .await?;
        row.ok_or(QrError::NotFound)?.try_into()
    }

    /// A code by its short code, for the redirect.
    pub async fn by_code(&self, code: &str) -> Result<Option<QrCode>, QrError> {
        let sql = format!("SELECT {COLUMNS} FROM qr_codes WHERE code = $1");
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(code)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(QrCode::try_from).transpose()
    }

    /// A code by its short code and whether the founder disabled it: what the redirect caches.
    pub async fn target_by_code(&self, code: &str) -> Result<Option<(QrCode, bool)>, QrError> {
        #[derive(FromRow)]
        struct TargetRow {
            #[sqlx(flatten)]
            row: Row,
            disabled: i64,
        }
        let sql = format!(
            "SELECT {COLUMNS}, (SELECT COUNT(*) FROM qr_disabled_codes d WHERE d.qr_id = qr_codes.id) \
             AS disabled FROM qr_codes WHERE code = $1"
        );
        let row: Option<TargetRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(code)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| Ok((QrCode::try_from(r.row)?, r.disabled > 0)))
            .transpose()
    }

    /// A code by its id, whoever owns it (the founder's moderation only).
    pub async fn by_id_any_owner(&self, id: &str) -> Result<Option<QrCode>, QrError> {
        let sql = format!("SELECT {COLUMNS} FROM qr_codes WHERE id = $1");
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(QrCode::try_from).transpose()
    }

    /// The owner's codes, newest first, after `cursor`.
    pub async fn list(&self, q: ListQuery<'_>) -> Result<Page, QrError> {
        let (cursor_at, cursor_id) = q.cursor.clone().unwrap_or((i64::MAX, String::new()));
        let has_cursor = q.cursor.is_some();
        // LIKE patterns: the search text is escaped so `%` and `_` match themselves.
        let pattern = q.search.map(|s| {
            let escaped = s
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        });
        let tag_pattern = q.tag.map(|t| format!("%{}%", json(&t)));
        let sql = format!(
            "SELECT {COLUMNS} FROM qr_codes WHERE owner_id = $1 AND deleted_at IS NULL \
             AND ($2 = 0 OR created_at < $3 OR (created_at = $3 AND id < $4)) \
             AND ($5 IS NULL OR LOWER(name) LIKE $5 ESCAPE '\\' OR LOWER(COALESCE(destination, '')) LIKE $5 ESCAPE '\\') \
             AND ($6 IS NULL OR tags LIKE $6) \
             ORDER BY created_at DESC, id DESC LIMIT $7"
        );
        let limit = q.limit.clamp(1, 100);
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(q.owner_id)
            .bind(i64::from(has_cursor))
            .bind(cursor_at)
            .bind(cursor_id)
            .bind(pattern)
            .bind(tag_pattern)
            .bind(i64::from(limit) + 1)
            .fetch_all(self.db.pool())
            .await?;
        let mut items = rows
            .into_iter()
            .map(QrCode::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items
                .last()
                .map(|last| format!("{}.{}", last.created_at, last.id))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    pub async fn update(&self, qr: &QrCode) -> Result<(), QrError> {
        let done = bind_editable(
            sqlx::query(
                "UPDATE qr_codes SET name = $1, destination = $2, content = $3, style = $4, \
                 rules = $5, utm = $6, tags = $7, paused = $8, updated_at = $9, \
                 microsite_id = $10 WHERE id = $11 AND owner_id = $12 AND deleted_at IS NULL",
            ),
            qr,
        )
        .bind(&qr.id)
        .bind(&qr.owner_id)
        .execute(self.db.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(QrError::NotFound);
        }
        Ok(())
    }

    /// The owner's newest codes, at most `limit`.
    pub async fn newest(&self, owner_id: &str, limit: usize) -> Result<Vec<QrCode>, QrError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM qr_codes WHERE owner_id = $1 AND deleted_at IS NULL \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(owner_id)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(self.db.pool())
            .await?;
        rows.into_iter().map(QrCode::try_from).collect()
    }

    /// The owner's codes with these ids (any order); ids that are not theirs are simply absent.
    pub async fn get_many(&self, owner_id: &str, ids: &[String]) -> Result<Vec<QrCode>, QrError> {
        let mut out = Vec::with_capacity(ids.len());
        // One indexed lookup per id: the export is capped, and this needs no dynamic IN list.
        for id in ids {
            match self.get(owner_id, id).await {
                Ok(qr) => out.push(qr),
                Err(QrError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Deletes the owner's code from the trash for good (with its scan count and moderation
    /// record) and returns its short code (to invalidate caches). A code must be trashed first.
    pub async fn purge(&self, owner_id: &str, id: &str) -> Result<String, QrError> {
        let code: Option<String> = sqlx::query_scalar(
            "DELETE FROM qr_codes WHERE id = $1 AND owner_id = $2 AND deleted_at IS NOT NULL \
             RETURNING code",
        )
        .bind(id)
        .bind(owner_id)
        .fetch_optional(self.db.pool())
        .await?;
        // Only a code that was the owner's takes its per-code rows with it.
        let code = code.ok_or(QrError::NotFound)?;
        shared::db::delete_from_each(
            &mut *self.db.pool().acquire().await?,
            &PER_CODE_TABLES,
            "qr_id = $1",
            id,
        )
        .await?;
        Ok(code)
    }

    /// Moves the owner's code to the trash at `at` and returns its short code. The row, its scan
    /// count and its short code stay; every owner query but the trash's skips it.
    pub async fn trash(&self, owner_id: &str, id: &str, at: i64) -> Result<String, QrError> {
        let code: Option<String> = sqlx::query_scalar(
            "UPDATE qr_codes SET deleted_at = $1 WHERE id = $2 AND owner_id = $3 \
             AND deleted_at IS NULL RETURNING code",
        )
        .bind(at)
        .bind(id)
        .bind(owner_id)
        .fetch_optional(self.db.pool())
        .await?;
        code.ok_or(QrError::NotFound)
    }

    /// Takes the owner's code out of the trash and returns its short code.
    pub async fn restore(&self, owner_id: &str, id: &str) -> Result<String, QrError> {
        let code: Option<String> = sqlx::query_scalar(
            "UPDATE qr_codes SET deleted_at = NULL WHERE id = $1 AND owner_id = $2 \
             AND deleted_at IS NOT NULL RETURNING code",
        )
        .bind(id)
        .bind(owner_id)
        .fetch_optional(self.db.pool())
        .await?;
        code.ok_or(QrError::NotFound)
    }

    /// The owner's trash, most recently trashed first.
    pub async fn trashed(&self, owner_id: &str) -> Result<Vec<QrCode>, QrError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM qr_codes WHERE owner_id = $1 AND deleted_at IS NOT NULL \
             ORDER BY deleted_at DESC, id DESC LIMIT 500"
        );
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(owner_id)
            .fetch_all(self.db.pool())
            .await?;
        rows.into_iter().map(QrCode::try_from).collect()
    }

    /// `(owner_id, id)` of up to `limit` codes trashed before `cutoff`, for the purge job.
    pub async fn trashed_before(
        &self,
        cutoff: i64,
        limit: i64,
    ) -> Result<Vec<(String, String)>, QrError> {
        Ok(sqlx::query_as(
            "SELECT owner_id, id FROM qr_codes WHERE deleted_at < $1 ORDER BY deleted_at LIMIT $2",
        )
        .bind(cutoff)
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?)
    }

    /// Removes everything a user owns; returns their short codes (to invalidate caches).
    pub async fn delete_owner(&self, owner_id: &str) -> Result<Vec<String>, QrError> {
        let mut tx = self.db.pool().begin().await?;
        shared::db::delete_from_each(
            &mut tx,
            &PER_CODE_TABLES,
            "qr_id IN (SELECT id FROM qr_codes WHERE owner_id = $1)",
            owner_id,
        )
        .await?;
        let codes: Vec<String> =
            sqlx::query_scalar("DELETE FROM qr_codes WHERE owner_id = $1 RETURNING code")
                .bind(owner_id)
                .fetch_all(&mut *tx)
                .await?;
        sqlx::query("DELETE FROM qr_styles WHERE owner_id = $1")
            .bind(owner_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(codes)
    }

    pub async fn human_scans(&self, qr_id: &str) -> Result<u64, QrError> {
        let count: Option<i64> =
            sqlx::query_scalar("SELECT human_scans FROM qr_scan_counts WHERE qr_id = $1")
                .bind(qr_id)
                .fetch_optional(self.db.pool())
                .await?;
        Ok(count.unwrap_or(0).max(0) as u64)
    }

    /// Adds counted human scans, many codes in one transaction.
    pub async fn add_human_scans(&self, counts: &[(String, u64)]) -> Result<(), QrError> {
        let mut tx = self.db.pool().begin().await?;
        for (qr_id, n) in counts {
            sqlx::query(
                "INSERT INTO qr_scan_counts (qr_id, human_scans) VALUES ($1, $2) \
                 ON CONFLICT (qr_id) DO UPDATE SET human_scans = qr_scan_counts.human_scans + $2",
            )
            .bind(qr_id)
            .bind(i64::try_from(*n).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn save_style(
        &self,
        id: &str,
        owner_id: &str,
        name: &str,
        style: &str,
        at: i64,
    ) -> Result<(), QrError> {
        sqlx::query("INSERT INTO qr_styles (id, owner_id, name, style, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(owner_id)
            .bind(name)
            .bind(style)
            .bind(at)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    pub async fn styles(
        &self,
        owner_id: &str,
    ) -> Result<Vec<(String, String, String, i64)>, QrError> {
        Ok(sqlx::query_as(
            "SELECT id, name, style, created_at FROM qr_styles WHERE owner_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(owner_id)
        .fetch_all(self.db.pool())
        .await?)
    }

    pub async fn delete_style(&self, owner_id: &str, id: &str) -> Result<(), QrError> {
        let done = sqlx::query("DELETE FROM qr_styles WHERE id = $1 AND owner_id = $2")
            .bind(id)
            .bind(owner_id)
            .execute(self.db.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(QrError::NotFound);
        }
        Ok(())
    }
}

/// A domain the founder blocked from the console.
#[derive(
    Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct BlockedDomain {
    pub domain: String,
    pub reason: String,
    pub created_at: i64,
}

/// The founder's moderation: disabled codes, disabled owners, blocked domains.
impl Store {
    /// Why and when the founder disabled this code, if they did.
    pub async fn code_disabled(&self, qr_id: &str) -> Result<Option<(String, i64)>, QrError> {
        Ok(
            sqlx::query_as("SELECT reason, disabled_at FROM qr_disabled_codes WHERE qr_id = $1")
                .bind(qr_id)
                .fetch_optional(self.db.pool())
                .await?,
        )
    }

    pub async fn disable_code(&self, qr_id: &str, reason: &str, at: i64) -> Result<(), QrError> {
        sqlx::query(
            "INSERT INTO qr_disabled_codes (qr_id, reason, disabled_at) VALUES ($1, $2, $3) \
             ON CONFLICT (qr_id) DO UPDATE SET reason = excluded.reason",
        )
        .bind(qr_id)
        .bind(reason)
        .bind(at)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub async fn enable_code(&self, qr_id: &str) -> Result<(), QrError> {
        sqlx::query("DELETE FROM qr_disabled_codes WHERE qr_id = $1")
            .bind(qr_id)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Records an owner as disabled (idempotent: a redelivered event changes nothing) or not.
    pub async fn set_owner_disabled(
        &self,
        owner_id: &str,
        disabled: bool,
        at: i64,
    ) -> Result<(), QrError> {
        let query = if disabled {
            sqlx::query(
                "INSERT INTO qr_disabled_owners (owner_id, disabled_at) VALUES ($1, $2) \
                 ON CONFLICT (owner_id) DO NOTHING",
            )
            .bind(owner_id)
            .bind(at)
        } else {
            sqlx::query("DELETE FROM qr_disabled_owners WHERE owner_id = $1").bind(owner_id)
        };
        query.execute(self.db.pool()).await?;
        Ok(())
    }

    pub async fn disabled_owners(&self) -> Result<Vec<String>, QrError> {
        Ok(
            sqlx::query_scalar("SELECT owner_id FROM qr_disabled_owners")
                .fetch_all(self.db.pool())
                .await?,
        )
    }

    /// The founder's blocked domains, alphabetically.
    pub async fn blocked_domains(&self) -> Result<Vec<BlockedDomain>, QrError> {
        Ok(sqlx::query_as(
            "SELECT domain, reason, created_at FROM qr_blocked_domains ORDER BY domain",
        )
        .fetch_all(self.db.pool())
        .await?)
    }

    /// Adds a blocked domain; false when it was on the list already.
    pub async fn block_domain(&self, domain: &str, reason: &str, at: i64) -> Result<bool, QrError> {
        let done = sqlx::query(
            "INSERT INTO qr_blocked_domains (domain, reason, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (domain) DO NOTHING",
        )
        .bind(domain)
        .bind(reason)
        .bind(at)
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes a blocked domain; false when it was not on the list.
    pub async fn unblock_domain(&self, domain: &str) -> Result<bool, QrError> {
        let done = sqlx::query("DELETE FROM qr_blocked_domains WHERE domain = $1")
            .bind(domain)
            .execute(self.db.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
