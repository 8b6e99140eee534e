//! Account settings beyond the password: the list of sessions (sign out one, or all others) and
//! changing the sign-in email address through a link sent to the new one.

use serde::Serialize;
use shared::identity::Principal;

use super::Auth;
use crate::domain::Email;
use crate::error::AuthError;
use crate::limits;
use crate::secrets::{random_token, sha256_hex};
use crate::store::{resets, sessions, users};

/// One signed-in session as its owner sees it. No address: the device label is all it says
/// about where it is.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: String,
    /// The session making this request.
    pub current: bool,
    pub created_at: i64,
    /// When its refresh token was last rotated: within one access-token life of the last use.
    pub last_used_at: i64,
    /// "Firefox on Windows"; "Unknown device" when it was not told.
    pub device: String,
}

impl Auth {
    pub async fn list_sessions(
        &self,
        principal: &Principal,
    ) -> Result<Vec<SessionView>, AuthError> {
        let current = principal.require_session()?;
        let rows = sessions::live_sessions(&self.db, &principal.user_id).await?;
        Ok(rows
            .into_iter()
            .map(|row| SessionView {
                current: row.family_id == current,
                id: row.family_id,
                created_at: row.created_at,
                last_used_at: row.last_used_at,
                device: row.device.unwrap_or_else(|| "Unknown device".to_owned()),
            })
            .collect())
    }

    /// Signs out one of the caller's sessions (possibly this one). `NotFound` for anyone else's.
    pub async fn revoke_session(&self, principal: &Principal, id: &str) -> Result<(), AuthError> {
        principal.require_session()?;
        if !sessions::revoke_family_of(&self.db, &principal.user_id, id).await? {
            return Err(AuthError::NotFound);
        }
        self.identity.revoke_and_announce(id, &self.bus);
        Ok(())
    }

    /// Signs out every session of the caller but this one; answers how many ended.
    pub async fn revoke_other_sessions(&self, principal: &Principal) -> Result<usize, AuthError> {
        let sid = principal.require_session()?;
        let families = sessions::revoke_others(&self.db, &principal.user_id, Some(sid)).await?;
        for family in &families {
            self.identity.revoke_and_announce(family, &self.bus);
        }
        Ok(families.len())
    }

    /// Starts an email change: with the password, a confirmation link goes to the NEW address;
    /// nothing changes until it is used. When the new address already has an account, that
    /// address is told instead and the caller gets the same answer, so the form cannot be used
    /// to find out who has an account.
    pub async fn request_email_change(
        &self,
        principal: &Principal,
        new_email: &str,
        password: &str,
    ) -> Result<(), AuthError> {
        principal.require_session()?;
        let user = self
            .user_with_password(&principal.user_id, password, "password")
            .await?;
        let new_email = Email::parse(new_email)?;
        if new_email.as_str() == user.email {
            return Err(AuthError::invalid(
                "new_email",
                "This is already your email address.",
            ));
        }
        // A few per hour, so the form cannot be used to flood someone's inbox.
        self.limiter
            .hit(
                &format!("email-change:{}", user.id),
                limits::RESET_PER_ACCOUNT,
            )
            .await?;
        if users::by_email(&self.db, new_email.as_str())
            .await?
            .is_some()
        {
            let body = "Someone signed in to Scanpage asked to move their account to this \
                        address, but this address already has an account, so nothing changed.\n\n\
                        If it was you, sign in with this address instead. Otherwise you can \
                        ignore this email."
                .to_owned();
            self.queue_email(new_email.as_str(), "Your Scanpage email address", body)
                .await?;
            return Ok(());
        }
        let token = random_token();
        resets::insert_email_change(&self.db, &user.id, new_email.as_str(), &sha256_hex(&token))
            .await?;
        let link = format!("{}/confirm-email/{token}", self.public_base_url);
        let body = format!(
            "You asked to change the email address of your Scanpage account to this one.\n\n\
             Confirm it within 24 hours: {link}\n\n\
             Until you do, your account keeps its old address. If it wasn't you, ignore this email."
        );
        self.queue_email(new_email.as_str(), "Confirm your new Scanpage email", body)
            .await?;
        tracing::info!(user_id = %user.id, "email change confirmation queued");
        Ok(())
    }

    /// Uses an email-change link (once, within 24 hours): the account's address becomes the new
    /// one, verified; the old address is told; reset links sent to the old address die.
    pub async fn confirm_email_change(&self, token: &str) -> Result<(), AuthError> {
        let (user_id, new_email) = resets::take_email_change(&self.db, &sha256_hex(token))
            .await?
            .ok_or(AuthError::InvalidToken)?;
        let mut user = users::by_id(&self.db, &user_id)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        let old_email = user.email.clone();
        users::set_verified_email(&self.db, &user.id, &new_email).await?;
        resets::invalidate_resets(&self.db, &user.id).await?;
        user.email = new_email.clone();
        user.email_verified = true;
        self.founder_role_if_verified(&mut user).await?;
        let body = format!(
            "The email address of your Scanpage account was changed to {new_email}.\n\n\
             If you did not do this, reply to this email or write to the operator of this \
             Scanpage straight away: someone may have your password."
        );
        self.queue_email(&old_email, "Your Scanpage email address was changed", body)
            .await?;
        tracing::info!(user_id = %user.id, "email address changed");
        Ok(())
    }
}
