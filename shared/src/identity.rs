//! Who is calling: access-token verification that every service does locally (only auth mints
//! tokens; everyone else holds just the public key), the revoked-session list, and the
//! [`Principal`] extractor that accepts a bearer JWT, a bearer API key or the access-token cookie.
//!
//! Tokens are EdDSA (Ed25519) JWTs. Verification pins the algorithm, issuer and audience, so
//! `alg: none`, HMAC-with-the-public-key ("key confusion") and tokens minted for another audience
//! are all rejected before any claim is trusted.

use std::fmt;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::bus::{Event, EventBus, topics};
use crate::config::Settings;
use crate::error::{ApiError, Error};
use crate::shutdown::Shutdown;

/// Who signs access tokens.
pub const ISSUER: &str = "scanpage-auth";
/// Who access tokens are for: the Scanpage API (every service).
pub const AUDIENCE: &str = "scanpage-api";
/// Access tokens are short-lived so that a stolen one is worth little and revocation lists stay
/// small; the refresh token keeps the session going.
pub const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(15 * 60);
/// The browser cookie holding the access token.
pub const ACCESS_COOKIE: &str = "sp_access";
/// The browser cookie holding the refresh token.
pub const REFRESH_COOKIE: &str = "sp_refresh";
/// API keys start with this, which tells them apart from JWTs at a glance (and in secret scanners).
pub const API_KEY_PREFIX: &str = "spk_";

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub role: Role,
    /// The refresh-token family (the session) this token belongs to; revoking it ends the session.
    pub sid: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Founder,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Founder => "founder",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "user" => Some(Role::User),
            "founder" => Some(Role::Founder),
            _ => None,
        }
    }
}

/// What a caller may do. Sessions get every scope; API keys get the ones chosen at creation.
///
/// No scope implies another: `account:read` in particular is never granted by `qr:read` or by
/// holding every other scope, since the account export holds the email, every key and every
/// session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    QrRead,
    QrWrite,
    MicrositesRead,
    MicrositesWrite,
    AnalyticsRead,
    /// The account export and the list of API keys.
    AccountRead,
}

impl Scope {
    pub const ALL: [Scope; 6] = [
        Scope::QrRead,
        Scope::QrWrite,
        Scope::MicrositesRead,
        Scope::MicrositesWrite,
        Scope::AnalyticsRead,
        Scope::AccountRead,
    ];

    /// What an API key created without a list of scopes gets: everything about codes,
    /// microsites and analytics, but not the account's own data (`account:read` must be asked
    /// for by name, so a key made for a script never reads the account by accident).
    pub const KEY_DEFAULT: [Scope; 5] = [
        Scope::QrRead,
        Scope::QrWrite,
        Scope::MicrositesRead,
        Scope::MicrositesWrite,
        Scope::AnalyticsRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::QrRead => "qr:read",
            Scope::QrWrite => "qr:write",
            Scope::MicrositesRead => "microsites:read",
            Scope::MicrositesWrite => "microsites:write",
            Scope::AnalyticsRead => "analytics:read",
            Scope::AccountRead => "account:read",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    pub fn all_strings() -> Vec<String> {
        Scope::ALL.iter().map(|s| s.as_str().to_owned()).collect()
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// An access token (bearer or cookie) of the session `sid`.
    Session { sid: String },
    /// An API key.
    ApiKey { key_id: String },
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub role: Role,
    pub scopes: Vec<Scope>,
    pub via: Via,
}

impl Principal {
    /// 403 `insufficient_scope` unless the caller holds `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!("This credential lacks the '{scope}' scope."),
            ))
        }
    }

    /// Reading the account's own data (the export, the list of API keys): a session may; an API
    /// key only with the `account:read` scope. Sessions are let through by what they are rather
    /// than by their token's scope list, so tokens minted before the scope existed keep working.
    pub fn require_account_read(&self) -> Result<(), ApiError> {
        match self.via {
            Via::Session { .. } => Ok(()),
            Via::ApiKey { .. } => self.require(Scope::AccountRead),
        }
    }

    /// Account management (password, API keys, deletion) needs a real session: an API key must
    /// never be able to mint more keys or delete the account it belongs to.
    pub fn require_session(&self) -> Result<&str, ApiError> {
        match &self.via {
            Via::Session { sid } => Ok(sid),
            Via::ApiKey { .. } => Err(ApiError::forbidden(
                "API keys cannot manage the account; sign in instead.",
            )),
        }
    }

    pub fn is_founder(&self) -> bool {
        self.role == Role::Founder
    }
}

