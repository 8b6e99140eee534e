//! The microsite domain: creating, editing, publishing and deleting pages with every input
//! validated, and the published pages visitors see, rendered once per publish and kept in
//! memory. Knows nothing of HTTP.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use shared::bus::EventBus;
use shared::events::{
    MICROSITE_CHANGED, MICROSITE_PUBLISHED, MicrositeChanged, MicrositePublished, NAMES_CHANGED,
    Named, NamesChanged,
};
use shared::ids::{new_id, now_ms};

use crate::block::{self, Block, BlockKind};
use crate::error::MicrositeError;
use crate::model::{Content, MAX_DESCRIPTION, MAX_TITLE, Microsite, default_lang};
use crate::page::{self, Mode, Rendered};
use crate::qr_directory::{QrCheckError, QrDirectory};
use crate::slug::Slug;
use crate::starters;
use crate::theme::{Theme, Tweaks};

/// The fields a create or an edit may set (also what `MicrositeClient` sends).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MicrositeChanges)]
pub struct Changes {
    pub slug: Option<String>,
    pub title: Option<String>,
    /// An empty string removes the description.
    pub description: Option<String>,
    pub theme: Option<Theme>,
    pub tweaks: Option<Tweaks>,
    pub lang: Option<String>,
    /// Replaces every block.
    #[schema(value_type = Option<Vec<crate::block::Block>>)]
    pub blocks: Option<Vec<serde_json::Value>>,
    /// Reorders the existing blocks: every block id, once, in the new order.
    pub order: Option<Vec<String>>,
}

/// What the public routes need of a published page, kept in memory.
#[derive(Debug)]
pub struct Published {
    pub microsite_id: String,
    pub owner_id: String,
    pub slug: String,
    pub page: Rendered,
    /// Block id → its outbound links in page order ([`page::outbound`]), for the tracked hop.
    pub links: HashMap<String, Vec<String>>,
}

/// What a public request finds at a slug, kept in memory.
#[derive(Debug, Clone)]
pub enum AtSlug {
    /// No page, or one never published.
    Nothing,
    /// A page its owner moved to the trash: "removed by its owner" (410) until restored.
    Trashed {
        owner_id: String,
    },
    Page(Arc<Published>),
}

/// Who is editing: the owner, and the credential they presented (forwarded to the qr service
/// when a QR block has to be checked, so qr applies its own ownership rules).
#[derive(Debug, Clone, Copy)]
pub struct Editor<'a> {
    pub owner_id: &'a str,
    pub credential: &'a str,
}

pub struct MicrositeService {
    pub(crate) store: crate::store::Store,
    bus: EventBus,
    qr: Arc<dyn QrDirectory>,
    public_base_url: Arc<str>,
    /// slug → what is there (`AtSlug::Nothing` caches "nothing published here" briefly).
    pages: moka::sync::Cache<String, AtSlug>,
}

impl MicrositeService {
    pub fn new(
        store: crate::store::Store,
        bus: EventBus,
        public_base_url: Arc<str>,
        qr: Arc<dyn QrDirectory>,
    ) -> Self {
        Self {
            store,
            bus,
            qr,
            public_base_url,
            pages: moka::sync::Cache::builder()
                .max_capacity(20_000)
                .time_to_live(Duration::from_mins(5))
                .build(),
        }
    }

    pub fn bus(&self) -> &EventBus {
        &self.bus
    }

    pub fn public_base_url(&self) -> &str {
        &self.public_base_url
    }

    pub async fn create(
        &self,
        editor: Editor<'_>,
        changes: Changes,
    ) -> Result<Microsite, MicrositeError> {
        let slug = Slug::parse(changes.slug.as_deref().unwrap_or_default())?;
        let title = changes
            .title
            .clone()
            .ok_or_else(|| MicrositeError::invalid("title", "a page needs a title"))?;
        let draft = Content {
            title,
            description: None,
            theme: Theme::default(),
            tweaks: Tweaks::default(),
            lang: default_lang(),
            blocks: Vec::new(),
        };
        self.insert_new(editor, slug, draft, changes).await
    }

