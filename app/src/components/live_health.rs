//! Health changes pushed by the server while a page is open: once the
//! wasm runs, an `EventSource` on `/api/v1/health/events` feeds a signal
//! that cards read before what the page was rendered with. Rendered on the
//! server (or without JavaScript) the signal stays empty and the page shows
//! what it loaded. When the server says the stream fell behind (`lagged`:
//! changes were dropped), the page loads again, so what it shows is never
//! a mix of old and new.

use std::collections::HashMap;

use leptos::prelude::*;

use shipshape_types::health::{HealthChange, HealthLevel};

#[derive(Clone, Copy)]
pub struct LiveHealth(RwSignal<HashMap<String, HealthChange>>);

impl LiveHealth {
    /// Starts listening (in the browser) for as long as the calling
    /// component lives.
    pub fn listen() -> Self {
        let changes = RwSignal::new(HashMap::new());
        #[cfg(feature = "hydrate")]
        subscribe(changes);
        LiveHealth(changes)
    }

    /// The newest level of a service, or `loaded` when nothing has changed
    /// since the page was rendered.
    pub fn level(
        self,
        slug: &str,
        loaded: Option<(HealthLevel, Option<i64>)>,
    ) -> Option<(HealthLevel, Option<i64>)> {
        self.0
            .with(|changes| changes.get(slug).map(|c| (c.level, Some(c.since_ms))))
            .or(loaded)
    }
}

#[cfg(feature = "hydrate")]
fn subscribe(changes: RwSignal<HashMap<String, HealthChange>>) {
    use send_wrapper::SendWrapper;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    let Ok(source) = web_sys::EventSource::new("/api/v1/health/events") else {
        leptos::logging::warn!("live health: the browser refused an EventSource");
        return;
    };
    let on_change =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            match serde_json::from_str::<HealthChange>(&text) {
                Ok(change) => changes.update(|all| {
                    all.insert(change.slug.clone(), change);
                }),
                Err(error) => leptos::logging::warn!("live health: unreadable change: {error}"),
            }
        });
    let on_lagged = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(|_| {
        leptos::logging::warn!("live health: changes were missed; loading the page again");
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    });
    let listening = source
        .add_event_listener_with_callback("health", on_change.as_ref().unchecked_ref())
        .and_then(|()| {
            source.add_event_listener_with_callback("lagged", on_lagged.as_ref().unchecked_ref())
        });
    if listening.is_err() {
        return;
    }
    // The browser reconnects by itself after a network blip; the stream
    // and its callbacks go when the component does.
    let held = SendWrapper::new((source, on_change, on_lagged));
    on_cleanup(move || {
        let (source, on_change, on_lagged) = held.take();
        source.close();
        drop((on_change, on_lagged));
    });
}
