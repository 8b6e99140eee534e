//! auth's wire: what its routes take and answer, in one place. The routes deserialise these
//! requests and serialise these answers; [`AuthClient`](crate::client::AuthClient) serialises
//! the same requests and reads the same answers, so the two cannot drift apart.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use crate::service::{SessionView, Tokens, TotpSetup, UserView};
pub use crate::store::api_keys::ApiKey;
pub use crate::store::gate::Invite;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignupBody {
    pub email: String,
    pub password: String,
    pub invite_code: Option<String>,
    pub utm_source: Option<String>,
    pub referrer: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginBody {
    pub email: String,
    pub password: String,
    /// A long-lived random identifier of the caller's device (the web's device cookie), so a
    /// sign-in from a new device can be mailed about. Optional.
    pub device_id: Option<String>,
    /// The user agent to describe the device by, when the caller signs in on someone's behalf.
    pub user_agent: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MfaBody {
    pub mfa_token: String,
    pub code: String,
    pub device_id: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RefreshBody {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeleteAccountBody {
    pub password: String,
    /// The phrase `delete my account`, typed by the user (case does not matter).
    #[serde(default)]
    #[schema(example = "delete my account")]
    pub confirm: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangePasswordBody {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ForgotBody {
    pub email: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenBody {
    pub token: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConfirmBody {
    /// The token from the confirmation link `{PUBLIC_BASE_URL}/verify/{token}`.
    pub token: String,
    pub device_id: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResetBody {
    pub token: String,
    pub new_password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreateKeyBody {
    pub name: String,
    /// Any of `qr:read`, `qr:write`, `microsites:read`, `microsites:write`, `analytics:read`,
    /// `account:read`. Left out: all of them but `account:read`, which is only given by name.
    pub scopes: Option<Vec<String>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CodeBody {
    pub code: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangeEmailBody {
    pub new_email: String,
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Sessions {
    pub sessions: Vec<SessionView>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Revoked {
    pub revoked: usize,
}

/// What `login` answers: tokens, or the second step's token (only describes the wire: the
/// handler answers one of the two directly). Callers read it (and signup's
/// answer) as a [`SessionAnswer`].
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginAnswer {
    Tokens(Tokens),
    MfaRequired(MfaRequired),
}

/// What a valid `signup` answers, the same for every address of one mode.
#[derive(Serialize, ToSchema)]
pub struct SignupAnswer {
    /// `check_email`, or `waitlisted` (`SIGNUP_MODE=waitlist` without an invite code).
    pub status: &'static str,
    pub waitlisted: bool,
    pub message: &'static str,
}

/// `login` for an account with two-factor on: finish at `/api/v1/auth/login/mfa`.
#[derive(Serialize, ToSchema)]
pub struct MfaRequired {
    pub mfa_required: bool,
    pub mfa_token: String,
}

/// What signup, login, confirmation and refresh answer ([`SignupAnswer`], [`LoginAnswer`],
/// [`Tokens`]) as a caller reads them. Exactly one of: a token pair, `status` (`check_email` or
/// `waitlisted`, from signup), or `mfa_required` with its `mfa_token`.
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

/// [`UserView`] as a caller reads it, the role as text (`user`, `founder`).
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

/// A new API key: its listing fields and the secret `key`, shown this once.
#[derive(Serialize, ToSchema)]
pub struct ApiKeyCreated {
    #[serde(flatten)]
    pub info: ApiKey,
    pub key: String,
}

#[derive(Serialize, ToSchema)]
pub struct ApiKeys {
    pub api_keys: Vec<ApiKey>,
}

/// An [`ApiKey`] as a caller reads it, from a listing ([`ApiKeys`]) or a creation
/// ([`ApiKeyCreated`], the only answer with `key`).
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

/// [`ApiKeys`] as a caller reads it.
#[derive(Deserialize)]
pub struct ApiKeyList {
    pub api_keys: Vec<ApiKeyInfo>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TotpEnabled {
    pub enabled: bool,
    pub recovery_codes: Vec<String>,
}

// The founder's console (`/api/v1/auth/admin/*`).

/// One account in the founder's console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

/// One waitlist entry with its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AdminWaitlistEntry {
    pub email: String,
    pub created_at: i64,
    pub invite_code: Option<String>,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserBody {
    pub user_id: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EmailBody {
    pub email: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreateInvites {
    #[schema(minimum = 1, maximum = 500)]
    #[serde(default = "one")]
    pub count: usize,
    pub label: Option<String>,
    /// Invite this person: one code, emailed to them with a sign-up link (`count` must be 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

fn one() -> usize {
    1
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Approved {
    /// The invite code emailed to the approved address.
    pub invite_code: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InviteCodes {
    pub codes: Vec<String>,
}
