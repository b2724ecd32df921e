//! The Alerts page: what fires now (and why some owners were not told
//! yet), silences with a form to add one and buttons to end them, what
//! resolved lately, the rules, the channels with their delivery health,
//! maintenance windows, and the event journal.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{CreateSilence, ExpireSilence, load_alerts};
use crate::components::access::Me;
use crate::components::service_bits::ErrorPanel;
use shipshape_types::alerts::{
    AlertView, AlertsOverview, ChannelView, EventView, MaintenanceView, RuleView, SilenceView,
};
use shipshape_types::auth::Role;
use shipshape_types::format::utc_timestamp;

#[component]
pub fn AlertsPage() -> impl IntoView {
    let create = ServerAction::<CreateSilence>::new();
    let expire = ServerAction::<ExpireSilence>::new();
    // A silence added or ended changes the lists: read them again.
    let overview = Resource::new(
        move || (create.version().get(), expire.version().get()),
        |_| load_alerts(),
    );
    let me = use_context::<Me>();
    view! {
        <Title text="Alerts" />
        <div class="page-head">
            <h1>"Alerts"</h1>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Reading alerts…"</p> }>
            {move || Suspend::new(async move {
                let can_silence = match me {
                    Some(me) => me.may(Role::Operator).await,
                    None => false,
                };
                match overview.await {
                    Ok(overview) => view! { <Overview overview create expire can_silence /> }.into_any(),
                    Err(error) => view! {
                        <ErrorPanel title="Alerts could not be read" message=error.to_string() />
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Overview(
    overview: AlertsOverview,
    create: ServerAction<CreateSilence>,
    expire: ServerAction<ExpireSilence>,
    can_silence: bool,
) -> impl IntoView {
    let AlertsOverview {
        firing,
        resolved,
        rules,
        channels,
        silences,
        maintenance,
        events,
    } = overview;
    let rule_names: Vec<String> = rules.iter().map(|r| r.name.clone()).collect();
    view! {
        <section class="panel" aria-labelledby="firing-heading">
            <h2 id="firing-heading">"Firing"</h2>
            <AlertTable alerts=firing empty="Nothing is firing." testid="firing-alerts" />
        </section>
        <section class="panel" aria-labelledby="silences-heading">
            <h2 id="silences-heading">"Silences"</h2>
            <p class="muted hint">
                "A silence mutes notifications of the alerts it matches until it ends; alerts are still recorded, and owners told of a firing are always told of its resolution."
            </p>
            {can_silence.then(|| view! { <SilenceForm create rule_names /> })}
            <SilenceList silences expire can_silence />
        </section>
        <section class="panel" aria-labelledby="resolved-heading">
            <h2 id="resolved-heading">"Recently resolved"</h2>
            <AlertTable alerts=resolved empty="No alert has resolved yet." testid="resolved-alerts" />
        </section>
        <section class="panel" aria-labelledby="rules-heading">
            <h2 id="rules-heading">"Rules"</h2>
            <RuleTable rules />
        </section>
        <section class="panel" aria-labelledby="channels-heading">
            <h2 id="channels-heading">"Channels"</h2>
            <ChannelTable channels />
        </section>
        <section class="panel" aria-labelledby="maintenance-heading">
            <h2 id="maintenance-heading">"Maintenance windows"</h2>
            <MaintenanceList windows=maintenance />
        </section>
        <section class="panel" aria-labelledby="events-heading">
            <h2 id="events-heading">"Event journal"</h2>
            <EventList events />
        </section>
    }
}

#[component]
fn AlertTable(alerts: Vec<AlertView>, empty: &'static str, testid: &'static str) -> impl IntoView {
    if alerts.is_empty() {
        return view! { <p class="muted" data-testid=testid>{empty}</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="table" data-testid=testid>
                <thead>
                    <tr>
                        <th scope="col">"Severity"</th>
                        <th scope="col">"Service"</th>
                        <th scope="col">"Rule"</th>
                        <th scope="col">"What"</th>
                        <th scope="col">"Since"</th>
                        <th scope="col">"Owners"</th>
                    </tr>
                </thead>
                <tbody>
                    {alerts.into_iter().map(|alert| {
                        let told = match (&alert.held_reason, alert.notified) {
                            (Some(reason), _) => reason.clone(),
                            (None, true) => "told".to_string(),
                            (None, false) => "not told".to_string(),
                        };
                        let since = match alert.resolved_ms {
                            Some(end) => format!("{} to {}", utc_timestamp(alert.started_ms), utc_timestamp(end)),
                            None => utc_timestamp(alert.started_ms),
                        };
                        view! {
                            <tr data-testid="alert" data-service=alert.service.clone() data-rule=alert.rule.clone()>
                                <td><span class=format!("severity severity-{}", alert.severity)>{alert.severity.clone()}</span></td>
                                <td><a href=format!("/services/{}", alert.service)>{alert.service.clone()}</a><div class="muted small">{alert.team.clone()}</div></td>
                                <td>{alert.rule.clone()}</td>
                                <td>{alert.summary.clone()}</td>
                                <td>{since}</td>
                                <td class="small" data-testid="alert-owners">{told}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn SilenceForm(create: ServerAction<CreateSilence>, rule_names: Vec<String>) -> impl IntoView {
    let pending = create.pending();
    view! {
        <ActionForm action=create attr:class="action-form silence-form" attr:data-testid="silence-form">
            <label class="field">
                <span>"Service"</span>
                <input type="text" name="service" placeholder="any" autocomplete="off" data-testid="silence-service" />
            </label>
            <label class="field">
                <span>"Rule"</span>
                <select name="rule" data-testid="silence-rule">
                    <option value="">"any"</option>
                    {rule_names.into_iter().map(|name| view! { <option value=name.clone()>{name.clone()}</option> }).collect_view()}
                </select>
            </label>
            <label class="field">
                <span>"Team"</span>
                <input type="text" name="team" placeholder="any" autocomplete="off" />
            </label>
            <label class="field">
                <span>"For"</span>
                <input type="text" name="duration" value="2h" size="6" data-testid="silence-duration" />
            </label>
            <label class="field field-wide">
                <span>"Why"</span>
                <input type="text" name="comment" placeholder="What is going on, and who is on it" data-testid="silence-comment" />
            </label>
            <div class="filter-actions">
                <button type="submit" data-testid="silence-create" disabled=move || pending.get()>"Silence"</button>
            </div>
        </ActionForm>
        {move || {
            let problem = match create.value().get()? {
                Ok(outcome) => outcome.problem?,
                Err(error) => error.to_string(),
            };
            Some(view! { <p class="problem" role="alert" data-testid="silence-error">{problem}</p> })
        }}
    }
}

#[component]
fn SilenceList(
    silences: Vec<SilenceView>,
    expire: ServerAction<ExpireSilence>,
    can_silence: bool,
) -> impl IntoView {
    if silences.is_empty() {
        return view! { <p class="muted" data-testid="silences">"No silence in the last day."</p> }
            .into_any();
    }
    view! {
        <table class="table" data-testid="silences">
            <thead>
                <tr>
                    <th scope="col">"Matches"</th>
                    <th scope="col">"Why"</th>
                    <th scope="col">"Until"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {silences.into_iter().map(|silence| {
                    let mut matches = Vec::new();
                    if let Some(service) = &silence.service { matches.push(format!("service {service}")); }
                    if let Some(rule) = &silence.rule { matches.push(format!("rule {rule}")); }
                    if let Some(team) = &silence.team { matches.push(format!("team {team}")); }
                    let until = if silence.active {
                        utc_timestamp(silence.ends_ms)
                    } else {
                        format!("ended {}", utc_timestamp(silence.ends_ms))
                    };
                    view! {
                        <tr data-testid="silence" data-active=silence.active.to_string()>
                            <td>{matches.join(", ")}</td>
                            <td>{silence.comment.clone()}</td>
                            <td>{until}</td>
                            <td>
                                {(silence.active && can_silence).then(|| view! {
                                    <ActionForm action=expire attr:class="action-form inline-form">
                                        <input type="hidden" name="id" value=silence.id.to_string() />
                                        <button type="submit" data-testid="silence-expire">"End now"</button>
                                    </ActionForm>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn RuleTable(rules: Vec<RuleView>) -> impl IntoView {
    if rules.is_empty() {
        return view! {
            <p class="muted">"No rule is configured: add [[alerts.rule]] tables to the config file."</p>
        }
        .into_any();
    }
    view! {
        <table class="table" data-testid="rules">
            <thead>
                <tr>
                    <th scope="col">"Rule"</th>
                    <th scope="col">"When"</th>
                    <th scope="col">"Applies to"</th>
                    <th scope="col">"Severity"</th>
                    <th scope="col">"Reminders"</th>
                    <th scope="col">"Firing"</th>
                </tr>
            </thead>
            <tbody>
                {rules.into_iter().map(|rule| view! {
                    <tr>
                        <td>{rule.name}</td>
                        <td>{rule.condition}</td>
                        <td>{rule.scope}</td>
                        <td><span class=format!("severity severity-{}", rule.severity)>{rule.severity.clone()}</span></td>
                        <td>{rule.repeat.unwrap_or_else(|| "none".into())}</td>
                        <td>{rule.firing}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn ChannelTable(channels: Vec<ChannelView>) -> impl IntoView {
    if channels.is_empty() {
        return view! {
            <p class="muted">"No channel is configured: alerts are recorded and shown here, and sent nowhere."</p>
        }
        .into_any();
    }
    view! {
        <table class="table" data-testid="channels">
            <thead>
                <tr>
                    <th scope="col">"Channel"</th>
                    <th scope="col">"Kind"</th>
                    <th scope="col">"Receives"</th>
                    <th scope="col">"Delivery"</th>
                    <th scope="col">"Sent / failed / waiting"</th>
                    <th scope="col">"Last success"</th>
                </tr>
            </thead>
            <tbody>
                {channels.into_iter().map(|channel| {
                    let status = match channel.paused_until_ms {
                        Some(until) => format!("paused until {}", utc_timestamp(until)),
                        None => channel.status.clone(),
                    };
                    view! {
                        <tr data-testid="channel" data-status=channel.status.clone()>
                            <td>{channel.name}</td>
                            <td>{channel.kind}</td>
                            <td>{channel.receives}</td>
                            <td>
                                <span class=format!("delivery delivery-{}", channel.status)>{status}</span>
                                {channel.problem.map(|problem| view! { <div class="problem small">{problem}</div> })}
                            </td>
                            <td>{format!("{} / {} / {}", channel.delivered, channel.failed, channel.pending)}</td>
                            <td>{channel.last_success_ms.map(utc_timestamp).unwrap_or_else(|| "never".into())}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn MaintenanceList(windows: Vec<MaintenanceView>) -> impl IntoView {
    if windows.is_empty() {
        return view! { <p class="muted">"No maintenance window is configured."</p> }.into_any();
    }
    view! {
        <ul class="plain-list">
            {windows.into_iter().map(|window| view! {
                <li>
                    <strong>{window.name}</strong>
                    {format!(" — {}; {}", window.when, window.scope)}
                    {window.active.then(|| view! { <span class="pr-state pr-open">" in progress"</span> })}
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn EventList(events: Vec<EventView>) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="muted">"Nothing has been journaled yet."</p> }.into_any();
    }
    view! {
        <table class="table" data-testid="events">
            <thead>
                <tr>
                    <th scope="col">"#"</th>
                    <th scope="col">"When"</th>
                    <th scope="col">"Service"</th>
                    <th scope="col">"Event"</th>
                </tr>
            </thead>
            <tbody>
                {events.into_iter().map(|event| view! {
                    <tr>
                        <td class="muted">{event.id}</td>
                        <td>{utc_timestamp(event.at_ms)}</td>
                        <td>{event.service.map(|s| view! { <a href=format!("/services/{s}")>{s.clone()}</a> })}</td>
                        <td><code class="small">{event.event_type.name()}</code>" "{event.summary}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
