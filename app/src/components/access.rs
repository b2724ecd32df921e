//! What the signed-in caller may see: write buttons and forms are shown
//! only to roles that may use them. The server refuses them regardless;
//! this only spares people buttons that would fail.

use leptos::prelude::*;

use crate::api::load_current_user;
use shipshape_types::auth::{Caller, Role};

/// The caller, read once per page load and shared by every component.
#[derive(Clone, Copy)]
pub struct Me(pub Resource<Result<Caller, ServerFnError>>);

pub fn provide_me() {
    provide_context(Me(Resource::new(|| (), |_| load_current_user())));
}

impl Me {
    /// Whether the caller's role allows `role`, once known. Pages whose
    /// forms are re-rendered with their data await this beside the data, so
    /// that the forms are not rebuilt (and emptied) on their own.
    pub async fn may(self, role: Role) -> bool {
        self.0.await.is_ok_and(|user| user.may(role))
    }
}

/// `children`, for callers whose role allows `role`; nothing otherwise.
#[component]
pub fn IfAllowed(role: Role, children: ChildrenFn) -> impl IntoView {
    let me = use_context::<Me>();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let children = children.clone();
                me.map(|me| Suspend::new(async move {
                    let allowed = me.0.await.is_ok_and(|user| user.may(role));
                    allowed.then(|| children())
                }))
            }}
        </Suspense>
    }
}

/// The top bar's corner: who is signed in, with a sign-out button, or a
/// link to sign in.
#[component]
pub fn UserMenu() -> impl IntoView {
    let me = use_context::<Me>();
    view! {
        <Suspense fallback=|| ()>
            {move || me.map(|me| Suspend::new(async move {
                match me.0.await {
                    Ok(user) if user.signed_in() => view! {
                        <div class="user-menu" data-testid="user-menu">
                            <a href="/account" class="muted small" data-testid="signed-in-as" title="Your account">
                                {format!("{} ({})", user.name, user.role.map_or("no role", Role::name))}
                            </a>
                            // A plain form: signing out works before the page hydrates.
                            <form method="post" action="/auth/sign-out" class="inline-form">
                                <button type="submit" class="link-button" data-testid="sign-out">"Sign out"</button>
                            </form>
                        </div>
                    }.into_any(),
                    _ => view! {
                        <div class="user-menu">
                            <a href="/sign-in" data-testid="sign-in-link">"Sign in"</a>
                        </div>
                    }.into_any(),
                }
            }))}
        </Suspense>
    }
}
