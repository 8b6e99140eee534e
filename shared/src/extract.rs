//! Extractors whose rejections are [`ApiError`]s, so malformed input gets the same JSON error
//! shape as every other failure (axum's own extractors answer with plain text).

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `axum::Json` with JSON errors: 400 for broken JSON, 415 without a JSON content type, 413 over
/// the body limit, and 422 naming the field (`blocks[3].url`) when the shape is wrong.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(err) => {
            let text = err.body_text();
            let detail = text
                .split_once("target type: ")
                .map_or(text.as_str(), |(_, rest)| rest);
            match detail.split_once(": ") {
                Some((path, why)) if !path.contains(' ') => {
                    ApiError::invalid(path.to_owned(), format!("{path}: {why}"))
                }
                _ => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_input",
                    detail.to_owned(),
                ),
            }
        }
        JsonRejection::JsonSyntaxError(_) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "The body is not valid JSON.",
        ),
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::from_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        }
        other => ApiError::from_status(other.status()),
    }
}

/// `axum::extract::Query` with a 422 JSON error naming what could not be read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(err)) => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_query",
                err.body_text(),
            )),
            Err(other) => Err(ApiError::from_status(other.status())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::routing::post;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Signup {
        email: String,
        links: Vec<Link>,
    }
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Link {
        url: String,
    }

    async fn send(body: &str, content_type: &str) -> (StatusCode, serde_json::Value) {
        let app = Router::new().route("/", post(|_: Json<Signup>| async { "ok" }));
        let request = axum::http::Request::post("/")
            .header("content-type", content_type)
            .body(Body::from(body.to_owned()))
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    #[tokio::test]
    async fn wrong_shape_names_the_nested_field() {
        let (status, body) = send(
            r#"{"email":"a@b.c","links":[{"url":"x"},{"url":5}]}"#,
            "application/json",
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["field"], "links[1].url");
    }

    #[tokio::test]
    async fn broken_json_and_wrong_content_type() {
        let (status, body) = send("{nope", "application/json").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "malformed_json");
        let (status, body) = send("{}", "text/plain").await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(body["error"]["code"], "unsupported_media_type");
    }
}
