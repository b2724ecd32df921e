//! The Admin page: accounts, API tokens (created with their secret shown
//! once, and revoked) and the audit trail of every write.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{CreateApiToken, RevokeApiToken, load_admin};
use crate::auth::{AdminOverview, Role};
use crate::components::service_bits::ErrorPanel;

#[component]
pub fn AdminPage() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let overview = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| load_admin(),
    );
    view! {
        <Title text="Admin" />
        <div class="page-head">
            <h1>"Admin"</h1>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Reading accounts…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => view! { <Overview overview create revoke /> }.into_any(),
                    Err(error) => view! {
                        <ErrorPanel title="The admin overview could not be read" message=error.to_string() />
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Overview(
    overview: AdminOverview,
    create: ServerAction<CreateApiToken>,
    revoke: ServerAction<RevokeApiToken>,
) -> impl IntoView {
    let AdminOverview {
        accounts,
        tokens,
        audit,
    } = overview;
    let created = move || {
        create.value().get().map(|outcome| match outcome {
            Ok(outcome) => match (outcome.created, outcome.problem) {
                (Some(created), _) => view! {
                    <div class="notice" role="status" data-testid="new-token">
                        <p>{format!("Token {} ({}) — copy it now, it is not shown again:", created.token.name, created.token.role.name())}</p>
                        <code data-testid="new-token-secret">{created.secret}</code>
                    </div>
                }.into_any(),
                (None, problem) => view! {
                    <p class="error" role="alert">{problem.unwrap_or_default()}</p>
                }.into_any(),
            },
            Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
        })
    };
    view! {
        <section class="panel" aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">"API tokens"</h2>
            <ActionForm action=create attr:class="action-form" attr:data-testid="token-form">
                <label class="field"><span>"Name"</span><input name="name" required placeholder="ci-registration" /></label>
                <label class="field">
                    <span>"Role"</span>
                    <select name="role">
                        {Role::ALL.map(|role| view! { <option value=role.name()>{role.name()}</option> })}
                    </select>
                </label>
                <div class="filter-actions"><button type="submit" data-testid="create-token">"Create token"</button></div>
            </ActionForm>
            {created}
            <table class="table" data-testid="tokens">
                <thead><tr><th scope="col">"Name"</th><th scope="col">"Role"</th><th scope="col">"Created"</th><th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                <tbody>
                    {tokens.into_iter().map(|token| view! {
                        <tr data-testid="token">
                            <td>{token.name.clone()}</td>
                            <td>{token.role.name()}</td>
                            <td>{format!("{} by {}", token.created, token.created_by)}</td>
                            <td>{token.last_used.clone().unwrap_or_else(|| "never".to_string())}</td>
                            <td>
                                {match token.revoked.clone() {
                                    Some(when) => view! { <span class="muted">{format!("revoked {when}")}</span> }.into_any(),
                                    None => view! {
                                        <ActionForm action=revoke attr:class="action-form inline-form">
                                            <input type="hidden" name="id" value=token.id.to_string() />
                                            <button type="submit" data-testid="revoke-token">"Revoke"</button>
                                        </ActionForm>
                                    }.into_any(),
                                }}
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <section class="panel" aria-labelledby="accounts-heading">
            <h2 id="accounts-heading">"Accounts"</h2>
            <p class="muted hint">"Accounts are added with " <code>"shipshape user add"</code> " or " <code>"POST /api/v1/accounts"</code> "."</p>
            <table class="table" data-testid="accounts">
                <thead><tr><th scope="col">"Account"</th><th scope="col">"Role"</th><th scope="col">"Created"</th></tr></thead>
                <tbody>
                    {accounts.into_iter().map(|account| view! {
                        <tr><td>{account.username}</td><td>{account.role.name()}</td><td>{account.created}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <section class="panel" aria-labelledby="audit-heading">
            <h2 id="audit-heading">"Audit trail"</h2>
            <table class="table" data-testid="audit">
                <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th><th scope="col">"Target"</th><th scope="col">"Answer"</th></tr></thead>
                <tbody>
                    {audit.into_iter().map(|entry| view! {
                        <tr data-testid="audit-entry">
                            <td>{entry.at}</td>
                            <td>{entry.actor}</td>
                            <td>{entry.action}</td>
                            <td class="small">{entry.target}</td>
                            <td>{entry.status}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
