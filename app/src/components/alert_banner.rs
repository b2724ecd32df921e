//! A firing alert, where people look first: the Overview (every service)
//! and a service's page (its own). Quiet when nothing fires.

use leptos::prelude::*;

use crate::api::load_firing_alerts;
use shipshape_types::alerts::AlertView;
use shipshape_types::format::plural;

#[component]
pub fn FiringAlertsBanner(
    /// One service's slug; empty for the whole fleet.
    #[prop(into)]
    service: Signal<String>,
) -> impl IntoView {
    let firing = Resource::new(move || service.get(), load_firing_alerts);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match firing.await {
                    Ok(alerts) if !alerts.is_empty() => view! { <Banner alerts /> }.into_any(),
                    // The page's own panels report a store that cannot be read.
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Banner(alerts: Vec<AlertView>) -> impl IntoView {
    let critical = alerts.iter().any(|a| a.severity == "critical");
    let class = if critical {
        "panel alert-banner alert-banner-critical"
    } else {
        "panel alert-banner"
    };
    let heading = format!("{} firing", plural(alerts.len(), "alert", "alerts"));
    view! {
        <section class=class role="alert" data-testid="firing-banner">
            <strong>{heading}</strong>
            <ul>
                {alerts.into_iter().take(5).map(|alert| view! {
                    <li>
                        <span class=format!("severity severity-{}", alert.severity)>{alert.severity.clone()}</span>
                        " "
                        <a href=format!("/services/{}", alert.service)>{alert.service.clone()}</a>
                        {format!(" — {}: {}", alert.rule, alert.summary)}
                        {alert.held_reason.map(|reason| view! { <span class="muted">{format!(" ({reason})")}</span> })}
                    </li>
                }).collect_view()}
            </ul>
            <a href="/alerts">"All alerts"</a>
        </section>
    }
}
