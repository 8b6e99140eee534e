//! The typed client other services (and the web pages) use to ask auth things, in-process or
//! over HTTP. Same routes and JSON as any remote caller: nothing here touches auth's tables.

use axum::http::{HeaderMap, HeaderValue, Method, header};
use serde::{Deserialize, Serialize};
use shared::client::{ClientError, ServiceClient, bearer};

/// Who a request is from, as `GET /api/v1/auth/me` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: String,
    pub email: String,
    pub role: String,
    pub created_at: i64,
    #[serde(default)]
    pub email_verified: bool,
    #[serde(default)]
    pub two_factor_enabled: bool,
}

/// A pending second factor: scan the QR code (or type the secret), then confirm with a code.
#[derive(Debug, Clone, Deserialize)]
pub struct TotpSetupInfo {
    pub secret: String,
    pub otpauth_url: String,
    /// SVG markup made by auth from the otpauth URL (no user-supplied text in it).
    pub qr_svg: String,
}

#[derive(Deserialize)]
struct TotpEnabled {
    recovery_codes: Vec<String>,
}

/// What signup, login, confirmation and refresh answer. Exactly one of: a token pair,
/// `status` (`check_email` or `waitlisted`, from signup), or `mfa_required` with its `mfa_token`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SessionAnswer {
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub waitlisted: bool,
    /// Signup's answer: `check_email` or `waitlisted`.
    pub status: Option<String>,
    #[serde(default)]
    pub mfa_required: bool,
    pub mfa_token: Option<String>,
}

/// The device a person signs in from, as the web knows it: its long-lived device cookie and the
/// browser's user agent. Never an address.
#[derive(Debug, Clone, Default)]
pub struct DeviceHint {
    pub id: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ApiKeyInfo {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// Only in the answer to creation.
    pub key: Option<String>,
}

#[derive(Deserialize)]
struct ApiKeyList {
    api_keys: Vec<ApiKeyInfo>,
}

/// One signed-in session, as `GET /api/v1/auth/sessions` lists it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SessionInfo {
    pub id: String,
    pub current: bool,
    pub created_at: i64,
    pub last_used_at: i64,
    pub device: String,
}