/// Looks up an API key. Auth resolves keys against its own tables; another service in split mode
/// would plug in a resolver that asks auth over its client (`GET /api/v1/auth/me`).
pub trait ApiKeyResolver: Send + Sync + 'static {
    fn resolve<'a>(
        &'a self,
        key: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Option<Principal>, ApiError>> + Send + 'a>>;
}

/// An Ed25519 key pair. Only auth ever holds one (it signs); other services get the public half.
#[derive(Clone)]
pub struct KeyPair {
    signing: ed25519_dalek::SigningKey,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyPair(kid={})", kid_of(&self.public_bytes()))
    }
}

impl KeyPair {
    pub fn generate() -> KeyPair {
        let seed: [u8; 32] = rand::random();
        KeyPair {
            signing: ed25519_dalek::SigningKey::from_bytes(&seed),
        }
    }

    pub fn from_pkcs8_pem(pem: &str) -> Result<KeyPair, Error> {
        let signing = ed25519_dalek::SigningKey::from_pkcs8_pem(pem.trim()).map_err(|_| {
            Error::Config("JWT_PRIVATE_KEY: not an Ed25519 PKCS#8 PEM private key".into())
        })?;
        Ok(KeyPair { signing })
    }

    /// `JWT_PRIVATE_KEY` in any form a platform's variable field keeps: the PEM as it is, the
    /// PEM on one line (with `\n` escapes, or with its line breaks turned into spaces), or the
    /// PEM in base64 (what `scanpage keys generate` prints).
    pub fn from_setting(value: &str) -> Result<KeyPair, Error> {
        let value = value.trim().trim_matches('"');
        let pem = if value.contains("-----BEGIN") {
            value.to_owned()
        } else {
            use base64::Engine as _;
            let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .filter(|text| text.contains("-----BEGIN"))
                .ok_or_else(|| Error::Config(KEY_FORMS.into()))?
        };
        KeyPair::from_pkcs8_pem(&normalise_pem(&pem)).map_err(|_| Error::Config(KEY_FORMS.into()))
    }

    /// The key as one line of base64 (of its PEM), for a platform's variable field.
    pub fn to_setting(&self) -> Result<String, Error> {
        use base64::Engine as _;
        Ok(base64::engine::general_purpose::STANDARD.encode(self.to_pkcs8_pem()?))
    }

    pub fn to_pkcs8_pem(&self) -> Result<String, Error> {
        self.signing
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(|e| Error::Config(format!("cannot encode the signing key: {e}")))
    }

