//! "Your data, all of it": the settings page's zip of everything a user has, and the counts
//! shown after an account is deleted. Everything is asked of its owner through that service's
//! client with the user's own token (in-process or over HTTP alike); web reads no one's tables.
//! The zip's layout is documented in `docs/data-export.md` and in the `README.txt` it carries.

use askama::Template;
use askama_web::WebTemplate;
use jiff::ToSpan;
use qr::api::QrView;
use serde::Serialize;
use shared::ApiError;
use shared::ui::Chrome;

use super::WebState;

/// The longest range analytics answers in one query (its `MAX_DAYS`): the CSVs and counts cover
/// the last five years, which is longer than raw events are kept.
const ANALYTICS_DAYS: i64 = 1_829;

/// What the zip's `README.txt` says (and `docs/data-export.md` repeats).
const README: &str = "Your Scanpage data\n\
==================\n\
\n\
account.json                      your account: profile, API keys (never their secrets),\n\
                                  active sessions, whether two-factor is on\n\
codes/codes.json                  every QR code with its destination, style, rules and tags\n\
codes/<code>.json                 one code each, the same fields (rules and targets included)\n\
microsites/<slug>.json            each microsite with its blocks, theme and publishing state\n\
styles.json                       your saved QR styles\n\
media/<id>.png                    the images you uploaded (as stored: re-encoded PNG)\n\
media/media.json                  the list of those images with their sizes and dates\n\
analytics/codes/<code>.csv        the raw scans of each code (no personal data)\n\
analytics/microsites/<slug>.csv   the raw views and clicks of each microsite\n\
\n\
JSON files are UTF-8; times are milliseconds since 1970-01-01 UTC.\n\
CSV files are the same as the analytics page's export, over the last five years;\n\
a code or microsite that was never scanned or viewed has no CSV.\n";

/// Builds the export zip of the user behind `token`.
pub(super) async fn export_zip(state: &WebState, token: &str) -> Result<Vec<u8>, ApiError> {
    let clients = &state.clients;
    let mut files: Vec<(String, Vec<u8>)> = vec![("README.txt".into(), README.as_bytes().into())];

    let account = clients.auth.export(token).await?;
    files.push(("account.json".into(), pretty(&account)?));

    let codes = all_codes(state, token).await?;
    files.push(("codes/codes.json".into(), pretty(&codes)?));
    for code in &codes {
        files.push((
            format!("codes/{}.json", file_name(&code.code)),
            pretty(code)?,
        ));
    }

    let microsites = clients.microsite.list(token).await?.items;
    for site in &microsites {
        files.push((
            format!("microsites/{}.json", file_name(&site.slug)),
            pretty(site)?,
        ));
    }

    let styles = clients.qr.styles(token).await?;
    files.push(("styles.json".into(), pretty(&styles)?));

    let media = clients.qr.media(token).await?;
    files.push(("media/media.json".into(), pretty(&media.items)?));
    for item in &media.items {
        let png = clients.qr.media_png(&item.id).await?;
        files.push((format!("media/{}.png", file_name(&item.id)), png.to_vec()));
    }

    let range = analytics_range();
    let targets = codes
        .iter()
        .map(|c| {
            (
                "qr",
                &c.id,
                format!("analytics/codes/{}.csv", file_name(&c.code)),
            )
        })
        .chain(microsites.iter().map(|m| {
            let name = format!("analytics/microsites/{}.csv", file_name(&m.slug));
            ("microsite", &m.id, name)
        }));
    for (kind, id, name) in targets {
        match clients.analytics.export_csv(token, kind, id, &range).await {
            Ok(csv) => files.push((name, csv.body.to_vec())),
            // Analytics knows an item from its first event: one never scanned or viewed has
            // nothing to export (the README says so).
            Err(err)
                if err
                    .api_error()
                    .is_some_and(|e| e.status() == axum::http::StatusCode::NOT_FOUND) => {}
            Err(err) => return Err(err.into()),
        }
    }

    // PNGs and uploaded images are compressed already: stored. Everything else is text.
    let files: Vec<(String, Vec<u8>, bool)> = files
        .into_iter()
        .map(|(name, bytes)| {
            let deflate = !std::path::Path::new(&name)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("png"));
            (name, bytes, deflate)
        })
        .collect();
    // Deflating is CPU work: off the async workers.
    tokio::task::spawn_blocking(move || qr::bulk::build_zip(&files))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

