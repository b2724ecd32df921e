//! The REST API's OpenAPI 3.1 document, generated from the handlers'
//! `#[utoipa::path]` descriptions and the shared types' schemas, and
//! served at `/api/v1/openapi.json`. The conformance tester in CI reads it
//! from the running server and holds the server to it.

use std::sync::Arc;

use axum::{Extension, Json};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder, ServerBuilder};
use utoipa::{PartialSchema, ToSchema};

use super::access::{BEARER_SCHEME, Described};

/// The document for the `/api/v1` routes described in `described`.
pub fn document((schemas, paths, _): Described) -> OpenApi {
    let mut components = ComponentsBuilder::new()
        .schema(
            shipshape_types::page::Problem::name(),
            shipshape_types::page::Problem::schema(),
        )
        .security_scheme(
            BEARER_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("shipshape_…")
                    .description(Some(
                        "An API token made by an admin (`shipshape token NAME --role ROLE`, or the Admin page).",
                    ))
                    .build(),
            ),
        );
    for (name, schema) in schemas {
        components = components.schema(name, schema);
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Shipshape")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "The health and dependency drift of every service of a fleet, its upgrade pull requests and its alerts. \
                     Lists page with `limit` and `after` (the `next_cursor` of the page before). \
                     Every failure is a JSON problem (RFC 9457) whose `detail` says what is wrong.",
                ))
                .build(),
        )
        .servers(Some([ServerBuilder::new().url("/").build()]))
        .paths(paths)
        .components(Some(components.build()))
        .build()
}

/// This document: the one the running router was built with.
#[utoipa::path(get, path = "/api/v1/openapi.json",
    responses((status = 200, description = "The OpenAPI 3.1 document of the REST API.", content_type = "application/json", body = Object)))]
pub async fn serve_document(Extension(document): Extension<Arc<OpenApi>>) -> Json<Arc<OpenApi>> {
    Json(document)
}
