//! The create/edit form as typed, and how it maps to and from what the qr service takes.

use serde::{Deserialize, Serialize};

use qr::api::QrView;
use qr::experiments::Variant;
use qr::rules::{Condition, Day, Device, Preview, Route, Utm};
use qr::style::{Color, Ecc, EyeShape, FrameTemplate, GradientKind, ModuleShape, Style};

use crate::pages::session::csrf_form;

/// The form's fields, as typed (so they can be shown again with an error).
#[derive(Deserialize, Default, Clone)]
pub struct CodeForm {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub destination: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default = "black")]
    pub fg: String,
    #[serde(default = "white")]
    pub bg: String,
    #[serde(default = "square")]
    pub modules: String,
    #[serde(default = "square")]
    pub eyes: String,
    #[serde(default = "level_m")]
    pub ecc: String,
    #[serde(default)]
    pub frame_text: String,
    /// The frame's design (`banner`, `top`, `box`, `bubble`, `pill`, `ticket`).
    #[serde(default = "banner")]
    pub frame_template: String,
    /// "Transparent background" (a checkbox).
    #[serde(default)]
    pub transparent: Option<String>,
    /// `""` (one colour), `linear` or `radial`, and the gradient's end colour.
    #[serde(default)]
    pub gradient: String,
    #[serde(default = "gradient_end")]
    pub gradient_to: String,
    /// "Eyes in their own colour" (a checkbox: a colour input always sends a value) and it.
    #[serde(default)]
    pub eye_color_on: Option<String>,
    #[serde(default = "black")]
    pub eye_color: String,
    /// The centre logo (a media id) and its width share, carried as hidden fields so that saving
    /// the form keeps the logo uploaded with the logo form.
    #[serde(default)]
    pub logo_id: String,
    #[serde(default)]
    pub logo_size: String,
    #[serde(default)]
    pub paused: Option<String>,
    /// "Save this style as": the name of a saved style made from the style fields.
    #[serde(default)]
    pub style_name: String,
    #[serde(flatten)]
    pub rules: RulesForm,
}

/// The rules editor's fields: one route of each kind (tried in the order shown: iPhone, Android,
/// country, schedule — first match wins), a password, expiry, a scan limit and UTM fields.
/// Plain fields, so it works without JavaScript.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct RulesForm {
    pub ios_url: String,
    pub android_url: String,
    /// The country routes, one row each (repeated `country` / `country_url` fields, read by
    /// [`super::submit::CodeSubmission`]: a flat form cannot fill a list).
    #[serde(skip)]
    pub countries: Vec<CountryRow>,
    /// "Add a country" (re-renders the form with one more row, saving nothing).
    pub add_country: Option<String>,
    /// "Remove" on a country row: its index (re-renders the form without it, saving nothing).
    pub remove_country: Option<String>,
    // Checkboxes, one name each: a urlencoded form cannot fill a list.
    pub day_mon: Option<String>,
    pub day_tue: Option<String>,
    pub day_wed: Option<String>,
    pub day_thu: Option<String>,
    pub day_fri: Option<String>,
    pub day_sat: Option<String>,
    pub day_sun: Option<String>,
    pub schedule_from: String,
    pub schedule_to: String,
    pub schedule_url: String,
    /// The IANA zone expiry and schedule times are typed in (a `<select>`); empty means UTC.
    pub time_zone: String,
    /// A new password; empty keeps the current one.
    pub password: String,
    pub remove_password: Option<String>,
    /// `YYYY-MM-DDTHH:MM` in `time_zone` (an `<input type="datetime-local">`).
    pub expires_at: String,
    pub expired_url: String,
    pub max_scans: String,
    pub forward_query: Option<String>,
    pub utm_source: String,
    pub utm_medium: String,
    pub utm_campaign: String,
    /// Read-only here: whether the code has a password now.
    #[serde(skip)]
    pub protected: bool,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One country route as typed.
#[derive(Default, Clone, Debug, PartialEq, Eq)]
pub struct CountryRow {
    pub country: String,
    pub url: String,
}

impl CountryRow {
    fn is_blank(&self) -> bool {
        self.country.trim().is_empty() && self.url.trim().is_empty()
    }
}

