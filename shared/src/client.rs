//! How one service calls another without importing its internals: through the same routes and
//! JSON a remote caller would use, either in-process (the service's `Router`, called directly)
//! or over HTTP (`<SERVICE>_URL`, split mode). Both transports give the same answers and the same
//! errors; each service crate wraps a [`ServiceClient`] in a typed client of its own.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use bytes::Bytes;
use http_body_util::BodyExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower::ServiceExt;
use url::Url;

use crate::config::Service;
use crate::error::{ApiError, ErrorBody};

/// A service call gives up after this long; callers degrade instead of hanging a page.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
enum Transport {
    InProcess(Router),
    /// In-process, to a router built later (two services that call each other).
    Deferred(Arc<OnceLock<Router>>),
    Http {
        base: Url,
        http: reqwest::Client,
    },
}

/// Where a deferred client's router goes once it is built.
pub struct RouterSlot(Arc<OnceLock<Router>>);

impl RouterSlot {
    pub fn fill(&self, router: Router) {
        let _ = self.0.set(router);
    }
}

#[derive(Clone)]
pub struct ServiceClient {
    service: Service,
    transport: Transport,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The service could not be reached, or did not answer in time.
    #[error("the {service} service is unavailable: {detail}")]
    Unavailable { service: Service, detail: String },
    /// The service answered with an error.
    #[error("the {service} service answered {error}")]
    Api { service: Service, error: ApiError },
    /// The service answered something we could not read.
    #[error("the {service} service sent an unreadable answer: {detail}")]
    Decode { service: Service, detail: String },
}

impl ClientError {
    /// The API error the service answered with, if that is what happened.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            ClientError::Api { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl From<ClientError> for ApiError {
    fn from(err: ClientError) -> Self {
        match err {
            ClientError::Api { error, .. } => error,
            ClientError::Unavailable { service, .. } => {
                tracing::warn!(%err, "service call failed");
                ApiError::unavailable(format!("The {service} service is unavailable right now."))
            }
            ClientError::Decode { .. } => ApiError::internal(err),
        }
    }
}

/// Headers carrying a caller's credential, so the called service applies its own rules to it.
pub fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(value) = axum::http::HeaderValue::from_str(&format!("Bearer {token}")) {
        headers.insert(axum::http::header::AUTHORIZATION, value);
    }
    headers
}

