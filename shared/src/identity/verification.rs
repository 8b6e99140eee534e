//! [`Identity`]: verifies access tokens locally (every service holds only the public key), knows
//! the revoked sessions and follows the ones other processes revoke, and resolves API keys
//! through the resolver auth installs.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use super::claims::{Claims, Scope};
use super::extractors::{Principal, Via};
use super::keys::kid_of;
use super::{ACCESS_TOKEN_TTL, API_KEY_PREFIX, AUDIENCE, ISSUER};
use crate::bus::EventBus;
use crate::error::{ApiError, Error};
use crate::events::{SESSION_REVOKED, SessionRevoked};
use crate::shutdown::Shutdown;

/// Looks up an API key. Auth resolves keys against its own tables; another service in split mode
/// would plug in a resolver that asks auth over its client (`GET /api/v1/auth/me`).
pub trait ApiKeyResolver: Send + Sync + 'static {
    fn resolve<'a>(
        &'a self,
        key: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Option<Principal>, ApiError>> + Send + 'a>>;
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
                    .time_to_live(ACCESS_TOKEN_TTL + Duration::from_mins(1))
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
        let revoked = SessionRevoked {
            sid: sid.to_owned(),
        };
        if let Err(err) = bus.emit(SESSION_REVOKED, revoked) {
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
            let mut subscription = match bus.subscribe(SESSION_REVOKED.name(), &group, "1").await {
                Ok(subscription) => subscription,
                Err(err) => {
                    tracing::error!(%err, "cannot follow session revocations");
                    return;
                }
            };
            tokio::pin!(stop);
            let horizon_ms = i64::try_from((ACCESS_TOKEN_TTL + Duration::from_mins(1)).as_millis())
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
                    if let Some(revoked) = SESSION_REVOKED.payload(&delivery.event) {
                        identity.revoke_session(&revoked.sid);
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

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header};

    use super::*;
    use crate::identity::claims::Role;
    use crate::identity::keys::KeyPair;
    use crate::identity::testing::Signer;

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
}
