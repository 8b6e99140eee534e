//! qr's typed contract: the requests its routes take, the answers they give and the events it
//! publishes and consumes. Its routes (`api`, `bulk`, `admin`) and its client (`client`) both
//! use these types, so the two sides cannot drift; the old paths (`api::QrView`, …) re-export
//! them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::model::{Content, Kind, QrCode, short_url};
use crate::rules::{Rules, Utm};
use crate::store::BlockedDomain;
use crate::style::Style;

// ---- Codes: `/api/v1/qr` ----

/// The fields a create or an edit may set.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = QrChanges)]
pub struct Changes {
    pub name: Option<String>,
    pub destination: Option<String>,
    pub kind: Option<Kind>,
    /// `microsite` codes: the id of one of the caller's microsites.
    pub microsite_id: Option<String>,
    pub content: Option<Content>,
    pub code: Option<String>,
    pub style: Option<Style>,
    pub rules: Option<Rules>,
    pub utm: Option<Utm>,
    pub tags: Option<Vec<String>>,
    pub paused: Option<bool>,
}

/// A code as the API shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QrView {
    pub id: String,
    pub code: String,
    /// The URL the symbol encodes (dynamic codes only).
    pub short_url: Option<String>,
    pub name: String,
    pub kind: Kind,
    pub destination: Option<String>,
    /// `microsite` codes: the microsite they point at.
    #[serde(default)]
    pub microsite_id: Option<String>,
    pub content: Option<Content>,
    pub style: Style,
    /// The rules, without the password's hash (see `password_protected`).
    pub rules: Rules,
    /// Scanners must type a password first.
    #[serde(default)]
    pub password_protected: bool,
    pub utm: Option<Utm>,
    pub tags: Vec<String>,
    pub paused: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// In the trash since (absent when not in the trash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
    /// When the trash deletes it for good (absent when not in the trash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<i64>,
}

impl QrView {
    pub fn of(mut qr: QrCode, base: &str) -> Self {
        let password_protected = qr.rules.password_hash.take().is_some();
        QrView {
            password_protected,
            microsite_id: qr.microsite_id,
            short_url: qr.kind.is_dynamic().then(|| short_url(base, &qr.code)),
            id: qr.id,
            code: qr.code,
            name: qr.name,
            kind: qr.kind,
            destination: qr.destination,
            content: qr.content,
            style: qr.style,
            rules: qr.rules,
            utm: qr.utm,
            tags: qr.tags,
            paused: qr.paused,
            created_at: qr.created_at,
            updated_at: qr.updated_at,
            deleted_at: qr.deleted_at,
            purge_at: qr.deleted_at.map(shared::trash::purge_at),
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
#[schema(as = QrList)]
pub struct ListView {
    pub items: Vec<QrView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    #[serde(default)]
    pub style: Style,
    /// What to encode; defaults to a sample short URL of the right length.
    pub content: Option<String>,
}

// ---- Saved styles: `/api/v1/qr/styles` ----

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStyle {
    pub name: String,
    pub style: Style,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct StyleView {
    pub id: String,
    pub name: String,
    pub style: Style,
    pub created_at: i64,
}

// ---- Bulk creation: `/api/v1/qr/bulk` ----

/// One problem with one row. `row` is the line in the file (the header is line 1), as a
/// spreadsheet numbers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RowError {
    pub row: u64,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BulkCreated {
    pub created: usize,
    pub items: Vec<QrView>,
}

// ---- The founder's moderation: `/api/v1/qr/admin/*` ----

/// A code as the founder's console shows it: whose it is, where it goes, whether it is disabled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CodeLookup {
    pub id: String,
    pub code: String,
    pub owner_id: String,
    pub name: String,
    pub kind: Kind,
    pub destination: Option<String>,
    pub paused: bool,
    /// The founder disabled this code.
    pub disabled: bool,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<i64>,
    /// The owner's account is disabled (so the code shows the disabled page too).
    pub owner_disabled: bool,
}

/// Which code the founder means: its short code or its id.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct CodeRef {
    pub code: Option<String>,
    pub id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableBody {
    pub code: Option<String>,
    pub id: Option<String>,
    #[serde(default)]
    pub reason: String,
}

/// The blocklist as the console shows it: the founder's domains, and how many the file adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BlocklistView {
    pub domains: Vec<BlockedDomain>,
    pub file_domains: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockBody {
    pub domain: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Blocked {
    pub domain: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnblockBody {
    pub domain: String,
}

// ---- Events ----
//
// qr's events are declared with their topics in `shared::events` (both sides of the bus compile
// against one definition); re-exported here so qr's contract is read in one place.

/// `qr.changed`: a code was edited, deleted or moderated; every instance (this one too) drops it
/// from its caches. `qr.blocklist_changed`: the founder changed the blocked domains; every
/// instance reloads them.
pub use shared::events::{QR_BLOCKLIST_CHANGED, QR_CHANGED, QrBlocklistChanged, QrChanged};
/// Published on `qr.created` for the founder's product metrics.
pub use shared::events::{QR_CREATED, QrCreated};
/// Published on `qr.scanned` by the redirect; analytics consumes it.
pub use shared::events::{QR_SCANNED, QrScanned};
/// Consumed: a deleted account's codes go; a disabled one's codes show the disabled page.
pub use shared::events::{USER_DELETED, USER_DISABLED, USER_ENABLED};
