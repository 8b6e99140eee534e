//! Minting access tokens: only auth does it (the other services verify with the public key
//! alone, `shared::identity::Identity`). The claims are `shared::identity::Claims`, the same type
//! verification decodes, so the two cannot disagree.

use std::sync::Arc;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use shared::ApiError;
use shared::error::Error;
use shared::identity::{Claims, KeyPair, kid_of};

/// Signs access tokens with auth's key pair; its `kid` names the key in the JWKS.
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
