//! The five starting templates. Each is an ordinary draft, validated like any other page. They
//! carry no images: we host no stock photos, and a placeholder address would be a broken image on
//! the user's page; the builder's image block (or an upload) is where their own photos go.

use serde_json::json;

use crate::block;
use crate::model::Content;
use crate::theme::{Theme, Tweaks};

pub const NAMES: [&str; 5] = [
    "creator",
    "restaurant_menu",
    "event",
    "business_card",
    "product_launch",
];

/// A template's content with fresh block ids; `None` for an unknown name.
pub fn starter(name: &str) -> Option<Content> {
    let (title, description, theme, blocks) = match name {
        "creator" => (
            "Alex Rivera",
            "Videos, music and everything I make — in one place.",
            Theme::Dark,
            json!([
                {"type": "profile", "name": "Alex Rivera", "bio": "Maker of short films and long playlists."},
                {"type": "social", "items": [
                    {"network": "instagram", "handle": "alexrivera"},
                    {"network": "tiktok", "handle": "alexrivera"},
                    {"network": "youtube", "handle": "alexrivera"}
                ]},
                {"type": "link", "label": "Watch my latest video", "url": "https://www.youtube.com/@alexrivera", "icon": "video"},
                {"type": "link", "label": "Listen to the playlist", "url": "https://open.spotify.com/", "icon": "music"},
                {"type": "link", "label": "Shop the merch", "url": "https://shop.example.com/", "icon": "shop"},
                {"type": "video", "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "title": "Latest video"},
                {"type": "contact", "email": "hello@example.com"}
            ]),
        ),
        "restaurant_menu" => (
            "Casa Lupe",
            "Fresh tortillas every morning. Menu, hours and table bookings.",
            Theme::Sunset,
            json!([
                {"type": "profile", "name": "Casa Lupe", "bio": "Family kitchen since 1998 · 12 Market Street"},
                {"type": "link", "label": "Book a table", "url": "https://booking.example.com/casa-lupe", "icon": "calendar"},
                {"type": "heading", "text": "Starters"},
                {"type": "text", "markdown": true, "text": "**Guacamole** with fresh totopos — 7.50\n**Sopa de lima**, chicken, lime, tortilla strips — 6.00\n**Elote** grilled corn, chili mayo, cotija — 5.00"},
                {"type": "heading", "text": "Mains"},
                {"type": "text", "markdown": true, "text": "**Tacos al pastor** (3), pineapple, onion, coriander — 11.00\n**Enchiladas verdes**, chicken or squash — 13.50\n**Mole poblano** with rice and beans — 15.00\n*Ask us about gluten-free tortillas.*"},
                {"type": "heading", "text": "Desserts"},
                {"type": "text", "markdown": true, "text": "**Churros** with chocolate — 6.00\n**Flan de cajeta** — 5.50"},
                {"type": "divider"},
                {"type": "text", "text": "Open Tue–Sun, 12:00–22:00\nClosed on Mondays"},
                {"type": "link", "label": "Find us", "url": "https://maps.example.com/?q=casa+lupe", "icon": "map"},
                {"type": "contact", "phone": "+1 555 010 2030", "email": "hola@example.com"}
            ]),
        ),
        "event" => (
            "Spring Night Market",
            "Food, music and makers — Saturday 14 March, 18:00 till late.",
            Theme::Candy,
            json!([
                {"type": "heading", "text": "Spring Night Market"},
                {"type": "text", "markdown": true, "text": "**Saturday 14 March**, 18:00 till late\nRiverside Park, north gate\n*Free entry* — bring friends."},
                {"type": "link", "label": "Get your free ticket", "url": "https://tickets.example.com/spring", "icon": "ticket"},
                {"type": "link", "label": "Add to calendar", "url": "https://calendar.example.com/spring.ics", "icon": "calendar"},
                {"type": "heading", "text": "Line-up"},
                {"type": "text", "text": "18:00 Doors and street food\n19:30 The Lanterns (live)\n21:00 DJ Marisol"},
                {"type": "link", "label": "Directions", "url": "https://maps.example.com/?q=riverside+park", "icon": "map"},
                {"type": "social", "items": [{"network": "instagram", "handle": "springnightmarket"}]}
            ]),
        ),
        "business_card" => (
            "Dana Okafor — Architect",
            "Residential and small commercial architecture.",
            Theme::Mono,
            json!([
                {"type": "profile", "name": "Dana Okafor", "bio": "Architect, RIBA · Okafor Studio"},
                {"type": "contact", "email": "dana@example.com", "phone": "+44 20 7946 0000"},
                {"type": "link", "label": "Portfolio", "url": "https://okafor.example.com/", "icon": "star"},
                {"type": "link", "label": "Save my contact", "url": "https://okafor.example.com/dana.vcf", "icon": "download"},
                {"type": "social", "items": [
                    {"network": "linkedin", "handle": "danaokafor"},
                    {"network": "website", "url": "https://okafor.example.com/"}
                ]}
            ]),
        ),
        "product_launch" => (
            "Lumen Lamp",
            "The desk lamp that follows the sun. Launching this spring.",
            Theme::Ocean,
            json!([
                {"type": "heading", "text": "Meet Lumen"},
                {"type": "text", "markdown": true, "text": "Lumen shifts from **cool daylight** to *warm evening light* on its own.\nNo app, no account — [read how it works](https://lumen.example.com/how)."},
                {"type": "video", "url": "https://vimeo.com/76979871", "title": "Lumen in 60 seconds"},
                {"type": "link", "label": "Pre-order — 20% off", "url": "https://lumen.example.com/preorder", "icon": "shop"},
                {"type": "link", "label": "Join the waitlist", "url": "https://lumen.example.com/waitlist", "icon": "mail"},
                {"type": "spacer", "size": "small"},
                {"type": "social", "items": [
                    {"network": "instagram", "handle": "lumenlamp"},
                    {"network": "x", "handle": "lumenlamp"}
                ]},
                {"type": "contact", "email": "press@example.com"}
            ]),
        ),
        _ => return None,
    };
    let values = serde_json::from_value(blocks).ok()?;
    let mut blocks = block::from_json(values).ok()?;
    block::validate_all(&mut blocks).ok()?;
    Some(Content {
        title: title.into(),
        description: Some(description.into()),
        theme,
        tweaks: Tweaks::default(),
        lang: "en".into(),
        blocks,
    })
}

/// A block of a page that still holds a starter's example values: someone else's handle, an
/// `example.com` link, a made-up phone number. Publishing it as is helps nobody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// Where the block is on the page, and its id (for an "edit" link).
    pub index: usize,
    pub block_id: String,
    /// The block's `type`.
    pub kind: &'static str,
    /// The example values still in it, as the owner would recognise them.
    pub values: Vec<String>,
}

