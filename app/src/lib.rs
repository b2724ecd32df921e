//! Shipshape's user interface. Compiled twice: with `ssr` into the server,
//! which renders every page to HTML, and with `hydrate` into the wasm bundle
//! that makes those pages interactive in the browser.

#![recursion_limit = "256"]

pub mod api;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod components;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

use crate::components::access::provide_me;
use crate::components::layout::Layout;
use crate::pages::{
    account::AccountPage, admin::AdminPage, alerts::AlertsPage, dependencies::DependenciesPage,
    not_found::NotFound, overview::OverviewPage, service::ServicePage, services::ServicesPage,
    sign_in::SignInPage, status::StatusPage, upgrades::UpgradesPage,
};

/// The HTML document around the app, rendered by the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    script_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Every page's Content-Security-Policy: inline scripts run only when they
/// carry this response's nonce (Leptos puts it on its hydration and
/// streaming scripts), other scripts only from this site; the wasm may
/// compile; requests go to this site only.
#[cfg(feature = "ssr")]
fn script_policy() {
    let (Some(nonce), Some(response)) =
        (use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_me();

    view! {
        <Stylesheet id="shipshape-style" href="/pkg/shipshape.css" />
        <Title formatter=|page: String| {
            if page.is_empty() { "Shipshape".to_string() } else { format!("{page} · Shipshape") }
        } />
        <Router>
            <Layout>
                <Routes fallback=|| view! { <NotFound /> }>
                    // Pages with data are rendered whole before the first byte is
                    // sent: they then work without JavaScript (out-of-order
                    // streaming needs a script to put the data in place), and
                    // an unknown slug can still answer with a real 404 status.
                    <Route path=path!("/") view=OverviewPage ssr=SsrMode::Async />
                    <Route path=path!("/services") view=ServicesPage ssr=SsrMode::Async />
                    <Route path=path!("/services/:slug") view=ServicePage ssr=SsrMode::Async />
                    <Route path=path!("/dependencies") view=DependenciesPage ssr=SsrMode::Async />
                    <Route path=path!("/upgrades") view=UpgradesPage />
                    <Route path=path!("/alerts") view=AlertsPage />
                    <Route path=path!("/status") view=StatusPage ssr=SsrMode::Async />
                    <Route path=path!("/sign-in") view=SignInPage />
                    <Route path=path!("/admin") view=AdminPage />
                    <Route path=path!("/account") view=AccountPage />
                </Routes>
            </Layout>
        </Router>
    }
}

/// The wasm bundle's entry point: attaches the app to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    use leptos::mount::hydrate_body;
    console_error_panic_hook::set_once();
    hydrate_body(App);
}
