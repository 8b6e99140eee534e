//! The payloads of the events services publish to each other: the contract between producer and
//! consumer, so both sides compile against one definition. Topic names are in
//! [`crate::bus::topics`].

use serde::{Deserialize, Serialize};

/// `qr.scanned`: someone (or something) requested `GET /r/{code}` of a tracked code.
///
/// `ip` is the raw client address, present only so analytics can derive the country and the
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
    /// `GET` or `HEAD`.
    pub method: String,
    /// The request was marked as a prefetch (`Sec-Purpose`/`Purpose: prefetch`).
    pub prefetch: bool,
    pub user_agent: Option<String>,
    pub referrer: Option<String>,
    pub accept_language: Option<String>,
    pub ip: Option<String>,
}

/// `microsite.viewed`: a published microsite page was requested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MicrositeViewed {
    pub microsite_id: String,
    pub owner_id: String,
    pub slug: String,
    pub method: String,
    pub prefetch: bool,
    pub user_agent: Option<String>,
    pub referrer: Option<String>,
    pub accept_language: Option<String>,
    pub ip: Option<String>,
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
    pub method: String,
    pub prefetch: bool,
    pub user_agent: Option<String>,
    pub referrer: Option<String>,
    pub accept_language: Option<String>,
    pub ip: Option<String>,
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
