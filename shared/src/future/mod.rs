//! The fifteen future services of the original design, as stand-ins behind feature flags
//! ([`crate::features`]). Each module has a paragraph on what the real service will do, a small
//! trait at its boundary (the calls the core services make), an honest stand-in and its flag.
//! Splitting one out later means a new implementation of the same trait, nothing else.
//!
//! Stand-ins that need heavy crates live in their own crate (SMTP delivery is in `email/`);
//! the ones that touch the scan path live where the scan is served: media in `media/`,
//! experiments in `qr::experiments`; domains' `Host` layer is here and is wired by web. Print
//! sheets live with the rendering they print, in `qr::render::print`.

pub mod api;
pub mod asset;
pub mod creator;
pub mod dlq;
pub mod domains;
pub mod email;
pub mod experiments;
pub mod insights;
pub mod integrations;
pub mod media;
pub mod ml;
pub mod pixels;
pub mod routing;
pub mod tenant_gateway;
pub mod workflow_builder;

use std::future::Future;
use std::pin::Pin;

/// What the object-safe traits here return (async calls behind `dyn`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
