//! The service page's dependencies: totals, a "refresh now" button, the
//! problems of the last refresh, and the dependency table, filterable by
//! gap, kind and ecosystem (after hydration, without a reload).

use leptos::prelude::*;

use crate::api::{load_service_drift, refresh_service_now};
use crate::components::access::IfAllowed;
use crate::components::service_bits::ErrorPanel;
use crate::components::trend_chart::TrendChart;
use shipshape_types::auth::Role;
use shipshape_types::drift::{
    DependencyView, ServiceDrift, SortKey, VersionSource, sort_dependencies,
};
use shipshape_types::format::utc_timestamp;

#[component]
pub fn DriftSection(slug: String) -> impl IntoView {
    let refreshes = RwSignal::new(0u32);
    let slug_for_load = slug.clone();
    let drift = Resource::new(
        move || refreshes.get(),
        move |_| load_service_drift(slug_for_load.clone()),
    );
    let refresh = Action::new(move |slug: &String| {
        let slug = slug.clone();
        async move {
            let result = refresh_service_now(slug).await;
            // Give the background refresh a moment, then show its state.
            refreshes.update(|n| *n += 1);
            result
        }
    });
    let refresh_slug = slug.clone();
    view! {
        <section class="card" id="dependencies">
            <div class="section-head">
                <h2>"Dependencies"</h2>
                <IfAllowed role=Role::Operator>
                    <button
                        type="button"
                        class="button"
                        data-testid="refresh-now"
                        on:click={
                            let refresh_slug = refresh_slug.clone();
                            move |_| {
                                refresh.dispatch(refresh_slug.clone());
                            }
                        }
                        disabled=move || refresh.pending().get()
                    >
                        {move || if refresh.pending().get() { "Queuing…" } else { "Refresh now" }}
                    </button>
                </IfAllowed>
            </div>
            {move || refresh.value().get().and_then(Result::err).map(|e| view! {
                <p class="error" role="alert">{e.to_string()}</p>
            })}
            <Transition fallback=|| view! { <p class="loading">"Loading dependencies…"</p> }>
                {move || Suspend::new(async move {
                    match drift.await {
                        Ok(Some(drift)) => view! { <DriftView drift /> }.into_any(),
                        Ok(None) => view! { <p class="muted">"This service is no longer in the fleet."</p> }.into_any(),
                        Err(error) => view! {
                            <ErrorPanel title="Dependencies could not be loaded" message=error.to_string() />
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn DriftView(drift: ServiceDrift) -> impl IntoView {
    let ServiceDrift {
        latest,
        dependencies,
        problems,
        history,
        refresh,
    } = drift;
    let status = match (&refresh.progress, &latest) {
        (Some(progress), _) => format!("Refreshing: {progress}…"),
        (None, Some(latest)) => format!("Last refreshed {}", utc_timestamp(latest.taken_ms)),
        (None, None) => "Not refreshed yet.".to_string(),
    };
    let totals = latest.map(|l| {
        let range_only = if l.range_only > 0 {
            format!(" · {} not locked (assumed newest in range)", l.range_only)
        } else {
            String::new()
        };
        format!(
            "{} dependencies · {:.2} libyears · {} major · {} minor · {} patch · {} up to date{range_only} · {} unknown",
            l.dependency_count, l.libyears, l.major, l.minor, l.patch, l.up_to_date, l.unknown
        )
    });
    view! {
        <p class="muted" data-testid="refresh-status">{status}</p>
        {refresh.last_error.map(|error| view! {
            <p class="error" role="alert" data-testid="refresh-error">
                "The last refresh failed: "{error}" (the snapshot below is the one before)."
            </p>
        })}
        {totals.map(|t| view! { <p class="drift-totals" data-testid="drift-totals">{t}</p> })}
        {(!problems.is_empty()).then(|| view! {
            <ul class="problems" data-testid="drift-problems">
                {problems.into_iter().map(|p| view! { <li><code>{p}</code></li> }).collect_view()}
            </ul>
        })}
        {(!history.is_empty()).then(|| view! {
            <h3>"Trend"</h3>
            <TrendChart history />
        })}
        <DependencyTable dependencies />
    }
}

fn choices(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut values: Vec<String> = values.collect();
    values.sort();
    values.dedup();
    values
}

#[component]
fn DependencyTable(dependencies: Vec<DependencyView>) -> impl IntoView {
    if dependencies.is_empty() {
        return view! { <p class="muted">"No dependencies recorded."</p> }.into_any();
    }
    let gap_filter = RwSignal::new(String::new());
    let kind_filter = RwSignal::new(String::new());
    let ecosystem_filter = RwSignal::new(String::new());
    let kinds = choices(dependencies.iter().map(|d| d.kind.name().to_string()));
    let ecosystems = choices(
        dependencies
            .iter()
            .map(|d| d.ecosystem.config_name().to_string()),
    );
    let all = StoredValue::new(dependencies);
    // `None` keeps the server's order (by manifest, then package).
    let sort: RwSignal<Option<(SortKey, bool)>> = RwSignal::new(None);
    let shown = move || {
        let mut rows = all.with_value(|rows| {
            let (gap, kind, ecosystem) =
                (gap_filter.get(), kind_filter.get(), ecosystem_filter.get());
            rows.iter()
                .filter(|d| gap.is_empty() || d.gap_or_unknown() == gap)
                .filter(|d| kind.is_empty() || d.kind.name() == kind)
                .filter(|d| ecosystem.is_empty() || d.ecosystem.config_name() == ecosystem)
                .cloned()
                .collect::<Vec<_>>()
        });
        if let Some((key, descending)) = sort.get() {
            sort_dependencies(&mut rows, key, descending);
        }
        rows
    };
    let select = |label: &'static str,
                  signal: RwSignal<String>,
                  options: Vec<String>,
                  testid: &'static str| {
        view! {
            <label class="filter">
                {label}" "
                <select
                    data-testid=testid
                    on:change=move |ev| signal.set(event_target_value(&ev))
                    prop:value=move || signal.get()
                >
                    <option value="">"All"</option>
                    {options.into_iter().map(|o| view! { <option value=o.clone()>{o.clone()}</option> }).collect_view()}
                </select>
            </label>
        }
    };
    let gaps: Vec<String> = ["major", "minor", "patch", "up-to-date", "unknown"]
        .map(String::from)
        .to_vec();
    view! {
        <div class="filters">
            {select("Gap", gap_filter, gaps, "filter-gap")}
            {select("Kind", kind_filter, kinds, "filter-kind")}
            {select("Ecosystem", ecosystem_filter, ecosystems, "filter-ecosystem")}
        </div>
        <div class="table-scroll">
            <table class="data" data-testid="dependency-table">
                <thead>
                    <tr>
                        <SortableHeader label="Package" key=SortKey::Package sort numeric=false />
                        <th scope="col">"Kind"</th>
                        <th scope="col">"Current"</th>
                        <th scope="col">"Wanted"</th>
                        <th scope="col">"Latest"</th>
                        <SortableHeader label="Gap" key=SortKey::Gap sort numeric=false />
                        <SortableHeader label="Libyears" key=SortKey::Libyears sort numeric=true />
                        <SortableHeader label="Age (days)" key=SortKey::Age sort numeric=true />
                        <th scope="col">"Flags"</th>
                    </tr>
                </thead>
                <tbody>
                    {move || shown().into_iter().map(|d| {
                        let gap = d.gap_or_unknown().to_string();
                        let mut flags: Vec<String> = Vec::new();
                        if d.yanked { flags.push("yanked".into()); }
                        if let Some(message) = &d.deprecated { flags.push(format!("deprecated: {message}")); }
                        flags.extend(d.advisories.iter().cloned());
                        if let Some(root) = &d.inherited_from { flags.push(format!("version set by {root} [workspace.dependencies]")); }
                        if let Some(note) = &d.note { flags.push(note.clone()); }
                        view! {
                            <tr data-gap=gap.clone() data-package=d.name.clone()>
                                <td>
                                    <span class="ecosystem">{d.ecosystem.config_name()}</span>" "
                                    <strong>{d.name.clone()}</strong>
                                    <div class="muted small">{d.manifest.clone()}</div>
                                </td>
                                <td>{d.kind.name()}{d.optional.then_some(" (optional)")}</td>
                                <td data-version-source=d.version_source.name()>
                                    <code>{d.current.clone().unwrap_or_else(|| "-".into())}</code>
                                    {version_source_marker(&d)}
                                </td>
                                <td><code>{d.wanted.clone().unwrap_or_else(|| "-".into())}</code></td>
                                <td><code>{d.latest.clone().unwrap_or_else(|| "-".into())}</code></td>
                                <td><span class=format!("gap gap-{gap}")>{gap.clone()}</span></td>
                                <td class="num">{d.libyears.map_or("-".to_string(), |y| format!("{y:.2}"))}</td>
                                <td class="num">{d.age_days.map_or("-".to_string(), |a| a.to_string())}</td>
                                <td class="flags">{flags.join("; ")}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// Says how sure the "Current" version is: a lock file's (named on hover),
/// a pin, or an assumption from the range, which is never shown as a fact.
fn version_source_marker(d: &DependencyView) -> impl IntoView + use<> {
    let (text, title) = match d.version_source {
        VersionSource::Lock => (
            "lock",
            format!(
                "pinned by {}",
                d.lock_file.clone().unwrap_or_else(|| "the lock file".into())
            ),
        ),
        VersionSource::Pin => ("pin", "the manifest pins this exact version".to_string()),
        VersionSource::RangeOnly => (
            "from range",
            "no lock file governs this manifest: the newest release the range allows is assumed, not known".to_string(),
        ),
        VersionSource::Unknown => ("", String::new()),
    };
    (!text.is_empty()).then(|| {
        view! {
            " "
            <span class=format!("version-source version-source-{}", d.version_source.name()) title=title>
                {text}
            </span>
        }
    })
}

/// A column header that sorts the table: the first click sorts worst first
/// (names A to Z), the next reverses. Before hydration it is plain text.
#[component]
fn SortableHeader(
    label: &'static str,
    key: SortKey,
    sort: RwSignal<Option<(SortKey, bool)>>,
    numeric: bool,
) -> impl IntoView {
    let state = move || match sort.get() {
        Some((current, descending)) if current == key => {
            if descending {
                "descending"
            } else {
                "ascending"
            }
        }
        _ => "none",
    };
    let arrow = move || match state() {
        "descending" => " ↓",
        "ascending" => " ↑",
        _ => "",
    };
    let on_click = move |_| {
        sort.update(|sort| {
            *sort = match *sort {
                Some((current, descending)) if current == key => Some((key, !descending)),
                _ => Some((key, key.starts_descending())),
            };
        });
    };
    view! {
        <th scope="col" class:num=numeric aria-sort=state>
            <button type="button" class="sort" data-testid=format!("sort-{}", label.to_lowercase().replace(' ', "-").replace(['(', ')'], "")) on:click=on_click>
                {label}{arrow}
            </button>
        </th>
    }
}
