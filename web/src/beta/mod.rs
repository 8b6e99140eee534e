//! What beta users tell us, kept by the web service: feedback, pricing interest, interview
//! opt-ins and abuse reports, plus the hourly activity heartbeat. Each is stored here (`web_*`
//! tables) and announced as a lifecycle event, from which analytics keeps the console's counts.

pub mod digest;
pub mod pipeline;
pub mod plans;
pub mod report_queue;
pub mod report_store;
pub mod store;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use auth::limits::{Limiter, Rule};
use redis::aio::ConnectionManager;
use shared::ApiError;
use shared::bus::{EventBus, Topic, consume};
use shared::events::{
    FEEDBACK_SENT, FeedbackSent, INTERVIEW_ANSWERED, InterviewAnswered, PRICING_INTEREST,
    PricingInterest, USER_ACTIVE, USER_DELETED, UserActive,
};
use sqlx::AnyPool;

pub use plans::Plan;
use store::Interview;

/// Abuse reports per client per hour.
const REPORTS_PER_IP: Rule = Rule {
    limit: 5,
    window: Duration::from_hours(1),
};
const MAX_FEEDBACK_CHARS: usize = 4_000;
const MAX_DETAILS_CHARS: usize = 2_000;
/// The reasons a report may give (the form's choices).
pub const REPORT_REASONS: [(&str, &str); 5] = [
    ("phishing", "Phishing or a scam"),
    ("malware", "Malware or a harmful download"),
    ("spam", "Spam"),
    ("illegal", "Illegal content"),
    ("other", "Something else"),
];

#[derive(Clone)]
pub struct Beta {
    db: AnyPool,
    bus: EventBus,
    plans: Arc<[Plan]>,
    limiter: Limiter,
    ip_salt: [u8; 32],
    /// Users whose heartbeat went out within the hour.
    recently_active: moka::sync::Cache<String, ()>,
}

/// A feedback form as sent.
pub struct FeedbackInput<'a> {
    pub message: &'a str,
    pub rating: Option<&'a str>,
    /// The `Referer` of the form post; only its path is kept.
    pub referer: Option<&'a str>,
}

impl Beta {
    pub fn new(
        db: AnyPool,
        bus: EventBus,
        redis: Option<ConnectionManager>,
        plans: Vec<Plan>,
    ) -> Beta {
        Beta {
            db,
            bus,
            plans: plans.into(),
            limiter: Limiter::new(redis),
            ip_salt: rand::random(),
            recently_active: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_hours(1))
                .build(),
        }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.db
    }

    pub fn plans(&self) -> &[Plan] {
        &self.plans
    }

    fn announce<T: serde::Serialize + Send + Sync + 'static>(
        &self,
        topic: Topic<T>,
        payload: T,
        at: Option<i64>,
    ) {
        let mut event = topic.event(payload);
        if let Some(at) = at {
            event.occurred_at = at;
        }
        if let Err(err) = self.bus.publish(event) {
            tracing::warn!(%err, topic = topic.name(), "could not announce a lifecycle event");
        }
    }

    /// The activity heartbeat: at most one `user.active` per user per hour.
    pub fn touch(&self, user_id: &str) {
        if self.recently_active.contains_key(user_id) {
            return;
        }
        self.recently_active.insert(user_id.to_owned(), ());
        self.announce(
            USER_ACTIVE,
            UserActive {
                user_id: user_id.to_owned(),
            },
            None,
        );
    }

    pub async fn send_feedback(
        &self,
        user_id: &str,
        input: FeedbackInput<'_>,
    ) -> Result<(), ApiError> {
        let message = input.message.trim();
        if message.is_empty() {
            return Err(ApiError::invalid("message", "Tell us something first."));
        }
        if message.chars().count() > MAX_FEEDBACK_CHARS {
            return Err(ApiError::invalid(
                "message",
                format!("Up to {MAX_FEEDBACK_CHARS} characters, please."),
            ));
        }
        let rating = parse_rating(input.rating)?;
        let page = input.referer.and_then(path_of);
        self.record_feedback(user_id, message, rating, page.as_deref(), None)
            .await
    }

    /// Stores feedback and announces it; `at` backdates it (demo data).
    pub async fn record_feedback(
        &self,
        user_id: &str,
        message: &str,
        rating: Option<u8>,
        page: Option<&str>,
        at: Option<i64>,
    ) -> Result<(), ApiError> {
        let when = at.unwrap_or_else(shared::ids::now_ms);
        store::insert_feedback(&self.db, user_id, message, rating, page, when, at.is_some())
            .await?;
        self.announce(
            FEEDBACK_SENT,
            FeedbackSent {
                user_id: user_id.to_owned(),
                rating,
            },
            at,
        );
        Ok(())
    }

    /// Records the plan a user would choose. Unknown plan names are refused.
    pub async fn choose_plan(
        &self,
        user_id: &str,
        plan: &str,
        at: Option<i64>,
    ) -> Result<Plan, ApiError> {
        let plan = self
            .plans
            .iter()
            .find(|p| p.name == plan)
            .cloned()
            .ok_or_else(|| ApiError::invalid("plan", "Choose one of the plans shown."))?;
        let when = at.unwrap_or_else(shared::ids::now_ms);
        store::set_plan(
            &self.db,
            user_id,
            &plan.name,
            &plan.price,
            when,
            at.is_some(),
        )
        .await?;
        self.announce(
            PRICING_INTEREST,
            PricingInterest {
                user_id: user_id.to_owned(),
                plan: plan.name.clone(),
            },
            at,
        );
        Ok(plan)
    }

    pub async fn chosen_plan(&self, user_id: &str) -> Result<Option<String>, ApiError> {
        Ok(store::plan_of(&self.db, user_id).await?)
    }

    /// Remembers the answer to the interview invitation. Opting in needs a way to reach the user.
    pub async fn answer_interview(
        &self,
        user_id: &str,
        opted_in: bool,
        contact: &str,
        time_zone: &str,
        at: Option<i64>,
    ) -> Result<(), ApiError> {
        let contact = contact.trim();
        let time_zone = time_zone.trim();
        if opted_in && contact.is_empty() {
            return Err(ApiError::invalid(
                "contact",
                "How should we reach you? An email, a phone number or a handle.",
            ));
        }
        if contact.chars().count() > 200 || contact.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "contact",
                "Up to 200 characters on one line.",
            ));
        }
        if !time_zone.is_empty() && jiff::tz::TimeZone::get(time_zone).is_err() {
            return Err(ApiError::invalid(
                "time_zone",
                "A time zone such as Europe/Paris or America/New_York.",
            ));
        }
        let answer = Interview {
            user_id: user_id.to_owned(),
            opted_in: i32::from(opted_in),
            contact: (opted_in && !contact.is_empty()).then(|| contact.to_owned()),
            time_zone: (!time_zone.is_empty()).then(|| time_zone.to_owned()),
            created_at: at.unwrap_or_else(shared::ids::now_ms),
        };
        store::set_interview(&self.db, &answer, at.is_some()).await?;
        self.announce(
            INTERVIEW_ANSWERED,
            InterviewAnswered {
                user_id: user_id.to_owned(),
                opted_in,
            },
            at,
        );
        Ok(())
    }

    pub async fn interview_of(&self, user_id: &str) -> Result<Option<Interview>, ApiError> {
        Ok(store::interview_of(&self.db, user_id).await?)
    }

    /// Files an abuse report from the public form: rate-limited per client, validated target
    /// (a short code or an http(s) URL) and reason.
    pub async fn report(
        &self,
        ip: Option<IpAddr>,
        target: &str,
        reason: &str,
        details: &str,
    ) -> Result<(), ApiError> {
        if let Some(ip) = ip {
            let key = format!("report:ip:{}", auth::secrets::ip_key(&self.ip_salt, ip));
            self.limiter
                .hit(&key, REPORTS_PER_IP)
                .await
                .map_err(ApiError::from)?;
        }
        let target = clean_report_target(target)?;
        if !REPORT_REASONS.iter().any(|(r, _)| *r == reason) {
            return Err(ApiError::invalid("reason", "Choose a reason."));
        }
        let details = details.trim();
        if details.chars().count() > MAX_DETAILS_CHARS {
            return Err(ApiError::invalid(
                "details",
                format!("Up to {MAX_DETAILS_CHARS} characters, please."),
            ));
        }
        report_store::insert_report(
            &self.db,
            &target,
            reason,
            (!details.is_empty()).then_some(details),
        )
        .await?;
        tracing::info!(reason, "abuse report filed");
        Ok(())
    }

    /// Deletes everything this service keeps about a deleted user.
    pub async fn delete_user(&self, user_id: &str) -> Result<(), sqlx::Error> {
        store::delete_user(&self.db, user_id).await
    }
}

