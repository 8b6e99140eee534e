//! Lifecycle events decoded into the one change each makes to the product metrics.

use shared::bus::Event;
use shared::events::{
    FEEDBACK_SENT, INTERVIEW_ANSWERED, MICROSITE_PUBLISHED, PRICING_INTEREST, QR_CREATED,
    USER_ACTIVE, USER_SIGNED_UP, WAITLIST_SIZE,
};

/// What one lifecycle event changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    SignedUp { source: String, demo: bool },
    CreatedQr { qr_id: String },
    PublishedMicrosite { microsite_id: String },
    Active,
    SentFeedback,
    ChosePlan { plan: String },
    AnsweredInterview { opted_in: bool },
}

impl Change {
    /// The timeline's name for this change; `None` for mere activity (kept as active weeks).
    pub fn kind(&self) -> Option<&'static str> {
        Some(match self {
            Change::SignedUp { .. } => "signed_up",
            Change::CreatedQr { .. } => "created_qr",
            Change::PublishedMicrosite { .. } => "published_microsite",
            Change::SentFeedback => "sent_feedback",
            Change::ChosePlan { .. } => "chose_plan",
            Change::AnsweredInterview { .. } => "answered_interview",
            Change::Active => return None,
        })
    }

    /// What the change is about: the code, the page, the plan or the answer.
    pub fn subject(&self) -> Option<&str> {
        match self {
            Change::CreatedQr { qr_id } => Some(qr_id),
            Change::PublishedMicrosite { microsite_id } => Some(microsite_id),
            Change::ChosePlan { plan } => Some(plan),
            Change::AnsweredInterview { opted_in } => Some(if *opted_in { "yes" } else { "no" }),
            Change::SignedUp { source, .. } => Some(source),
            Change::SentFeedback | Change::Active => None,
        }
    }
}

/// A decoded lifecycle event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductEvent {
    /// Something a user did, at `at`.
    User {
        id: String,
        user_id: String,
        at: i64,
        change: Change,
    },
    /// The waitlist's size at `at`.
    Waitlist { id: String, at: i64, pending: i64 },
}

impl ProductEvent {
    /// `None` for an event of another topic or a malformed payload (retrying cannot fix either).
    pub fn decode(event: &Event) -> Option<ProductEvent> {
        let user = |user_id: String, change: Change| ProductEvent::User {
            id: event.id.clone(),
            user_id,
            at: event.occurred_at,
            change,
        };
        let decoded = if let Some(e) = USER_SIGNED_UP.payload(event) {
            user(
                e.user_id,
                Change::SignedUp {
                    source: e.source,
                    demo: e.demo,
                },
            )
        } else if let Some(e) = QR_CREATED.payload(event) {
            user(e.owner_id, Change::CreatedQr { qr_id: e.qr_id })
        } else if let Some(e) = MICROSITE_PUBLISHED.payload(event) {
            user(
                e.owner_id,
                Change::PublishedMicrosite {
                    microsite_id: e.microsite_id,
                },
            )
        } else if let Some(e) = USER_ACTIVE.payload(event) {
            user(e.user_id, Change::Active)
        } else if let Some(e) = FEEDBACK_SENT.payload(event) {
            user(e.user_id, Change::SentFeedback)
        } else if let Some(e) = PRICING_INTEREST.payload(event) {
            user(e.user_id, Change::ChosePlan { plan: e.plan })
        } else if let Some(e) = INTERVIEW_ANSWERED.payload(event) {
            user(
                e.user_id,
                Change::AnsweredInterview {
                    opted_in: e.opted_in,
                },
            )
        } else if let Some(e) = WAITLIST_SIZE.payload(event) {
            ProductEvent::Waitlist {
                id: event.id.clone(),
                at: event.occurred_at,
                pending: e.pending,
            }
        } else {
            return None;
        };
        Some(decoded)
    }

    pub fn id(&self) -> &str {
        match self {
            ProductEvent::User { id, .. } | ProductEvent::Waitlist { id, .. } => id,
        }
    }
}

#[cfg(test)]
mod tests {
    use shared::bus::topics;
    use shared::events::{QrCreated, UserSignedUp};

    use super::*;

    #[test]
    fn decodes_each_topic_and_refuses_garbage() {
        let e = USER_SIGNED_UP.event(UserSignedUp {
            user_id: "u1".into(),
            source: "utm:newsletter".into(),
            demo: false,
        });
        assert!(matches!(
            ProductEvent::decode(&e),
            Some(ProductEvent::User { change: Change::SignedUp { ref source, demo: false }, .. })
                if source == "utm:newsletter"
        ));
        let e = QR_CREATED.event(QrCreated {
            qr_id: "q".into(),
            owner_id: "u1".into(),
        });
        assert!(matches!(
            ProductEvent::decode(&e),
            Some(ProductEvent::User { ref user_id, change: Change::CreatedQr { ref qr_id }, .. })
                if user_id == "u1" && qr_id == "q"
        ));
        let garbage = Event::new(topics::QR_CREATED, serde_json::json!({"nope": 1}));
        assert_eq!(ProductEvent::decode(&garbage), None);
        let other = Event::new(topics::QR_SCANNED, serde_json::json!({}));
        assert_eq!(ProductEvent::decode(&other), None);
    }
}
