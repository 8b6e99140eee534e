//! Editing codes: create (one or many) and edit, with every change checked by `edit`, microsite
//! codes looked up in microsite as the caller, new passwords hashed, and every instance's cache
//! told about the change. Deleting is the trash's (see `trash`).

use shared::events::{NAMES_CHANGED, Named, NamesChanged};
use shared::ids::now_ms;

use super::QrService;
use crate::code::ShortCode;
use crate::contract::{Changes, QR_CHANGED, QR_CREATED, QrChanged, QrCreated};
use crate::edit::{self, Checks};
use crate::error::QrError;
use crate::gate;
use crate::images::media_failure;
use crate::microsite::{self, Caller};
use crate::model::{Kind, QrCode};
use crate::rules::Rules;
use crate::store::{ListQuery, Page};

impl QrService {
    pub async fn create(&self, caller: &Caller, mut changes: Changes) -> Result<QrCode, QrError> {
        let kind = changes.kind.unwrap_or_default();
        let mut qr = QrCode::blank(&caller.owner_id, kind, now_ms());
        let page = self
            .microsite_page(caller, kind, changes.microsite_id.take(), None)
            .await?;
        let custom = changes.code.clone();
        self.apply(&mut qr, changes, true)?;
        if let Some((id, url)) = page {
            qr.microsite_id = Some(id);
            qr.destination = Some(url);
        }
        hash_new_password(&mut qr.rules).await?;
        self.images.check_logo(&caller.owner_id, &qr.style).await?;
        self.check_scannable(&qr, custom.as_deref()).await?;
        match custom {
            Some(raw) => {
                qr.code = ShortCode::parse_custom(&raw)?.to_string();
                self.store.insert(&qr).await?;
            }
            None => self.insert_with_fresh_code(&mut qr).await?,
        }
        self.announce_created(std::slice::from_ref(&qr));
        Ok(qr)
    }

    /// `qr.created` for the founder's product metrics; a full bus only costs the console a count.
    fn announce_created(&self, codes: &[QrCode]) {
        for qr in codes {
            let created = QrCreated {
                qr_id: qr.id.clone(),
                owner_id: qr.owner_id.clone(),
            };
            if let Err(err) = self.bus.emit(QR_CREATED, created) {
                tracing::warn!(%err, "could not announce a new code");
            }
            self.announce_name(&qr.owner_id, &qr.id, Some(&qr.name));
        }
    }

    /// `names.changed` so analytics shows the code by name (`None`: deleted). A full bus leaves
    /// analytics with the id until the next save, which is all it costs.
    fn announce_name(&self, owner_id: &str, id: &str, name: Option<&str>) {
        let changed = NamesChanged {
            owner_id: owner_id.to_owned(),
            names: vec![Named {
                kind: "qr".to_owned(),
                id: id.to_owned(),
                name: name.map(str::to_owned),
            }],
        };
        if let Err(err) = self.bus.emit(NAMES_CHANGED, changed) {
            tracing::warn!(%err, "could not announce a code's name");
        }
    }

    /// Generated codes collide with probability ~n/27.5e9; retry a few times rather than hope.
    async fn insert_with_fresh_code(&self, qr: &mut QrCode) -> Result<(), QrError> {
        for _ in 0..5 {
            qr.code = ShortCode::generate().to_string();
            match self.store.insert(qr).await {
                Err(QrError::CodeTaken) => {} // taken: draw again
                other => return other,
            }
        }
        Err(QrError::CodeTaken)
    }

    /// Validates many url-code rows (CPU work: run it on the blocking pool). Every row's problem
    /// is reported, by its index.
    pub fn prepare_many(
        &self,
        owner_id: &str,
        rows: Vec<Changes>,
    ) -> Result<Vec<QrCode>, Vec<(usize, QrError)>> {
        let now = now_ms();
        let mut codes = Vec::with_capacity(rows.len());
        let mut errors = Vec::new();
        for (i, mut changes) in rows.into_iter().enumerate() {
            let mut qr = QrCode::blank(owner_id, Kind::Url, now);
            qr.code = ShortCode::generate().to_string();
            // Bulk rows are plain url codes: nothing that needs another service or a hash.
            changes.kind = None;
            changes.microsite_id = None;
            changes.rules = None;
            match self.apply(&mut qr, changes, true) {
                Ok(()) => codes.push(qr),
                Err(e) => errors.push((i, e)),
            }
        }
        if errors.is_empty() {
            Ok(codes)
        } else {
            Err(errors)
        }
    }

    /// Inserts prepared codes in one transaction: all or none.
    pub async fn insert_many(&self, codes: &[QrCode]) -> Result<(), QrError> {
        self.store.insert_all(codes).await?;
        self.announce_created(codes);
        Ok(())
    }

    pub async fn get(&self, owner_id: &str, id: &str) -> Result<QrCode, QrError> {
        self.store.get(owner_id, id).await
    }

    pub async fn list(&self, query: ListQuery<'_>) -> Result<Page, QrError> {
        self.store.list(query).await
    }

