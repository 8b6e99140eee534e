//! The QR code as the service and its API see it, and the static kinds' contents.

use serde::{Deserialize, Serialize};

use crate::error::QrError;
use crate::rules::{Rules, Utm};
use crate::style::Style;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Dynamic: encodes our short URL; the destination can change after printing.
    #[default]
    Url,
    /// Dynamic: encodes our short URL and goes to one of the owner's microsites.
    Microsite,
    /// Static kinds encode their content directly and are not tracked.
    Text,
    Wifi,
    Vcard,
    Email,
    Sms,
}

impl Kind {
    pub fn is_dynamic(self) -> bool {
        matches!(self, Kind::Url | Kind::Microsite)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Url => "url",
            Kind::Microsite => "microsite",
            Kind::Text => "text",
            Kind::Wifi => "wifi",
            Kind::Vcard => "vcard",
            Kind::Email => "email",
            Kind::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [
            Kind::Url,
            Kind::Microsite,
            Kind::Text,
            Kind::Wifi,
            Kind::Vcard,
            Kind::Email,
            Kind::Sms,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// What a static code carries, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Content {
    Wifi {
        ssid: String,
        #[serde(default)]
        password: String,
        #[serde(default = "wpa")]
        security: String,
        #[serde(default)]
        hidden: bool,
    },
    Vcard {
        full_name: String,
        #[serde(default)]
        phone: String,
        #[serde(default)]
        email: String,
        #[serde(default)]
        organisation: String,
        #[serde(default)]
        url: String,
    },
    Email {
        to: String,
        #[serde(default)]
        subject: String,
        #[serde(default)]
        body: String,
    },
    Sms {
        phone: String,
        #[serde(default)]
        body: String,
    },
    Text {
        text: String,
    },
}

fn wpa() -> String {
    "WPA".into()
}

pub const MAX_CONTENT: usize = 1_000;

impl Content {
    /// The text the symbol encodes, built with each format's escaping.
    pub fn payload(&self, kind: Kind) -> Result<String, QrError> {
        let out = match (kind, self) {
            (Kind::Text, Content::Text { text }) => text.clone(),
            (
                Kind::Wifi,
                Content::Wifi {
                    ssid,
                    password,
                    security,
                    hidden,
                },
            ) => {
                let security = match security.to_ascii_uppercase().as_str() {
                    "WPA" | "WPA2" | "WPA3" => "WPA",
                    "WEP" => "WEP",
                    "NONE" | "NOPASS" | "" => "nopass",
                    _ => return Err(QrError::invalid("content.security", "use WPA, WEP or none")),
                };
                format!(
                    "WIFI:T:{security};S:{};P:{};H:{};;",
                    escape_mecard(ssid),
                    escape_mecard(password),
                    if *hidden { "true" } else { "false" }
                )
            }
            (Kind::Email, Content::Email { to, subject, body }) => {
                let mut url = format!(
                    "mailto:{}",
                    url::form_urlencoded::byte_serialize(to.as_bytes())
                        .collect::<String>()
                        .replace("%40", "@")
                );
                let query: String = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(
                        [("subject", subject), ("body", body)]
                            .into_iter()
                            .filter(|(_, v)| !v.is_empty()),
                    )
                    .finish();
                if !query.is_empty() {
                    url.push('?');
                    url.push_str(&query.replace('+', "%20"));
                }
                url
            }
            (Kind::Sms, Content::Sms { phone, body }) => {
                format!("SMSTO:{}:{}", clean_phone(phone), body)
            }
            (
                Kind::Vcard,
                Content::Vcard {
                    full_name,
                    phone,
                    email,
                    organisation,
                    url,
                },
            ) => {
                let mut card = format!(
                    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{}\r\n",
                    escape_vcard(full_name)
                );
                for (key, value) in [
                    ("TEL", phone),
                    ("EMAIL", email),
                    ("ORG", organisation),
                    ("URL", url),
                ] {
                    if !value.is_empty() {
                        let _ = write!(card, "{key}:{}\r\n", escape_vcard(value));
                    }
                }
                card.push_str("END:VCARD");
                card
            }
            _ => {
                return Err(QrError::invalid(
                    "content",
                    format!("the content does not match the '{}' kind", kind.as_str()),
                ));
            }
        };
        if out.trim().is_empty() {
            return Err(QrError::invalid("content", "the content is empty"));
        }
        if out.len() > MAX_CONTENT {
            return Err(QrError::invalid(
                "content",
                format!("the content may be at most {MAX_CONTENT} characters"),
            ));
        }
        Ok(out)
    }
}

fn escape_mecard(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | ';' | ',' | ':' | '"') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn escape_vcard(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace(['\r', '\n'], " ")
}

fn clean_phone(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect()
}

/// A stored code.
#[derive(Debug, Clone, PartialEq)]
pub struct QrCode {
    pub id: String,
    pub owner_id: String,
    pub code: String,
    pub name: String,
    pub kind: Kind,
    pub destination: Option<String>,
    /// `microsite` codes: which of the owner's microsites (`destination` is its public URL).
    pub microsite_id: Option<String>,
    pub content: Option<Content>,
    pub style: Style,
    pub rules: Rules,
    pub utm: Option<Utm>,
    pub tags: Vec<String>,
    pub paused: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// When the owner moved it to the trash (`None`: not in the trash).
    pub deleted_at: Option<i64>,
}

impl QrCode {
    /// A blank code of `kind` for `owner_id`, to be filled by the service.
    pub fn blank(owner_id: &str, kind: Kind, now: i64) -> Self {
        QrCode {
            id: shared::ids::new_id(),
            owner_id: owner_id.to_owned(),
            code: String::new(),
            name: String::new(),
            kind,
            destination: None,
            microsite_id: None,
            content: None,
            style: Style::default(),
            rules: Rules::default(),
            utm: None,
            tags: Vec::new(),
            paused: false,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        }
    }

    /// What the symbol encodes: our short URL for dynamic codes, the content for static ones.
    pub fn payload(&self, public_base_url: &str) -> Result<String, QrError> {
        match (&self.content, self.kind.is_dynamic()) {
            (_, true) => Ok(short_url(public_base_url, &self.code)),
            (Some(content), false) => content.payload(self.kind),
            (None, false) => Err(QrError::invalid("content", "the content is missing")),
        }
    }
}

pub fn short_url(public_base_url: &str, code: &str) -> String {
    format!("{public_base_url}/r/{code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wifi_payload_escapes_separators() {
        let content = Content::Wifi {
            ssid: "Café;Guest".into(),
            password: "pa:ss,\"word\\".into(),
            security: "wpa2".into(),
            hidden: false,
        };
        assert_eq!(
            content.payload(Kind::Wifi).unwrap(),
            r#"WIFI:T:WPA;S:Café\;Guest;P:pa\:ss\,\"word\\;H:false;;"#
        );
    }

    #[test]
    fn email_sms_and_vcard_payloads() {
        let email = Content::Email {
            to: "hi@example.com".into(),
            subject: "Table 4".into(),
            body: String::new(),
        };
        assert_eq!(
            email.payload(Kind::Email).unwrap(),
            "mailto:hi@example.com?subject=Table%204"
        );
        let sms = Content::Sms {
            phone: "+44 (20) 7946-0000".into(),
            body: "JOIN".into(),
        };
        assert_eq!(sms.payload(Kind::Sms).unwrap(), "SMSTO:+442079460000:JOIN");
        let card = Content::Vcard {
            full_name: "Ada; Lovelace".into(),
            phone: "+44".into(),
            email: String::new(),
            organisation: String::new(),
            url: String::new(),
        };
        let payload = card.payload(Kind::Vcard).unwrap();
        assert!(payload.contains("FN:Ada\\; Lovelace\r\n") && payload.ends_with("END:VCARD"));
    }

    #[test]
    fn content_must_match_its_kind() {
        let text = Content::Text {
            text: "hello".into(),
        };
        assert!(text.payload(Kind::Wifi).is_err());
        assert!(
            Content::Text { text: " ".into() }
                .payload(Kind::Text)
                .is_err()
        );
    }
}
