//! The public API's description: `GET /api/v1/openapi.json`, the OpenAPI document merged from
//! every service's routes (each service registers a route and its spec entry together with
//! `utoipa_axum::routes!`, so they cannot drift), and `GET /docs/api`, the same document as a
//! readable page. Served by web in both modes: the gateway sends everything it does not route
//! elsewhere here, and web knows every service's spec without running them.

use std::sync::{Arc, LazyLock};

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;
use shared::openapi::OpenApiRouter;
use shared::ui::Chrome;
use utoipa_axum::routes;

/// The whole API, built once.
pub fn spec() -> &'static utoipa::openapi::OpenApi {
    static SPEC: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(|| {
        shared::openapi::document([
            auth::routes::openapi(),
            qr::api::openapi(),
            media::api::openapi(),
            microsite::api::openapi(),
            analytics::routes::openapi(),
            analytics::product::routes::openapi(),
            crate::future_api::openapi(),
            crate::insights::openapi(),
            shared::openapi::tagged(api().into_openapi(), "meta"),
        ])
    });
    &SPEC
}

/// The document as served (pretty, so reading it in a browser works).
fn spec_json() -> Arc<str> {
    static JSON: LazyLock<Arc<str>> = LazyLock::new(|| {
        Arc::from(serde_json::to_string_pretty(spec()).unwrap_or_else(|_| "{}".to_owned()))
    });
    JSON.clone()
}

fn api() -> OpenApiRouter {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

pub fn router() -> Router {
    api().split_for_parts().0.route("/docs/api", get(page))
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 description of this API", body = Object)))]
async fn openapi_json() -> Response {
    let mut response = spec_json().to_string().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// One operation as the page lists it.
pub struct Operation {
    pub method: String,
    pub path: String,
    /// The anchor of its entry.
    pub anchor: String,
    pub summary: String,
    pub description: String,
    pub public: bool,
    pub parameters: Vec<Parameter>,
    /// Content type and schema of the request body.
    pub request: Option<(String, String)>,
    pub example: Option<String>,
    /// Status, description, content type + schema (if any).
    pub responses: Vec<(String, String, String)>,
}

pub struct Parameter {
    pub name: String,
    pub location: String,
    pub required: bool,
    pub schema: String,
    pub description: String,
}

pub struct Group {
    pub tag: String,
    pub anchor: String,
    pub operations: Vec<Operation>,
}

/// A schema in a few words: `QrView`, `array of Domain`, `string`, `object`.
fn schema_name(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    if let Some(items) = schema.get("items") {
        return format!("array of {}", schema_name(items));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            let names: Vec<String> = list
                .iter()
                .map(schema_name)
                .filter(|n| n != "null")
                .collect();
            return names.join(if key == "allOf" { " + " } else { " or " });
        }
    }
    match schema.get("type") {
        Some(Value::String(t)) => match schema.get("format").and_then(Value::as_str) {
            Some("binary") => "binary".to_owned(),
            _ if t == "object" && schema.get("additionalProperties").is_some() => {
                "map of ".to_owned()
                    + &schema_name(schema.get("additionalProperties").unwrap_or(&Value::Null))
            }
            _ => t.clone(),
        },
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_owned(),
    }
}

/// The media type and schema of a `content` map.
fn content(content: Option<&Value>) -> Option<(String, String, Option<String>)> {
    let (kind, media) = content?.as_object()?.iter().next()?;
    let example = media
        .get("example")
        .and_then(|e| serde_json::to_string_pretty(e).ok());
    Some((
        kind.clone(),
        media.get("schema").map(schema_name).unwrap_or_default(),
        example,
    ))
}

/// The spec's operations grouped by tag, in path order.
pub fn groups() -> Vec<Group> {
    let doc = serde_json::to_value(spec()).unwrap_or_default();
    let mut groups: Vec<Group> = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return groups;
    };
    let default_public = doc.get("security").is_none();
    for (path, item) in paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else {
                continue;
            };
            let text = |key: &str| {
                op.get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let public = op
                .get("security")
                .and_then(Value::as_array)
                .map_or(default_public, |s| {
                    s.iter()
                        .all(|r| r.as_object().is_some_and(serde_json::Map::is_empty))
                });
            let parameters = op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| Parameter {
                    name: p["name"].as_str().unwrap_or_default().to_owned(),
                    location: p["in"].as_str().unwrap_or_default().to_owned(),
                    required: p["required"].as_bool().unwrap_or(false),
                    schema: p.get("schema").map(schema_name).unwrap_or_default(),
                    description: p["description"].as_str().unwrap_or_default().to_owned(),
                })
                .collect();
            let request = content(op.pointer("/requestBody/content"));
            let responses = op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(status, r)| {
                    let body = content(r.get("content"))
                        .map(|(kind, schema, _)| format!("{schema} ({kind})"))
                        .unwrap_or_default();
                    (
                        status.clone(),
                        r["description"].as_str().unwrap_or_default().to_owned(),
                        body,
                    )
                })
                .collect();
            let tag = op
                .pointer("/tags/0")
                .and_then(Value::as_str)
                .unwrap_or("other")
                .to_owned();
            let operation = Operation {
                anchor: format!("{method}-{path}")
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .collect(),
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text("summary"),
                description: text("description"),
                public,
                parameters,
                example: request.as_ref().and_then(|r| r.2.clone()),
                request: request.map(|(kind, schema, _)| (kind, schema)),
                responses,
            };
            match groups.iter_mut().find(|g| g.tag == tag) {
                Some(group) => group.operations.push(operation),
                None => groups.push(Group {
                    anchor: format!("tag-{}", tag.replace(' ', "-")),
                    tag,
                    operations: vec![operation],
                }),
            }
        }
    }
    groups
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/docs/api.html")]
struct ApiPage {
    chrome: Chrome,
    groups: Vec<Group>,
    operations: usize,
}

async fn page() -> ApiPage {
    let groups = groups();
    ApiPage {
        chrome: Chrome::default(),
        operations: groups.iter().map(|g| g.operations.len()).sum(),
        groups,
    }
}
