//! One block as a flat HTML form: the same struct reads a posted form, is filled from a stored
//! block, and feeds the template — so a refused form is shown again exactly as typed. The
//! microsite service validates everything; this only builds its typed block.

use microsite::block::{
    Block, BlockKind, Contact, Divider, Heading, Icon, Image, Link, Network, Profile, QrBlock,
    Social, SocialItem, Spacer, SpacerSize, Text, Video,
};
use serde::Deserialize;

use super::{FormError, named};

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
                form.size = match b.size {
                    SpacerSize::Small => "small",
                    SpacerSize::Medium => "medium",
                    SpacerSize::Large => "large",
                }
                .to_owned();
            }
            BlockKind::Qr(b) => {
                form.qr_id = b.qr_id.clone();
                form.caption = b.caption.clone().unwrap_or_default();
            }
        }
        form
    }

    /// The block as the API takes it (`id` keeps an existing block's identity, which the tracked
    /// link hop relies on). A name the API does not know (type, icon, network, size) is refused
    /// here, naming the field; everything else is the service's to check.
    pub fn to_block(&self, id: Option<&str>) -> Result<Block, FormError> {
        let kind = match self.kind.trim() {
            "profile" => BlockKind::Profile(Profile {
                name: self.name.trim().to_owned(),
                bio: opt(&self.bio),
                avatar_url: opt(&self.avatar_url),
            }),
            "heading" => BlockKind::Heading(Heading {
                text: self.text.trim().to_owned(),
            }),
            "text" => BlockKind::Text(Text {
                text: self.text.replace("\r\n", "\n"),
                markdown: self.markdown.is_some(),
            }),
            "link" => BlockKind::Link(Link {
                label: self.label.trim().to_owned(),
                url: self.url.trim().to_owned(),
                icon: opt(&self.icon)
                    .map(|icon| named("icon", &icon))
                    .transpose()?,
            }),
            "social" => BlockKind::Social(Social {
                items: self.social_items()?,
            }),
            "image" => BlockKind::Image(Image {
                url: self.url.trim().to_owned(),
                alt: self.alt.trim().to_owned(),
            }),
            "video" => BlockKind::Video(Video {
                url: self.url.trim().to_owned(),
                title: opt(&self.title),
            }),
            "contact" => BlockKind::Contact(Contact {
                email: opt(&self.email),
                phone: opt(&self.phone),
            }),
            "divider" => BlockKind::Divider(Divider {}),
            "spacer" => BlockKind::Spacer(Spacer {
                size: opt(&self.size)
                    .map(|size| named("size", &size))
                    .transpose()?
                    .unwrap_or_default(),
            }),
            // The short code is the qr service's to fill in, never the form's.
            "qr" => BlockKind::Qr(QrBlock {
                qr_id: self.qr_id.trim().to_owned(),
                code: String::new(),
                caption: opt(&self.caption),
                // Drawn by qr when the page is saved.
                svg: None,
            }),
            other => {
                return Err(FormError {
                    field: "type".into(),
                    message: format!("unknown block type `{other}`"),
                });
            }
        };
        Ok(Block {
            id: id.unwrap_or_default().to_owned(),
            kind,
        })
    }

    /// `network value` per line; a value starting with http is a URL, anything else a handle.
    fn social_items(&self) -> Result<Vec<SocialItem>, FormError> {
        self.items
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(|line| {
                let (network, value) = line
                    .split_once(char::is_whitespace)
                    .map_or((line, ""), |(n, v)| (n, v.trim()));
                let network = named("items", &network.to_ascii_lowercase())?;
                let value = (!value.is_empty()).then(|| value.to_owned());
                let is_url = value
                    .as_deref()
                    .is_some_and(|v| v.starts_with("http://") || v.starts_with("https://"));
                let (url, handle) = if is_url { (value, None) } else { (None, value) };
                Ok(SocialItem {
                    network,
                    handle,
                    url,
                })
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
        let blocks: Vec<Block> = serde_json::from_str(
            r#"[
            {"type": "profile", "id": "p", "name": "Ada", "bio": "Hi", "avatar_url": "https://img.example/a.png"},
            {"type": "text", "id": "t", "text": "a\nb", "markdown": true},
            {"type": "link", "id": "l", "label": "Shop", "url": "https://example.com/", "icon": "shop"},
            {"type": "social", "id": "s", "items": [{"network": "github", "handle": "ada"},
                {"network": "mastodon", "url": "https://m.example/@ada"}]},
            {"type": "spacer", "id": "sp", "size": "large"},
            {"type": "qr", "id": "q", "qr_id": "0190", "code": "aB3dE7x", "caption": "Scan"},
            {"type": "divider", "id": "d"}
        ]"#,
        )
        .unwrap();
        for block in &blocks {
            let again = BlockForm::of(block).to_block(Some(block.id())).unwrap();
            let mut expected = block.clone();
            // The short code is the qr service's to fill in, never the form's.
            if let BlockKind::Qr(qr) = &mut expected.kind {
                qr.code.clear();
            }
            assert_eq!(again, expected, "{block:?}");
        }
    }

    #[test]
    fn unknown_names_are_refused_by_their_field() {
        for (form, field) in [
            (
                BlockForm {
                    icon: "rocket".into(),
                    ..BlockForm::blank("link")
                },
                "icon",
            ),
            (
                BlockForm {
                    items: "myspace tom".into(),
                    ..BlockForm::blank("social")
                },
                "items",
            ),
            (
                BlockForm {
                    size: "huge".into(),
                    ..BlockForm::blank("spacer")
                },
                "size",
            ),
            (BlockForm::blank("marquee"), "type"),
        ] {
            let error = form.to_block(None).unwrap_err();
            assert_eq!(error.field, field);
            assert!(error.message.contains("unknown"), "{}", error.message);
        }
    }

    #[test]
    fn social_lines_become_handles_or_urls() {
        let form = BlockForm {
            kind: "social".into(),
            items: "Instagram @ada\r\n\nmastodon https://m.example/@ada\nx".into(),
            ..BlockForm::default()
        };
        let item = |network, handle: Option<&str>, url: Option<&str>| SocialItem {
            network,
            handle: handle.map(str::to_owned),
            url: url.map(str::to_owned),
        };
        let BlockKind::Social(social) = form.to_block(None).unwrap().kind else {
            panic!("a social block");
        };
        assert_eq!(
            social.items,
            [
                item(Network::Instagram, Some("@ada"), None),
                item(Network::Mastodon, None, Some("https://m.example/@ada")),
                item(Network::X, None, None),
            ]
        );
    }
}

crate::pages::session::csrf_form!(BlockForm);
