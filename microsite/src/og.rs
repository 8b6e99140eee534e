//! The `og:image` of a published page: `GET /m/{slug}/og.png`, a 1200×630 PNG card drawn from
//! the page's title, its profile's name and avatar, and its theme's colours, so a shared link
//! previews as the page rather than as a grey box.
//!
//! The card is an SVG template (every piece of text escaped) rendered with resvg and the font qr's
//! captions use (DejaVu Sans Bold, vendored in `qr/fonts/` with its licence; nothing is
//! downloaded or read from the host). The avatar is drawn only when it is one of this instance's
//! own uploads (`/media/<id>.png`), fetched from the media module through qr's router; a remote
//! image is never fetched by the server (that would make us a proxy for any URL), so such a page
//! gets its initials instead.
//!
//! Rendering costs tens of milliseconds, and link-preview crawlers ask again and again: a card is
//! rendered once per version (a hash of everything drawn) and kept in memory, and the answer
//! carries that version as its ETag.

use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use bytes::Bytes;
use resvg::tiny_skia::{self, FilterQuality, Paint, PathBuilder, Pattern, SpreadMode, Transform};
use resvg::usvg;
use sha2::{Digest, Sha256};
use shared::client::ServiceClient;
use shared::ui::escape;

use crate::block::{BlockKind, media_id};
use crate::model::Content;
use crate::theme::{self, Colours};

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 630;

/// The avatar's circle: centre and radius, in card pixels.
const AVATAR: (f32, f32, f32) = (250.0, 300.0, 150.0);
/// Where the text column starts and how wide it may be.
const TEXT_X: f32 = 470.0;
const TEXT_WIDTH: f32 = 660.0;
/// An upload the media module made is at most 1,024 px a side; anything far bigger is not one.
const MAX_AVATAR_BYTES: usize = 4 * 1024 * 1024;
/// How long the card waits for the avatar before drawing initials instead.
const AVATAR_BUDGET: Duration = Duration::from_secs(2);

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Everything the card is drawn from, taken from the published content.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Card {
    pub title: String,
    /// The profile's name, when it is not the title already.
    pub name: Option<String>,
    /// The page's description, or the profile's bio.
    pub tagline: Option<String>,
    /// The media id of the profile's avatar, when it is one of our uploads.
    pub avatar: Option<String>,
    pub initials: String,
    /// `host/m/slug`, printed at the bottom.
    pub address: String,
    pub colours: Colours,
}

impl Card {
    pub fn of(content: &Content, canonical: &str) -> Card {
        let profile = content.blocks.iter().find_map(|b| match &b.kind {
            BlockKind::Profile(p) => Some(p),
            _ => None,
        });
        let title = clean(&content.title);
        let name = profile
            .map(|p| clean(&p.name))
            .filter(|name| !name.is_empty() && *name != title);
        let tagline = content
            .description
            .as_deref()
            .or_else(|| profile.and_then(|p| p.bio.as_deref()))
            .map(clean)
            .filter(|t| !t.is_empty());
        let avatar = profile
            .and_then(|p| p.avatar_url.as_deref())
            .and_then(media_id)
            .map(str::to_owned);
        let initials = initials(name.as_deref().unwrap_or(&title));
        let address = canonical
            .split_once("://")
            .map_or(canonical, |(_, rest)| rest)
            .to_owned();
        Card {
            title,
            name,
            tagline,
            avatar,
            initials,
            address: clean(&address),
            colours: theme::colours(content.theme, &content.tweaks),
        }
    }

    /// A short hash of everything drawn: the image's version (cache key, ETag, `?v=`).
    pub fn version(&self) -> String {
        let mut hasher = Sha256::new();
        for part in [
            self.title.as_str(),
            self.name.as_deref().unwrap_or("\u{1}"),
            self.tagline.as_deref().unwrap_or("\u{1}"),
            self.avatar.as_deref().unwrap_or("\u{1}"),
            &self.initials,
            &self.address,
            &self.colours.bg,
            &self.colours.fg,
            &self.colours.muted,
            &self.colours.accent,
            &self.colours.on_accent,
        ] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        // The layout itself is part of the version: a new design is a new image.
        hasher.update(b"og-card-1");
        hex::encode(&hasher.finalize()[..8])
    }
}

