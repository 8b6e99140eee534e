//! Who is calling: access-token verification that every service does locally (only auth mints
//! tokens; everyone else holds just the public key), the revoked-session list, and the
//! [`Principal`] extractor that accepts a bearer JWT, a bearer API key or the access-token cookie.
//!
//! Tokens are EdDSA (Ed25519) JWTs. Verification pins the algorithm, issuer and audience, so
//! `alg: none`, HMAC-with-the-public-key ("key confusion") and tokens minted for another audience
//! are all rejected before any claim is trusted.
//!
//! [`claims`]: what a token says and what a caller may do; [`keys`]: the signing key pair and its
//! settings and files (only auth holds a private key); [`verification`]: [`Identity`], which
//! checks tokens and follows revoked sessions; [`extractors`]: who a request comes from.
//! Minting lives in auth (`auth::signer`); tests mint with [`testing::Signer`].

pub mod claims;
pub mod extractors;
pub mod keys;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod verification;

use std::time::Duration;

pub use claims::{Claims, Role, Scope};
pub use extractors::{Founder, Principal, Via, cookie_value, credential_of};
pub use keys::{KeyPair, kid_of, public_key_setting};
#[cfg(any(test, feature = "testing"))]
pub use testing::Signer;
pub use verification::{ApiKeyResolver, Identity, TokenError};

/// Who signs access tokens.
pub const ISSUER: &str = "scanpage-auth";
/// Who access tokens are for: the Scanpage API (every service).
pub const AUDIENCE: &str = "scanpage-api";
/// Access tokens are short-lived so that a stolen one is worth little and revocation lists stay
/// small; the refresh token keeps the session going.
pub const ACCESS_TOKEN_TTL: Duration = Duration::from_mins(15);
/// The browser cookie holding the access token.
pub const ACCESS_COOKIE: &str = "sp_access";
/// The browser cookie holding the refresh token.
pub const REFRESH_COOKIE: &str = "sp_refresh";
/// API keys start with this, which tells them apart from JWTs at a glance (and in secret scanners).
pub const API_KEY_PREFIX: &str = "spk_";
