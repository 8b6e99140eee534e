//! Property tests of the microsite's parsers and validators: slugs, the URLs blocks may carry, and
//! whole blocks read from JSON. Properties: nothing panics; whatever is accepted validates again
//! to the same value; a page made of accepted blocks carries no markup, attribute or link its
//! author slipped in.

use microsite::block::{Block, from_json, image_url, link_url, validate_all, web_url};
use microsite::model::Content;
use microsite::page::{Mode, render};
use microsite::slug::Slug;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};
use url::Url;

fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::range('a', 'z'),
        3 => select(vec![
            '/', '\\', '?', '#', '&', '=', '%', '@', ':', ';', '.', '-', '_', '<', '>', '"', '\'',
            '`', ' ', '\t', '\n', '\r', '\0', '\u{7f}', '\u{85}', '\u{a0}', '\u{200b}', '\u{2028}',
            '\u{3000}', '\u{feff}', 'é', 'İ', 'ß', 'Ａ', '／', '{', '}', '|', '^', '[', ']', '(',
            ')', '*', '2', 'A', 'Z',
        ]),
        1 => any::<char>(),
    ]
}

fn tricky_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(tricky_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

/// Text that must never reach a page as markup: a tag, and a quote that would end an attribute
/// (a quote in text between tags is harmless, so that one is looked for inside tags only).
const TAG: &str = "<zz";
const ATTRIBUTE: &str = "\"onzz";

/// Whether `needle` occurs inside a tag (after a `<` that no `>` has closed yet).
fn inside_a_tag(html: &str, needle: &str) -> bool {
    html.match_indices(needle).any(|(at, _)| {
        let before = &html[..at];
        before.rfind('<') > before.rfind('>')
    })
}

fn user_text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => tricky_text(max),
        1 => (tricky_text(8), tricky_text(8)).prop_map(|(a, b)| format!("{a}<zz \"onzz='x'>{b}")),
    ]
}

fn url_like() -> impl Strategy<Value = String> {
    let lead = select(vec!["", "", " ", "\t", "\u{1}", "\u{feff}"]);
    let scheme = select(vec![
        "https",
        "http",
        "HTTPS",
        "javascript",
        "JaVaScRiPt",
        "java\tscript",
        "jav&#x61;script",
        "data",
        "vbscript",
        "file",
        "mailto",
        "MAILTO",
        "tel",
        "blob",
        "",
    ]);
    let separator = select(vec![
        "://", "://", ":", ":/", ":\\\\", ":///", "&colon;", "%3A", "://u:p@",
    ]);
    let host = prop_oneof![
        select(vec![
            "example.com",
            "café.example",
            "127.0.0.1",
            "[::1]",
            "",
            "ex ample.com",
            "ex\"ample.com",
            "ex`ample.com",
            "ex<ample.com",
            "a@b.example",
            "+1 555 0100",
            "\"><zz>",
            "www.youtube.com/watch?v=dQw4w9WgXcQ",
            "youtu.be/dQw4w9WgXcQ",
            "vimeo.com/123456",
        ])
        .prop_map(str::to_owned),
        "[a-z0-9.-]{1,20}",
        tricky_text(12),
    ];
    (lead, scheme, separator, host, tricky_text(30))
        .prop_map(|(lead, scheme, sep, host, path)| format!("{lead}{scheme}{sep}{host}{path}"))
}

fn assert_inert(s: &str) {
    assert!(s.is_ascii(), "{s:?} is not ASCII");
    assert!(
        !s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '`')),
        "{s:?} carries a character that is unsafe in markup"
    );
}

