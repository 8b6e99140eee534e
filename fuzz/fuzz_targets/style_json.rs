//! QR styles as the API receives them (JSON): no panic in parsing, validation or SVG rendering;
//! an accepted style reads back from its stored JSON unchanged, and its caption never reaches
//! the SVG as markup.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qr::render::{Matrix, svg};
use qr::style::Style;

fuzz_target!(|data: &[u8]| {
    let Ok(style) = serde_json::from_slice::<Style>(data) else {
        return;
    };
    let Ok(style) = style.validated() else {
        return;
    };
    let json = serde_json::to_string(&style).unwrap();
    let again: Style = serde_json::from_str(&json).expect("stored style reads back");
    assert_eq!(again.validated().as_ref(), Ok(&style), "{json}");
    let matrix = Matrix::encode("http://localhost:3000/r/ab3cd5e", style.ecc).unwrap();
    let out = svg(&matrix, &style);
    if let Some(frame) = &style.frame {
        if frame.text.contains(['<', '&', '"']) {
            assert!(!out.contains(&frame.text), "raw caption in {out}");
        }
    }
});
