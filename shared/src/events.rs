//! The events services publish to each other: each topic ([`Topic`]: its name and payload type)
//! and its payload, the contract between producer and consumer, so both sides compile against
//! one definition. Publish with [`crate::bus::EventBus::emit`], consume with
//! [`crate::bus::consume`].

use serde::{Deserialize, Serialize};

use crate::bus::{DeadLetter, Topic};
use crate::visit::Visit;

pub const QR_SCANNED: Topic<QrScanned> = Topic::new("qr.scanned");
/// A code's destination or rules changed: every qr instance drops it from its cache.
pub const QR_CHANGED: Topic<QrChanged> = Topic::new("qr.changed");
/// The founder changed qr's blocklist; every qr instance reloads it from its table.
pub const QR_BLOCKLIST_CHANGED: Topic<QrBlocklistChanged> = Topic::new("qr.blocklist_changed");
pub const MICROSITE_VIEWED: Topic<MicrositeViewed> = Topic::new("microsite.viewed");
pub const MICROSITE_CLICKED: Topic<MicrositeClicked> = Topic::new("microsite.clicked");
/// A page changed: every microsite instance drops it from its cache.
pub const MICROSITE_CHANGED: Topic<MicrositeChanged> = Topic::new("microsite.changed");
pub const USER_DELETED: Topic<UserDeleted> = Topic::new("user.deleted");
/// The founder disabled an account (auth publishes; qr shows the user's codes as disabled).
pub const USER_DISABLED: Topic<UserDisabled> = Topic::new("user.disabled");
/// The founder enabled a disabled account again.
pub const USER_ENABLED: Topic<UserEnabled> = Topic::new("user.enabled");
/// A session ended before its access tokens expire (logout, password change, refresh-token
/// reuse). Every process that verifies tokens adds it to its revoked list.
pub const SESSION_REVOKED: Topic<SessionRevoked> = Topic::new("auth.session_revoked");
pub const USER_SIGNED_UP: Topic<UserSignedUp> = Topic::new("user.signed_up");
pub const USER_ACTIVE: Topic<UserActive> = Topic::new("user.active");
pub const QR_CREATED: Topic<QrCreated> = Topic::new("qr.created");
pub const MICROSITE_PUBLISHED: Topic<MicrositePublished> = Topic::new("microsite.published");
pub const FEEDBACK_SENT: Topic<FeedbackSent> = Topic::new("beta.feedback");
pub const PRICING_INTEREST: Topic<PricingInterest> = Topic::new("beta.pricing_interest");
pub const INTERVIEW_ANSWERED: Topic<InterviewAnswered> = Topic::new("beta.interview");
pub const WAITLIST_SIZE: Topic<WaitlistSize> = Topic::new("beta.waitlist");
/// What an owner calls their codes, pages and links changed (qr and microsite publish; analytics
/// keeps the names so its pages and CSV exports show names, never reading the owners' tables).
pub const NAMES_CHANGED: Topic<NamesChanged> = Topic::new("names.changed");
/// An event a consumer group gave up on. Web's dead-letter store keeps it; it is never itself
/// dead-lettered.
pub const DEAD_LETTER: Topic<DeadLetter> = Topic::new("dlq.dead_letter");

/// `qr.scanned`: someone (or something) requested `GET /r/{code}` of a tracked code.
///
/// `visit.ip` is the raw client address, present only so analytics can derive the country and the
/// daily-rotating visitor hash; analytics never stores it, and nothing logs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrScanned {
    pub qr_id: String,
    pub owner_id: String,
    pub code: String,
    /// Where the scanner was sent (after rules), or `None` when they got a page (expired, paused…).
    pub destination: Option<String>,
    /// The rule that decided (`default`, `device:ios`, `expired`, …).
    pub rule: String,
    /// Who asked: method, prefetch, user agent, referrer, language and address.
    #[serde(flatten)]
    pub visit: Visit,
}

/// `microsite.viewed`: a published microsite page was requested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MicrositeViewed {
    pub microsite_id: String,
    pub owner_id: String,
    pub slug: String,
    /// Who asked: method, prefetch, user agent, referrer, language and address.
    #[serde(flatten)]
    pub visit: Visit,
    /// The short code of the QR code the visitor came through (`?src=qr_{code}` on the view),
    /// so analytics can count views per QR code whatever `Referer` the browser sent. Optional
    /// on the wire: events published before this field existed still decode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code: Option<String>,
}

/// `microsite.clicked`: a link block's tracked hop was followed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MicrositeClicked {
    pub microsite_id: String,
    pub owner_id: String,
    pub slug: String,
    pub block_id: String,
    pub url: String,
    /// Who asked: method, prefetch, user agent, referrer, language and address.
    #[serde(flatten)]
    pub visit: Visit,
}

/// `qr.changed`: the code whose cached resolution is stale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrChanged {
    pub code: String,
}

/// `qr.blocklist_changed`: nothing but the news (`{}`); the blocklist is in qr's table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrBlocklistChanged {}

