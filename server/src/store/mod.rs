//! The one store every part of Shipshape reads and writes through. SQLite
//! (the embedded default) and PostgreSQL sit behind the same `AnyPool`; the
//! SQL is kept to the subset both understand (`$1` parameters, `BIGINT`
//! times, `ON CONFLICT`, `RETURNING`), and the few differences live in
//! `migrations/<backend>/` and in [`Backend`].
//!
//! This folder holds the connection, the migrations and the event journal
//! only, and knows no capability. Each capability keeps its own SQL in its
//! `store.rs` as an `impl Store` block (`fleet/store.rs`, `health/store.rs`,
//! …), so a call reads `store.record_checks(…)` wherever the SQL lives.

pub mod events;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions};

use crate::common::secret::DatabaseUrl;

pub use events::{EventFilter, EventType, MAX_EVENTS_PER_READ, StoredEvent, Subject};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    fn migrator(self) -> &'static Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {url}: use sqlite://FILE or postgres://USER@HOST/DATABASE")]
    UnsupportedUrl { url: String },
    #[error("could not open the {backend} database {url}: {source}")]
    Connect {
        backend: &'static str,
        url: String,
        source: sqlx::Error,
    },
    #[error("could not apply the database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the database failed while {action}: {source}")]
    Query {
        action: &'static str,
        source: sqlx::Error,
    },
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

/// Adds the name of what was being done to a database error.
pub(crate) trait QueryContext<T> {
    fn during(self, action: &'static str) -> Result<T, StoreError>;
}

impl<T> QueryContext<T> for Result<T, sqlx::Error> {
    fn during(self, action: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Query { action, source })
    }
}

/// Reads a text column that holds one of an enum's names (`cargo`,
/// `major`, …) back into the enum; any other text is a decoding error that
/// names the column, as a corrupt value deserves.
pub(crate) fn decode_named<T>(
    text: String,
    parse: impl Fn(&str) -> Option<T>,
    column: &'static str,
) -> Result<T, sqlx::Error> {
    parse(&text).ok_or_else(|| {
        sqlx::Error::Decode(
            format!("column {column} holds `{text}`, which is not a known value").into(),
        )
    })
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Opens the database (creating an SQLite file when it does not exist
    /// yet) without applying migrations.
    pub async fn connect(url: &DatabaseUrl, max_connections: u32) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend =
            Backend::from_url(url.expose()).ok_or_else(|| StoreError::UnsupportedUrl {
                url: url.redacted(),
            })?;
        let connect_error = |source| StoreError::Connect {
            backend: backend.name(),
            url: url.redacted(),
            source,
        };

        let full_url = match backend {
            Backend::Sqlite if !url.expose().contains("mode=") => {
                let separator = if url.expose().contains('?') { '&' } else { '?' };
                format!("{}{separator}mode=rwc", url.expose())
            }
            _ => url.expose().to_string(),
        };
        // Statements are logged at debug level only: at info they would flood
        // the log. One slower than 3 s is still reported as a warning (the
        // one-time switch to WAL of a new file can take a second on a busy disk).
        let options = AnyConnectOptions::from_str(&full_url)
            .map_err(connect_error)?
            .log_statements(log::LevelFilter::Debug)
            .log_slow_statements(log::LevelFilter::Warn, Duration::from_secs(3));
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                // One writer at a time is all SQLite allows; a few readers
                // beside it are enough for a single machine.
                Backend::Sqlite => max_connections.min(4),
                Backend::Postgres => max_connections,
            })
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(connect_error)?;

        if backend == Backend::Sqlite {
            // WAL lets the dashboard read while a crawl writes. The mode is
            // stored in the file, so setting it once per start is enough.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
                .map_err(connect_error)?;
        }
        Ok(Store { pool, backend })
    }

    /// Applies every pending migration. Fails loudly (and start-up with it)
    /// when the database has a migration this build does not know.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.backend.migrator().run(&self.pool).await?;
        Ok(())
    }

    /// Reverts migrations down to (not including) `target` version; 0 reverts all.
    pub async fn migrate_down_to(&self, target: i64) -> Result<(), StoreError> {
        self.backend.migrator().undo(&self.pool, target).await?;
        Ok(())
    }

    /// The versions of the migrations this build carries.
    pub fn known_migrations(&self) -> Vec<(i64, String)> {
        self.backend
            .migrator()
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .map(|m| (m.version, m.description.to_string()))
            .collect()
    }

    /// Answers whether the database takes a query right now.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .during("checking that the database answers")?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction that will write. On SQLite it takes the write lock
    /// at once (`BEGIN IMMEDIATE`): one that read first and then tried to
    /// write while the monitor wrote would fail with `SQLITE_BUSY_SNAPSHOT`
    /// instead of waiting its turn. Every transaction of the stores writes.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }
}
