use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    NavigateOptions,
    hooks::{use_navigate, use_query_map},
};

use crate::api::load_fleet_overview;
use crate::components::service_bits::{ErrorPanel, RepositoryLink, TagList, TierBadge};
use crate::format::{plural, utc_timestamp};
use crate::model::{FleetFileStatus, FleetFilter, FleetOverview, ServiceSummary};

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

    let navigate = use_navigate();
    let apply = move |filter: FleetFilter| {
        navigate(
            &format!("/{}", filter.to_query()),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
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
    let on_team = {
        let apply = apply.clone();
        move |ev| {
            let team = Some(event_target_value(&ev)).filter(|v: &String| !v.is_empty());
            apply(FleetFilter {
                team,
                ..filter.get_untracked()
            });
        }
    };
    let on_tag = {
        let apply = apply.clone();
        move |ev| {
            let tag = Some(event_target_value(&ev)).filter(|v: &String| !v.is_empty());
            apply(FleetFilter {
                tag,
                ..filter.get_untracked()
            });
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
            <label class="field">
                <span>"Team"</span>
                <select name="team" on:change=on_team>
                    <option value="" selected=move || filter.with(|f| f.team.is_none())>"All teams"</option>
                    {teams
                        .into_iter()
                        .map(|team| {
                            let value = team.clone();
                            view! {
                                <option
                                    value=value.clone()
                                    selected=move || filter.with(|f| f.team.as_deref() == Some(value.as_str()))
                                >
                                    {team}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <label class="field">
                <span>"Tag"</span>
                <select name="tag" on:change=on_tag>
                    <option value="" selected=move || filter.with(|f| f.tag.is_none())>"All tags"</option>
                    {tags
                        .into_iter()
                        .map(|tag| {
                            let value = tag.clone();
                            view! {
                                <option
                                    value=value.clone()
                                    selected=move || filter.with(|f| f.tag.as_deref() == Some(value.as_str()))
                                >
                                    {tag}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
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
                        {shown.into_iter().map(|service| view! { <ServiceCard service /> }).collect_view()}
                    </ul>
                }
                .into_any()
            }
        }}
    }
}

#[component]
fn ServiceCard(service: ServiceSummary) -> impl IntoView {
    let href = format!("/services/{}", service.slug);
    let slug = service.slug.clone();
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
            <TagList tags=service.tags />
            <div class="service-repo">
                <RepositoryLink repository=service.repository />
            </div>
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
