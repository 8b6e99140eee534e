//! Property tests of the qr service's parsers and validators: destinations, custom short codes,
//! styles and bulk CSV rows. Inputs are both near-valid (real schemes and hosts mixed with the
//! spellings filters get fooled by) and arbitrary text. Properties: nothing panics; whatever is
//! accepted parses again to the same value; whatever is accepted is safe to put in a page or a
//! `Location` header.

mod common;

use proptest::prelude::*;
use proptest::sample::select;
use qr::bulk::{CsvError, parse_csv};
use qr::code::ShortCode;
use qr::destination::{Blocklist, Destination, MAX_LEN};
use qr::render::{Matrix, png, svg};
use qr::style::{
    Color, Ecc, EyeShape, Frame, FrameTemplate, Gradient, GradientKind, Logo, ModuleShape, Style,
    contrast,
};
use url::Url;

fn blocklist() -> Blocklist {
    Blocklist::from_lines("evil.example\nphish.test")
}

/// Characters that break parsers or fool filters, then letters, then anything at all.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::range('a', 'z'),
        3 => select(vec![
            '/', '\\', '?', '#', '&', '=', '%', '@', ':', ';', '.', '-', '_', '<', '>', '"', '\'',
            '`', ' ', '\t', '\n', '\r', '\0', '\u{7f}', '\u{85}', '\u{a0}', '\u{200b}', '\u{2028}',
            '\u{3000}', '\u{feff}', 'é', 'İ', 'ß', 'Ａ', '／', '{', '}', '|', '^', '[', ']', '2',
            'A', 'Z',
        ]),
        1 => any::<char>(),
    ]
}

fn tricky_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(tricky_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

/// A URL-shaped string: optional junk, a scheme however spelled, a separator, a host, a path.
fn url_like() -> impl Strategy<Value = String> {
    let lead = select(vec!["", "", " ", "\t", "\u{1}", "\u{feff}", "\n"]);
    let scheme = select(vec![
        "https",
        "http",
        "HTTPS",
        "hTtP",
        "javascript",
        "JaVaScRiPt",
        "java\tscript",
        "java\nscript",
        "jav&#x61;script",
        "data",
        "vbscript",
        "file",
        "ftp",
        "mailto",
        "tel",
        "blob",
        "ws",
        "",
    ]);
    let separator = select(vec![
        "://",
        "://",
        ":",
        ":/",
        ":\\\\",
        ":/\\",
        ":///",
        "&colon;//",
        "%3A//",
        "://user:pw@",
        "://@",
        "://user@",
    ]);
    let host = prop_oneof![
        select(vec![
            "example.com",
            "EXAMPLE.com",
            "café.example",
            "xn--caf-dma.example",
            "127.0.0.1",
            "[::1]",
            "localhost",
            "evil.example",
            "a.EVIL.example.",
            "login.phish.test",
            "",
            "ex ample.com",
            "ex\"ample.com",
            "ex'ample.com",
            "ex`ample.com",
            "ex{ample}.com",
            "ex<ample.com",
            "exa%41mple.com",
            "%65vil.example",
            "１２７.0.0.1",
            "ｅｘａｍｐｌｅ.com",
            "example.com:8443",
            "example.com:99999",
        ])
        .prop_map(str::to_owned),
        "[a-z0-9.-]{1,20}",
        tricky_text(12),
    ];
    (lead, scheme, separator, host, tricky_text(40))
        .prop_map(|(lead, scheme, sep, host, path)| format!("{lead}{scheme}{sep}{host}{path}"))
}

/// Nothing a browser or an HTML attribute could read twice: no markup, quotes, spaces or
/// control characters, ASCII only (international names are in their `xn--` form).
fn assert_inert(s: &str) {
    assert!(s.is_ascii(), "{s:?} is not ASCII");
    assert!(
        !s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '`')),
        "{s:?} carries a character that is unsafe in markup"
    );
}

fn check_destination(raw: &str) {
    let Ok(destination) = Destination::parse(raw, &blocklist()) else {
        return;
    };
    let s = destination.as_str();
    let url = Url::parse(s).expect("an accepted destination is a URL");
    assert!(matches!(url.scheme(), "http" | "https"), "{raw:?} → {s}");
    let host = url.host_str().expect("a host");
    assert!(!host.is_empty(), "{raw:?} → {s}");
    assert!(url.username().is_empty() && url.password().is_none(), "{s}");
    assert!(blocklist().matching(host).is_none(), "{raw:?} → {s}");
    assert!(s.len() <= MAX_LEN);
    assert_inert(s);
    assert_eq!(
        Destination::parse(s, &blocklist()).as_ref(),
        Ok(&destination),
        "the stored form of {raw:?} must be accepted again unchanged"
    );
}

