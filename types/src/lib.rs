//! What Shipshape's server and its pages say to each other, and the words
//! both use for the domain: health levels, roles, ecosystems, gaps and
//! dependency kinds. Below both the server's domain and the UI (neither owns
//! it), with serde as its only dependency, so the browser bundle carries no
//! server code and the server's domain carries no UI code. Nothing here does
//! I/O.

pub mod alerts;
pub mod auth;
pub mod drift;
pub mod format;
pub mod health;
pub mod journal;
pub mod model;
pub mod page;
pub mod upgrades;

/// An enum whose values each have one name: in JSON, the database, URLs
/// and CSS classes alike (`pr-open`), so a state is never a loose string.
/// Gives `ALL`, `name()`, `parse()` and `Display`.
#[macro_export]
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        $vis enum $name {
            $($(#[$variant_meta])* #[serde(rename = $text)] $variant,)+
        }

        // Written by hand: the derive does not see a `rename` that comes
        // through a macro, and would publish the variants' Rust names.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text,)+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            pub fn parse(text: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|value| value.name() == text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}
