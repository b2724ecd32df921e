//! Signing in and out (HTML forms, so they work before the page hydrates)
//! and the admin API for accounts, tokens and the audit trail.

use std::net::SocketAddr;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use shipshape_types::auth::{
    AccountView, AuditEntryView, CreatedToken, CurrentUser, MyAccount, SessionView, TokenView,
};

use super::access::{ApiRoutes, session_cookie, session_cookie_header, url_encode};
use super::error::{ApiError, json_body};
use crate::auth::Role;
use crate::auth::service::{AccountError, AuthService, Caller, SignInError};

/// `POST /auth/sign-in` and `/auth/sign-out`, outside the JSON API.
pub fn form_routes() -> ApiRoutes {
    ApiRoutes::default()
        .public_write(Method::POST, "/auth/sign-in", sign_in)
        .route(Role::Viewer, Method::POST, "/auth/sign-out", sign_out)
}

pub fn api_routes() -> ApiRoutes {
    ApiRoutes::default()
        .public_read("/me", me)
        .route(Role::Viewer, Method::GET, "/me/sessions", my_sessions)
        .route(
            Role::Viewer,
            Method::DELETE,
            "/me/sessions/{session}",
            end_my_session,
        )
        .route(
            Role::Viewer,
            Method::DELETE,
            "/me/sessions",
            end_my_other_sessions,
        )
        .route(
            Role::Viewer,
            Method::POST,
            "/me/password",
            change_my_password,
        )
        .route(Role::Admin, Method::GET, "/accounts", accounts)
        .route(Role::Admin, Method::POST, "/accounts", create_account)
        .route(Role::Admin, Method::PATCH, "/accounts/{id}", update_account)
        .route(
            Role::Admin,
            Method::DELETE,
            "/accounts/{id}",
            delete_account,
        )
        .route(
            Role::Admin,
            Method::PUT,
            "/accounts/{id}/password",
            reset_password,
        )
        .route(
            Role::Admin,
            Method::GET,
            "/accounts/{id}/sessions",
            account_sessions,
        )
        .route(
            Role::Admin,
            Method::DELETE,
            "/accounts/{id}/sessions",
            end_account_sessions,
        )
        .route(
            Role::Admin,
            Method::DELETE,
            "/accounts/{id}/sessions/{session}",
            end_account_session,
        )
        .route(Role::Admin, Method::GET, "/tokens", tokens)
        .route(Role::Admin, Method::POST, "/tokens", create_token)
        .route(
            Role::Admin,
            Method::POST,
            "/tokens/{id}/revoke",
            revoke_token,
        )
        .route(Role::Admin, Method::GET, "/audit", audit)
}

#[derive(Deserialize)]
struct SignInForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
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

async fn sign_in(
    State(auth): State<AuthService>,
    headers: HeaderMap,
    connected: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(form): Form<SignInForm>,
) -> Response {
    let address = connected.map_or_else(
        || "unknown".to_string(),
        |Extension(ConnectInfo(address))| address.ip().to_string(),
    );
    let next = local_path(&form.next).to_string();
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|agent| agent.to_str().ok());
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

async fn sign_out(State(auth): State<AuthService>, headers: HeaderMap) -> Response {
    if let Some(secret) = session_cookie(&headers)
        && let Err(error) = auth.sign_out(secret).await
    {
        return ApiError::internal("ending a session", error).into_response();
    }
    let mut response = Redirect::to("/sign-in").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie_header(auth.settings().secure_cookies, &headers, None),
    );
    response
}

/// `GET /api/v1/me`: who the caller is and what they may do.
async fn me(user: Option<Extension<CurrentUser>>) -> Json<Value> {
    let user = user.map(|Extension(user)| user);
    Json(json!({
        "name": user.as_ref().map(|u| u.name.clone()),
        "role": user.as_ref().and_then(|u| u.role).map(Role::name),
        "signed_in": user.as_ref().is_some_and(|u| u.signed_in),
    }))
}

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Store(cause) => ApiError::internal("changing accounts", cause),
            AccountError::Taken(_) => ApiError::Conflict(error.to_string()),
            AccountError::Unknown(_) | AccountError::NoSuchId(_) => {
                ApiError::NotFound(error.to_string())
            }
            AccountError::LastAdmin(_) => ApiError::Conflict(error.to_string()),
            other => ApiError::Invalid(other.to_string()),
        }
    }
}

fn role_named(text: &str) -> Result<Role, ApiError> {
    Role::parse(text).ok_or_else(|| ApiError::from(AccountError::BadRole(text.to_string())))
}

async fn accounts(State(auth): State<AuthService>) -> Result<Json<Vec<AccountView>>, ApiError> {
    auth.accounts()
        .await
        .map(Json)
        .map_err(|e| ApiError::internal("reading accounts", e))
}

#[derive(Deserialize)]
struct NewAccount {
    username: String,
    password: String,
    role: String,
}

/// `POST /api/v1/accounts` `{"username", "password", "role"}`.
async fn create_account(
    State(auth): State<AuthService>,
    body: Result<Json<NewAccount>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let account = json_body(
        body,
        r#"{"username": "ada", "password": "at least 12 characters", "role": "operator"}"#,
    )?;
    let role = role_named(&account.role)?;
    let id = auth
        .add_user(&account.username, &account.password, role)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "username": account.username, "role": role.name() })),
    ))
}