fn check_code(raw: &str) {
    if let Ok(code) = ShortCode::parse_custom(raw) {
        let s = code.as_str();
        assert!((3..=64).contains(&s.len()), "{s:?}");
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{s:?}"
        );
        assert!(!s.starts_with('-') && !s.ends_with('-') && !s.contains("--"));
        assert_eq!(ShortCode::parse_custom(s).as_ref(), Ok(&code));
        // What a scanner's URL carries finds the same code, in any case.
        assert_eq!(ShortCode::from_request(s).as_ref(), Some(&code));
        assert_eq!(
            ShortCode::from_request(&s.to_ascii_uppercase()).as_ref(),
            Some(&code)
        );
    }
    if let Some(code) = ShortCode::from_request(raw) {
        let s = code.as_str();
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{raw:?} → {s:?}"
        );
    }
}

fn color() -> impl Strategy<Value = Color> {
    any::<(u8, u8, u8)>().prop_map(|(r, g, b)| Color { r, g, b })
}

/// Mostly dark-on-light pairs (which pass), some of anything (which mostly do not).
fn colours() -> impl Strategy<Value = (Color, Color)> {
    let dark = (0u8..=110, 0u8..=110, 0u8..=110).prop_map(|(r, g, b)| Color { r, g, b });
    let light = (160u8..=255, 160u8..=255, 160u8..=255).prop_map(|(r, g, b)| Color { r, g, b });
    prop_oneof![3 => (dark, light), 1 => (color(), color())]
}

fn caption() -> impl Strategy<Value = String> {
    prop_oneof![
        tricky_text(30),
        // A marker that must never appear raw in the SVG.
        (tricky_text(8), tricky_text(8)).prop_map(|(a, b)| format!("{a}<zz\"'&{b}")),
    ]
}

fn style() -> impl Strategy<Value = Style> {
    let logo = (
        prop_oneof!["[0-9a-f]{64}", "[0-9a-fA-F./]{60,66}", tricky_text(70)],
        prop_oneof![4 => 0.05f64..0.5, 1 => any::<f64>()],
    )
        .prop_map(|(id, size)| Logo { id, size });
    (
        colours(),
        select(vec![Ecc::L, Ecc::M, Ecc::Q, Ecc::H]),
        prop_oneof![4 => 2u8..=16, 1 => any::<u8>()],
        select(ModuleShape::ALL.to_vec()),
        select(EyeShape::ALL.to_vec()),
        prop::option::of(logo),
        prop::option::of(
            (caption(), select(FrameTemplate::ALL.to_vec()))
                .prop_map(|(text, template)| Frame { text, template }),
        ),
        (any::<bool>(), prop::option::of(colours()), any::<bool>()),
    )
        .prop_map(
            |((fg, bg), ecc, margin, modules, eyes, logo, frame, (transparent, extra, radial))| {
                Style {
                    fg,
                    bg,
                    ecc,
                    margin,
                    modules,
                    eyes,
                    logo,
                    frame,
                    transparent,
                    // A second random dark colour: the gradient's end and the eyes' colour.
                    gradient: extra.map(|(to, _)| Gradient {
                        kind: if radial {
                            GradientKind::Radial
                        } else {
                            GradientKind::Linear
                        },
                        to,
                    }),
                    eye_color: extra.map(|(ink, _)| ink),
                }
            },
        )
}