#[derive(Deserialize)]
struct SessionList {
    sessions: Vec<SessionInfo>,
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
        self.inner
            .json(Method::GET, "/api/v1/auth/me", headers, None::<&()>)
            .await
    }

    pub async fn me_with(&self, access_token: &str) -> Result<CurrentUser, ClientError> {
        self.inner
            .json(
                Method::GET,
                "/api/v1/auth/me",
                bearer(access_token),
                None::<&()>,
            )
            .await
    }

    pub async fn signup(
        &self,
        email: &str,
        password: &str,
        invite_code: Option<&str>,
        attribution: &crate::domain::Attribution,
    ) -> Result<SessionAnswer, ClientError> {
        let body = serde_json::json!({
            "email": email,
            "password": password,
            "invite_code": invite_code,
            "utm_source": attribution.utm_source,
            "referrer": attribution.referrer,
        });
        self.inner
            .json(
                Method::POST,
                "/api/v1/auth/signup",
                HeaderMap::new(),
                Some(&body),
            )
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
        let body = serde_json::json!({
            "email": email,
            "password": password,
            "device_id": device.id,
            "user_agent": device.user_agent,
        });
        self.inner
            .json(
                Method::POST,
                "/api/v1/auth/login",
                HeaderMap::new(),
                Some(&body),
            )
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
        let body = serde_json::json!({
            "mfa_token": mfa_token,
            "code": code,
            "device_id": device.id,
            "user_agent": device.user_agent,
        });
        self.inner
            .json(
                Method::POST,
                "/api/v1/auth/login/mfa",
                HeaderMap::new(),
                Some(&body),
            )
            .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<SessionAnswer, ClientError> {
        let body = serde_json::json!({"refresh_token": refresh_token});
        self.inner
            .json(
                Method::POST,
                "/api/v1/auth/refresh",
                HeaderMap::new(),
                Some(&body),
            )
            .await
    }

    pub async fn logout(&self, access_token: &str) -> Result<(), ClientError> {
        self.no_content(
            Method::POST,
            "/api/v1/auth/logout",
            bearer(access_token),
            None,
        )
        .await
    }

    pub async fn change_password(
        &self,
        access_token: &str,
        current: &str,
        new: &str,
    ) -> Result<(), ClientError> {
        let body = serde_json::json!({"current_password": current, "new_password": new});
        self.no_content(
            Method::POST,
            "/api/v1/auth/password",
            bearer(access_token),
            Some(body),
        )
        .await
    }

    pub async fn verify_email(&self, token: &str) -> Result<(), ClientError> {
        let body = serde_json::json!({"token": token});
        self.no_content(
            Method::POST,
            "/api/v1/auth/verify-email",
            HeaderMap::new(),
            Some(body),
        )
        .await
    }

    /// Uses a sign-up's confirmation link: activates, verifies and signs in (tokens, or the
    /// second step when two-factor is on).
    pub async fn confirm(
        &self,
        token: &str,
        device: &DeviceHint,
    ) -> Result<SessionAnswer, ClientError> {
        let body = serde_json::json!({
            "token": token,
            "device_id": device.id,
            "user_agent": device.user_agent,
        });
        self.inner
            .json(
                Method::POST,
                "/api/v1/auth/verify",
                HeaderMap::new(),
                Some(&body),
            )
            .await
    }

    pub async fn forgot_password(&self, email: &str) -> Result<(), ClientError> {
        let body = serde_json::json!({"email": email});
        self.no_content(
            Method::POST,
            "/api/v1/auth/password/forgot",
            HeaderMap::new(),
            Some(body),
        )
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
            .no_content(Method::GET, &path, HeaderMap::new(), None)
            .await
        {
            Ok(()) => Ok(true),
            Err(ClientError::Api { .. }) => Ok(false),
            Err(other) => Err(other),
        }
    }

    pub async fn reset_password(&self, token: &str, new: &str) -> Result<(), ClientError> {
        let body = serde_json::json!({"token": token, "new_password": new});
        self.no_content(
            Method::POST,
            "/api/v1/auth/password/reset",
            HeaderMap::new(),
            Some(body),
        )
        .await
    }

    pub async fn api_keys(&self, access_token: &str) -> Result<Vec<ApiKeyInfo>, ClientError> {
        let list: ApiKeyList = self
            .inner
            .json(
                Method::GET,
                "/api/v1/auth/api-keys",
                bearer(access_token),
                None::<&()>,
            )
            .await?;
        Ok(list.api_keys)
    }

    pub async fn create_api_key(
        &self,
        access_token: &str,
        name: &str,
        scopes: Option<Vec<String>>,
    ) -> Result<ApiKeyInfo, ClientError> {
        let body = serde_json::json!({"name": name, "scopes": scopes});
        self.inner
            .json(
                Method::POST,
                "/api/v1/auth/api-keys",
                bearer(access_token),
                Some(&body),
            )
            .await
    }

    pub async fn delete_api_key(&self, access_token: &str, id: &str) -> Result<(), ClientError> {
        let id: String = id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        let path = format!("/api/v1/auth/api-keys/{id}");
        self.no_content(Method::DELETE, &path, bearer(access_token), None)
            .await
    }

    pub async fn export(&self, access_token: &str) -> Result<serde_json::Value, ClientError> {
        self.inner
            .json(
                Method::GET,
                "/api/v1/auth/me/export",
                bearer(access_token),
                None::<&()>,
            )
            .await
    }

    pub async fn delete_account(
        &self,
        access_token: &str,
        password: &str,
        confirm: &str,
    ) -> Result<(), ClientError> {
        let body = serde_json::json!({"password": password, "confirm": confirm});
        self.no_content(
            Method::DELETE,
            "/api/v1/auth/me",
            bearer(access_token),
            Some(body),
        )
        .await
    }

    pub async fn totp_setup(&self, access_token: &str) -> Result<TotpSetupInfo, ClientError> {
        self.inner
            .json(
                Method::POST,
                "/api/v1/auth/2fa/setup",
                bearer(access_token),
                Some(&serde_json::json!({})),
            )
            .await
    }

    /// Turns the pending second factor on; answers the one-time recovery codes.
    pub async fn totp_enable(
        &self,
        access_token: &str,
        code: &str,
    ) -> Result<Vec<String>, ClientError> {
        let body = serde_json::json!({"code": code});
        let enabled: TotpEnabled = self
            .inner
            .json(
                Method::POST,
                "/api/v1/auth/2fa/enable",
                bearer(access_token),
                Some(&body),
            )
            .await?;
        Ok(enabled.recovery_codes)
    }

    pub async fn totp_disable(&self, access_token: &str, code: &str) -> Result<(), ClientError> {
        let body = serde_json::json!({"code": code});
        self.no_content(
            Method::POST,
            "/api/v1/auth/2fa/disable",
            bearer(access_token),
            Some(body),
        )
        .await
    }

    /// The pending second factor again (same secret), after a mistyped code.
    pub async fn totp_pending(&self, access_token: &str) -> Result<TotpSetupInfo, ClientError> {
        self.inner
            .json(
                Method::GET,
                "/api/v1/auth/2fa/setup",
                bearer(access_token),
                None::<&()>,
            )
            .await
    }

    /// The caller's signed-in sessions, most recently used first.
    pub async fn sessions(&self, access_token: &str) -> Result<Vec<SessionInfo>, ClientError> {
        let list: SessionList = self
            .inner
            .json(
                Method::GET,
                "/api/v1/auth/sessions",
                bearer(access_token),
                None::<&()>,
            )
            .await?;
        Ok(list.sessions)
    }

    pub async fn revoke_session(&self, access_token: &str, id: &str) -> Result<(), ClientError> {
        // Ids are ours (letters, digits, dashes): anything else cannot be one, and must not
        // reach the path.
        let id: String = id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        let path = format!("/api/v1/auth/sessions/{id}");
        self.no_content(Method::DELETE, &path, bearer(access_token), None)
            .await
    }

    pub async fn revoke_other_sessions(&self, access_token: &str) -> Result<(), ClientError> {
        let answer = self
            .inner
            .send(
                Method::POST,
                "/api/v1/auth/sessions/revoke-others",
                bearer(access_token),
                None,
            )
            .await?;
        if answer.status.is_success() {
            return Ok(());
        }
        self.inner.decode::<serde_json::Value>(answer).map(|_| ())
    }

    /// Sends a confirmation link to `new_email`; the address changes only when it is used.
    pub async fn change_email(
        &self,
        access_token: &str,
        new_email: &str,
        password: &str,
    ) -> Result<(), ClientError> {
        let body = serde_json::json!({"new_email": new_email, "password": password});
        self.no_content(
            Method::POST,
            "/api/v1/auth/me/email",
            bearer(access_token),
            Some(body),
        )
        .await
    }

    pub async fn confirm_email_change(&self, token: &str) -> Result<(), ClientError> {
        let body = serde_json::json!({"token": token});
        self.no_content(
            Method::POST,
            "/api/v1/auth/me/email/confirm",
            HeaderMap::new(),
            Some(body),
        )
        .await
    }

    /// A call answered `204 No Content` on success.
    async fn no_content(
        &self,
        method: Method,
        path: &str,
        mut headers: HeaderMap,
        body: Option<serde_json::Value>,
    ) -> Result<(), ClientError> {
        let body = body.map(|b| {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            bytes::Bytes::from(b.to_string())
        });
        let answer = self.inner.send(method, path, headers, body).await?;
        if answer.status.is_success() {
            return Ok(());
        }
        self.inner.decode::<serde_json::Value>(answer).map(|_| ())
    }
}

