//! The auth service: users, password hashing, token issuing, refresh and revocation, API keys,
//! invites and the waitlist. The only component that can mint tokens; never on the scan path.

pub mod admin_routes;
pub mod beta;
pub mod client;
pub mod contract;
pub mod domain;
pub mod error;
pub mod limits;
pub mod mail;
pub mod routes;
pub mod secrets;
pub mod service;
pub mod signer;
pub mod store;

use std::sync::Arc;

use axum::Router;
use shared::context::ServiceContext;
use shared::identity::KeyPair;

pub use error::AuthError;
pub use service::Auth;

/// This service's migrations (`migrations/auth/`).
pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("../migrations/auth")
}

/// The auth domain over a service context (also used by the CLI's founder commands).
pub fn service(ctx: &ServiceContext) -> Result<Arc<Auth>, shared::Error> {
    let keys = KeyPair::load_or_generate(&ctx.settings)?;
    if keys.public_bytes() != ctx.identity.public_key() {
        return Err(shared::Error::Config(
            "JWT_PRIVATE_KEY: the signing key does not match the verification key".into(),
        ));
    }
    let auth = Auth::new(
        ctx.db.pool().clone(),
        ctx.identity.clone(),
        ctx.bus.clone(),
        limits::Limiter::new(ctx.redis.clone()),
        service::Config {
            keys,
            signup_mode: ctx.settings.signup_mode,
            founder_emails: ctx.settings.founder_emails.clone(),
            public_base_url: ctx.public_base_url.clone(),
        },
    )?;
    Ok(Arc::new(auth))
}

/// The service's router, ready to be mounted in all-in-one mode or served alone.
pub async fn build(ctx: ServiceContext) -> Result<Router, shared::Error> {
    let auth = service(&ctx)?;
    // API keys live in auth's tables: every service in this process resolves them through here.
    ctx.identity
        .set_api_key_resolver(Arc::new(service::KeyResolver {
            db: ctx.db.pool().clone(),
        }));
    Ok(routes::router(routes::AuthState { auth }))
}