fn check_style(style: Style) {
    let Ok(valid) = style.validated() else {
        return;
    };
    assert!(valid.fg.luminance() <= valid.bg.luminance());
    assert!(contrast(valid.fg, valid.bg) >= 3.0);
    for ink in valid
        .gradient
        .map(|g| g.to)
        .into_iter()
        .chain(valid.eye_color)
    {
        assert!(ink.luminance() <= valid.bg.luminance());
        assert!(contrast(ink, valid.bg) >= 3.0);
    }
    assert!((2..=16).contains(&valid.margin));
    if let Some(frame) = &valid.frame {
        let chars = frame.text.chars().count();
        assert!((1..=24).contains(&chars), "{:?}", frame.text);
        assert_eq!(frame.text.trim(), frame.text);
        assert!(!frame.text.chars().any(char::is_control));
    }
    if let Some(logo) = &valid.logo {
        assert_eq!(logo.id.len(), 64);
        assert!(logo.id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(valid.ecc >= Ecc::Q);
        assert!(logo.size * logo.size <= valid.ecc.max_logo_share());
    }
    // Stored as JSON, read back, validated again: the same style.
    let json = serde_json::to_string(&valid).unwrap();
    let again: Style = serde_json::from_str(&json).expect("a stored style reads back");
    assert_eq!(again.validated().as_ref(), Ok(&valid), "{json}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn destinations_near_valid(raw in url_like()) {
        check_destination(&raw);
    }

    #[test]
    fn destinations_arbitrary(raw in any::<String>()) {
        check_destination(&raw);
    }

    #[test]
    fn short_codes_near_valid(raw in "[ \t]?[a-zA-Z0-9_.<>/%-]{0,70}[ \n]?") {
        check_code(&raw);
    }

    #[test]
    fn short_codes_arbitrary(raw in tricky_text(80)) {
        check_code(&raw);
    }

    #[test]
    fn styles_validate_to_round_tripping_values(style in style()) {
        check_style(style);
    }

    #[test]
    fn style_json_never_panics(raw in tricky_text(200), value in style()) {
        let _ = serde_json::from_str::<Style>(&raw).map(Style::validated);
        // A real style's JSON with one field replaced by junk text.
        let mut json = serde_json::to_value(&value).unwrap();
        json["fg"] = serde_json::Value::String(raw);
        let _ = serde_json::from_value::<Style>(json).map(Style::validated);
    }

    #[test]
    fn csv_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_csv(&body);
    }

    #[test]
    fn csv_text_never_panics(body in tricky_text(300), header in select(vec![
        "name,destination\n", "name,destination,tags\n", "\u{feff}Name,DESTINATION,Tags\n", "",
    ])) {
        let _ = parse_csv(format!("{header}{body}").as_bytes());
    }

    #[test]
    fn csv_rows_read_back_as_written(
        rows in prop::collection::vec(
            (tricky_text(20), url_like(), prop::collection::vec("[^;|]{0,8}", 0..4)),
            1..20,
        ),
        columns in Just(vec!["name", "destination", "tags"]).prop_shuffle(),
        upper in any::<bool>(),
    ) {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let header: Vec<String> = columns
            .iter()
            .map(|c| if upper { c.to_uppercase() } else { (*c).to_owned() })
            .collect();
        writer.write_record(&header).unwrap();
        for (name, destination, tags) in &rows {
            let tags = tags.join(";");
            let record: Vec<&str> = columns
                .iter()
                .map(|c| match *c {
                    "name" => name.as_str(),
                    "destination" => destination.as_str(),
                    _ => tags.as_str(),
                })
                .collect();
            writer.write_record(&record).unwrap();
        }
        let body = writer.into_inner().unwrap();
        let parsed = match parse_csv(&body) {
            Ok(parsed) => parsed,
            Err(CsvError::File { code, message }) => panic!("{code}: {message}"),
            Err(CsvError::Rows(rows)) => panic!("{rows:?}"),
        };
        prop_assert_eq!(parsed.len(), rows.len());
        let mut last_line = 1;
        for ((line, changes), (name, destination, tags)) in parsed.iter().zip(&rows) {
            prop_assert!(*line > last_line, "line numbers increase: {} after {}", line, last_line);
            last_line = *line;
            prop_assert_eq!(changes.name.as_deref(), Some(name.trim()));
            prop_assert_eq!(changes.destination.as_deref(), Some(destination.trim()));
            let expected: Vec<String> = tags
                .iter()
                .map(|t| t.trim())
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect();
            prop_assert_eq!(changes.tags.as_ref(), Some(&expected));
            // Every row's destination goes through the same validator as a single create.
            check_destination(changes.destination.as_deref().unwrap_or_default());
        }
    }
}

proptest! {
    // Rendering and decoding a whole code is slow: few cases.
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn accepted_styles_render_codes_that_scan(mut style in style()) {
        // Logos need an uploaded image; the shapes, colours, margins and captions are what vary.
        style.logo = None;
        let Ok(style) = style.validated() else { return Ok(()) };
        let payload = "http://localhost:3000/r/ab3cd5e";
        let matrix = Matrix::encode(payload, style.ecc).unwrap();
        let out = svg(&matrix, &style);
        prop_assert!(!out.contains("<zz"), "raw caption markup in {}", out);
        prop_assert!(!out.contains("\"'"), "raw caption quotes in {}", out);
        prop_assert_eq!(common::decode_png(&png(&matrix, &style, 400).unwrap()), payload);
        // And the save-time read-back (with its sensor noise) accepts what validation accepts.
        let verdict = qr::render::scannability::check(payload, &style, None);
        prop_assert!(verdict.is_ok(), "{:?} refused: {:?}", style, verdict.err());
    }
}

#[test]
fn generated_codes_are_valid_custom_codes() {
    for _ in 0..256 {
        let code = ShortCode::generate();
        assert_eq!(ShortCode::parse_custom(code.as_str()).as_ref(), Ok(&code));
    }
}
