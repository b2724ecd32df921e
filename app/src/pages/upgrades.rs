//! The Upgrades page: run now or preview (a dry run that shows every
//! branch, diff and PR text), the schedule with each service's next run,
//! the upgrade PRs across the fleet with their age and state, and what
//! past runs did.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{CreateUpgradeWave, RunUpgradesNow, load_upgrades};
use crate::components::access::Me;
use crate::components::service_bits::ErrorPanel;
use shipshape_types::auth::Role;
use shipshape_types::format::{plural, utc_timestamp};
use shipshape_types::upgrades::{
    EventLevel, GroupPreviewView, PrState, RunOutcomeView, ScheduleEntryView, ServicePreviewView,
    UpgradePrView, UpgradeRunView, UpgradesOverview, WaveView,
};

#[component]
pub fn UpgradesPage() -> impl IntoView {
    let run = ServerAction::<RunUpgradesNow>::new();
    let start_wave = ServerAction::<CreateUpgradeWave>::new();
    // A finished run or a new wave changes the lists: read them again.
    let overview = Resource::new(
        move || (run.version().get(), start_wave.version().get()),
        |_| load_upgrades(),
    );
    let me = use_context::<Me>();
    view! {
        <Title text="Upgrades" />
        <div class="page-head">
            <h1>"Upgrades"</h1>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Reading upgrades…"</p> }>
            {move || Suspend::new(async move {
                let can_run = match me {
                    Some(me) => me.may(Role::Operator).await,
                    None => false,
                };
                match overview.await {
                    Ok(overview) => view! { <Overview overview run start_wave can_run /> }.into_any(),
                    Err(error) => view! {
                        <ErrorPanel title="Upgrades could not be read" message=error.to_string() />
                    }.into_any(),
                }
            })}
        </Transition>
        <RunResult run />
    }
}

#[component]
fn Overview(
    overview: UpgradesOverview,
    run: ServerAction<RunUpgradesNow>,
    start_wave: ServerAction<CreateUpgradeWave>,
    can_run: bool,
) -> impl IntoView {
    let services: Vec<String> = overview
        .schedule
        .iter()
        .map(|s| s.service.clone())
        .collect();
    let open: Vec<UpgradePrView> = overview
        .prs
        .iter()
        .filter(|p| matches!(p.state, PrState::Open | PrState::Pending))
        .cloned()
        .collect();
    let closed: Vec<UpgradePrView> = overview
        .prs
        .iter()
        .filter(|p| !matches!(p.state, PrState::Open | PrState::Pending))
        .take(20)
        .cloned()
        .collect();
    view! {
        {can_run.then(|| view! {
            <section class="panel" aria-labelledby="run-heading">
                <h2 id="run-heading">"Run now"</h2>
                <RunForms services run can_write=overview.can_write />
            </section>
        })}
        <section class="panel" aria-labelledby="prs-heading">
            <h2 id="prs-heading">"Open upgrade PRs"</h2>
            <PrTable prs=open empty="No upgrade PR is open." testid="open-prs" />
        </section>
        <section class="panel" aria-labelledby="waves-heading">
            <h2 id="waves-heading">"Upgrade waves"</h2>
            <p class="muted hint">
                "A wave bumps one package across the fleet, least critical tier first (5, then 4, … then 1). The next tier's PRs open once every service of the tier before has merged and stayed healthy for the soak time."
            </p>
            {can_run.then(|| view! { <WaveForm start_wave /> })}
            <WaveList waves=overview.waves />
        </section>
        <section class="panel" aria-labelledby="schedule-heading">
            <h2 id="schedule-heading">"Schedule"</h2>
            <ScheduleTable schedule=overview.schedule />
        </section>
        <section class="panel" aria-labelledby="runs-heading">
            <h2 id="runs-heading">"Past runs"</h2>
            <RunList runs=overview.runs />
        </section>
        <section class="panel" aria-labelledby="closed-heading">
            <h2 id="closed-heading">"Merged and closed"</h2>
            <PrTable prs=closed empty="No upgrade PR has been merged or closed yet." testid="closed-prs" />
        </section>
    }
}

