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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_is_a_valid_page() {
        for name in NAMES {
            let content = starter(name).unwrap_or_else(|| panic!("{name} does not validate"));
            assert!(!content.blocks.is_empty());
        }
        assert!(starter("blank-ish").is_none());
    }
}
