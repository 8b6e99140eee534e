//! The analytics dashboards: one per QR code, one per microsite, and the account overview.
//! Numbers come from `AnalyticsClient` with the visitor's own token (analytics applies its own
//! ownership rules); when analytics cannot answer, the page still renders and says so.

pub(crate) mod chart;
mod filtering;
mod live;
mod range;
mod world;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::BTreeMap;

use shared::ApiError;
use shared::client::ClientError;
use shared::ui::Chrome;

use analytics::dimension::{Breakdowns, Dimension};
use analytics::filter::Audience;
use analytics::hit::Kind;
use analytics::query::{Count, MicrositeStats, Overview, Previous, QrStats, ScanPoint};
use qr::api::QrView;

pub use chart::{Bars, SeriesChart};
pub use filtering::{Chip, Filtering};
pub use range::{PageQuery, Preset, RangeParams, Window};
pub use world::WorldMap;

use super::WebState;
use super::kit::chrome;
use super::session::{CookieJar, Csrf, Session, back_to, see_other};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/app/analytics", get(overview))
        .route(
            "/app/analytics/export.csv",
            get(overview_export.layer(back_to("/app/analytics"))),
        )
        .route("/app/qr/{id}/analytics", get(qr_dashboard))
        .route(
            "/app/qr/{id}/analytics/export.csv",
            get(qr_export.layer(back_to("/app/qr/{id}/analytics"))),
        )
        .route("/app/qr/{id}/analytics/live", get(live::qr_live))
        .route("/app/microsites/{id}/analytics", get(microsite_dashboard))
        .route(
            "/app/microsites/{id}/analytics/live",
            get(live::microsite_live),
        )
        .route(
            "/app/microsites/{id}/analytics/export.csv",
            get(microsite_export.layer(back_to("/app/microsites/{id}/analytics"))),
        )
}

// --- Pieces every dashboard shows ------------------------------------------------------------

/// A headline figure with the one line that says what it counts.
pub struct Headline {
    pub label: &'static str,
    pub value: String,
    pub explain: &'static str,
    /// Beside the figure: the change from the previous period and that period's figure.
    pub compared: Option<Compared>,
    /// A link that filters the page to what this figure counts (people, bots).
    pub only: Option<Only>,
}

/// "Only people" / "Only bots": the human/bot class as a click-to-filter link.
pub struct Only {
    pub href: String,
    pub text: &'static str,
}

impl Headline {
    fn only(mut self, filtering: &Filtering, class: Audience) -> Headline {
        if filtering.filters.class() != Some(class) {
            self.only = Some(Only {
                href: filtering.href_with_class(class),
                text: match class {
                    Audience::Human => "Only people",
                    Audience::Bot => "Only bots",
                },
            });
        }
        self
    }
}

/// A figure against the same-length window just before the range.
pub struct Compared {
    /// `+12%`, `-5%`, `±0%`, or `new` when the previous period counted none.
    pub change: String,
    /// `up`, `down` or `flat`, for the colour (the sign is in the text too).
    pub trend: &'static str,
    pub previous: String,
}

impl Compared {
    fn of(now: i64, before: i64) -> Compared {
        let (change, trend) = change(now, before);
        Compared {
            change,
            trend,
            previous: group_digits(before),
        }
    }
}

/// The change from `before` to `now` in whole percent, rounded half away from zero.
fn change(now: i64, before: i64) -> (String, &'static str) {
    if before == 0 {
        return if now == 0 {
            ("±0%".to_owned(), "flat")
        } else {
            ("new".to_owned(), "up")
        };
    }
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    let percent = ((now - before) as f64 * 100.0 / before as f64).round() as i64;
    match percent.signum() {
        1 => (format!("+{percent}%"), "up"),
        -1 => (format!("{percent}%"), "down"),
        _ => ("±0%".to_owned(), "flat"),
    }
}

/// What each headline counts, as the dashboards explain it under its number: a code's, a
/// page's, then the overview's. The words are kept apart from the numbers so that they read
/// as one text.
mod explain {
    pub const TOTAL_SCANS: &str = "Every request to the short link: people and bots.";
    pub const HUMAN_SCANS: &str = "Scans by people that reached the destination; previews, \
        crawlers, prefetches, HEAD requests and scans of a paused, expired or disabled code left \
        out.";
    pub const UNIQUE_SCANNERS: &str = "Distinct scanners of each day, summed over the days: \
        someone who scans on three days counts three times.";
    pub const BOT_SCANS: &str =
        "Link previews (WhatsApp, Slack…), crawlers and scripts: kept, never counted as people.";

