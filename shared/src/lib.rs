//! What every Scanpage service uses and none of them owns: configuration, the database pool and
//! migration runner, the error shape of the HTTP API, request plumbing (ids, metrics, limits,
//! security headers, error pages), graceful shutdown, the event bus, the cache, feature flags and
//! the clients through which one service calls another.
//!
//! No business rule of any service lives here.

pub mod bus;
pub mod cache;
pub mod client;
pub mod client_addr;
pub mod config;
pub mod context;
pub mod db;
pub mod error;
pub mod events;
pub mod extract;
pub mod features;
pub mod future;
pub mod health;
pub mod host;
pub mod http;
pub mod identity;
pub mod ids;
pub mod layer;
pub mod metrics;
pub mod openapi;
pub mod routing;
pub mod serve;
pub mod shutdown;
pub mod storage;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod trash;
pub mod ui;
pub mod visit;

pub use error::{ApiError, Error};

// Lets templates name `shared::ui::asset` whichever crate compiles them.
extern crate self as shared;
