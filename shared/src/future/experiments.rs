//! **experiments.** The real service runs A/B tests: a QR code's traffic split over weighted
//! destinations, sticky per visitor, with significance tests on the results.
//!
//! Not built here: it changes the `/r/{code}` redirect, so it comes with the qr work (issue #8,
//! later step): 2–4 weighted variants, sticky per visitor for a day, analytics broken down by
//! variant. Flag: `experiments`. This file only names the boundary.

/// Chooses a variant for a scan: the index into the code's variants.
pub trait Splitter: Send + Sync {
    fn choose(&self, qr_id: &str, visitor: &str, weights: &[u32]) -> Option<usize>;
}
