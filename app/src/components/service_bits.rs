//! Small pieces of service display used on several pages.

use leptos::prelude::*;

use shipshape_types::model::RepositoryView;

#[component]
pub fn TagList(tags: Vec<String>) -> impl IntoView {
    view! {
        <ul class="tags" aria-label="Tags">
            {tags.into_iter().map(|tag| view! { <li class="tag">{tag}</li> }).collect_view()}
        </ul>
    }
}

/// Tier 1 is the most critical; the words matter more than the colour.
#[component]
pub fn TierBadge(tier: u8) -> impl IntoView {
    view! {
        <span class=format!("tier tier-{tier}") title="Tier 1 is the most critical">
            {format!("Tier {tier}")}
        </span>
    }
}

#[component]
pub fn RepositoryLink(repository: Option<RepositoryView>) -> impl IntoView {
    match repository {
        None => view! { <span class="muted">"No repository"</span> }.into_any(),
        Some(RepositoryView {
            kind,
            display,
            web_url: Some(url),
        }) => view! {
            <a class="repo" href=url rel="noopener noreferrer">
                <span class="repo-kind">{kind}</span>
                {display}
            </a>
        }
        .into_any(),
        Some(RepositoryView {
            kind,
            display,
            web_url: None,
        }) => view! {
            <span class="repo">
                <span class="repo-kind">{kind}</span>
                <code>{display}</code>
            </span>
        }
        .into_any(),
    }
}

/// A problem the page could not get past, said plainly.
#[component]
pub fn ErrorPanel(title: &'static str, message: String) -> impl IntoView {
    view! {
        <div class="panel panel-error" role="alert">
            <strong>{title}</strong>
            <p>{message}</p>
        </div>
    }
}
