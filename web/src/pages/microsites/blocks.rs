//! A page's blocks: added, edited, moved and removed.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::ApiError;

use microsite::api::MicrositeView;

use super::block_form::BlockForm;
use super::{builder_url, enc};
use crate::pages::WebState;
use crate::pages::session::{CsrfOnly, Posted, csrf_form, see_other};
use serde_json::Value;

use super::builder::{Redo, refused};
/// The page's blocks as the API takes them back.
fn blocks_json(page: &MicrositeView) -> Vec<Value> {
    page.blocks
        .iter()
        .filter_map(|b| serde_json::to_value(b).ok())
        .collect()
}

fn position(page: &MicrositeView, block: &str) -> Result<usize, ApiError> {
    page.blocks
        .iter()
        .position(|b| b.id() == block)
        .ok_or_else(ApiError::not_found)
}

pub(super) async fn add(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Posted(session, Form(form)): Posted<Form<BlockForm>>,
) -> Result<Response, ApiError> {
    let client = &state.clients.microsite;
    let page = client.get(&session.access_token, &id).await?;
    let index = page.blocks.len();
    let mut blocks = blocks_json(&page);
    blocks.push(form.to_json(None));
    match client
        .replace_blocks(&session.access_token, &id, blocks)
        .await
    {
        Ok(page) => {
            let added = page.blocks.get(index).map(|b| b.id().to_owned());
            Ok(see_other(&format!(
                "{}?saved=1#block-{}",
                builder_url(&page.id),
                enc(&added.unwrap_or_default())
            )))
        }
        Err(err) => {
            let csrf = form.csrf_token.clone();
            let redo = Redo {
                block: Some((index, form)),
                ..Redo::default()
            };
            let response = refused(&state, &headers, &session, &csrf, &id, err, redo).await?;
            Ok(response.into_response())
        }
    }
}

pub(super) async fn edit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path((id, block)): Path<(String, String)>,
    Posted(session, Form(form)): Posted<Form<BlockForm>>,
) -> Result<Response, ApiError> {
    let client = &state.clients.microsite;
    let page = client.get(&session.access_token, &id).await?;
    let index = position(&page, &block)?;
    let mut blocks = blocks_json(&page);
    blocks[index] = form.to_json(Some(&block));
    match client
        .replace_blocks(&session.access_token, &id, blocks)
        .await
    {
        Ok(page) => Ok(see_other(&format!(
            "{}?saved=1#block-{}",
            builder_url(&page.id),
            enc(&block)
        ))),
        Err(err) => {
            let csrf = form.csrf_token.clone();
            let redo = Redo {
                block: Some((index, form)),
                ..Redo::default()
            };
            let response = refused(&state, &headers, &session, &csrf, &id, err, redo).await?;
            Ok(response.into_response())
        }
    }
}

#[derive(Deserialize)]
pub(super) struct MoveForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    direction: String,
}

pub(super) async fn move_block(
    State(state): State<WebState>,
    Path((id, block)): Path<(String, String)>,
    Posted(session, Form(form)): Posted<Form<MoveForm>>,
) -> Result<Response, ApiError> {
    let client = &state.clients.microsite;
    let page = client.get(&session.access_token, &id).await?;
    let index = position(&page, &block)?;
    let mut order: Vec<String> = page.blocks.iter().map(|b| b.id().to_owned()).collect();
    let other = match form.direction.as_str() {
        "up" => index.checked_sub(1),
        "down" => Some(index + 1).filter(|&i| i < order.len()),
        _ => return Err(ApiError::invalid("direction", "move a block up or down")),
    };
    if let Some(other) = other {
        order.swap(index, other);
        // A reorder changes no block, so it never needs the qr service.
        client.reorder(&session.access_token, &id, &order).await?;
    }
    Ok(see_other(&format!(
        "{}?saved=1#block-{}",
        builder_url(&id),
        enc(&block)
    )))
}

pub(super) async fn remove(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path((id, block)): Path<(String, String)>,
    Posted(session, Form(form)): Posted<Form<CsrfOnly>>,
) -> Result<Response, ApiError> {
    let client = &state.clients.microsite;
    let page = client.get(&session.access_token, &id).await?;
    let index = position(&page, &block)?;
    let mut blocks = blocks_json(&page);
    blocks.remove(index);
    match client
        .replace_blocks(&session.access_token, &id, blocks)
        .await
    {
        Ok(_) => Ok(see_other(&format!("{}?saved=1", builder_url(&id)))),
        Err(err) => {
            let csrf = form.csrf_token.clone();
            let response =
                refused(&state, &headers, &session, &csrf, &id, err, Redo::default()).await?;
            Ok(response.into_response())
        }
    }
}

csrf_form!(MoveForm);
