//! The Account page: a signed-in person changes their own password and
//! sees where they are signed in, ending sessions they do not recognise.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{ChangeMyPassword, EndMySessions, load_my_account};
use crate::components::service_bits::ErrorPanel;
use shipshape_types::auth::{AccountOutcome, MyAccount};

/// The outcome line of a form on this page, once it has been answered.
fn outcome_line(
    value: Option<Result<AccountOutcome, ServerFnError>>,
    testid: &'static str,
) -> Option<AnyView> {
    let outcome = value?.unwrap_or_else(|error| AccountOutcome::problem(error.to_string()));
    Some(match (outcome.done, outcome.problem) {
        (_, Some(problem)) => {
            view! { <p class="error" role="alert" data-testid=testid>{problem}</p> }.into_any()
        }
        (done, None) => view! {
            <p class="notice" role="status" data-testid=testid>{done.unwrap_or_default()}</p>
        }
        .into_any(),
    })
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let password = ServerAction::<ChangeMyPassword>::new();
    let end = ServerAction::<EndMySessions>::new();
    let account = Resource::new(
        move || (password.version().get(), end.version().get()),
        |_| load_my_account(),
    );
    view! {
        <Title text="Your account" />
        <div class="page-head">
            <h1>"Your account"</h1>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Reading your account…"</p> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(Some(account)) => view! { <Account account password end /> }.into_any(),
                    Ok(None) => view! {
                        <p class="muted">"You are not signed in with an account (an API token has none): there is nothing to manage here."</p>
                    }.into_any(),
                    Err(error) => view! {
                        <ErrorPanel title="Your account could not be read" message=error.to_string() />
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Account(
    account: MyAccount,
    password: ServerAction<ChangeMyPassword>,
    end: ServerAction<EndMySessions>,
) -> impl IntoView {
    let others = account.sessions.iter().filter(|s| !s.current).count();
    view! {
        <p data-testid="account-summary">
            {format!("Signed in as {}, with the {} role.", account.username, account.role.name())}
        </p>
        <section class="panel" aria-labelledby="password-heading">
            <h2 id="password-heading">"Password"</h2>
            <ActionForm action=password attr:class="action-form" attr:data-testid="password-form">
                <label class="field">
                    <span>"Current password"</span>
                    <input name="current_password" type="password" required autocomplete="current-password" data-testid="current-password" />
                </label>
                <label class="field">
                    <span>"New password"</span>
                    <input name="new_password" type="password" required minlength="12" autocomplete="new-password" data-testid="new-password" />
                </label>
                <div class="filter-actions"><button type="submit" data-testid="change-password">"Change password"</button></div>
            </ActionForm>
            {move || outcome_line(password.value().get(), "password-outcome")}
            <p class="muted hint">"Changing it signs you out everywhere else."</p>
        </section>
        <section class="panel" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Where you are signed in"</h2>
            {move || outcome_line(end.value().get(), "sessions-outcome")}
            <table class="table" data-testid="my-sessions">
                <thead>
                    <tr>
                        <th scope="col">"Signed in"</th>
                        <th scope="col">"Last seen"</th>
                        <th scope="col">"Address"</th>
                        <th scope="col">"Browser"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {account.sessions.into_iter().map(|session| view! {
                        <tr data-testid="my-session" data-current=session.current.to_string()>
                            <td>{session.started.clone()}</td>
                            <td>{session.last_seen.clone().unwrap_or_default()}</td>
                            <td>{session.address.clone().unwrap_or_default()}</td>
                            <td class="small">{session.user_agent.clone().unwrap_or_default()}</td>
                            <td>
                                {if session.current {
                                    view! { <span class="muted">"this session"</span> }.into_any()
                                } else {
                                    view! {
                                        <ActionForm action=end attr:class="action-form inline-form">
                                            <input type="hidden" name="session" value=session.id.clone() />
                                            <button type="submit" class="link-button" data-testid="end-session">"End"</button>
                                        </ActionForm>
                                    }.into_any()
                                }}
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {(others > 0).then(|| view! {
                <ActionForm action=end attr:class="action-form">
                    <input type="hidden" name="session" value="" />
                    <button type="submit" data-testid="end-other-sessions">{format!("Sign out the {others} other session(s)")}</button>
                </ActionForm>
            })}
        </section>
    }
}
