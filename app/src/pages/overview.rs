use crate::components::alert_banner::FiringAlertsBanner;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::load_fleet_overview;
use crate::components::health_charts::{HealthPill, Sparkline};
use crate::components::in_place;
use crate::components::live_health::LiveHealth;
use crate::components::service_bits::{ErrorPanel, RepositoryLink, TagList, TierBadge};
use shipshape_types::format::{plural, utc_timestamp};
use shipshape_types::health::percent;
use shipshape_types::model::{
    FleetFileStatus, FleetFilter, FleetOverview, OrgDiscoveryStatus, ServiceSummary,
};

/// The fleet at a glance. The filter lives in the URL: without JavaScript the
/// form submits a GET and the server renders the filtered list; once the wasm
/// has hydrated the page, every keystroke and choice filters in place.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| load_fleet_overview());

    view! {
        <Title text="Overview" />
        <div class="page-head">
            <h1>"Fleet overview"</h1>
        </div>
        <FiringAlertsBanner service="" />
        <Suspense fallback=|| view! { <p class="loading">"Loading the fleet…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => view! { <FleetView overview /> }.into_any(),
                    Err(error) => view! {
                        <ErrorPanel title="The fleet could not be loaded" message=error.to_string() />
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn FleetView(overview: FleetOverview) -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let query = query.read();
        FleetFilter::from_query(|key| query.get_str(key))
    });
    let teams = overview.teams();
    let tags = overview.tags();
    let total = overview.services.len();
    let services = StoredValue::new(overview.services);
    let live = LiveHealth::listen();

    let navigate = use_navigate();
    let apply = move |filter: FleetFilter| {
        navigate(&format!("/{}", filter.to_query()), in_place());
    };
    let on_search = {
        let apply = apply.clone();
        move |ev| {
            let search = Some(event_target_value(&ev)).filter(|v: &String| !v.trim().is_empty());
            apply(FleetFilter {
                search,
                ..filter.get_untracked()
            });
        }
    };
    let set_team = {
        let apply = apply.clone();
        move |team| {
            apply(FleetFilter {
                team,
                ..filter.get_untracked()
            })
        }
    };
    let set_tag = {
        let apply = apply.clone();
        move |tag| {
            apply(FleetFilter {
                tag,
                ..filter.get_untracked()
            })
        }
    };
    // After hydration the button filters in place like the fields do.
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        apply(filter.get_untracked());
    };

    let shown = move || {
        services.with_value(|all| {
            filter.with(|f| f.apply(all).into_iter().cloned().collect::<Vec<_>>())
        })
    };

    view! {
        {overview.fleet_file.map(|status| view! { <FleetFileNotice status /> })}
        {overview
            .discovery
            .into_iter()
            .map(|status| view! { <DiscoveryNotice status /> })
            .collect_view()}
        {(!overview.failing_channels.is_empty()).then(|| view! {
            <div class="panel panel-warning" data-testid="failing-channels" role="alert">
                <strong>"Alerts are not getting through: "</strong>
                {overview.failing_channels.join("; ")}
                " "<a href="/alerts">"See the Alerts page"</a>
            </div>
        })}
        <form class="filters" method="get" action="/" role="search" on:submit=on_submit>
            <label class="field field-search">
                <span>"Search"</span>
                <input
                    type="search"
                    name="q"
                    placeholder="Name or slug"
                    autocomplete="off"
                    prop:value=move || filter.with(|f| f.search.clone().unwrap_or_default())
                    on:input=on_search
                />
            </label>
            <ChoiceFilter
                name="team"
                label="Team"
                any_label="All teams"
                options=teams
                current=Signal::derive(move || filter.with(|f| f.team.clone()))
                on_choose=set_team
            />
            <ChoiceFilter
                name="tag"
                label="Tag"
                any_label="All tags"
                options=tags
                current=Signal::derive(move || filter.with(|f| f.tag.clone()))
                on_choose=set_tag
            />
            <div class="filter-actions">
                <button type="submit">"Filter"</button>
                <a class="button-secondary" href="/">"Clear"</a>
            </div>
        </form>
        {move || {
            let shown = shown();
            let count = shown.len();
            if total == 0 {
                view! {
                    <div class="panel empty">
                        <strong>"No services yet."</strong>
                        <p>
                            "Declare services as "<code>"[[service]]"</code>" tables in "
                            <code>"shipshape.toml"</code>" and they appear here within seconds."
                        </p>
                    </div>
                }
                .into_any()
            } else if count == 0 {
                view! {
                    <p class="result-count" aria-live="polite">{format!("No service of {total} matches this filter.")}</p>
                }
                .into_any()
            } else {
                view! {
                    <p class="result-count" aria-live="polite">
                        {if count == total {
                            format!("All {}", plural(total, "service", "services"))
                        } else {
                            format!("{count} of {}", plural(total, "service", "services"))
                        }}
                    </p>
                    <ul class="service-grid">
                        {shown.into_iter().map(|service| view! { <ServiceCard service live /> }).collect_view()}
                    </ul>
                }
                .into_any()
            }
        }}
    }
}