    pub async fn from_template(
        &self,
        editor: Editor<'_>,
        template: &str,
        slug: &str,
    ) -> Result<Microsite, MicrositeError> {
        let draft = starters::starter(template).ok_or_else(|| {
            MicrositeError::invalid(
                "template",
                format!("choose one of: {}", starters::NAMES.join(", ")),
            )
        })?;
        self.insert_new(editor, Slug::parse(slug)?, draft, Changes::default())
            .await
    }

    async fn insert_new(
        &self,
        editor: Editor<'_>,
        slug: Slug,
        draft: Content,
        changes: Changes,
    ) -> Result<Microsite, MicrositeError> {
        let now = now_ms();
        let mut page = Microsite {
            id: new_id(),
            owner_id: editor.owner_id.to_owned(),
            slug: slug.to_string(),
            draft,
            published: None,
            published_at: None,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        };
        apply(
            &mut page.draft,
            Changes {
                slug: None,
                ..changes
            },
        )?;
        self.check_qr_blocks(editor, &mut page.draft.blocks, &[])
            .await?;
        self.store.insert(&page).await?;
        // A "nothing here" answer may be cached for this slug.
        self.forget(&page.slug);
        self.announce_names(&page, false);
        Ok(page)
    }

    pub async fn get(&self, owner_id: &str, id: &str) -> Result<Microsite, MicrositeError> {
        self.store.get(owner_id, id).await
    }

    pub async fn list(&self, owner_id: &str) -> Result<Vec<Microsite>, MicrositeError> {
        self.store.list(owner_id).await
    }

    /// Edits the draft (and the slug, which moves the published page too).
    pub async fn update(
        &self,
        editor: Editor<'_>,
        id: &str,
        mut changes: Changes,
    ) -> Result<Microsite, MicrositeError> {
        let mut page = self.store.get(editor.owner_id, id).await?;
        let old_slug = page.slug.clone();
        if let Some(slug) = changes.slug.take() {
            page.slug = Slug::parse(&slug)?.to_string();
        }
        let replaces_blocks = changes.blocks.is_some();
        let before = page.draft.blocks.clone();
        apply(&mut page.draft, changes)?;
        if replaces_blocks {
            self.check_qr_blocks(editor, &mut page.draft.blocks, &before)
                .await?;
        }
        page.updated_at = now_ms();
        self.store.update(&page).await?;
        if page.slug != old_slug {
            self.forget(&old_slug);
            self.forget(&page.slug);
        }
        self.announce_names(&page, false);
        Ok(page)
    }

    pub async fn publish(&self, owner_id: &str, id: &str) -> Result<Microsite, MicrositeError> {
        let mut page = self.store.get(owner_id, id).await?;
        let now = now_ms();
        page.published = Some(page.draft.clone());
        page.published_at = Some(now);
        page.updated_at = now;
        self.store.update(&page).await?;
        self.forget(&page.slug);
        let published = MicrositePublished {
            microsite_id: page.id.clone(),
            owner_id: page.owner_id.clone(),
        };
        if let Err(err) = self.bus.emit(MICROSITE_PUBLISHED, published) {
            tracing::warn!(%err, "could not announce a publication");
        }
        self.announce_names(&page, false);
        Ok(page)
    }

    pub async fn unpublish(&self, owner_id: &str, id: &str) -> Result<Microsite, MicrositeError> {
        let mut page = self.store.get(owner_id, id).await?;
        page.published = None;
        page.published_at = None;
        page.updated_at = now_ms();
        self.store.update(&page).await?;
        self.forget(&page.slug);
        Ok(page)
    }

    /// The page at `slug`, whoever owns it (the founder's moderation; see `crate::admin`).
    pub async fn admin_lookup(&self, slug: &Slug) -> Result<Microsite, MicrositeError> {
        self.store
            .by_slug(slug.as_str())
            .await?
            .ok_or(MicrositeError::NotFound)
    }

    /// Unpublishes the page at `slug` for the founder, as its owner's unpublish would.
    pub async fn admin_unpublish(&self, slug: &Slug) -> Result<Microsite, MicrositeError> {
        let page = self.admin_lookup(slug).await?;
        self.unpublish(&page.owner_id, &page.id).await
    }

