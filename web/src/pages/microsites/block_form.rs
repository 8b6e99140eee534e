//! One block as a flat HTML form: the same struct reads a posted form, is filled from a stored
//! block, and feeds the template — so a refused form is shown again exactly as typed. The
//! microsite service validates everything; this only shapes JSON.

use microsite::block::{Block, BlockKind, Icon, Network};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// Every block type the builder offers, with its label.
pub const KINDS: [(&str, &str); 11] = [
    ("profile", "Profile"),
    ("heading", "Heading"),
    ("text", "Text"),
    ("link", "Link"),
    ("social", "Social profiles"),
    ("image", "Image"),
    ("video", "Video"),
    ("contact", "Contact"),
    ("divider", "Divider"),
    ("spacer", "Spacer"),
    ("qr", "QR code"),
];

/// The link icons the builder offers: every one the API knows.
pub const ICONS: &[Icon] = &Icon::ALL;

/// The social networks the builder names: every one the API knows.
pub const NETWORKS: &[Network] = &Network::ALL;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct BlockForm {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub bio: String,
    #[serde(default)]
    pub avatar_url: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub markdown: Option<String>,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub icon: String,
    /// Social profiles, one per line: `network handle-or-url`.
    #[serde(default)]
    pub items: String,
    #[serde(default)]
    pub alt: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub size: String,
    #[serde(default)]
    pub qr_id: String,
    #[serde(default)]
    pub caption: String,
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

fn name_of<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl BlockForm {
    pub fn blank(kind: &str) -> Self {
        BlockForm {
            kind: kind.to_owned(),
            size: "medium".into(),
            ..BlockForm::default()
        }
    }

    /// A stored block, as the form shows it.
    pub fn of(block: &Block) -> Self {
        let mut form = BlockForm {
            kind: block.kind.tag().to_owned(),
            ..BlockForm::default()
        };
        match &block.kind {
            BlockKind::Profile(b) => {
                form.name = b.name.clone();
                form.bio = b.bio.clone().unwrap_or_default();
                form.avatar_url = b.avatar_url.clone().unwrap_or_default();
            }
            BlockKind::Heading(b) => {
                form.text = b.text.clone();
            }
            BlockKind::Text(b) => {
                form.text = b.text.clone();
                form.markdown = b.markdown.then(|| "on".to_owned());
            }
            BlockKind::Link(b) => {
                form.label = b.label.clone();
                form.url = b.url.clone();
                form.icon = b.icon.map(Icon::as_str).unwrap_or_default().to_owned();
            }
            BlockKind::Social(b) => {
                form.items = b
                    .items
                    .iter()
                    .map(|item| {
                        // A handle is shorter to read than the URL derived from it.
                        let value = item.handle.as_deref().or(item.url.as_deref());
                        let network = item.network.as_str();
                        format!("{network} {}", value.unwrap_or_default())
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
            }
            BlockKind::Image(b) => {
                form.url = b.url.clone();
                form.alt = b.alt.clone();
            }
            BlockKind::Video(b) => {
                form.url = b.url.clone();
                form.title = b.title.clone().unwrap_or_default();
            }
            BlockKind::Contact(b) => {
                form.email = b.email.clone().unwrap_or_default();
                form.phone = b.phone.clone().unwrap_or_default();
            }
            BlockKind::Divider(_) => {}
            BlockKind::Spacer(b) => {
                form.size = name_of(b.size);
            }
            BlockKind::Qr(b) => {
                form.qr_id = b.qr_id.clone();
                form.caption = b.caption.clone().unwrap_or_default();
            }
        }
        form
    }

    /// The block as the API takes it (`id` keeps an existing block's identity, which the tracked
    /// link hop relies on).
    pub fn to_json(&self, id: Option<&str>) -> Value {
        let mut out = Map::new();
        out.insert("type".into(), json!(self.kind.trim()));
        if let Some(id) = id {
            out.insert("id".into(), json!(id));
        }
        let mut put = |key: &str, value: Option<String>| {
            if let Some(value) = value {
                out.insert(key.into(), Value::String(value));
            }
        };
        match self.kind.trim() {
            "profile" => {
                put("name", Some(self.name.trim().to_owned()));
                put("bio", opt(&self.bio));
                put("avatar_url", opt(&self.avatar_url));
            }
            "heading" => put("text", Some(self.text.trim().to_owned())),
            "text" => {
                put("text", Some(self.text.replace("\r\n", "\n")));
                out.insert("markdown".into(), json!(self.markdown.is_some()));
            }
            "link" => {
                put("label", Some(self.label.trim().to_owned()));
                put("url", Some(self.url.trim().to_owned()));
                put("icon", opt(&self.icon));
            }
            "social" => {
                out.insert("items".into(), Value::Array(self.social_items()));
            }
            "image" => {
                put("url", Some(self.url.trim().to_owned()));
                put("alt", Some(self.alt.trim().to_owned()));
            }
            "video" => {
                put("url", Some(self.url.trim().to_owned()));
                put("title", opt(&self.title));
            }
            "contact" => {
                put("email", opt(&self.email));
                put("phone", opt(&self.phone));
            }
            "spacer" => put("size", opt(&self.size)),
            "qr" => {
                put("qr_id", Some(self.qr_id.trim().to_owned()));
                put("caption", opt(&self.caption));
            }
            // "divider" has no fields; an unknown type is named by the API's error.
            _ => {}
        }
        Value::Object(out)
    }

    /// `network value` per line; a value starting with http is a URL, anything else a handle.
    fn social_items(&self) -> Vec<Value> {
        self.items
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(|line| {
                let (network, value) = line
                    .split_once(char::is_whitespace)
                    .map_or((line, ""), |(n, v)| (n, v.trim()));
                let network = network.to_ascii_lowercase();
                if value.is_empty() {
                    json!({ "network": network })
                } else if value.starts_with("http://") || value.starts_with("https://") {
                    json!({ "network": network, "url": value })
                } else {
                    json!({ "network": network, "handle": value })
                }
            })
            .collect()
    }

    pub fn kind_label(&self) -> &'static str {
        KINDS
            .iter()
            .find(|(k, _)| *k == self.kind)
            .map_or("Block", |(_, label)| label)
    }

    /// A one-line reminder of what the block says, for its collapsed row.
    pub fn summary(&self) -> String {
        let text = match self.kind.as_str() {
            "profile" => self.name.clone(),
            "heading" | "text" => self.text.clone(),
            "link" => format!("{} → {}", self.label, self.url),
            "social" => self.items.lines().count().to_string() + " profile(s)",
            "image" => self.alt.clone(),
            "video" => self.url.clone(),
            "contact" => [self.email.as_str(), self.phone.as_str()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" · "),
            "spacer" => self.size.clone(),
            "qr" => self.caption.clone(),
            _ => String::new(),
        };
        let line = text.lines().next().unwrap_or_default();
        if line.chars().count() > 60 {
            line.chars().take(59).collect::<String>() + "…"
        } else {
            line.to_owned()
        }
    }

    pub fn is_markdown(&self) -> bool {
        self.markdown.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_block_round_trips_through_the_form() {
        let blocks: Vec<Block> = serde_json::from_value(json!([
            {"type": "profile", "id": "p", "name": "Ada", "bio": "Hi", "avatar_url": "https://img.example/a.png"},
            {"type": "text", "id": "t", "text": "a\nb", "markdown": true},
            {"type": "link", "id": "l", "label": "Shop", "url": "https://example.com/", "icon": "shop"},
            {"type": "social", "id": "s", "items": [{"network": "github", "handle": "ada"},
                {"network": "mastodon", "url": "https://m.example/@ada"}]},
            {"type": "spacer", "id": "sp", "size": "large"},
            {"type": "qr", "id": "q", "qr_id": "0190", "code": "aB3dE7x", "caption": "Scan"},
            {"type": "divider", "id": "d"}
        ]))
        .unwrap();
        for block in &blocks {
            let again = BlockForm::of(block).to_json(Some(block.id()));
            let mut expected = serde_json::to_value(block).unwrap();
            // The short code is the qr service's to fill in, never the form's.
            if let Some(obj) = expected.as_object_mut() {
                obj.remove("code");
            }
            assert_eq!(again, expected, "{block:?}");
        }
    }

    #[test]
    fn social_lines_become_handles_or_urls() {
        let form = BlockForm {
            kind: "social".into(),
            items: "Instagram @ada\r\n\nmastodon https://m.example/@ada\nx".into(),
            ..BlockForm::default()
        };
        assert_eq!(
            form.to_json(None)["items"],
            json!([
                {"network": "instagram", "handle": "@ada"},
                {"network": "mastodon", "url": "https://m.example/@ada"},
                {"network": "x"}
            ])
        );
    }
}

crate::pages::session::csrf_form!(BlockForm);