#[component]
fn RunForms(
    services: Vec<String>,
    run: ServerAction<RunUpgradesNow>,
    can_write: bool,
) -> impl IntoView {
    let options = move || {
        services
            .iter()
            .map(|slug| view! { <option value=slug.clone()>{slug.clone()}</option> })
            .collect::<Vec<_>>()
    };
    let (preview_options, run_options) = (options(), options());
    let pending = run.pending();
    view! {
        <div class="run-forms">
            <ActionForm action=run attr:class="action-form" attr:data-testid="preview-form">
                <label class="field">
                    <span>"Service"</span>
                    <select name="service" data-testid="preview-service">
                        <option value="">"Whole fleet"</option>
                        {preview_options}
                    </select>
                </label>
                <input type="hidden" name="dry_run" value="true" />
                <div class="filter-actions">
                    <button type="submit" data-testid="preview" disabled=move || pending.get()>
                        "Preview (dry run)"
                    </button>
                </div>
            </ActionForm>
            <ActionForm action=run attr:class="action-form" attr:data-testid="run-form">
                <label class="field">
                    <span>"Service"</span>
                    <select name="service" data-testid="run-service">
                        <option value="">"Whole fleet"</option>
                        {run_options}
                    </select>
                </label>
                <input type="hidden" name="dry_run" value="false" />
                <div class="filter-actions">
                    <button type="submit" data-testid="run-now" disabled=move || pending.get() || !can_write>
                        "Open and update PRs now"
                    </button>
                </div>
            </ActionForm>
        </div>
        {(!can_write).then(|| view! {
            <p class="muted hint">"GitHub is not configured, so only previews can run."</p>
        })}
        <p class="muted hint">
            "A preview reads each repository and the registries and shows the branches, file changes and PR texts a run would write; it writes nothing."
        </p>
    }
}

#[component]
fn RunResult(run: ServerAction<RunUpgradesNow>) -> impl IntoView {
    let pending = run.pending();
    view! {
        <Show when=move || pending.get()>
            <p class="loading" data-testid="run-pending">"Reading repositories and registries…"</p>
        </Show>
        {move || run.value().get().map(|result| match result {
            Ok(outcome) => view! { <Outcome outcome /> }.into_any(),
            Err(error) => view! {
                <ErrorPanel title="The run could not be done" message=error.to_string() />
            }.into_any(),
        })}
    }
}

#[component]
fn Outcome(outcome: RunOutcomeView) -> impl IntoView {
    let heading = if outcome.run.dry_run {
        format!("Preview (run {}): nothing was written", outcome.run.id)
    } else {
        format!("Run {}: {}", outcome.run.id, outcome.run.status)
    };
    view! {
        <section class="panel" data-testid="run-outcome" aria-live="polite">
            <h2>{heading}</h2>
            {outcome.services.into_iter().map(|service| view! { <ServicePreview service /> }).collect_view()}
        </section>
    }
}

#[component]
fn ServicePreview(service: ServicePreviewView) -> impl IntoView {
    let count = service.groups.len();
    view! {
        <div class="preview-service" data-testid="preview-service-result">
            <h3>
                {service.service.clone()}
                <span class="muted">
                    {format!(" · {}", service.repository.clone().unwrap_or_else(|| "no repository".into()))}
                    {format!(" · {}", plural(count, "PR", "PRs"))}
                </span>
            </h3>
            {service.error.map(|error| view! { <p class="problem" role="alert">{error}</p> })}
            {service.groups.into_iter().map(|group| view! { <GroupPreview group /> }).collect_view()}
            {(!service.held.is_empty()).then(|| view! {
                <details>
                    <summary>{plural(service.held.len(), "update held back", "updates held back")}</summary>
                    <ul>
                        {service.held.into_iter().map(|held| view! {
                            <li><code>{format!("{} {}", held.name, held.version)}</code>": "{held.reason}</li>
                        }).collect_view()}
                    </ul>
                </details>
            })}
        </div>
    }
}

