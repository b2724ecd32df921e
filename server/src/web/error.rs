//! How failures cross into HTTP: the cause is logged once here, and the
//! client gets a stable message that says what failed, never the internals.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug)]
pub enum ApiError {
    NotFound(String),
    /// The request cannot be done as asked (a bad query, a service without a repository).
    Invalid(String),
    /// Another owner holds what the request would change.
    Conflict(String),
    Internal {
        what: &'static str,
        cause: String,
    },
}

impl ApiError {
    pub fn internal(what: &'static str, error: impl std::fmt::Display) -> Self {
        ApiError::Internal {
            what,
            cause: error.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::NotFound(message) => {
                (StatusCode::NOT_FOUND, Json(json!({ "error": message }))).into_response()
            }
            ApiError::Conflict(message) => {
                (StatusCode::CONFLICT, Json(json!({ "error": message }))).into_response()
            }
            ApiError::Invalid(message) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "error": message })),
            )
                .into_response(),
            ApiError::Internal { what, cause } => {
                tracing::error!("API request failed while {what}: {cause}");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Json(json!({ "error": format!("Shipshape could not finish {what}; the server log has the cause") })),
                )
                    .into_response()
            }
        }
    }
}

/// A JSON body, or what is wrong with it next to an `example` of a good one.
pub(super) fn json_body<T>(
    body: Result<Json<T>, axum::extract::rejection::JsonRejection>,
    example: &str,
) -> Result<T, ApiError> {
    body.map(|Json(value)| value).map_err(|e| {
        ApiError::Invalid(format!(
            "the body must be JSON like {example}: {}",
            e.body_text()
        ))
    })
}
