//! A/B tests (the `experiments` feature, see `shared::future::experiments`): a code's default
//! destination split over 2–4 weighted variants (`rules.variants`). A scanner keeps the same
//! variant for a UTC day: the choice is a hash of the day, the code, the client address and the
//! user agent — computed in memory on each scan, never stored (the address is not kept, and
//! nothing is written for a scan to stay sticky). The scan's rule is `variant:<n>` (1-based), so
//! analytics' `by_rule` breakdown counts scans per variant.
//!
//! With the flag off, codes that already have variants go to their main destination, and no
//! create or edit may add or change variants.

use std::hash::{Hash, Hasher};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use shared::features::{Feature, Features};
use shared::future::experiments::Splitter;

use crate::destination::{Blocklist, Destination};
use crate::error::QrError;

pub const MIN_VARIANTS: usize = 2;
pub const MAX_VARIANTS: usize = 4;
pub const WEIGHTS: std::ops::RangeInclusive<u32> = 1..=100;
const DAY_MS: i64 = 86_400_000;

/// One arm of a split: where it goes and its share (weights are relative: 1 and 3 is 25/75).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub url: String,
    pub weight: u32,
}

/// Checks the variants (none, or 2–4 with weights 1–100 and URLs valid like destinations,
/// blocklist included) and normalises their URLs. Errors name the field.
pub fn validated(variants: Vec<Variant>, blocklist: &Blocklist) -> Result<Vec<Variant>, QrError> {
    if variants.is_empty() {
        return Ok(variants);
    }
    if !(MIN_VARIANTS..=MAX_VARIANTS).contains(&variants.len()) {
        return Err(QrError::invalid(
            "rules.variants",
            format!("an A/B test has {MIN_VARIANTS}–{MAX_VARIANTS} variants"),
        ));
    }
    variants
        .into_iter()
        .enumerate()
        .map(|(i, variant)| {
            let url = Destination::parse(&variant.url, blocklist).map_err(|source| {
                QrError::Destination {
                    field: format!("rules.variants[{i}].url"),
                    source,
                }
            })?;
            if !WEIGHTS.contains(&variant.weight) {
                return Err(QrError::invalid(
                    format!("rules.variants[{i}].weight"),
                    "a weight is a whole number from 1 to 100",
                ));
            }
            Ok(Variant {
                url: url.as_str().to_owned(),
                weight: variant.weight,
            })
        })
        .collect()
}

/// Sending variants needs the flag unless they are the stored ones unchanged (the editor sends
/// them back), so a code made while it was on stays editable; removing them never needs it.
/// `new` is the validated variants the request sends (empty when they did not validate).
pub fn check_allowed(features: Features, old: &[Variant], new: &[Variant]) -> Result<(), QrError> {
    if features.is_enabled(Feature::Experiments) || (!new.is_empty() && new == old) {
        return Ok(());
    }
    features
        .require(Feature::Experiments)
        .map_err(|_| QrError::FeatureNotEnabled(Feature::Experiments))
}

/// The scanner's key for today on this code: stable for a UTC day, different across codes.
pub fn visitor_key(now_ms: i64, qr_id: &str, ip: Option<IpAddr>, user_agent: &str) -> u64 {
    // SipHash with fixed keys: the same on every instance of a build, which is what makes a
    // visitor sticky without storing anything.
    let mut hasher = std::hash::DefaultHasher::new();
    (now_ms.div_euclid(DAY_MS), qr_id, ip, user_agent).hash(&mut hasher);
    hasher.finish()
}

/// The variant (index) a key falls in, in proportion to the weights; `None` without weights.
pub fn choose(key: u64, weights: &[u32]) -> Option<usize> {
    let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    if total == 0 {
        return None;
    }
    let mut point = key % total;
    weights.iter().position(|w| {
        let w = u64::from(*w);
        if point < w {
            true
        } else {
            point -= w;
            false
        }
    })
}

/// The shared boundary's implementation: `visitor` is any per-visitor string for the day.
pub struct DailySplit;

impl Splitter for DailySplit {
    fn choose(&self, qr_id: &str, visitor: &str, weights: &[u32]) -> Option<usize> {
        let mut hasher = std::hash::DefaultHasher::new();
        (qr_id, visitor).hash(&mut hasher);
        choose(hasher.finish(), weights)
    }
}