    pub async fn update(
        &self,
        caller: &Caller,
        id: &str,
        mut changes: Changes,
    ) -> Result<QrCode, QrError> {
        if changes.code.is_some() || changes.kind.is_some() {
            return Err(QrError::invalid(
                if changes.code.is_some() {
                    "code"
                } else {
                    "kind"
                },
                "the short code and kind of a printed code cannot change",
            ));
        }
        let mut qr = self.store.get(&caller.owner_id, id).await?;
        // Every save of a microsite code looks its slug up again (see `microsite`'s known gap).
        let page = self
            .microsite_page(
                caller,
                qr.kind,
                changes.microsite_id.take(),
                qr.microsite_id.clone(),
            )
            .await?;
        let old_hash = qr.rules.password_hash.take();
        let (old_style, old_content) = (qr.style.clone(), qr.content.clone());
        let rules_given = changes.rules.is_some();
        self.apply(&mut qr, changes, false)?;
        if let Some((id, url)) = page {
            qr.microsite_id = Some(id);
            qr.destination = Some(url);
        }
        // New rules without a password keep the old one: the form cannot show it back.
        if !rules_given || qr.rules.password.is_none() {
            qr.rules.password_hash = old_hash;
        }
        hash_new_password(&mut qr.rules).await?;
        self.images.check_logo(&caller.owner_id, &qr.style).await?;
        if qr.style != old_style || qr.content != old_content {
            self.check_scannable(&qr, None).await?;
        }
        qr.updated_at = now_ms();
        self.store.update(&qr).await?;
        self.forget(&qr.code).await;
        self.announce_name(&qr.owner_id, &qr.id, Some(&qr.name));
        Ok(qr)
    }

    /// The style must read back before it is saved. A new code has no short code yet: it is
    /// checked with one of the same length (the custom one when given), which gives the same
    /// symbol size.
    async fn check_scannable(&self, qr: &QrCode, custom: Option<&str>) -> Result<(), QrError> {
        let mut probe = qr.clone();
        if probe.code.is_empty() {
            probe.code = custom.map_or_else(|| ShortCode::generate().to_string(), str::to_owned);
        }
        let payload = probe.payload(&self.public_base_url)?;
        self.images.check_scannable(payload, &qr.style).await
    }

    /// [`edit::apply`] with this service's blocklist, features and base URL.
    fn apply(&self, qr: &mut QrCode, changes: Changes, creating: bool) -> Result<(), QrError> {
        let blocklist = self.moderation.blocklist();
        let checks = Checks {
            blocklist: &blocklist,
            features: self.features,
            public_base_url: &self.public_base_url,
        };
        edit::apply(qr, changes, creating, &checks)
    }

    /// For a `microsite` code: the microsite's id and public URL, asked of microsite as the
    /// caller. `given` is the id in the request, `current` the stored one (on edit).
    async fn microsite_page(
        &self,
        caller: &Caller,
        kind: Kind,
        given: Option<String>,
        current: Option<String>,
    ) -> Result<Option<(String, String)>, QrError> {
        if kind != Kind::Microsite {
            return match given {
                Some(_) => Err(QrError::invalid(
                    "microsite_id",
                    "only microsite codes point at a microsite",
                )),
                None => Ok(None),
            };
        }
        let editing = given.is_none() && current.is_some();
        let Some(id) = given.or(current) else {
            return Err(QrError::invalid(
                "microsite_id",
                "choose one of your microsites",
            ));
        };
        if !microsite::valid_id(&id) {
            return Err(QrError::invalid("microsite_id", "no such microsite"));
        }
        let slug = match self.directory.slug_of(caller, &id).await {
            Ok(Some(slug)) => slug,
            Ok(None) => return Err(QrError::invalid("microsite_id", "no such microsite")),
            // An edit of other fields need not fail because microsite is briefly away.
            Err(QrError::Unavailable(_)) if editing => return Ok(None),
            Err(e) => return Err(e),
        };
        let url = microsite::page_url(&self.public_base_url, &slug)
            .ok_or_else(|| QrError::Unavailable("microsite answered an unusable slug".into()))?;
        Ok(Some((id, url)))
    }

    pub async fn delete_owner(&self, owner_id: &str) -> Result<usize, QrError> {
        let codes = self.store.delete_owner(owner_id).await?;
        for code in &codes {
            self.forget(code).await;
        }
        // The media module lives in this service: its record of the user's uploads goes too.
        if let Some(media) = self.images.media() {
            let images = media.delete_owner(owner_id).await.map_err(media_failure)?;
            tracing::info!(images, "forgot a deleted user's uploads");
        }
        Ok(codes.len())
    }

    /// Drops a code from this instance's cache and Redis, and tells the other instances to drop
    /// it too (they delete the Redis key again, which covers a fill that raced this edit).
    pub(crate) async fn forget(&self, code: &str) {
        self.resolver.invalidate(code).await;
        let changed = QrChanged {
            code: code.to_owned(),
        };
        if let Err(err) = self.bus.emit(QR_CHANGED, changed) {
            tracing::warn!(%err, "could not announce a code change; other instances catch up within 5 minutes");
        }
    }
}

/// Replaces a newly given password by its hash (`""` removes protection). Hashing is tens of
/// milliseconds of CPU, so it runs on the blocking pool.
async fn hash_new_password(rules: &mut Rules) -> Result<(), QrError> {
    match rules.password.take() {
        Some(password) if password.is_empty() => rules.password_hash = None,
        Some(password) => rules.password_hash = Some(gate::hash(password).await?),
        None => {}
    }
    Ok(())
}
