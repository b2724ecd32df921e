//! How an [`OperationError`] crosses into HTTP for the REST API: an RFC 9457
//! JSON problem with the status the operation chose. (The pages render the
//! same problem as a message: `ui_backend`.) Also the extractors that read
//! a request's path, query and body, so that an input that cannot be read
//! is answered the same way as one that is read and found wrong: 422, with
//! what is wrong.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use shipshape_types::auth::Caller;
use shipshape_types::page::Problem;

use crate::common::suggest::closest;
use crate::operations::OperationError;

/// The REST rendering of a problem.
pub fn problem_response(problem: &Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, Json(problem)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"shipshape\""),
        );
    }
    response
}

/// The error of a REST handler: the operation's, rendered once.
#[derive(Debug)]
pub struct ApiError(pub OperationError);

impl From<OperationError> for ApiError {
    fn from(error: OperationError) -> Self {
        ApiError(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        problem_response(&self.0.problem())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A body over `MAX_BODY_BYTES`: its own status, so a script knows not to
/// send it again as it is.
pub fn too_large() -> ApiError {
    ApiError(OperationError::TooLarge(format!(
        "the request body is larger than {} bytes",
        super::MAX_BODY_BYTES
    )))
}

fn invalid(message: String) -> ApiError {
    ApiError(OperationError::Invalid(message))
}

/// serde's "unknown field `x`, expected one of `a`, `b`" with the nearest
/// known field suggested.
fn with_suggestion(message: String) -> String {
    let Some(unknown) = message
        .split("unknown field `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
    else {
        return message;
    };
    let Some(expected) = message.split("expected one of ").nth(1) else {
        return message;
    };
    let known: Vec<&str> = expected
        .split(", ")
        .map(|field| field.trim_matches(|c: char| c == '`' || c.is_whitespace()))
        .map(|field| field.split('`').next().unwrap_or(field))
        .collect();
    match closest(unknown, &known) {
        Some(suggestion) => format!("{message}; did you mean `{suggestion}`?"),
        None => message,
    }
}

/// The caller the access check found; a request that did not pass it
/// (a route outside the middleware) is anonymous with no role, so every
/// operation behind it refuses.
pub struct CallerOf(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for CallerOf {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(CallerOf(
            parts
                .extensions
                .get::<Caller>()
                .cloned()
                .unwrap_or_else(|| Caller::anonymous(None)),
        ))
    }
}

/// A JSON body; one that cannot be read is a 422 that says why.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(too_large())
            }
            Err(rejection) => Err(invalid(body_problem(&rejection))),
        }
    }
}

fn body_problem(rejection: &JsonRejection) -> String {
    let text = rejection.body_text();
    let text = text
        .strip_prefix("Failed to deserialize the JSON body into the target type: ")
        .unwrap_or(&text)
        .to_string();
    with_suggestion(format!("the body is not what this request takes: {text}"))
}

/// Query parameters; ones that cannot be read are a 422.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(invalid(query_problem(&rejection))),
        }
    }
}

fn query_problem(rejection: &QueryRejection) -> String {
    let text = rejection.body_text();
    let text = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&text)
        .to_string();
    with_suggestion(format!("the query is not what this request takes: {text}"))
}

/// Path parameters (an id that is not a number is a 422, not a 400).
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(invalid(path_problem(&rejection))),
        }
    }
}

fn path_problem(rejection: &PathRejection) -> String {
    format!(
        "the path is not one this API has: {}",
        rejection.body_text()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_field_gets_the_nearest_known_one() {
        assert_eq!(
            with_suggestion(
                "unknown field `tierr`, expected one of `slug`, `team`, `tier` at line 1".into()
            ),
            "unknown field `tierr`, expected one of `slug`, `team`, `tier` at line 1; did you mean `tier`?"
        );
        assert_eq!(
            with_suggestion("missing field `team`".into()),
            "missing field `team`"
        );
    }
}
