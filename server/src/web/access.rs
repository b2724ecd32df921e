//! The one place where the server decides who may do what. Every request
//! passes [`authorize`]: it finds the caller (a bearer token, a session
//! cookie, or nobody), asks the [`Policy`] what the matched route needs,
//! refuses cross-site writes made with a cookie, and records each write in
//! the audit trail. REST routes declare their role where they are added
//! ([`ApiRoutes`]), server functions in [`server_fn_rules`]; whatever is
//! not declared is closed to all but admins.

use std::collections::HashSet;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use leptos::server_fn::ServerFn;
use shipshape_types::page::Problem;
use utoipa::openapi::RefOr;
use utoipa::openapi::path::{Operation, PathItem, Paths};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::SecurityRequirement;
use utoipa_axum::router::UtoipaMethodRouter;

use super::AppState;
use super::error::problem_response;
use crate::auth::policy::{Access, Policy, RouteRule, is_read, same_origin};
use crate::auth::service::AuthService;
use crate::auth::settings::SecureCookies;
use crate::auth::{Caller, Denied, Role, Via};
use crate::operations::OperationError;

pub const SESSION_COOKIE: &str = "shipshape_session";
/// Server-function bodies are kept for the audit trail up to this size.
const AUDITED_ARGUMENTS_MAX: usize = 2_000;

/// A router whose routes carry their access rule and their OpenAPI
/// description, so that the policy, the published document and the tests
/// all read the list the router was built from. Each route is a handler
/// described with `#[utoipa::path]` and added with `utoipa_axum::routes!`:
/// its method and path are written once, in that description.
pub struct ApiRoutes {
    router: Router<AppState>,
    rules: Vec<RouteRule>,
    paths: Paths,
    schemas: Vec<(String, RefOr<Schema>)>,
}

impl Default for ApiRoutes {
    fn default() -> Self {
        ApiRoutes {
            router: Router::new(),
            rules: Vec::new(),
            paths: Paths::new(),
            schemas: Vec::new(),
        }
    }
}

/// The parts of one described route, as `utoipa_axum::routes!` gives them.
pub type Described = UtoipaMethodRouter<AppState>;

impl ApiRoutes {
    /// A route anyone may use, signed in or not.
    pub fn public(self, route: Described) -> Self {
        self.add(Access::Public, route)
    }

    /// A route that needs `role`.
    pub fn needs(self, role: Role, route: Described) -> Self {
        self.add(Access::Needs(role), route)
    }

    fn add(mut self, access: Access, (schemas, mut paths, method_router): Described) -> Self {
        for (path, item) in paths.paths.iter_mut() {
            for (method, operation) in operations_mut(item) {
                self.rules.push(RouteRule {
                    method,
                    path: path.clone(),
                    access,
                });
                describe_access(operation, access);
            }
            // axum merges method routers added for the same path.
            self.router = self.router.route(path, method_router.clone());
        }
        self.paths.merge(paths);
        self.schemas.extend(schemas);
        self
    }

    pub fn merge(mut self, other: ApiRoutes) -> Self {
        self.router = self.router.merge(other.router);
        self.rules.extend(other.rules);
        self.paths.merge(other.paths);
        self.schemas.extend(other.schemas);
        self
    }

    /// The router, its rules and its description, with `prefix` put
    /// before every path (as `Router::nest` does).
    pub fn into_parts(self, prefix: &str) -> (Router<AppState>, Vec<RouteRule>, Described) {
        let rules = self
            .rules
            .into_iter()
            .map(|rule| RouteRule {
                path: format!("{prefix}{}", rule.path),
                ..rule
            })
            .collect();
        let mut paths = Paths::new();
        for (path, item) in self.paths.paths {
            paths.paths.insert(format!("{prefix}{path}"), item);
        }
        (
            self.router.clone(),
            rules,
            (self.schemas, paths, axum::routing::MethodRouter::new()),
        )
    }
}

