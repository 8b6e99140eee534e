//! The typed blocks a page is made of, their limits and validation. Every URL that can reach a
//! visitor's browser is parsed here once (the `url` crate, so `JaVaScRiPt:`, `java\tscript:` and
//! friends are seen for what they are) and stored normalised; rendering trusts nothing else.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::Url;

use crate::text::FieldError;

pub const MAX_BLOCKS: usize = 100;
pub const MAX_TEXT: usize = 5_000;
pub const MAX_LABEL: usize = 200;
pub const MAX_URL: usize = 2_048;
pub const MAX_SOCIAL: usize = 20;
pub const MAX_ID: usize = 32;

/// One block: the id that names it (the tracked link hop, reordering) and what it is. Stored and
/// sent as one flat object, `{"type": …, "id": …, <the kind's fields>}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub id: String,
    pub kind: BlockKind,
}

/// What a block is. `type` picks the variant; unknown types and unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockKind {
    Profile(Profile),
    Heading(Heading),
    Text(Text),
    Link(Link),
    Social(Social),
    Image(Image),
    Video(Video),
    Contact(Contact),
    Divider(Divider),
    Spacer(Spacer),
    Qr(QrBlock),
}

impl BlockKind {
    /// Its `type`.
    pub fn tag(&self) -> &'static str {
        match self {
            BlockKind::Profile(_) => "profile",
            BlockKind::Heading(_) => "heading",
            BlockKind::Text(_) => "text",
            BlockKind::Link(_) => "link",
            BlockKind::Social(_) => "social",
            BlockKind::Image(_) => "image",
            BlockKind::Video(_) => "video",
            BlockKind::Contact(_) => "contact",
            BlockKind::Divider(_) => "divider",
            BlockKind::Spacer(_) => "spacer",
            BlockKind::Qr(_) => "qr",
        }
    }
}

/// The kind's own fields, without its tag (which [`Block`] writes before the id).
struct Fields<'a>(&'a BlockKind);

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            BlockKind::Profile(b) => b.serialize(serializer),
            BlockKind::Heading(b) => b.serialize(serializer),
            BlockKind::Text(b) => b.serialize(serializer),
            BlockKind::Link(b) => b.serialize(serializer),
            BlockKind::Social(b) => b.serialize(serializer),
            BlockKind::Image(b) => b.serialize(serializer),
            BlockKind::Video(b) => b.serialize(serializer),
            BlockKind::Contact(b) => b.serialize(serializer),
            BlockKind::Divider(b) => b.serialize(serializer),
            BlockKind::Spacer(b) => b.serialize(serializer),
            BlockKind::Qr(b) => b.serialize(serializer),
        }
    }
}

