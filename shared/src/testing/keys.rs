//! Access tokens for tests, signed by a key of the test's own.

/// A signing key of a test's own, with the matching verifier: tokens minted here pass every
/// service's `Principal` extractor given `identity`, exactly as auth's would.
pub struct TestKeys {
    signer: crate::identity::Signer,
    pub identity: crate::identity::Identity,
}

impl Default for TestKeys {
    fn default() -> Self {
        Self::new()
    }
}

impl TestKeys {
    pub fn new() -> Self {
        let pair = crate::identity::KeyPair::generate();
        TestKeys {
            signer: crate::identity::Signer::new(&pair).expect("a signer for a fresh key"),
            identity: crate::identity::Identity::new(pair.public_bytes()),
        }
    }

    /// An access token for `user` with every scope.
    pub fn token(&self, user: &str) -> String {
        self.token_with(user, crate::identity::Scope::all_strings())
    }

    /// An access token for `user` with every scope and the founder's role.
    pub fn founder_token(&self, user: &str) -> String {
        self.token_as(
            user,
            crate::identity::Role::Founder,
            crate::identity::Scope::all_strings(),
        )
    }

    pub fn token_with(&self, user: &str, scopes: Vec<String>) -> String {
        self.token_as(user, crate::identity::Role::User, scopes)
    }

    fn token_as(&self, user: &str, role: crate::identity::Role, scopes: Vec<String>) -> String {
        use crate::identity::{AUDIENCE, Claims, ISSUER};
        let now = crate::ids::now_ms() / 1000;
        self.signer
            .sign(&Claims {
                iss: ISSUER.into(),
                aud: AUDIENCE.into(),
                sub: user.into(),
                exp: now + 900,
                iat: now,
                jti: crate::ids::new_id(),
                role,
                sid: format!("session-{user}"),
                scopes,
            })
            .expect("a signed test token")
    }
}

/// One signing key for the whole test process, so several service instances (and several
/// services) accept each other's tokens.
pub fn process_keys() -> &'static TestKeys {
    static KEYS: std::sync::OnceLock<TestKeys> = std::sync::OnceLock::new();
    KEYS.get_or_init(TestKeys::new)
}
