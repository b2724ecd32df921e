//! Signing in and out (HTML forms, so they work before the page hydrates)
//! and the admin API for accounts, tokens and the audit trail.

use std::net::SocketAddr;

use axum::extract::State;
use axum::extract::connect_info::ConnectInfo;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::Deserialize;
use shipshape_types::auth::{
    AccountUpdate, AccountView, AuditEntryView, CreatedToken, Ended, Me, MyAccount, NewAccount,
    NewPassword, NewToken, PasswordChange, SessionView, TokenView,
};
use shipshape_types::page::{Page, PageRequest, Problem};
use utoipa_axum::routes;

use super::access::{ApiRoutes, session_cookie, session_cookie_header, url_encode};
use super::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, CallerOf};
use crate::auth::Role;
use crate::auth::service::SignInError;
use crate::operations::{OperationError, Operations};

/// `POST /auth/sign-in` and `/auth/sign-out`, outside the JSON API.
pub fn form_routes() -> ApiRoutes {
    ApiRoutes::default()
        .public(routes!(sign_in))
        .needs(Role::Viewer, routes!(sign_out))
}

pub fn api_routes() -> ApiRoutes {
    ApiRoutes::default()
        .public(routes!(me))
        .needs(Role::Viewer, routes!(my_sessions))
        .needs(Role::Viewer, routes!(end_my_session))
        .needs(Role::Viewer, routes!(end_my_other_sessions))
        .needs(Role::Viewer, routes!(change_my_password))
        .needs(Role::Admin, routes!(accounts))
        .needs(Role::Admin, routes!(create_account))
        .needs(Role::Admin, routes!(update_account))
        .needs(Role::Admin, routes!(delete_account))
        .needs(Role::Admin, routes!(reset_password))
        .needs(Role::Admin, routes!(account_sessions))
        .needs(Role::Admin, routes!(end_account_sessions))
        .needs(Role::Admin, routes!(end_account_session))
        .needs(Role::Admin, routes!(tokens))
        .needs(Role::Admin, routes!(create_token))
        .needs(Role::Admin, routes!(revoke_token))
        .needs(Role::Admin, routes!(audit))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct SignInForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// The client's address: the connection's peer, or, when the peer is a
/// trusted proxy, the nearest address in `X-Forwarded-For` that is not
/// one (proxies append, so the entries before it are the client's to
/// write). Pure.
pub fn client_address(
    peer: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    trusted: &[ipnet::IpNet],
) -> Option<std::net::IpAddr> {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = peer?;
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map_while(|entry| entry.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !is_trusted(ip))
            .unwrap_or(peer),
    )
}

/// Only paths on this site are followed after signing in, written in
/// plain URL characters (no spaces, controls or backslashes).
fn local_path(next: &str) -> &str {
    let plain = next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    if plain && next.starts_with('/') && !next.starts_with("//") {
        next
    } else {
        "/"
    }
}

/// Signs in (an HTML form, so it works before the page hydrates) and
/// sends the browser on.
#[utoipa::path(post, path = "/auth/sign-in", request_body(content = SignInForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "On to `next`, or back to the form with what went wrong.")))]
async fn sign_in(
    State(ops): State<Operations>,
    headers: HeaderMap,
    connected: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(form): Form<SignInForm>,
) -> Response {
    let peer = connected.map(|Extension(ConnectInfo(address))| address.ip());
    let address = client_address(peer, &headers, &ops.auth.settings().trusted_proxies)
        .map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
    let next = local_path(&form.next).to_string();
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|agent| agent.to_str().ok());
    let auth = &ops.auth;
    match auth
        .sign_in(&form.username, &form.password, &address, user_agent)
        .await
    {
        Ok(session) => {
            if let Err(error) = auth
                .record(&form.username, "sign in", "/auth/sign-in", 303)
                .await
            {
                tracing::error!("could not record a sign-in in the audit trail: {error}");
            }
            let mut response = Redirect::to(&next).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                session_cookie_header(
                    auth.settings().secure_cookies,
                    &headers,
                    Some((&session.secret, session.max_age_secs)),
                ),
            );
            response
        }
        Err(error) => {
            let code = match error {
                SignInError::Refused => "refused",
                SignInError::Disabled => "disabled",
                SignInError::TooMany { .. } => "limited",
                SignInError::Store(ref cause) => {
                    tracing::error!("a sign-in failed: {cause}");
                    "unavailable"
                }
            };
            // Back to the form (a browser follows only redirects), which
            // says what went wrong.
            Redirect::to(&format!("/sign-in?error={code}&next={}", url_encode(&next)))
                .into_response()
        }
    }
}

