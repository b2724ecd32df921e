//! How every list of the API is read a page at a time, and how every
//! failure is answered. One convention for all lists: ask with `limit`
//! (1 to [`MAX_LIMIT`], default [`DEFAULT_LIMIT`]) and `after` (the
//! `next_cursor` of the page before); the answer is a [`Page`] whose
//! `next_cursor` is `null` once the list is read to its end. The event
//! journal never ends: its `next_cursor` is always where to read on.

use serde::{Deserialize, Serialize};

pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 1000;

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `after` to read the next page; `null` at the end of the list.
    pub next_cursor: Option<String>,
}

/// Where a page starts and how long it is, as a request gives them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct PageRequest {
    /// The `next_cursor` of the page before; absent for the first page.
    pub after: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    pub limit: Option<usize>,
}

impl PageRequest {
    /// The page length, or why it is not one.
    pub fn length(&self) -> Result<usize, String> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(limit @ 1..=MAX_LIMIT) => Ok(limit),
            Some(other) => Err(format!("limit: must be from 1 to {MAX_LIMIT}, not {other}")),
        }
    }
}

impl<T> Page<T> {
    /// A page of a list computed whole, in its order: the cursor is the
    /// position after the page, so it is opaque to callers but cheap here.
    pub fn of(items: Vec<T>, request: &PageRequest) -> Result<Page<T>, String> {
        let length = request.length()?;
        let start = match request.after.as_deref() {
            None => 0,
            Some(cursor) => cursor
                .parse::<usize>()
                .map_err(|_| format!("after: `{cursor}` is not a cursor this list gave"))?,
        };
        let total = items.len();
        let end = start.saturating_add(length).min(total);
        let items: Vec<T> = items.into_iter().skip(start).take(length).collect();
        Ok(Page {
            items,
            next_cursor: (end < total).then(|| end.to_string()),
        })
    }
}

/// Why a request could not be answered, in the shape of RFC 9457
/// ("problem details"), for the API; pages show `detail`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's reason phrase (`Not Found`).
    pub title: String,
    pub status: u16,
    /// What went wrong, for a person: names the thing and what is wrong
    /// with it, never an internal cause.
    pub detail: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl Problem {
    pub fn new(status: u16, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: "about:blank".to_string(),
            title: title.to_string(),
            status,
            detail: detail.into(),
        }
    }

    /// A mistake of the caller's (4xx), as opposed to a failure of the server.
    pub fn is_callers(&self) -> bool {
        (400..500).contains(&self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_reads_to_its_end_page_by_page() {
        let all: Vec<u32> = (0..5).collect();
        let first = Page::of(
            all.clone(),
            &PageRequest {
                after: None,
                limit: Some(2),
            },
        )
        .unwrap();
        assert_eq!(first.items, [0, 1]);
        let second = Page::of(
            all.clone(),
            &PageRequest {
                after: first.next_cursor.clone(),
                limit: Some(2),
            },
        )
        .unwrap();
        assert_eq!(second.items, [2, 3]);
        let last = Page::of(
            all.clone(),
            &PageRequest {
                after: second.next_cursor.clone(),
                limit: Some(2),
            },
        )
        .unwrap();
        assert_eq!((last.items, last.next_cursor), (vec![4], None));
        let whole = Page::of(all.clone(), &PageRequest::default()).unwrap();
        assert_eq!((whole.items.len(), whole.next_cursor), (5, None));
    }

    #[test]
    fn a_bad_limit_or_cursor_is_named() {
        let all = vec![1, 2];
        assert!(
            Page::of(
                all.clone(),
                &PageRequest {
                    after: None,
                    limit: Some(0)
                }
            )
            .unwrap_err()
            .starts_with("limit:")
        );
        assert!(
            Page::of(
                all.clone(),
                &PageRequest {
                    after: None,
                    limit: Some(1001)
                }
            )
            .is_err()
        );
        assert!(
            Page::of(
                all,
                &PageRequest {
                    after: Some("x".into()),
                    limit: None
                }
            )
            .unwrap_err()
            .starts_with("after:")
        );
    }
}