/// Every IANA zone name jiff's bundled database knows, sorted (the time zone `<select>`).
pub fn time_zones() -> &'static [String] {
    static ZONES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let mut zones: Vec<String> = jiff::tz::db()
            .available()
            .map(|name| name.as_str().to_owned())
            .filter(|name| !name.starts_with("posix/") && !name.starts_with("right/"))
            .collect();
        zones.sort();
        zones.dedup();
        zones
    });
    &ZONES
}

/// A local time typed in `zone` as an instant (epoch ms). A time the clocks skip (spring
/// forward) or pass twice (fall back) is refused with what to type instead, rather than
/// guessed: an expiry an hour off is a printed poster that stops working early.
pub fn local_to_instant(typed: &str, zone: &str) -> Result<i64, String> {
    let dt = jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", typed)
        .map_err(|_| "use a date and time like 2030-01-31T18:00".to_owned())?;
    let tz =
        jiff::tz::TimeZone::get(zone).map_err(|_| "choose a time zone from the list".to_owned())?;
    match tz.to_ambiguous_zoned(dt).offset() {
        jiff::tz::AmbiguousOffset::Unambiguous { offset } => offset
            .to_timestamp(dt)
            .map(jiff::Timestamp::as_millisecond)
            .map_err(|_| "that date is out of range".to_owned()),
        jiff::tz::AmbiguousOffset::Gap { .. } => Err(format!(
            "{typed} does not exist in {zone}: the clocks skip that hour; choose a time an hour later"
        )),
        jiff::tz::AmbiguousOffset::Fold { .. } => Err(format!(
            "{typed} happens twice in {zone}: the clocks go back that night; choose a time outside that hour"
        )),
    }
}

/// An instant shown as `YYYY-MM-DDTHH:MM` in `zone` (UTC if the zone is unknown).
pub fn instant_to_local(ms: i64, zone: &str) -> Option<String> {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let at = jiff::Timestamp::from_millisecond(ms).ok()?;
    Some(at.to_zoned(tz).strftime("%Y-%m-%dT%H:%M").to_string())
}

impl RulesForm {
    pub fn days(&self) -> [&Option<String>; 7] {
        [
            &self.day_mon,
            &self.day_tue,
            &self.day_wed,
            &self.day_thu,
            &self.day_fri,
            &self.day_sat,
            &self.day_sun,
        ]
    }

    /// Whether the day (`mon`…) is ticked, for the template.
    pub fn day(&self, name: &str) -> bool {
        DAYS.iter()
            .position(|d| *d == name)
            .is_some_and(|i| self.days()[i].is_some())
    }

    pub fn of(qr: &QrView) -> Self {
        let rules = &qr.rules;
        // The zone the owner chose; codes saved before it was kept use their schedule's, or UTC.
        let zone = rules
            .time_zone
            .clone()
            .or_else(|| {
                rules.routes.iter().find_map(|r| match &r.when {
                    Condition::Schedule { time_zone, .. } => Some(time_zone.clone()),
                    _ => None,
                })
            })
            .unwrap_or_else(|| "UTC".to_owned());
        let mut form = RulesForm {
            protected: qr.password_protected,
            expired_url: rules.expired_url.clone().unwrap_or_default(),
            max_scans: rules.max_scans.map(|n| n.to_string()).unwrap_or_default(),
            forward_query: rules.forward_query.then(|| "on".into()),
            expires_at: rules
                .expires_at
                .and_then(|ms| instant_to_local(ms, &zone))
                .unwrap_or_default(),
            time_zone: zone,
            ..RulesForm::default()
        };
        // One route of each device and one schedule are shown (the first); every country.
        for route in &rules.routes {
            let url = route.url.clone();
            match &route.when {
                Condition::Device {
                    device: Device::Ios,
                } if form.ios_url.is_empty() => form.ios_url = url,
                Condition::Device {
                    device: Device::Android,
                } if form.android_url.is_empty() => form.android_url = url,
                Condition::Country { country } => form.countries.push(CountryRow {
                    country: country.clone(),
                    url,
                }),
                Condition::Schedule { days, from, to, .. } if form.schedule_url.is_empty() => {
                    form.schedule_from = from.clone();
                    form.schedule_to = to.clone();
                    form.schedule_url = url;
                    let on = |d: Day| days.contains(&d).then(|| "on".to_owned());
                    form.day_mon = on(Day::Mon);
                    form.day_tue = on(Day::Tue);
                    form.day_wed = on(Day::Wed);
                    form.day_thu = on(Day::Thu);
                    form.day_fri = on(Day::Fri);
                    form.day_sat = on(Day::Sat);
                    form.day_sun = on(Day::Sun);
                }
                _ => {}
            }
        }
        if let Some(utm) = &qr.utm {
            form.utm_source = utm.source.clone().unwrap_or_default();
            form.utm_medium = utm.medium.clone().unwrap_or_default();
            form.utm_campaign = utm.campaign.clone().unwrap_or_default();
        }
        form
    }

