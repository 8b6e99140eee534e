//! A page's blocks: added, edited, moved and removed.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use shared::ApiError;

use microsite::api::MicrositeView;
use microsite::block::Block;

use super::block_form::BlockForm;
use super::builder::{Redo, refused, refused_as_is};
use super::{Placement, answered, builder_url, enc, own_page};
use crate::pages::WebState;
use crate::pages::session::{CsrfOnly, Posted, Session, csrf_form, see_other};

fn position(page: &MicrositeView, block: &str) -> Result<usize, ApiError> {
    page.blocks
        .iter()
        .position(|b| b.id() == block)
        .ok_or_else(ApiError::not_found)
}

/// Saves the form as block `index` of `blocks` (past the end: a new block). A refused form
/// (by the form itself or by the service) is the builder again with the block as typed.
async fn save_block(
    state: &WebState,
    headers: &HeaderMap,
    session: &Session,
    id: &str,
    form: BlockForm,
    index: usize,
    mut blocks: Vec<Block>,
) -> Result<Result<MicrositeView, Response>, ApiError> {
    let block_id = blocks.get(index).map(|b| b.id.clone());
    let refusal = match form.to_block(block_id.as_deref()) {
        Ok(block) => {
            match blocks.get_mut(index) {
                Some(slot) => *slot = block,
                None => blocks.push(block),
            }
            let client = &state.clients.microsite;
            match client
                .replace_blocks(&session.access_token, id, &blocks)
                .await
            {
                Ok(page) => return Ok(Ok(page)),
                Err(err) => answered(err)?,
            }
        }
        Err(e) => (Placement::Block(index, e), StatusCode::UNPROCESSABLE_ENTITY),
    };
    let csrf = form.csrf_token.clone();
    let redo = Redo {
        block: Some((index, form)),
        ..Redo::default()
    };
    Ok(Err(refused(
        state, headers, session, &csrf, id, refusal, redo,
    )
    .await?))
}

/// Back to the builder at the saved block.
fn saved_at(page: &str, block: &str) -> Response {
    see_other(&format!(
        "{}?saved=1#block-{}",
        builder_url(page),
        enc(block)
    ))
}

pub(super) async fn add(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Posted(session, Form(form)): Posted<Form<BlockForm>>,
) -> Result<Response, ApiError> {
    let page = own_page(&state, &session, &id).await?;
    let index = page.blocks.len();
    let saved = save_block(&state, &headers, &session, &id, form, index, page.blocks).await?;
    Ok(match saved {
        Ok(page) => {
            let added = page.blocks.get(index).map(Block::id).unwrap_or_default();
            saved_at(&page.id, added)
        }
        Err(refused) => refused,
    })
}

pub(super) async fn edit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path((id, block)): Path<(String, String)>,
    Posted(session, Form(form)): Posted<Form<BlockForm>>,
) -> Result<Response, ApiError> {
    let page = own_page(&state, &session, &id).await?;
    let index = position(&page, &block)?;
    let saved = save_block(&state, &headers, &session, &id, form, index, page.blocks).await?;
    Ok(match saved {
        Ok(page) => saved_at(&page.id, &block),
        Err(refused) => refused,
    })
}

#[derive(Deserialize)]
pub(super) struct MoveForm {
    #[serde(default)]
    csrf_token: String,
    /// `up` or `down` (the ↑/↓ buttons, with or without JavaScript)…
    #[serde(default)]
    direction: String,
    /// …or the 0-based place to move to (drag and drop, `reorder.js`).
    #[serde(default)]
    position: Option<String>,
}

/// The page's block ids with the one at `index` moved as `form` asks, or `None` when it stays.
fn moved(
    mut order: Vec<String>,
    index: usize,
    form: &MoveForm,
) -> Result<Option<Vec<String>>, ApiError> {
    let to = match (
        form.position.as_deref().map(str::trim),
        form.direction.as_str(),
    ) {
        (Some(position), _) => Some(
            position
                .parse::<usize>()
                .ok()
                .filter(|&p| p < order.len())
                .ok_or_else(|| {
                    ApiError::invalid("position", "move the block to a place on the page")
                })?,
        ),
        (None, "up") => index.checked_sub(1),
        (None, "down") => Some(index + 1).filter(|&i| i < order.len()),
        _ => return Err(ApiError::invalid("direction", "move a block up or down")),
    };
    Ok(to.filter(|&to| to != index).map(|to| {
        let block = order.remove(index);
        order.insert(to, block);
        order
    }))
}

pub(super) async fn move_block(
    State(state): State<WebState>,
    Path((id, block)): Path<(String, String)>,
    Posted(session, Form(form)): Posted<Form<MoveForm>>,
) -> Result<Response, ApiError> {
    let client = &state.clients.microsite;
    let page = own_page(&state, &session, &id).await?;
    let index = position(&page, &block)?;
    let order: Vec<String> = page.blocks.iter().map(|b| b.id().to_owned()).collect();
    if let Some(order) = moved(order, index, &form)? {
        // A reorder changes no block, so it never needs the qr service.
        client.reorder(&session.access_token, &id, &order).await?;
    }
    Ok(saved_at(&id, &block))
}

pub(super) async fn remove(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path((id, block)): Path<(String, String)>,
    Posted(session, Form(form)): Posted<Form<CsrfOnly>>,
) -> Result<Response, ApiError> {
    let client = &state.clients.microsite;
    let page = own_page(&state, &session, &id).await?;
    let index = position(&page, &block)?;
    let mut blocks = page.blocks;
    blocks.remove(index);
    match client
        .replace_blocks(&session.access_token, &id, &blocks)
        .await
    {
        Ok(_) => Ok(see_other(&format!("{}?saved=1", builder_url(&id)))),
        Err(err) => refused_as_is(&state, &headers, &session, &form.csrf_token, &id, err).await,
    }
}

csrf_form!(MoveForm);
