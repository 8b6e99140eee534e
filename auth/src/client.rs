//! The typed client other services (and the web pages) use to ask auth things, in-process or
//! over HTTP. Same routes and JSON as any remote caller: nothing here touches auth's tables.

use axum::http::{HeaderMap, HeaderValue, Method, header};
use shared::client::{ClientError, ServiceClient, bearer};

pub use crate::contract::{
    AdminUser, AdminWaitlistEntry, ApiKeyInfo, CurrentUser, Invite as AdminInvite, SessionAnswer,
    SessionView as SessionInfo, TotpSetup as TotpSetupInfo,
};
use crate::contract::{
    ApiKeyList, Approved, ChangeEmailBody, ChangePasswordBody, CodeBody, ConfirmBody,
    CreateInvites, CreateKeyBody, DeleteAccountBody, EmailBody, ForgotBody, InviteCodes, LoginBody,
    MfaBody, RefreshBody, ResetBody, Sessions, SignupBody, TokenBody, TotpEnabled, UserBody,
};

/// The device a person signs in from, as the web knows it: its long-lived device cookie and the
/// browser's user agent. Never an address.
#[derive(Debug, Clone, Default)]
pub struct DeviceHint {
    pub id: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Clone)]
pub struct AuthClient {
    inner: ServiceClient,
}

impl AuthClient {
    pub fn new(inner: ServiceClient) -> Self {
        Self { inner }
    }