#[utoipa::path(post, path = "/auth/sign-out",
    responses((status = 303, description = "Signed out; on to the sign-in page.")))]
async fn sign_out(State(ops): State<Operations>, headers: HeaderMap) -> Response {
    let auth = &ops.auth;
    if let Some(secret) = session_cookie(auth.settings().secure_cookies, &headers)
        && let Err(error) = auth.sign_out(secret).await
    {
        return ApiError::from(OperationError::unavailable("ending a session", error))
            .into_response();
    }
    let mut response = Redirect::to("/sign-in").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie_header(auth.settings().secure_cookies, &headers, None),
    );
    response
}

const PROBLEM_404: &str = "No such account, session or token.";

/// Who the caller is and what they may do; anyone may ask.
#[utoipa::path(get, path = "/me", tag = "accounts",
    responses((status = 200, description = "The caller.", body = Me)))]
async fn me(State(ops): State<Operations>, CallerOf(caller): CallerOf) -> Json<Me> {
    Json(ops.me(&caller))
}

/// The caller's account and live sessions.
#[utoipa::path(get, path = "/me/sessions", tag = "accounts",
    responses(
        (status = 200, description = "The caller's account and sessions.", body = MyAccount),
        (status = 422, description = "An API token has no account.", body = Problem),
    ))]
async fn my_sessions(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
) -> ApiResult<Json<MyAccount>> {
    Ok(Json(ops.my_account(&caller).await?))
}

#[utoipa::path(delete, path = "/me/sessions/{session}", tag = "accounts",
    params(("session" = String, Path, description = "The session's id, as the list gives it.")),
    responses(
        (status = 204, description = "Ended."),
        (status = 404, description = PROBLEM_404, body = Problem),
    ))]
async fn end_my_session(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(session): ApiPath<String>,
) -> ApiResult<StatusCode> {
    ops.end_my_sessions(&caller, Some(&session)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Signs out everywhere but here.
#[utoipa::path(delete, path = "/me/sessions", tag = "accounts",
    responses(
        (status = 200, description = "How many sessions ended.", body = Ended),
        (status = 422, description = "An API token has no account.", body = Problem),
    ))]
async fn end_my_other_sessions(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
) -> ApiResult<Json<Ended>> {
    let ended = ops.end_my_sessions(&caller, None).await?;
    Ok(Json(Ended { ended }))
}

/// Changes the caller's password; their other sessions end.
#[utoipa::path(post, path = "/me/password", tag = "accounts", request_body = PasswordChange,
    responses((status = 204, description = "Changed.")))]
async fn change_my_password(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiJson(change): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    ops.change_my_password(&caller, &change).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/accounts", tag = "accounts", params(PageRequest),
    responses((status = 200, description = "A page of accounts.", body = Page<AccountView>)))]
async fn accounts(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiQuery(page): ApiQuery<PageRequest>,
) -> ApiResult<Json<Page<AccountView>>> {
    Ok(Json(ops.accounts(&caller, &page).await?))
}

#[utoipa::path(post, path = "/accounts", tag = "accounts", request_body = NewAccount,
    responses(
        (status = 201, description = "The account.", body = AccountView),
        (status = 409, description = "The name is taken.", body = Problem),
    ))]
async fn create_account(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiJson(account): ApiJson<NewAccount>,
) -> ApiResult<(StatusCode, Json<AccountView>)> {
    Ok((
        StatusCode::CREATED,
        Json(ops.create_account(&caller, &account).await?),
    ))
}

/// Changes the role, disables (its sessions end and it cannot sign in) or
/// enables. The last enabled admin can be neither demoted nor disabled.
#[utoipa::path(patch, path = "/accounts/{id}", tag = "accounts", request_body = AccountUpdate,
    params(("id" = i64, Path, description = "The account's id.")),
    responses(
        (status = 200, description = "The account.", body = AccountView),
        (status = 404, description = PROBLEM_404, body = Problem),
        (status = 409, description = "The last enabled admin.", body = Problem),
    ))]
async fn update_account(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(id): ApiPath<i64>,
    ApiJson(update): ApiJson<AccountUpdate>,
) -> ApiResult<Json<AccountView>> {
    Ok(Json(ops.update_account(&caller, id, &update).await?))
}

