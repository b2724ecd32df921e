//! Pages whose capability is not built yet. They say so plainly instead of
//! showing made-up data; each is replaced by the real page when its
//! capability lands.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
fn NotTrackedYet(title: &'static str, what: &'static str) -> impl IntoView {
    view! {
        <Title text=title />
        <div class="page-head">
            <h1>{title}</h1>
        </div>
        <div class="panel empty">
            <strong>"Not tracked yet"</strong>
            <p>{what}</p>
        </div>
    }
}

#[component]
pub fn AlertsPage() -> impl IntoView {
    view! { <NotTrackedYet title="Alerts" what="Shipshape does not evaluate alert rules yet." /> }
}
