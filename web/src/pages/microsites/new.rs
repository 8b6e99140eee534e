//! A new page: from a template, or blank.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::ApiError;
use shared::ui::Chrome;

use microsite::contract::Changes;

use super::{FormError, Placement, answered, builder_url, status_for};
use crate::pages::WebState;
use crate::pages::kit::chrome;
use crate::pages::session::{Csrf, Posted, Session, csrf_form, see_other};

#[derive(Deserialize, Default)]
pub(super) struct NewForm {
    #[serde(default)]
    csrf_token: String,
    /// Empty for a blank page.
    #[serde(default)]
    template: String,
    #[serde(default)]
    slug: String,
    /// Only used for a blank page; a template brings its own title.
    #[serde(default)]
    title: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/app/microsite_new.html")]
struct NewPage {
    chrome: Chrome,
    form: NewForm,
    error: Option<FormError>,
    templates: Vec<(&'static str, &'static str, &'static str)>,
}

/// The five templates with a label and a line about each.
const TEMPLATES: [(&str, &str, &str); 5] = [
    (
        "creator",
        "Creator",
        "Profile, socials, latest video and links.",
    ),
    (
        "restaurant_menu",
        "Restaurant menu",
        "Menu sections, opening hours, booking and directions.",
    ),
    ("event", "Event", "Date, place, tickets and the schedule."),
    (
        "business_card",
        "Business card",
        "Who you are and how to reach you.",
    ),
    (
        "product_launch",
        "Product launch",
        "The pitch, a demo video and where to buy.",
    ),
];

impl NewPage {
    fn error_on(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    fn general_error(&self) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| !["slug", "title", "template"].contains(&e.field.as_str()))
            .map(|e| e.message.as_str())
    }
}

pub(super) async fn page(_: Session, Csrf(csrf, jar): Csrf) -> Result<Response, ApiError> {
    Ok(jar.apply(NewPage {
        chrome: chrome(true, &csrf),
        form: NewForm {
            template: "creator".into(),
            ..NewForm::default()
        },
        error: None,
        templates: TEMPLATES.to_vec(),
    }))
}

pub(super) async fn create(
    State(state): State<WebState>,
    headers: HeaderMap,
    Posted(session, Form(form)): Posted<Form<NewForm>>,
) -> Result<Response, ApiError> {
    let client = &state.clients.microsite;
    let token = &session.access_token;
    let slug = form.slug.trim();
    let result = if form.template.is_empty() {
        let body = Changes {
            slug: Some(slug.to_owned()),
            title: Some(form.title.trim().to_owned()),
            blocks: Some(Vec::new()),
            ..Changes::default()
        };
        client.create(token, &body).await
    } else {
        client.from_template(token, &form.template, slug).await
    };
    match result {
        Ok(page) => Ok(see_other(&builder_url(&page.id))),
        Err(err) => {
            let (placement, status) = answered(err)?;
            let (Placement::Page(error) | Placement::Block(_, error)) = placement;
            let csrf = form.csrf_token.clone();
            Ok((
                status_for(&headers, status),
                NewPage {
                    chrome: chrome(true, &csrf),
                    form,
                    error: Some(error),
                    templates: TEMPLATES.to_vec(),
                },
            )
                .into_response())
        }
    }
}

csrf_form!(NewForm);
