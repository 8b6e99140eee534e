//! Lifecycle events decoded into the one change each makes to the product metrics.

use shared::bus::{Event, topics};
use shared::events::{
    FeedbackSent, InterviewAnswered, MicrositePublished, PricingInterest, QrCreated, UserActive,
    UserSignedUp, WaitlistSize,
};

/// What one lifecycle event changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    SignedUp { source: String, demo: bool },
    CreatedQr,
    PublishedMicrosite,
    Active,
    SentFeedback,
    ChosePlan { plan: String },
    AnsweredInterview { opted_in: bool },
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
        let payload = event.payload.clone();
        let user = |user_id: String, change: Change| ProductEvent::User {
            id: event.id.clone(),
            user_id,
            at: event.occurred_at,
            change,
        };
        Some(match event.topic.as_str() {
            topics::USER_SIGNED_UP => {
                let e: UserSignedUp = serde_json::from_value(payload).ok()?;
                user(
                    e.user_id,
                    Change::SignedUp {
                        source: e.source,
                        demo: e.demo,
                    },
                )
            }
            topics::QR_CREATED => {
                let e: QrCreated = serde_json::from_value(payload).ok()?;
                user(e.owner_id, Change::CreatedQr)
            }
            topics::MICROSITE_PUBLISHED => {
                let e: MicrositePublished = serde_json::from_value(payload).ok()?;
                user(e.owner_id, Change::PublishedMicrosite)
            }
            topics::USER_ACTIVE => {
                let e: UserActive = serde_json::from_value(payload).ok()?;
                user(e.user_id, Change::Active)
            }
            topics::FEEDBACK_SENT => {
                let e: FeedbackSent = serde_json::from_value(payload).ok()?;
                user(e.user_id, Change::SentFeedback)
            }
            topics::PRICING_INTEREST => {
                let e: PricingInterest = serde_json::from_value(payload).ok()?;
                user(e.user_id, Change::ChosePlan { plan: e.plan })
            }
            topics::INTERVIEW_ANSWERED => {
                let e: InterviewAnswered = serde_json::from_value(payload).ok()?;
                user(
                    e.user_id,
                    Change::AnsweredInterview {
                        opted_in: e.opted_in,
                    },
                )
            }
            topics::WAITLIST_SIZE => {
                let e: WaitlistSize = serde_json::from_value(payload).ok()?;
                ProductEvent::Waitlist {
                    id: event.id.clone(),
                    at: event.occurred_at,
                    pending: e.pending,
                }
            }
            _ => return None,
        })
    }

    pub fn id(&self) -> &str {
        match self {
            ProductEvent::User { id, .. } | ProductEvent::Waitlist { id, .. } => id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_each_topic_and_refuses_garbage() {
        let e = Event::new(
            topics::USER_SIGNED_UP,
            UserSignedUp {
                user_id: "u1".into(),
                source: "utm:newsletter".into(),
                demo: false,
            },
        );
        assert!(matches!(
            ProductEvent::decode(&e),
            Some(ProductEvent::User { change: Change::SignedUp { ref source, demo: false }, .. })
                if source == "utm:newsletter"
        ));
        let e = Event::new(
            topics::QR_CREATED,
            QrCreated {
                qr_id: "q".into(),
                owner_id: "u1".into(),
            },
        );
        assert!(matches!(
            ProductEvent::decode(&e),
            Some(ProductEvent::User { ref user_id, change: Change::CreatedQr, .. }) if user_id == "u1"
        ));
        let garbage = Event::new(topics::QR_CREATED, serde_json::json!({"nope": 1}));
        assert_eq!(ProductEvent::decode(&garbage), None);
        let other = Event::new(topics::QR_SCANNED, serde_json::json!({}));
        assert_eq!(ProductEvent::decode(&other), None);
    }
}
