//! The founder's moderation of codes: disabling a code, answering every code of a disabled
//! account with the "disabled" page, and blocking destination domains. What the redirect and
//! the destination checks need is kept in memory (a flag on the cached `Target`, a set of
//! owners, the merged blocklist); the tables are the truth every instance loads and reloads.

use std::collections::HashSet;
use std::sync::{Arc, PoisonError, RwLock};

pub use crate::contract::{CodeLookup, CodeRef};
use crate::destination::Blocklist;
use crate::resolve::target::Target;

/// The longest reason the founder may give.
pub const MAX_REASON: usize = 500;

/// The in-memory side of moderation, shared by the redirect and the destination checks.
pub struct Moderation {
    /// `QR_BLOCKLIST_FILE`, as loaded at start.
    file: Blocklist,
    /// The file's domains plus the founder's (replaced whole on every change).
    blocklist: RwLock<Arc<Blocklist>>,
    /// Owners auth disabled.
    owners: RwLock<HashSet<String>>,
}

impl Moderation {
    pub fn new(file: Blocklist) -> Self {
        Self {
            blocklist: RwLock::new(Arc::new(file.clone())),
            file,
            owners: RwLock::default(),
        }
    }

    /// The blocklist destinations are checked against right now.
    pub fn blocklist(&self) -> Arc<Blocklist> {
        self.blocklist
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many domains the file blocks (the console shows it next to the founder's list).
    pub fn file_domains(&self) -> usize {
        self.file.len()
    }

    pub(crate) fn set_founder_domains(&self, domains: impl IntoIterator<Item = String>) {
        let merged = Arc::new(self.file.merged_with(domains));
        *self
            .blocklist
            .write()
            .unwrap_or_else(PoisonError::into_inner) = merged;
    }

    /// A set lookup, no I/O: called on every scan.
    pub fn owner_disabled(&self, owner_id: &str) -> bool {
        let owners = self.owners.read().unwrap_or_else(PoisonError::into_inner);
        !owners.is_empty() && owners.contains(owner_id)
    }

    /// Whether the redirect answers this target with the "disabled" page. Memory only.
    pub fn is_disabled(&self, target: &Target) -> bool {
        target.disabled || self.owner_disabled(&target.owner_id)
    }

    pub(crate) fn set_owner(&self, owner_id: &str, disabled: bool) {
        let mut owners = self.owners.write().unwrap_or_else(PoisonError::into_inner);
        if disabled {
            owners.insert(owner_id.to_owned());
        } else {
            owners.remove(owner_id);
        }
    }
}
