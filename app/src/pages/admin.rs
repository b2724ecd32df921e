//! The Admin page: accounts (created, given a role, disabled, signed out,
//! given a new password, deleted), API tokens (created with their secret
//! shown once, and revoked) and the audit trail of every write.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{
    ChangeAccountRole, CreateAccount, CreateApiToken, DeleteAccount, EndAccountSessions,
    RevokeApiToken, SetAccountDisabled, SetAccountPassword, load_admin,
};
use crate::components::service_bits::ErrorPanel;
use shipshape_types::auth::{AccountOutcome, AccountView, AdminOverview, Role};

/// The Admin page's account forms, and the outcome of whichever ran last.
#[derive(Clone, Copy)]
struct AccountActions {
    create: ServerAction<CreateAccount>,
    role: ServerAction<ChangeAccountRole>,
    disabled: ServerAction<SetAccountDisabled>,
    password: ServerAction<SetAccountPassword>,
    sessions: ServerAction<EndAccountSessions>,
    delete: ServerAction<DeleteAccount>,
    last: RwSignal<Option<AccountOutcome>>,
}

impl AccountActions {
    fn new() -> AccountActions {
        let actions = AccountActions {
            create: ServerAction::new(),
            role: ServerAction::new(),
            disabled: ServerAction::new(),
            password: ServerAction::new(),
            sessions: ServerAction::new(),
            delete: ServerAction::new(),
            last: RwSignal::new(None),
        };
        let values = [
            actions.create.value(),
            actions.role.value(),
            actions.disabled.value(),
            actions.password.value(),
            actions.sessions.value(),
            actions.delete.value(),
        ];
        for value in values {
            Effect::new(move |_| {
                let outcome = value.get().map(|result| {
                    result.unwrap_or_else(|error| AccountOutcome::problem(error.to_string()))
                });
                if let Some(outcome) = outcome {
                    actions.last.set(Some(outcome));
                }
            });
        }
        actions
    }

    /// Changes whenever any of the forms has been answered.
    fn version(self) -> usize {
        self.create.version().get()
            + self.role.version().get()
            + self.disabled.version().get()
            + self.password.version().get()
            + self.sessions.version().get()
            + self.delete.version().get()
    }
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let accounts = AccountActions::new();
    let overview = Resource::new(
        move || {
            (
                create.version().get(),
                revoke.version().get(),
                accounts.version(),
            )
        },
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
                    Ok(overview) => view! { <Overview overview create revoke account_actions=accounts /> }.into_any(),
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
    account_actions: AccountActions,
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
        <Accounts accounts actions=account_actions />
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

#[component]
fn Accounts(accounts: Vec<AccountView>, actions: AccountActions) -> impl IntoView {
    let outcome = move || {
        actions.last.get().map(|outcome| match (outcome.done, outcome.problem) {
            (_, Some(problem)) => view! {
                <p class="error" role="alert" data-testid="account-problem">{problem}</p>
            }.into_any(),
            (done, None) => view! {
                <p class="notice" role="status" data-testid="account-done">{done.unwrap_or_default()}</p>
            }.into_any(),
        })
    };
    view! {
        <section class="panel" aria-labelledby="accounts-heading">
            <h2 id="accounts-heading">"Accounts"</h2>
            <ActionForm action=actions.create attr:class="action-form" attr:data-testid="account-form">
                <label class="field"><span>"Name"</span><input name="username" required autocomplete="off" placeholder="ada" /></label>
                <label class="field">
                    <span>"Password"</span>
                    <input name="password" type="password" required minlength="12" autocomplete="new-password" />
                </label>
                <label class="field">
                    <span>"Role"</span>
                    <select name="role">
                        {Role::ALL.map(|role| view! { <option value=role.name()>{role.name()}</option> })}
                    </select>
                </label>
                <div class="filter-actions"><button type="submit" data-testid="create-account">"Add account"</button></div>
            </ActionForm>
            {outcome}
            <table class="table" data-testid="accounts">
                <thead>
                    <tr>
                        <th scope="col">"Account"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Last sign-in"</th>
                        <th scope="col">"Sessions"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {accounts.into_iter().map(|account| view! { <AccountRow account actions /> }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn AccountRow(account: AccountView, actions: AccountActions) -> impl IntoView {
    let id = account.id;
    let role = account.role;
    let role_label = format!("Role of {}", account.username);
    let delete_label = format!("Delete {}", account.username);
    let disabled = account.disabled.is_some();
    let state = account
        .disabled
        .as_ref()
        .map_or_else(|| "active".to_string(), |when| format!("disabled {when}"));
    view! {
        <tr data-testid="account" data-username=account.username.clone() data-disabled=disabled.to_string()>
            <td><strong>{account.username.clone()}</strong><div class="muted small">{format!("since {}", account.created)}</div></td>
            <td>
                <ActionForm action=actions.role attr:class="action-form inline-form">
                    <input type="hidden" name="id" value=id.to_string() />
                    <select name="role" aria-label=role_label data-testid="account-role">
                        {Role::ALL.map(|option| view! {
                            <option value=option.name() selected=role == option>{option.name()}</option>
                        })}
                    </select>
                    <button type="submit" data-testid="change-role">"Change"</button>
                </ActionForm>
            </td>
            <td data-testid="account-state">{state}</td>
            <td>{account.last_sign_in.clone().unwrap_or_else(|| "never".to_string())}</td>
            <td><div class="row-actions">
                <span data-testid="live-sessions">{account.live_sessions}</span>
                {(account.live_sessions > 0).then(|| view! {
                    <ActionForm action=actions.sessions attr:class="action-form inline-form">
                        <input type="hidden" name="id" value=id.to_string() />
                        <button type="submit" class="link-button" data-testid="end-sessions">"Sign out everywhere"</button>
                    </ActionForm>
                })}
            </div></td>
            <td><div class="row-actions">
                <ActionForm action=actions.disabled attr:class="action-form inline-form">
                    <input type="hidden" name="id" value=id.to_string() />
                    <input type="hidden" name="disabled" value=(!disabled).to_string() />
                    <button type="submit" data-testid="toggle-disabled">{if disabled { "Enable" } else { "Disable" }}</button>
                </ActionForm>
                <details class="more">
                    <summary>"More"</summary>
                    <ActionForm action=actions.password attr:class="action-form">
                        <input type="hidden" name="id" value=id.to_string() />
                        <label class="field">
                            <span>"New password"</span>
                            <input name="password" type="password" required minlength="12" autocomplete="new-password" />
                        </label>
                        <button type="submit" data-testid="set-password">"Set password"</button>
                    </ActionForm>
                    <ActionForm action=actions.delete attr:class="action-form">
                        <input type="hidden" name="id" value=id.to_string() />
                        <button type="submit" class="danger" data-testid="delete-account">{delete_label}</button>
                    </ActionForm>
                </details>
            </div></td>
        </tr>
    }
}