    /// The user behind an `Authorization` header value (a bearer token or API key).
    pub async fn me(
        &self,
        authorization: Option<&HeaderValue>,
    ) -> Result<CurrentUser, ClientError> {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(header::AUTHORIZATION, value.clone());
        }
        self.inner.get("/api/v1/auth/me", headers).await
    }

    pub async fn me_with(&self, access_token: &str) -> Result<CurrentUser, ClientError> {
        self.inner
            .get("/api/v1/auth/me", bearer(access_token))
            .await
    }

    pub async fn signup(
        &self,
        email: &str,
        password: &str,
        invite_code: Option<&str>,
        attribution: &crate::domain::Attribution,
    ) -> Result<SessionAnswer, ClientError> {
        let body = SignupBody {
            email: email.to_owned(),
            password: password.to_owned(),
            invite_code: invite_code.map(str::to_owned),
            utm_source: attribution.utm_source.clone(),
            referrer: attribution.referrer.clone(),
        };
        self.inner
            .post("/api/v1/auth/signup", HeaderMap::new(), &body)
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Result<SessionAnswer, ClientError> {
        self.login_from(email, password, &DeviceHint::default())
            .await
    }

    /// [`Self::login`] for someone on a device (the web's device cookie and the browser's user
    /// agent), so auth can tell its owner about sign-ins from new devices.
    pub async fn login_from(
        &self,
        email: &str,
        password: &str,
        device: &DeviceHint,
    ) -> Result<SessionAnswer, ClientError> {
        let body = LoginBody {
            email: email.to_owned(),
            password: password.to_owned(),
            device_id: device.id.clone(),
            user_agent: device.user_agent.clone(),
        };
        self.inner
            .post("/api/v1/auth/login", HeaderMap::new(), &body)
            .await
    }

    pub async fn login_mfa(
        &self,
        mfa_token: &str,
        code: &str,
    ) -> Result<SessionAnswer, ClientError> {
        self.login_mfa_from(mfa_token, code, &DeviceHint::default())
            .await
    }

    pub async fn login_mfa_from(
        &self,
        mfa_token: &str,
        code: &str,
        device: &DeviceHint,
    ) -> Result<SessionAnswer, ClientError> {
        let body = MfaBody {
            mfa_token: mfa_token.to_owned(),
            code: code.to_owned(),
            device_id: device.id.clone(),
            user_agent: device.user_agent.clone(),
        };
        self.inner
            .post("/api/v1/auth/login/mfa", HeaderMap::new(), &body)
            .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<SessionAnswer, ClientError> {
        let body = RefreshBody {
            refresh_token: refresh_token.to_owned(),
        };
        self.inner
            .post("/api/v1/auth/refresh", HeaderMap::new(), &body)
            .await
    }

    pub async fn logout(&self, access_token: &str) -> Result<(), ClientError> {
        self.inner
            .post_empty("/api/v1/auth/logout", bearer(access_token))
            .await
    }

    pub async fn change_password(
        &self,
        access_token: &str,
        current: &str,
        new: &str,
    ) -> Result<(), ClientError> {
        let body = ChangePasswordBody {
            current_password: current.to_owned(),
            new_password: new.to_owned(),
        };
        self.inner
            .post_call("/api/v1/auth/password", bearer(access_token), &body)
            .await
    }

    pub async fn verify_email(&self, token: &str) -> Result<(), ClientError> {
        self.use_link("/api/v1/auth/verify-email", token).await
    }

    /// Uses a sign-up's confirmation link: activates, verifies and signs in (tokens, or the
    /// second step when two-factor is on).
    pub async fn confirm(
        &self,
        token: &str,
        device: &DeviceHint,
    ) -> Result<SessionAnswer, ClientError> {
        let body = ConfirmBody {
            token: token.to_owned(),
            device_id: device.id.clone(),
            user_agent: device.user_agent.clone(),
        };
        self.inner
            .post("/api/v1/auth/verify", HeaderMap::new(), &body)
            .await
    }

    pub async fn forgot_password(&self, email: &str) -> Result<(), ClientError> {
        let body = ForgotBody {
            email: email.to_owned(),
        };
        self.inner
            .post_call("/api/v1/auth/password/forgot", HeaderMap::new(), &body)
            .await
    }

    /// Whether a reset link is still usable.
    pub async fn reset_token_usable(&self, token: &str) -> Result<bool, ClientError> {
        if token.is_empty()
            || !token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Ok(false);
        }
        let path = format!("/api/v1/auth/password/reset/{token}");
        match self
            .inner
            .call(Method::GET, &path, HeaderMap::new(), None::<&()>)
            .await
        {
            Ok(()) => Ok(true),
            Err(ClientError::Api { .. }) => Ok(false),
            Err(other) => Err(other),
        }
    }

    pub async fn reset_password(&self, token: &str, new: &str) -> Result<(), ClientError> {
        let body = ResetBody {
            token: token.to_owned(),
            new_password: new.to_owned(),
        };
        self.inner
            .post_call("/api/v1/auth/password/reset", HeaderMap::new(), &body)
            .await
    }

    pub async fn api_keys(&self, access_token: &str) -> Result<Vec<ApiKeyInfo>, ClientError> {
        let list: ApiKeyList = self
            .inner
            .get("/api/v1/auth/api-keys", bearer(access_token))
            .await?;
        Ok(list.api_keys)
    }

    pub async fn create_api_key(
        &self,
        access_token: &str,
        name: &str,
        scopes: Option<Vec<String>>,
    ) -> Result<ApiKeyInfo, ClientError> {
        let body = CreateKeyBody {
            name: name.to_owned(),
            scopes,
        };
        self.inner
            .post("/api/v1/auth/api-keys", bearer(access_token), &body)
            .await
    }

    pub async fn delete_api_key(&self, access_token: &str, id: &str) -> Result<(), ClientError> {
        let path = format!("/api/v1/auth/api-keys/{}", id_segment(id));
        self.inner.delete(&path, bearer(access_token)).await
    }

    pub async fn export(&self, access_token: &str) -> Result<serde_json::Value, ClientError> {
        self.inner
            .get("/api/v1/auth/me/export", bearer(access_token))
            .await
    }

    pub async fn delete_account(
        &self,
        access_token: &str,
        password: &str,
        confirm: &str,
    ) -> Result<(), ClientError> {
        let body = DeleteAccountBody {
            password: password.to_owned(),
            confirm: confirm.to_owned(),
        };
        self.inner
            .call(
                Method::DELETE,
                "/api/v1/auth/me",
                bearer(access_token),
                Some(&body),
            )
            .await
    }

    pub async fn totp_setup(&self, access_token: &str) -> Result<TotpSetupInfo, ClientError> {
        self.inner
            .post(
                "/api/v1/auth/2fa/setup",
                bearer(access_token),
                &serde_json::json!({}),
            )
            .await
    }

    /// Turns the pending second factor on; answers the one-time recovery codes.
    pub async fn totp_enable(
        &self,
        access_token: &str,
        code: &str,
    ) -> Result<Vec<String>, ClientError> {
        let body = CodeBody {
            code: code.to_owned(),
        };
        let enabled: TotpEnabled = self
            .inner
            .post("/api/v1/auth/2fa/enable", bearer(access_token), &body)
            .await?;
        Ok(enabled.recovery_codes)
    }

    pub async fn totp_disable(&self, access_token: &str, code: &str) -> Result<(), ClientError> {
        let body = CodeBody {
            code: code.to_owned(),
        };
        self.inner
            .post_call("/api/v1/auth/2fa/disable", bearer(access_token), &body)
            .await
    }

    /// The pending second factor again (same secret), after a mistyped code.
    pub async fn totp_pending(&self, access_token: &str) -> Result<TotpSetupInfo, ClientError> {
        self.inner
            .get("/api/v1/auth/2fa/setup", bearer(access_token))
            .await
    }

    /// The caller's signed-in sessions, most recently used first.
    pub async fn sessions(&self, access_token: &str) -> Result<Vec<SessionInfo>, ClientError> {
        let list: Sessions = self
            .inner
            .get("/api/v1/auth/sessions", bearer(access_token))
            .await?;
        Ok(list.sessions)
    }

    pub async fn revoke_session(&self, access_token: &str, id: &str) -> Result<(), ClientError> {
        let path = format!("/api/v1/auth/sessions/{}", id_segment(id));
        self.inner.delete(&path, bearer(access_token)).await
    }

    pub async fn revoke_other_sessions(&self, access_token: &str) -> Result<(), ClientError> {
        self.inner
            .post_empty("/api/v1/auth/sessions/revoke-others", bearer(access_token))
            .await
    }

    /// Sends a confirmation link to `new_email`; the address changes only when it is used.
    pub async fn change_email(
        &self,
        access_token: &str,
        new_email: &str,
        password: &str,
    ) -> Result<(), ClientError> {
        let body = ChangeEmailBody {
            new_email: new_email.to_owned(),
            password: password.to_owned(),
        };
        self.inner
            .post_call("/api/v1/auth/me/email", bearer(access_token), &body)
            .await
    }

    pub async fn confirm_email_change(&self, token: &str) -> Result<(), ClientError> {
        self.use_link("/api/v1/auth/me/email/confirm", token).await
    }
}