    pub const VIEWS: &str = "Every request for the page: people and bots.";
    pub const HUMAN_VIEWS: &str = "Views by people; previews, crawlers and prefetches left out.";
    pub const UNIQUE_VISITORS: &str = "Distinct visitors of each day, summed over the days: \
        someone who visits on three days counts three times.";
    /// Bots among a page's views, and among all of an account's scans.
    pub const BOTS: &str = "Link previews, crawlers and scripts: kept, never counted as people.";
    pub const CLICKS: &str = "Links followed from the page (all, people and bots).";

    pub const ALL_TOTAL_SCANS: &str = "Every scan of every code: people and bots.";
    pub const ALL_HUMAN_SCANS: &str =
        "Scans by people; previews, crawlers, prefetches and HEAD requests left out.";
    pub const ALL_UNIQUE_SCANNERS: &str =
        "Distinct scanners of each code on each day, summed over the days and codes.";
    pub const ALL_VIEWS: &str = "Views of your microsites, people and bots.";
    pub const ALL_CLICKS: &str = "Links followed from your microsites.";
}

/// A headline compared with its `field` in the answer's previous period.
fn headline(
    label: &'static str,
    value: i64,
    explain: &'static str,
    (previous, field): (&Previous, &str),
) -> Headline {
    Headline {
        label,
        value: group_digits(value),
        explain,
        compared: Some(Compared::of(value, previous.of_field(field))),
        only: None,
    }
}

/// One row of the country table.
pub struct CountryRow {
    /// The country's name (its code when the map does not know it).
    pub name: String,
    pub count: i64,
    pub share: f64,
    /// The page filtered by this country.
    pub href: String,
}

/// The credit a country database asks for, split into text and link (`… (https://…)`).
pub struct Attribution {
    pub text: String,
    pub link: Option<String>,
}

impl Attribution {
    fn of(raw: Option<&str>) -> Option<Attribution> {
        let raw = raw?;
        Some(match raw.split_once(" (") {
            Some((text, rest)) => {
                let link = rest.trim_end_matches(')');
                Attribution {
                    text: text.to_owned(),
                    link: link.starts_with("https://").then(|| link.to_owned()),
                }
            }
            None => Attribution {
                text: raw.to_owned(),
                link: None,
            },
        })
    }
}

/// The range picker: preset links and the custom form.
pub struct Picker {
    /// The page the picker links to (no query).
    pub base: String,
    pub window: Window,
    pub error: Option<String>,
    /// The active filters, kept by the preset links (`&country=FR`) and the custom form.
    pub filter_suffix: String,
    pub filter_fields: Vec<(String, String)>,
}

pub struct PresetLink {
    pub key: &'static str,
    pub label: &'static str,
    pub current: bool,
}

impl Picker {
    /// Filters the page, and keeps them when the range changes. A bad value becomes the
    /// picker's error.
    fn filtering(&mut self, raw_query: &str) -> Filtering {
        let (filtering, error) = Filtering::parse(&self.base, self.window.page_query(), raw_query);
        if error.is_some() {
            self.error = error;
        }
        self.filter_suffix = filtering.suffix();
        self.filter_fields = url::form_urlencoded::parse(filtering.filters.to_query().as_bytes())
            .into_owned()
            .collect();
        filtering
    }

    /// The analytics API's query: the range, then the filters (after [`Picker::filtering`]).
    fn api_query(&self) -> String {
        format!("{}{}", self.window.api_query(), self.filter_suffix)
    }

    /// The page's CSV download, of the rows it counts: the same range and filters.
    fn csv_href(&self) -> String {
        let (base, range) = (&self.base, self.window.page_query());
        format!("{base}/export.csv?{range}{}", self.filter_suffix)
    }

    pub fn presets(&self) -> Vec<PresetLink> {
        Preset::LISTED
            .into_iter()
            .map(|p| PresetLink {
                key: p.key(),
                label: p.label(),
                current: p == self.window.preset,
            })
            .collect()
    }

