use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::load_fleet_overview;
use crate::components::service_bits::{ErrorPanel, RepositoryLink, TierBadge};
use shipshape_types::model::ServiceSummary;

/// Every service in one table, for reading across attributes.
#[component]
pub fn ServicesPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| load_fleet_overview());
    view! {
        <Title text="Services" />
        <div class="page-head">
            <h1>"Services"</h1>
        </div>
        <Suspense fallback=|| view! { <p class="loading">"Loading services…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => view! { <ServiceTable services=overview.services /> }.into_any(),
                    Err(error) => view! {
                        <ErrorPanel title="The services could not be loaded" message=error.to_string() />
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ServiceTable(services: Vec<ServiceSummary>) -> impl IntoView {
    if services.is_empty() {
        return view! { <p class="panel empty">"No services yet."</p> }.into_any();
    }
    view! {
        <div class="table-scroll card">
            <table class="data">
                <thead>
                    <tr>
                        <th scope="col">"Service"</th>
                        <th scope="col">"Team"</th>
                        <th scope="col">"Tier"</th>
                        <th scope="col">"Tags"</th>
                        <th scope="col">"Repository"</th>
                        <th scope="col">"Health endpoints"</th>
                    </tr>
                </thead>
                <tbody>
                    {services
                        .into_iter()
                        .map(|service| {
                            let href = format!("/services/{}", service.slug);
                            let slug = service.slug.clone();
                            view! {
                                <tr data-slug=slug>
                                    <td>
                                        <a href=href>{service.name}</a>
                                        <div><code class="slug">{service.slug}</code></div>
                                    </td>
                                    <td>{service.team}</td>
                                    <td><TierBadge tier=service.tier /></td>
                                    <td>{service.tags.join(", ")}</td>
                                    <td><RepositoryLink repository=service.repository /></td>
                                    <td class="num">{service.health_endpoint_count}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