impl Serialize for Block {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // `type`, `id`, then the kind's fields: the order stored pages have always had.
        #[derive(Serialize)]
        struct Wire<'a> {
            #[serde(rename = "type")]
            tag: &'static str,
            id: &'a str,
            #[serde(flatten)]
            fields: Fields<'a>,
        }
        Wire {
            tag: self.kind.tag(),
            id: &self.id,
            fields: Fields(&self.kind),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Block {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The kind sees every field but `id`, so its own refusal of unknown fields still holds.
        #[derive(Deserialize)]
        #[serde(rename = "Block")]
        struct Wire {
            #[serde(default)]
            id: String,
            #[serde(flatten)]
            kind: BlockKind,
        }
        let Wire { id, kind } = Wire::deserialize(deserializer)?;
        Ok(Block { id, kind })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Heading {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub text: String,
    /// Bold, italic and links; everything else shows as typed.
    #[serde(default)]
    pub markdown: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub label: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<Icon>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Icon {
    Link,
    Shop,
    Calendar,
    Menu,
    Music,
    Video,
    Star,
    Mail,
    Phone,
    Map,
    Ticket,
    Download,
}

impl Icon {
    /// Every icon, in the order the builder offers them.
    pub const ALL: [Icon; 12] = [
        Icon::Link,
        Icon::Shop,
        Icon::Calendar,
        Icon::Menu,
        Icon::Music,
        Icon::Video,
        Icon::Star,
        Icon::Mail,
        Icon::Phone,
        Icon::Map,
        Icon::Ticket,
        Icon::Download,
    ];

    /// Its name in JSON (and in the builder's form).
    pub fn as_str(self) -> &'static str {
        match self {
            Icon::Link => "link",
            Icon::Shop => "shop",
            Icon::Calendar => "calendar",
            Icon::Menu => "menu",
            Icon::Music => "music",
            Icon::Video => "video",
            Icon::Star => "star",
            Icon::Mail => "mail",
            Icon::Phone => "phone",
            Icon::Map => "map",
            Icon::Ticket => "ticket",
            Icon::Download => "download",
        }
    }

    /// Icons are characters: no request, no CSS, and a screen reader skips them (`aria-hidden`).
    pub fn glyph(self) -> &'static str {
        match self {
            Icon::Link => "🔗",
            Icon::Shop => "🛍",
            Icon::Calendar => "📅",
            Icon::Menu => "🍽",
            Icon::Music => "🎵",
            Icon::Video => "▶",
            Icon::Star => "★",
            Icon::Mail => "✉",
            Icon::Phone => "☎",
            Icon::Map => "📍",
            Icon::Ticket => "🎟",
            Icon::Download => "⬇",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Social {
    pub items: Vec<SocialItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SocialItem {
    pub network: Network,
    /// A handle (`@name` or `name`); the URL is derived from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// Or a full profile URL (http/https).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    Instagram,
    Tiktok,
    Youtube,
    X,
    Facebook,
    Linkedin,
    Github,
    Threads,
    Twitch,
    Pinterest,
    Mastodon,
    Bluesky,
    Website,
}

impl Network {
    /// Every network, in the order the builder lists them.
    pub const ALL: [Network; 13] = [
        Network::Instagram,
        Network::Tiktok,
        Network::Youtube,
        Network::X,
        Network::Facebook,
        Network::Linkedin,
        Network::Github,
        Network::Threads,
        Network::Twitch,
        Network::Pinterest,
        Network::Mastodon,
        Network::Bluesky,
        Network::Website,
    ];

    /// Its name in JSON (and in the builder's form).
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Instagram => "instagram",
            Network::Tiktok => "tiktok",
            Network::Youtube => "youtube",
            Network::X => "x",
            Network::Facebook => "facebook",
            Network::Linkedin => "linkedin",
            Network::Github => "github",
            Network::Threads => "threads",
            Network::Twitch => "twitch",
            Network::Pinterest => "pinterest",
            Network::Mastodon => "mastodon",
            Network::Bluesky => "bluesky",
            Network::Website => "website",
        }
    }

    /// How people write it.
    pub fn name(self) -> &'static str {
        match self {
            Network::Instagram => "Instagram",
            Network::Tiktok => "TikTok",
            Network::Youtube => "YouTube",
            Network::X => "X",
            Network::Facebook => "Facebook",
            Network::Linkedin => "LinkedIn",
            Network::Github => "GitHub",
            Network::Threads => "Threads",
            Network::Twitch => "Twitch",
            Network::Pinterest => "Pinterest",
            Network::Mastodon => "Mastodon",
            Network::Bluesky => "Bluesky",
            Network::Website => "Website",
        }
    }

    /// Its icon: a small inline SVG (`aria-hidden`, `currentColor`; the link around it carries
    /// the network's name). Vendored in `microsite/icons/` (see its LICENSE.md); one file per
    /// variant, so a new network does not compile without one.
    pub fn icon(self) -> &'static str {
        match self {
            Network::Instagram => include_str!("../icons/instagram.svg"),
            Network::Tiktok => include_str!("../icons/tiktok.svg"),
            Network::Youtube => include_str!("../icons/youtube.svg"),
            Network::X => include_str!("../icons/x.svg"),
            Network::Facebook => include_str!("../icons/facebook.svg"),
            Network::Linkedin => include_str!("../icons/linkedin.svg"),
            Network::Github => include_str!("../icons/github.svg"),
            Network::Threads => include_str!("../icons/threads.svg"),
            Network::Twitch => include_str!("../icons/twitch.svg"),
            Network::Pinterest => include_str!("../icons/pinterest.svg"),
            Network::Mastodon => include_str!("../icons/mastodon.svg"),
            Network::Bluesky => include_str!("../icons/bluesky.svg"),
            Network::Website => include_str!("../icons/website.svg"),
        }
    }

    /// Whether the network checks that a page links to the profile (`rel="me"`, Mastodon's
    /// verified links): such a link must name the profile itself, so the page counts its clicks
    /// with `<a ping>` instead of sending it through the hop.
    pub fn verifies_links(self) -> bool {
        matches!(self, Network::Mastodon)
    }

    /// Where a handle lives; `None` for networks that need a full URL (Mastodon's many servers).
    fn profile_prefix(self) -> Option<&'static str> {
        Some(match self {
            Network::Instagram => "https://www.instagram.com/",
            Network::Tiktok => "https://www.tiktok.com/@",
            Network::Youtube => "https://www.youtube.com/@",
            Network::X => "https://x.com/",
            Network::Facebook => "https://www.facebook.com/",
            Network::Linkedin => "https://www.linkedin.com/in/",
            Network::Github => "https://github.com/",
            Network::Threads => "https://www.threads.net/@",
            Network::Twitch => "https://www.twitch.tv/",
            Network::Pinterest => "https://www.pinterest.com/",
            Network::Bluesky => "https://bsky.app/profile/",
            Network::Mastodon | Network::Website => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Image {
    /// An https image URL (uploads belong to the future media service).
    pub url: String,
    /// Required: a picture nobody can see must still say what it shows.
    pub alt: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Video {
    /// A YouTube or Vimeo URL; only the video id survives into the page.
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Divider {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Spacer {
    #[serde(default)]
    pub size: SpacerSize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SpacerSize {
    Small,
    #[default]
    Medium,
    Large,
}

impl SpacerSize {
    pub fn class(self) -> &'static str {
        match self {
            SpacerSize::Small => "sp-s",
            SpacerSize::Medium => "sp-m",
            SpacerSize::Large => "sp-l",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QrBlock {
    /// The owner's QR code (its id in the qr service).
    pub qr_id: String,
    /// Its short code, so the page can draw the symbol and link `/r/{code}`. Filled in from the
    /// qr service when the block is saved; what a request says here is not trusted.
    #[serde(default)]
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// The code drawn in its own saved style (colours, shapes, logo, frame), as the qr service
    /// renders it. Filled in from qr whenever the page is saved, never taken from a request;
    /// absent when qr could not draw it, and the page then draws a plain code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub svg: Option<String>,
}

/// One of the kinds' objects with `type` and `id` added. Written by hand: the derive would say
/// `allOf: [kind, {type, id}]`, which no block satisfies because each kind refuses unknown
/// fields (`additionalProperties: false`) and `type` and `id` are two to it.
impl utoipa::PartialSchema for Block {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
        fn tagged<T: utoipa::PartialSchema>(tag: &str) -> RefOr<Schema> {
            let mut schema = T::schema();
            if let RefOr::T(Schema::Object(object)) = &mut schema {
                let kind = ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([tag]))
                    .build();
                let id = ObjectBuilder::new().schema_type(Type::String).build();
                object
                    .properties
                    .insert("type".to_owned(), RefOr::T(Schema::Object(kind)));
                object
                    .properties
                    .insert("id".to_owned(), RefOr::T(Schema::Object(id)));
                object.required.insert(0, "type".to_owned());
            }
            schema
        }
        RefOr::T(Schema::OneOf(
            OneOfBuilder::new()
                .item(tagged::<Profile>("profile"))
                .item(tagged::<Heading>("heading"))
                .item(tagged::<Text>("text"))
                .item(tagged::<Link>("link"))
                .item(tagged::<Social>("social"))
                .item(tagged::<Image>("image"))
                .item(tagged::<Video>("video"))
                .item(tagged::<Contact>("contact"))
                .item(tagged::<Divider>("divider"))
                .item(tagged::<Spacer>("spacer"))
                .item(tagged::<QrBlock>("qr"))
                .build(),
        ))
    }
}

impl utoipa::ToSchema for Block {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::{PartialSchema, ToSchema};
        // What the variants refer to by name.
        for (name, schema) in [
            (<Icon as ToSchema>::name(), Icon::schema()),
            (<SocialItem as ToSchema>::name(), SocialItem::schema()),
            (<Network as ToSchema>::name(), Network::schema()),
            (<SpacerSize as ToSchema>::name(), SpacerSize::schema()),
        ] {
            schemas.push((name.into_owned(), schema));
        }
    }
}

impl Block {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Checks one block (at `blocks[index]`) and normalises its URLs in place.
    pub fn validate(&mut self, index: usize) -> Result<(), FieldError> {
        let at = |field: &str| format!("blocks[{index}].{field}");
        let id = &mut self.id;
        if id.is_empty() {
            *id = new_block_id();
        } else if id.len() > MAX_ID
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(FieldError::new(
                at("id"),
                "a block id has 1 to 32 letters, digits, - or _",
            ));
        }
        match &mut self.kind {
            BlockKind::Profile(b) => {
                required(&b.name, MAX_LABEL, at("name"))?;
                if let Some(bio) = &b.bio {
                    limit(bio, 1_000, at("bio"))?;
                }
                if let Some(avatar) = &mut b.avatar_url {
                    *avatar =
                        image_url(avatar).map_err(|m| FieldError::new(at("avatar_url"), m))?;
                }
            }
            BlockKind::Heading(b) => required(&b.text, MAX_LABEL, at("text"))?,
            BlockKind::Text(b) => {
                required(&b.text, MAX_TEXT, at("text"))?;
                if b.markdown {
                    crate::text::check_markdown_links(&b.text)
                        .map_err(|m| FieldError::new(at("text"), m))?;
                }
            }
            BlockKind::Link(b) => {
                required(&b.label, MAX_LABEL, at("label"))?;
                b.url = link_url(&b.url).map_err(|m| FieldError::new(at("url"), m))?;
            }
            BlockKind::Social(b) => {
                if b.items.is_empty() || b.items.len() > MAX_SOCIAL {
                    return Err(FieldError::new(
                        at("items"),
                        format!("a social block lists 1 to {MAX_SOCIAL} profiles"),
                    ));
                }
                for (j, item) in b.items.iter_mut().enumerate() {
                    item.normalise()
                        .map_err(|(f, m)| FieldError::new(at(&format!("items[{j}].{f}")), m))?;
                }
            }
            BlockKind::Image(b) => {
                b.url = image_url(&b.url).map_err(|m| FieldError::new(at("url"), m))?;
                required(&b.alt, MAX_LABEL, at("alt"))?;
            }
            BlockKind::Video(b) => {
                let embed = video_embed(&b.url).ok_or_else(|| {
                    FieldError::new(
                        at("url"),
                        "only YouTube and Vimeo video links can be embedded",
                    )
                })?;
                b.url = embed.watch_url();
                if let Some(title) = &b.title {
                    limit(title, MAX_LABEL, at("title"))?;
                }
            }
            BlockKind::Contact(b) => {
                if b.email.is_none() && b.phone.is_none() {
                    return Err(FieldError::new(
                        at("email"),
                        "give an email address or a phone number",
                    ));
                }
                if let Some(email) = &mut b.email {
                    *email = email_address(email).map_err(|m| FieldError::new(at("email"), m))?;
                }
                if let Some(phone) = &mut b.phone {
                    *phone = phone_number(phone).map_err(|m| FieldError::new(at("phone"), m))?;
                }
            }
            BlockKind::Divider(_) | BlockKind::Spacer(_) => {}
            BlockKind::Qr(b) => {
                if b.qr_id.is_empty()
                    || b.qr_id.len() > 64
                    || !b
                        .qr_id
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'-')
                {
                    return Err(FieldError::new(at("qr_id"), "not a QR code id"));
                }
                // Empty until the qr service fills it in (see `MicrositeService`).
                if (!b.code.is_empty() && !(4..=32).contains(&b.code.len()))
                    || !b
                        .code
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
                {
                    return Err(FieldError::new(at("code"), "not a short code"));
                }
                if let Some(caption) = &b.caption {
                    limit(caption, MAX_LABEL, at("caption"))?;
                }
            }
        }
        Ok(())
    }
}

impl SocialItem {
    fn normalise(&mut self) -> Result<(), (&'static str, String)> {
        match (&self.handle, &self.url) {
            // A handle wins and its URL is derived again: a saved item carries both, and the
            // API's own answer must be accepted back (the builder sends blocks it was given).
            (Some(handle), _) => {
                let prefix = self.network.profile_prefix().ok_or((
                    "url",
                    format!("give the full URL of your {} profile", self.network.name()),
                ))?;
                let handle = handle.strip_prefix('@').unwrap_or(handle);
                if handle.is_empty()
                    || handle.len() > 64
                    || !handle
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
                {
                    return Err((
                        "handle",
                        "a handle has 1 to 64 letters, digits, '.', '_' or '-'".into(),
                    ));
                }
                self.url = Some(format!("{prefix}{handle}"));
                self.handle = Some(handle.to_owned());
            }
            (None, Some(url)) => {
                let url = web_url(url).map_err(|m| ("url", m.to_owned()))?;
                self.url = Some(url);
            }
            _ => return Err(("handle", "give either a handle or a URL".into())),
        }
        Ok(())
    }
}

fn new_block_id() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

fn limit(value: &str, max: usize, field: String) -> Result<(), FieldError> {
    if value.chars().count() > max {
        return Err(FieldError::new(field, format!("at most {max} characters")));
    }
    Ok(())
}

fn required(value: &str, max: usize, field: String) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::new(field, "cannot be empty"));
    }
    limit(value, max, field)
}

/// Parses what a visitor's browser would follow. Control characters are refused before parsing
/// because browsers silently drop some of them (`java\tscript:`), which is how filters are fooled.
fn parse_absolute(raw: &str) -> Result<Url, &'static str> {
    let raw = raw.trim_matches(|c: char| c == ' ');
    if raw.is_empty() {
        return Err("cannot be empty");
    }
    if raw.len() > MAX_URL {
        return Err("that URL is too long");
    }
    if raw.chars().any(char::is_control) {
        return Err("a URL cannot contain control characters");
    }
    let url = Url::parse(raw).map_err(|_| "not a complete URL (start it with https://)")?;
    // The parser percent-encodes these in http(s) paths, but keeps them as typed in `mailto:` and
    // `tel:` URLs and in host names; a stored URL carries none of them.
    if url
        .as_str()
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`'))
    {
        return Err("a URL cannot contain spaces, quotes or angle brackets");
    }
    Ok(url)
}

/// A link block's URL: `http`, `https`, `mailto` or `tel`. Anything else (`javascript:`,
/// `data:`, `vbscript:`, `file:` — however spelled) is refused.
pub fn link_url(raw: &str) -> Result<String, &'static str> {
    let url = parse_absolute(raw)?;
    match url.scheme() {
        "http" | "https" if shared::host::is_web_host(&url) => Ok(url.into()),
        "mailto" | "tel" if !url.path().is_empty() => Ok(url.into()),
        _ => Err("links may only use http, https, mailto or tel"),
    }
}

/// A web page: `http` or `https` with a host.
pub fn web_url(raw: &str) -> Result<String, &'static str> {
    let url = parse_absolute(raw)?;
    match url.scheme() {
        "http" | "https" if shared::host::is_web_host(&url) => Ok(url.into()),
        _ => Err("only http and https addresses are allowed here"),
    }
}

/// An image: `https` only, so a page never shows mixed content — or one of this instance's own
/// uploads, `/media/<id>.png` exactly as the media module serves it (rendered against the public
/// base URL). Nothing else relative is taken: no other path, no `//host`, no `..`.
pub fn image_url(raw: &str) -> Result<String, &'static str> {
    let trimmed = raw.trim_matches(' ');
    if trimmed.starts_with('/') && !trimmed.starts_with("//") {
        return media_id(trimmed)
            .map(media_path)
            .ok_or("an uploaded image is /media/ followed by its id and .png");
    }
    let url = parse_absolute(raw)?;
    match url.scheme() {
        "https" if shared::host::is_web_host(&url) => Ok(url.into()),
        _ => Err("images must be https URLs or images uploaded here"),
    }
}

/// The id in `/media/<64 lower-case hex digits>.png`, the only shape the media module issues
/// (its ids are SHA-256 digests), or `None`.
pub fn media_id(path: &str) -> Option<&str> {
    let id = path.strip_prefix("/media/")?.strip_suffix(".png")?;
    let valid = id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    valid.then_some(id)
}

/// Where the media module serves upload `id`, as a page stores it.
pub fn media_path(id: &str) -> String {
    format!("/media/{id}.png")
}

fn email_address(raw: &str) -> Result<String, &'static str> {
    let email = raw.trim();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        })
        && email
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@.+-_".contains(&b));
    if valid {
        Ok(email.to_owned())
    } else {
        Err("not an email address")
    }
}