/// What the redirect passes to the rules: the scanner's key when this code runs a test and the
/// flag is on, else `None` (the main destination). Memory only: no I/O on the scan's path.
pub fn visitor_for(
    features: Features,
    qr_id: &str,
    variants: &[Variant],
    parts: &axum::http::request::Parts,
    now_ms: i64,
) -> Option<u64> {
    if variants.is_empty() || !features.is_enabled(Feature::Experiments) {
        return None;
    }
    let ip = shared::client_addr::of(parts).0;
    let user_agent = parts
        .headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    Some(visitor_key(now_ms, qr_id, ip, user_agent))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visitor(i: u32) -> (Option<IpAddr>, String) {
        let ip = IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
        (Some(ip), format!("Mozilla/5.0 test {}", i % 7))
    }

    const DAY1: i64 = 1_790_000_000_000;

    #[test]
    fn weights_are_respected_over_many_visitors() {
        for weights in [vec![1, 3], vec![50, 50], vec![10, 20, 30, 40], vec![1, 100]] {
            let total: u32 = weights.iter().sum();
            let mut counts = vec![0u32; weights.len()];
            let n = 40_000;
            for i in 0..n {
                let (ip, ua) = visitor(i);
                let key = visitor_key(DAY1, "qr-1", ip, &ua);
                counts[choose(key, &weights).unwrap()] += 1;
            }
            for (count, weight) in counts.iter().zip(&weights) {
                let share = f64::from(*count) / f64::from(n);
                let expected = f64::from(*weight) / f64::from(total);
                assert!(
                    (share - expected).abs() < 0.015,
                    "{weights:?}: {counts:?} (share {share:.3}, expected {expected:.3})"
                );
            }
        }
    }

    #[test]
    fn a_visitor_keeps_a_variant_for_the_day_and_may_change_the_next() {
        let weights = [1, 1, 1];
        let mut changed = 0;
        for i in 0..1_000 {
            let (ip, ua) = visitor(i);
            let morning = choose(visitor_key(DAY1, "qr-1", ip, &ua), &weights);
            // Later the same UTC day: the same variant, every time.
            let evening_ms = DAY1 - DAY1.rem_euclid(DAY_MS) + DAY_MS - 1;
            for at in [DAY1 + 1, DAY1 + 3_600_000, evening_ms] {
                assert_eq!(choose(visitor_key(at, "qr-1", ip, &ua), &weights), morning);
            }
            let tomorrow = choose(visitor_key(DAY1 + DAY_MS, "qr-1", ip, &ua), &weights);
            if tomorrow != morning {
                changed += 1;
            }
        }
        // A fresh draw each day: about two thirds move with three equal variants.
        assert!((500..850).contains(&changed), "{changed} of 1000 changed");
    }

    #[test]
    fn the_split_differs_across_codes_and_visitors() {
        let (ip, ua) = visitor(1);
        let keys: std::collections::HashSet<u64> = ["a", "b", "c", "d"]
            .iter()
            .map(|qr| visitor_key(DAY1, qr, ip, &ua))
            .collect();
        assert_eq!(keys.len(), 4);
        assert_ne!(
            visitor_key(DAY1, "a", ip, "Firefox"),
            visitor_key(DAY1, "a", ip, "Safari")
        );
        assert_eq!(choose(7, &[]), None);
        assert_eq!(DailySplit.choose("a", "v", &[0, 0]), None);
        assert!(DailySplit.choose("a", "v", &[1, 1]).is_some());
    }

    #[test]
    fn variants_are_validated_like_destinations() {
        let blocklist = Blocklist::from_lines("evil.example\n");
        let v = |url: &str, weight| Variant {
            url: url.into(),
            weight,
        };
        let ok = validated(
            vec![v("https://a.example", 1), v(" https://b.example/x ", 100)],
            &blocklist,
        )
        .unwrap();
        assert_eq!(ok[1].url, "https://b.example/x");
        let field = |variants| match validated(variants, &blocklist).unwrap_err() {
            QrError::Invalid { field, .. } | QrError::Destination { field, .. } => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(vec![v("https://a.example", 1)]), "rules.variants");
        assert_eq!(field(vec![v("https://a.example", 1); 5]), "rules.variants");
        assert_eq!(
            field(vec![v("https://a.example", 1), v("javascript:alert(1)", 1)]),
            "rules.variants[1].url"
        );
        assert_eq!(
            field(vec![
                v("https://evil.example/", 1),
                v("https://a.example", 1)
            ]),
            "rules.variants[0].url"
        );
        assert_eq!(
            field(vec![v("https://a.example", 0), v("https://b.example", 1)]),
            "rules.variants[0].weight"
        );
        assert_eq!(
            field(vec![v("https://a.example", 1), v("https://b.example", 101)]),
            "rules.variants[1].weight"
        );
    }

    #[test]
    fn only_adding_or_changing_variants_needs_the_flag() {
        let a = vec![
            Variant {
                url: "https://a.example/".into(),
                weight: 1,
            },
            Variant {
                url: "https://b.example/".into(),
                weight: 1,
            },
        ];
        let off = Features::default();
        assert!(matches!(
            check_allowed(off, &[], &a),
            Err(QrError::FeatureNotEnabled(Feature::Experiments))
        ));
        assert!(check_allowed(off, &a, &a).is_ok());
        // Called only when variants were sent: empty here means they did not validate.
        assert!(check_allowed(off, &a, &[]).is_err());
        let on = Features::default().with(Feature::Experiments);
        assert!(check_allowed(on, &[], &a).is_ok());
    }
}
