//! The service page's health: current level (live once hydrated), uptime
//! figures, the 90-day bar, the latency chart, each endpoint's last answer
//! with its components, and the incidents.

use leptos::prelude::*;

use crate::api::load_service_health;
use crate::components::health_charts::{HealthPill, LatencyChart, UptimeBar};
use crate::components::live_health::LiveHealth;
use crate::components::service_bits::ErrorPanel;
use shipshape_types::format::utc_timestamp;
use shipshape_types::health::{
    EndpointHealth, IncidentView, ServiceHealth, UptimeFigures, duration_words, percent,
};

#[component]
pub fn HealthSection(slug: String) -> impl IntoView {
    let health = Resource::new(
        {
            let slug = slug.clone();
            move || slug.clone()
        },
        load_service_health,
    );
    let live = LiveHealth::listen();
    view! {
        <section class="card health-section" data-testid="health-section">
            <h2>"Health"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading health…"</p> }>
                {
                    let slug = slug.clone();
                    move || {
                        let slug = slug.clone();
                        Suspend::new(async move {
                            match health.await {
                                Ok(Some(health)) => view! { <HealthView slug health live /> }.into_any(),
                                Ok(None) => ().into_any(),
                                Err(error) => view! {
                                    <ErrorPanel title="Health could not be loaded" message=error.to_string() />
                                }
                                .into_any(),
                            }
                        })
                    }
                }
            </Suspense>
        </section>
    }
}

#[component]
fn HealthView(slug: String, health: ServiceHealth, live: LiveHealth) -> impl IntoView {
    if health.endpoints.is_empty() {
        return view! {
            <p class="muted">"No healthcheck is declared, so there is nothing to poll."</p>
        }
        .into_any();
    }
    let loaded = health.level.map(|level| (level, None));
    let open = health
        .incidents
        .iter()
        .filter(|i| i.ended_ms.is_none())
        .count();
    view! {
        <div class="health-head">
            {move || live.level(&slug, loaded).map(|(level, _)| view! { <HealthPill level /> })}
            {(open > 0).then(|| view! {
                <span class="open-incidents">{format!("{open} open incident{}", if open == 1 { "" } else { "s" })}</span>
            })}
        </div>
        <UptimeTable uptime=health.uptime />
        <h3>"Last 90 days"</h3>
        <UptimeBar days=health.days />
        <h3>"Latency"</h3>
        <LatencyChart points=health.latency />
        <h3>"Endpoints"</h3>
        <ul class="endpoint-list">
            {health.endpoints.into_iter().map(|endpoint| view! { <EndpointCard endpoint /> }).collect_view()}
        </ul>
        <h3>"Incidents"</h3>
        <IncidentList incidents=health.incidents />
    }
    .into_any()
}

#[component]
fn UptimeTable(uptime: UptimeFigures) -> impl IntoView {
    view! {
        <dl class="uptime-figures" data-testid="uptime-figures">
            <div><dt>"24 hours"</dt><dd>{percent(uptime.day)}</dd></div>
            <div><dt>"7 days"</dt><dd>{percent(uptime.week)}</dd></div>
            <div><dt>"30 days"</dt><dd>{percent(uptime.month)}</dd></div>
            <div><dt>"90 days"</dt><dd>{percent(uptime.quarter)}</dd></div>
        </dl>
    }
}

#[component]
fn EndpointCard(endpoint: EndpointHealth) -> impl IntoView {
    let checked = endpoint
        .last_checked_ms
        .map(|ms| format!("checked {}", utc_timestamp(ms)))
        .unwrap_or_else(|| "not checked yet".to_string());
    let answer = match (endpoint.last_status, endpoint.last_latency_ms) {
        (Some(status), Some(ms)) => format!("HTTP {status} in {ms} ms"),
        (None, Some(ms)) if endpoint.last_checked_ms.is_some() => {
            format!("no answer after {ms} ms")
        }
        _ => String::new(),
    };
    let percentiles = format!(
        "p50 {} · p95 {} · p99 {} (24 h)",
        endpoint.p50_ms.map_or("—".into(), |ms| format!("{ms} ms")),
        endpoint.p95_ms.map_or("—".into(), |ms| format!("{ms} ms")),
        endpoint.p99_ms.map_or("—".into(), |ms| format!("{ms} ms")),
    );
    view! {
        <li class="endpoint" data-endpoint=endpoint.id.to_string()>
            <div class="endpoint-head">
                <HealthPill level=endpoint.level />
                <code class="url">{format!("{} {}", endpoint.method, endpoint.url)}</code>
            </div>
            <p class="muted small">
                {checked}" "{answer}
                {endpoint.format.map(|f| format!(" · format {f}"))}
                " · "{percentiles}
            </p>
            {(!endpoint.conforming).then(|| view! {
                <p class="warning small" data-testid="non-conforming">
                    "Non-conforming: the answer is in none of the standard shapes (standard, health+json, Spring Actuator); only its status code is read."
                </p>
            })}
            {endpoint.reason.map(|reason| view! { <p class="error small">{reason}</p> })}
            {(!endpoint.components.is_empty()).then(|| view! {
                <table class="data components">
                    <thead><tr><th scope="col">"Component"</th><th scope="col">"Result"</th><th scope="col">"Detail"</th></tr></thead>
                    <tbody>
                        {endpoint.components.into_iter().map(|c| {
                            let class = format!("verdict verdict-{}", c.verdict);
                            view! {
                                <tr>
                                    <td><code>{c.name}</code></td>
                                    <td><span class=class>{c.verdict}</span></td>
                                    <td>{c.detail.unwrap_or_default()}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            {endpoint.excerpt.map(|excerpt| view! {
                <details class="excerpt">
                    <summary>"Last answer"</summary>
                    <pre>{excerpt}</pre>
                </details>
            })}
        </li>
    }
}

#[component]
pub fn IncidentList(incidents: Vec<IncidentView>) -> impl IntoView {
    if incidents.is_empty() {
        return view! { <p class="muted">"No incident recorded."</p> }.into_any();
    }
    view! {
        <ul class="incidents">
            {incidents.into_iter().map(|incident| {
                let span = match incident.ended_ms {
                    Some(end) => format!(
                        "{} – {} ({})",
                        utc_timestamp(incident.started_ms),
                        utc_timestamp(end),
                        duration_words(end - incident.started_ms)
                    ),
                    None => format!("since {} (ongoing)", utc_timestamp(incident.started_ms)),
                };
                let class = if incident.ended_ms.is_none() { "incident incident-open" } else { "incident" };
                view! {
                    <li class=class>
                        <strong>{span}</strong>
                        <code class="url small">{incident.endpoint_url}</code>
                        {incident.first_detail.map(|d| view! { <p class="small">{format!("First failure: {d}")}</p> })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}