fn check_url(
    raw: &str,
    parse: fn(&str) -> Result<String, &'static str>,
    schemes: &[&str],
) -> Result<(), TestCaseError> {
    let Ok(out) = parse(raw) else { return Ok(()) };
    let url = Url::parse(&out).expect("a URL");
    prop_assert!(
        schemes.contains(&url.scheme()),
        "{:?} became {:?}",
        raw,
        out
    );
    if matches!(url.scheme(), "http" | "https") {
        prop_assert!(url.host_str().is_some_and(|h| !h.is_empty()), "{}", out);
    }
    assert_inert(&out);
    prop_assert_eq!(
        parse(&out),
        Ok(out.clone()),
        "stored form must validate unchanged"
    );
    Ok(())
}

fn check_slug(raw: &str) -> Result<(), TestCaseError> {
    if let Ok(slug) = Slug::parse(raw) {
        let s = slug.as_str();
        prop_assert_eq!(s, raw, "a slug is stored exactly as typed");
        prop_assert!((3..=40).contains(&s.len()));
        prop_assert!(
            s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        );
        prop_assert!(!s.starts_with('-') && !s.ends_with('-') && !s.contains("--"));
        prop_assert_eq!(Slug::parse(s), Ok(slug.clone()));
    }
    Ok(())
}

fn block_id() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9_-]{1,32}",
        tricky_text(40),
    ])
}

fn markdown() -> impl Strategy<Value = String> {
    prop_oneof![
        user_text(60),
        (user_text(10), user_text(10), url_like(), user_text(10))
            .prop_map(|(a, label, url, b)| format!("{a}[{label}]({url}) **{b}** _{a}_")),
    ]
}

/// One block as the API receives it: every type, fields of any text, sometimes a missing or an
/// unknown field.
fn block_json() -> impl Strategy<Value = Value> {
    let network = select(vec![
        "instagram",
        "tiktok",
        "x",
        "github",
        "mastodon",
        "website",
        "bluesky",
        "myspace",
    ]);
    let social_item = (
        network,
        prop::option::of(user_text(20)),
        prop::option::of(url_like()),
    )
        .prop_map(
            |(network, handle, url)| json!({"network": network, "handle": handle, "url": url}),
        );
    let video_url = prop_oneof![
        select(vec![
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://youtu.be/dQw4w9WgXcQ",
            "https://vimeo.com/76979871",
            "https://player.vimeo.com/video/76979871",
            "https://m.youtube.com/shorts/dQw4w9WgXcQ",
        ])
        .prop_map(str::to_owned),
        url_like(),
    ];
    let body = prop_oneof![
        (user_text(30), prop::option::of(user_text(40)), prop::option::of(url_like()))
            .prop_map(|(name, bio, avatar)| json!({"type": "profile", "name": name, "bio": bio, "avatar_url": avatar})),
        user_text(30).prop_map(|text| json!({"type": "heading", "text": text})),
        (markdown(), any::<bool>())
            .prop_map(|(text, md)| json!({"type": "text", "text": text, "markdown": md})),
        (user_text(30), url_like(), prop::option::of(select(vec!["shop", "mail", "rocket"])))
            .prop_map(|(label, url, icon)| json!({"type": "link", "label": label, "url": url, "icon": icon})),
        prop::collection::vec(social_item, 0..4)
            .prop_map(|items| json!({"type": "social", "items": items})),
        (url_like(), user_text(20))
            .prop_map(|(url, alt)| json!({"type": "image", "url": url, "alt": alt})),
        (video_url, prop::option::of(user_text(20)))
            .prop_map(|(url, title)| json!({"type": "video", "url": url, "title": title})),
        (
            prop::option::of(prop_oneof!["[a-z.+_-]{1,10}@[a-z]{1,8}\\.[a-z]{2,3}", user_text(20)]),
            prop::option::of(prop_oneof!["\\+?[0-9 ().-]{3,20}", user_text(20)]),
        )
            .prop_map(|(email, phone)| json!({"type": "contact", "email": email, "phone": phone})),
        Just(json!({"type": "divider"})),
        select(vec!["small", "medium", "large", "huge"])
            .prop_map(|size| json!({"type": "spacer", "size": size})),
        Just(json!({"type": "script", "src": "x"})),
        Just(json!({"type": "link", "label": "x", "url": "https://example.com", "onclick": "x"})),
    ];
    (body, block_id()).prop_map(|(mut block, id)| {
        let object = block.as_object_mut().expect("an object");
        // `null` options are what a client may send; drop half of them to test absence too.
        object.retain(|_, v| !v.is_null());
        if let Some(id) = id {
            object.insert("id".into(), Value::String(id));
        }
        block
    })
}