/// The blocks of `blocks` that still hold values of one of the starters. The starters
/// themselves are the only list: a value counts when some starter has it in a block of the same
/// type. Headings are not compared ("Mains", "Line-up" are fine to keep), only what names,
/// reaches or describes someone: names, bios, texts, links, social profiles, videos, contacts.
pub fn placeholders(blocks: &[block::Block]) -> Vec<Placeholder> {
    static EXAMPLES: std::sync::LazyLock<std::collections::HashSet<(&'static str, String)>> =
        std::sync::LazyLock::new(|| {
            NAMES
                .iter()
                .filter_map(|name| starter(name))
                .flat_map(|content| content.blocks)
                .flat_map(|b| {
                    let kind = b.kind.tag();
                    example_values(&b).into_iter().map(move |v| (kind, v))
                })
                .collect()
        });
    blocks
        .iter()
        .enumerate()
        .filter_map(|(index, b)| {
            let kind = b.kind.tag();
            let values: Vec<String> = example_values(b)
                .into_iter()
                .filter(|v| EXAMPLES.contains(&(kind, v.clone())))
                .collect();
            (!values.is_empty()).then(|| Placeholder {
                index,
                block_id: b.id.clone(),
                kind,
                values,
            })
        })
        .collect()
}

/// The values of a block that a starter could have put there.
fn example_values(b: &block::Block) -> Vec<String> {
    use crate::block::BlockKind;
    match &b.kind {
        BlockKind::Profile(p) => std::iter::once(p.name.clone())
            .chain(p.bio.clone())
            .collect(),
        BlockKind::Text(t) => vec![t.text.clone()],
        BlockKind::Link(l) => vec![l.url.clone()],
        BlockKind::Social(s) => s
            .items
            .iter()
            .map(|item| {
                let value = item.handle.as_deref().or(item.url.as_deref());
                format!("{} {}", item.network.as_str(), value.unwrap_or_default())
            })
            .collect(),
        BlockKind::Video(v) => vec![v.url.clone()],
        BlockKind::Contact(c) => c.email.iter().chain(&c.phone).cloned().collect(),
        BlockKind::Image(i) => vec![i.url.clone()],
        BlockKind::Heading(_) | BlockKind::Divider(_) | BlockKind::Spacer(_) | BlockKind::Qr(_) => {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_starter_is_all_placeholders_until_edited() {
        for name in NAMES {
            let content = starter(name).unwrap();
            let found = placeholders(&content.blocks);
            assert!(!found.is_empty(), "{name}");
            // Every block with something to replace is listed; headings and dividers are not.
            for (i, b) in content.blocks.iter().enumerate() {
                let listed = found.iter().any(|p| p.index == i && p.block_id == b.id);
                assert_eq!(listed, !example_values(b).is_empty(), "{name} block {i}");
            }
        }
    }

    #[test]
    fn edited_blocks_are_not_placeholders() {
        let mut content = starter("creator").unwrap();
        let before = placeholders(&content.blocks).len();
        let social = content
            .blocks
            .iter_mut()
            .find_map(|b| match &mut b.kind {
                crate::block::BlockKind::Social(s) => Some(s),
                _ => None,
            })
            .unwrap();
        // One handle replaced: the block is still listed, with the two left.
        social.items[0].handle = Some("my-real-handle".into());
        let found = placeholders(&content.blocks);
        let listed = found.iter().find(|p| p.kind == "social").unwrap();
        assert_eq!(listed.values, ["tiktok alexrivera", "youtube alexrivera"]);
        assert_eq!(found.len(), before);
        // All replaced: no longer listed.
        for item in social_items(&mut content).iter_mut() {
            item.handle = Some("mine".into());
        }
        let found = placeholders(&content.blocks);
        assert!(found.iter().all(|p| p.kind != "social"));
        assert_eq!(found.len(), before - 1);
        // A page of the owner's own words has none.
        let own = crate::block::from_json(vec![
            serde_json::json!({"type": "heading", "text": "Mains"}),
            serde_json::json!({"type": "link", "label": "Shop", "url": "https://mine.example.org/"}),
        ])
        .unwrap();
        assert!(placeholders(&own).is_empty());
    }

    fn social_items(content: &mut Content) -> &mut Vec<crate::block::SocialItem> {
        content
            .blocks
            .iter_mut()
            .find_map(|b| match &mut b.kind {
                crate::block::BlockKind::Social(s) => Some(&mut s.items),
                _ => None,
            })
            .unwrap()
    }

    #[test]
    fn every_template_is_a_valid_page() {
        for name in NAMES {
            let content = starter(name).unwrap_or_else(|| panic!("{name} does not validate"));
            assert!(!content.blocks.is_empty());
        }
        assert!(starter("blank-ish").is_none());
    }
}
