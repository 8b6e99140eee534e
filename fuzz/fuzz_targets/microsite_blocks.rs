//! Microsite blocks as the API receives them (a JSON array): no panic in reading, validating or
//! rendering; accepted blocks validate again unchanged; the rendered page links only to
//! http(s), mailto, tel or our own paths, and user text never becomes a tag.
#![no_main]

use libfuzzer_sys::fuzz_target;
use microsite::block::{from_json, validate_all};
use microsite::model::Content;
use microsite::page::{Mode, render};

fuzz_target!(|data: &[u8]| {
    let Ok(serde_json::Value::Array(values)) = serde_json::from_slice(data) else {
        return;
    };
    let Ok(mut blocks) = from_json(values) else {
        return;
    };
    if validate_all(&mut blocks).is_err() {
        return;
    }
    let stored: Vec<_> = blocks
        .iter()
        .map(|b| serde_json::to_value(b).unwrap())
        .collect();
    let mut again = from_json(stored).expect("stored blocks read back");
    assert!(validate_all(&mut again).is_ok());
    assert_eq!(again, blocks);
    let content = Content {
        title: "<zz".into(),
        description: None,
        theme: Default::default(),
        tweaks: Default::default(),
        lang: "en".into(),
        blocks,
    };
    for mode in [Mode::Public, Mode::Preview] {
        let html = render(&content, "my-page", "https://scanpage.test", mode).html;
        assert!(!html.contains("<zz"), "{html}");
        for attribute in ["href=\"", "src=\""] {
            let mut rest = html.as_str();
            while let Some(at) = rest.find(attribute) {
                let value = &rest[at + attribute.len()..];
                let end = value.find('"').expect("a closed attribute");
                let link = value[..end].to_ascii_lowercase();
                assert!(
                    ["https://", "http://", "mailto:", "tel:", "/", "#"]
                        .iter()
                        .any(|p| link.starts_with(p))
                        && !link.starts_with("//"),
                    "{link:?}"
                );
                rest = &value[end..];
            }
        }
    }
});
