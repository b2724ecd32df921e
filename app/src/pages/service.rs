use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::load_service_detail;
use crate::components::alert_banner::FiringAlertsBanner;
use crate::components::drift_table::DriftSection;
use crate::components::health_section::HealthSection;
use crate::components::service_bits::{ErrorPanel, RepositoryLink, TagList, TierBadge};
use crate::pages::not_found::NotFound;
use shipshape_types::format::utc_timestamp;
use shipshape_types::model::{HealthEndpointView, ServiceDetail};

#[component]
pub fn ServicePage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let detail = Resource::new(slug, load_service_detail);

    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the service…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(Some(detail)) => view! { <ServiceView detail /> }.into_any(),
                    Ok(None) => view! { <NotFound /> }.into_any(),
                    Err(error) => view! {
                        <ErrorPanel title="The service could not be loaded" message=error.to_string() />
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ServiceView(detail: ServiceDetail) -> impl IntoView {
    let ServiceDetail {
        summary,
        origin,
        health_endpoints,
        first_seen_ms,
        updated_ms,
    } = detail;
    let summary_slug_for_drift = summary.repository.is_some().then(|| summary.slug.clone());
    let slug_for_health = summary.slug.clone();
    let slug_for_alerts = summary.slug.clone();
    view! {
        <Title text=summary.name.clone() />
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <a href="/services">"Services"</a>
            <span aria-hidden="true">" / "</span>
            <span>{summary.slug.clone()}</span>
        </nav>
        <div class="page-head">
            <h1>{summary.name.clone()}</h1>
            <TierBadge tier=summary.tier />
        </div>
        <FiringAlertsBanner service=slug_for_alerts />
        <section class="card">
            <dl class="facts">
                <dt>"Slug"</dt>
                <dd><code>{summary.slug}</code></dd>
                <dt>"Team"</dt>
                <dd class="team">{summary.team}</dd>
                <dt>"Tags"</dt>
                <dd>
                    {if summary.tags.is_empty() {
                        view! { <span class="muted">"None"</span> }.into_any()
                    } else {
                        view! { <TagList tags=summary.tags /> }.into_any()
                    }}
                </dd>
                <dt>"Repository"</dt>
                <dd><RepositoryLink repository=summary.repository /></dd>
                <dt>"Declared in"</dt>
                <dd>{origin.describe()}</dd>
                <dt>"First seen"</dt>
                <dd>{utc_timestamp(first_seen_ms)}</dd>
                <dt>"Last changed"</dt>
                <dd>{utc_timestamp(updated_ms)}</dd>
            </dl>
        </section>
        <HealthSection slug=slug_for_health />
        <section class="card">
            <h2>"Health endpoints"</h2>
            <HealthEndpointTable endpoints=health_endpoints />
        </section>
        {summary_slug_for_drift.map(|slug| view! { <DriftSection slug /> })}
    }
}

#[component]
fn HealthEndpointTable(endpoints: Vec<HealthEndpointView>) -> impl IntoView {
    if endpoints.is_empty() {
        return view! {
            <p class="muted">
                "No health endpoint is declared. Add "<code>"[[service.health]]"</code>
                " with a "<code>"url"</code>" to this service in the fleet file."
            </p>
        }
        .into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="data">
                <thead>
                    <tr>
                        <th scope="col">"URL"</th>
                        <th scope="col">"Method"</th>
                        <th scope="col">"Every"</th>
                        <th scope="col">"Timeout"</th>
                    </tr>
                </thead>
                <tbody>
                    {endpoints
                        .into_iter()
                        .map(|endpoint| view! {
                            <tr>
                                <td><code class="url">{endpoint.url}</code></td>
                                <td>{endpoint.method}</td>
                                <td>{format!("{} s", endpoint.interval_secs)}</td>
                                <td>{format!("{} s", endpoint.timeout_secs)}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
