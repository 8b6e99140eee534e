//! What the redirect needs of a code: the one value resolution produces, cached in memory and
//! in Redis, and read by the rules, moderation and experiments.

use serde::{Deserialize, Serialize};

use crate::rules::{Rules, Utm};

/// What the redirect needs of a code, kept in memory (and in Redis, shared by instances).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub qr_id: String,
    pub owner_id: String,
    pub code: String,
    pub destination: String,
    pub paused: bool,
    pub rules: Rules,
    pub utm: Option<Utm>,
    /// The founder disabled this code (see `moderation`). Absent in entries cached in Redis
    /// before the field existed: those are read as not disabled and expire within minutes.
    #[serde(default)]
    pub disabled: bool,
    /// The owner moved this code to the trash: it answers "removed by its owner" until restored
    /// or purged. Absent in entries cached before the field existed: read as not trashed (a trash
    /// or restore drops the entry anyway, through `qr.changed`).
    #[serde(default)]
    pub trashed: bool,
}