    pub fn from(&self) -> String {
        self.window.from.to_string()
    }

    pub fn to(&self) -> String {
        self.window.to.to_string()
    }

    pub fn describe(&self) -> String {
        let by = match self.window.interval {
            "hour" => "by hour",
            "week" => "by week",
            "month" => "by month",
            _ => "by day",
        };
        format!("{} to {} (UTC), {by}", self.window.from, self.window.to)
    }
}

/// The analytics API's query for everything it keeps (the "All time" preset), for pages that
/// show all-time numbers outside the dashboards.
pub(super) fn all_time_query() -> String {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    Window::preset(range::Preset::All, today).api_query()
}

/// The picker of the page at `base` with the filters of its query, which it keeps.
fn filtered_picker(base: String, q: &PageQuery) -> (Picker, Filtering) {
    let mut picker = picker(base, &q.range);
    let filtering = picker.filtering(&q.raw);
    (picker, filtering)
}

/// What every analytics dashboard starts from: its range and filters (a malformed query is
/// refused first, as `Query` refuses it), the visitor (else the login page), the page's form
/// token, and the picker, whose links come back to the page's own path.
struct Dashboard {
    session: Session,
    csrf: String,
    jar: CookieJar,
    picker: Picker,
    filtering: Filtering,
}

impl FromRequestParts<WebState> for Dashboard {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        let q = PageQuery::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let session =
            <Session as FromRequestParts<WebState>>::from_request_parts(parts, state).await?;
        let Ok(Csrf(csrf, jar)) = Csrf::from_request_parts(parts, state).await;
        let (picker, filtering) = filtered_picker(parts.uri.path().to_owned(), &q);
        Ok(Dashboard {
            session,
            csrf,
            jar,
            picker,
            filtering,
        })
    }
}

fn picker(base: String, params: &RangeParams) -> Picker {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let (window, error) = Window::parse(params, today);
    Picker {
        base,
        window,
        error,
        filter_suffix: String::new(),
        filter_fields: Vec::new(),
    }
}

/// What a failed analytics call means for the page.
enum Trouble {
    /// Analytics has never recorded this target (or it is not the caller's).
    NotFound,
    /// The range was refused; the message says why.
    Invalid(String),
    /// Analytics is down or answered nonsense: degrade.
    Unavailable,
}

fn trouble(err: ClientError) -> Trouble {
    match err.api_error() {
        Some(e) if e.status() == StatusCode::NOT_FOUND => Trouble::NotFound,
        Some(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            Trouble::Invalid(e.message().to_owned())
        }
        Some(e) if e.status().is_client_error() => Trouble::Unavailable,
        _ => {
            tracing::warn!(%err, "analytics unavailable for a dashboard");
            Trouble::Unavailable
        }
    }
}

fn counts(list: &[Count]) -> Vec<(String, i64)> {
    list.iter().map(|c| (c.key.clone(), c.count)).collect()
}

/// [`counts`] with each key shown by its name when analytics knows one (a link's label).
fn named_counts(list: &[Count], names: &BTreeMap<String, String>) -> Vec<(String, i64)> {
    list.iter()
        .map(|c| (names.get(&c.key).unwrap_or(&c.key).clone(), c.count))
        .collect()
}

/// A chart per breakdown, in the API's order, each row a link that filters the page by it;
/// countries have their own map and table.
fn breakdown_bars(breakdowns: &Breakdowns, filtering: &Filtering) -> Vec<Bars> {
    breakdowns
        .iter()
        .filter(|(dimension, _)| *dimension != Dimension::Country)
        .map(|(dimension, list)| {
            let bars = Bars::new(dimension.as_str(), dimension.label(), &counts(list));
            linked(bars, dimension, list, filtering)
        })
        .collect()
}

/// `bars` drawn from `list`, each row linked to the page filtered by its key.
fn linked(bars: Bars, dimension: Dimension, list: &[Count], filtering: &Filtering) -> Bars {
    let keys: Vec<&str> = list.iter().map(|c| c.key.as_str()).collect();
    bars.linked(&keys, |key| filtering.href_with(dimension, key))
}

