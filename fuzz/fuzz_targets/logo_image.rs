//! Logo and image uploads: the media module's decoder (signature sniffing, limits, orientation,
//! scaling, re-encoding) never panics or runs out of its memory limit on any bytes, and what it
//! stores renders as a QR code logo (decoded again under the renderer's own limits).
#![no_main]

use libfuzzer_sys::fuzz_target;
use media::process::{MAX_STORED_SIDE, normalise};
use qr::render::{LogoImage, Matrix, png_with};
use qr::style::{Ecc, Logo, Style};

fuzz_target!(|data: &[u8]| {
    let style = Style {
        ecc: Ecc::H,
        logo: Some(Logo {
            id: "a".repeat(64),
            size: 0.3,
        }),
        ..Style::default()
    };
    let matrix = Matrix::encode("http://localhost:3000/r/ab3cd5e", Ecc::H).unwrap();
    // Bytes that never went through the media module must fail cleanly in the renderer too.
    let _ = png_with(
        &matrix,
        &style,
        64,
        Some(&LogoImage::new(bytes::Bytes::copy_from_slice(data))),
    );
    let Ok(stored) = normalise(data) else {
        return;
    };
    assert!(stored.width.max(stored.height) <= MAX_STORED_SIDE);
    assert!(stored.png.starts_with(b"\x89PNG\r\n\x1a\n"));
    let logo = LogoImage::new(bytes::Bytes::from(stored.png));
    png_with(&matrix, &style, 128, Some(&logo)).expect("a stored logo renders");
});