/// A `<select>` of the filter form: "any" or one of `options`. Without
/// JavaScript it is submitted with the form; after hydration a choice
/// applies at once.
#[component]
fn ChoiceFilter(
    name: &'static str,
    label: &'static str,
    any_label: &'static str,
    options: Vec<String>,
    current: Signal<Option<String>>,
    on_choose: impl Fn(Option<String>) + 'static,
) -> impl IntoView {
    let on_change =
        move |ev| on_choose(Some(event_target_value(&ev)).filter(|v: &String| !v.is_empty()));
    view! {
        <label class="field">
            <span>{label}</span>
            <select name=name on:change=on_change>
                <option value="" selected=move || current.with(Option::is_none)>{any_label}</option>
                {options
                    .into_iter()
                    .map(|option| {
                        let value = option.clone();
                        view! {
                            <option
                                value=value.clone()
                                selected=move || current.with(|c| c.as_deref() == Some(value.as_str()))
                            >
                                {option}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

#[component]
fn ServiceCard(service: ServiceSummary, live: LiveHealth) -> impl IntoView {
    let href = format!("/services/{}", service.slug);
    let slug = service.slug.clone();
    let health = match service.health {
        Some(health) => {
            let slug = service.slug.clone();
            let loaded = Some((health.level, health.since_ms));
            view! {
                <div class="service-health" data-testid="service-health">
                    {move || live.level(&slug, loaded).map(|(level, _)| view! { <HealthPill level /> })}
                    <span class="uptime" title="Share of checks up over the last 24 hours">
                        {format!("{} up, 24 h", percent(health.uptime_24h))}
                    </span>
                    <Sparkline values=health.latency_sparkline />
                </div>
            }
            .into_any()
        }
        None => view! {
            <div class="service-health muted" data-testid="service-health">"No healthcheck"</div>
        }
        .into_any(),
    };
    view! {
        <li class="card service-card" data-slug=slug>
            <div class="card-head">
                <a class="service-name" href=href>{service.name}</a>
                <TierBadge tier=service.tier />
            </div>
            <div class="service-meta">
                <code class="slug">{service.slug}</code>
                <span class="team">"Team "<strong>{service.team}</strong></span>
            </div>
            {health}
            <TagList tags=service.tags />
            <div class="service-repo">
                <RepositoryLink repository=service.repository />
            </div>
            {service.drift.map(|d| view! {
                <div class="service-drift" data-testid="service-drift">
                    <span class="libyears">{format!("{:.1} libyears", d.libyears)}</span>
                    <span class="gap gap-major">{format!("{} major", d.major)}</span>
                    <span class="gap gap-minor">{format!("{} minor", d.minor)}</span>
                    <span class="gap gap-patch">{format!("{} patch", d.patch)}</span>
                    // Counts with guesses or gaps in them say so.
                    {(d.range_only > 0).then(|| view! {
                        <span class="gap gap-range-only" title="no lock file: the newest release each range allows is assumed">
                            {format!("{} not locked", d.range_only)}
                        </span>
                    })}
                    {(d.unknown > 0).then(|| view! {
                        <span class="gap gap-unknown" title="not measured: see the service page">
                            {format!("{} unknown", d.unknown)}
                        </span>
                    })}
                </div>
            })}
            {service.drift_error.map(|e| view! {
                <p class="error small" data-testid="drift-error">{format!("Last refresh failed: {e}")}</p>
            })}
        </li>
    }
}

/// Shown when the fleet file could not be read, so a typo is seen by whoever
/// looks at the fleet and not only in the server's log.
#[component]
fn FleetFileNotice(status: FleetFileStatus) -> impl IntoView {
    status.error.map(|error| {
        let since = status
            .last_loaded_ms
            .map(|ms| {
                format!(
                    "The fleet below is as last loaded, at {}.",
                    utc_timestamp(ms)
                )
            })
            .unwrap_or_else(|| "No fleet has been loaded from it yet.".to_string());
        view! {
            <div class="panel panel-warning" role="alert">
                <strong>{format!("{} could not be loaded", status.path)}</strong>
                <pre class="config-error">{error}</pre>
                <p>{since}</p>
            </div>
        }
    })
}

/// One line per GitHub organisation the fleet file discovers, with what was
/// passed over behind a disclosure and, when the last attempt failed, why.
#[component]
fn DiscoveryNotice(status: OrgDiscoveryStatus) -> impl IntoView {
    let failed = status.error.is_some();
    let class = if failed {
        "panel panel-warning discovery"
    } else {
        "panel discovery"
    };
    let found = format!(
        "GitHub organisation {}: {} listed, {} with a manifest",
        status.org,
        plural(status.listed, "repository", "repositories"),
        status.services,
    );
    let when = status
        .last_success_ms
        .map(|ms| format!("Last discovered at {}.", utc_timestamp(ms)))
        .unwrap_or_else(|| "Not discovered yet.".to_string());
    let skipped_count = status.skipped.len();
    view! {
        <div class=class data-testid="org-discovery" role=failed.then_some("alert")>
            <strong>{found}</strong>
            " "
            <span class="muted">{when}</span>
            {status.error.map(|error| view! { <pre class="config-error">{error}</pre> })}
            {(skipped_count > 0).then(|| view! {
                <details>
                    <summary>{format!("{} passed over", plural(skipped_count, "repository", "repositories"))}</summary>
                    <ul class="skipped">
                        {status.skipped.into_iter().map(|(repo, why)| view! {
                            <li><code>{repo}</code>": "{why}</li>
                        }).collect_view()}
                    </ul>
                </details>
            })}
        </div>
    }
}
