//! Rendering a page's content to HTML. The stylesheet is inlined (one request on a phone) and
//! allowed by its SHA-256 in the page's own Content-Security-Policy, so no `'unsafe-inline'` is
//! ever needed; there is no script at all.

use askama::Template;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::block::{Block, BlockKind, tel_href, video_embed};
use crate::model::{Content, page_url};
use crate::text::{markdown_html, plain_html};
use crate::theme;
use std::collections::HashMap;
use std::fmt::Write as _;

/// Public pages link through the tracked hop; the owner's preview links straight out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Public,
    Preview,
}

/// A rendered page with what its response needs.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub html: String,
    /// A (weak) validator of `html`.
    pub etag: String,
    /// The page's Content-Security-Policy (its inline stylesheet's hash included).
    pub csp: String,
    /// What its `og:image` card is drawn from (`GET /m/{slug}/og.png`).
    pub og: crate::og::Card,
}

pub enum View<'a> {
    Profile {
        name: &'a str,
        bio: Option<&'a str>,
        avatar: Option<&'a str>,
    },
    Heading(&'a str),
    /// Already safe HTML (escaped text or sanitised Markdown).
    Text(String),
    Link {
        href: String,
        label: &'a str,
        icon: Option<&'static str>,
    },
    Social(Vec<SocialView>),
    Image {
        src: &'a str,
        alt: &'a str,
    },
    Video {
        src: String,
        title: &'a str,
    },
    Contact {
        email: Option<ContactView<'a>>,
        phone: Option<ContactView<'a>>,
    },
    Divider,
    Spacer(&'static str),
    Qr {
        /// SVG markup from us: the qr service's drawing of the code, or module rectangles.
        svg: String,
        href: String,
        caption: Option<&'a str>,
    },
}

pub struct SocialView {
    pub href: String,
    /// Set when `href` is the profile itself (see [`crate::block::Network::verifies_links`]).
    pub ping: Option<String>,
    pub name: &'static str,
    /// The network's vendored SVG (ours, from `microsite/icons/`; nothing from the user).
    pub icon: &'static str,
}

/// A `mailto:`/`tel:` link: it opens the visitor's app directly (a redirect to an app scheme is
/// unreliable in in-app browsers), and browsers that support `<a ping>` count it on the hop.
pub struct ContactView<'a> {
    pub href: String,
    pub ping: Option<String>,
    pub text: &'a str,
}

#[derive(Template)]
#[template(path = "page.html")]
struct PageTemplate<'a> {
    lang: &'a str,
    title: &'a str,
    description: &'a str,
    canonical: String,
    /// The footer's report link, pre-filled with this page's address.
    report_href: String,
    /// The absolute URL of the page's `og:image` card, versioned by what it draws.
    og_image: String,
    og_width: u32,
    og_height: u32,
    css: &'a str,
    has_profile: bool,
    preview: bool,
    blocks: Vec<View<'a>>,
}

pub fn render(content: &Content, slug: &str, base: &str, mode: Mode) -> Rendered {
    let canonical = page_url(base, slug);
    // From the stored content: the card draws an avatar only from our own media ids.
    let og = crate::og::Card::of(content, &canonical);
    let resolved = absolute_media(content, base);
    let content: &Content = &resolved;
    let css = theme::css(content.theme, &content.tweaks);
    let blocks: Vec<View<'_>> = content
        .blocks
        .iter()
        .filter_map(|b| view(b, &canonical, base, mode))
        .collect();
    let template = PageTemplate {
        lang: &content.lang,
        title: &content.title,
        description: content.description.as_deref().unwrap_or_default(),
        report_href: format!(
            "/report?url={}",
            url::form_urlencoded::byte_serialize(canonical.as_bytes()).collect::<String>()
        ),
        og_image: format!("{canonical}/og.png?v={}", og.version()),
        og_width: crate::og::WIDTH,
        og_height: crate::og::HEIGHT,
        canonical: canonical.clone(),
        css: &css,
        has_profile: content
            .blocks
            .iter()
            .any(|b| matches!(b.kind, BlockKind::Profile(_))),
        preview: mode == Mode::Preview,
        blocks,
    };
    let html = template.render().unwrap_or_else(|err| {
        tracing::error!(%err, "microsite page failed to render");
        String::from(
            "<!doctype html><title>Unavailable</title><p>This page cannot be shown right now.</p>",
        )
    });
    let style_hash =
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(css.as_bytes()));
    // Weak: the compression layer may change the bytes on the wire, not the page.
    let etag = format!(
        "W/\"{}\"",
        hex::encode(&Sha256::digest(html.as_bytes())[..12])
    );
    // `<a ping>` (mailto:/tel: clicks) goes to the hop on the canonical address.
    let ping_origin = url::Url::parse(base)
        .map(|u| u.origin().ascii_serialization())
        .ok()
        .filter(|o| o != "null")
        .unwrap_or_else(|| "'self'".to_owned());
    let own_images = own_image_origin(base);
    let csp = format!(
        "default-src 'none'; style-src 'sha256-{style_hash}'; img-src https: data:{own_images}; \
         frame-src https://www.youtube-nocookie.com https://player.vimeo.com; \
         connect-src {ping_origin}; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    );
    Rendered {
        html,
        etag,
        csp,
        og,
    }
}

