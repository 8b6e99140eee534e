//! "Last 30 minutes": a code's scans or a page's views minute by minute, people against bots,
//! with the top countries and devices of the window. A normal page load shows it whole (no
//! JavaScript needed; a link reloads it); with htmx the panel swaps itself every 10 seconds.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use analytics::contract::Live;
use analytics::dimension::Dimension;
use shared::ApiError;
use shared::ui::Chrome;

use super::super::WebState;
use super::super::kit::chrome;
use super::super::session::{Csrf, Session};
use super::chart::{self, Column};
use super::{Trouble, encode, filtering, trouble};

const WIDTH: f64 = 340.0;
const HEIGHT: f64 = 150.0;
const LEFT: f64 = 30.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 8.0;

/// The panel: what the htmx poll swaps, and what the page shows inside its chrome.
#[derive(Template)]
#[template(path = "pages/app/analytics_live_panel.html")]
pub struct LivePanel {
    /// Where the panel reloads itself from.
    pub href: String,
    /// "scans" or "views".
    pub noun: &'static str,
    pub human: i64,
    pub bot: i64,
    pub top: i64,
    pub columns: Vec<Column>,
    pub countries: Vec<(String, i64)>,
    pub devices: Vec<(String, i64)>,
    /// The window, as "19:31–20:01 UTC".
    pub window: String,
    pub unavailable: bool,
}

impl LivePanel {
    fn of(live: &Live, href: String, noun: &'static str) -> LivePanel {
        let max = live
            .minutes
            .iter()
            .map(|m| m.human + m.bot)
            .max()
            .unwrap_or(0);
        let top = chart::nice_ceiling(max);
        let plot_h = HEIGHT - TOP - BOTTOM;
        let step = (WIDTH - LEFT) / live.minutes.len().max(1) as f64;
        let scale = |v: i64| v as f64 / top as f64 * plot_h;
        let bottom = HEIGHT - BOTTOM;
        let columns = live
            .minutes
            .iter()
            .enumerate()
            .map(|(i, m)| {
                Column::stacked(
                    LEFT + i as f64 * step + 1.0,
                    step - 2.0,
                    bottom,
                    (scale(m.human), scale(m.bot)),
                    format!(
                        "{}: {} {noun} by people, {} by bots",
                        clock(&m.t),
                        m.human,
                        m.bot
                    ),
                )
            })
            .collect();
        let named = |list: &[analytics::query::Count], dimension: Dimension| {
            list.iter()
                .map(|c| {
                    let name =
                        filtering::shown(dimension, &c.key, &std::collections::BTreeMap::new());
                    (name, c.count)
                })
                .collect()
        };
        LivePanel {
            href,
            noun,
            human: live.human,
            bot: live.bot,
            top,
            columns,
            countries: named(&live.top_countries, Dimension::Country),
            devices: named(&live.top_devices, Dimension::Device),
            window: format!("{}–{} UTC", clock(&live.from), clock(&live.to)),
            unavailable: false,
        }
    }

    fn unavailable(href: String, noun: &'static str) -> LivePanel {
        LivePanel {
            href,
            noun,
            human: 0,
            bot: 0,
            top: 4,
            columns: Vec::new(),
            countries: Vec::new(),
            devices: Vec::new(),
            window: String::new(),
            unavailable: true,
        }
    }

    pub fn plot_left(&self) -> f64 {
        LEFT
    }

    pub fn plot_bottom(&self) -> f64 {
        HEIGHT - BOTTOM
    }

    pub fn plot_top(&self) -> f64 {
        TOP
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/analytics_live.html")]
struct LivePage {
    chrome: Chrome,
    heading: String,
    back_href: String,
    back_label: String,
    panel: LivePanel,
}

/// `2026-12-06T19:58:00Z` → `19:58`.
fn clock(t: &str) -> String {
    t.get(11..16).unwrap_or(t).to_owned()
}

pub(super) async fn qr_live(
    State(state): State<WebState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    session: Session,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    // qr decides whose code this is: another user's code is its 404, as a page.
    let code = state.clients.qr.get(&session.access_token, &id).await?;
    let back = format!("/app/qr/{}/analytics", encode(&code.id));
    let answer = state
        .clients
        .analytics
        .live(&session.access_token, "qr", &code.id)
        .await;
    // A code nobody has scanned yet is unknown to analytics: its owner sees an empty window.
    let panel = panel(answer, format!("{back}/live"), "scans", true);
    let page = LivePage {
        chrome: chrome(true, &csrf),
        heading: format!("Live: scans of {}", code.name),
        back_href: back,
        back_label: format!("All analytics of {}", code.name),
        panel,
    };
    Ok(jar.apply(answer_for(&headers, StatusCode::OK, page)))
}

pub(super) async fn microsite_live(
    State(state): State<WebState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    session: Session,
    Csrf(csrf, jar): Csrf,
) -> Result<Response, ApiError> {
    let back = format!("/app/microsites/{}/analytics", encode(&id));
    let answer = state
        .clients
        .analytics
        .live(&session.access_token, "microsite", &id)
        .await;
    // Without a microsite client here, analytics' 404 (never viewed, or not the caller's) is the
    // page's answer, as on the page's dashboard.
    let not_found = matches!(&answer, Err(e) if e.api_error().is_some_and(|a| a.status() == StatusCode::NOT_FOUND));
    if not_found {
        return Err(ApiError::not_found());
    }
    let panel = panel(answer, format!("{back}/live"), "views", false);
    let page = LivePage {
        chrome: chrome(true, &csrf),
        heading: "Live: views of your page".to_owned(),
        back_href: back,
        back_label: "All analytics of this page".to_owned(),
        panel,
    };
    Ok(jar.apply(answer_for(&headers, StatusCode::OK, page)))
}

fn panel(
    answer: Result<Live, shared::client::ClientError>,
    href: String,
    noun: &'static str,
    unknown_is_empty: bool,
) -> LivePanel {
    match answer {
        Ok(live) => LivePanel::of(&live, href, noun),
        Err(err) => match trouble(err) {
            Trouble::NotFound if unknown_is_empty => LivePanel::of(&empty(), href, noun),
            _ => LivePanel::unavailable(href, noun),
        },
    }
}

/// htmx's poll gets the panel alone; a browser gets the whole page.
fn answer_for(headers: &HeaderMap, status: StatusCode, page: LivePage) -> Response {
    if headers.contains_key("hx-request") {
        match page.panel.render() {
            Ok(html) => (status, axum::response::Html(html)).into_response(),
            Err(err) => {
                tracing::error!(%err, "live panel failed to render");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    } else {
        (status, page).into_response()
    }
}

fn empty() -> Live {
    let now = shared::ids::now_ms();
    let minute = 60_000;
    let to = (now / minute + 1) * minute;
    let at = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.to_string())
            .unwrap_or_default()
    };
    Live {
        from: at(to - 30 * minute),
        to: at(to),
        kind: "scan".to_owned(),
        human: 0,
        bot: 0,
        minutes: (0..30)
            .map(|i| analytics::contract::LiveMinute {
                t: at(to - (30 - i) * minute),
                human: 0,
                bot: 0,
            })
            .collect(),
        top_countries: Vec::new(),
        top_devices: Vec::new(),
    }
}
