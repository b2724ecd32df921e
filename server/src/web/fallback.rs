//! What happens to a path no route declares. A page renders only through
//! its declared route, behind the access check: another spelling of a
//! page's path (`/admin/`, `//admin`, `/%2e/admin`, `/x/../admin`) is sent
//! to the one spelling the router knows, and a path nobody declared gets a
//! file of the built site (the wasm bundle, the stylesheet) or "not
//! found", never the app rendered with data.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use leptos::prelude::LeptosOptions;
use shipshape_types::page::Problem;
use tower::ServiceExt;
use tower_http::services::ServeDir;

use super::error::problem_response;

/// The one spelling of `path` a route could match, when `path` is spelled
/// another way: percent-encoded letters, digits and `-._~` decoded (other
/// escapes kept, with upper-case hex), empty and `.` segments dropped, `..`
/// taking the segment before it away, no trailing slash. `None` when `path`
/// is already that spelling. Pure.
pub fn canonical_path(path: &str) -> Option<String> {
    let decoded = decode_unreserved(path);
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let canonical = format!("/{}", segments.join("/"));
    (canonical != path).then_some(canonical)
}

fn decode_unreserved(path: &str) -> String {
    if !path.is_ascii() {
        return path.to_string();
    }
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && let Some(value) = path
                .get(index + 1..index + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            if value.is_ascii_alphanumeric() || matches!(value, b'-' | b'.' | b'_' | b'~') {
                out.push(value as char);
            } else {
                out.push_str(&format!("%{value:02X}"));
            }
            index += 3;
            continue;
        }
        out.push(bytes[index] as char);
        index += 1;
    }
    out
}

/// Sends a page read spelled another way to its one spelling (308, query
/// kept), before any route or the fallback sees it. The REST API and the
/// server functions are matched exactly and not redirected: a client is
/// told "not found" rather than moved.
pub async fn canonical_pages(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let is_read = matches!(*request.method(), Method::GET | Method::HEAD);
    if is_read
        && !path.starts_with("/api/")
        && let Some(canonical) = canonical_path(path)
    {
        let target = match request.uri().query() {
            Some(query) => format!("{canonical}?{query}"),
            None => canonical,
        };
        return Redirect::permanent(&target).into_response();
    }
    next.run(request).await
}

/// The fallback: a file of the built site, or "not found" (a problem for
/// the API, a short page for a browser).
pub async fn static_file_or_not_found(
    State(options): State<LeptosOptions>,
    request: Request,
) -> Response {
    let path = request.uri().path().to_string();
    if matches!(*request.method(), Method::GET | Method::HEAD) && !path.starts_with("/api/") {
        let site =
            ServeDir::new(options.site_root.as_ref()).append_index_html_on_directories(false);
        if let Ok(response) = site.oneshot(request).await
            && response.status() != StatusCode::NOT_FOUND
        {
            return response.map(Body::new);
        }
    }
    if path.starts_with("/api/") {
        return problem_response(&Problem::new(
            404,
            "Not Found",
            "no route answers this method and path; the API is described at /api/v1/openapi.json",
        ));
    }
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        NOT_FOUND_PAGE,
    )
        .into_response()
}

const NOT_FOUND_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Not found · Shipshape</title></head>\
<body><main><h1>Not found</h1><p>Shipshape has no page at this address.</p>\
<p><a href=\"/\">Go to the Overview</a></p></main></body></html>\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_page_leads_to_one_path() {
        for spelled in [
            "/admin/",
            "//admin",
            "/./admin",
            "/%2e/admin",
            "/%2E/admin/.",
            "/x/../admin",
            "/%61dmin",
            "/admin//",
            "/services/../admin",
        ] {
            assert_eq!(
                canonical_path(spelled).as_deref(),
                Some("/admin"),
                "{spelled}"
            );
        }
        assert_eq!(canonical_path("/admin"), None);
        assert_eq!(canonical_path("/"), None);
        assert_eq!(canonical_path("/services/checkout-api"), None);
        assert_eq!(canonical_path("/../..").as_deref(), Some("/"));
        assert_eq!(canonical_path("//").as_deref(), Some("/"));
        // An encoded slash stays a character of its segment.
        assert_eq!(canonical_path("/a%2fb").as_deref(), Some("/a%2Fb"));
        assert_eq!(canonical_path("/a%2Fb"), None);
    }
}