    pub fn public_bytes(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// The key jsonwebtoken signs with (PKCS#8 DER, as its EdDSA signer expects).
    pub fn encoding_key(&self) -> Result<EncodingKey, Error> {
        let der = self
            .signing
            .to_pkcs8_der()
            .map_err(|e| Error::Config(format!("cannot encode the signing key: {e}")))?;
        Ok(EncodingKey::from_ed_der(der.as_bytes()))
    }

    /// `JWT_PRIVATE_KEY` when set; otherwise the key kept in `<data_dir>/jwt-ed25519.pem`, made on
    /// first start (all-in-one mode and single-machine setups). Mode 0600: the file is a secret.
    pub fn load_or_generate(settings: &Settings) -> Result<KeyPair, Error> {
        if let Some(pem) = settings
            .jwt_private_key
            .as_deref()
            .filter(|p| !p.is_empty())
        {
            return KeyPair::from_setting(pem);
        }
        let path = settings.data_dir.join("jwt-ed25519.pem");
        KeyPair::load_or_generate_file(&path)
    }

    pub fn load_or_generate_file(path: &Path) -> Result<KeyPair, Error> {
        match std::fs::read_to_string(path) {
            Ok(pem) => KeyPair::from_pkcs8_pem(&pem).map_err(|_| {
                Error::Config(format!("{}: not an Ed25519 PKCS#8 PEM key", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let pair = KeyPair::generate();
                write_secret_file(path, pair.to_pkcs8_pem()?.as_bytes())?;
                tracing::info!(path = %path.display(), kid = %kid_of(&pair.public_bytes()), "generated a new token signing key");
                Ok(pair)
            }
            Err(e) => Err(Error::Config(format!("{}: {e}", path.display()))),
        }
    }
}

const KEY_FORMS: &str = "JWT_PRIVATE_KEY: not an Ed25519 PKCS#8 private key; give its PEM, the PEM \
    on one line with \\n escapes, or the PEM in base64 (`scanpage keys generate` prints one)";

/// A PEM whose line breaks were lost or escaped on the way, rebuilt: its label lines, then the
/// base64 body in 64-character lines.
fn normalise_pem(pem: &str) -> String {
    let pem = pem.replace("\\r\\n", "\n").replace("\\n", "\n");
    let (Some(start), Some(end)) = (pem.find("-----BEGIN"), pem.find("-----END")) else {
        return pem;
    };
    let Some(body_start) = pem[start + 10..].find("-----").map(|i| start + 10 + i + 5) else {
        return pem;
    };
    let (Some(head), tail) = (pem.get(start..body_start), &pem[end..]) else {
        return pem;
    };
    let tail = tail.split_inclusive("-----").take(2).collect::<String>();
    let body: String = pem[body_start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .filter_map(|chunk| std::str::from_utf8(chunk).ok())
        .collect();
    format!("{head}\n{}\n{tail}\n", lines.join("\n"))
}

fn write_secret_file(path: &Path, contents: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| Error::Config(format!("{}: cannot create: {e}", path.display())))?;
    file.write_all(contents)?;
    file.sync_all()?;
    Ok(())
}

/// A public key as `JWT_PUBLIC_KEY` takes it (the JWK `x`: base64url, no padding).
pub fn public_key_setting(public: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(public)
}

/// A short, stable id of a public key (the JWK `kid`).
pub fn kid_of(public: &[u8; 32]) -> String {
    hex::encode(&Sha256::digest(public)[..8])
}

/// Why a token was refused (for logs and tests; clients always just see 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token has been revoked")]
    Revoked,
    #[error("the token is invalid: {0}")]
    Invalid(String),
}

struct Inner {
    public: [u8; 32],
    kid: String,
    decoding: DecodingKey,
    validation: Validation,
    /// Sessions ended before their access tokens expire (logout, password change, reuse). Kept
    /// as long as an access token can live: after that the tokens die on their own.
    revoked: moka::sync::Cache<String, ()>,
    api_keys: OnceLock<Arc<dyn ApiKeyResolver>>,
}

/// Token verification and the revoked-session list; cheap to clone, shared by every service in
/// the process.
#[derive(Clone)]
pub struct Identity {
    inner: Arc<Inner>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity(kid={})", self.inner.kid)
    }
}

impl Identity {
    /// Verifies tokens signed by the holder of `public` (32 raw Ed25519 bytes).
    pub fn new(public: [u8; 32]) -> Identity {
        // Pinned: only EdDSA, only our issuer and audience; exp, iat, sub required.
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Identity {
            inner: Arc::new(Inner {
                public,
                kid: kid_of(&public),
                decoding: DecodingKey::from_ed_der(&public),
                validation,
                revoked: moka::sync::Cache::builder()
                    .max_capacity(1_000_000)
                    .time_to_live(ACCESS_TOKEN_TTL + Duration::from_secs(60))
                    .build(),
                api_keys: OnceLock::new(),
            }),
        }
    }

    /// From a JWK `x` value (base64url, as served at `/.well-known/jwks.json`): split-mode
    /// services are configured with auth's public key only.
    pub fn from_jwk_x(x: &str) -> Result<Identity, Error> {
        let bytes = URL_SAFE_NO_PAD
            .decode(x.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| Error::Config("JWT_PUBLIC_KEY: not a base64url Ed25519 key".into()))?;
        Ok(Identity::new(bytes))
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.inner.public
    }

    pub fn kid(&self) -> &str {
        &self.inner.kid
    }

    /// The public key as a JWK set (`GET /.well-known/jwks.json`).
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({"keys": [{
            "kty": "OKP",
            "crv": "Ed25519",
            "alg": "EdDSA",
            "use": "sig",
            "kid": self.inner.kid,
            "x": URL_SAFE_NO_PAD.encode(self.inner.public),
        }]})
    }

    /// Checks signature, algorithm, issuer, audience, expiry and revocation.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let data =
            jsonwebtoken::decode::<Claims>(token, &self.inner.decoding, &self.inner.validation)
                .map_err(|e| match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                    other => TokenError::Invalid(format!("{other:?}")),
                })?;
        if self.inner.revoked.contains_key(&data.claims.sid) {
            return Err(TokenError::Revoked);
        }
        Ok(data.claims)
    }

    /// Ends a session everywhere this process verifies tokens.
    pub fn revoke_session(&self, sid: &str) {
        self.inner.revoked.insert(sid.to_owned(), ());
    }

    pub fn is_revoked(&self, sid: &str) -> bool {
        self.inner.revoked.contains_key(sid)
    }

    /// Ends a session here and tells every other process that verifies tokens (through the bus).
    pub fn revoke_and_announce(&self, sid: &str, bus: &EventBus) {
        self.revoke_session(sid);
        let event = Event::new(topics::SESSION_REVOKED, serde_json::json!({ "sid": sid }));
        if let Err(err) = bus.publish(event) {
            // This process already refuses the session; others catch up when its access
            // tokens expire (at most ACCESS_TOKEN_TTL).
            tracing::warn!(%err, "could not announce a revoked session");
        }
    }

    /// Follows the sessions other processes revoke. Each process reads every announcement, so
    /// it joins with a consumer group of its own. Only needed when the bus is shared (Redis):
    /// in one process every service already shares this `Identity`.
    pub fn follow_revocations(&self, bus: &EventBus, shutdown: &Shutdown) {
        let (identity, bus, stop) = (self.clone(), bus.clone(), shutdown.triggered());
        let group = format!("identity-{}", crate::ids::new_id());
        tokio::spawn(async move {
            let mut subscription = match bus.subscribe(topics::SESSION_REVOKED, &group, "1").await {
                Ok(subscription) => subscription,
                Err(err) => {
                    tracing::error!(%err, "cannot follow session revocations");
                    return;
                }
            };
            tokio::pin!(stop);
            let horizon_ms =
                i64::try_from((ACCESS_TOKEN_TTL + Duration::from_secs(60)).as_millis())
                    .unwrap_or(i64::MAX);
            loop {
                let batch = tokio::select! {
                    () = &mut stop => break,
                    batch = subscription.next_batch(100, Duration::from_secs(2)) => batch,
                };
                let deliveries = match batch {
                    Ok(deliveries) => deliveries,
                    Err(err) => {
                        tracing::warn!(%err, "reading session revocations failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                let now = crate::ids::now_ms();
                for delivery in &deliveries {
                    // Older announcements concern tokens that have expired anyway.
                    if now - delivery.event.occurred_at > horizon_ms {
                        continue;
                    }
                    if let Some(sid) = delivery.event.payload["sid"].as_str() {
                        identity.revoke_session(sid);
                    }
                }
                if let Err(err) = subscription.ack(&deliveries).await {
                    tracing::warn!(%err, "acknowledging session revocations failed");
                }
            }
        });
    }

    /// Installs the API-key lookup (once; auth does it at start-up).
    pub fn set_api_key_resolver(&self, resolver: Arc<dyn ApiKeyResolver>) {
        if self.inner.api_keys.set(resolver).is_err() {
            tracing::warn!("an API key resolver was already installed; keeping the first");
        }
    }

    /// The caller behind a bearer credential (JWT or API key).
    pub async fn authenticate(&self, credential: &str) -> Result<Principal, ApiError> {
        if credential.starts_with(API_KEY_PREFIX) {
            let Some(resolver) = self.inner.api_keys.get() else {
                // No resolver in this process: API keys are not accepted here (yet).
                return Err(ApiError::unauthenticated());
            };
            return resolver
                .resolve(credential)
                .await?
                .ok_or_else(ApiError::unauthenticated);
        }
        let claims = self.verify(credential).map_err(|e| {
            tracing::debug!(reason = %e, "access token refused");
            ApiError::unauthenticated()
        })?;
        Ok(Principal {
            user_id: claims.sub,
            role: claims.role,
            scopes: claims
                .scopes
                .iter()
                .filter_map(|s| Scope::parse(s))
                .collect(),
            via: Via::Session { sid: claims.sid },
        })
    }
}

/// The credential a request carries: `Authorization: Bearer …`, else the access-token cookie.
pub fn credential_of(parts: &Parts) -> Option<String> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned());
    }
    cookie_value(&parts.headers, ACCESS_COOKIE)
}

