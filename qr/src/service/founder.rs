//! The founder's moderation actions: finding any code, disabling and enabling it, recording
//! disabled accounts, and blocking destination domains. The in-memory state they keep current
//! is `moderation`'s.

use shared::ids::now_ms;

use super::QrService;
use crate::code::ShortCode;
use crate::contract::{CodeLookup, CodeRef, QR_BLOCKLIST_CHANGED, QrBlocklistChanged};
use crate::destination;
use crate::error::QrError;
use crate::model::QrCode;
use crate::moderation::MAX_REASON;
use crate::store::BlockedDomain;

impl QrService {
    /// Loads disabled owners and the founder's blocked domains: at start, after the consumers
    /// that keep them current have subscribed (so no change falls in between).
    pub async fn load_moderation(&self) -> Result<(), QrError> {
        let owners = self.store().disabled_owners().await?;
        for owner in owners {
            self.moderation().set_owner(&owner, true);
        }
        self.reload_blocklist().await
    }

    async fn find(&self, which: &CodeRef) -> Result<QrCode, QrError> {
        let found = match (&which.code, &which.id) {
            (Some(code), _) => match ShortCode::from_request(code.trim()) {
                Some(code) => self.store().by_code(code.as_str()).await?,
                None => None,
            },
            (None, Some(id)) => self.store().by_id_any_owner(id.trim()).await?,
            (None, None) => return Err(QrError::invalid("code", "name a code or an id")),
        };
        found.ok_or(QrError::NotFound)
    }

    pub async fn lookup(&self, which: &CodeRef) -> Result<CodeLookup, QrError> {
        let qr = self.find(which).await?;
        let disabled = self.store().code_disabled(&qr.id).await?;
        Ok(CodeLookup {
            owner_disabled: self.moderation().owner_disabled(&qr.owner_id),
            disabled: disabled.is_some(),
            disabled_at: disabled.as_ref().map(|(_, at)| *at),
            disabled_reason: disabled.map(|(reason, _)| reason),
            id: qr.id,
            code: qr.code,
            owner_id: qr.owner_id,
            name: qr.name,
            kind: qr.kind,
            destination: qr.destination,
            paused: qr.paused,
        })
    }

    /// Disables a code (the founder's decision, which its owner cannot undo). Every instance
    /// drops the code from its caches through `qr.changed`, exactly like an owner's edit.
    pub async fn disable_code(&self, which: &CodeRef, reason: &str) -> Result<CodeLookup, QrError> {
        let reason = reason.trim();
        if reason.is_empty()
            || reason.chars().count() > MAX_REASON
            || reason.chars().any(|c| c.is_control() && c != '\n')
        {
            return Err(QrError::invalid(
                "reason",
                format!("say why in 1–{MAX_REASON} characters"),
            ));
        }
        let qr = self.find(which).await?;
        self.store().disable_code(&qr.id, reason, now_ms()).await?;
        self.forget(&qr.code).await;
        tracing::info!(qr_id = %qr.id, "code disabled by the founder");
        self.lookup(&CodeRef {
            id: Some(qr.id),
            code: None,
        })
        .await
    }

    pub async fn enable_code(&self, which: &CodeRef) -> Result<CodeLookup, QrError> {
        let qr = self.find(which).await?;
        self.store().enable_code(&qr.id).await?;
        self.forget(&qr.code).await;
        tracing::info!(qr_id = %qr.id, "code enabled by the founder");
        self.lookup(&CodeRef {
            id: Some(qr.id),
            code: None,
        })
        .await
    }

    /// `user.disabled` / `user.enabled` (every instance): stored (idempotently) and in memory.
    pub async fn set_owner_disabled(&self, owner_id: &str, disabled: bool) -> Result<(), QrError> {
        self.store()
            .set_owner_disabled(owner_id, disabled, now_ms())
            .await?;
        self.moderation().set_owner(owner_id, disabled);
        Ok(())
    }

    pub async fn blocked_domains(&self) -> Result<Vec<BlockedDomain>, QrError> {
        self.store().blocked_domains().await
    }

    /// Blocks a domain (and its subdomains) for new and edited destinations, on every instance
    /// at once. Codes that already point there keep working until the founder disables them.
    pub async fn block_domain(&self, raw: &str, reason: &str) -> Result<String, QrError> {
        let domain = destination::parse_domain(raw).ok_or_else(|| {
            QrError::invalid(
                "domain",
                "a domain name like example.com (no https://, no path)",
            )
        })?;
        let reason = reason.trim();
        if reason.chars().count() > MAX_REASON || reason.chars().any(char::is_control) {
            return Err(QrError::invalid(
                "reason",
                format!("at most {MAX_REASON} plain characters"),
            ));
        }
        if !self.store().block_domain(&domain, reason, now_ms()).await? {
            return Err(QrError::invalid("domain", "that domain is blocked already"));
        }
        self.blocklist_changed().await?;
        tracing::info!(%domain, "domain blocked by the founder");
        Ok(domain)
    }

    pub async fn unblock_domain(&self, raw: &str) -> Result<(), QrError> {
        let domain = destination::parse_domain(raw).ok_or(QrError::NotFound)?;
        if !self.store().unblock_domain(&domain).await? {
            return Err(QrError::NotFound);
        }
        self.blocklist_changed().await
    }

    /// This instance reloads now (so the founder's next create is checked against it); the
    /// others reload on the event.
    async fn blocklist_changed(&self) -> Result<(), QrError> {
        self.reload_blocklist().await?;
        if let Err(err) = self.bus().emit(QR_BLOCKLIST_CHANGED, QrBlocklistChanged {}) {
            tracing::warn!(%err, "could not announce a blocklist change; other instances reload at their next start");
        }
        Ok(())
    }

    /// Reads the founder's domains from the table and merges them with the file's.
    pub async fn reload_blocklist(&self) -> Result<(), QrError> {
        let domains = self.store().blocked_domains().await?;
        self.moderation()
            .set_founder_domains(domains.into_iter().map(|d| d.domain));
        Ok(())
    }
}
