//! **workflow-builder.** The real service runs user-built automations on events — "when this
//! code is scanned 100 times, email me", "when a page link is clicked, add a row to a sheet" —
//! with a visual editor, run history and rate limits.
//!
//! Stand-in ("coming soon"): with the flag on it lists the triggers a workflow could start from
//! (the bus topics it would consume) and refuses every action, since none exists yet. Flag:
//! `workflow-builder`.

use crate::bus::topics;
use crate::error::ApiError;
use crate::features::{Feature, Features};

pub trait Workflows: Send + Sync {
    fn triggers(&self) -> Result<&'static [&'static str], ApiError>;
    /// Checks a `when trigger → do action` pair.
    fn check(&self, trigger: &str, action: &str) -> Result<(), ApiError>;
}

pub struct ComingSoon {
    pub features: Features,
}

const TRIGGERS: &[&str] = &[
    topics::QR_SCANNED,
    topics::MICROSITE_VIEWED,
    topics::MICROSITE_CLICKED,
];

impl Workflows for ComingSoon {
    fn triggers(&self) -> Result<&'static [&'static str], ApiError> {
        self.features.require(Feature::WorkflowBuilder)?;
        Ok(TRIGGERS)
    }

    fn check(&self, trigger: &str, _action: &str) -> Result<(), ApiError> {
        self.features.require(Feature::WorkflowBuilder)?;
        if !TRIGGERS.contains(&trigger) {
            return Err(ApiError::invalid(
                "trigger",
                "Choose one of the listed triggers.",
            ));
        }
        Err(ApiError::invalid(
            "action",
            "No actions are available yet (coming soon).",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_answers_feature_not_enabled() {
        let off = ComingSoon {
            features: Features::default(),
        };
        assert_eq!(off.triggers().unwrap_err().code(), "feature_not_enabled");
        assert_eq!(
            off.check("qr.scanned", "email").unwrap_err().code(),
            "feature_not_enabled"
        );
    }

    #[test]
    fn on_lists_triggers_and_has_no_actions_yet() {
        let on = ComingSoon {
            features: Features::default().with(Feature::WorkflowBuilder),
        };
        assert!(on.triggers().unwrap().contains(&"qr.scanned"));
        assert_eq!(
            on.check("qr.scanned", "email").unwrap_err().field(),
            Some("action")
        );
        assert_eq!(
            on.check("user.deleted", "email").unwrap_err().field(),
            Some("trigger")
        );
    }
}