/// The account after a change, as the list shows it.
async fn account_view(auth: &AuthService, id: i64) -> Result<AccountView, ApiError> {
    auth.accounts()
        .await
        .map_err(|e| ApiError::internal("reading accounts", e))?
        .into_iter()
        .find(|account| account.id == id)
        .ok_or_else(|| AccountError::NoSuchId(id).into())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountUpdate {
    role: Option<String>,
    disabled: Option<bool>,
}

/// `PATCH /api/v1/accounts/{id}` `{"role": "operator", "disabled": true}`
/// (either or both). The last enabled admin can be neither demoted nor
/// disabled: 409.
async fn update_account(
    State(auth): State<AuthService>,
    Path(id): Path<i64>,
    body: Result<Json<AccountUpdate>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<AccountView>, ApiError> {
    let update = json_body(body, r#"{"role": "operator", "disabled": false}"#)?;
    if update.role.is_none() && update.disabled.is_none() {
        return Err(ApiError::Invalid(
            r#"nothing to change: send "role", "disabled" or both"#.to_string(),
        ));
    }
    let role = update.role.as_deref().map(role_named).transpose()?;
    if let Some(role) = role {
        auth.set_role(id, role).await?;
    }
    if let Some(disabled) = update.disabled {
        auth.set_disabled(id, disabled).await?;
    }
    account_view(&auth, id).await.map(Json)
}

/// `DELETE /api/v1/accounts/{id}`: the account and its sessions go; the
/// audit trail keeps its name.
async fn delete_account(
    State(auth): State<AuthService>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    auth.delete_account(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct NewPassword {
    password: String,
}

/// `PUT /api/v1/accounts/{id}/password` `{"password"}`: every session of
/// the account ends.
async fn reset_password(
    State(auth): State<AuthService>,
    Path(id): Path<i64>,
    body: Result<Json<NewPassword>, axum::extract::rejection::JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let body = json_body(body, r#"{"password": "at least 12 characters"}"#)?;
    auth.reset_password(id, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn account_sessions(
    State(auth): State<AuthService>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<SessionView>>, ApiError> {
    Ok(Json(auth.sessions(id, caller.session.as_deref()).await?))
}

/// `DELETE /api/v1/accounts/{id}/sessions`: signs the account out
/// everywhere.
async fn end_account_sessions(
    State(auth): State<AuthService>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let ended = auth.end_sessions(id, None, None).await?;
    Ok(Json(json!({ "ended": ended })))
}

async fn end_account_session(
    State(auth): State<AuthService>,
    Path((id, session)): Path<(i64, String)>,
) -> Result<StatusCode, ApiError> {
    match auth.end_sessions(id, Some(&session), None).await? {
        0 => Err(ApiError::NotFound(format!(
            "account {id} has no live session {session}"
        ))),
        _ => Ok(StatusCode::NO_CONTENT),
    }
}

/// `GET /api/v1/me/sessions`: the caller's account and live sessions.
async fn my_sessions(
    State(auth): State<AuthService>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<MyAccount>, ApiError> {
    Ok(Json(auth.my_account(&caller).await?))
}

async fn end_my_session(
    State(auth): State<AuthService>,
    Extension(caller): Extension<Caller>,
    Path(session): Path<String>,
) -> Result<StatusCode, ApiError> {
    match auth.end_my_sessions(&caller, Some(&session)).await? {
        0 => Err(ApiError::NotFound(format!(
            "you have no live session {session}"
        ))),
        _ => Ok(StatusCode::NO_CONTENT),
    }
}

/// `DELETE /api/v1/me/sessions`: signs out everywhere but here.
async fn end_my_other_sessions(
    State(auth): State<AuthService>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Value>, ApiError> {
    let ended = auth.end_my_sessions(&caller, None).await?;
    Ok(Json(json!({ "ended": ended })))
}

#[derive(Deserialize)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// `POST /api/v1/me/password` `{"current_password", "new_password"}`:
/// the caller's other sessions end.
async fn change_my_password(
    State(auth): State<AuthService>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<PasswordChange>, axum::extract::rejection::JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let body = json_body(
        body,
        r#"{"current_password": "…", "new_password": "at least 12 characters"}"#,
    )?;
    auth.change_own_password(&caller, &body.current_password, &body.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn tokens(State(auth): State<AuthService>) -> Result<Json<Vec<TokenView>>, ApiError> {
    auth.tokens()
        .await
        .map(Json)
        .map_err(|e| ApiError::internal("reading API tokens", e))
}

#[derive(Deserialize)]
struct NewToken {
    name: String,
    role: String,
}

/// `POST /api/v1/tokens` `{"name", "role"}`: the secret is in this answer only.
async fn create_token(
    State(auth): State<AuthService>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<NewToken>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let token = json_body(body, r#"{"name": "ci-registration", "role": "operator"}"#)?;
    let role = role_named(&token.role)?;
    let created = auth.create_token(&token.name, role, &caller.name).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn revoke_token(
    State(auth): State<AuthService>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    match auth.revoke_token(id).await {
        Ok(true) => Ok(StatusCode::NO_CONTENT),
        Ok(false) => Err(ApiError::NotFound(format!(
            "no live API token with id {id}"
        ))),
        Err(error) => Err(ApiError::internal("revoking an API token", error)),
    }
}

#[derive(Deserialize)]
struct AuditQuery {
    before: Option<i64>,
    limit: Option<i64>,
}

/// `GET /api/v1/audit?before=ID&limit=N`: newest first.
async fn audit(
    State(auth): State<AuthService>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Vec<AuditEntryView>>, ApiError> {
    auth.audit(query.before, query.limit.unwrap_or(100))
        .await
        .map(Json)
        .map_err(|e| ApiError::internal("reading the audit trail", e))
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