    /// The `rules` object the qr API takes. Values go as typed; qr validates them and names the
    /// field of any mistake. A time that is not one is sent as text, so qr refuses it.
    pub fn rules(&self) -> RulesBody {
        let url = |s: &str| s.trim().to_owned();
        let mut routes = Vec::new();
        for (device, typed) in [
            (Device::Ios, &self.ios_url),
            (Device::Android, &self.android_url),
        ] {
            if !typed.trim().is_empty() {
                routes.push(Route {
                    when: Condition::Device { device },
                    url: url(typed),
                });
            }
        }
        for row in self.countries.iter().filter(|row| !row.is_blank()) {
            routes.push(Route {
                when: Condition::Country {
                    country: row.country.trim().to_owned(),
                },
                url: url(&row.url),
            });
        }
        if !self.schedule_url.trim().is_empty() {
            let days = [
                Day::Mon,
                Day::Tue,
                Day::Wed,
                Day::Thu,
                Day::Fri,
                Day::Sat,
                Day::Sun,
            ]
            .into_iter()
            .zip(self.days())
            .filter(|(_, on)| on.is_some())
            .map(|(d, _)| d)
            .collect();
            let tz = self.zone();
            routes.push(Route {
                when: Condition::Schedule {
                    days,
                    from: self.schedule_from.trim().to_owned(),
                    to: self.schedule_to.trim().to_owned(),
                    time_zone: tz.to_owned(),
                },
                url: url(&self.schedule_url),
            });
        }
        let typed = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        RulesBody {
            routes,
            forward_query: self.forward_query.is_some(),
            // `check` refused a time that is not one first; qr names the field otherwise.
            expires_at: typed(&self.expires_at).map(|at| {
                match local_to_instant(&at, self.zone()) {
                    Ok(ms) => AsTyped::Parsed(ms),
                    Err(_) => AsTyped::Text(at),
                }
            }),
            expired_url: typed(&self.expired_url),
            time_zone: Some(self.zone().to_owned()),
            max_scans: typed(&self.max_scans).map(|n| match n.parse::<u64>() {
                Ok(n) => AsTyped::Parsed(n),
                Err(_) => AsTyped::Text(n),
            }),
            password: if self.remove_password.is_some() {
                Some(String::new())
            } else {
                Some(self.password.clone()).filter(|p| !p.is_empty())
            },
            preview: None,
            variants: Vec::new(),
        }
    }

    /// The chosen zone (UTC when none was chosen).
    pub fn zone(&self) -> &str {
        Some(self.time_zone.trim())
            .filter(|z| !z.is_empty())
            .unwrap_or("UTC")
    }

    /// What the web checks before qr does, because only it knows the time was typed in a zone:
    /// an unknown zone, or a local time the clocks skip or repeat. The error names its field.
    pub fn check(&self) -> Result<(), shared::ApiError> {
        let zone = self.zone();
        if jiff::tz::TimeZone::get(zone).is_err() {
            return Err(shared::ApiError::invalid(
                "rules.time_zone",
                "choose a time zone from the list",
            ));
        }
        let at = self.expires_at.trim();
        if !at.is_empty() {
            local_to_instant(at, zone)
                .map_err(|message| shared::ApiError::invalid("rules.expires_at", message))?;
        }
        Ok(())
    }

    /// Whether "Add a country" or a row's "Remove" was pressed (not a save).
    pub fn editing_rows(&self) -> bool {
        self.add_country.is_some() || self.remove_country.is_some()
    }

