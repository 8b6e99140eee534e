//! What analytics records: a scan, a microsite view or a click, decoded from its bus event.

use shared::bus::Event;
use shared::events::{MICROSITE_CLICKED, MICROSITE_VIEWED, QR_SCANNED};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Scan,
    View,
    Click,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Scan => "scan",
            Kind::View => "view",
            Kind::Click => "click",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "scan" => Some(Kind::Scan),
            "view" => Some(Kind::View),
            "click" => Some(Kind::Click),
            _ => None,
        }
    }
}

/// One request as the producing service saw it. `ip` lives only in memory, for the country and
/// the visitor hash; it is never stored or logged.
#[derive(Clone, Debug)]
pub struct Hit {
    pub id: String,
    pub kind: Kind,
    /// The QR code (scans) or microsite (views, clicks).
    pub target_id: String,
    pub owner_id: String,
    pub occurred_at: i64,
    /// The redirect rule that decided (scans).
    pub rule: Option<String>,
    /// The link block followed (clicks).
    pub block_id: Option<String>,
    /// The short code of the QR code a microsite view came through (views).
    pub qr_code: Option<String>,
    pub method: String,
    pub prefetch: bool,
    pub user_agent: Option<String>,
    pub referrer: Option<String>,
    pub accept_language: Option<String>,
    pub ip: Option<String>,
}

impl Hit {
    /// `Ok(None)` for topics analytics does not record. Decoded from a borrow of the payload: no
    /// copy of the JSON tree per event.
    pub fn from_event(event: &Event) -> Result<Option<Hit>, serde_json::Error> {
        let base = |kind, target_id, owner_id| Hit {
            id: event.id.clone(),
            kind,
            target_id,
            owner_id,
            occurred_at: event.occurred_at,
            rule: None,
            block_id: None,
            qr_code: None,
            method: String::new(),
            prefetch: false,
            user_agent: None,
            referrer: None,
            accept_language: None,
            ip: None,
        };
        Ok(Some(if let Some(e) = QR_SCANNED.decode(event) {
            let e = e?;
            Hit {
                rule: Some(e.rule),
                method: e.method,
                prefetch: e.prefetch,
                user_agent: e.user_agent,
                referrer: e.referrer,
                accept_language: e.accept_language,
                ip: e.ip,
                ..base(Kind::Scan, e.qr_id, e.owner_id)
            }
        } else if let Some(e) = MICROSITE_VIEWED.decode(event) {
            let e = e?;
            Hit {
                qr_code: e.qr_code,
                method: e.method,
                prefetch: e.prefetch,
                user_agent: e.user_agent,
                referrer: e.referrer,
                accept_language: e.accept_language,
                ip: e.ip,
                ..base(Kind::View, e.microsite_id, e.owner_id)
            }
        } else if let Some(e) = MICROSITE_CLICKED.decode(event) {
            let e = e?;
            Hit {
                block_id: Some(e.block_id),
                method: e.method,
                prefetch: e.prefetch,
                user_agent: e.user_agent,
                referrer: e.referrer,
                accept_language: e.accept_language,
                ip: e.ip,
                ..base(Kind::Click, e.microsite_id, e.owner_id)
            }
        } else {
            return Ok(None);
        }))
    }
}
