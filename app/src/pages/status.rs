//! `/status`: the public status page. Read-only, rendered whole on the
//! server so it works without JavaScript: the services marked public,
//! grouped by team (or `?by=tag`), with their current state, 90 days of
//! uptime and open incidents.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::load_status_page;
use crate::components::health_charts::{HealthPill, UptimeBar};
use crate::components::service_bits::ErrorPanel;
use shipshape_types::format::utc_timestamp;
use shipshape_types::health::{
    HealthLevel, StatusGrouping, StatusPageView, StatusService, percent,
};

#[component]
pub fn StatusPage() -> impl IntoView {
    let query = use_query_map();
    let grouping = move || StatusGrouping::from_query(query.read().get_str("by"));
    let page = Resource::new(grouping, load_status_page);
    view! {
        <Title text="Status" />
        <div class="page-head">
            <h1>"Status"</h1>
            <nav class="grouping" aria-label="Group by">
                "Group by "
                <a href="/status" aria-current=move || (grouping() == StatusGrouping::Team).then_some("true")>"team"</a>
                " · "
                <a href="/status?by=tag" aria-current=move || (grouping() == StatusGrouping::Tag).then_some("true")>"tag"</a>
            </nav>
        </div>
        <Suspense fallback=|| view! { <p class="loading">"Loading the status…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <StatusView page /> }.into_any(),
                    Err(error) => view! {
                        <ErrorPanel title="The status could not be loaded" message=error.to_string() />
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

/// The banner's sentence for the worst level among the public services.
pub fn overall_sentence(overall: Option<HealthLevel>) -> &'static str {
    match overall {
        Some(HealthLevel::Up) => "All systems operational",
        Some(HealthLevel::Degraded) => "Some systems degraded",
        Some(HealthLevel::Down) => "Some systems down",
        Some(HealthLevel::Unknown) | Some(HealthLevel::NoData) => "Status not known yet",
        None => "No public services",
    }
}

#[component]
fn StatusView(page: StatusPageView) -> impl IntoView {
    let banner_class = format!(
        "status-banner health-{}",
        page.overall.map_or("no-data", |l| l.name())
    );
    if page.groups.is_empty() {
        return view! {
            <div class="panel empty">
                <strong>"No public services."</strong>
                <p>"Mark a service with "<code>"public = true"</code>" in the fleet file to show it here."</p>
            </div>
        }
        .into_any();
    }
    view! {
        <div class=banner_class role="status" data-testid="status-banner">
            <strong>{overall_sentence(page.overall)}</strong>
            <span class="muted small">{format!(" · as of {}", utc_timestamp(page.generated_ms))}</span>
        </div>
        {page.groups.into_iter().map(|group| view! {
            <section class="card status-group">
                <h2>{group.name}</h2>
                <ul class="status-services">
                    {group.services.into_iter().map(|service| view! { <StatusRow service /> }).collect_view()}
                </ul>
            </section>
        }).collect_view()}
    }
    .into_any()
}

#[component]
fn StatusRow(service: StatusService) -> impl IntoView {
    view! {
        <li class="status-service" data-slug=service.slug.clone()>
            <div class="status-head">
                <strong>{service.name}</strong>
                {match service.level {
                    Some(level) => view! { <HealthPill level /> }.into_any(),
                    None => view! { <span class="muted">"No healthcheck"</span> }.into_any(),
                }}
                <span class="uptime">{format!("{} uptime, 90 days", percent(service.uptime_90d))}</span>
            </div>
            <UptimeBar days=service.days />
            {(!service.open_incidents.is_empty()).then(|| view! {
                <ul class="incidents">
                    {service.open_incidents.into_iter().map(|incident| view! {
                        <li class="incident incident-open">
                            <strong>{format!("Incident since {} (ongoing)", utc_timestamp(incident.started_ms))}</strong>
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banner_speaks_for_the_worst_service() {
        assert_eq!(
            overall_sentence(Some(HealthLevel::Up)),
            "All systems operational"
        );
        assert_eq!(
            overall_sentence(Some(HealthLevel::Down)),
            "Some systems down"
        );
        assert_eq!(overall_sentence(None), "No public services");
    }
}
