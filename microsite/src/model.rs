//! A microsite: its draft (what the owner edits) and, once published, a frozen snapshot of it
//! (what visitors see). Editing never changes the snapshot; publishing copies the draft over it.

use serde::{Deserialize, Serialize};

use crate::block::Block;
use crate::theme::{Theme, Tweaks};

pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 500;

/// Everything that shapes the rendered page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Content {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub theme: Theme,
    #[serde(default)]
    pub tweaks: Tweaks,
    /// The page's language (`lang`), a short BCP 47 tag.
    #[serde(default = "default_lang")]
    pub lang: String,
    pub blocks: Vec<Block>,
}

pub fn default_lang() -> String {
    "en".into()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Microsite {
    pub id: String,
    pub owner_id: String,
    pub slug: String,
    pub draft: Content,
    pub published: Option<Content>,
    pub published_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// When the owner moved it to the trash (`None`: not in the trash).
    pub deleted_at: Option<i64>,
}

/// The public URL of a page.
pub fn page_url(base: &str, slug: &str) -> String {
    format!("{}/m/{slug}", base.trim_end_matches('/'))
}