fn countries(list: &[Count], filtering: &Filtering) -> Vec<CountryRow> {
    let total: i64 = list.iter().map(|c| c.count).sum();
    list.iter()
        .map(|c| CountryRow {
            name: filtering::shown(Dimension::Country, &c.key, &BTreeMap::new()),
            count: c.count,
            share: chart::share(c.count, total),
            href: filtering.href_with(Dimension::Country, &c.key),
        })
        .collect()
}

/// `12345` → `12,345`.
fn group_digits(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

fn encode(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

// --- QR code dashboard -----------------------------------------------------------------------

pub struct QrData {
    pub headlines: Vec<Headline>,
    pub series: SeriesChart,
    pub breakdowns: Vec<Bars>,
    pub countries: Vec<CountryRow>,
    pub map: WorldMap,
    pub attribution: Option<Attribution>,
    pub empty: bool,
}

impl QrData {
    fn of(stats: &QrStats, window: &Window, filtering: &Filtering) -> QrData {
        let p = &stats.previous;
        let points = stats.series.iter().map(scan_point).collect();
        QrData {
            headlines: vec![
                headline(
                    "Scans",
                    stats.total_scans,
                    explain::TOTAL_SCANS,
                    (p, "total_scans"),
                ),
                headline(
                    "Human scans",
                    stats.human_scans,
                    explain::HUMAN_SCANS,
                    (p, "human_scans"),
                )
                .only(filtering, Audience::Human),
                headline(
                    "Daily unique scanners, added up",
                    stats.unique_scanners,
                    explain::UNIQUE_SCANNERS,
                    (p, "unique_scanners"),
                ),
                headline(
                    "Bots",
                    stats.bot_scans,
                    explain::BOT_SCANS,
                    (p, "bot_scans"),
                )
                .only(filtering, Audience::Bot),
            ],
            series: SeriesChart::new(points, "scans", window.trims_leading_empty()),
            breakdowns: breakdown_bars(&stats.breakdowns, filtering),
            countries: countries(stats.breakdowns.get(Dimension::Country), filtering),
            map: WorldMap::new(stats.breakdowns.get(Dimension::Country), "scans"),
            attribution: Attribution::of(stats.country_attribution.as_deref()),
            empty: stats.total_scans == 0,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/analytics_qr.html")]
struct QrDashboard {
    chrome: Chrome,
    code: QrView,
    picker: Picker,
    chips: Vec<Chip>,
    data: Option<QrData>,
    unavailable: bool,
    csv_href: String,
    live_href: String,
}

async fn qr_dashboard(
    State(state): State<WebState>,
    Path(id): Path<String>,
    mut d: Dashboard,
) -> Result<Response, ApiError> {
    let live_href = format!("{}/live", d.picker.base);
    // The qr service decides whose code this is: another user's code is its 404, as a page.
    let code = state.clients.qr.get(&d.session.access_token, &id).await?;
    let token = &d.session.access_token;
    let query = d.picker.api_query();
    let answer = state.clients.analytics.qr(token, &code.id, &query).await;
    let (data, unavailable) = match answer {
        Ok(stats) => (
            Some(QrData::of(&stats, &d.picker.window, &d.filtering)),
            false,
        ),
        // Never scanned: analytics has not met the code yet. Its owner sees zeros.
        Err(err) => match trouble(err) {
            Trouble::NotFound => (
                Some(QrData::of(&empty_qr(), &d.picker.window, &d.filtering)),
                false,
            ),
            Trouble::Invalid(message) => {
                d.picker.error = Some(message);
                (None, false)
            }
            Trouble::Unavailable => (None, true),
        },
    };
    let csv_href = d.picker.csv_href();
    Ok(d.jar.apply(QrDashboard {
        chrome: chrome(true, &d.csrf),
        code,
        chips: d.filtering.chips(&BTreeMap::new()),
        picker: d.picker,
        data,
        unavailable,
        csv_href,
        live_href,
    }))
}

fn scan_point(p: &ScanPoint) -> chart::Point {
    chart::Point {
        t: p.t.clone(),
        total: p.scans,
        human: p.human,
        unique: p.unique,
    }
}

fn empty_qr() -> QrStats {
    QrStats {
        window: analytics::query::Window {
            from: String::new(),
            to: String::new(),
            interval: String::new(),
            tz: String::new(),
        },
        total_scans: 0,
        human_scans: 0,
        bot_scans: 0,
        unique_scanners: 0,
        series: Vec::new(),
        breakdowns: Breakdowns::empty(Kind::Scan),
        country_attribution: None,
        previous: Previous::default(),
    }
}

/// The download goes to the analytics export itself, which streams in constant memory; this hop
/// refreshes the session first so the browser arrives with a valid access cookie.
async fn qr_export(Path(id): Path<String>, q: PageQuery, _: Session) -> Response {
    export("qr", &id, &q)
}

async fn microsite_export(Path(id): Path<String>, q: PageQuery, _: Session) -> Response {
    export("microsites", &id, &q)
}

/// The dashboard's filters go along, so the file holds exactly the rows the page counted. A bad
/// value goes back to the page, which says what is wrong.
fn export(kind: &str, id: &str, q: &PageQuery) -> Response {
    let page = format!("/app/{kind}/{}/analytics", encode(id));
    if analytics::filter::Filters::from_query(&q.raw).is_err() {
        return see_other(&format!("{page}?{}", q.raw));
    }
    let (picker, _) = filtered_picker(page, q);
    let (id, query) = (encode(id), picker.api_query());
    let target = format!("/api/v1/analytics/{kind}/{id}/export.csv?{query}");
    see_other(&target)
}

/// The account's totals per code, over the overview's range (the same hop as the dashboards').
async fn overview_export(Query(params): Query<RangeParams>, _: Session) -> Response {
    let window = picker("/app/analytics".to_owned(), &params).window;
    see_other(&format!(
        "/api/v1/analytics/overview/export.csv?{}",
        window.api_query()
    ))
}

// --- Microsite dashboard -----------------------------------------------------------------------

pub struct MicrositeData {
    /// The page's title, when analytics has been told it.
    pub name: Option<String>,
    pub headlines: Vec<Headline>,
    pub series: SeriesChart,
    /// Views by QR code, clicks by link block.
    pub sources: Vec<Bars>,
    pub breakdowns: Vec<Bars>,
    pub countries: Vec<CountryRow>,
    pub map: WorldMap,
    pub attribution: Option<Attribution>,
    pub empty: bool,
    /// Link labels by block id (for the chips).
    pub block_names: BTreeMap<String, String>,
}

impl MicrositeData {
    fn of(stats: &MicrositeStats, window: &Window, filtering: &Filtering) -> MicrositeData {
        let p = &stats.previous;
        let points = stats
            .series
            .iter()
            .map(|p| chart::Point {
                t: p.t.clone(),
                total: p.views,
                human: p.human,
                unique: p.unique,
            })
            .collect();
        let ctr = Headline {
            label: "Click-through",
            value: format!("{:.1}%", stats.click_through_rate * 100.0),
            explain: "Human clicks on your links per human view.",
            compared: None,
            only: None,
        };
        MicrositeData {
            name: stats.name.clone(),
            headlines: vec![
                headline("Views", stats.views, explain::VIEWS, (p, "views")),
                headline(
                    "Human views",
                    stats.human_views,
                    explain::HUMAN_VIEWS,
                    (p, "human_views"),
                )
                .only(filtering, Audience::Human),
                headline(
                    "Daily unique visitors, added up",
                    stats.unique_visitors,
                    explain::UNIQUE_VISITORS,
                    (p, "unique_visitors"),
                ),
                headline("Bots", stats.bot_views, explain::BOTS, (p, "bot_views"))
                    .only(filtering, Audience::Bot),
                headline("Clicks", stats.clicks, explain::CLICKS, (p, "clicks")),
                ctr,
            ],
            series: SeriesChart::new(points, "views", window.trims_leading_empty()),
            sources: vec![
                linked(
                    Bars::new("by-qr", Dimension::Qr.label(), &counts(&stats.views_by_qr)),
                    Dimension::Qr,
                    &stats.views_by_qr,
                    filtering,
                ),
                linked(
                    Bars::new(
                        "by-block",
                        Dimension::Block.label(),
                        &named_counts(&stats.clicks_by_block, &stats.block_names),
                    ),
                    Dimension::Block,
                    &stats.clicks_by_block,
                    filtering,
                ),
            ],
            breakdowns: breakdown_bars(&stats.breakdowns, filtering),
            countries: countries(stats.breakdowns.get(Dimension::Country), filtering),
            map: WorldMap::new(stats.breakdowns.get(Dimension::Country), "views"),
            attribution: Attribution::of(stats.country_attribution.as_deref()),
            empty: stats.views == 0 && stats.clicks == 0,
            block_names: stats.block_names.clone(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/analytics_microsite.html")]
struct MicrositeDashboard {
    chrome: Chrome,
    id: String,
    picker: Picker,
    chips: Vec<Chip>,
    data: Option<MicrositeData>,
    unavailable: bool,
    not_found: bool,
    csv_href: String,
    live_href: String,
}

impl MicrositeDashboard {
    /// The page's title for the heading (escaped by askama), when analytics knows it.
    fn page_name(&self) -> Option<&str> {
        self.data.as_ref()?.name.as_deref()
    }
}

async fn microsite_dashboard(
    State(state): State<WebState>,
    Path(id): Path<String>,
    mut d: Dashboard,
) -> Result<Response, ApiError> {
    let live_href = format!("{}/live", d.picker.base);
    let query = d.picker.api_query();
    let answer = state
        .clients
        .analytics
        .microsite(&d.session.access_token, &id, &query)
        .await;
    // Hook: once the web has a microsite client, ask it first (as the QR dashboard asks qr), so
    // that the owner of a page nobody has viewed yet sees zeros instead of this 404.
    let (data, unavailable, not_found) = match answer {
        Ok(stats) => (
            Some(MicrositeData::of(&stats, &d.picker.window, &d.filtering)),
            false,
            false,
        ),
        Err(err) => match trouble(err) {
            Trouble::NotFound => (None, false, true),
            Trouble::Invalid(message) => {
                d.picker.error = Some(message);
                (None, false, false)
            }
            Trouble::Unavailable => (None, true, false),
        },
    };
    let csv_href = d.picker.csv_href();
    // Chips name link blocks by their labels when analytics knows them.
    let block_names = data
        .as_ref()
        .map(|d| d.block_names.clone())
        .unwrap_or_default();
    let status = if not_found {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    Ok(d.jar.apply((
        status,
        MicrositeDashboard {
            chrome: chrome(true, &d.csrf),
            live_href,
            id,
            chips: d.filtering.chips(&block_names),
            picker: d.picker,
            data,
            unavailable,
            not_found,
            csv_href,
        },
    )))
}

// --- Account overview --------------------------------------------------------------------------

pub struct TopRow {
    pub href: String,
    pub name: String,
    pub count: i64,
}

pub struct OverviewData {
    pub headlines: Vec<Headline>,
    /// Scans of every code over time.
    pub series: SeriesChart,
    /// One chart, in a list so the bar template can be included in a loop.
    pub funnel: Vec<Bars>,
    pub top_codes: Vec<TopRow>,
    pub top_pages: Vec<TopRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/analytics_overview.html")]
struct OverviewPage {
    chrome: Chrome,
    picker: Picker,
    chips: Vec<Chip>,
    data: Option<OverviewData>,
    unavailable: bool,
    csv_href: String,
}

/// Filters in the address (`?country=FR`, as a code's page links them) narrow the account's
/// numbers too, and carry over to the codes and pages it links to.
async fn overview(State(state): State<WebState>, mut d: Dashboard) -> Result<Response, ApiError> {
    let query = d.picker.api_query();
    let answer = state
        .clients
        .analytics
        .overview(&d.session.access_token, &query)
        .await;
    let (data, unavailable) = match answer {
        Ok(overview) => (
            Some(overview_data(&state, &d.session, &overview, &d.picker, &d.filtering).await),
            false,
        ),
        Err(err) => match trouble(err) {
            Trouble::Invalid(message) => {
                d.picker.error = Some(message);
                (None, false)
            }
            Trouble::NotFound | Trouble::Unavailable => (None, true),
        },
    };
    let csv_href = format!("/app/analytics/export.csv?{}", d.picker.window.page_query());
    Ok(d.jar.apply(OverviewPage {
        chrome: chrome(true, &d.csrf),
        chips: d.filtering.chips(&BTreeMap::new()),
        picker: d.picker,
        data,
        unavailable,
        csv_href,
    }))
}

async fn overview_data(
    state: &WebState,
    session: &Session,
    o: &Overview,
    picker: &Picker,
    filtering: &Filtering,
) -> OverviewData {
    let window = &picker.window;
    // A code's or page's dashboard opens on the same range and filters.
    let keep = format!("?{}{}", window.page_query(), filtering.suffix());
    // Analytics names what it has been told about (`names.changed`); codes from before that are
    // asked of qr at once, and a code nobody can name shows its id.
    let mut names = tokio::task::JoinSet::new();
    for item in o.top_codes.iter().filter(|item| item.name.is_none()) {
        let (qr, token, id) = (
            state.clients.qr.clone(),
            session.access_token.clone(),
            item.id.clone(),
        );
        names.spawn(async move {
            let name = qr.get(&token, &id).await.ok().map(|code| code.name);
            (id, name)
        });
    }
    let mut known = std::collections::HashMap::new();
    while let Some(Ok((id, name))) = names.join_next().await {
        if let Some(name) = name {
            known.insert(id, name);
        }
    }
    let p = &o.previous;
    let points = o.series.iter().map(scan_point).collect();
    OverviewData {
        series: SeriesChart::new(points, "scans", window.trims_leading_empty()),
        headlines: vec![
            headline(
                "Scans",
                o.total_scans,
                explain::ALL_TOTAL_SCANS,
                (p, "total_scans"),
            ),
            headline(
                "Human scans",
                o.human_scans,
                explain::ALL_HUMAN_SCANS,
                (p, "human_scans"),
            ),
            headline(
                "Daily unique scanners, added up",
                o.unique_scanners,
                explain::ALL_UNIQUE_SCANNERS,
                (p, "unique_scanners"),
            ),
            headline("Bots", o.bot_scans, explain::BOTS, (p, "bot_scans")),
            headline("Page views", o.views, explain::ALL_VIEWS, (p, "views")),
            headline("Clicks", o.clicks, explain::ALL_CLICKS, (p, "clicks")),
        ],
        funnel: vec![Bars::new(
            "funnel",
            "Scan → view → click (people only)",
            &[
                ("Scans".to_owned(), o.funnel.scans),
                ("Page views".to_owned(), o.funnel.views),
                ("Clicks".to_owned(), o.funnel.clicks),
            ],
        )],
        top_codes: o
            .top_codes
            .iter()
            .map(|item| TopRow {
                href: format!("/app/qr/{}/analytics{keep}", encode(&item.id)),
                name: item
                    .name
                    .clone()
                    .or_else(|| known.get(&item.id).cloned())
                    .unwrap_or_else(|| item.id.clone()),
                count: item.count,
            })
            .collect(),
        top_pages: o
            .top_pages
            .iter()
            .map(|item| TopRow {
                href: format!("/app/microsites/{}/analytics{keep}", encode(&item.id)),
                name: item.name.clone().unwrap_or_else(|| item.id.clone()),
                count: item.count,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_like_percentages() {
        assert_eq!(change(150, 100), ("+50%".to_owned(), "up"));
        assert_eq!(change(1, 3), ("-67%".to_owned(), "down"));
        assert_eq!(change(7, 7), ("±0%".to_owned(), "flat"));
        assert_eq!(change(5, 0), ("new".to_owned(), "up"));
        assert_eq!(change(0, 0), ("±0%".to_owned(), "flat"));
        assert_eq!(change(0, 4), ("-100%".to_owned(), "down"));
    }

    #[test]
    fn digits_are_grouped() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1_000), "1,000");
        assert_eq!(group_digits(1_234_567), "1,234,567");
    }

    #[test]
    fn attribution_links_only_https() {
        let a = Attribution::of(Some("IP Geolocation by DB-IP (https://db-ip.com)")).unwrap();
        assert_eq!(a.text, "IP Geolocation by DB-IP");
        assert_eq!(a.link.as_deref(), Some("https://db-ip.com"));
        let a = Attribution::of(Some("Data (javascript:alert(1))")).unwrap();
        assert_eq!(a.link, None);
        assert!(Attribution::of(None).is_none());
    }
}