/// One account in the founder's console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUser {
    pub id: String,
    pub email: String,
    pub role: String,
    pub created_at: i64,
    pub source: String,
    pub invite_code: Option<String>,
    pub email_verified: bool,
    pub demo: bool,
    /// The founder disabled the account.
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminWaitlistEntry {
    pub email: String,
    pub created_at: i64,
    pub invite_code: Option<String>,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminInvite {
    pub code: String,
    pub label: Option<String>,
    pub created_at: i64,
    pub used_by_email: Option<String>,
    pub used_at: Option<i64>,
}

#[derive(Deserialize)]
struct InviteCodes {
    codes: Vec<String>,
}

#[derive(Deserialize)]
struct IssuedInvite {
    invite_code: String,
}

/// The founder's calls (`/api/v1/auth/admin/*`); a non-founder's token gets `NotFound`.
impl AuthClient {
    pub async fn admin_users(&self, token: &str) -> Result<Vec<AdminUser>, ClientError> {
        self.inner
            .json(
                Method::GET,
                "/api/v1/auth/admin/users",
                bearer(token),
                None::<&()>,
            )
            .await
    }

    pub async fn admin_waitlist(
        &self,
        token: &str,
    ) -> Result<Vec<AdminWaitlistEntry>, ClientError> {
        self.inner
            .json(
                Method::GET,
                "/api/v1/auth/admin/waitlist",
                bearer(token),
                None::<&()>,
            )
            .await
    }

    /// Approves a pending entry; answers the invite code issued for it.
    pub async fn admin_approve(&self, token: &str, email: &str) -> Result<String, ClientError> {
        let body = serde_json::json!({ "email": email });
        let issued: IssuedInvite = self
            .inner
            .json(
                Method::POST,
                "/api/v1/auth/admin/waitlist/approve",
                bearer(token),
                Some(&body),
            )
            .await?;
        Ok(issued.invite_code)
    }

    pub async fn admin_reject(&self, token: &str, email: &str) -> Result<(), ClientError> {
        let body = serde_json::json!({ "email": email });
        self.inner
            .call(
                Method::POST,
                "/api/v1/auth/admin/waitlist/reject",
                bearer(token),
                Some(&body),
            )
            .await
    }

    /// Disables an account: no more logins, its sessions end, its codes show the disabled page.
    pub async fn admin_disable_user(&self, token: &str, user_id: &str) -> Result<(), ClientError> {
        let body = serde_json::json!({ "user_id": user_id });
        self.inner
            .call(
                Method::POST,
                "/api/v1/auth/admin/users/disable",
                bearer(token),
                Some(&body),
            )
            .await
    }

    pub async fn admin_enable_user(&self, token: &str, user_id: &str) -> Result<(), ClientError> {
        let body = serde_json::json!({ "user_id": user_id });
        self.inner
            .call(
                Method::POST,
                "/api/v1/auth/admin/users/enable",
                bearer(token),
                Some(&body),
            )
            .await
    }

    pub async fn admin_invites(&self, token: &str) -> Result<Vec<AdminInvite>, ClientError> {
        self.inner
            .json(
                Method::GET,
                "/api/v1/auth/admin/invites",
                bearer(token),
                None::<&()>,
            )
            .await
    }

    pub async fn admin_create_invites(
        &self,
        token: &str,
        count: usize,
        label: Option<&str>,
    ) -> Result<Vec<String>, ClientError> {
        let body = serde_json::json!({ "count": count, "label": label });
        let created: InviteCodes = self
            .inner
            .json(
                Method::POST,
                "/api/v1/auth/admin/invites",
                bearer(token),
                Some(&body),
            )
            .await?;
        Ok(created.codes)
    }
}