    /// `names.changed` with the page's title and its links' labels (published and draft, the
    /// draft's newer label winning), so analytics names the page and its clicks; `gone` forgets
    /// them. A full bus leaves analytics with ids until the next save.
    fn announce_names(&self, page: &Microsite, gone: bool) {
        let changed = NamesChanged {
            owner_id: page.owner_id.clone(),
            names: page_names(page, gone),
        };
        if let Err(err) = self.bus.emit(NAMES_CHANGED, changed) {
            tracing::warn!(%err, "could not announce a page's names");
        }
    }

    pub async fn delete_owner(&self, owner_id: &str) -> Result<usize, MicrositeError> {
        let slugs = self.store.delete_owner(owner_id).await?;
        for slug in &slugs {
            self.forget(slug);
        }
        Ok(slugs.len())
    }

    /// What is at `slug` for visitors: the published page (rendered once and then served from
    /// memory), a trashed page, or nothing.
    pub async fn published(&self, slug: &Slug) -> Result<AtSlug, MicrositeError> {
        if let Some(hit) = self.pages.get(slug.as_str()) {
            return Ok(hit);
        }
        let found = match self.store.by_slug(slug.as_str()).await? {
            Some(page) if page.deleted_at.is_some() => AtSlug::Trashed {
                owner_id: page.owner_id,
            },
            Some(page) => match &page.published {
                Some(content) => AtSlug::Page(Arc::new(Published {
                    links: page::outbound(content),
                    page: page::render(content, &page.slug, &self.public_base_url, Mode::Public),
                    microsite_id: page.id,
                    owner_id: page.owner_id,
                    slug: page.slug,
                })),
                None => AtSlug::Nothing,
            },
            None => AtSlug::Nothing,
        };
        self.pages.insert(slug.to_string(), found.clone());
        Ok(found)
    }

    /// The owner's draft at `slug`, rendered fresh (never cached: it changes while they edit).
    pub async fn preview(&self, owner_id: &str, slug: &Slug) -> Result<Rendered, MicrositeError> {
        match self.store.by_slug(slug.as_str()).await? {
            Some(page) if page.owner_id == owner_id && page.deleted_at.is_none() => {
                Ok(page::render(
                    &page.draft,
                    &page.slug,
                    &self.public_base_url,
                    Mode::Preview,
                ))
            }
            _ => Err(MicrositeError::NotFound),
        }
    }

    /// Every QR block must name one of the editor's own QR codes; its short code is taken from the
    /// qr service (the source of truth), never from the request. A block whose QR code was already
    /// on the page (checked when it was added) is not asked about again, so editing the rest of a
    /// page keeps working while qr is briefly down.
    async fn check_qr_blocks(
        &self,
        editor: Editor<'_>,
        blocks: &mut [Block],
        before: &[Block],
    ) -> Result<(), MicrositeError> {
        let known: HashMap<&str, (&str, Option<&String>)> = before
            .iter()
            .filter_map(|b| match &b.kind {
                BlockKind::Qr(q) => Some((q.qr_id.as_str(), (q.code.as_str(), q.svg.as_ref()))),
                _ => None,
            })
            .collect();
        for (i, block) in blocks.iter_mut().enumerate() {
            let BlockKind::Qr(qr) = &mut block.kind else {
                continue;
            };
            // The picture is redrawn on every save (the code's style may have changed since);
            // when qr cannot draw it, the last good one stays, and a request's own is never used.
            let styled = self
                .qr
                .styled_svg(editor.owner_id, editor.credential, &qr.qr_id)
                .await;
            if let Some((code, svg)) = known.get(qr.qr_id.as_str()) {
                qr.code = (*code).to_owned();
                qr.svg = styled.or_else(|| svg.cloned());
                continue;
            }
            qr.svg = styled;
            let field = format!("blocks[{i}].qr_id");
            match self
                .qr
                .code_of(editor.owner_id, editor.credential, &qr.qr_id)
                .await
            {
                Ok(Some(code)) => qr.code = code,
                Ok(None) => {
                    return Err(MicrositeError::invalid(
                        field,
                        "choose one of your own QR codes",
                    ));
                }
                Err(QrCheckError::Forbidden(message)) => {
                    return Err(MicrositeError::invalid(
                        field,
                        format!("this QR code cannot be checked with your credential: {message}"),
                    ));
                }
                Err(QrCheckError::Unavailable(detail)) => {
                    return Err(MicrositeError::QrUnavailable(detail));
                }
            }
        }
        Ok(())
    }

