//! The request a task is answering, kept in a task-local so that the calls it makes to other
//! services carry on from it ([`crate::client::ServiceClient`] forwards what is here).

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use tokio::task::futures::TaskLocalFuture;
use tower::{Layer, Service};

use super::REQUEST_ID;
use crate::client_addr::{self, ClientAddr, Policy};

tokio::task_local! {
    /// Its id, so one id follows a page through every service's logs; its client's address, so
    /// every service's limits and analytics see the browser rather than the caller; and its
    /// User-Agent, so a sign-in made through the web pages is labelled with the browser's device
    /// in the sessions list.
    static CURRENT_REQUEST: RequestScope;
}

/// What [`CURRENT_REQUEST`] holds (public only because it names the layer's future).
#[derive(Clone)]
pub struct RequestScope {
    id: Option<HeaderValue>,
    client: ClientAddr,
    user_agent: Option<HeaderValue>,
}

/// The User-Agent of the request being answered on this task, if any.
pub fn current_user_agent() -> Option<HeaderValue> {
    CURRENT_REQUEST
        .try_with(|scope| scope.user_agent.clone())
        .ok()
        .flatten()
}

/// The id of the request being answered on this task, if any.
pub fn current_request_id() -> Option<HeaderValue> {
    CURRENT_REQUEST
        .try_with(|scope| scope.id.clone())
        .ok()
        .flatten()
}

/// The client of the request being answered on this task (none outside a request).
pub fn current_client_addr() -> ClientAddr {
    CURRENT_REQUEST
        .try_with(|scope| scope.client)
        .unwrap_or_default()
}

/// Finds the request's client ([`client_addr::resolve`], put in its extensions) and runs the
/// rest of the stack with the request's id and client in [`CURRENT_REQUEST`]. Sits inside the
/// request-id layer, so the id is known by then (a caller's id is kept as it came).
#[derive(Clone, Default)]
pub struct ScopeLayer {
    policy: Arc<Policy>,
}

impl ScopeLayer {
    pub fn new(policy: Arc<Policy>) -> Self {
        Self { policy }
    }
}

impl<S> Layer<S> for ScopeLayer {
    type Service = Scoped<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Scoped {
            inner,
            policy: self.policy.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Scoped<S> {
    inner: S,
    policy: Arc<Policy>,
}

impl<S> Service<Request> for Scoped<S>
where
    S: Service<Request, Error = Infallible>,
{
    type Response = S::Response;
    type Error = Infallible;
    type Future = TaskLocalFuture<RequestScope, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        client_addr::resolve(&self.policy, &mut request);
        let scope = RequestScope {
            id: request.headers().get(REQUEST_ID).cloned(),
            client: request
                .extensions()
                .get::<ClientAddr>()
                .copied()
                .unwrap_or_default(),
            user_agent: request.headers().get(header::USER_AGENT).cloned(),
        };
        CURRENT_REQUEST.scope(scope, self.inner.call(request))
    }
}
