//! What the future services' stand-ins share with the core services; each stand-in itself lives
//! with the data it owns (`email/`: the outbox and insights; web: dead letters, custom domains
//! and the future API; microsite: the ml drafter; qr: experiments and the print sheets; `media/`:
//! uploads). The flags are in [`crate::features`], the gateway table in [`crate::routing`].
//!
//! Here: the boundary traits and request marks that cross crates.

pub mod domains;
pub mod experiments;

use std::future::Future;
use std::pin::Pin;

/// What the object-safe traits of the stand-ins return (async calls behind `dyn`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