/// Text as one line with no control characters (XML refuses most of them).
fn clean(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// "Alex Rivera" → "AR"; one word → its first letter.
fn initials(name: &str) -> String {
    let letters: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    if letters.is_empty() {
        "•".to_owned()
    } else {
        letters
    }
}

/// A rough width of `text` in ems of DejaVu Sans Bold, to wrap lines before they are measured
/// for real (see [`fit`]).
fn estimate(text: &str) -> f32 {
    text.chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '!' | '|' | ' ' => 0.36,
            'm' | 'w' | 'M' | 'W' => 1.0,
            c if c.is_ascii_uppercase() || c.is_ascii_digit() => 0.76,
            c if c.is_ascii() => 0.66,
            // CJK and other wide scripts (DejaVu may not have them: they then draw nothing).
            c if c as u32 >= 0x1100 => 1.0,
            _ => 0.7,
        })
        .sum()
}

/// Words wrapped into at most `max_lines` lines of `width` pixels at `size`; what does not fit
/// ends the last line with an ellipsis.
fn wrap(text: &str, size: f32, width: f32, max_lines: usize) -> Vec<String> {
    let room = width / size;
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut words = text.split(' ').peekable();
    while let Some(word) = words.next() {
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if estimate(&candidate) <= room || current.is_empty() {
            current = candidate;
            // One word longer than the line: cut it.
            if estimate(&current) > room {
                current = cut(&current, room);
            }
            continue;
        }
        lines.push(std::mem::take(&mut current));
        if lines.len() == max_lines {
            let last = lines.pop().unwrap_or_default();
            lines.push(ellipsis(&last, room));
            return lines;
        }
        current = if estimate(word) > room {
            cut(word, room)
        } else {
            word.to_owned()
        };
        if words.peek().is_none() {
            break;
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// The longest prefix of `text` (in characters) under `room` ems, with an ellipsis.
fn cut(text: &str, room: f32) -> String {
    let mut out = String::new();
    for c in text.chars() {
        out.push(c);
        if estimate(&out) + 0.8 > room {
            out.pop();
            break;
        }
    }
    out.push('…');
    out
}

fn ellipsis(line: &str, room: f32) -> String {
    if estimate(line) + 0.8 <= room {
        format!("{line}…")
    } else {
        cut(line, room)
    }
}

/// One block of wrapped text as SVG `<text>` lines, baseline by baseline.
struct TextBlock<'a> {
    id: &'a str,
    lines: Vec<String>,
    size: f32,
    top: f32,
    colour: &'a str,
}

impl TextBlock<'_> {
    fn height(&self) -> f32 {
        self.lines.len() as f32 * self.size * 1.2
    }

    fn svg(&self, scale: f32) -> String {
        let size = self.size * scale;
        let mut out = format!(
            "<g id=\"{}\" font-size=\"{size:.1}\" fill=\"{}\">",
            self.id, self.colour
        );
        for (i, line) in self.lines.iter().enumerate() {
            let y = self.top + self.size * 0.95 + i as f32 * self.size * 1.2;
            let _ = write!(
                out,
                "<text x=\"{TEXT_X}\" y=\"{y:.1}\">{}</text>",
                escape(line)
            );
        }
        out.push_str("</g>");
        out
    }
}

/// The text column: title, name, tagline, stacked and centred vertically.
fn column(card: &Card) -> Vec<TextBlock<'_>> {
    let title_size = match estimate(&card.title) * 64.0 / TEXT_WIDTH {
        lines if lines <= 2.0 => 64.0,
        lines if lines <= 3.0 => 54.0,
        _ => 46.0,
    };
    let mut blocks = vec![TextBlock {
        id: "title",
        lines: wrap(&card.title, title_size, TEXT_WIDTH, 3),
        size: title_size,
        top: 0.0,
        colour: &card.colours.fg,
    }];
    if let Some(name) = &card.name {
        blocks.push(TextBlock {
            id: "name",
            lines: wrap(name, 36.0, TEXT_WIDTH, 1),
            size: 36.0,
            top: 0.0,
            colour: &card.colours.fg,
        });
    }
    if let Some(tagline) = &card.tagline {
        blocks.push(TextBlock {
            id: "tagline",
            lines: wrap(tagline, 30.0, TEXT_WIDTH, 2),
            size: 30.0,
            top: 0.0,
            colour: &card.colours.muted,
        });
    }
    let gap = 22.0;
    let total: f32 =
        blocks.iter().map(TextBlock::height).sum::<f32>() + gap * (blocks.len() - 1) as f32;
    let mut top = (AVATAR.1 - total / 2.0).max(48.0);
    for block in &mut blocks {
        block.top = top;
        top += block.height() + gap;
    }
    blocks
}