fn parse_rating(raw: Option<&str>) -> Result<Option<u8>, ApiError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(r) => match r.parse::<u8>() {
            Ok(n @ 1..=5) => Ok(Some(n)),
            _ => Err(ApiError::invalid("rating", "A rating from 1 to 5.")),
        },
    }
}

/// The path of a same-site `Referer` (`/app/qr/…`), at most 200 characters; nothing else.
fn path_of(referer: &str) -> Option<String> {
    let url = url::Url::parse(referer).ok()?;
    let path = url.path();
    (path.starts_with('/') && path.len() <= 200).then(|| path.to_owned())
}

/// A report names a short code (`AbC123x`), a short URL or any http(s) URL.
pub(crate) fn clean_report_target(raw: &str) -> Result<String, ApiError> {
    let raw = raw.trim();
    let is_code = (3..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
    let is_url = raw.len() <= 2_048
        && url::Url::parse(raw).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
    if is_code || is_url {
        Ok(raw.to_owned())
    } else {
        Err(ApiError::invalid(
            "target",
            "The short link (https://…) or the code printed under the QR code.",
        ))
    }
}

/// Deletes a deleted user's feedback, pricing choice and interview answer (`user.deleted`).
pub async fn forget_deleted_users(
    beta: &Beta,
    bus: &EventBus,
    shutdown: &shared::shutdown::Shutdown,
) -> Result<(), shared::Error> {
    let beta = beta.clone();
    consume(bus, USER_DELETED, "web", "web-1", shutdown, move |user| {
        let beta = beta.clone();
        async move { beta.delete_user(&user.user_id).await.is_ok() }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_one_to_five_or_nothing() {
        assert_eq!(parse_rating(None).unwrap(), None);
        assert_eq!(parse_rating(Some("")).unwrap(), None);
        assert_eq!(parse_rating(Some("4")).unwrap(), Some(4));
        assert!(parse_rating(Some("0")).is_err());
        assert!(parse_rating(Some("6")).is_err());
        assert!(parse_rating(Some("x")).is_err());
    }

    #[test]
    fn only_the_referer_path_is_kept() {
        assert_eq!(
            path_of("http://localhost:3000/app/qr/abc?x=secret").as_deref(),
            Some("/app/qr/abc")
        );
        assert_eq!(path_of("not a url"), None);
    }

    #[test]
    fn report_targets_are_codes_or_web_urls() {
        assert!(clean_report_target("AbC123x").is_ok());
        assert!(clean_report_target(" https://scan.example/r/AbC123x ").is_ok());
        assert!(clean_report_target("javascript:alert(1)").is_err());
        assert!(clean_report_target("<script>").is_err());
        assert!(clean_report_target("").is_err());
    }
}