    /// The country rows to show: the typed ones, one more when asked for (or when there are
    /// none, so a first rule needs no extra click), minus a removed one.
    pub fn country_rows(&self) -> Vec<CountryRow> {
        let mut rows = self.countries.clone();
        if let Some(i) = self
            .remove_country
            .as_deref()
            .and_then(|i| i.parse::<usize>().ok())
            && i < rows.len()
        {
            rows.remove(i);
        }
        if rows.is_empty() || self.add_country.is_some() {
            rows.push(CountryRow::default());
        }
        rows
    }

    /// The index qr gives the route of country row `row` (device routes come first), so its
    /// error (`rules.routes[2].country`) is shown on that row.
    pub fn country_route(&self, row: usize) -> Option<usize> {
        let devices = [&self.ios_url, &self.android_url]
            .iter()
            .filter(|u| !u.trim().is_empty())
            .count();
        let rows = self.countries.get(..=row)?;
        if rows.last()?.is_blank() {
            return None;
        }
        Some(devices + rows.iter().filter(|r| !r.is_blank()).count() - 1)
    }

    pub fn utm(&self) -> Utm {
        let value = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Utm {
            source: value(&self.utm_source),
            medium: value(&self.utm_medium),
            campaign: value(&self.utm_campaign),
            ..Utm::default()
        }
    }
}

fn black() -> String {
    "#000000".into()
}
fn white() -> String {
    "#ffffff".into()
}
fn square() -> String {
    "square".into()
}
fn level_m() -> String {
    "M".into()
}

impl CodeForm {
    pub fn blank() -> Self {
        CodeForm {
            fg: black(),
            bg: white(),
            modules: square(),
            eyes: square(),
            ecc: level_m(),
            frame_template: banner(),
            gradient_to: gradient_end(),
            eye_color: black(),
            ..CodeForm::default()
        }
    }

    pub fn of(qr: &QrView) -> Self {
        let mut form = CodeForm {
            csrf_token: String::new(),
            name: qr.name.clone(),
            destination: qr.destination.clone().unwrap_or_default(),
            tags: qr.tags.join(", "),
            paused: qr.paused.then(|| "on".to_owned()),
            style_name: String::new(),
            rules: RulesForm::of(qr),
            ..CodeForm::blank()
        };
        form.apply_style(&qr.style);
        form
    }

    /// Takes the style fields from a saved style ("apply when creating").
    pub fn apply_style(&mut self, style: &Style) {
        self.fg = style.fg.hex();
        self.bg = style.bg.hex();
        self.modules = module_name(style.modules).to_owned();
        self.eyes = eye_name(style.eyes).to_owned();
        self.ecc = ecc_name(style.ecc).to_owned();
        let (frame, logo) = (style.frame.as_ref(), style.logo.as_ref());
        self.frame_text = frame.map(|f| f.text.clone()).unwrap_or_default();
        self.frame_template = frame.map_or_else(banner, |f| frame_name(f.template).to_owned());
        self.transparent = style.transparent.then(|| "on".to_owned());
        self.gradient = style
            .gradient
            .map(|g| gradient_name(g.kind).to_owned())
            .unwrap_or_default();
        self.gradient_to = style.gradient.map_or_else(gradient_end, |g| g.to.hex());
        self.eye_color_on = style.eye_color.map(|_| "on".to_owned());
        self.eye_color = style.eye_color.map_or_else(black, Color::hex);
        self.logo_id = logo.map(|l| l.id.clone()).unwrap_or_default();
        self.logo_size = logo.map(|l| l.size.to_string()).unwrap_or_default();
    }

    /// The style object the qr API takes. Values are passed as typed; qr validates them.
    pub fn style(&self) -> StyleBody {
        let logo_id = self.logo_id.trim();
        StyleBody {
            fg: self.fg.trim().to_owned(),
            bg: self.bg.trim().to_owned(),
            modules: self.modules.clone(),
            eyes: self.eyes.clone(),
            ecc: self.ecc.clone(),
            frame: Some(self.frame_text.trim())
                .filter(|t| !t.is_empty())
                .map(|text| FrameBody {
                    text: text.to_owned(),
                    template: self.frame_template.clone(),
                }),
            transparent: self.transparent.is_some(),
            gradient: (!self.gradient.is_empty()).then(|| GradientBody {
                kind: self.gradient.clone(),
                to: self.gradient_to.trim().to_owned(),
            }),
            eye_color: self
                .eye_color_on
                .is_some()
                .then(|| self.eye_color.trim().to_owned()),
            // qr checks the id is one of this user's images and the size fits the level.
            logo: (!logo_id.is_empty()).then(|| LogoBody {
                id: logo_id.to_owned(),
                size: self.logo_size.trim().parse::<f64>().ok(),
            }),
        }
    }

