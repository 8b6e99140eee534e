//! The API's description as the running application serves it: `GET /api/v1/openapi.json` is a
//! complete OpenAPI document of every service's routes, and `/docs/api` shows it to people.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::TestApp;
use serde_json::Value;
use shared::testing::{TestDb, backend_tests};

/// Every `$ref` in `value`.
fn refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        out.insert(r.clone());
                    }
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

backend_tests!(the_spec_describes_every_service_and_the_page_shows_it);
async fn the_spec_describes_every_service_and_the_page_shows_it(db: TestDb) {
    let app = TestApp::spawn(&db, &[]).await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let spec: Value = response.json().await.expect("the spec is JSON");
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));

    let paths = spec["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/v1/auth/signup", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/verify", "post"),
        ("/api/v1/auth/me", "get"),
        ("/api/v1/qr", "post"),
        ("/api/v1/qr", "get"),
        ("/api/v1/qr/{id}", "get"),
        ("/api/v1/qr/{id}", "patch"),
        ("/api/v1/qr/{id}", "delete"),
        ("/api/v1/qr/{id}/image.png", "get"),
        ("/api/v1/media", "post"),
        ("/api/v1/media", "get"),
        ("/api/v1/auth/me", "delete"),
        ("/api/v1/auth/me/export", "get"),
        ("/api/v1/microsites", "post"),
        ("/api/v1/microsites/{id}/publish", "post"),
        ("/api/v1/analytics/qr/{id}", "get"),
        ("/api/v1/analytics/qr/{id}/export.csv", "get"),
        ("/api/v1/analytics/overview/export.csv", "get"),
        ("/api/v1/admin/overview", "get"),
        ("/api/v1/features", "get"),
        ("/api/v1/insights/weekly", "post"),
        ("/api/v1/openapi.json", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is in the spec"
        );
    }
    // Sign-up answers 202 for every valid address (no 201/409 that would tell them apart).
    let signup = &paths["/api/v1/auth/signup"]["post"]["responses"];
    assert!(
        signup["202"].is_object() && signup["201"].is_null(),
        "{signup}"
    );
    // Only the JSON API is described; pages, the redirect and health checks are not.
    assert!(paths.keys().all(|p| p.starts_with("/api/v1/")));
    assert!(paths.len() >= 50, "{} paths", paths.len());

    // Errors, the token scheme, and public operations that say so.
    let ops: Vec<&Value> = paths
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .collect();
    assert!(ops.iter().all(|op| op["responses"]["4XX"].is_object()));
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(spec["security"][0]["bearer"], Value::Array(vec![]));
    assert_eq!(
        paths["/api/v1/auth/login"]["post"]["security"],
        serde_json::json!([{}])
    );
    let error = &spec["components"]["schemas"]["ErrorBody"];
    assert_eq!(
        error["properties"]["error"]["$ref"],
        "#/components/schemas/ErrorDetail"
    );
    // The previous period and the names are documented where they are answered.
    for (schema, field) in [
        ("QrStats", "previous"),
        ("MicrositeStats", "previous"),
        ("Overview", "previous"),
        ("MicrositeStats", "name"),
        ("MicrositeStats", "block_names"),
        ("TopItem", "name"),
    ] {
        assert!(
            property(&spec["components"]["schemas"][schema], field).is_some(),
            "{schema}.{field} is in the spec"
        );
    }
    assert!(spec["components"]["schemas"]["Previous"]["properties"]["totals"].is_object());
    // Uniques are described as what they are; the field names stay for compatibility.
    for (schema, field) in [
        ("QrStats", "unique_scanners"),
        ("MicrositeStats", "unique_visitors"),
        ("Overview", "unique_scanners"),
    ] {
        let described = property(&spec["components"]["schemas"][schema], field)
            .and_then(|p| p["description"].as_str())
            .unwrap_or_default();
        assert!(
            described.starts_with("Daily unique") && described.contains("added up"),
            "{schema}.{field}: {described}"
        );
    }
    let created = &paths["/api/v1/qr"]["post"]["responses"]["201"];
    assert_eq!(
        created["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/QrView"
    );

    // Every reference points at a schema that is there.
    let mut found = BTreeSet::new();
    refs(&spec, &mut found);
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    for r in &found {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {r}"));
        assert!(schemas.contains_key(name), "{r} is defined");
    }

    let page = app.get("/docs/api").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for needle in [
        "<code>POST /api/v1/qr</code>",
        "<code>GET /api/v1/qr/{id}</code>",
        "<code>POST /api/v1/auth/login</code>",
        "<code>GET /api/v1/analytics/qr/{id}</code>",
        "QrView",
        "href=\"/api/v1/openapi.json\"",
    ] {
        assert!(html.contains(needle), "the page shows {needle}");
    }
    // The footer of every page links to it.
    let landing = app.get("/").await.text().await.unwrap();
    assert!(landing.contains("href=\"/docs/api\""));
    app.stop().await;
}

/// utoipa keys schemas by their type's name and a later one silently replaces an earlier
/// one: two services' `ListView`s would describe one of them wrongly. Names must be unique
/// across the parts (rename with `#[schema(as = …)]`).
#[test]
fn no_two_schemas_share_a_name() {
    let parts = [
        ("auth", auth::routes::openapi()),
        ("qr", qr::api::openapi()),
        ("media", media::api::openapi()),
        ("microsite", microsite::api::openapi()),
        ("analytics", analytics::routes::openapi()),
        ("admin", analytics::product::routes::openapi()),
        ("future", web::future_api::openapi()),
        ("insights", web::insights::openapi()),
    ];
    let mut seen: BTreeMap<String, (&str, serde_json::Value)> = BTreeMap::new();
    for (part, api) in &parts {
        let schemas = api
            .components
            .as_ref()
            .map(|c| c.schemas.clone())
            .unwrap_or_default();
        for (name, schema) in schemas {
            let schema = serde_json::to_value(schema).unwrap();
            if let Some((other, earlier)) = seen.get(&name) {
                assert_eq!(
                    earlier, &schema,
                    "schema `{name}` of {part} differs from {other}'s: rename one"
                );
            }
            seen.insert(name, (part, schema));
        }
    }
    assert!(seen.contains_key("QrView") && seen.contains_key("Tokens"));
}

/// The property `name` of an object schema, also when it is flattened into an `allOf` part.
fn property<'a>(schema: &'a Value, name: &str) -> Option<&'a Value> {
    schema["properties"].get(name).or_else(|| {
        schema["allOf"]
            .as_array()?
            .iter()
            .find_map(|part| property(part, name))
    })
}
