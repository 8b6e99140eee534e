//! The microsite service's wire: what its API routes take and answer, in one place. The routes
//! (`crate::api`) and [`MicrositeClient`](crate::client::MicrositeClient) both use these types,
//! so the two cannot drift apart.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::block::Block;
use crate::model::{Microsite, page_url};
pub use crate::service::Changes;
use crate::theme::{Theme, Tweaks};

/// A page as the API shows it: the draft's fields, and whether a snapshot is live.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MicrositeView {
    pub id: String,
    pub slug: String,
    pub url: String,
    pub title: String,
    pub description: Option<String>,
    pub theme: Theme,
    pub tweaks: Tweaks,
    pub lang: String,
    pub blocks: Vec<Block>,
    pub published: bool,
    /// The draft differs from what visitors see.
    pub has_unpublished_changes: bool,
    pub published_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// In the trash since (absent when not in the trash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
    /// When the trash deletes it for good (absent when not in the trash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<i64>,
    /// Blocks of the draft that still hold a template's example values (someone else's handle,
    /// an `example.com` link). Publishing goes ahead — the builder asks first, an API caller is
    /// told here — but they are almost certainly not the owner's. Absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placeholders: Vec<PlaceholderView>,
}

/// A block still holding a template's example values (see [`crate::starters::placeholders`]).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlaceholderView {
    pub block_id: String,
    /// The block's `type`.
    pub kind: String,
    /// The example values still in it.
    pub values: Vec<String>,
}

impl MicrositeView {
    pub(crate) fn of(page: Microsite, base: &str) -> Self {
        let has_unpublished_changes = page.published.as_ref() != Some(&page.draft);
        let placeholders = crate::starters::placeholders(&page.draft.blocks)
            .into_iter()
            .map(|p| PlaceholderView {
                block_id: p.block_id,
                kind: p.kind.to_owned(),
                values: p.values,
            })
            .collect();
        MicrositeView {
            placeholders,
            url: page_url(base, &page.slug),
            published: page.published.is_some(),
            has_unpublished_changes,
            id: page.id,
            slug: page.slug,
            title: page.draft.title,
            description: page.draft.description,
            theme: page.draft.theme,
            tweaks: page.draft.tweaks,
            lang: page.draft.lang,
            blocks: page.draft.blocks,
            published_at: page.published_at,
            created_at: page.created_at,
            updated_at: page.updated_at,
            deleted_at: page.deleted_at,
            purge_at: page.deleted_at.map(shared::trash::purge_at),
        }
    }
}

/// A new page from a starting template (`POST /api/v1/microsites/from-template`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FromTemplate {
    pub template: String,
    pub slug: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[schema(as = MicrositeList)]
pub struct ListView {
    pub items: Vec<MicrositeView>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ThemeView {
    pub name: Theme,
    pub dark: bool,
}

/// Which page the founder means: its slug (`GET /api/v1/microsites/admin/lookup?slug=`, and the
/// body of `POST /api/v1/microsites/admin/unpublish`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageRef {
    pub slug: String,
}

/// A page as the founder's moderation sees it: whose it is and whether visitors can see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PageLookup {
    pub id: String,
    pub slug: String,
    pub url: String,
    pub owner_id: String,
    /// The draft's title (what the owner calls it).
    pub title: String,
    /// Visitors see it at `url`.
    pub published: bool,
    /// In the owner's trash (visitors see "removed by its owner").
    pub trashed: bool,
}

impl PageLookup {
    pub(crate) fn of(page: Microsite, base: &str) -> Self {
        PageLookup {
            url: page_url(base, &page.slug),
            published: page.published.is_some(),
            trashed: page.deleted_at.is_some(),
            id: page.id,
            slug: page.slug,
            owner_id: page.owner_id,
            title: page.draft.title,
        }
    }
}
