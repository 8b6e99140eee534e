//! The QR code pages: the dashboard list, the create and edit forms with a live preview, and
//! image downloads. Everything goes through `QrClient` with the visitor's own access token, so
//! the qr service's ownership rules are the only ones there are.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::ApiError;
use shared::features::{Feature, Features};
use shared::ui::Chrome;

use qr::api::QrView;

use super::auth::{Errors, chrome, form_session, require_session};
use super::session::{CookieJar, csrf_token, see_other};
use super::{Spot, WebState};

const FORM_LIMIT: usize = 16 * 1024;
/// qr takes CSVs up to 4 MiB; a multipart envelope adds a little.
const BULK_LIMIT: usize = 4 * 1024 * 1024 + 64 * 1024;
/// media takes images up to 1 MiB; a multipart envelope adds a little.
const LOGO_LIMIT: usize = media::process::MAX_UPLOAD_BYTES + 16 * 1024;

pub fn router() -> Router<WebState> {
    let small = || DefaultBodyLimit::max(FORM_LIMIT);
    Router::new()
        .route("/app", get(dashboard))
        .route("/app/qr/new", get(new_page).post(create).layer(small()))
        .route("/app/qr/preview", post(preview).layer(small()))
        .route(
            "/app/qr/bulk",
            get(bulk_page)
                .post(bulk_upload)
                .layer(DefaultBodyLimit::max(BULK_LIMIT)),
        )
        .route(
            "/app/qr/styles",
            get(styles_page).post(save_style).layer(small()),
        )
        .route(
            "/app/qr/styles/{id}/delete",
            post(delete_style).layer(small()),
        )
        .route("/app/qr/{id}", get(edit_page).post(update).layer(small()))
        // POST because HTML forms cannot send DELETE.
        .route("/app/qr/{id}/delete", post(remove).layer(small()))
        .route(
            "/app/qr/{id}/logo",
            post(logo).layer(DefaultBodyLimit::max(LOGO_LIMIT)),
        )
        .route("/app/qr/export.zip", get(export_zip))
        .route("/app/qr/{id}/image.svg", get(image_svg))
        .route("/app/qr/{id}/image.png", get(image_png))
}

// --- Dashboard -------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    tag: Option<String>,
    cursor: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    email: String,
    codes: Vec<QrView>,
    q: String,
    tag: String,
    next_cursor: Option<String>,
    unavailable: bool,
    /// Human scans per code id, when analytics answered.
    scans: Option<std::collections::BTreeMap<String, analytics::query::ScanTotals>>,
}

impl Dashboard {
    fn human_scans(&self, id: &str) -> Option<i64> {
        Some(self.scans.as_ref()?.get(id).map_or(0, |t| t.human))
    }
}

async fn dashboard(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match require_session(&state, &headers, &mut jar, "/app").await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let csrf = csrf_token(&state, &headers, &mut jar);
    let params: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            [
                ("q", &query.q),
                ("tag", &query.tag),
                ("cursor", &query.cursor),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (k, v))),
        )
        .append_pair("limit", "24")
        .finish();
    // The qr service being down degrades this page, it does not fail it.
    let (codes, next_cursor, unavailable) =
        match state.clients.qr.list(&session.access_token, &params).await {
            Ok(page) => (page.items, page.next_cursor, false),
            Err(err) if err.api_error().is_none() => {
                tracing::warn!(%err, "qr service unavailable for the dashboard");
                (Vec::new(), None, true)
            }
            Err(err) => return Err(err.into()),
        };
    // Scan counts are a nice-to-have on this page: analytics being down leaves them out.
    let ids: Vec<&str> = codes.iter().map(|c| c.id.as_str()).collect();
    let scans = match state
        .clients
        .analytics
        .qr_totals(&session.access_token, &ids)
        .await
    {
        Ok(totals) => Some(totals),
        Err(err) => {
            tracing::warn!(%err, "scan counts unavailable for the dashboard");
            None
        }
    };
    Ok(jar.apply(Dashboard {
        chrome: chrome(true, &csrf),
        email: session.user.email,
        scans,
        codes,
        q: query.q.unwrap_or_default(),
        tag: query.tag.unwrap_or_default(),
        next_cursor,
        unavailable,
    }))
}