/// Every `href`/`src` attribute value of a page, entity-decoded enough to read its scheme.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attribute in ["href=\"", "src=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attribute) {
            let value = &rest[at + attribute.len()..];
            let end = value.find('"').expect("a closed attribute");
            out.push(value[..end].replace("&amp;", "&").replace("&#38;", "&"));
            rest = &value[end..];
        }
    }
    out
}

fn check_page(title: &str, blocks: Vec<Block>) -> Result<(), TestCaseError> {
    let content = Content {
        title: title.to_owned(),
        description: Some(title.to_owned()),
        theme: microsite::theme::Theme::default(),
        tweaks: microsite::theme::Tweaks::default(),
        lang: "en".into(),
        blocks,
    };
    for mode in [Mode::Public, Mode::Preview] {
        let html = render(&content, "my-page", "https://scanpage.test", mode).html;
        prop_assert!(!html.contains(TAG), "a tag from user text in {}", html);
        prop_assert!(
            !inside_a_tag(&html, ATTRIBUTE),
            "an attribute from user text in {}",
            html
        );
        for link in links(&html) {
            let lower = link.to_ascii_lowercase();
            prop_assert!(
                ["https://", "http://", "mailto:", "tel:", "/", "#"]
                    .iter()
                    .any(|p| lower.starts_with(p)),
                "a link {:?} in {}",
                link,
                html
            );
            prop_assert!(!lower.starts_with("//"), "{}", link);
            assert_inert(&link.replace(' ', "%20"));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn slugs_near_valid(raw in "[ -]?[a-zA-Z0-9_.%/-]{0,45}[\n -]?") {
        check_slug(&raw)?;
    }

    #[test]
    fn slugs_arbitrary(raw in tricky_text(60)) {
        check_slug(&raw)?;
    }

    #[test]
    fn block_urls_near_valid(raw in url_like()) {
        check_url(&raw, link_url, &["http", "https", "mailto", "tel"])?;
        check_url(&raw, web_url, &["http", "https"])?;
        check_url(&raw, image_url, &["https"])?;
    }

    #[test]
    fn block_urls_arbitrary(raw in any::<String>()) {
        check_url(&raw, link_url, &["http", "https", "mailto", "tel"])?;
        check_url(&raw, web_url, &["http", "https"])?;
        check_url(&raw, image_url, &["https"])?;
    }

    #[test]
    fn accepted_blocks_round_trip_and_render_inert(
        values in prop::collection::vec(block_json(), 0..6),
        title in user_text(40),
    ) {
        let Ok(mut blocks) = from_json(values) else { return Ok(()) };
        if validate_all(&mut blocks).is_err() {
            return Ok(());
        }
        // What the API stores and answers is accepted back unchanged (the builder re-sends it).
        let stored: Vec<Value> = blocks.iter().map(|b| serde_json::to_value(b).unwrap()).collect();
        let mut again = from_json(stored).expect("stored blocks read back");
        prop_assert!(validate_all(&mut again).is_ok());
        prop_assert_eq!(&again, &blocks);
        check_page(&title, blocks)?;
    }

    #[test]
    fn arbitrary_block_json_never_panics(raw in tricky_text(200)) {
        if let Ok(Value::Array(values)) = serde_json::from_str::<Value>(&raw)
            && let Ok(mut blocks) = from_json(values)
        {
            let _ = validate_all(&mut blocks);
        }
        let _ = serde_json::from_str::<Block>(&raw);
    }
}