/// One cookie's value from the `Cookie` headers.
pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

impl<S> FromRequestParts<S> for Principal
where
    Identity: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let credential = credential_of(parts).ok_or_else(ApiError::unauthenticated)?;
        Identity::from_ref(state).authenticate(&credential).await
    }
}

/// A signed-in founder. For anyone else the founder's routes do not exist (404, so the console
/// is not even discoverable); nobody signed in gets 401.
#[derive(Debug, Clone)]
pub struct Founder(pub Principal);

impl<S> FromRequestParts<S> for Founder
where
    Identity: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let principal =
            <Principal as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        if principal.is_founder() {
            Ok(Founder(principal))
        } else {
            Err(ApiError::not_found())
        }
    }
}

impl<S> OptionalFromRequestParts<S> for Principal
where
    Identity: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match credential_of(parts) {
            None => Ok(None),
            Some(credential) => match Identity::from_ref(state).authenticate(&credential).await {
                Ok(principal) => Ok(Some(principal)),
                Err(e) if e.status() == StatusCode::UNAUTHORIZED => Ok(None),
                Err(e) => Err(e),
            },
        }
    }
}

/// Signs access tokens. Lives here next to verification so the two can never disagree about the
/// claims, but only the auth service is ever given a [`KeyPair`] to build one.
#[derive(Clone)]
pub struct Signer {
    key: Arc<EncodingKey>,
    header: Header,
}

