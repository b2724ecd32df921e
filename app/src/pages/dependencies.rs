//! Every package in the fleet, with the versions in use and the services on
//! each, and a search that answers "which services are on `serde <1.0.200`?".
//! The query lives in the URL: without JavaScript the form submits a GET and
//! the server renders the answer; once hydrated, a search replaces the list
//! in place.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::search_packages;
use crate::components::in_place;
use crate::components::service_bits::ErrorPanel;
use shipshape_types::drift::{PackageSearch, PackageUse};
use shipshape_types::format::plural;
use shipshape_types::model::encode_query_value;

/// Beyond this many packages the page asks for a narrower search instead of
/// rendering the whole fleet's dependency list.
const SHOWN_AT_MOST: usize = 300;

#[component]
pub fn DependenciesPage() -> impl IntoView {
    let query = use_query_map();
    let search = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let packages = Resource::new(move || search.get(), search_packages);

    let field: NodeRef<leptos::html::Input> = NodeRef::new();
    let navigate = use_navigate();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = field.get().map(|input| input.value()).unwrap_or_default();
        let target = if text.trim().is_empty() {
            "/dependencies".to_string()
        } else {
            format!("/dependencies?q={}", encode_query_value(text.trim()))
        };
        navigate(&target, in_place());
    };

    view! {
        <Title text="Dependencies" />
        <div class="page-head">
            <h1>"Dependencies"</h1>
        </div>
        <form class="filters" method="get" action="/dependencies" role="search" on:submit=on_submit>
            <label class="field field-search field-wide">
                <span>"Package"</span>
                <input
                    type="search"
                    name="q"
                    data-testid="package-search"
                    node_ref=field
                    placeholder="serde <1.0.200, npm:react@<18, or part of a name"
                    autocomplete="off"
                    prop:value=move || search.get()
                />
            </label>
            <div class="filter-actions">
                <button type="submit">"Search"</button>
                <a class="button-secondary" href="/dependencies">"Clear"</a>
            </div>
        </form>
        <p class="muted hint">
            "A name finds every package containing it. Add a version requirement (" <code>"serde <1.0.200"</code>
            ", " <code>"npm:react@<18"</code> ", " <code>"python:django>=3,<4"</code>
            ") to find the services whose version in use matches."
        </p>
        <Transition fallback=|| view! { <p class="loading">"Reading the fleet's dependencies…"</p> }>
            {move || Suspend::new(async move {
                match packages.await {
                    Ok(PackageSearch { query_error: Some(problem), .. }) => view! {
                        <div class="panel panel-warning" role="alert" data-testid="query-error">
                            <strong>"This search cannot be read"</strong>
                            <p><code>{problem}</code></p>
                        </div>
                    }.into_any(),
                    Ok(found) => view! { <PackageList packages=found.packages searched=!search.get_untracked().trim().is_empty() /> }.into_any(),
                    Err(error) => view! {
                        <ErrorPanel title="The fleet's dependencies could not be read" message=error.to_string() />
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn PackageList(packages: Vec<PackageUse>, searched: bool) -> impl IntoView {
    if packages.is_empty() {
        let (title, hint) = if searched {
            (
                "No service uses a matching package.",
                "Try a part of the name only, or a wider version requirement.",
            )
        } else {
            (
                "No dependencies yet.",
                "Dependencies appear once the services' repositories have been read; a refresh runs at start-up and on an interval.",
            )
        };
        return view! {
            <div class="panel empty" data-testid="no-packages">
                <strong>{title}</strong>
                <p>{hint}</p>
            </div>
        }
        .into_any();
    }
    let total = packages.len();
    let services: std::collections::BTreeSet<&str> = packages
        .iter()
        .flat_map(|p| {
            p.versions
                .iter()
                .flat_map(|(_, slugs)| slugs.iter().map(String::as_str))
        })
        .collect();
    let summary = format!(
        "{} in use by {}",
        plural(total, "package", "packages"),
        plural(services.len(), "service", "services")
    );
    let cut = (total > SHOWN_AT_MOST)
        .then(|| format!("Showing the first {SHOWN_AT_MOST}; search to narrow the list."));
    let rows = packages
        .into_iter()
        .take(SHOWN_AT_MOST)
        .map(|package| view! { <PackageRow package /> })
        .collect_view();
    view! {
        <p class="result-count" data-testid="package-count">{summary}" "{cut}</p>
        <div class="table-scroll">
            <table class="data packages" data-testid="packages">
                <thead>
                    <tr>
                        <th scope="col">"Package"</th>
                        <th scope="col">"Ecosystem"</th>
                        <th scope="col">"Latest"</th>
                        <th scope="col">"In use"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn PackageRow(package: PackageUse) -> impl IntoView {
    let latest = package.latest.clone();
    let versions = package
        .versions
        .into_iter()
        .map(|(version, slugs)| {
            let behind = latest.as_ref().is_some_and(|l| *l != version);
            let class = if behind { "version behind" } else { "version" };
            view! {
                <li>
                    <code class=class>{version}</code>
                    " "
                    {slugs
                        .into_iter()
                        .map(|slug| {
                            let href = format!("/services/{slug}#dependencies");
                            view! { <a class="service-chip" href=href>{slug}</a> }
                        })
                        .collect_view()}
                </li>
            }
        })
        .collect_view();
    let name = package.name;
    let name_attribute = name.clone();
    view! {
        <tr data-testid="package" data-package=name_attribute>
            <th scope="row"><code>{name}</code></th>
            <td>{package.ecosystem.config_name()}</td>
            <td>{latest.clone().unwrap_or_else(|| "unknown".into())}</td>
            <td><ul class="versions">{versions}</ul></td>
        </tr>
    }
}