/// The download's name: `scanpage-export-<date>.zip`.
pub(super) fn export_file_name() -> String {
    format!("scanpage-export-{}.zip", jiff::Zoned::now().date())
}

/// What deleting the account removed, as each owner counted it just before. A service that did
/// not answer leaves its count unknown (`None`): the deletion itself must not wait on it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Owned {
    pub codes: Option<usize>,
    pub microsites: Option<usize>,
    pub media_files: Option<usize>,
    pub scans: Option<i64>,
    pub views: Option<i64>,
    pub clicks: Option<i64>,
}

/// Counts what the user behind `token` owns, asking each service (done before the deletion,
/// since afterwards there is nothing left to ask about and no token to ask with).
pub(super) async fn count_owned(state: &WebState, token: &str) -> Owned {
    let clients = &state.clients;
    let range = analytics_range();
    let (codes, microsites, media, overview) = tokio::join!(
        all_codes(state, token),
        clients.microsite.list(token),
        clients.qr.media(token),
        clients.analytics.overview(token, &range),
    );
    let known = |what: &str, failed: Option<String>| {
        if let Some(err) = failed {
            tracing::warn!(what, %err, "could not count before deleting an account");
        }
    };
    known("codes", codes.as_ref().err().map(ToString::to_string));
    known(
        "microsites",
        microsites.as_ref().err().map(ToString::to_string),
    );
    known("media", media.as_ref().err().map(ToString::to_string));
    known(
        "analytics",
        overview.as_ref().err().map(ToString::to_string),
    );
    let overview = overview.ok();
    Owned {
        codes: codes.ok().map(|c| c.len()),
        microsites: microsites.ok().map(|m| m.items.len()),
        media_files: media.ok().map(|m| m.items.len()),
        scans: overview.as_ref().map(|o| o.total_scans),
        views: overview.as_ref().map(|o| o.views),
        clicks: overview.as_ref().map(|o| o.clicks),
    }
}

impl DeletedPage {
    /// A count as shown: the number, or a dash when its service did not answer.
    fn shown<T: std::fmt::Display>(count: Option<&T>) -> String {
        count.map_or_else(|| "–".to_owned(), ToString::to_string)
    }

    /// "s" unless the count is exactly one.
    fn plural<T: PartialEq + From<u8>>(count: Option<&T>) -> &'static str {
        if count == Some(&T::from(1)) { "" } else { "s" }
    }
}

/// The page shown once the account is gone.
#[derive(Template, WebTemplate)]
#[template(path = "pages/app/account_deleted.html")]
pub(super) struct DeletedPage {
    pub chrome: Chrome,
    pub owned: Owned,
}

/// Every code of the user, through qr's paged list.
async fn all_codes(state: &WebState, token: &str) -> Result<Vec<QrView>, ApiError> {
    let mut codes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("limit", "100")
            .extend_pairs(cursor.iter().map(|c| ("cursor", c)))
            .finish();
        let page = state.clients.qr.list(token, &query).await?;
        codes.extend(page.items);
        match page.next_cursor {
            Some(next) if Some(&next) != cursor.as_ref() => cursor = Some(next),
            _ => return Ok(codes),
        }
    }
}

/// `from=…&to=…&interval=month` over the longest range analytics answers.
fn analytics_range() -> String {
    let today = jiff::Zoned::now().date();
    let from = today.checked_sub(ANALYTICS_DAYS.days()).unwrap_or(today);
    format!("from={from}&to={today}&interval=month")
}

fn pretty<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec_pretty(value).map_err(ApiError::internal)
}

/// A name safe inside the zip whatever the service answered: letters, digits, `-` and `_`.
fn file_name(raw: &str) -> String {
    let clean: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    if clean.is_empty() { "_".into() } else { clean }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_cannot_leave_their_folder() {
        assert_eq!(file_name("abc-123_X"), "abc-123_X");
        assert_eq!(file_name("../../etc/passwd"), "______etc_passwd");
        assert_eq!(file_name(""), "_");
    }
}
