use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::access::{IfAllowed, UserMenu};
use shipshape_types::auth::Role;

/// The frame of every page: the brand, the navigation and the content.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    // Effects run only in the browser: once this one has run, the wasm bundle
    // has hydrated the page. End-to-end tests and styles key off the marker.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));

    view! {
        <div class="app" data-hydrated=move || hydrated.get().to_string()>
            <header class="topbar">
                <a class="brand" href="/">
                    <img src="/favicon.svg" alt="" width="28" height="28" />
                    <span>"Shipshape"</span>
                </a>
                <nav class="mainnav" aria-label="Main">
                    <A href="/" exact=true>"Overview"</A>
                    <A href="/services">"Services"</A>
                    <A href="/dependencies">"Dependencies"</A>
                    <A href="/upgrades">"Upgrades"</A>
                    <A href="/alerts">"Alerts"</A>
                    <A href="/status">"Status"</A>
                    <IfAllowed role=Role::Admin>
                        <A href="/admin">"Admin"</A>
                    </IfAllowed>
                </nav>
                <UserMenu />
            </header>
            <main class="content">{children()}</main>
        </div>
    }
}