/// Each operation of a path item, with its method.
fn operations_mut(item: &mut PathItem) -> Vec<(Method, &mut Operation)> {
    [
        (Method::GET, item.get.as_mut()),
        (Method::PUT, item.put.as_mut()),
        (Method::POST, item.post.as_mut()),
        (Method::DELETE, item.delete.as_mut()),
        (Method::PATCH, item.patch.as_mut()),
        (Method::HEAD, item.head.as_mut()),
        (Method::OPTIONS, item.options.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|operation| (method, operation)))
    .collect()
}

/// Adds what every operation of an access level answers besides its own
/// answers: the credentials it needs, the refusals, an input that cannot
/// be read, and a server that cannot answer.
fn describe_access(operation: &mut Operation, access: Access) {
    let problem = |description: &str| {
        let content = utoipa::openapi::ContentBuilder::new()
            .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                "Problem",
            ))))
            .build();
        RefOr::T(
            utoipa::openapi::ResponseBuilder::new()
                .description(description)
                .content("application/problem+json", content)
                .build(),
        )
    };
    let responses = &mut operation.responses.responses;
    if let Access::Needs(role) = access {
        operation.security = Some(vec![SecurityRequirement::new(
            BEARER_SCHEME,
            Vec::<String>::new(),
        )]);
        responses
            .entry("401".into())
            .or_insert_with(|| problem("Nobody is signed in, or the API token is not valid."));
        responses.entry("403".into()).or_insert_with(|| {
            problem(&format!(
                "The caller's role is not enough: this needs the {} role.",
                role.name()
            ))
        });
    }
    let takes_input = operation.request_body.is_some()
        || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    if takes_input {
        responses.entry("422".into()).or_insert_with(|| {
            problem("The request's path, query or body cannot be read, or a value is not valid; the detail says which.")
        });
    }
    if operation.request_body.is_some() {
        responses
            .entry("413".into())
            .or_insert_with(|| problem("The request's body is larger than 1 MiB."));
    }
    responses.entry("503".into()).or_insert_with(|| {
        problem("The server could not finish the request (most often its database); its log has the cause.")
    });
    // A failure's body is a problem, whatever the handler's description
    // called its content type.
    for (status, response) in responses.iter_mut() {
        if let (true, RefOr::T(response)) = (status.starts_with(['4', '5']), response)
            && let Some(content) = response.content.shift_remove("application/json")
        {
            response
                .content
                .insert("application/problem+json".to_string(), content);
        }
    }
}

/// The name of the API-token security scheme in the published document.
pub const BEARER_SCHEME: &str = "bearer";

/// Whether a server function only reads (they are all POSTs): reads are
/// not written to the audit trail.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Effect {
    Reads,
    Writes,
}

/// Each server function, the access it needs and whether it only reads.
/// The status page's data and who the caller is are public.
fn server_fn_table() -> Vec<(&'static str, Access, Effect)> {
    use Effect::{Reads, Writes};
    use shipshape_app::api::*;
    let operator = Access::Needs(Role::Operator);
    let viewer = Access::Needs(Role::Viewer);
    let admin = Access::Needs(Role::Admin);
    vec![
        (LoadStatusPage::PATH, Access::Public, Reads),
        (LoadCurrentUser::PATH, Access::Public, Reads),
        (LoadFleetOverview::PATH, viewer, Reads),
        (LoadServiceDetail::PATH, viewer, Reads),
        (LoadServiceDrift::PATH, viewer, Reads),
        (SearchPackages::PATH, viewer, Reads),
        (LoadServiceHealth::PATH, viewer, Reads),
        (LoadUpgrades::PATH, viewer, Reads),
        (LoadAlerts::PATH, viewer, Reads),
        (LoadFiringAlerts::PATH, viewer, Reads),
        (RefreshServiceNow::PATH, operator, Writes),
        (RunUpgradesNow::PATH, operator, Writes),
        (CreateUpgradeWave::PATH, operator, Writes),
        (CreateSilence::PATH, operator, Writes),
        (ExpireSilence::PATH, operator, Writes),
        (LoadAdmin::PATH, admin, Reads),
        (CreateApiToken::PATH, admin, Writes),
        (RevokeApiToken::PATH, admin, Writes),
        (CreateAccount::PATH, admin, Writes),
        (ChangeAccountRole::PATH, admin, Writes),
        (SetAccountDisabled::PATH, admin, Writes),
        (SetAccountPassword::PATH, admin, Writes),
        (EndAccountSessions::PATH, admin, Writes),
        (DeleteAccount::PATH, admin, Writes),
        // A signed-in person's own account: any role.
        (LoadMyAccount::PATH, viewer, Reads),
        (ChangeMyPassword::PATH, viewer, Writes),
        (EndMySessions::PATH, viewer, Writes),
    ]
}