fn phone_number(raw: &str) -> Result<String, &'static str> {
    let phone = raw.trim();
    let digits = phone.bytes().filter(u8::is_ascii_digit).count();
    if phone.len() <= 32
        && (3..=20).contains(&digits)
        && phone
            .bytes()
            .all(|b| b.is_ascii_digit() || b" +-().".contains(&b))
        && !phone[1..].contains('+')
    {
        Ok(phone.to_owned())
    } else {
        Err("not a phone number")
    }
}

/// The `tel:` form of a stored phone number (digits and a leading `+` only).
pub fn tel_href(phone: &str) -> String {
    let mut out = String::from("tel:");
    out.extend(phone.chars().filter(|c| c.is_ascii_digit() || *c == '+'));
    out
}

/// A privacy-enhanced embed: only the provider and the video id survive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Embed {
    YouTube(String),
    Vimeo(String),
}

impl Embed {
    /// The iframe `src`: youtube-nocookie.com, or Vimeo with Do Not Track.
    pub fn src(&self) -> String {
        match self {
            Embed::YouTube(id) => format!("https://www.youtube-nocookie.com/embed/{id}"),
            Embed::Vimeo(id) => format!("https://player.vimeo.com/video/{id}?dnt=1"),
        }
    }

    /// The canonical watch URL stored for the owner to see.
    pub fn watch_url(&self) -> String {
        match self {
            Embed::YouTube(id) => format!("https://www.youtube.com/watch?v={id}"),
            Embed::Vimeo(id) => format!("https://vimeo.com/{id}"),
        }
    }
}

