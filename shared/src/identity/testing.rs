//! Token minting for tests only. Production minting is auth's alone (`auth::signer`); tests of
//! the other crates need tokens without an auth service, so they get this small signer (it is
//! compiled only for tests and the `testing` feature).

use jsonwebtoken::{Algorithm, Header};

use super::claims::Claims;
use super::keys::{KeyPair, kid_of};
use crate::error::{ApiError, Error};

/// Signs access tokens with a key pair, as auth does.
#[derive(Clone)]
pub struct Signer(KeyPair);

impl Signer {
    pub fn new(pair: &KeyPair) -> Result<Signer, Error> {
        Ok(Signer(pair.clone()))
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, ApiError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid_of(&self.0.public_bytes()));
        let key = self.0.encoding_key().map_err(ApiError::internal)?;
        jsonwebtoken::encode(&header, claims, &key).map_err(ApiError::internal)
    }
}
