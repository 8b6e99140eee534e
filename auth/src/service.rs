//! The auth domain: sign-up, sign-in, sessions, keys, second factor, reset, deletion. Knows
//! neither HTTP nor SQL (that is `routes` and `store`).

use std::net::IpAddr;
use std::sync::Arc;

use email::{Email as Mailer, Message, Outbox};
use serde::Serialize;
use shared::ApiError;
use shared::bus::{EventBus, Topic};
use shared::config::SignupMode;
use shared::events::{USER_DELETED, UserDeleted};
use shared::identity::{
    ACCESS_TOKEN_TTL, API_KEY_PREFIX, AUDIENCE, ApiKeyResolver, Claims, ISSUER, Identity, KeyPair,
    Principal, Role, Scope, Via,
};
use sqlx::AnyPool;

use crate::domain::{Attribution, Email, Password};
use crate::error::AuthError;
use crate::limits::{self, Limiter};
use crate::mail::{self, Mail};
use crate::secrets::{self, random_token, sha256_hex};
use crate::signer::Signer;
use crate::store::{api_keys, devices, gate, resets, sessions, totp, users};

mod guard;
mod settings;

pub use guard::device_label;
pub use settings::SessionView;

/// MFA tokens prove the password step of a login for five minutes. Their own audience keeps them
/// from ever being accepted as access tokens.
const MFA_AUDIENCE: &str = "scanpage-mfa";
const MFA_TTL_SECS: i64 = 5 * 60;

/// What a user types to confirm deleting their account (the API's `confirm`, the page's field).
pub const DELETE_CONFIRMATION: &str = "delete my account";

/// Whether `typed` is the deletion phrase; case and surrounding spaces don't matter.
pub fn confirms_deletion(typed: &str) -> bool {
    let words: Vec<&str> = typed.split_whitespace().collect();
    words.join(" ").eq_ignore_ascii_case(DELETE_CONFIRMATION)
}

pub struct Auth {
    pub db: AnyPool,
    pub identity: Identity,
    signer: Signer,
    mfa_decoding: jsonwebtoken::DecodingKey,
    pub limiter: Limiter,
    pub(crate) bus: EventBus,
    pub signup_mode: SignupMode,
    founder_emails: Vec<String>,
    pub public_base_url: Arc<str>,
    ip_salt: [u8; 32],
    /// Where verification and reset messages go (the email stand-in's outbox by default).
    email: Arc<dyn Mailer>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub created_at: i64,
    pub email_verified: bool,
    #[serde(default)]
    pub two_factor_enabled: bool,
}