impl Signer {
    pub fn new(pair: &KeyPair) -> Result<Signer, Error> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid_of(&pair.public_bytes()));
        Ok(Signer {
            key: Arc::new(pair.encoding_key()?),
            header,
        })
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, ApiError> {
        jsonwebtoken::encode(&self.header, claims, &self.key).map_err(ApiError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signing_key_is_read_in_every_form_a_platform_keeps() {
        let pair = KeyPair::generate();
        let pem = pair.to_pkcs8_pem().unwrap();
        let same = |value: &str| {
            let read = KeyPair::from_setting(value).unwrap_or_else(|e| panic!("{value:?}: {e}"));
            assert_eq!(read.public_bytes(), pair.public_bytes(), "{value:?}");
        };
        same(&pem);
        same(&format!("  {pem}\n"));
        same(&pem.replace('\n', "\\n"));
        same(&pem.replace('\n', "\r\n"));
        same(&pem.replace('\n', " "));
        same(&format!("\"{}\"", pem.replace('\n', "\\n")));
        same(&pair.to_setting().unwrap());
        assert!(!pair.to_setting().unwrap().contains('\n'), "one line");

        for bad in [
            "",
            "hunter2",
            "LS0tLS1CRUdJTg==",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
        ] {
            let err = KeyPair::from_setting(bad).expect_err("refused").to_string();
            assert!(
                err.contains("JWT_PRIVATE_KEY") && err.contains("keys generate"),
                "{err}"
            );
            assert!(!err.contains('\n'), "one line: {err}");
        }
    }

    fn claims(now: i64) -> Claims {
        Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: "user-1".into(),
            exp: now + 900,
            iat: now,
            jti: "j1".into(),
            role: Role::User,
            sid: "s1".into(),
            scopes: Scope::all_strings(),
        }
    }

    fn now() -> i64 {
        crate::ids::now_ms() / 1000
    }

    fn setup() -> (Signer, Identity) {
        let pair = KeyPair::generate();
        (
            Signer::new(&pair).unwrap(),
            Identity::new(pair.public_bytes()),
        )
    }

    #[test]
    fn a_signed_token_verifies() {
        let (signer, identity) = setup();
        let token = signer.sign(&claims(now())).unwrap();
        assert_eq!(identity.verify(&token).unwrap().sub, "user-1");
    }

    #[test]
    fn wrong_key_expired_audience_and_none_are_refused() {
        let (signer, identity) = setup();
        let (other, _) = setup();
        let t = now();
        assert!(identity.verify(&other.sign(&claims(t)).unwrap()).is_err());

        let mut expired = claims(t);
        expired.exp = t - 120;
        assert_eq!(
            identity.verify(&signer.sign(&expired).unwrap()),
            Err(TokenError::Expired)
        );

        let mut foreign = claims(t);
        foreign.aud = "someone-else".into();
        assert!(identity.verify(&signer.sign(&foreign).unwrap()).is_err());

        let mut wrong_iss = claims(t);
        wrong_iss.iss = "evil".into();
        assert!(identity.verify(&signer.sign(&wrong_iss).unwrap()).is_err());

        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(t)).unwrap());
        assert!(identity.verify(&format!("{header}.{body}.")).is_err());

        // Key confusion: HS256 signed with the public key bytes.
        let hs = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims(t),
            &EncodingKey::from_secret(&identity.inner.public),
        );
        if let Ok(hs) = hs {
            assert!(identity.verify(&hs).is_err());
        }

        let token = signer.sign(&claims(t)).unwrap();
        let mut tampered = token.clone().into_bytes();
        let mid = token.find('.').unwrap() + 3;
        tampered[mid] = if tampered[mid] == b'A' { b'B' } else { b'A' };
        assert!(
            identity
                .verify(&String::from_utf8(tampered).unwrap())
                .is_err()
        );
    }

    #[test]
    fn revoked_sessions_are_refused() {
        let (signer, identity) = setup();
        let token = signer.sign(&claims(now())).unwrap();
        identity.revoke_session("s1");
        assert_eq!(identity.verify(&token), Err(TokenError::Revoked));
    }

    #[tokio::test]
    async fn revocations_reach_other_processes_over_redis() {
        let Some(url) = crate::testing::redis_url("revocations_over_redis") else {
            return;
        };
        let shutdown = Shutdown::new();
        let bus = EventBus::redis(&shared::context::RedisTarget::new(url.as_str()), &shutdown)
            .await
            .unwrap();
        let (signer, auth_side) = setup();
        let other_process = Identity::new(auth_side.public_key());
        other_process.follow_revocations(&bus, &shutdown);
        let mut c = claims(now());
        c.sid = crate::ids::new_id();
        let token = signer.sign(&c).unwrap();
        assert!(other_process.verify(&token).is_ok());
        tokio::time::sleep(Duration::from_millis(300)).await;
        auth_side.revoke_and_announce(&c.sid, &bus);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while other_process.verify(&token).is_ok() {
            assert!(
                std::time::Instant::now() < deadline,
                "revocation never arrived"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(other_process.verify(&token), Err(TokenError::Revoked));
        shutdown.trigger();
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("sp-key-{}", uuid::Uuid::new_v4().simple()));
        let path = dir.join("jwt-ed25519.pem");
        let a = KeyPair::load_or_generate_file(&path).unwrap();
        let b = KeyPair::load_or_generate_file(&path).unwrap();
        assert_eq!(a.public_bytes(), b.public_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn scopes_round_trip() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("admin"), None);
    }

    #[test]
    fn bearer_and_cookie_credentials() {
        let req = axum::http::Request::get("/")
            .header("cookie", "a=1; sp_access=tok; b=2")
            .body(())
            .unwrap();
        let (parts, ()) = req.into_parts();
        assert_eq!(credential_of(&parts).as_deref(), Some("tok"));
        let req = axum::http::Request::get("/")
            .header("authorization", "Bearer abc")
            .header("cookie", "sp_access=tok")
            .body(())
            .unwrap();
        let (parts, ()) = req.into_parts();
        assert_eq!(credential_of(&parts).as_deref(), Some("abc"));
    }
}
