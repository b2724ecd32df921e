use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    // Answer with a real 404 so that links to removed services are seen as broken.
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <div class="panel not-found">
            <h1>"Not found"</h1>
            <p>"There is no page or service at this address. It may have been removed from the fleet."</p>
            <p><a href="/">"Back to the fleet overview"</a></p>
        </div>
    }
}