/// Uploads are stored as `/media/<id>.png`; the page shows them from the public base URL, which
/// serves media on every host the page may be seen on (a custom domain serves only `/m/` and
/// `/r/`, so a relative path would break there).
fn absolute_media<'a>(content: &'a Content, base: &str) -> std::borrow::Cow<'a, Content> {
    let base = base.trim_end_matches('/');
    let is_media = |url: &str| crate::block::media_id(url).is_some();
    let any = content.blocks.iter().any(|b| match &b.kind {
        BlockKind::Profile(p) => p.avatar_url.as_deref().is_some_and(is_media),
        BlockKind::Image(i) => is_media(&i.url),
        _ => false,
    });
    if !any {
        return std::borrow::Cow::Borrowed(content);
    }
    let mut owned = content.clone();
    for block in &mut owned.blocks {
        let url = match &mut block.kind {
            BlockKind::Profile(p) => p.avatar_url.as_mut(),
            BlockKind::Image(i) => Some(&mut i.url),
            _ => None,
        };
        if let Some(url) = url.filter(|u| is_media(u)) {
            *url = format!("{base}{url}");
        }
    }
    std::borrow::Cow::Owned(owned)
}

/// The public base URL's origin in `img-src` when it is not https (a local instance), so its
/// own uploads show; https origins are allowed already.
fn own_image_origin(base: &str) -> String {
    match url::Url::parse(base) {
        Ok(url) if url.scheme() == "http" => format!(" {}", url.origin().ascii_serialization()),
        _ => String::new(),
    }
}

fn view<'a>(block: &'a Block, canonical: &str, base: &str, mode: Mode) -> Option<View<'a>> {
    Some(match &block.kind {
        BlockKind::Profile(p) => View::Profile {
            name: &p.name,
            bio: p.bio.as_deref(),
            avatar: p.avatar_url.as_deref(),
        },
        BlockKind::Heading(h) => View::Heading(&h.text),
        BlockKind::Text(t) if t.markdown => View::Text(match mode {
            Mode::Public => tracked_markdown(&markdown_html(&t.text), &hop(canonical, &block.id)),
            Mode::Preview => markdown_html(&t.text),
        }),
        BlockKind::Text(t) => View::Text(plain_html(&t.text)),
        BlockKind::Link(l) => View::Link {
            href: match mode {
                Mode::Public => hop(canonical, &block.id)(0),
                Mode::Preview => l.url.clone(),
            },
            label: &l.label,
            icon: l.icon.map(super::block::Icon::glyph),
        },
        // Items without a URL are skipped here and in `outbound` alike, so indexes agree.
        BlockKind::Social(s) => View::Social(
            s.items
                .iter()
                .filter_map(|item| Some((item, item.url.as_deref()?)))
                .enumerate()
                .map(|(i, (item, url))| {
                    let tracked = (mode == Mode::Public).then(|| hop(canonical, &block.id)(i));
                    let (href, ping) = match tracked {
                        // `rel="me"` verification wants the profile's own URL in `href`.
                        Some(hop) if item.network.verifies_links() => (url.to_owned(), Some(hop)),
                        Some(hop) => (hop, None),
                        None => (url.to_owned(), None),
                    };
                    SocialView {
                        href,
                        ping,
                        name: item.network.name(),
                        icon: item.network.icon(),
                    }
                })
                .collect(),
        ),
        BlockKind::Image(i) => View::Image {
            src: &i.url,
            alt: &i.alt,
        },
        BlockKind::Video(v) => View::Video {
            src: video_embed(&v.url)?.src(),
            title: v.title.as_deref().unwrap_or("Video"),
        },
        BlockKind::Contact(c) => {
            // Email first, then phone: the order of `outbound`.
            let ping = |i: usize| (mode == Mode::Public).then(|| hop(canonical, &block.id)(i));
            View::Contact {
                email: c.email.as_deref().map(|e| ContactView {
                    href: format!("mailto:{e}"),
                    ping: ping(0),
                    text: e,
                }),
                phone: c.phone.as_deref().map(|p| ContactView {
                    href: tel_href(p),
                    ping: ping(usize::from(c.email.is_some())),
                    text: p,
                }),
            }
        }
        BlockKind::Divider(_) => View::Divider,
        BlockKind::Spacer(s) => View::Spacer(s.size.class()),
        BlockKind::Qr(q) => {
            let href = format!("{}/r/{}", base.trim_end_matches('/'), q.code);
            View::Qr {
                // qr's own drawing (checked when saved) or, without one, a plain code.
                svg: match &q.svg {
                    Some(styled) => styled.clone(),
                    None => qr_svg(&href)?,
                },
                href,
                caption: q.caption.as_deref(),
            }
        }
    })
}