// --- Create and edit --------------------------------------------------------------------------

/// The form's fields, as typed (so they can be shown again with an error).
#[derive(Deserialize, Default, Clone)]
struct CodeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    destination: String,
    #[serde(default)]
    tags: String,
    #[serde(default = "black")]
    fg: String,
    #[serde(default = "white")]
    bg: String,
    #[serde(default = "square")]
    modules: String,
    #[serde(default = "square")]
    eyes: String,
    #[serde(default = "level_m")]
    ecc: String,
    #[serde(default)]
    frame_text: String,
    /// The centre logo (a media id) and its width share, carried as hidden fields so that saving
    /// the form keeps the logo uploaded with the logo form.
    #[serde(default)]
    logo_id: String,
    #[serde(default)]
    logo_size: String,
    #[serde(default)]
    paused: Option<String>,
    /// "Save this style as": the name of a saved style made from the style fields.
    #[serde(default)]
    style_name: String,
    #[serde(flatten)]
    rules: RulesForm,
}

/// The rules editor's fields: one route of each kind (tried in the order shown: iPhone, Android,
/// country, schedule — first match wins), a password, expiry, a scan limit and UTM fields.
/// Plain fields, so it works without JavaScript.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct RulesForm {
    ios_url: String,
    android_url: String,
    country: String,
    country_url: String,
    // Checkboxes, one name each: a urlencoded form cannot fill a list.
    day_mon: Option<String>,
    day_tue: Option<String>,
    day_wed: Option<String>,
    day_thu: Option<String>,
    day_fri: Option<String>,
    day_sat: Option<String>,
    day_sun: Option<String>,
    schedule_from: String,
    schedule_to: String,
    schedule_tz: String,
    schedule_url: String,
    /// A new password; empty keeps the current one.
    password: String,
    remove_password: Option<String>,
    /// `YYYY-MM-DDTHH:MM` in UTC (an `<input type="datetime-local">`).
    expires_at: String,
    expired_url: String,
    max_scans: String,
    forward_query: Option<String>,
    utm_source: String,
    utm_medium: String,
    utm_campaign: String,
    /// Read-only here: whether the code has a password now.
    #[serde(skip)]
    protected: bool,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl RulesForm {
    fn days(&self) -> [&Option<String>; 7] {
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
    fn day(&self, name: &str) -> bool {
        DAYS.iter()
            .position(|d| *d == name)
            .is_some_and(|i| self.days()[i].is_some())
    }

    fn of(qr: &QrView) -> Self {
        let rules = serde_json::to_value(&qr.rules).unwrap_or_default();
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let mut form = RulesForm {
            protected: qr.password_protected,
            expired_url: text(&rules["expired_url"]),
            max_scans: rules["max_scans"]
                .as_u64()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            forward_query: rules["forward_query"]
                .as_bool()
                .filter(|b| *b)
                .map(|_| "on".into()),
            expires_at: rules["expires_at"]
                .as_i64()
                .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
                .map(|t| t.strftime("%Y-%m-%dT%H:%M").to_string())
                .unwrap_or_default(),
            ..RulesForm::default()
        };
        for route in rules["routes"].as_array().into_iter().flatten() {
            let url = text(&route["url"]);
            match (route["type"].as_str(), route["device"].as_str()) {
                (Some("device"), Some("ios")) if form.ios_url.is_empty() => form.ios_url = url,
                (Some("device"), Some("android")) if form.android_url.is_empty() => {
                    form.android_url = url;
                }
                (Some("country"), _) if form.country_url.is_empty() => {
                    form.country = text(&route["country"]);
                    form.country_url = url;
                }
                (Some("schedule"), _) if form.schedule_url.is_empty() => {
                    form.schedule_from = text(&route["from"]);
                    form.schedule_to = text(&route["to"]);
                    form.schedule_tz = text(&route["time_zone"]);
                    form.schedule_url = url;
                    let days: Vec<String> = route["days"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(text)
                        .collect();
                    let on = |d: &str| days.iter().any(|x| x == d).then(|| "on".to_owned());
                    form.day_mon = on("mon");
                    form.day_tue = on("tue");
                    form.day_wed = on("wed");
                    form.day_thu = on("thu");
                    form.day_fri = on("fri");
                    form.day_sat = on("sat");
                    form.day_sun = on("sun");
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
    fn rules(&self) -> Value {
        let mut routes = Vec::new();
        let url = |s: &str| s.trim().to_owned();
        if !self.ios_url.trim().is_empty() {
            routes.push(json!({"type": "device", "device": "ios", "url": url(&self.ios_url)}));
        }
        if !self.android_url.trim().is_empty() {
            routes.push(
                json!({"type": "device", "device": "android", "url": url(&self.android_url)}),
            );
        }
        if !self.country_url.trim().is_empty() || !self.country.trim().is_empty() {
            routes.push(json!({"type": "country", "country": self.country.trim(),
                "url": url(&self.country_url)}));
        }
        if !self.schedule_url.trim().is_empty() {
            let days: Vec<&str> = DAYS
                .iter()
                .zip(self.days())
                .filter(|(_, on)| on.is_some())
                .map(|(d, _)| *d)
                .collect();
            let tz = if self.schedule_tz.trim().is_empty() {
                "UTC"
            } else {
                self.schedule_tz.trim()
            };
            routes.push(json!({"type": "schedule", "days": days,
                "from": self.schedule_from.trim(), "to": self.schedule_to.trim(),
                "time_zone": tz, "url": url(&self.schedule_url)}));
        }
        let mut rules = json!({ "routes": routes, "forward_query": self.forward_query.is_some() });
        if !self.expires_at.trim().is_empty() {
            rules["expires_at"] =
                match jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", self.expires_at.trim())
                    .ok()
                    .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
                {
                    Some(at) => json!(at.timestamp().as_millisecond()),
                    None => json!(self.expires_at.trim()),
                };
        }
        if !self.expired_url.trim().is_empty() {
            rules["expired_url"] = json!(self.expired_url.trim());
        }
        if !self.max_scans.trim().is_empty() {
            rules["max_scans"] = match self.max_scans.trim().parse::<u64>() {
                Ok(n) => json!(n),
                Err(_) => json!(self.max_scans.trim()),
            };
        }
        if self.remove_password.is_some() {
            rules["password"] = json!("");
        } else if !self.password.is_empty() {
            rules["password"] = json!(self.password);
        }
        rules
    }

    fn utm(&self) -> Value {
        let value = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        json!({"source": value(&self.utm_source), "medium": value(&self.utm_medium),
            "campaign": value(&self.utm_campaign)})
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
    fn blank() -> Self {
        CodeForm {
            fg: black(),
            bg: white(),
            modules: square(),
            eyes: square(),
            ecc: level_m(),
            ..CodeForm::default()
        }
    }

    fn of(qr: &QrView) -> Self {
        let style = serde_json::to_value(&qr.style).unwrap_or_default();
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        CodeForm {
            csrf_token: String::new(),
            name: qr.name.clone(),
            destination: qr.destination.clone().unwrap_or_default(),
            tags: qr.tags.join(", "),
            fg: text(&style["fg"]),
            bg: text(&style["bg"]),
            modules: text(&style["modules"]),
            eyes: text(&style["eyes"]),
            ecc: text(&style["ecc"]),
            frame_text: text(&style["frame"]["text"]),
            logo_id: text(&style["logo"]["id"]),
            logo_size: style["logo"]["size"]
                .as_f64()
                .map(|s| s.to_string())
                .unwrap_or_default(),
            paused: qr.paused.then(|| "on".to_owned()),
            style_name: String::new(),
            rules: RulesForm::of(qr),
        }
    }

    /// Takes the style fields from a saved style ("apply when creating").
    fn apply_style(&mut self, style: &Value) {
        let text = |v: &Value, default: &str| v.as_str().unwrap_or(default).to_owned();
        self.fg = text(&style["fg"], "#000000");
        self.bg = text(&style["bg"], "#ffffff");
        self.modules = text(&style["modules"], "square");
        self.eyes = text(&style["eyes"], "square");
        self.ecc = text(&style["ecc"], "M");
        self.frame_text = text(&style["frame"]["text"], "");
        self.logo_id = text(&style["logo"]["id"], "");
        self.logo_size = style["logo"]["size"]
            .as_f64()
            .map(|s| s.to_string())
            .unwrap_or_default();
    }

    /// The style object the qr API takes. Values are passed as typed; qr validates them.
    fn style(&self) -> Value {
        let mut style = json!({
            "fg": self.fg.trim(), "bg": self.bg.trim(), "modules": self.modules,
            "eyes": self.eyes, "ecc": self.ecc,
        });
        if !self.frame_text.trim().is_empty() {
            style["frame"] = json!({ "text": self.frame_text.trim() });
        }
        if !self.logo_id.trim().is_empty() {
            // qr checks the id is one of this user's images and the size fits the level.
            style["logo"] = match self.logo_size.trim().parse::<f64>() {
                Ok(size) => json!({ "id": self.logo_id.trim(), "size": size }),
                Err(_) => json!({ "id": self.logo_id.trim() }),
            };
        }
        style
    }

    fn body(&self, creating: bool) -> Value {
        let tags: Vec<&str> = self
            .tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        let mut body = json!({
            "name": self.name, "destination": self.destination.trim(),
            "style": self.style(), "tags": tags,
            "rules": self.rules.rules(), "utm": self.rules.utm(),
        });
        if !creating {
            body["paused"] = json!(self.paused.is_some());
        }
        body
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/qr_form.html")]
struct CodePage {
    chrome: Chrome,
    /// `None` while creating.
    code: Option<QrView>,
    form: CodeForm,
    errors: Errors,
    preview_svg: String,
    saved: bool,
    /// For the future features' spots ("Print sheet", "A/B test", "Custom domain").
    features: Features,
}

impl CodePage {
    /// The future features a saved code's page offers: the real link when on, else "Coming soon".
    fn spots(&self) -> Vec<Spot> {
        let Some(code) = &self.code else {
            return Vec::new();
        };
        let dynamic = code.short_url.is_some();
        let mut spots = vec![Spot::of(
            self.features,
            Feature::PrintStudio,
            "Print sheet (A4)",
            Some(format!("/api/v1/qr/{}/print.svg?paper=a4", code.id)),
            "An A4 page with the code, its caption, bleed and quiet zone, ready to print.",
        )];
        if dynamic {
            spots.push(Spot::of(
                self.features,
                Feature::Experiments,
                "A/B test",
                Some(format!("/app/qr/{}/analytics", code.id)),
                "Split scans over 2–4 destinations with the API's rules.variants; \
                 Analytics counts scans per variant (by rule).",
            ));
            spots.push(Spot::of(
                self.features,
                Feature::Domains,
                "Custom domain",
                None,
                "Register your domain with POST /api/v1/domains; it serves your codes once approved.",
            ));
        }
        spots
    }

    fn action(&self) -> String {
        match &self.code {
            Some(code) => format!("/app/qr/{}", code.id),
            None => "/app/qr/new".to_owned(),
        }
    }
}

#[derive(Deserialize)]
struct NewQuery {
    /// A saved style to start from.
    style: Option<String>,
}

async fn new_page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(query): Query<NewQuery>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match require_session(&state, &headers, &mut jar, "/app/qr/new").await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let csrf = csrf_token(&state, &headers, &mut jar);
    let mut form = CodeForm::blank();
    if let Some(id) = query.style {
        let styles = state.clients.qr.styles(&session.access_token).await?;
        let saved = styles
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(ApiError::not_found)?;
        form.apply_style(&serde_json::to_value(&saved.style).unwrap_or_default());
    }
    let preview_svg = render_preview(&state, &session.access_token, &form).await;
    Ok(jar.apply(CodePage {
        chrome: chrome(true, &csrf),
        code: None,
        form,
        errors: Errors::default(),
        preview_svg,
        saved: false,
        features: state.features,
    }))
}

async fn create(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session =
        match form_session(&state, &headers, &form.csrf_token, &mut jar, "/app/qr/new").await? {
            Ok(session) => session,
            Err(redirect) => return Ok(jar.apply(redirect)),
        };
    match state
        .clients
        .qr
        .create(&session.access_token, &form.body(true))
        .await
    {
        Ok(created) => Ok(jar.apply(see_other(&format!("/app/qr/{}?saved=1", created.id)))),
        Err(err) => {
            let (errors, status) = Errors::from_client(err)?;
            let preview_svg = render_preview(&state, &session.access_token, &form).await;
            let csrf = form.csrf_token.clone();
            Ok(jar.apply((
                status,
                CodePage {
                    chrome: chrome(true, &csrf),
                    code: None,
                    form,
                    errors,
                    preview_svg,
                    saved: false,
                    features: state.features,
                },
            )))
        }
    }
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

async fn edit_page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<SavedQuery>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let here = format!(
        "/app/qr/{}",
        url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
    );
    let session = match require_session(&state, &headers, &mut jar, &here).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let csrf = csrf_token(&state, &headers, &mut jar);
    let code = state.clients.qr.get(&session.access_token, &id).await?;
    let form = CodeForm::of(&code);
    let preview_svg = render_preview(&state, &session.access_token, &form).await;
    Ok(jar.apply(CodePage {
        chrome: chrome(true, &csrf),
        code: Some(code),
        form,
        errors: Errors::default(),
        preview_svg,
        saved: query.saved.is_some(),
        features: state.features,
    }))
}

async fn update(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CodeForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match form_session(&state, &headers, &form.csrf_token, &mut jar, "/app").await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    // The editor shows some rules only (not the link-preview card): keep the rest as they are.
    let current = state.clients.qr.get(&session.access_token, &id).await?;
    let mut body = form.body(false);
    if let Some(preview) = &current.rules.preview {
        body["rules"]["preview"] = json!(preview);
    }
    if !current.rules.variants.is_empty() {
        // A/B variants are set through the API; sent back unchanged they need no flag.
        body["rules"]["variants"] = json!(current.rules.variants);
    }
    if current.kind.as_str() == "microsite" {
        // Its destination is its microsite's page, not a field.
        body.as_object_mut().map(|b| b.remove("destination"));
    }
    match state
        .clients
        .qr
        .update(&session.access_token, &id, &body)
        .await
    {
        Ok(updated) => Ok(jar.apply(see_other(&format!("/app/qr/{}?saved=1", updated.id)))),
        Err(err) => {
            let (errors, status) = Errors::from_client(err)?;
            let code = current;
            let preview_svg = render_preview(&state, &session.access_token, &form).await;
            let csrf = form.csrf_token.clone();
            Ok(jar.apply((
                status,
                CodePage {
                    chrome: chrome(true, &csrf),
                    code: Some(code),
                    form,
                    errors,
                    preview_svg,
                    saved: false,
                    features: state.features,
                },
            )))
        }
    }
}

/// The logo form on a code's page (multipart: `csrf_token`, `file`, or `remove`): uploads the
/// image to media through qr's client, then sets (or clears) the code's `style.logo`.
async fn logo(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let bad = || ApiError::invalid("file", "the upload was cut short; send it again");
    let mut parts = multipart.map_err(|_| bad())?;
    let (mut csrf, mut file, mut remove) = (String::new(), axum::body::Bytes::new(), false);
    while let Some(field) = parts.next_field().await.map_err(|_| bad())? {
        match field.name() {
            Some("csrf_token") => csrf = field.text().await.map_err(|_| bad())?,
            Some("file") => file = field.bytes().await.map_err(|_| bad())?,
            Some("remove") => remove = true,
            _ => {}
        }
    }
    let mut jar = CookieJar::default();
    let here = format!(
        "/app/qr/{}",
        url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
    );
    let session = match form_session(&state, &headers, &csrf, &mut jar, &here).await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let current = state.clients.qr.get(&session.access_token, &id).await?;
    let outcome = set_logo(&state, &session.access_token, &current, remove, file).await?;
    match outcome {
        Ok(()) => Ok(jar.apply(see_other(&format!("{here}?saved=1")))),
        Err(errors) => {
            let form = CodeForm::of(&current);
            let preview_svg = render_preview(&state, &session.access_token, &form).await;
            Ok(jar.apply((
                StatusCode::UNPROCESSABLE_ENTITY,
                CodePage {
                    chrome: chrome(true, &csrf),
                    code: Some(current),
                    form,
                    errors,
                    preview_svg,
                    saved: false,
                    features: state.features,
                },
            )))
        }
    }
}

/// Uploads the logo (unless removing it) and saves the code's style with it; a mistake the user
/// can fix (not an image, too large a logo for the style) is a form error.
async fn set_logo(
    state: &WebState,
    token: &str,
    current: &QrView,
    remove: bool,
    file: axum::body::Bytes,
) -> Result<Result<(), Errors>, ApiError> {
    let mut style = serde_json::to_value(&current.style).unwrap_or_default();
    style["logo"] = if remove {
        Value::Null
    } else if file.is_empty() {
        return Ok(Err(Errors::from_api(ApiError::invalid(
            "file",
            "choose a PNG or JPEG image first",
        ))?));
    } else {
        match state.clients.qr.upload_media(token, file).await {
            Ok(uploaded) => json!({ "id": uploaded.id }),
            Err(err) => return Ok(Err(Errors::from_client(err)?.0)),
        }
    };
    match state
        .clients
        .qr
        .update(token, &current.id, &json!({ "style": style }))
        .await
    {
        Ok(_) => Ok(Ok(())),
        Err(err) => Ok(Err(Errors::from_client(err)?.0)),
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

async fn remove(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match form_session(&state, &headers, &form.csrf_token, &mut jar, "/app").await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    state.clients.qr.delete(&session.access_token, &id).await?;
    Ok(jar.apply(see_other("/app")))
}

// --- Live preview and images -------------------------------------------------------------------

/// The SVG of the style being edited, or a short note saying why it cannot be drawn. The SVG is
/// built by qr from validated numbers and enum values only (captions escaped), so it is safe to
/// place in the page as it is.
async fn render_preview(state: &WebState, token: &str, form: &CodeForm) -> String {
    let body = json!({ "style": form.style() });
    match state.clients.qr.preview(token, &body).await {
        Ok(svg) => String::from_utf8_lossy(&svg).into_owned(),
        Err(err) => {
            let message = err
                .api_error()
                .map_or("The preview is unavailable right now.".to_owned(), |e| {
                    e.message().to_owned()
                });
            format!(
                "<p class=\"alert alert-error\">{}</p>",
                shared::ui::escape(&message)
            )
        }
    }
}

/// htmx posts the form here as it changes; the answer replaces the preview.
async fn preview(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match form_session(&state, &headers, &form.csrf_token, &mut jar, "/app").await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let svg = render_preview(&state, &session.access_token, &form).await;
    Ok(jar.apply(Html(svg)))
}

#[derive(Deserialize)]
struct SizeQuery {
    size: Option<u32>,
}

async fn image_svg(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    image(&state, &headers, &id, "image.svg".to_owned()).await
}

async fn image_png(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<SizeQuery>,
) -> Result<Response, ApiError> {
    let size = query.size.unwrap_or(1024);
    image(&state, &headers, &id, format!("image.png?size={size}")).await
}

/// Passes qr's image answer through (type, file name, ETag).
async fn image(
    state: &WebState,
    headers: &HeaderMap,
    id: &str,
    file: String,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let Some(session) = super::session::current(state, headers, &mut jar).await? else {
        return Err(ApiError::unauthenticated());
    };
    let answer = state
        .clients
        .qr
        .image(&session.access_token, id, &file)
        .await?;
    let mut response = (StatusCode::OK, answer.body).into_response();
    for name in [
        header::CONTENT_TYPE,
        header::CONTENT_DISPOSITION,
        header::ETAG,
        header::CACHE_CONTROL,
        header::CONTENT_SECURITY_POLICY,
    ] {
        if let Some(value) = answer.headers.get(&name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    if !response.headers().contains_key(header::CACHE_CONTROL) {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
    }
    Ok(jar.apply(response))
}

#[derive(Deserialize)]
struct ExportQuery {
    ids: Option<String>,
}

/// Every code's PNG and SVG in one zip (or those in `ids`), passed through from qr.
async fn export_zip(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(query): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let Some(session) = super::session::current(&state, &headers, &mut jar).await? else {
        return Err(ApiError::unauthenticated());
    };
    let params: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query.ids.iter().map(|ids| ("ids", ids)))
        .finish();
    let answer = state
        .clients
        .qr
        .export(&session.access_token, &params)
        .await?;
    let mut response = (StatusCode::OK, answer.body).into_response();
    for name in [
        header::CONTENT_TYPE,
        header::CONTENT_DISPOSITION,
        header::CACHE_CONTROL,
    ] {
        if let Some(value) = answer.headers.get(&name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    Ok(jar.apply(response))
}

// --- Bulk upload -------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/qr_bulk.html")]
struct BulkPage {
    chrome: Chrome,
    csv: String,
    created: Vec<QrView>,
    rows: Vec<qr::bulk::RowError>,
    error: Option<String>,
}

async fn bulk_page(
    State(state): State<WebState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    if let Err(redirect) = require_session(&state, &headers, &mut jar, "/app/qr/bulk").await? {
        return Ok(jar.apply(redirect));
    }
    let csrf = csrf_token(&state, &headers, &mut jar);
    Ok(jar.apply(BulkPage {
        chrome: chrome(true, &csrf),
        csv: String::new(),
        created: Vec::new(),
        rows: Vec::new(),
        error: None,
    }))
}

#[derive(Deserialize, Default)]
struct BulkForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    csv: String,
}

/// The upload as sent: a file (multipart) or the pasted text; the file wins when both are given.
async fn read_upload(
    state: &WebState,
    request: axum::extract::Request,
) -> Result<(BulkForm, axum::body::Bytes), ApiError> {
    use axum::extract::FromRequest;
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let Form(form) = Form::<BulkForm>::from_request(request, state)
            .await
            .map_err(|_| ApiError::invalid("csv", "send the form again"))?;
        let csv = axum::body::Bytes::from(form.csv.clone());
        return Ok((form, csv));
    }
    let mut parts = axum::extract::Multipart::from_request(request, state)
        .await
        .map_err(|_| ApiError::invalid("csv", "send the form again"))?;
    let mut form = BulkForm::default();
    let mut file = axum::body::Bytes::new();
    let bad = |_| ApiError::invalid("csv", "the upload was cut short; send it again");
    while let Some(field) = parts.next_field().await.map_err(bad)? {
        match field.name() {
            Some("csrf_token") => form.csrf_token = field.text().await.map_err(bad)?,
            Some("csv") => form.csv = field.text().await.map_err(bad)?,
            Some("file") => file = field.bytes().await.map_err(bad)?,
            _ => {}
        }
    }
    let csv = if file.is_empty() {
        axum::body::Bytes::from(form.csv.clone())
    } else {
        file
    };
    Ok((form, csv))
}

async fn bulk_upload(
    State(state): State<WebState>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let (form, csv) = read_upload(&state, request).await?;
    let mut jar = CookieJar::default();
    let session =
        match form_session(&state, &headers, &form.csrf_token, &mut jar, "/app/qr/bulk").await? {
            Ok(session) => session,
            Err(redirect) => return Ok(jar.apply(redirect)),
        };
    let mut page = BulkPage {
        chrome: chrome(true, &form.csrf_token),
        csv: form.csv,
        created: Vec::new(),
        rows: Vec::new(),
        error: None,
    };
    if csv.iter().all(u8::is_ascii_whitespace) {
        page.error = Some("Choose a CSV file or paste rows first.".into());
        return Ok(jar.apply(page));
    }
    // Always 200: htmx swaps only successful answers, and the page says what happened.
    match state.clients.qr.bulk(&session.access_token, csv).await {
        Ok(qr::client::BulkOutcome::Created(done)) => {
            page.created = done.items;
            page.csv.clear();
        }
        Ok(qr::client::BulkOutcome::Rejected(rows)) => page.rows = rows,
        Err(err) => {
            let (errors, _) = Errors::from_client(err)?;
            page.error = errors.general(&[]).map(str::to_owned);
        }
    }
    Ok(jar.apply(page))
}

// --- Saved styles ------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/qr_styles.html")]
struct StylesPage {
    chrome: Chrome,
    styles: Vec<qr::api::StyleView>,
    saved: bool,
}

impl StylesPage {
    /// A one-line description of a style, for the list.
    fn describe(&self, style: &qr::api::StyleView) -> String {
        let v = serde_json::to_value(&style.style).unwrap_or_default();
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        let mut out = format!(
            "{} on {}, {} modules, {} corners, error correction {}",
            text("fg"),
            text("bg"),
            text("modules"),
            text("eyes"),
            text("ecc")
        );
        if let Some(caption) = v["frame"]["text"].as_str() {
            out.push_str(&format!(", caption \"{caption}\""));
        }
        out
    }
}

async fn styles_page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(query): Query<SavedQuery>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match require_session(&state, &headers, &mut jar, "/app/qr/styles").await? {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let csrf = csrf_token(&state, &headers, &mut jar);
    let styles = state.clients.qr.styles(&session.access_token).await?;
    Ok(jar.apply(StylesPage {
        chrome: chrome(true, &csrf),
        styles,
        saved: query.saved.is_some(),
    }))
}

/// "Save style" on the QR form: the same fields, posted here.
async fn save_style(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match form_session(
        &state,
        &headers,
        &form.csrf_token,
        &mut jar,
        "/app/qr/styles",
    )
    .await?
    {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    let body = json!({ "name": form.style_name.trim(), "style": form.style() });
    match state
        .clients
        .qr
        .save_style(&session.access_token, &body)
        .await
    {
        Ok(_) => Ok(jar.apply(see_other("/app/qr/styles?saved=1"))),
        Err(err) => {
            let (errors, status) = Errors::from_client(err)?;
            let preview_svg = render_preview(&state, &session.access_token, &form).await;
            let csrf = form.csrf_token.clone();
            Ok(jar.apply((
                status,
                CodePage {
                    chrome: chrome(true, &csrf),
                    code: None,
                    form,
                    errors,
                    preview_svg,
                    saved: false,
                    features: state.features,
                },
            )))
        }
    }
}

async fn delete_style(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, ApiError> {
    let mut jar = CookieJar::default();
    let session = match form_session(
        &state,
        &headers,
        &form.csrf_token,
        &mut jar,
        "/app/qr/styles",
    )
    .await?
    {
        Ok(session) => session,
        Err(redirect) => return Ok(jar.apply(redirect)),
    };
    state
        .clients
        .qr
        .delete_style(&session.access_token, &id)
        .await?;
    Ok(jar.apply(see_other("/app/qr/styles")))
}
