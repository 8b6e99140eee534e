//! Dead letters: what a consumer group gave up on. The bus makes them (see
//! [`super::spawn_consumer`]); whoever keeps them (web's dead-letter store) consumes
//! [`super::topics::DEAD_LETTER`].

use serde::{Deserialize, Serialize};

use super::Event;

/// The payload of a [`super::topics::DEAD_LETTER`] event: what failed, for which group, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub event: Event,
    /// The consumer group that gave up; a replay goes to it alone.
    pub group: String,
    pub error: String,
    pub attempts: u32,
    pub failed_at: i64,
}