impl From<&users::User> for UserView {
    fn from(user: &users::User) -> UserView {
        UserView {
            id: user.id.clone(),
            email: user.email.clone(),
            role: user.role,
            created_at: user.created_at,
            email_verified: user.email_verified,
            two_factor_enabled: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Tokens {
    pub user: UserView,
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
}

/// What a valid sign-up answers. Deliberately the same whether or not the address already has
/// an account: what happened next goes to the address by email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupOutcome {
    /// Follow the link in the email (a new account's confirmation, or a note to the owner of an
    /// existing one).
    CheckEmail,
    /// `SIGNUP_MODE=waitlist` without an invite code.
    Waitlisted,
}

/// Where a sign-in comes from, to tell the owner about sign-ins from devices not seen before.
/// Never an address: a random identifier the web keeps in a long-lived cookie, and the user
/// agent (used for the description, and as the device when there is no identifier).
#[derive(Debug, Clone, Default)]
pub struct Device {
    pub id: Option<String>,
    pub user_agent: Option<String>,
}

impl Device {
    /// "Firefox on Linux": the browser and system families only, so the hash of it (when there
    /// is no identifier) groups one person's updates together.
    pub fn describe(&self) -> String {
        device_label(self.user_agent.as_deref().unwrap_or_default())
    }

    fn key(&self) -> String {
        match self
            .id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
        {
            Some(id) => sha256_hex(&format!("device:{id}")),
            None => sha256_hex(&format!("agent:{}", self.describe())),
        }
    }
}

pub enum LoginOutcome {
    Tokens(Tokens),
    MfaRequired { mfa_token: String },
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TotpSetup {
    pub secret: String,
    pub otpauth_url: String,
    /// The otpauth URL as a QR code to scan with an authenticator app (SVG markup).
    pub qr_svg: String,
}

pub struct Config {
    pub keys: KeyPair,
    pub signup_mode: SignupMode,
    pub founder_emails: Vec<String>,
    pub public_base_url: Arc<str>,
}

impl Auth {
    pub fn new(
        db: AnyPool,
        identity: Identity,
        bus: EventBus,
        limiter: Limiter,
        config: Config,
    ) -> Result<Auth, shared::Error> {
        let signer = Signer::new(&config.keys)?;
        let db_for_outbox = db.clone();
        let ip_salt: [u8; 32] = {
            use sha2::Digest;
            let mut h = sha2::Sha256::new();
            h.update(b"scanpage rate-limit ip key");
            h.update(config.keys.encoding_key()?.as_bytes());
            h.finalize().into()
        };
        Ok(Auth {
            db,
            identity,
            signer,
            mfa_decoding: jsonwebtoken::DecodingKey::from_ed_der(&config.keys.public_bytes()),
            limiter,
            bus,
            signup_mode: config.signup_mode,
            founder_emails: config
                .founder_emails
                .iter()
                .filter_map(|e| Email::parse(e).ok())
                .map(|e| e.as_str().to_owned())
                .collect(),
            public_base_url: config.public_base_url,
            ip_salt,
            email: Arc::new(Outbox::new(db_for_outbox)),
        })
    }

    /// The same service sending its messages through `email` instead of the outbox.
    pub fn with_email(mut self, email: Arc<dyn Mailer>) -> Self {
        self.email = email;
        self
    }

    pub(crate) async fn queue_email(
        &self,
        to: &str,
        subject: &str,
        body: String,
    ) -> Result<(), AuthError> {
        let message = Message {
            to: to.to_owned(),
            subject: subject.to_owned(),
            body,
            html: None,
        };
        self.email.queue(&message).await?;
        Ok(())
    }

    pub(crate) async fn queue_mail(&self, to: &str, mail: &impl Mail) -> Result<(), AuthError> {
        let message: Message = mail.to_message(to)?;
        self.email.queue(&message).await?;
        Ok(())
    }

    /// A link into the web app (`/login`, `/forgot`, …) for emails.
    pub(crate) fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_base_url)
    }

    /// A few emails per hour per address and kind, so the public forms cannot flood an inbox.
    /// Over the limit the caller's answer stays the same; the email is just not sent.
    async fn may_email(&self, kind: &str, email: &str) -> bool {
        let key = format!("{kind}:{}", sha256_hex(email));
        self.limiter
            .hit(&key, limits::RESET_PER_ACCOUNT)
            .await
            .is_ok()
    }

    fn ip_key(&self, ip: Option<IpAddr>) -> Option<String> {
        ip.map(|ip| secrets::ip_key(&self.ip_salt, ip))
    }

    /// Signs up without saying whether the address has an account: a valid request always
    /// answers [`SignupOutcome::CheckEmail`] (or `Waitlisted`) after the same work (the password
    /// is hashed either way). A new address gets an account that is not activated and a
    /// confirmation link; a registered one gets a note saying someone tried, with sign-in and
    /// reset links.
    #[tracing::instrument(skip_all)]
    pub async fn signup(
        &self,
        email: &str,
        password: &str,
        invite_code: Option<&str>,
        attribution: &Attribution,
        ip: Option<IpAddr>,
    ) -> Result<SignupOutcome, AuthError> {
        if let Some(ip) = self.ip_key(ip) {
            self.limiter
                .hit(&format!("signup:ip:{ip}"), limits::SIGNUP_PER_IP)
                .await?;
        }
        let email = Email::parse(email)?;
        let password = Password::parse(password, "password", &[email.as_str()])?;
        let invite = invite_code.map(str::trim).filter(|c| !c.is_empty());
        // The founders named in FOUNDER_EMAILS run the beta: the gate does not apply to them.
        let gate = if self.founder_emails.iter().any(|f| f == email.as_str()) {
            SignupMode::Open
        } else {
            self.signup_mode
        };
        let waitlisted = match (gate, invite) {
            (SignupMode::Open, _) => false,
            (SignupMode::Invite | SignupMode::Waitlist, Some(code)) => {
                if !gate::invite_is_open(&self.db, code).await? {
                    return Err(AuthError::invalid(
                        "invite_code",
                        "This invite code is not valid or has been used.",
                    ));
                }
                false
            }
            (SignupMode::Invite, None) => {
                return Err(AuthError::invalid(
                    "invite_code",
                    "Sign-up is by invitation: enter your invite code.",
                ));
            }
            (SignupMode::Waitlist, None) => true,
        };
        let answer = if waitlisted {
            SignupOutcome::Waitlisted
        } else {
            SignupOutcome::CheckEmail
        };
        // Hashed whether or not the address is registered, so the answer takes as long.
        let hash = secrets::hash_password(password.expose().to_owned()).await?;
        if let Some(existing) = users::by_email(&self.db, email.as_str()).await? {
            self.signup_again(&existing, &hash).await?;
            return Ok(answer);
        }
        if waitlisted {
            gate::join_waitlist(&self.db, email.as_str(), &hash).await?;
            self.announce_waitlist().await;
            return Ok(answer);
        }
        let mut tx = self.db.begin().await?;
        // Never the founder role here: that waits for the address to be verified
        // (`founder_role_if_verified`), or whoever registers it first would own the console.
        let user = match users::insert(&mut tx, email.as_str(), &hash, Role::User).await {
            Ok(user) => user,
            Err(AuthError::EmailTaken) => {
                // Signed up a moment ago by a concurrent request: the same as registered.
                drop(tx);
                if let Some(existing) = users::by_email(&self.db, email.as_str()).await? {
                    self.signup_again(&existing, &hash).await?;
                }
                return Ok(answer);
            }
            Err(err) => return Err(err),
        };
        if gate != SignupMode::Open
            && let Some(code) = invite
            && !gate::claim_invite(&mut tx, code, &user.id).await?
        {
            return Err(AuthError::invalid(
                "invite_code",
                "This invite code is not valid or has been used.",
            ));
        }
        let used_invite = gate != SignupMode::Open && invite.is_some();
        let source = attribution.label(used_invite);
        users::set_source(&mut tx, &user.id, &source).await?;
        tx.commit().await?;
        tracing::info!(user_id = %user.id, %source, "signed up; waiting for the confirmation link");
        self.announce_signup(&user.id, source, false, None);
        self.send_verification(&user).await?;
        Ok(answer)
    }

    /// A sign-up for an address that has an account. Never activated: a fresh confirmation
    /// link goes out carrying this sign-up's password, so whoever follows *that* link gets the
    /// password typed with it — a stranger signing up the same address cannot set the password
    /// the owner's own link activates. Activated: its owner hears that someone tried, with the
    /// ways in.
    async fn signup_again(&self, user: &users::User, hash: &str) -> Result<(), AuthError> {
        if !user.activated {
            if self.may_email("confirm", &user.email).await {
                self.send_verification_with(user, Some(hash)).await?;
            }
            return Ok(());
        }
        if self.may_email("signup-attempt", &user.email).await {
            let note = mail::SignupAttempt {
                sign_in_link: self.link("/login"),
                reset_link: self.link("/forgot"),
            };
            self.queue_mail(&user.email, &note).await?;
            tracing::info!(user_id = %user.id, "sign-up with a registered address: owner told");
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        ip: Option<IpAddr>,
        user_agent: Option<&str>,
    ) -> Result<LoginOutcome, AuthError> {
        // An unparseable email is just an unknown account: same answer, same cost.
        let normalised = Email::parse(email)
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default();
        let guess = self.password_guess(&normalised, ip);
        self.before_guess(&guess).await?;
        let user = if normalised.is_empty() {
            None
        } else {
            users::by_email(&self.db, &normalised).await?
        };
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        if !secrets::verify_password(password.to_owned(), hash).await? {
            self.failed_guess(&guess).await?;
            return Err(AuthError::InvalidCredentials);
        }
        let Some(mut user) = user else {
            return Err(AuthError::InvalidCredentials);
        };
        if !user.activated {
            // The right password on an account whose address was never confirmed answers like a
            // wrong one (an address is not proven by knowing the password chosen for it), and
            // the confirmation link goes out again for its owner.
            if self.may_email("confirm", &user.email).await {
                resets::drop_verifications(&self.db, &user.id).await?;
                self.send_verification(&user).await?;
            }
            return Err(AuthError::InvalidCredentials);
        }
        self.good_guess(&guess).await?;
        if user.disabled {
            return Err(AuthError::AccountDisabled);
        }
        self.founder_role_if_verified(&mut user).await?;
        if totp::get(&self.db, &user.id)
            .await?
            .is_some_and(|t| t.enabled == 1)
        {
            return Ok(LoginOutcome::MfaRequired {
                mfa_token: self.mfa_token(&user)?,
            });
        }
        Ok(LoginOutcome::Tokens(
            self.start_session_on(&user, user_agent.map(device_label))
                .await?,
        ))
    }

    fn mfa_token(&self, user: &users::User) -> Result<String, AuthError> {
        let now = now_secs();
        let claims = Claims {
            iss: ISSUER.into(),
            aud: MFA_AUDIENCE.into(),
            sub: user.id.clone(),
            exp: now + MFA_TTL_SECS,
            iat: now,
            jti: shared::ids::new_id(),
            role: user.role,
            sid: String::new(),
            scopes: Vec::new(),
        };
        Ok(self.signer.sign(&claims)?)
    }

    /// Second step of a login with TOTP: the MFA token from the first step and a code (or a
    /// recovery code). Wrong codes are slowed like wrong passwords (`code_guess`).
    pub async fn login_mfa(
        &self,
        mfa_token: &str,
        code: &str,
        ip: Option<IpAddr>,
        user_agent: Option<&str>,
    ) -> Result<Tokens, AuthError> {
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[MFA_AUDIENCE]);
        let claims = jsonwebtoken::decode::<Claims>(mfa_token, &self.mfa_decoding, &validation)
            .map_err(|_| AuthError::InvalidToken)?
            .claims;
        let user = users::by_id(&self.db, &claims.sub)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        if user.disabled {
            return Err(AuthError::AccountDisabled);
        }
        self.guarded_second_factor(&user.id, code, ip).await?;
        self.start_session_on(&user, user_agent.map(device_label))
            .await
    }

    /// Records the device of a successful sign-in; a device the account had not used before
    /// (other than its very first) gets the owner a "new sign-in" email.
    pub async fn note_sign_in(&self, user_id: &str, device: &Device) -> Result<(), AuthError> {
        if devices::record(&self.db, user_id, &device.key()).await? != devices::Seen::New {
            return Ok(());
        }
        let Some(user) = users::by_id(&self.db, user_id).await? else {
            return Ok(());
        };
        let note = mail::NewSignIn {
            device: device.describe(),
            settings_link: self.link("/app/settings"),
        };
        self.queue_mail(&user.email, &note).await?;
        tracing::info!(%user_id, "sign-in from a new device: owner told");
        Ok(())
    }

    async fn start_session(&self, user: &users::User) -> Result<Tokens, AuthError> {
        self.start_session_on(user, None).await
    }

    /// A new session (refresh-token family) labelled with the device it was signed in from.
    async fn start_session_on(
        &self,
        user: &users::User,
        device: Option<String>,
    ) -> Result<Tokens, AuthError> {
        let family = shared::ids::new_id();
        self.issue(user, &family, device.as_deref()).await
    }

    async fn issue(
        &self,
        user: &users::User,
        family: &str,
        device: Option<&str>,
    ) -> Result<Tokens, AuthError> {
        let refresh = random_token();
        sessions::insert(&self.db, &user.id, family, &sha256_hex(&refresh), device).await?;
        let access = self.access_token(&user.id, user.role, family)?;
        Ok(Tokens {
            user: user.into(),
            access_token: access,
            refresh_token: refresh,
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_TTL.as_secs(),
        })
    }

    pub fn access_token(&self, user_id: &str, role: Role, sid: &str) -> Result<String, AuthError> {
        let now = now_secs();
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user_id.to_owned(),
            exp: now + i64::try_from(ACCESS_TOKEN_TTL.as_secs()).unwrap_or(900),
            iat: now,
            jti: shared::ids::new_id(),
            role,
            sid: sid.to_owned(),
            scopes: Scope::all_strings(),
        };
        Ok(self.signer.sign(&claims)?)
    }

