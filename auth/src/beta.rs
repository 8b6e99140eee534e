//! The beta's founder operations: who signed up and from where, the waitlist, invite codes, and
//! the demo accounts of `scanpage demo`. Reached through `/api/v1/auth/admin/*` (founders only)
//! and the CLI. Lifecycle events (`user.signed_up`, `beta.waitlist`) go out from here so the
//! analytics service can keep the console's numbers without reading auth's tables.

use shared::events::{
    USER_DELETED, USER_DISABLED, USER_ENABLED, USER_SIGNED_UP, UserDeleted, UserDisabled,
    UserEnabled, UserSignedUp, WAITLIST_SIZE, WaitlistSize,
};
use shared::identity::Role;

use crate::domain::Email;
use crate::error::AuthError;
use crate::mail;
use crate::secrets::{self, random_token};
use crate::service::Auth;
use crate::store::gate::{self, Invite, WaitlistEntry};
use crate::store::sessions;
use crate::store::users::{self, Listed};

/// The most invite codes one request may create.
pub const MAX_INVITES_PER_BATCH: usize = 500;
/// The longest invite label.
const MAX_LABEL_CHARS: usize = 80;

impl Auth {
    /// Publishes `user.signed_up`; `at` backdates it (demo data), else now.
    pub(crate) fn announce_signup(
        &self,
        user_id: &str,
        source: String,
        demo: bool,
        at: Option<i64>,
    ) {
        let mut event = USER_SIGNED_UP.event(UserSignedUp {
            user_id: user_id.to_owned(),
            source,
            demo,
        });
        if let Some(at) = at {
            event.occurred_at = at;
        }
        if let Err(err) = self.bus.publish(event) {
            // The account exists either way; the console misses one signup until a reseed.
            tracing::warn!(%err, "could not announce a signup");
        }
    }

    /// Publishes the waitlist's current size (a gauge for the console).
    pub(crate) async fn announce_waitlist(&self) {
        match gate::waitlist_count(&self.db).await {
            Ok(pending) => {
                let _ = self.bus.emit(WAITLIST_SIZE, WaitlistSize { pending });
            }
            Err(err) => tracing::warn!(%err, "could not count the waitlist"),
        }
    }

    pub async fn list_users(&self) -> Result<Vec<Listed>, AuthError> {
        users::list(&self.db).await
    }

    pub async fn waitlist(&self) -> Result<Vec<WaitlistEntry>, AuthError> {
        gate::waitlist(&self.db).await
    }

    /// Approves a waitlisted email. When the entry kept the password chosen at sign-up, the
    /// account is created activated (the approval email goes to that address, so reading it
    /// proves it) and its owner is emailed a sign-in link: they sign in with that password (or
    /// reset it). Older entries without a password get an invite link instead. Returns the invite
    /// code issued for the entry; None when it was not pending.
    pub async fn approve_waitlisted(&self, email: &str) -> Result<Option<String>, AuthError> {
        let email = Email::parse(email)?;
        let Some(approved) = gate::approve(&self.db, email.as_str(), &random_token()[..12]).await?
        else {
            return Ok(None);
        };
        self.announce_waitlist().await;
        let registered = users::by_email(&self.db, email.as_str()).await?.is_some();
        match approved.password_hash {
            Some(hash) if !registered => {
                let mut tx = self.db.begin().await?;
                let user = users::insert(&mut tx, email.as_str(), &hash, Role::User).await?;
                users::activate(&mut tx, &user.id).await?;
                gate::claim_invite(&mut tx, &approved.code, &user.id).await?;
                users::set_source(&mut tx, &user.id, "invite").await?;
                tx.commit().await?;
                self.announce_signup(&user.id, "invite".into(), false, None);
                let note = mail::WaitlistApproved {
                    sign_in_link: self.link("/login"),
                    reset_link: self.link("/forgot"),
                };
                self.queue_mail(email.as_str(), &note).await?;
                tracing::info!(user_id = %user.id, "waitlist approved: account created, owner told");
            }
            // Already has an account (joined through an invite meanwhile): nothing to create.
            Some(_) => {}
            None => self.send_invite(email.as_str(), &approved.code).await?,
        }
        Ok(Some(approved.code))
    }

    async fn send_invite(&self, email: &str, code: &str) -> Result<(), AuthError> {
        let invite = mail::Invite {
            code: code.to_owned(),
            link: self.link(&format!("/signup?invite={code}")),
        };
        self.queue_mail(email, &invite).await
    }