impl AuthClient {
    /// Uses the token of an emailed link at `path`: no session, the token is the proof.
    async fn use_link(&self, path: &str, token: &str) -> Result<(), ClientError> {
        let body = TokenBody {
            token: token.to_owned(),
        };
        self.inner.post_call(path, HeaderMap::new(), &body).await
    }
}

/// The founder's calls (`/api/v1/auth/admin/*`); a non-founder's token gets `NotFound`.
impl AuthClient {
    pub async fn admin_users(&self, token: &str) -> Result<Vec<AdminUser>, ClientError> {
        self.inner
            .get("/api/v1/auth/admin/users", bearer(token))
            .await
    }

    pub async fn admin_waitlist(
        &self,
        token: &str,
    ) -> Result<Vec<AdminWaitlistEntry>, ClientError> {
        self.inner
            .get("/api/v1/auth/admin/waitlist", bearer(token))
            .await
    }

    /// Approves a pending entry; answers the invite code issued for it.
    pub async fn admin_approve(&self, token: &str, email: &str) -> Result<String, ClientError> {
        let body = EmailBody {
            email: email.to_owned(),
        };
        let issued: Approved = self
            .inner
            .post("/api/v1/auth/admin/waitlist/approve", bearer(token), &body)
            .await?;
        Ok(issued.invite_code)
    }

    pub async fn admin_reject(&self, token: &str, email: &str) -> Result<(), ClientError> {
        let body = EmailBody {
            email: email.to_owned(),
        };
        self.inner
            .post_call("/api/v1/auth/admin/waitlist/reject", bearer(token), &body)
            .await
    }

    /// Disables an account: no more logins, its sessions end, its codes show the disabled page.
    pub async fn admin_disable_user(&self, token: &str, user_id: &str) -> Result<(), ClientError> {
        let body = UserBody {
            user_id: user_id.to_owned(),
        };
        self.inner
            .post_call("/api/v1/auth/admin/users/disable", bearer(token), &body)
            .await
    }

    pub async fn admin_enable_user(&self, token: &str, user_id: &str) -> Result<(), ClientError> {
        let body = UserBody {
            user_id: user_id.to_owned(),
        };
        self.inner
            .post_call("/api/v1/auth/admin/users/enable", bearer(token), &body)
            .await
    }

    pub async fn admin_invites(&self, token: &str) -> Result<Vec<AdminInvite>, ClientError> {
        self.inner
            .get("/api/v1/auth/admin/invites", bearer(token))
            .await
    }

    pub async fn admin_create_invites(
        &self,
        token: &str,
        count: usize,
        label: Option<&str>,
    ) -> Result<Vec<String>, ClientError> {
        let body = CreateInvites {
            count,
            label: label.map(str::to_owned),
            email: None,
        };
        let created: InviteCodes = self
            .inner
            .post("/api/v1/auth/admin/invites", bearer(token), &body)
            .await?;
        Ok(created.codes)
    }
}

/// Ids are ours (letters, digits, dashes): anything else cannot be one, and must not reach the
/// path.
fn id_segment(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}