/// `microsite.changed`: the page whose cached copy is stale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MicrositeChanged {
    pub slug: String,
}

/// `auth.session_revoked`: the session (refresh-token family) whose tokens are refused now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRevoked {
    pub sid: String,
}

/// `user.deleted`: every service removes that user's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDeleted {
    pub user_id: String,
}

/// `user.disabled`: the founder disabled an account. Auth refuses its logins and refreshes; qr
/// answers every code of the user with the "disabled" page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDisabled {
    pub user_id: String,
}

/// `user.enabled`: the founder enabled a disabled account again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEnabled {
    pub user_id: String,
}

// --- Product lifecycle events (the founder's console counts these) --------------------------
// Each is published by the service where it happens; analytics keeps the product metrics from
// them. The event's `occurred_at` is when it happened (the demo seed backdates it).

/// `user.signed_up`: an account was created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSignedUp {
    pub user_id: String,
    /// Where the user came from: `invite`, `utm:<source>`, `ref:<domain>` or `direct`.
    pub source: String,
    /// Seeded demo data (`scanpage demo seed`), removable with `scanpage demo clear`.
    #[serde(default)]
    pub demo: bool,
}

/// `qr.created`: a QR code was created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrCreated {
    pub qr_id: String,
    pub owner_id: String,
}

/// `microsite.published`: a microsite was published (first time or again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MicrositePublished {
    pub microsite_id: String,
    pub owner_id: String,
}

/// `user.active`: a signed-in user did something in the app (at most one per user per hour).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserActive {
    pub user_id: String,
}

/// `beta.feedback`: a user sent feedback (the text stays with web; this carries the count).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackSent {
    pub user_id: String,
    pub rating: Option<u8>,
}

/// `beta.pricing_interest`: a user chose a plan on the pricing page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricingInterest {
    pub user_id: String,
    pub plan: String,
}

/// `beta.interview`: a user answered the interview invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterviewAnswered {
    pub user_id: String,
    pub opted_in: bool,
}

/// `beta.waitlist`: how many people wait for approval now (a gauge, sent on every change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitlistSize {
    pub pending: i64,
}

/// `names.changed`: the current names of some of one owner's things. Labels are the owner's own
/// text, untrusted: whoever shows them escapes them (HTML) or guards them (CSV formulas).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamesChanged {
    pub owner_id: String,
    pub names: Vec<Named>,
}

/// One thing's name: `kind` is `qr` (a code, by id), `microsite` (a page, by id) or `block` (a
/// page's link block, by block id). `name: None` means the thing is gone: forget its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub kind: String,
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// What a visit looked like on the wire before events carried it as one [`Visit`]: six
    /// fields beside the event's own.
    fn visit_fields() -> Value {
        json!({
            "method": "GET",
            "prefetch": false,
            "user_agent": "Mozilla/5.0",
            "referrer": "https://example.com/",
            "accept_language": "fr-CH",
            "ip": "203.0.113.7",
        })
    }

    fn with_visit(mut event: Value) -> Value {
        for (name, value) in visit_fields().as_object().unwrap() {
            event[name] = value.clone();
        }
        event
    }

    fn visit() -> Visit {
        serde_json::from_value(visit_fields()).unwrap()
    }

    #[test]
    fn a_scan_keeps_its_wire_format() {
        let old = with_visit(json!({
            "qr_id": "q1", "owner_id": "u1", "code": "abc",
            "destination": "https://example.org/", "rule": "default",
        }));
        let scan: QrScanned = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(scan.visit, visit());
        assert_eq!(scan.visit.ip.as_deref(), Some("203.0.113.7"));
        assert_eq!(serde_json::to_value(&scan).unwrap(), old);
    }

    #[test]
    fn views_and_clicks_keep_their_wire_format() {
        let old_view = with_visit(json!({"microsite_id": "m1", "owner_id": "u1", "slug": "s"}));
        let view: MicrositeViewed = serde_json::from_value(old_view.clone()).unwrap();
        assert_eq!((view.visit.clone(), view.qr_code.clone()), (visit(), None));
        assert_eq!(serde_json::to_value(&view).unwrap(), old_view);

        let old_click = with_visit(json!({
            "microsite_id": "m1", "owner_id": "u1", "slug": "s",
            "block_id": "b1", "url": "https://example.org/",
        }));
        let click: MicrositeClicked = serde_json::from_value(old_click.clone()).unwrap();
        assert_eq!(click.visit, visit());
        assert_eq!(serde_json::to_value(&click).unwrap(), old_click);
    }

    #[test]
    fn a_visit_without_its_optional_headers_still_decodes() {
        let old = json!({
            "qr_id": "q1", "owner_id": "u1", "code": "abc", "destination": null,
            "rule": "expired", "method": "HEAD", "prefetch": true,
        });
        let scan: QrScanned = serde_json::from_value(old).unwrap();
        assert_eq!(scan.visit.method, "HEAD");
        assert!(scan.visit.prefetch);
        assert_eq!((scan.visit.user_agent, scan.visit.ip), (None, None));
    }
}