/// The account and its sessions go; the audit trail keeps its name.
#[utoipa::path(delete, path = "/accounts/{id}", tag = "accounts",
    params(("id" = i64, Path, description = "The account's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 404, description = PROBLEM_404, body = Problem),
        (status = 409, description = "The last enabled admin.", body = Problem),
    ))]
async fn delete_account(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    ops.delete_account(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets a new password; every session of the account ends.
#[utoipa::path(put, path = "/accounts/{id}/password", tag = "accounts", request_body = NewPassword,
    params(("id" = i64, Path, description = "The account's id.")),
    responses(
        (status = 204, description = "Set."),
        (status = 404, description = PROBLEM_404, body = Problem),
    ))]
async fn reset_password(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(id): ApiPath<i64>,
    ApiJson(password): ApiJson<NewPassword>,
) -> ApiResult<StatusCode> {
    ops.reset_password(&caller, id, &password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/accounts/{id}/sessions", tag = "accounts",
    params(("id" = i64, Path, description = "The account's id.")),
    responses(
        (status = 200, description = "Where and since when the account is signed in.", body = Vec<SessionView>),
        (status = 404, description = PROBLEM_404, body = Problem),
    ))]
async fn account_sessions(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<SessionView>>> {
    Ok(Json(ops.account_sessions(&caller, id).await?))
}

/// Signs the account out everywhere.
#[utoipa::path(delete, path = "/accounts/{id}/sessions", tag = "accounts",
    params(("id" = i64, Path, description = "The account's id.")),
    responses(
        (status = 200, description = "How many sessions ended.", body = Ended),
        (status = 404, description = PROBLEM_404, body = Problem),
    ))]
async fn end_account_sessions(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Ended>> {
    Ok(Json(ops.end_account_sessions(&caller, id, None).await?))
}

#[utoipa::path(delete, path = "/accounts/{id}/sessions/{session}", tag = "accounts",
    params(
        ("id" = i64, Path, description = "The account's id."),
        ("session" = String, Path, description = "The session's id, as the list gives it."),
    ),
    responses(
        (status = 204, description = "Ended."),
        (status = 404, description = PROBLEM_404, body = Problem),
    ))]
async fn end_account_session(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath((id, session)): ApiPath<(i64, String)>,
) -> ApiResult<StatusCode> {
    ops.end_account_sessions(&caller, id, Some(&session))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/tokens", tag = "accounts", params(PageRequest),
    responses((status = 200, description = "A page of API tokens (never their secrets).", body = Page<TokenView>)))]
async fn tokens(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiQuery(page): ApiQuery<PageRequest>,
) -> ApiResult<Json<Page<TokenView>>> {
    Ok(Json(ops.tokens(&caller, &page).await?))
}

/// A new API token: its secret is in this answer only.
#[utoipa::path(post, path = "/tokens", tag = "accounts", request_body = NewToken,
    responses(
        (status = 201, description = "The token and its secret.", body = CreatedToken),
        (status = 409, description = "A live token has this name already.", body = Problem),
    ))]
async fn create_token(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiJson(token): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    Ok((
        StatusCode::CREATED,
        Json(ops.create_token(&caller, &token).await?),
    ))
}

#[utoipa::path(post, path = "/tokens/{id}/revoke", tag = "accounts",
    params(("id" = i64, Path, description = "The token's id.")),
    responses(
        (status = 204, description = "Revoked."),
        (status = 404, description = PROBLEM_404, body = Problem),
    ))]
async fn revoke_token(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    ops.revoke_token(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every change made by someone known, newest first.
#[utoipa::path(get, path = "/audit", tag = "accounts", params(PageRequest),
    responses((status = 200, description = "A page of audit entries.", body = Page<AuditEntryView>)))]
async fn audit(
    State(ops): State<Operations>,
    CallerOf(caller): CallerOf,
    ApiQuery(page): ApiQuery<PageRequest>,
) -> ApiResult<Json<Page<AuditEntryView>>> {
    Ok(Json(ops.audit(&caller, &page).await?))
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed_after_signing_in() {
        assert_eq!(local_path("/alerts?x=1"), "/alerts?x=1");
        assert_eq!(local_path("//evil.example/"), "/");
        assert_eq!(local_path("https://evil.example/"), "/");
        assert_eq!(local_path("/\\evil.example"), "/");
        assert_eq!(local_path(""), "/");
        assert_eq!(local_path("/a\r\nSet-Cookie: x=1"), "/");
        assert_eq!(
            local_path("/\"><script>"),
            "/\"><script>",
            "encoded where it is used"
        );
    }
}