/// The card as SVG. `scales` shrinks each text block (see [`fit`]); the avatar circle is drawn
/// here only as initials, the photo is painted over it afterwards.
fn svg(card: &Card, blocks: &[TextBlock<'_>], scales: &[f32], initials: bool) -> String {
    let c = &card.colours;
    let (cx, cy, r) = AVATAR;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"DejaVu Sans\" font-weight=\"bold\">\
         <rect width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"{bg}\"/>\
         <rect y=\"{band}\" width=\"{WIDTH}\" height=\"24\" fill=\"{accent}\"/>\
         <circle cx=\"{cx}\" cy=\"{cy}\" r=\"{ring}\" fill=\"{accent}\"/>",
        bg = c.bg,
        accent = c.accent,
        band = HEIGHT - 24,
        ring = r + 8.0,
    );
    if initials {
        let size = if card.initials.chars().count() > 1 {
            120.0
        } else {
            150.0
        };
        let _ = write!(
            out,
            "<text x=\"{cx}\" y=\"{y:.1}\" font-size=\"{size}\" fill=\"{fg}\" text-anchor=\"middle\">{text}</text>",
            y = cy + size * 0.36,
            fg = c.on_accent,
            text = escape(&card.initials),
        );
    }
    for (block, scale) in blocks.iter().zip(scales) {
        out.push_str(&block.svg(*scale));
    }
    let _ = write!(
        out,
        "<text x=\"{TEXT_X}\" y=\"{y}\" font-size=\"26\" fill=\"{muted}\">{address}</text></svg>",
        y = HEIGHT - 60,
        muted = c.muted,
        address = escape(&card.address),
    );
    out
}

/// The card's SVG, every text block measured by the renderer and shrunk until it fits its
/// column (the wrap above is only an estimate).
pub fn card_svg(card: &Card, initials: bool) -> Result<String, String> {
    let blocks = column(card);
    let mut scales = vec![1.0_f32; blocks.len()];
    let options = options();
    for _ in 0..2 {
        let svg = svg(card, &blocks, &scales, initials);
        let tree = usvg::Tree::from_str(&svg, &options).map_err(|e| e.to_string())?;
        let mut fits = true;
        for (block, scale) in blocks.iter().zip(scales.iter_mut()) {
            let Some(node) = tree.node_by_id(block.id) else {
                continue;
            };
            let width = node.abs_bounding_box().width();
            if width > TEXT_WIDTH {
                *scale *= TEXT_WIDTH / width * 0.98;
                fits = false;
            }
        }
        if fits {
            return Ok(svg);
        }
    }
    Ok(svg(card, &blocks, &scales, initials))
}

fn options() -> usvg::Options<'static> {
    usvg::Options {
        fontdb: fonts(),
        // The card references no file or URL; refuse any, so nothing can make the renderer read
        // the disk or the network.
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(|_, _| None),
        },
        ..Default::default()
    }
}