    pub fn body(&self, creating: bool) -> CodeBody {
        CodeBody {
            name: self.name.clone(),
            destination: Some(self.destination.trim().to_owned()),
            style: self.style(),
            tags: self
                .tags
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
            rules: self.rules.rules(),
            utm: self.rules.utm(),
            paused: (!creating).then_some(self.paused.is_some()),
        }
    }
}

// What the form sends qr: the shape of qr's own request, with the values as they were typed
// (qr validates them and names the field of a mistake).

/// A code to create or the changes to one.
#[derive(Serialize)]
pub struct CodeBody {
    pub name: String,
    /// `None` for a microsite's code: its destination is the page, not a field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    pub style: StyleBody,
    pub tags: Vec<String>,
    pub rules: RulesBody,
    pub utm: Utm,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
}

#[derive(Serialize)]
pub struct StyleBody {
    fg: String,
    bg: String,
    modules: String,
    eyes: String,
    ecc: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    frame: Option<FrameBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logo: Option<LogoBody>,
    transparent: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    gradient: Option<GradientBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    eye_color: Option<String>,
}

#[derive(Serialize)]
struct FrameBody {
    text: String,
    template: String,
}

#[derive(Serialize)]
struct GradientBody {
    kind: String,
    to: String,
}

#[derive(Serialize)]
struct LogoBody {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<f64>,
}

#[derive(Serialize)]
pub struct RulesBody {
    routes: Vec<Route>,
    forward_query: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<AsTyped<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expired_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_scans: Option<AsTyped<u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
    /// Not in the editor: kept as they are when a code is saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<Preview>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Variant>,
}

/// A number or time as typed: parsed when it is one, else the text (for qr to refuse by name).
#[derive(Serialize)]
#[serde(untagged)]
enum AsTyped<T> {
    Parsed(T),
    Text(String),
}

/// A saved style: its name and the editor's style.
#[derive(Serialize)]
pub struct NamedStyle {
    pub name: String,
    pub style: StyleBody,
}

/// The live preview's request.
#[derive(Serialize)]
pub struct PreviewBody {
    pub style: StyleBody,
}

csrf_form!(CodeForm);

// The names qr's API gives these values (the form's select options).

pub fn module_name(shape: ModuleShape) -> &'static str {
    match shape {
        ModuleShape::Square => "square",
        ModuleShape::Rounded => "rounded",
        ModuleShape::Dots => "dots",
        ModuleShape::Diamond => "diamond",
        ModuleShape::Leaf => "leaf",
        ModuleShape::Bars => "bars",
    }
}

pub fn eye_name(shape: EyeShape) -> &'static str {
    match shape {
        EyeShape::Square => "square",
        EyeShape::Rounded => "rounded",
        EyeShape::Dot => "dot",
        EyeShape::Leaf => "leaf",
    }
}

pub fn frame_name(template: FrameTemplate) -> &'static str {
    match template {
        FrameTemplate::Banner => "banner",
        FrameTemplate::Top => "top",
        FrameTemplate::Box => "box",
        FrameTemplate::Bubble => "bubble",
        FrameTemplate::Pill => "pill",
        FrameTemplate::Ticket => "ticket",
    }
}

pub fn gradient_name(kind: GradientKind) -> &'static str {
    match kind {
        GradientKind::Linear => "linear",
        GradientKind::Radial => "radial",
    }
}

fn banner() -> String {
    "banner".to_owned()
}

fn gradient_end() -> String {
    "#1e3a8a".to_owned()
}

pub fn ecc_name(level: Ecc) -> &'static str {
    match level {
        Ecc::L => "L",
        Ecc::M => "M",
        Ecc::Q => "Q",
        Ecc::H => "H",
    }
}
