//! **experiments.** The real service runs A/B tests: a QR code's traffic split over weighted
//! destinations, sticky per visitor, with goals and significance tests on the results.
//!
//! Built in the qr service (`qr::experiments`), because it is part of the `/r/{code}` redirect:
//! 2–4 weighted variants in a code's rules, sticky per visitor for a UTC day (a hash of the day,
//! the code, the client address and the user agent; nothing stored), the scan's rule recorded as
//! `variant:<n>` so analytics breaks scans down by variant. Flag: `experiments`. This file names
//! the boundary a split-out service would implement.

/// Chooses a variant for a scan: the index into the code's variants.
pub trait Splitter: Send + Sync {
    fn choose(&self, qr_id: &str, visitor: &str, weights: &[u32]) -> Option<usize>;
}