/// The font qr's captions use, from its vendored copy (`qr/fonts/`, licence beside it).
fn fonts() -> Arc<usvg::fontdb::Database> {
    static FONTS: std::sync::OnceLock<Arc<usvg::fontdb::Database>> = std::sync::OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = usvg::fontdb::Database::new();
            db.load_font_data(include_bytes!("../../qr/fonts/DejaVuSans-Bold.ttf").to_vec());
            db.set_sans_serif_family("DejaVu Sans");
            Arc::new(db)
        })
        .clone()
}

/// Draws the card: the SVG, then the avatar (a PNG from our media module) clipped to its circle.
/// An avatar that does not decode is replaced by the initials.
pub fn render(card: &Card, avatar: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let photo = avatar
        .filter(|bytes| bytes.len() <= MAX_AVATAR_BYTES)
        .and_then(|bytes| tiny_skia::Pixmap::decode_png(bytes).ok())
        .filter(|p| p.width() <= 4096 && p.height() <= 4096);
    let svg = card_svg(card, photo.is_none())?;
    let tree = usvg::Tree::from_str(&svg, &options()).map_err(|e| e.to_string())?;
    let mut pixmap = tiny_skia::Pixmap::new(WIDTH, HEIGHT).ok_or("empty card")?;
    resvg::render(&tree, Transform::identity(), &mut pixmap.as_mut());
    if let Some(photo) = photo {
        paint_avatar(&mut pixmap, &photo);
    }
    pixmap.encode_png().map_err(|e| e.to_string())
}

/// The photo scaled to cover the circle (like CSS `object-fit: cover`), centred.
fn paint_avatar(pixmap: &mut tiny_skia::Pixmap, photo: &tiny_skia::Pixmap) {
    let (cx, cy, r) = AVATAR;
    let Some(circle) = PathBuilder::from_circle(cx, cy, r) else {
        return;
    };
    let (w, h) = (photo.width() as f32, photo.height() as f32);
    let scale = (2.0 * r) / w.min(h);
    let transform = Transform::from_scale(scale, scale)
        .post_translate(cx - w * scale / 2.0, cy - h * scale / 2.0);
    let paint = Paint {
        shader: Pattern::new(
            photo.as_ref(),
            SpreadMode::Pad,
            FilterQuality::Bicubic,
            1.0,
            transform,
        ),
        anti_alias: true,
        ..Paint::default()
    };
    pixmap.fill_path(
        &circle,
        &paint,
        tiny_skia::FillRule::Winding,
        Transform::identity(),
        None,
    );
}

/// Where the card finds an uploaded avatar's bytes.
pub trait MediaSource: Send + Sync + 'static {
    /// The stored PNG of media `id`, or `None` (unknown, or the media module cannot be asked).
    fn png<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Option<Bytes>>;
}

/// The media module's public `GET /media/{id}.png`, through qr's router (in-process or over
/// HTTP), which is where media is mounted.
pub struct ServiceMedia {
    client: ServiceClient,
}

impl ServiceMedia {
    pub fn new(client: ServiceClient) -> Self {
        Self { client }
    }
}

impl MediaSource for ServiceMedia {
    fn png<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Option<Bytes>> {
        Box::pin(async move {
            let path = crate::block::media_path(id);
            // Only ever an id of the shape media issues, so the path cannot go anywhere else.
            media_id(&path)?;
            let answer = self
                .client
                .send(Method::GET, &path, axum::http::HeaderMap::new(), None)
                .await;
            match answer {
                Ok(answer) if answer.status == StatusCode::OK => Some(answer.body),
                Ok(answer) => {
                    tracing::debug!(status = %answer.status, "og card: avatar not served");
                    None
                }
                Err(err) => {
                    tracing::warn!(%err, "og card: media unavailable, drawing initials");
                    None
                }
            }
        })
    }
}

/// No media module to ask (a split microsite service without `QR_URL`): initials only.
pub struct NoMedia;

impl MediaSource for NoMedia {
    fn png<'a>(&'a self, _id: &'a str) -> BoxFuture<'a, Option<Bytes>> {
        Box::pin(async { None })
    }
}

