//! The feature flags (`/admin/flags`): which future services this process runs, each with what it
//! will do. An engineering view, so it has its own page rather than half of the overview.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use shared::features::Feature;
use shared::ui::Chrome;

use super::kit::FounderPage;
use crate::pages::WebState;

pub fn router() -> Router<WebState> {
    Router::new().route("/admin/flags", get(flags))
}

struct FeatureRow {
    name: &'static str,
    enabled: bool,
    summary: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/admin/flags.html")]
struct FlagsPage {
    chrome: Chrome,
    features: Vec<FeatureRow>,
}

async fn flags(State(state): State<WebState>, page: FounderPage) -> Response {
    let features = Feature::ALL
        .iter()
        .map(|&f| FeatureRow {
            name: f.name(),
            enabled: state.features.is_enabled(f),
            summary: f.summary(),
        })
        .collect();
    let chrome = page.chrome();
    page.render(FlagsPage { chrome, features })
}