#[component]
fn GroupPreview(group: GroupPreviewView) -> impl IntoView {
    view! {
        <article class="preview-group" data-testid="preview-group" data-group=group.group.clone()>
            <h4>{group.title.clone()}</h4>
            <p class="muted">
                "Branch " <code data-testid="preview-branch">{group.branch.clone()}</code>
                " · " <span class="action">{group.action.clone()}</span>
            </p>
            {group.files.into_iter().map(|file| view! {
                <pre class="diff" data-testid="preview-diff" aria-label=format!("Changes to {}", file.path)>{file.diff}</pre>
            }).collect_view()}
            <details>
                <summary>"PR text and commit message"</summary>
                <pre class="pr-body">{group.body}</pre>
                <pre class="commit-message">{group.commit_message}</pre>
            </details>
        </article>
    }
}

fn pr_link(pr: &UpgradePrView) -> AnyView {
    match (&pr.url, pr.number) {
        (Some(url), Some(number)) => view! {
            <a href=url.clone() rel="noopener noreferrer">{format!("#{number}")}</a>
        }
        .into_any(),
        _ => view! { <span class="muted">"not opened yet"</span> }.into_any(),
    }
}

#[component]
fn PrTable(prs: Vec<UpgradePrView>, empty: &'static str, testid: &'static str) -> impl IntoView {
    if prs.is_empty() {
        return view! { <p class="muted" data-testid=testid>{empty}</p> }.into_any();
    }
    view! {
        <table class="table" data-testid=testid>
            <thead>
                <tr>
                    <th scope="col">"Service"</th>
                    <th scope="col">"PR"</th>
                    <th scope="col">"Title"</th>
                    <th scope="col">"Updates"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Opened"</th>
                    <th scope="col">"Last change"</th>
                </tr>
            </thead>
            <tbody>
                {prs.into_iter().map(|pr| {
                    let link = pr_link(&pr);
                    let updates = pr.bumps.iter().map(|b| format!("{} {} → {}", b.name, b.from, b.to)).collect::<Vec<_>>().join(", ");
                    view! {
                        <tr data-testid="upgrade-pr">
                            <td><a href=format!("/services/{}", pr.service)>{pr.service.clone()}</a></td>
                            <td>{link}</td>
                            <td>{pr.title.clone()}{pr.note.clone().map(|note| view! { <div class="muted small">{note}</div> })}</td>
                            <td class="small">{updates}</td>
                            <td><span class=format!("pr-state pr-{}", pr.state)>{pr.state.name()}</span></td>
                            <td>{pr.opened_ms.map(utc_timestamp).unwrap_or_default()}</td>
                            <td>{utc_timestamp(pr.updated_ms)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn ScheduleTable(schedule: Vec<ScheduleEntryView>) -> impl IntoView {
    if schedule.is_empty() {
        return view! { <p class="muted">"No service in the fleet yet."</p> }.into_any();
    }
    view! {
        <table class="table" data-testid="schedule">
            <thead>
                <tr>
                    <th scope="col">"Service"</th>
                    <th scope="col">"Team"</th>
                    <th scope="col">"Schedule"</th>
                    <th scope="col">"Next run"</th>
                </tr>
            </thead>
            <tbody>
                {schedule.into_iter().map(|entry| view! {
                    <tr>
                        <td>{entry.service}</td>
                        <td>{entry.team}</td>
                        <td><code>{entry.expression}</code>" "{entry.time_zone}</td>
                        <td>{match (entry.enabled, entry.next_run_ms) {
                            (false, _) => "turned off".to_string(),
                            (true, Some(at)) => utc_timestamp(at),
                            (true, None) => "never".to_string(),
                        }}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn RunList(runs: Vec<UpgradeRunView>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class="muted">"No run yet."</p> }.into_any();
    }
    view! {
        <ul class="run-list" data-testid="runs">
            {runs.into_iter().map(|run| {
                let scope = run.scope.clone().unwrap_or_else(|| "whole fleet".into());
                let kind = if run.dry_run { "preview" } else { "run" };
                let errors = run.events.iter().filter(|e| e.level == EventLevel::Error).count();
                view! {
                    <li>
                        <details>
                            <summary>
                                {format!("{} · {kind} of {scope} ({}) · {}", utc_timestamp(run.started_ms), run.cause, run.status)}
                                {(errors > 0).then(|| view! { <span class="problem">{format!(" · {}", plural(errors, "error", "errors"))}</span> })}
                            </summary>
                            {run.error.map(|e| view! { <p class="problem">{e}</p> })}
                            <ul>
                                {run.events.into_iter().map(|event| view! {
                                    <li class=format!("event event-{}", event.level)>
                                        {event.service.map(|s| format!("{s}: ")).unwrap_or_default()}
                                        {event.message}
                                    </li>
                                }).collect_view()}
                            </ul>
                        </details>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn WaveForm(start_wave: ServerAction<CreateUpgradeWave>) -> impl IntoView {
    let pending = start_wave.pending();
    view! {
        <ActionForm action=start_wave attr:class="action-form" attr:data-testid="wave-form">
            <label class="field">
                <span>"Ecosystem"</span>
                <select name="ecosystem">
                    {["cargo", "npm", "python", "go", "ruby", "maven"].map(|e| view! { <option value=e>{e}</option> })}
                </select>
            </label>
            <label class="field"><span>"Package"</span><input name="package" required placeholder="serde" /></label>
            <label class="field"><span>"Target version"</span><input name="target" required placeholder="1.0.230" /></label>
            <label class="field"><span>"Soak"</span><input name="soak" placeholder="24h" /></label>
            <div class="filter-actions">
                <button type="submit" data-testid="start-wave" disabled=move || pending.get()>"Start wave"</button>
            </div>
        </ActionForm>
        {move || start_wave.value().get().and_then(|result| result.err()).map(|error| view! {
            <ErrorPanel title="The wave could not be started" message=error.to_string() />
        })}
    }
}

#[component]
fn WaveList(waves: Vec<WaveView>) -> impl IntoView {
    if waves.is_empty() {
        return view! { <p class="muted">"No wave yet."</p> }.into_any();
    }
    waves
        .into_iter()
        .map(|wave| {
            let soak_hours = wave.soak_ms as f64 / 3_600_000.0;
            view! {
                <article class="wave" data-testid="wave">
                    <h3>
                        {format!("Wave {}: {} {} → {}", wave.id, wave.ecosystem, wave.package, wave.target)}
                        <span class=format!("pr-state wave-{}", wave.state)>{wave.state.name()}</span>
                    </h3>
                    <p class="muted">{format!("Started {} · soak {soak_hours:.0} h", utc_timestamp(wave.created_ms))}</p>
                    <ol class="wave-tiers">
                        {wave.tiers.into_iter().map(|tier| view! {
                            <li data-testid="wave-tier" data-state=tier.state.name()>
                                <strong>{format!("Tier {}", tier.tier)}</strong>" · "{tier.state.name()}
                                <ul>
                                    {tier.services.into_iter().map(|s| view! {
                                        <li>
                                            {s.service.clone()}" ("{s.current.clone()}"): "{s.state.name()}
                                            {s.pr_url.clone().map(|url| view! { " · " <a href=url rel="noopener noreferrer">"PR"</a> })}
                                            {s.detail.clone().map(|d| view! { <span class="muted">{format!(" · {d}")}</span> })}
                                        </li>
                                    }).collect_view()}
                                </ul>
                            </li>
                        }).collect_view()}
                    </ol>
                </article>
            }
        })
        .collect_view()
        .into_any()
}
