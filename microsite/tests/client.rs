//! `MicrositeClient` gives the same answers in-process (all-in-one) and over HTTP (split mode),
//! on SQLite and PostgreSQL: create, template, edit, reorder, publish, preview, delete — and the
//! service's own errors come back as they were answered.

mod common;

use std::net::SocketAddr;

use axum::http::StatusCode;
use common::Site;
use microsite::block::Block;
use microsite::client::MicrositeClient;
use serde_json::json;
use shared::client::ServiceClient;
use shared::config::Service;
use shared::testing::{TestDb, backend_tests};

fn typed(value: serde_json::Value) -> Vec<Block> {
    serde_json::from_value(value).expect("blocks")
}

async fn story(client: &MicrositeClient, token: &str, slug: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let page = client
        .from_template(token, "event", slug)
        .await
        .expect("from a template");
    seen.push(page.title.clone());
    let mut order: Vec<String> = page.blocks.iter().map(|b| b.id().to_owned()).collect();
    order.reverse();
    let reordered = client.reorder(token, &page.id, &order).await.unwrap();
    assert_eq!(reordered.blocks[0].id(), order[0]);
    let blocks = typed(json!([{"type": "heading", "text": "Only this"}]));
    let edited = client
        .replace_blocks(token, &page.id, &blocks)
        .await
        .unwrap();
    assert_eq!(edited.blocks.len(), 1);
    let refused = client
        .replace_blocks(
            token,
            &page.id,
            &typed(json!([{"type": "link", "label": "x", "url": "javascript:alert(1)"}])),
        )
        .await
        .unwrap_err();
    let api = refused.api_error().expect("the service's own error");
    assert_eq!(api.status(), StatusCode::UNPROCESSABLE_ENTITY);
    seen.push(api.field().unwrap_or_default().to_owned());
    let published = client.publish(token, &page.id).await.unwrap();
    assert!(published.published);
    assert!(
        client
            .preview(token, slug)
            .await
            .unwrap()
            .contains("Only this")
    );
    assert!(!client.unpublish(token, &page.id).await.unwrap().published);
    seen.push(client.list(token).await.unwrap().items.len().to_string());
    seen.push(client.templates(token).await.unwrap().len().to_string());
    seen.push(client.themes(token).await.unwrap().len().to_string());
    client.delete(token, &page.id).await.unwrap();
    let gone = client.get(token, &page.id).await.unwrap_err();
    seen.push(gone.api_error().unwrap().status().to_string());
    seen
}

backend_tests!(both_transports_tell_the_same_story);
async fn both_transports_tell_the_same_story(db: TestDb) {
    let site = Site::start(&db).await;
    let token = site.token("alice");
    let in_process = MicrositeClient::new(ServiceClient::in_process(
        Service::Microsite,
        site.router.clone(),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = site.router.clone();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    let over_http = MicrositeClient::new(ServiceClient::http(
        Service::Microsite,
        format!("http://{addr}").parse().unwrap(),
    ));
    let a = story(&in_process, &token, "story-one").await;
    let b = story(&over_http, &token, "story-two").await;
    assert_eq!(a, b);
    assert_eq!(a[1], "blocks[0].url");
    assert_eq!(a[5], "404 Not Found");
    server.abort();
    println!("client transports agree on {}", db.backend.name());
}