/// The role each server function needs.
pub fn server_fn_rules() -> Vec<RouteRule> {
    server_fn_table()
        .into_iter()
        .map(|(path, access, _)| RouteRule {
            method: Method::POST,
            path: path.to_string(),
            access,
        })
        .collect()
}

/// The server functions that only read.
pub fn server_fn_reads() -> HashSet<String> {
    server_fn_table()
        .into_iter()
        .filter(|(_, _, effect)| *effect == Effect::Reads)
        .map(|(path, _, _)| path.to_string())
        .collect()
}

/// Pages whose rule is not the default: the status page and signing in
/// are anyone's, the Admin page an admin's; the Account page is declared
/// so that the route walk visits it.
pub fn page_rules() -> Vec<RouteRule> {
    [
        ("/status", Access::Public),
        ("/sign-in", Access::Public),
        ("/admin", Access::Needs(Role::Admin)),
        ("/account", Access::Needs(Role::Viewer)),
    ]
    .into_iter()
    .map(|(path, access)| RouteRule {
        method: Method::GET,
        path: path.to_string(),
        access,
    })
    .collect()
}

/// What [`authorize`] needs: the accounts and the policy.
#[derive(Clone)]
pub struct Guard {
    pub auth: AuthService,
    pub policy: Arc<Policy>,
    /// Server functions that only read (see [`server_fn_reads`]).
    pub reads: Arc<HashSet<String>>,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The session cookie's name over HTTPS: browsers accept a `__Host-`
/// cookie only when it is `Secure`, for this host alone and for every
/// path, so a sibling subdomain cannot plant one (cookie tossing).
pub const SECURE_SESSION_COOKIE: &str = "__Host-shipshape_session";

/// The session secret the browser sent. The `__Host-` cookie is always
/// taken; the plain one only where cookies are not `Secure` (plain HTTP on
/// this machine), so that a cookie planted over HTTP is never read.
pub fn session_cookie(secure: SecureCookies, headers: &HeaderMap) -> Option<&str> {
    let cookies = || {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
    };
    cookies()
        .find(|(name, _)| *name == SECURE_SESSION_COOKIE)
        .or_else(|| {
            (!cookies_are_secure(secure, headers))
                .then(|| cookies().find(|(name, _)| *name == SESSION_COOKIE))
                .flatten()
        })
        .map(|(_, value)| value)
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether cookies are `Secure` for this request. `Auto` leaves them
/// plain only for a browser on this machine talking to it directly: a
/// loopback `Host` with no proxy's forwarding header. A reverse proxy on
/// the same machine adds one (`Forwarded`, `X-Forwarded-For` or
/// `X-Forwarded-Proto`), and gets `Secure` cookies.
pub fn cookies_are_secure(secure: SecureCookies, headers: &HeaderMap) -> bool {
    match secure {
        SecureCookies::Always => true,
        SecureCookies::Never => false,
        SecureCookies::Auto => {
            let forwarded = ["forwarded", "x-forwarded-for", "x-forwarded-proto"]
                .iter()
                .any(|name| headers.contains_key(*name));
            forwarded || !loopback_host(headers)
        }
    }
}

/// True when the browser reached this server on a loopback name or address.
fn loopback_host(headers: &HeaderMap) -> bool {
    let host = header_text(headers, "host").unwrap_or_default();
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The `Set-Cookie` value for a session (`Some(secret)`) or for ending one.
pub fn session_cookie_header(
    secure: SecureCookies,
    request_headers: &HeaderMap,
    session: Option<(&str, i64)>,
) -> HeaderValue {
    let secure = cookies_are_secure(secure, request_headers);
    let (value, max_age) = session.unwrap_or(("", 0));
    let name = if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    };
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}");
    if secure {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).unwrap_or(HeaderValue::from_static(""))
}

fn refusal(status: StatusCode, message: String) -> Response {
    let title = status.canonical_reason().unwrap_or("Refused");
    problem_response(&Problem::new(status.as_u16(), title, message))
}

/// Who is calling: a bearer token wins over a cookie. `Err` is the answer
/// for credentials that are given but not valid.
async fn identify(auth: &AuthService, headers: &HeaderMap) -> Result<Caller, Response> {
    if let Some(token) = bearer(headers) {
        return match auth.token_caller(token).await {
            Ok(Some(caller)) => Ok(caller),
            Ok(None) => Err(refusal(
                StatusCode::UNAUTHORIZED,
                "the API token is not valid (unknown or revoked)".to_string(),
            )),
            Err(error) => Err(problem_response(
                &OperationError::unavailable("checking an API token", error).problem(),
            )),
        };
    }
    if let Some(secret) = session_cookie(auth.settings().secure_cookies, headers) {
        match auth.session_caller(secret).await {
            Ok(Some(caller)) => return Ok(caller),
            Ok(None) => {}
            Err(error) => {
                return Err(problem_response(
                    &OperationError::unavailable("checking a session", error).problem(),
                ));
            }
        }
    }
    Ok(auth.anonymous())
}

/// Form arguments as the audit trail keeps them: any field whose name
/// mentions a password keeps its name, not its value.
fn without_passwords(arguments: &str) -> String {
    arguments
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if name.to_ascii_lowercase().contains("password") => {
                format!("{name}=[hidden]")
            }
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything but unreserved characters and `/`.
pub(super) fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The middleware: identify, decide, check the origin of cookie writes,
/// run the handler, and audit what was written.
pub async fn authorize(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_string());
    let path = request.uri().path().to_string();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or(path.clone(), |pq| pq.as_str().to_string());
    let headers = request.headers().clone();

    let access = guard.policy.required(&method, route.as_deref());
    let caller = match identify(&guard.auth, &headers).await {
        Ok(caller) => caller,
        // Public routes answer whatever the credentials: the healthcheck
        // must say the database is down, not that a token could not be read.
        Err(_) if access == Access::Public => guard.auth.anonymous(),
        Err(answer) => return answer,
    };
    let is_api = path.starts_with("/api/");
    if let Access::Needs(role) = access
        && let Err(denied) = caller.require(role)
    {
        let browser = header_text(&headers, "accept").is_some_and(|a| a.contains("text/html"));
        if denied == Denied::Unauthenticated && browser && !is_api && method == Method::GET {
            return Redirect::to(&format!("/sign-in?next={}", url_encode(&path_and_query)))
                .into_response();
        }
        return problem_response(&OperationError::from(denied).problem());
    }
    let writes = !is_read(&method);
    if writes
        && caller.via != Via::Token
        && let Err(why) = same_origin(
            header_text(&headers, "sec-fetch-site"),
            header_text(&headers, "origin"),
            header_text(&headers, "host"),
        )
    {
        tracing::warn!(caller = %caller.name, %path, "a cross-site write was refused: {why}");
        return refusal(
            StatusCode::FORBIDDEN,
            format!("cross-site request refused: {why}"),
        );
    }

    let mut request = request;
    request.extensions_mut().insert(caller.clone());

    // Changes made by someone known are audited: every write but a server
    // function that loads a page's data (a POST too).
    let changes = writes && caller.authenticated() && !guard.reads.contains(&path);
    if !changes {
        return next.run(request).await;
    }
    // Server functions carry their arguments in the body: keep them for the
    // audit trail (they are form-encoded ids, names and comments).
    let is_server_fn = is_api && !path.starts_with("/api/v1/");
    let (request, target) = if is_server_fn {
        let (parts, body) = request.into_parts();
        let bytes = match axum::body::to_bytes(body, super::MAX_BODY_BYTES).await {
            Ok(bytes) => bytes,
            Err(_) => {
                return refusal(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "the request body is larger than {} bytes",
                        super::MAX_BODY_BYTES
                    ),
                );
            }
        };
        let arguments = without_passwords(&String::from_utf8_lossy(&bytes));
        let mut target = path.clone();
        if !arguments.is_empty() {
            target.push('?');
            target.extend(arguments.chars().take(AUDITED_ARGUMENTS_MAX));
        }
        (Request::from_parts(parts, Body::from(bytes)), target)
    } else {
        (request, path_and_query)
    };
    let response = next.run(request).await;
    let action = format!("{method} {}", route.as_deref().unwrap_or(&path));
    if let Err(error) = guard
        .auth
        .record(&caller.name, &action, &target, response.status().as_u16())
        .await
    {
        tracing::error!(caller = %caller.name, %action, "could not record an audit entry: {error}");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others_and_secure_off_loopback() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; shipshape_session=abc123; other=1"),
        );
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:3000"));
        assert_eq!(
            session_cookie(SecureCookies::Auto, &headers),
            Some("abc123")
        );
        let cookie = session_cookie_header(SecureCookies::Auto, &headers, Some(("s", 60)));
        assert_eq!(
            cookie,
            "shipshape_session=s; Path=/; HttpOnly; SameSite=Lax; Max-Age=60"
        );
        headers.insert(
            header::HOST,
            HeaderValue::from_static("shipshape.example.com"),
        );
        let cookie = session_cookie_header(SecureCookies::Auto, &headers, None);
        assert_eq!(
            cookie,
            "__Host-shipshape_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure"
        );
        // Off loopback the plain cookie (which any HTTP answer could have
        // planted) is not read; the __Host- one is.
        assert_eq!(session_cookie(SecureCookies::Auto, &headers), None);
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("__Host-shipshape_session=s3cure"),
        );
        assert_eq!(
            session_cookie(SecureCookies::Auto, &headers),
            Some("s3cure")
        );
        headers.insert(header::HOST, HeaderValue::from_static("[::1]:3000"));
        assert!(loopback_host(&headers));
        assert!(!cookies_are_secure(SecureCookies::Auto, &headers));
        // A proxy on this machine forwarding `Host: 127.0.0.1`.
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:3000"));
        headers.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.9"));
        assert!(cookies_are_secure(SecureCookies::Auto, &headers));
    }

    #[test]
    fn passwords_in_audited_arguments_are_hidden() {
        assert_eq!(
            without_passwords("username=ada&password=s3cret+words&role=admin"),
            "username=ada&password=[hidden]&role=admin"
        );
        assert_eq!(
            without_passwords("current_password=a&new_password=b&id=3"),
            "current_password=[hidden]&new_password=[hidden]&id=3"
        );
        assert_eq!(without_passwords("id=3"), "id=3");
        assert_eq!(without_passwords(""), "");
    }

    #[test]
    fn bearer_tokens_are_read_case_insensitively() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer shipshape_x"),
        );
        assert_eq!(bearer(&headers), Some("shipshape_x"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&headers), None);
    }
}