    /// Invites one person by email: a single-use code, sent to them with a sign-up link.
    pub async fn invite_by_email(
        &self,
        email: &str,
        label: Option<&str>,
    ) -> Result<String, AuthError> {
        let email = Email::parse(email)?;
        let code = self
            .create_invites(1, label)
            .await?
            .pop()
            .ok_or_else(|| AuthError::internal("no invite code made"))?;
        self.send_invite(email.as_str(), &code).await?;
        Ok(code)
    }

    /// Rejects a pending waitlist entry. False when it is not pending.
    pub async fn reject_waitlisted(&self, email: &str) -> Result<bool, AuthError> {
        let email = Email::parse(email)?;
        let done = gate::reject(&self.db, email.as_str()).await?;
        if done {
            self.announce_waitlist().await;
        }
        Ok(done)
    }

    /// Creates `n` single-use invite codes, optionally labelled ("podcast listeners").
    pub async fn create_invites(
        &self,
        n: usize,
        label: Option<&str>,
    ) -> Result<Vec<String>, AuthError> {
        if !(1..=MAX_INVITES_PER_BATCH).contains(&n) {
            return Err(AuthError::invalid(
                "count",
                format!("between 1 and {MAX_INVITES_PER_BATCH}"),
            ));
        }
        let label = label.map(str::trim).filter(|l| !l.is_empty());
        if let Some(label) = label
            && (label.chars().count() > MAX_LABEL_CHARS || label.chars().any(char::is_control))
        {
            return Err(AuthError::invalid(
                "label",
                format!("up to {MAX_LABEL_CHARS} characters on one line"),
            ));
        }
        let mut codes = Vec::with_capacity(n);
        for _ in 0..n {
            let code = random_token()[..12].to_owned();
            gate::create_invite(&self.db, &code, label).await?;
            codes.push(code);
        }
        Ok(codes)
    }

    pub async fn invites(&self) -> Result<Vec<Invite>, AuthError> {
        gate::invites(&self.db).await
    }

    /// Disables an account (the founder's moderation): it can no longer log in, refresh or use
    /// an API key, every session ends now, and `user.disabled` tells qr to answer all its codes
    /// with the "disabled" page. Founders cannot be disabled (the console must keep an owner).
    /// Idempotent: disabling again announces again, which is how a lost event is repaired.
    pub async fn disable_user(&self, user_id: &str) -> Result<(), AuthError> {
        let user = users::by_id(&self.db, user_id)
            .await?
            .ok_or(AuthError::NotFound)?;
        if user.role == Role::Founder {
            return Err(AuthError::invalid(
                "user_id",
                "a founder's account cannot be disabled",
            ));
        }
        users::set_disabled(&self.db, &user.id, Some(shared::ids::now_ms())).await?;
        let families = sessions::revoke_others(&self.db, &user.id, None).await?;
        let disabled = UserDisabled {
            user_id: user.id.clone(),
        };
        self.end_account(families, USER_DISABLED, disabled)?;
        tracing::info!(user_id = %user.id, "account disabled by the founder");
        Ok(())
    }

    /// Enables a disabled account again: it may log in, and its codes redirect again.
    pub async fn enable_user(&self, user_id: &str) -> Result<(), AuthError> {
        if !users::set_disabled(&self.db, user_id, None).await? {
            return Err(AuthError::NotFound);
        }
        self.bus
            .emit(
                USER_ENABLED,
                UserEnabled {
                    user_id: user_id.to_owned(),
                },
            )
            .map_err(AuthError::internal)?;
        tracing::info!(%user_id, "account enabled by the founder");
        Ok(())
    }

    pub async fn promote(&self, email: &str) -> Result<bool, AuthError> {
        let email = Email::parse(email)?;
        users::set_role_by_email(&self.db, email.as_str(), shared::identity::Role::Founder).await
    }

    /// Creates demo accounts that cannot sign in (their password is random and never shown),
    /// each signed up at its given time; announces each signup backdated to that time.
    pub async fn create_demo_users(
        &self,
        people: &[(String, i64, String)],
    ) -> Result<Vec<String>, AuthError> {
        let unusable = secrets::hash_password(random_token()).await?;
        let mut ids = Vec::with_capacity(people.len());
        for (email, at, source) in people {
            let email = Email::parse(email)?;
            let id = users::insert_demo(&self.db, email.as_str(), &unusable, *at, source).await?;
            self.announce_signup(&id, source.clone(), true, Some(*at));
            ids.push(id);
        }
        Ok(ids)
    }

    /// Deletes every demo account and tells the other services to delete their data.
    pub async fn clear_demo(&self) -> Result<usize, AuthError> {
        let ids = users::delete_demo(&self.db).await?;
        for user_id in &ids {
            let _ = self.bus.emit(
                USER_DELETED,
                UserDeleted {
                    user_id: user_id.clone(),
                },
            );
        }
        Ok(ids.len())
    }
}