    /// Drops a slug from this instance's cache and tells the other instances to do the same.
    pub(crate) fn forget(&self, slug: &str) {
        self.invalidate_local(slug);
        let changed = MicrositeChanged {
            slug: slug.to_owned(),
        };
        if let Err(err) = self.bus.emit(MICROSITE_CHANGED, changed) {
            tracing::warn!(%err, "could not announce a page change; other instances catch up within 5 minutes");
        }
    }

    pub fn invalidate_local(&self, slug: &str) {
        self.pages.invalidate(slug);
    }
}

/// Validates and applies changes to a draft.
fn apply(draft: &mut Content, changes: Changes) -> Result<(), MicrositeError> {
    if let Some(title) = changes.title {
        let title = title.trim();
        if title.is_empty() || title.chars().count() > MAX_TITLE {
            return Err(MicrositeError::invalid(
                "title",
                format!("a title has 1 to {MAX_TITLE} characters"),
            ));
        }
        draft.title = title.to_owned();
    }
    if let Some(description) = changes.description {
        if description.chars().count() > MAX_DESCRIPTION {
            return Err(MicrositeError::invalid(
                "description",
                format!("at most {MAX_DESCRIPTION} characters"),
            ));
        }
        let description = description.trim();
        draft.description = (!description.is_empty()).then(|| description.to_owned());
    }
    if let Some(theme) = changes.theme {
        draft.theme = theme;
    }
    if let Some(mut tweaks) = changes.tweaks {
        tweaks.validate()?;
        draft.tweaks = tweaks;
    }
    if let Some(lang) = changes.lang {
        let ok = (2..=12).contains(&lang.len())
            && lang.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && lang.as_bytes()[0].is_ascii_alphabetic();
        if !ok {
            return Err(MicrositeError::invalid(
                "lang",
                "a language tag such as en or pt-BR",
            ));
        }
        draft.lang = lang;
    }
    match (changes.blocks, changes.order) {
        (Some(_), Some(_)) => {
            return Err(MicrositeError::invalid(
                "order",
                "send either new blocks or a new order, not both",
            ));
        }
        (Some(values), None) => {
            let mut blocks = block::from_json(values)?;
            block::validate_all(&mut blocks)?;
            draft.blocks = blocks;
        }
        (None, Some(order)) => reorder(&mut draft.blocks, &order)?,
        (None, None) => {}
    }
    Ok(())
}

fn reorder(blocks: &mut Vec<Block>, order: &[String]) -> Result<(), MicrositeError> {
    let wrong = || MicrositeError::invalid("order", "list every block id exactly once");
    if order.len() != blocks.len() {
        return Err(wrong());
    }
    let mut by_id: HashMap<String, Block> =
        blocks.drain(..).map(|b| (b.id().to_owned(), b)).collect();
    let mut sorted = Vec::with_capacity(order.len());
    for id in order {
        sorted.push(by_id.remove(id).ok_or_else(wrong)?);
    }
    *blocks = sorted;
    Ok(())
}

/// The page's title and its link blocks' labels as `names.changed` entries (`gone`: tombstones).
fn page_names(page: &Microsite, gone: bool) -> Vec<Named> {
    let named = |kind: &str, id: &str, name: &str| Named {
        kind: kind.to_owned(),
        id: id.to_owned(),
        name: (!gone).then(|| name.to_owned()),
    };
    let mut labels: HashMap<&str, &str> = HashMap::new();
    let contents = page.published.iter().chain(std::iter::once(&page.draft));
    for block in contents.flat_map(|c| &c.blocks) {
        if let BlockKind::Link(link) = &block.kind {
            labels.insert(block.id(), link.label.as_str());
        }
    }
    let mut names = vec![named("microsite", &page.id, &page.draft.title)];
    names.extend(
        labels
            .into_iter()
            .map(|(id, label)| named("block", id, label)),
    );
    names
}
