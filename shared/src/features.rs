//! The feature-flag registry: the fifteen future services of the original design. Each is off
//! unless named in `FEATURES` (comma-separated); code that needs one asks [`Features::require`],
//! which answers a clear `feature_not_enabled` error while it is off.
//!
//! Six of them are only planned ([`Feature::is_planned`]): a row here and nothing behind it, so
//! turning one on changes nothing.

use std::fmt;

use crate::error::ApiError;

macro_rules! features {
    ($($variant:ident => $name:literal, $summary:literal;)*) => {
        /// One future service behind a flag.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Feature { $($variant),* }

        impl Feature {
            pub const ALL: &'static [Feature] = &[$(Feature::$variant),*];

            /// The name used in `FEATURES` and in error messages.
            pub fn name(self) -> &'static str {
                match self { $(Feature::$variant => $name),* }
            }

            /// What the real service will do, in one line (shown on the founder's page).
            pub fn summary(self) -> &'static str {
                match self { $(Feature::$variant => $summary),* }
            }
        }
    };
}

features! {
    Email => "email", "Transactional email: verification, password reset, digests.";
    Domains => "domains", "Custom short-link domains with automatic certificates.";
    Integrations => "integrations", "Webhooks and connectors (Zapier, Sheets, CRMs).";
    Media => "media", "Uploaded logos and microsite images, resized and served.";
    Ml => "ml", "Drafts microsites and suggests improvements.";
    Insights => "insights", "Weekly reports and anomaly alerts on scans.";
    Pixels => "pixels", "Retargeting pixels fired on redirect.";
    Creator => "creator", "Creator profiles, collaboration and teams.";
    Asset => "asset", "A library of brand assets shared across codes and pages.";
    PrintStudio => "print-studio", "Print-ready posters, cards and menus with QR codes.";
    WorkflowBuilder => "workflow-builder", "If-this-then-that automations on scan events.";
    Experiments => "experiments", "A/B tests that split traffic between destinations.";
    DlqProcessor => "dlq-processor", "Dead letters: events that failed processing, to replay or drop.";
    Routing => "routing", "The gateway table: which path goes to which service; regions later.";
    TenantGateway => "tenant-gateway", "Per-tenant gateways, quotas and isolation.";
}

impl Feature {
    /// Whether this is only a registry row: no code is built behind the flag yet.
    pub fn is_planned(self) -> bool {
        matches!(
            self,
            Feature::Integrations
                | Feature::Pixels
                | Feature::Creator
                | Feature::Asset
                | Feature::WorkflowBuilder
                | Feature::TenantGateway
        )
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The set of enabled features.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Features(u32);

impl Features {
    /// Parses `FEATURES`: comma-separated names, whitespace ignored; an unknown name is an error
    /// that lists the known ones, so a typo fails start-up instead of silently doing nothing.
    pub fn parse(raw: &str) -> Result<Features, String> {
        let mut set = Features::default();
        for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let feature = Feature::ALL
                .iter()
                .copied()
                .find(|f| f.name().eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    let known: Vec<_> = Feature::ALL.iter().map(|f| f.name()).collect();
                    format!(
                        "unknown feature '{name}' in FEATURES (known: {})",
                        known.join(", ")
                    )
                })?;
            set = set.with(feature);
        }
        Ok(set)
    }

    pub fn with(self, feature: Feature) -> Features {
        Features(self.0 | Self::bit(feature))
    }

    pub fn is_enabled(self, feature: Feature) -> bool {
        self.0 & Self::bit(feature) != 0
    }

    /// `Ok` when on; otherwise the error every disabled feature answers with.
    pub fn require(self, feature: Feature) -> Result<(), ApiError> {
        if self.is_enabled(feature) {
            Ok(())
        } else {
            Err(ApiError::feature_not_enabled(feature))
        }
    }

    pub fn enabled(self) -> impl Iterator<Item = Feature> {
        Feature::ALL
            .iter()
            .copied()
            .filter(move |f| self.is_enabled(*f))
    }

    fn bit(feature: Feature) -> u32 {
        let index = Feature::ALL
            .iter()
            .position(|f| *f == feature)
            .unwrap_or_default();
        1 << index
    }
}

impl fmt::Debug for Features {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.enabled().map(Feature::name))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifteen_features_all_off_by_default() {
        assert_eq!(Feature::ALL.len(), 15);
        let none = Features::parse("").unwrap();
        assert!(Feature::ALL.iter().all(|f| !none.is_enabled(*f)));
    }

    #[test]
    fn six_features_are_only_planned() {
        let planned: Vec<_> = Feature::ALL
            .iter()
            .filter(|f| f.is_planned())
            .map(|f| f.name())
            .collect();
        assert_eq!(
            planned,
            [
                "integrations",
                "pixels",
                "creator",
                "asset",
                "workflow-builder",
                "tenant-gateway"
            ]
        );
    }

    #[test]
    fn names_round_trip_and_are_unique() {
        for f in Feature::ALL {
            assert_eq!(
                Features::parse(f.name())
                    .unwrap()
                    .enabled()
                    .collect::<Vec<_>>(),
                [*f]
            );
        }
    }

    #[test]
    fn parses_a_list_with_spaces_and_case() {
        let set = Features::parse(" email, Experiments ,,print-studio").unwrap();
        assert!(set.is_enabled(Feature::Email));
        assert!(set.is_enabled(Feature::Experiments));
        assert!(set.is_enabled(Feature::PrintStudio));
        assert!(!set.is_enabled(Feature::Ml));
    }

    #[test]
    fn every_name_at_once_enables_all_fifteen() {
        let all: Vec<_> = Feature::ALL.iter().map(|f| f.name()).collect();
        let set = Features::parse(&all.join(",")).unwrap();
        assert_eq!(set.enabled().count(), 15);
        assert!(Feature::ALL.iter().all(|f| set.is_enabled(*f)));
    }

    #[test]
    fn unknown_names_are_refused() {
        let err = Features::parse("email,teleport").unwrap_err();
        assert!(err.contains("teleport") && err.contains("FEATURES"));
    }

    #[test]
    fn require_names_the_feature() {
        let err = Features::default().require(Feature::Domains).unwrap_err();
        assert_eq!(err.code(), "feature_not_enabled");
        assert!(err.message().contains("domains"));
        assert!(
            Features::parse("domains")
                .unwrap()
                .require(Feature::Domains)
                .is_ok()
        );
    }
}
