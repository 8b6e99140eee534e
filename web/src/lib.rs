//! Scanpage's web frontend and the wiring of the whole application: which services one process
//! runs, how they reach each other, and how the process starts and stops.

pub mod api_docs;
pub mod app;
pub mod backup;
pub mod beta;
pub mod custom_domains;
pub mod dead_letters;
pub mod demo;
pub mod future_api;
pub mod insights;
pub mod pages;