/// A raw answer: status, headers and body.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl ServiceClient {
    /// Calls `router` directly, in this process.
    pub fn in_process(service: Service, router: Router) -> Self {
        Self {
            service,
            transport: Transport::InProcess(router),
        }
    }

    /// Calls a router of this process that is not built yet: services that call each other
    /// (qr asks microsite about pages, microsite asks qr about codes) are built one after the
    /// other, and the first one's client is filled in through the [`RouterSlot`]. Until then a
    /// call answers "unavailable".
    pub fn deferred(service: Service) -> (Self, RouterSlot) {
        let slot = Arc::new(OnceLock::new());
        (
            Self {
                service,
                transport: Transport::Deferred(slot.clone()),
            },
            RouterSlot(slot),
        )
    }

    /// Calls the service over HTTP at `base` (e.g. `http://qr:3011`).
    pub fn http(service: Service, base: Url) -> Self {
        let http = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .connect_timeout(Duration::from_secs(1))
            .build()
            .unwrap_or_default();
        Self {
            service,
            transport: Transport::Http { base, http },
        }
    }

    pub fn service(&self) -> Service {
        self.service
    }

    pub fn is_in_process(&self) -> bool {
        matches!(
            self.transport,
            Transport::InProcess(_) | Transport::Deferred(_)
        )
    }

    /// Sends one request; any answer, success or not, is returned as it came.
    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        mut headers: HeaderMap,
        body: Option<Bytes>,
    ) -> Result<Answer, ClientError> {
        if !headers.contains_key(crate::http::REQUEST_ID)
            && let Some(id) = crate::http::current_request_id()
        {
            headers.insert(crate::http::REQUEST_ID, id);
        }
        if !headers.contains_key(axum::http::header::USER_AGENT)
            && let Some(agent) = crate::http::current_user_agent()
        {
            headers.insert(axum::http::header::USER_AGENT, agent);
        }
        let client = crate::http::current_client_addr();
        let unavailable = |detail: String| ClientError::Unavailable {
            service: self.service,
            detail,
        };
        let in_process = match &self.transport {
            Transport::InProcess(router) => Some(router.clone()),
            Transport::Deferred(slot) => Some(
                slot.get()
                    .cloned()
                    .ok_or_else(|| unavailable("not started yet".into()))?,
            ),
            Transport::Http { .. } => None,
        };
        match (&self.transport, in_process) {
            (_, Some(router)) => {
                let mut request = Request::builder()
                    .method(method)
                    .uri(path_and_query)
                    .body(body.map_or_else(Body::empty, Body::from))
                    .map_err(|e| unavailable(e.to_string()))?;
                *request.headers_mut() = headers;
                // In-process the callee believes the extension: nothing from outside can set it.
                request.extensions_mut().insert(client);
                let call = router.clone().oneshot(request);
                let response = tokio::time::timeout(CALL_TIMEOUT, call)
                    .await
                    .map_err(|_| unavailable("timed out".into()))?
                    .map_err(|e| unavailable(e.to_string()))?;
                let (parts, body) = response.into_parts();
                let body = body
                    .collect()
                    .await
                    .map_err(|e| unavailable(e.to_string()))?
                    .to_bytes();
                Ok(Answer {
                    status: parts.status,
                    headers: parts.headers,
                    body,
                })
            }
            (Transport::Http { base, http }, None) => {
                let url = base
                    .join(path_and_query)
                    .map_err(|e| unavailable(e.to_string()))?;
                // Over HTTP the callee believes this only if we are one of its trusted proxies.
                if let Some(ip) = client.0 {
                    headers.insert(
                        axum::http::HeaderName::from_static("x-forwarded-for"),
                        axum::http::HeaderValue::from_str(&ip.to_string())
                            .expect("an address is a valid header value"),
                    );
                }
                let mut request = http.request(method, url).headers(headers);
                if let Some(body) = body {
                    request = request.body(body);
                }
                let response = request
                    .send()
                    .await
                    .map_err(|e| unavailable(e.to_string()))?;
                let status = response.status();
                let headers = response.headers().clone();
                let body = response
                    .bytes()
                    .await
                    .map_err(|e| unavailable(e.to_string()))?;
                Ok(Answer {
                    status,
                    headers,
                    body,
                })
            }
            // In-process transports always have a router by now (see above).
            (_, None) => Err(unavailable("no router".into())),
        }
    }

    /// Sends JSON (if any) and decodes a JSON answer; an error answer becomes
    /// [`ClientError::Api`] carrying the service's own code and message.
    pub async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path_and_query: &str,
        mut headers: HeaderMap,
        body: Option<&(impl Serialize + Sync)>,
    ) -> Result<T, ClientError> {
        let body = match body {
            Some(value) => {
                headers.insert(
                    axum::http::header::CONTENT_TYPE,
                    axum::http::HeaderValue::from_static("application/json"),
                );
                Some(Bytes::from(serde_json::to_vec(value).map_err(|e| {
                    ClientError::Decode {
                        service: self.service,
                        detail: e.to_string(),
                    }
                })?))
            }
            None => None,
        };
        let answer = self.send(method, path_and_query, headers, body).await?;
        self.decode(answer)
    }

    /// Like [`ServiceClient::json`] for calls whose success answer has no body worth reading
    /// (204, or a body the caller ignores).
    pub async fn call(
        &self,
        method: Method,
        path_and_query: &str,
        headers: HeaderMap,
        body: Option<&(impl Serialize + Sync)>,
    ) -> Result<(), ClientError> {
        let _: serde::de::IgnoredAny = match self.json(method, path_and_query, headers, body).await
        {
            // An empty success body is not JSON: that is fine here.
            Err(ClientError::Decode { .. }) => return Ok(()),
            other => other?,
        };
        Ok(())
    }

    /// Like [`ServiceClient::json`] for a `GET` without a body.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path_and_query: &str,
        headers: HeaderMap,
    ) -> Result<T, ClientError> {
        self.json(Method::GET, path_and_query, headers, None::<&()>)
            .await
    }

    /// Like [`ServiceClient::json`] for a `POST` of `body`.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path_and_query: &str,
        headers: HeaderMap,
        body: &(impl Serialize + Sync),
    ) -> Result<T, ClientError> {
        self.json(Method::POST, path_and_query, headers, Some(body))
            .await
    }

    /// Like [`ServiceClient::call`] for a `POST` of `body`.
    pub async fn post_call(
        &self,
        path_and_query: &str,
        headers: HeaderMap,
        body: &(impl Serialize + Sync),
    ) -> Result<(), ClientError> {
        self.call(Method::POST, path_and_query, headers, Some(body))
            .await
    }

    /// A `POST` without a body (an action its path names: log out, end the other sessions);
    /// any success answer will do.
    pub async fn post_empty(
        &self,
        path_and_query: &str,
        headers: HeaderMap,
    ) -> Result<(), ClientError> {
        self.call(Method::POST, path_and_query, headers, None::<&()>)
            .await
    }

    /// A `DELETE` without a body; any success answer will do.
    pub async fn delete(
        &self,
        path_and_query: &str,
        headers: HeaderMap,
    ) -> Result<(), ClientError> {
        self.success(Method::DELETE, path_and_query, headers, None)
            .await
            .map(|_| ())
    }

    /// Sends one request and hands back a success answer as it came (an image, a file, a CSV);
    /// an error answer becomes [`ClientError::Api`], as in [`ServiceClient::json`].
    pub async fn success(
        &self,
        method: Method,
        path_and_query: &str,
        headers: HeaderMap,
        body: Option<Bytes>,
    ) -> Result<Answer, ClientError> {
        let answer = self.send(method, path_and_query, headers, body).await?;
        if answer.status.is_success() {
            Ok(answer)
        } else {
            Err(self.api_error(&answer))
        }
    }

    pub fn decode<T: DeserializeOwned>(&self, answer: Answer) -> Result<T, ClientError> {
        if !answer.status.is_success() {
            return Err(self.api_error(&answer));
        }
        serde_json::from_slice(&answer.body).map_err(|e| ClientError::Decode {
            service: self.service,
            detail: e.to_string(),
        })
    }

    /// An error answer as [`ClientError::Api`], with the service's own code, message and field
    /// when its body says them.
    fn api_error(&self, answer: &Answer) -> ClientError {
        let error = match serde_json::from_slice::<ErrorBody>(&answer.body) {
            Ok(body) => {
                let error = ApiError::new(answer.status, body.error.code, body.error.message);
                match body.error.field {
                    Some(field) => error.with_field(field),
                    None => error,
                }
            }
            Err(_) => ApiError::from_status(answer.status),
        };
        ClientError::Api {
            service: self.service,
            error,
        }
    }
}
