//! What analytics records: a scan, a microsite view or a click, decoded from its bus event.

use shared::bus::Event;
use shared::events::{MICROSITE_CLICKED, MICROSITE_VIEWED, QR_SCANNED};
use shared::visit::Visit;

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

/// Which event a hit is, what and whose it reached, when, and through which rule, link block or
/// QR code: carried unchanged from the hit into its classification and the stored row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
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
}

/// One request as the producing service saw it. `visit.ip` lives only in memory, for the country
/// and the visitor hash; it is never stored or logged.
#[derive(Clone, Debug)]
pub struct Hit {
    pub occurrence: Occurrence,
    pub visit: Visit,
}

impl Hit {
    /// `Ok(None)` for topics analytics does not record. The payload is a copy of the published
    /// value when the event was published in this process, else decoded from its JSON text
    /// ([`shared::bus::Topic::decode`]).
    pub fn from_event(event: &Event) -> Result<Option<Hit>, serde_json::Error> {
        let occurrence = |kind, target_id, owner_id| Occurrence {
            id: event.id.clone(),
            kind,
            target_id,
            owner_id,
            occurred_at: event.occurred_at,
            rule: None,
            block_id: None,
            qr_code: None,
        };
        Ok(Some(if let Some(e) = QR_SCANNED.decode(event) {
            let e = e?;
            let scan = Occurrence {
                rule: Some(e.rule),
                ..occurrence(Kind::Scan, e.qr_id, e.owner_id)
            };
            Hit {
                occurrence: scan,
                visit: e.visit,
            }
        } else if let Some(e) = MICROSITE_VIEWED.decode(event) {
            let e = e?;
            let view = Occurrence {
                qr_code: e.qr_code,
                ..occurrence(Kind::View, e.microsite_id, e.owner_id)
            };
            Hit {
                occurrence: view,
                visit: e.visit,
            }
        } else if let Some(e) = MICROSITE_CLICKED.decode(event) {
            let e = e?;
            let click = Occurrence {
                block_id: Some(e.block_id),
                ..occurrence(Kind::Click, e.microsite_id, e.owner_id)
            };
            Hit {
                occurrence: click,
                visit: e.visit,
            }
        } else {
            return Ok(None);
        }))
    }
}