pub fn video_embed(raw: &str) -> Option<Embed> {
    let url = parse_absolute(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url
        .host_str()?
        .trim_start_matches("www.")
        .trim_start_matches("m.");
    let mut segments = url.path_segments()?.filter(|s| !s.is_empty());
    let youtube_id = |id: &str| {
        (id.len() == 11
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| Embed::YouTube(id.to_owned()))
    };
    let vimeo_id = |id: &str| {
        (!id.is_empty() && id.len() <= 12 && id.bytes().all(|b| b.is_ascii_digit()))
            .then(|| Embed::Vimeo(id.to_owned()))
    };
    match host {
        "youtube.com" | "music.youtube.com" | "youtube-nocookie.com" => match segments.next()? {
            "watch" => {
                let v = url.query_pairs().find(|(k, _)| k == "v")?.1;
                youtube_id(&v)
            }
            "embed" | "shorts" | "live" | "v" => youtube_id(segments.next()?),
            _ => None,
        },
        "youtu.be" => youtube_id(segments.next()?),
        "vimeo.com" => vimeo_id(segments.next()?),
        "player.vimeo.com" => match segments.next()? {
            "video" => vimeo_id(segments.next()?),
            _ => None,
        },
        _ => None,
    }
}

/// Validates a whole list: the count, each block, and unique ids (the tracked link hop needs them).
pub fn validate_all(blocks: &mut [Block]) -> Result<(), FieldError> {
    if blocks.len() > MAX_BLOCKS {
        return Err(FieldError::new(
            "blocks",
            format!("at most {MAX_BLOCKS} blocks"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, block) in blocks.iter_mut().enumerate() {
        block.validate(i)?;
        if !seen.insert(block.id().to_owned()) {
            return Err(FieldError::new(
                format!("blocks[{i}].id"),
                "two blocks have this id",
            ));
        }
    }
    Ok(())
}

/// Reads blocks from JSON one by one, so a wrong shape is named by its path (`blocks[3].url`).
pub fn from_json(values: Vec<serde_json::Value>) -> Result<Vec<Block>, FieldError> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            serde_json::from_value::<Block>(value.clone()).map_err(|e| {
                let message = e.to_string();
                let quoted = |prefix: &str| {
                    message
                        .split_once(prefix)
                        .and_then(|(_, rest)| rest.split_once('`'))
                        .map(|(name, _)| name.to_owned())
                };
                // serde names a wrong field in backticks; a wrong enum value is found by its value.
                let field = quoted("unknown field `")
                    .or_else(|| quoted("missing field `"))
                    .or_else(|| {
                        let bad = quoted("unknown variant `")?;
                        value.as_object()?.iter().find_map(|(key, v)| {
                            (v.as_str() == Some(bad.as_str())).then(|| key.clone())
                        })
                    });
                let path = match field {
                    Some(name) => format!("blocks[{i}].{name}"),
                    None => format!("blocks[{i}]"),
                };
                FieldError::new(path, message)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(value: serde_json::Value) -> Result<Block, FieldError> {
        let mut blocks = from_json(vec![json!({"type": "heading", "text": "x"}), value])?;
        validate_all(&mut blocks)?;
        Ok(blocks.remove(1))
    }

    fn field_of(value: serde_json::Value) -> String {
        one(value).unwrap_err().field
    }

    #[test]
    fn every_block_type_has_a_good_shape() {
        for value in [
            json!({"type": "profile", "name": "Ada", "bio": "Hi", "avatar_url": "https://img.example/a.png"}),
            json!({"type": "heading", "text": "Menu"}),
            json!({"type": "text", "text": "Line 1\nLine 2", "markdown": true}),
            json!({"type": "link", "label": "Shop", "url": "https://example.com/shop", "icon": "shop"}),
            json!({"type": "link", "label": "Mail", "url": "mailto:hi@example.com"}),
            json!({"type": "link", "label": "Call", "url": "tel:+15551234"}),
            json!({"type": "social", "items": [{"network": "instagram", "handle": "@ada"}, {"network": "mastodon", "url": "https://mastodon.social/@ada"}]}),
            json!({"type": "image", "url": "https://img.example/p.jpg", "alt": "A cake"}),
            json!({"type": "video", "url": "https://youtu.be/dQw4w9WgXcQ"}),
            json!({"type": "contact", "email": "ada@example.com", "phone": "+44 20 7946 0000"}),
            json!({"type": "divider"}),
            json!({"type": "spacer", "size": "large"}),
            json!({"type": "qr", "qr_id": "0190-abc", "code": "aB3dE7x"}),
        ] {
            let block = one(value.clone()).unwrap_or_else(|e| panic!("{value}: {e:?}"));
            assert_eq!(block.id().len(), 10, "ids are assigned");
        }
    }

    #[test]
    fn bad_shapes_name_their_path() {
        for (value, field) in [
            (json!({"type": "marquee"}), "blocks[1].type"),
            (
                json!({"type": "link", "label": "x", "url": "https://a.b", "onclick": "x"}),
                "blocks[1].onclick",
            ),
            (json!({"type": "link", "label": "x"}), "blocks[1].url"),
            (json!({"type": "profile", "name": ""}), "blocks[1].name"),
            (
                json!({"type": "profile", "name": "a", "avatar_url": "http://a.b/x.png"}),
                "blocks[1].avatar_url",
            ),
            (
                json!({"type": "heading", "text": "x".repeat(201)}),
                "blocks[1].text",
            ),
            (
                json!({"type": "text", "text": "x".repeat(5001)}),
                "blocks[1].text",
            ),
            (
                json!({"type": "text", "text": "[x](javascript:alert(1))", "markdown": true}),
                "blocks[1].text",
            ),
            (
                json!({"type": "link", "label": "x".repeat(201), "url": "https://a.b"}),
                "blocks[1].label",
            ),
            (
                json!({"type": "link", "label": "x", "url": "https://a.b", "icon": "skull"}),
                "blocks[1].icon",
            ),
            (json!({"type": "social", "items": []}), "blocks[1].items"),
            (
                json!({"type": "social", "items": [{"network": "instagram", "handle": "a b"}]}),
                "blocks[1].items[0].handle",
            ),
            (
                json!({"type": "social", "items": [{"network": "mastodon", "handle": "ada"}]}),
                "blocks[1].items[0].url",
            ),
            (
                json!({"type": "social", "items": [{"network": "x", "url": "javascript:alert(1)"}]}),
                "blocks[1].items[0].url",
            ),
            (
                json!({"type": "image", "url": "https://a.b/x.png", "alt": " "}),
                "blocks[1].alt",
            ),
            (
                json!({"type": "image", "url": "data:image/png;base64,AAAA", "alt": "x"}),
                "blocks[1].url",
            ),
            (
                json!({"type": "video", "url": "https://evil.example/watch?v=dQw4w9WgXcQ"}),
                "blocks[1].url",
            ),
            (json!({"type": "contact"}), "blocks[1].email"),
            (
                json!({"type": "contact", "email": "a@b.c\"><script>"}),
                "blocks[1].email",
            ),
            (
                json!({"type": "contact", "phone": "call me"}),
                "blocks[1].phone",
            ),
            (
                json!({"type": "divider", "color": "red"}),
                "blocks[1].color",
            ),
            (json!({"type": "spacer", "size": "huge"}), "blocks[1].size"),
            (
                json!({"type": "qr", "qr_id": "x", "code": "<svg>"}),
                "blocks[1].code",
            ),
            (
                json!({"type": "heading", "id": "a b", "text": "x"}),
                "blocks[1].id",
            ),
        ] {
            assert_eq!(field_of(value.clone()), field, "{value}");
        }
    }

    #[test]
    fn what_validation_stores_validates_again_unchanged() {
        let mut blocks = from_json(vec![
            json!({"type": "social", "items": [{"network": "github", "handle": "@ada"},
                {"network": "website", "url": "https://ada.example"}]}),
            json!({"type": "link", "label": "x", "url": "HTTPS://Example.COM/a b"}),
            json!({"type": "video", "url": "https://youtu.be/dQw4w9WgXcQ"}),
            json!({"type": "contact", "email": " a@b.co ", "phone": "+1 555 0100"}),
        ])
        .unwrap();
        validate_all(&mut blocks).unwrap();
        let stored = serde_json::to_value(&blocks).unwrap();
        let mut again = from_json(stored.as_array().unwrap().clone()).unwrap();
        validate_all(&mut again).unwrap();
        assert_eq!(again, blocks);
    }

    /// A page as stored before blocks became `{id, kind}`: it loads, and saving it again writes
    /// the same bytes (field order included), so stored drafts, snapshots and API answers stay.
    #[test]
    fn a_stored_page_from_before_decodes_and_encodes_the_same() {
        let stored = concat!(
            r##"{"title":"Ada's","description":"Cakes","theme":"dark","tweaks":{"accent":"#ff0000"},"##,
            r##""lang":"en","blocks":["##,
            r##"{"type":"profile","id":"p1","name":"Ada","bio":"Hi","avatar_url":"https://img.example/a.png"},"##,
            r##"{"type":"heading","id":"h1","text":"Menu"},"##,
            r##"{"type":"text","id":"t1","text":"**a**","markdown":true},"##,
            r##"{"type":"link","id":"l1","label":"Shop","url":"https://example.com/","icon":"shop"},"##,
            r##"{"type":"link","id":"l2","label":"Call","url":"tel:+1555"},"##,
            r##"{"type":"social","id":"s1","items":[{"network":"github","handle":"ada","url":"https://github.com/ada"},"##,
            r##"{"network":"mastodon","url":"https://m.example/@ada"}]},"##,
            r##"{"type":"image","id":"i1","url":"https://img.example/p.jpg","alt":"A cake"},"##,
            r##"{"type":"video","id":"v1","url":"https://www.youtube.com/watch?v=dQw4w9WgXcQ","title":"Tour"},"##,
            r##"{"type":"contact","id":"c1","email":"a@b.co","phone":"+1 555 0100"},"##,
            r##"{"type":"divider","id":"d1"},"##,
            r##"{"type":"spacer","id":"sp1","size":"large"},"##,
            r##"{"type":"qr","id":"q1","qr_id":"0190-abc","code":"aB3dE7x","caption":"Scan"}"##,
            "]}"
        );
        let page: crate::model::Content = serde_json::from_str(stored).unwrap();
        assert_eq!(page.blocks.len(), 12);
        assert_eq!(page.blocks[3].id, "l1");
        assert!(matches!(&page.blocks[3].kind, BlockKind::Link(l) if l.icon == Some(Icon::Shop)));
        assert_eq!(serde_json::to_string(&page).unwrap(), stored);
    }

    #[test]
    fn icon_and_network_lists_name_every_variant_as_json_does() {
        use utoipa::PartialSchema;
        fn schema_names(
            schema: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        ) -> Vec<String> {
            let json = serde_json::to_value(schema).unwrap();
            serde_json::from_value(json["enum"].clone()).unwrap()
        }
        let icons: Vec<&str> = Icon::ALL.iter().map(|i| i.as_str()).collect();
        assert_eq!(schema_names(Icon::schema()), icons);
        for icon in Icon::ALL {
            assert_eq!(serde_json::to_value(icon).unwrap(), icon.as_str());
        }
        let networks: Vec<&str> = Network::ALL.iter().map(|n| n.as_str()).collect();
        assert_eq!(schema_names(Network::schema()), networks);
        for network in Network::ALL {
            assert_eq!(serde_json::to_value(network).unwrap(), network.as_str());
        }
    }

    #[test]
    fn every_network_has_its_own_inline_svg_icon() {
        let mut seen = std::collections::HashSet::new();
        for network in Network::ALL {
            let icon = network.icon();
            assert!(icon.starts_with("<svg "), "{network:?}");
            assert!(icon.ends_with("</svg>"), "{network:?}");
            // Decorative: the link around it says the network's name.
            assert!(icon.contains("aria-hidden=\"true\""), "{network:?}");
            assert!(icon.contains("focusable=\"false\""), "{network:?}");
            assert!(icon.contains("fill=\"currentColor\""), "{network:?}");
            assert!(icon.contains("<path d=\""), "{network:?}");
            for bad in ["<title", "<script", "href", "style"] {
                assert!(!icon.contains(bad), "{network:?} has {bad}");
            }
            assert!(
                seen.insert(icon),
                "{network:?} shares another network's icon"
            );
        }
    }

    #[test]
    fn duplicate_ids_and_too_many_blocks_are_refused() {
        let mut blocks = from_json(vec![
            json!({"type": "divider", "id": "a"}),
            json!({"type": "divider", "id": "a"}),
        ])
        .unwrap();
        assert_eq!(validate_all(&mut blocks).unwrap_err().field, "blocks[1].id");
        let mut many = from_json(vec![json!({"type": "divider"}); 101]).unwrap();
        assert_eq!(validate_all(&mut many).unwrap_err().field, "blocks");
    }

    #[test]
    fn link_urls_refuse_script_schemes_however_spelled() {
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "\u{1}javascript:alert(1)",
            "&#106;avascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "file:///etc/passwd",
            "//evil.example/x",
            "/relative",
            "https://",
            "",
        ] {
            assert!(link_url(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            link_url("HTTPS://Example.COM/a b").unwrap(),
            "https://example.com/a%20b"
        );
        assert_eq!(link_url("mailto:a@b.c").unwrap(), "mailto:a@b.c");
        assert_eq!(link_url("tel:+1555").unwrap(), "tel:+1555");
    }

    /// Found by the property tests: `mailto:` and `tel:` URLs, and host names, keep markup
    /// characters as typed, so `mailto:example.com<` was stored with a `<` in it.
    #[test]
    fn stored_urls_carry_no_markup_characters() {
        for bad in [
            "mailto:example.com<",
            "mailto:\"onmouseover=x\"@b.c",
            "tel:+1555`",
            "mailto:a b@c.d",
            "https://example.com\"/",
            "https://ex'ample.com/",
            "https://ex{ample}.com/",
        ] {
            assert!(link_url(bad).is_err(), "{bad:?}");
            assert!(web_url(bad).is_err(), "{bad:?}");
        }
        assert!(image_url("https://ex|ample.com/a.png").is_err());
        assert_eq!(
            link_url("https://127.0.0.1/").unwrap(),
            "https://127.0.0.1/"
        );
    }

    #[test]
    fn images_are_https_or_this_instances_own_uploads() {
        let id = "0123456789abcdef".repeat(4);
        let path = format!("/media/{id}.png");
        assert_eq!(image_url(&path).unwrap(), path);
        assert_eq!(image_url(&format!(" {path} ")).unwrap(), path);
        assert_eq!(media_id(&path), Some(id.as_str()));
        assert_eq!(
            image_url("https://img.example/a.png").unwrap(),
            "https://img.example/a.png"
        );
        for bad in [
            "/media/../x".to_owned(),
            "/media/../../etc/passwd".to_owned(),
            "//evil.example/a.png".to_owned(),
            "//evil.example/media/x.png".to_owned(),
            "javascript:alert(1)".to_owned(),
            "JaVaScRiPt:alert(1)".to_owned(),
            "data:image/png;base64,AAAA".to_owned(),
            "http://img.example/a.png".to_owned(),
            "/static/app.css".to_owned(),
            "/media/".to_owned(),
            format!("/media/{id}"),
            format!("/media/{id}.png?x=1"),
            format!("/media/{id}.png#x"),
            format!("/media/{}.png", id.to_uppercase()),
            format!("/media/{}.png", &id[1..]),
            format!("/media/{id}0.png"),
            format!("/media/{id}.svg"),
            format!("/media/%2e%2e/{id}.png"),
            format!("/media/{id}.png/.."),
            format!("media/{id}.png"),
            format!("\\media/{id}.png"),
            format!("/\\evil.example/{id}.png"),
        ] {
            assert!(image_url(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn videos_become_privacy_enhanced_embeds() {
        let yt = Embed::YouTube("dQw4w9WgXcQ".into());
        for url in [
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42",
            "https://youtube.com/shorts/dQw4w9WgXcQ",
            "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://youtu.be/dQw4w9WgXcQ?si=abc",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ] {
            assert_eq!(video_embed(url), Some(yt.clone()), "{url}");
        }
        assert_eq!(
            yt.src(),
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
        );
        let vimeo = video_embed("https://vimeo.com/76979871").unwrap();
        assert_eq!(vimeo.src(), "https://player.vimeo.com/video/76979871?dnt=1");
        assert_eq!(
            video_embed("https://player.vimeo.com/video/76979871"),
            Some(vimeo)
        );
        for bad in [
            "https://youtube.com/watch?v=short",
            "https://youtube.com/watch?v=dQw4w9WgXc\"",
            "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
            "https://vimeo.com/abc",
            "javascript:alert(1)",
        ] {
            assert_eq!(video_embed(bad), None, "{bad}");
        }
    }

    #[test]
    fn contact_details_become_safe_hrefs() {
        assert_eq!(tel_href("+44 (20) 7946-0000"), "tel:+442079460000");
        assert!(email_address("a@b").is_err());
        assert!(email_address("a@b.co?subject=x").is_err());
        assert!(phone_number("12").is_err());
    }
}