/// A QR symbol as one SVG path, drawn in `currentColor`.
fn qr_svg(data: &str) -> Option<String> {
    let code = qrcode::QrCode::new(data.as_bytes()).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let mut path = String::with_capacity(colors.len() * 2);
    // One rectangle per horizontal run of dark modules keeps the markup small.
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] == qrcode::Color::Dark {
                let run = row[x..]
                    .iter()
                    .take_while(|c| **c == qrcode::Color::Dark)
                    .count();
                let _ = write!(path, "M{x} {y}h{run}v1h-{run}z");
                x += run;
            } else {
                x += 1;
            }
        }
    }
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"-2 -2 {0} {0}\" role=\"img\" aria-label=\"QR code\"><path fill=\"currentColor\" d=\"{path}\"/></svg>",
        width + 4
    ))
}

/// The tracked hop for a block's `index`th outbound link. Index 0 is also `/l/{block_id}` (the
/// address link blocks have always had); the others add `/{index}`.
fn hop<'a>(canonical: &'a str, block_id: &'a str) -> impl Fn(usize) -> String + 'a {
    move |index| match index {
        0 => format!("{canonical}/l/{block_id}"),
        n => format!("{canonical}/l/{block_id}/{n}"),
    }
}

/// Where each block's outbound links go (block id → targets, in the order the page shows them):
/// all the tracked hop may redirect to, so it never sends anyone to a URL the page does not hold.
pub fn outbound(content: &Content) -> HashMap<String, Vec<String>> {
    content
        .blocks
        .iter()
        .filter_map(|b| {
            let targets: Vec<String> = match &b.kind {
                BlockKind::Link(l) => vec![l.url.clone()],
                BlockKind::Social(s) => s.items.iter().filter_map(|i| i.url.clone()).collect(),
                BlockKind::Text(t) if t.markdown => markdown_targets(&markdown_html(&t.text)),
                BlockKind::Contact(c) => c
                    .email
                    .as_deref()
                    .map(|e| format!("mailto:{e}"))
                    .into_iter()
                    .chain(c.phone.as_deref().map(tel_href))
                    .collect(),
                _ => return None,
            };
            (!targets.is_empty()).then(|| (b.id.clone(), targets))
        })
        .collect()
}

/// The `href`s of sanitised Markdown HTML, unescaped, in order. The sanitiser writes every link
/// as `<a href="…"` with `&`, `"` and no-break spaces escaped, and nothing else in that shape.
fn markdown_targets(html: &str) -> Vec<String> {
    let mut targets = Vec::new();
    rewrite_hrefs(html, |href| {
        targets.push(
            href.replace("&quot;", "\"")
                .replace("&nbsp;", "\u{a0}")
                .replace("&amp;", "&"),
        );
        None
    });
    targets
}

/// Sanitised Markdown HTML with each link going through the hop: web links are replaced by
/// it, `mailto:`/`tel:` links keep their address and ping it (see [`ContactView`]).
fn tracked_markdown(html: &str, hop: &impl Fn(usize) -> String) -> String {
    let mut index = 0;
    rewrite_hrefs(html, |href| {
        let to = hop(index);
        index += 1;
        Some(if href.starts_with("http") {
            format!("<a href=\"{to}\"")
        } else {
            format!("<a href=\"{href}\" ping=\"{to}\"")
        })
    })
}

/// Calls `f` with each `<a href="…"` value of `html`; where it answers, that replaces the whole
/// `<a href="…"`.
fn rewrite_hrefs(html: &str, mut f: impl FnMut(&str) -> Option<String>) -> String {
    const OPEN: &str = "<a href=\"";
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len()..];
        let Some(end) = after.find('"') else { break };
        out.push_str(&rest[..start]);
        match f(&after[..end]) {
            Some(replacement) => out.push_str(&replacement),
            None => out.push_str(&rest[start..=start + OPEN.len() + end]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}