/// Rendered cards by version, and the one place that renders them.
pub struct Cards {
    media: Arc<dyn MediaSource>,
    rendered: moka::sync::Cache<String, Bytes>,
    /// Rendering is CPU work: at most two at a time, whatever the crawlers do.
    rendering: tokio::sync::Semaphore,
}

impl Cards {
    pub fn new(media: Arc<dyn MediaSource>) -> Self {
        Self {
            media,
            rendered: moka::sync::Cache::builder()
                // A card is ~30–150 KB: at most ~32 MB of them.
                .weigher(|_: &String, png: &Bytes| u32::try_from(png.len()).unwrap_or(u32::MAX))
                .max_capacity(32 * 1024 * 1024)
                .time_to_idle(Duration::from_hours(24))
                .build(),
            rendering: tokio::sync::Semaphore::new(2),
        }
    }

    /// The card's PNG, from memory or rendered now.
    pub async fn png(&self, card: &Card) -> Result<Bytes, String> {
        let version = card.version();
        if let Some(png) = self.rendered.get(&version) {
            return Ok(png);
        }
        let _slot = self.rendering.acquire().await.map_err(|e| e.to_string())?;
        // Another request may have rendered it while this one waited.
        if let Some(png) = self.rendered.get(&version) {
            return Ok(png);
        }
        let avatar = match &card.avatar {
            Some(id) => tokio::time::timeout(AVATAR_BUDGET, self.media.png(id))
                .await
                .ok()
                .flatten(),
            None => None,
        };
        let owned = card.clone();
        let png = tokio::task::spawn_blocking(move || render(&owned, avatar.as_deref()))
            .await
            .map_err(|e| e.to_string())??;
        let png = Bytes::from(png);
        self.rendered.insert(version, png.clone());
        Ok(png)
    }

    /// How many cards are kept (tests).
    pub fn cached(&self) -> u64 {
        self.rendered.run_pending_tasks();
        self.rendered.entry_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(title: &str) -> Card {
        Card {
            title: title.to_owned(),
            name: Some("Ada Lovelace".into()),
            tagline: Some("Engines & notes".into()),
            avatar: None,
            initials: initials("Ada Lovelace"),
            address: "scan.test/m/ada".into(),
            colours: theme::colours(theme::Theme::Dark, &theme::Tweaks::default()),
        }
    }

    #[test]
    fn initials_are_two_letters_at_most() {
        for (name, expected) in [
            ("Alex Rivera", "AR"),
            ("casa lupe de maria", "CL"),
            ("élodie", "É"),
            ("  ", "•"),
        ] {
            assert_eq!(initials(name), expected, "{name:?}");
        }
    }

    #[test]
    fn text_is_escaped_for_svg() {
        let svg = card_svg(&card("<script>&\"x'"), true).unwrap();
        assert!(svg.contains("&lt;script&gt;&amp;&quot;x&#39;"), "{svg}");
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("Engines &amp; notes"));
    }

    #[test]
    fn long_titles_wrap_and_fit_their_column() {
        let long = "Supercalifragilisticexpialidocious ".repeat(6);
        let svg = card_svg(&card(&long), true).unwrap();
        let tree = usvg::Tree::from_str(&svg, &options()).unwrap();
        let title = tree.node_by_id("title").unwrap().abs_bounding_box();
        assert!(title.width() <= TEXT_WIDTH + 1.0, "{}", title.width());
        assert!(title.left() >= TEXT_X - 5.0);
        assert!(svg.matches("<text").count() <= 3 + 2 + 2 + 1 + 1);
        assert!(svg.contains('…'), "cut with an ellipsis");
    }

    #[test]
    fn the_version_follows_what_is_drawn() {
        let a = card("One");
        let mut b = a.clone();
        assert_eq!(a.version(), b.version());
        b.colours.accent = "#ff0000".into();
        assert_ne!(a.version(), b.version());
        let mut c = a.clone();
        c.avatar = Some("a".repeat(64));
        assert_ne!(a.version(), c.version());
    }
}
