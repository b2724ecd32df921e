//! The event journal: one row per change of state that matters, written in
//! the transaction that makes the change (see [`Journal`]) and read by
//! cursor (`id`), which is stable across restarts.
//!
//! Ids must be handed out in commit order, or a reader at cursor 10 could
//! miss event 9 committed after event 10. SQLite has one writer at a time;
//! on PostgreSQL a transaction-scoped advisory lock taken before the first
//! event of a transaction gives the same order.

use serde::Serialize;
pub use shipshape_types::journal::EventType;
use sqlx::{AnyConnection, Row};

use super::{Backend, QueryContext, Store, StoreError};

/// The advisory lock key that orders journal writers on PostgreSQL.
const JOURNAL_LOCK: i64 = 0x5348_4950_4a52_4e4c; // "SHIPJRNL"

/// How many events one read returns at most.
pub const MAX_EVENTS_PER_READ: i64 = 1000;

/// An event as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoredEvent {
    pub id: i64,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub service: Option<String>,
    pub team: Option<String>,
    pub at_ms: i64,
    pub payload: serde_json::Value,
}

/// Which events a read wants. `after` is the cursor: the last id seen.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub after: i64,
    pub limit: i64,
    pub types: Vec<EventType>,
    pub service: Option<String>,
    pub team: Option<String>,
}

/// Who an event is about.
#[derive(Clone, Copy, Debug)]
pub enum Subject<'a> {
    /// Nobody in particular (a channel, the fleet).
    None,
    /// A service named by its slug and team.
    Service { slug: &'a str, team: &'a str },
    /// A service by its stored id.
    ServiceId(i64),
    /// The service a health endpoint belongs to.
    Endpoint(i64),
}

/// Writes events inside a caller's transaction.
pub(crate) struct Journal {
    backend: Backend,
    locked: bool,
}

impl Journal {
    pub(crate) fn new(backend: Backend) -> Journal {
        Journal {
            backend,
            locked: false,
        }
    }

    /// Appends one event; returns its id.
    pub(crate) async fn append(
        &mut self,
        tx: &mut AnyConnection,
        event_type: EventType,
        subject: Subject<'_>,
        at_ms: i64,
        payload: &serde_json::Value,
    ) -> Result<i64, StoreError> {
        if self.backend == Backend::Postgres && !self.locked {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(JOURNAL_LOCK)
                .execute(&mut *tx)
                .await
                .during("ordering the event journal")?;
            self.locked = true;
        }
        let payload = payload.to_string();
        let query = match subject {
            Subject::None => sqlx::query(
                "INSERT INTO events (type, service_slug, team, at_ms, payload)
                 VALUES ($1, NULL, NULL, $2, $3) RETURNING id",
            )
            .bind(event_type.name())
            .bind(at_ms)
            .bind(payload),
            Subject::Service { slug, team } => sqlx::query(
                "INSERT INTO events (type, service_slug, team, at_ms, payload)
                 VALUES ($1, $4, $5, $2, $3) RETURNING id",
            )
            .bind(event_type.name())
            .bind(at_ms)
            .bind(payload)
            .bind(slug.to_string())
            .bind(team.to_string()),
            // Subqueries, not a join: the event is written even if the
            // service row is gone (its slug is then unknown).
            Subject::ServiceId(id) => sqlx::query(
                "INSERT INTO events (type, service_slug, team, at_ms, payload)
                 VALUES ($1, (SELECT s.slug FROM services s WHERE s.id = $4),
                         (SELECT s.team FROM services s WHERE s.id = $4), $2, $3)
                 RETURNING id",
            )
            .bind(event_type.name())
            .bind(at_ms)
            .bind(payload)
            .bind(id),
            Subject::Endpoint(id) => sqlx::query(
                "INSERT INTO events (type, service_slug, team, at_ms, payload)
                 VALUES ($1,
                         (SELECT s.slug FROM health_endpoints e JOIN services s ON s.id = e.service_id WHERE e.id = $4),
                         (SELECT s.team FROM health_endpoints e JOIN services s ON s.id = e.service_id WHERE e.id = $4),
                         $2, $3)
                 RETURNING id",
            )
            .bind(event_type.name())
            .bind(at_ms)
            .bind(payload)
            .bind(id),
        };
        query
            .fetch_one(&mut *tx)
            .await
            .during("writing to the event journal")?
            .try_get("id")
            .during("writing to the event journal")
    }
}

pub(crate) fn event_from_row(row: &sqlx::any::AnyRow) -> Result<StoredEvent, StoreError> {
    let read = || -> Result<(StoredEvent, String), sqlx::Error> {
        Ok((
            StoredEvent {
                id: row.try_get("id")?,
                event_type: super::decode_named(row.try_get("type")?, EventType::parse, "type")?,
                service: row.try_get("service_slug")?,
                team: row.try_get("team")?,
                at_ms: row.try_get("at_ms")?,
                payload: serde_json::Value::Null,
            },
            row.try_get("payload")?,
        ))
    };
    let (mut event, payload) = read().during("reading the event journal")?;
    event.payload = serde_json::from_str(&payload).map_err(|error| {
        StoreError::Corrupt(format!(
            "event {} has a payload that is not JSON: {error}",
            event.id
        ))
    })?;
    Ok(event)
}

const EVENT_COLUMNS: &str = "id, type, service_slug, team, at_ms, payload";

impl Store {
    /// Events after the cursor, oldest first.
    pub async fn events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>, StoreError> {
        let mut sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE id > $1");
        let mut position = 2;
        let mut texts: Vec<String> = Vec::new();
        if !filter.types.is_empty() {
            let places: Vec<String> = filter
                .types
                .iter()
                .map(|kind| {
                    texts.push(kind.name().to_string());
                    position += 1;
                    format!("${}", position - 1)
                })
                .collect();
            sql.push_str(&format!(" AND type IN ({})", places.join(", ")));
        }
        for (column, value) in [("service_slug", &filter.service), ("team", &filter.team)] {
            if let Some(value) = value {
                texts.push(value.clone());
                sql.push_str(&format!(" AND {column} = ${position}"));
                position += 1;
            }
        }
        sql.push_str(&format!(" ORDER BY id LIMIT ${position}"));
        let mut query = sqlx::query(&sql).bind(filter.after);
        for text in texts {
            query = query.bind(text);
        }
        let limit = filter.limit.clamp(1, MAX_EVENTS_PER_READ);
        let rows = query
            .bind(limit)
            .fetch_all(self.pool())
            .await
            .during("reading the event journal")?;
        rows.iter().map(event_from_row).collect()
    }

    /// The newest events, newest first (for the dashboard).
    pub async fn recent_events(
        &self,
        service: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        // `$1 IS NULL` keeps one statement for "any service" and "this one".
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events
             WHERE ($1 IS NULL OR service_slug = $1) ORDER BY id DESC LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(service.map(str::to_string))
            .bind(limit.clamp(1, MAX_EVENTS_PER_READ))
            .fetch_all(self.pool())
            .await
            .during("reading the event journal")?;
        rows.iter().map(event_from_row).collect()
    }

    /// Appends one event in a transaction of its own (for changes that are
    /// nothing but the event, and for tests).
    pub async fn append_event(
        &self,
        event_type: EventType,
        subject: Subject<'_>,
        at_ms: i64,
        payload: &serde_json::Value,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await.during("starting a transaction")?;
        let id = Journal::new(self.backend())
            .append(&mut tx, event_type, subject, at_ms, payload)
            .await?;
        tx.commit().await.during("committing an event")?;
        Ok(id)
    }
}