    /// Rotates a refresh token. A token that was already rotated means it was copied: the whole
    /// family (both the thief's and the owner's sessions) ends.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, AuthError> {
        let row = sessions::by_hash(&self.db, &sha256_hex(refresh_token))
            .await?
            .ok_or(AuthError::InvalidRefreshToken)?;
        if row.revoked == 1 || row.expires_at <= shared::ids::now_ms() {
            return Err(AuthError::InvalidRefreshToken);
        }
        if row.rotated == 1 || !sessions::mark_rotated(&self.db, &row.id).await? {
            tracing::warn!(user_id = %row.user_id, "refresh token reuse: revoking the session family");
            self.end_session(&row.family_id).await?;
            return Err(AuthError::InvalidRefreshToken);
        }
        let mut user = users::by_id(&self.db, &row.user_id)
            .await?
            .filter(|user| !user.disabled)
            .ok_or(AuthError::InvalidRefreshToken)?;
        // An address verified since the last refresh (in another browser) takes effect here.
        self.founder_role_if_verified(&mut user).await?;
        self.issue(&user, &row.family_id, row.device.as_deref())
            .await
    }

    pub async fn end_session(&self, sid: &str) -> Result<(), AuthError> {
        sessions::revoke_family(&self.db, sid).await?;
        self.identity.revoke_and_announce(sid, &self.bus);
        Ok(())
    }

    pub async fn me(&self, principal: &Principal) -> Result<UserView, AuthError> {
        let user = users::by_id(&self.db, &principal.user_id)
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        let mut view = UserView::from(&user);
        view.two_factor_enabled = totp::get(&self.db, &user.id)
            .await?
            .is_some_and(|t| t.enabled == 1);
        Ok(view)
    }

    pub(crate) async fn user_with_password(
        &self,
        user_id: &str,
        password: &str,
        field: &'static str,
    ) -> Result<users::User, AuthError> {
        let user = users::by_id(&self.db, user_id)
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        if !secrets::verify_password(password.to_owned(), Some(user.password_hash.clone())).await? {
            return Err(AuthError::invalid(field, "The password is not right."));
        }
        Ok(user)
    }

    /// Changes the password and ends every other session of the user.
    pub async fn change_password(
        &self,
        principal: &Principal,
        current: &str,
        new: &str,
    ) -> Result<(), AuthError> {
        let sid = principal.require_session()?;
        let user = self
            .user_with_password(&principal.user_id, current, "current_password")
            .await?;
        let new = Password::parse(new, "new_password", &[user.email.as_str()])?;
        let hash = secrets::hash_password(new.expose().to_owned()).await?;
        self.set_password_everywhere(&user.id, &hash, Some(sid))
            .await?;
        self.tell_password_changed(&user.email).await
    }

    /// A new password takes effect everywhere: every session but `keep` ends, and every
    /// outstanding reset link dies (one sent before the change must not undo it).
    async fn set_password_everywhere(
        &self,
        user_id: &str,
        hash: &str,
        keep: Option<&str>,
    ) -> Result<(), AuthError> {
        users::set_password(&self.db, user_id, hash).await?;
        resets::invalidate_resets(&self.db, user_id).await?;
        for family in sessions::revoke_others(&self.db, user_id, keep).await? {
            self.identity.revoke_and_announce(&family, &self.bus);
        }
        Ok(())
    }

    async fn tell_password_changed(&self, email: &str) -> Result<(), AuthError> {
        let note = mail::PasswordChanged {
            reset_link: self.link("/forgot"),
        };
        self.queue_mail(email, &note).await
    }

    pub async fn create_api_key(
        &self,
        principal: &Principal,
        name: &str,
        scopes: Option<Vec<String>>,
    ) -> Result<(api_keys::ApiKey, String), AuthError> {
        principal.require_session()?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AuthError::invalid(
                "name",
                "Give the key a name of 1 to 100 characters.",
            ));
        }
        let scopes = match scopes {
            // Without a list: everything but `account:read`, which must be asked for by name.
            None => Scope::KEY_DEFAULT
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            Some(list) => {
                let mut parsed = Vec::new();
                for s in &list {
                    let scope = Scope::parse(s).ok_or_else(|| {
                        AuthError::invalid("scopes", format!("Unknown scope '{s}'."))
                    })?;
                    // A key can never hold more than the session creating it.
                    principal.require(scope)?;
                    parsed.push(scope.as_str().to_owned());
                }
                parsed.sort();
                parsed.dedup();
                parsed
            }
        };
        let secret = format!("{API_KEY_PREFIX}{}", random_token());
        let prefix: String = secret.chars().take(API_KEY_PREFIX.len() + 6).collect();
        let key = api_keys::insert(
            &self.db,
            &principal.user_id,
            name,
            &prefix,
            &sha256_hex(&secret),
            &scopes,
        )
        .await?;
        Ok((key, secret))
    }

    pub async fn list_api_keys(
        &self,
        principal: &Principal,
    ) -> Result<Vec<api_keys::ApiKey>, AuthError> {
        principal.require_account_read()?;
        api_keys::list(&self.db, &principal.user_id).await
    }

    pub async fn delete_api_key(&self, principal: &Principal, id: &str) -> Result<(), AuthError> {
        principal.require_session()?;
        if api_keys::delete(&self.db, &principal.user_id, id).await? {
            Ok(())
        } else {
            Err(AuthError::NotFound)
        }
    }

    /// Deletes the account and everything auth holds about it, then tells every other service
    /// to delete that user's data. Needs the password *and* the typed phrase
    /// [`DELETE_CONFIRMATION`], so that neither a stolen session nor a slip of the hand is enough.
    pub async fn delete_account(
        &self,
        principal: &Principal,
        password: &str,
        confirm: &str,
    ) -> Result<(), AuthError> {
        principal.require_session()?;
        // The phrase first: a wrong phrase costs no argon2 and says nothing about the password.
        if !confirms_deletion(confirm) {
            return Err(AuthError::invalid(
                "confirm",
                format!("Type \"{DELETE_CONFIRMATION}\" to confirm."),
            ));
        }
        let user = self
            .user_with_password(&principal.user_id, password, "password")
            .await?;
        let families = sessions::revoke_others(&self.db, &user.id, None).await?;
        users::delete(&self.db, &user.id).await?;
        // The address was read before the row went; queued only once the deletion happened,
        // so the email never claims what did not. The outbox row outlives the account.
        self.queue_mail(&user.email, &mail::AccountDeleted).await?;
        let deleted = UserDeleted {
            user_id: user.id.clone(),
        };
        self.end_account(families, USER_DELETED, deleted)?;
        tracing::info!(user_id = %user.id, "account deleted");
        Ok(())
    }

    /// The end of an account's use, whether deleted or disabled: its session `families` end on
    /// every instance now, and `topic` tells the other services, which act on the user's id.
    pub(crate) fn end_account<T: Serialize + Send + Sync + 'static>(
        &self,
        families: Vec<String>,
        topic: Topic<T>,
        announcement: T,
    ) -> Result<(), AuthError> {
        for family in families {
            self.identity.revoke_and_announce(&family, &self.bus);
        }
        self.bus
            .emit(topic, announcement)
            .map_err(AuthError::internal)
    }

    pub async fn export(&self, principal: &Principal) -> Result<serde_json::Value, AuthError> {
        principal.require_account_read()?;
        let user = self.me(principal).await?;
        let keys = api_keys::list(&self.db, &principal.user_id).await?;
        let sessions = sessions::live_for_user(&self.db, &principal.user_id).await?;
        let two_factor = totp::get(&self.db, &principal.user_id)
            .await?
            .is_some_and(|t| t.enabled == 1);
        Ok(serde_json::json!({
            "user": user,
            "api_keys": keys,
            "sessions": sessions,
            "two_factor_enabled": two_factor,
            "exported_at": shared::ids::now_ms(),
        }))
    }

    // --- Second factor ---------------------------------------------------------------------

    fn totp_for(&self, secret_b32: &str, email: &str) -> Result<totp_rs::TOTP, AuthError> {
        let bytes = totp_rs::Secret::Encoded(secret_b32.to_owned())
            .to_bytes()
            .map_err(|e| AuthError::internal(format!("{e:?}")))?;
        totp_rs::TOTP::new(
            totp_rs::Algorithm::SHA1,
            6,
            1,
            30,
            bytes,
            Some("Scanpage".into()),
            email.to_owned(),
        )
        .map_err(AuthError::internal)
    }

    pub async fn totp_setup(&self, principal: &Principal) -> Result<TotpSetup, AuthError> {
        principal.require_session()?;
        let user = self.me(principal).await?;
        let raw: [u8; 20] = rand::random();
        let totp_rs::Secret::Encoded(secret) = totp_rs::Secret::Raw(raw.to_vec()).to_encoded()
        else {
            return Err(AuthError::internal("base32 encoding failed"));
        };
        if !totp::put_pending(&self.db, &user.id, &secret).await? {
            return Err(AuthError::Conflict(
                "two_factor_enabled",
                "Two-factor authentication is already on.",
            ));
        }
        self.totp_setup_view(secret, &user.email)
    }

    /// The pending setup again, same secret: a mistyped code must not cost the user a rescan.
    pub async fn totp_pending(&self, principal: &Principal) -> Result<TotpSetup, AuthError> {
        principal.require_session()?;
        let user = self.me(principal).await?;
        match totp::get(&self.db, &user.id).await? {
            Some(row) if row.enabled == 0 => self.totp_setup_view(row.secret, &user.email),
            Some(_) => Err(AuthError::Conflict(
                "two_factor_enabled",
                "Two-factor authentication is already on.",
            )),
            None => Err(AuthError::Conflict(
                "two_factor_not_set_up",
                "Start two-factor setup first.",
            )),
        }
    }

    fn totp_setup_view(&self, secret: String, email: &str) -> Result<TotpSetup, AuthError> {
        let otpauth_url = self.totp_for(&secret, email)?.get_url();
        let qr_svg = qrcode::QrCode::new(otpauth_url.as_bytes())
            .map_err(AuthError::internal)?
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build();
        Ok(TotpSetup {
            secret,
            otpauth_url,
            qr_svg,
        })
    }

    /// Confirms the pending secret with a code; returns the one-time recovery codes (shown once).
    pub async fn totp_enable(
        &self,
        principal: &Principal,
        code: &str,
    ) -> Result<Vec<String>, AuthError> {
        principal.require_session()?;
        let user = self.me(principal).await?;
        let row = totp::get(&self.db, &user.id)
            .await?
            .ok_or(AuthError::Conflict(
                "two_factor_not_set_up",
                "Start two-factor setup first.",
            ))?;
        if row.enabled == 1 {
            return Err(AuthError::Conflict(
                "two_factor_enabled",
                "Two-factor authentication is already on.",
            ));
        }
        if !self
            .totp_for(&row.secret, &user.email)?
            .check_current(code.trim())
            .unwrap_or(false)
        {
            return Err(AuthError::InvalidCode);
        }
        let codes: Vec<String> = (0..guard::RECOVERY_CODES)
            .map(|_| guard::recovery_code())
            .collect();
        let hashes: Vec<String> = codes
            .iter()
            .map(|c| sha256_hex(&guard::normalise_recovery(c)))
            .collect();
        totp::enable(
            &self.db,
            &user.id,
            &serde_json::to_string(&hashes).map_err(AuthError::internal)?,
        )
        .await?;
        Ok(codes)
    }

    pub async fn totp_disable(
        &self,
        principal: &Principal,
        code: &str,
        ip: Option<IpAddr>,
    ) -> Result<(), AuthError> {
        principal.require_session()?;
        self.guarded_second_factor(&principal.user_id, code, ip)
            .await?;
        totp::delete(&self.db, &principal.user_id).await
    }

    /// A current TOTP code, or an unused recovery code (which is then used up).
    async fn check_second_factor(&self, user_id: &str, code: &str) -> Result<bool, AuthError> {
        let Some(row) = totp::get(&self.db, user_id).await? else {
            return Ok(false);
        };
        if row.enabled != 1 {
            return Ok(false);
        }
        let user = users::by_id(&self.db, user_id)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        let code = code.trim();
        if self
            .totp_for(&row.secret, &user.email)?
            .check_current(code)
            .unwrap_or(false)
        {
            return Ok(true);
        }
        let mut hashes: Vec<String> = serde_json::from_str(&row.recovery_codes).unwrap_or_default();
        // Typed in any case, with or without the dash; codes issued before the unambiguous
        // alphabet were hashed as shown, so the code as typed is tried too.
        let wanted = [
            sha256_hex(&guard::normalise_recovery(code)),
            sha256_hex(code),
        ];
        if let Some(at) = hashes.iter().position(|h| wanted.contains(h)) {
            hashes.remove(at);
            totp::set_recovery(
                &self.db,
                user_id,
                &serde_json::to_string(&hashes).map_err(AuthError::internal)?,
            )
            .await?;
            return Ok(true);
        }
        Ok(false)
    }

    // --- Password reset ---------------------------------------------------------------------

    /// Sends a reset link when the email has an account. Says nothing either way, so the form
    /// cannot be used to find out who has an account.
    pub async fn forgot_password(&self, email: &str) -> Result<(), AuthError> {
        let Ok(email) = Email::parse(email) else {
            return Ok(());
        };
        // A few links per hour per address, so the form cannot be used to flood someone's inbox.
        // Over the limit the answer stays the same; the email is just not sent.
        let key = format!("forgot:{}", sha256_hex(email.as_str()));
        if self
            .limiter
            .hit(&key, limits::RESET_PER_ACCOUNT)
            .await
            .is_err()
        {
            return Ok(());
        }
        let Some(user) = users::by_email(&self.db, email.as_str()).await? else {
            return Ok(());
        };
        let token = random_token();
        resets::insert(&self.db, &user.id, &sha256_hex(&token)).await?;
        let reset = mail::Reset {
            link: self.link(&format!("/reset/{token}")),
        };
        self.queue_mail(&user.email, &reset).await?;
        // Never the link: it is as good as the password for 30 minutes.
        tracing::info!(user_id = %user.id, "password reset email queued");
        Ok(())
    }

    /// Queues the "confirm your email" message through the email stand-in.
    async fn send_verification(&self, user: &users::User) -> Result<(), AuthError> {
        self.send_verification_with(user, None).await
    }

    /// [`Self::send_verification`] with the password hash its link sets on use.
    async fn send_verification_with(
        &self,
        user: &users::User,
        password_hash: Option<&str>,
    ) -> Result<(), AuthError> {
        let token = random_token();
        resets::insert_verification(&self.db, &user.id, &sha256_hex(&token), password_hash).await?;
        let verify = mail::Verify {
            link: self.link(&format!("/verify/{token}")),
        };
        self.queue_mail(&user.email, &verify).await?;
        tracing::info!(user_id = %user.id, "verification email queued");
        Ok(())
    }

    /// Uses a confirmation link: verifies the address and activates the account.
    pub async fn verify_email(&self, token: &str) -> Result<(), AuthError> {
        let user_id = resets::verify_email(&self.db, &sha256_hex(token))
            .await?
            .ok_or(AuthError::InvalidToken)?;
        if let Some(mut user) = users::by_id(&self.db, &user_id).await? {
            self.founder_role_if_verified(&mut user).await?;
        }
        Ok(())
    }

    /// Uses a confirmation link and signs its owner in (the link went to the address, so
    /// following it proves the address as a password would): the same answer as a login,
    /// including the second step when two-factor is on.
    pub async fn confirm(&self, token: &str) -> Result<LoginOutcome, AuthError> {
        let user_id = resets::verify_email(&self.db, &sha256_hex(token))
            .await?
            .ok_or(AuthError::InvalidToken)?;
        let mut user = users::by_id(&self.db, &user_id)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        if user.disabled {
            return Err(AuthError::AccountDisabled);
        }
        tracing::info!(user_id = %user.id, "email confirmed; account active");
        // Following the link is a sign-in: the same role rule as `login`.
        self.founder_role_if_verified(&mut user).await?;
        if totp::get(&self.db, &user.id)
            .await?
            .is_some_and(|t| t.enabled == 1)
        {
            return Ok(LoginOutcome::MfaRequired {
                mfa_token: self.mfa_token(&user)?,
            });
        }
        Ok(LoginOutcome::Tokens(self.start_session(&user).await?))
    }

    pub async fn reset_token_is_usable(&self, token: &str) -> Result<bool, AuthError> {
        Ok(resets::user_for(&self.db, &sha256_hex(token))
            .await?
            .is_some())
    }

    pub async fn reset_password(&self, token: &str, new: &str) -> Result<(), AuthError> {
        let token_hash = sha256_hex(token);
        let user_id = resets::user_for(&self.db, &token_hash)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        let user = users::by_id(&self.db, &user_id)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        // Check the new password before using up the token, so a weak choice can be retried.
        let new = Password::parse(new, "new_password", &[user.email.as_str()])?;
        if resets::consume(&self.db, &token_hash).await?.as_deref() != Some(user.id.as_str()) {
            return Err(AuthError::InvalidToken);
        }
        let hash = secrets::hash_password(new.expose().to_owned()).await?;
        // The link went to the address: a never-confirmed account is confirmed by using it.
        let mut conn = self.db.acquire().await?;
        users::activate(&mut conn, &user.id).await?;
        drop(conn);
        self.set_password_everywhere(&user.id, &hash, None).await?;
        self.tell_password_changed(&user.email).await?;
        // The reset proved the mailbox: the owner starts with a clean slate even if a
        // distributed attack had filled the account's ceiling.
        self.clear_password_guesses(&user.email).await
    }
}

fn now_secs() -> i64 {
    shared::ids::now_ms() / 1000
}

/// Resolves API keys against auth's own table for every service in this process.
pub struct KeyResolver {
    pub db: AnyPool,
}

impl ApiKeyResolver for KeyResolver {
    fn resolve<'a>(
        &'a self,
        key: &'a str,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Option<Principal>, ApiError>> + Send + 'a>,
    > {
        Box::pin(async move {
            let owner = api_keys::resolve(&self.db, &sha256_hex(key))
                .await
                .map_err(ApiError::from)?;
            Ok(owner.map(|o| Principal {
                user_id: o.user_id,
                role: o.role,
                scopes: o.scopes.iter().filter_map(|s| Scope::parse(s)).collect(),
                via: Via::ApiKey { key_id: o.key_id },
            }))
        })
    }
}
