//! The sign-in page: a plain HTML form posted to `/auth/sign-in`, so that
//! it works before (and without) the wasm bundle.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next").unwrap_or_else(|| "/".to_string()));
    let problem = move || {
        query.with(|q| match q.get("error").as_deref() {
            Some("refused") => Some("The account name or the password is wrong."),
            Some("disabled") => Some("This account is disabled: ask an admin to enable it."),
            Some("limited") => Some("Too many failed sign-ins: wait a few minutes and try again."),
            Some("unavailable") => {
                Some("Shipshape could not check the sign-in; the server log has the cause.")
            }
            _ => None,
        })
    };
    view! {
        <Title text="Sign in" />
        <section class="panel sign-in">
            <h1>"Sign in"</h1>
            {move || problem().map(|text| view! { <p class="error" role="alert" data-testid="sign-in-error">{text}</p> })}
            <form method="post" action="/auth/sign-in" class="action-form" data-testid="sign-in-form">
                <input type="hidden" name="next" value=next />
                <label class="field">
                    <span>"Account"</span>
                    <input name="username" autocomplete="username" required data-testid="username" />
                </label>
                <label class="field">
                    <span>"Password"</span>
                    <input name="password" type="password" autocomplete="current-password" required data-testid="password" />
                </label>
                <div class="filter-actions">
                    <button type="submit" data-testid="sign-in">"Sign in"</button>
                </div>
            </form>
            <p class="muted hint">
                "Accounts are created by an admin. The first admin comes from "
                <code>"shipshape user add --admin NAME"</code>
                "."
            </p>
        </section>
    }
}
