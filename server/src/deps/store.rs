//! Drift snapshots. A snapshot and its rows are written in one transaction,
//! so a refresh that dies half-way leaves the previous snapshot in place.
//! When a refresh finds the same dependencies as the snapshot before, the
//! new snapshot points at the older rows (`dependencies_of`) instead of
//! copying them: history costs one row per refresh.

use std::collections::HashMap;

use shipshape_types::drift::{
    DependencyKind, DependencyView, DriftSummary, Ecosystem, Gap, ServiceDrift, VersionSource,
};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::deps::changes::drift_changes;
use crate::store::events::{Journal, Subject};
use crate::store::{QueryContext, Store, StoreError, decode_named};

const DEPENDENCY_COLUMNS: &str = "ecosystem, manifest, name, requirement, kind, optional, source, locked, current_version, wanted, latest, gap, releases_behind, libyears, age_days, yanked, deprecated, advisories, note, version_source, lock_file, inherited_from";
const DEPENDENCY_COLUMN_COUNT: usize = 22;
/// Rows per INSERT: well under SQLite's and PostgreSQL's parameter limits.
const ROWS_PER_INSERT: usize = 50;

const SUMMARY_COLUMNS: &str = "taken_ms, revision, dependency_count, libyears, up_to_date, patch, minor, major, unknown, range_only";

/// `a, b` → `t.a AS a, t.b AS b`: a column list for a query that joins
/// tables (the names rows are read by stay unqualified).
fn qualified(columns: &str, table: &str) -> String {
    columns
        .split(", ")
        .map(|c| format!("{table}.{c} AS {c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn dependency_from_row(row: &AnyRow) -> Result<DependencyView, sqlx::Error> {
    let list = |text: String| -> Vec<String> {
        text.split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    Ok(DependencyView {
        ecosystem: decode_named(
            row.try_get("ecosystem")?,
            Ecosystem::from_config_name,
            "ecosystem",
        )?,
        manifest: row.try_get("manifest")?,
        name: row.try_get("name")?,
        requirement: row.try_get("requirement")?,
        kind: decode_named(row.try_get("kind")?, DependencyKind::parse, "kind")?,
        optional: row.try_get::<i64, _>("optional")? != 0,
        source: row.try_get("source")?,
        locked: list(row.try_get("locked")?),
        current: row.try_get("current_version")?,
        wanted: row.try_get("wanted")?,
        latest: row.try_get("latest")?,
        gap: row
            .try_get::<Option<String>, _>("gap")?
            .map(|gap| decode_named(gap, Gap::parse, "gap"))
            .transpose()?,
        releases_behind: row.try_get("releases_behind")?,
        libyears: row.try_get("libyears")?,
        age_days: row.try_get("age_days")?,
        yanked: row.try_get::<i64, _>("yanked")? != 0,
        deprecated: row.try_get("deprecated")?,
        advisories: list(row.try_get("advisories")?),
        note: row.try_get("note")?,
        version_source: decode_named(
            row.try_get("version_source")?,
            VersionSource::parse,
            "version_source",
        )?,
        lock_file: row.try_get("lock_file")?,
        inherited_from: row.try_get("inherited_from")?,
    })
}

fn summary_from_row(row: &AnyRow) -> Result<DriftSummary, sqlx::Error> {
    Ok(DriftSummary {
        taken_ms: row.try_get("taken_ms")?,
        revision: row.try_get("revision")?,
        dependency_count: row.try_get("dependency_count")?,
        libyears: row.try_get("libyears")?,
        up_to_date: row.try_get("up_to_date")?,
        patch: row.try_get("patch")?,
        minor: row.try_get("minor")?,
        major: row.try_get("major")?,
        unknown: row.try_get("unknown")?,
        range_only: row.try_get("range_only")?,
    })
}

/// The latest snapshot of a service: the id holding its rows, its
/// revision and the problems met reading it.
struct Latest {
    rows_of: i64,
    revision: String,
    problems: Vec<String>,
}

/// What the latest snapshot of a service holds, for the next refresh.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LatestDrift {
    pub revision: String,
    pub problems: Vec<String>,
    pub dependencies: Vec<DependencyView>,
}

async fn latest_snapshot(
    tx: &mut Transaction<'_, Any>,
    service_id: i64,
) -> Result<Option<Latest>, StoreError> {
    let row = sqlx::query(
        "SELECT id, dependencies_of, revision, problems FROM drift_snapshots WHERE service_id = $1 ORDER BY taken_ms DESC, id DESC LIMIT 1",
    )
    .bind(service_id)
    .fetch_optional(&mut **tx)
    .await
    .during("finding the latest drift snapshot")?;
    row.map(|row| -> Result<Latest, sqlx::Error> {
        let id: i64 = row.try_get("id")?;
        let of: Option<i64> = row.try_get("dependencies_of")?;
        let problems: String = row.try_get("problems")?;
        Ok(Latest {
            rows_of: of.unwrap_or(id),
            revision: row.try_get("revision")?,
            problems: serde_json::from_str(&problems).unwrap_or_default(),
        })
    })
    .transpose()
    .during("reading the latest drift snapshot")
}

async fn rows_of(
    executor: &mut sqlx::AnyConnection,
    snapshot_id: i64,
) -> Result<Vec<DependencyView>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {DEPENDENCY_COLUMNS} FROM drift_dependencies WHERE snapshot_id = $1 ORDER BY ecosystem, manifest, name"
    ))
    .bind(snapshot_id)
    .fetch_all(executor)
    .await
    .during("reading a snapshot's dependencies")?;
    rows.iter()
        .map(dependency_from_row)
        .collect::<Result<_, _>>()
        .during("reading a snapshot's dependencies")
}

fn sorted(dependencies: &[DependencyView]) -> Vec<DependencyView> {
    let mut sorted = dependencies.to_vec();
    sorted.sort_by(|a, b| {
        (&a.ecosystem, &a.manifest, &a.name).cmp(&(&b.ecosystem, &b.manifest, &b.name))
    });
    sorted
}

impl Store {
    /// The revision, problems and dependencies of a service's latest snapshot.
    pub async fn latest_drift(&self, service_id: i64) -> Result<Option<LatestDrift>, StoreError> {
        let mut tx = self.begin_write().await.during("starting a read")?;
        let Some(latest) = latest_snapshot(&mut tx, service_id).await? else {
            return Ok(None);
        };
        let dependencies = rows_of(&mut tx, latest.rows_of).await?;
        tx.commit().await.during("finishing a read")?;
        Ok(Some(LatestDrift {
            revision: latest.revision,
            problems: latest.problems,
            dependencies,
        }))
    }

    pub async fn record_refresh_started(
        &self,
        service_id: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO drift_refreshes (service_id, started_ms, finished_ms, error) VALUES ($1, $2, NULL, NULL)
             ON CONFLICT (service_id) DO UPDATE SET started_ms = $2, finished_ms = NULL",
        )
        .bind(service_id)
        .bind(now_ms)
        .execute(self.pool())
        .await
        .during("recording the start of a refresh")?;
        Ok(())
    }

    /// Records why a refresh failed; the previous snapshot stays the latest.
    pub async fn record_refresh_failed(
        &self,
        service_id: i64,
        now_ms: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO drift_refreshes (service_id, started_ms, finished_ms, error) VALUES ($1, $2, $2, $3)
             ON CONFLICT (service_id) DO UPDATE SET finished_ms = $2, error = $3",
        )
        .bind(service_id)
        .bind(now_ms)
        .bind(error)
        .execute(self.pool())
        .await
        .during("recording a failed refresh")?;
        Ok(())
    }

    /// Stores a refresh's result as the service's latest snapshot, in one
    /// transaction with the refresh's end and the journal events of what
    /// changed since the snapshot before (see `deps::changes`). Returns the
    /// snapshot's id.
    pub async fn record_snapshot(
        &self,
        service_id: i64,
        now_ms: i64,
        revision: &str,
        problems: &[String],
        dependencies: &[DependencyView],
        libyear_budget: Option<f64>,
    ) -> Result<i64, StoreError> {
        let dependencies = sorted(dependencies);
        let summary = DriftSummary::of(&dependencies, now_ms, revision);
        let mut tx = self
            .begin_write()
            .await
            .during("starting to store a snapshot")?;
        let previous = latest_snapshot(&mut tx, service_id).await?;
        let previous_rows = match &previous {
            Some(latest) => Some(rows_of(&mut tx, latest.rows_of).await?),
            None => None,
        };
        let reuse = previous
            .as_ref()
            .zip(previous_rows.as_ref())
            .and_then(|(latest, rows)| (*rows == dependencies).then_some(latest.rows_of));
        let problems_json = serde_json::to_string(problems).unwrap_or_else(|_| "[]".into());
        let id: i64 = sqlx::query(&format!(
            "INSERT INTO drift_snapshots (service_id, dependencies_of, problems, {SUMMARY_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id"
        ))
        .bind(service_id)
        .bind(reuse)
        .bind(problems_json)
        .bind(summary.taken_ms)
        .bind(&summary.revision)
        .bind(summary.dependency_count)
        .bind(summary.libyears)
        .bind(summary.up_to_date)
        .bind(summary.patch)
        .bind(summary.minor)
        .bind(summary.major)
        .bind(summary.unknown)
        .bind(summary.range_only)
        .fetch_one(&mut *tx)
        .await
        .during("storing a snapshot")?
        .try_get("id")
        .during("storing a snapshot")?;
        if reuse.is_none() {
            for chunk in dependencies.chunks(ROWS_PER_INSERT) {
                insert_rows(&mut tx, id, chunk).await?;
            }
        }
        sqlx::query(
            "INSERT INTO drift_refreshes (service_id, started_ms, finished_ms, error) VALUES ($1, $2, $2, NULL)
             ON CONFLICT (service_id) DO UPDATE SET finished_ms = $2, error = NULL",
        )
        .bind(service_id)
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .during("recording the end of a refresh")?;
        let mut journal = Journal::new(self.backend());
        for change in drift_changes(previous_rows.as_deref(), &dependencies, libyear_budget) {
            journal
                .append(
                    &mut tx,
                    change.event_type,
                    Subject::ServiceId(service_id),
                    now_ms,
                    &change.payload,
                )
                .await?;
        }
        tx.commit().await.during("committing a snapshot")?;
        Ok(id)
    }

    /// Drift of one service: latest snapshot, its rows, history and the
    /// last refresh (the caller adds what is running now).
    pub async fn service_drift(
        &self,
        service_id: i64,
        history_limit: i64,
    ) -> Result<ServiceDrift, StoreError> {
        let mut drift = ServiceDrift::default();
        let history = sqlx::query(&format!(
            "SELECT {SUMMARY_COLUMNS}, problems, id, dependencies_of FROM drift_snapshots WHERE service_id = $1 ORDER BY taken_ms DESC, id DESC LIMIT $2"
        ))
        .bind(service_id)
        .bind(history_limit)
        .fetch_all(self.pool())
        .await
        .during("reading drift history")?;
        if let Some(latest) = history.first() {
            let problems: String = latest.try_get("problems").during("reading drift history")?;
            drift.problems = serde_json::from_str(&problems).unwrap_or_default();
            let id: i64 = latest.try_get("id").during("reading drift history")?;
            let of: Option<i64> = latest
                .try_get("dependencies_of")
                .during("reading drift history")?;
            let mut connection = self.pool().acquire().await.during("reading drift")?;
            drift.dependencies = rows_of(&mut connection, of.unwrap_or(id)).await?;
        }
        drift.history = history
            .iter()
            .rev()
            .map(summary_from_row)
            .collect::<Result<_, _>>()
            .during("reading drift history")?;
        drift.latest = drift.history.last().cloned();
        if let Some(row) = sqlx::query(
            "SELECT started_ms, finished_ms, error FROM drift_refreshes WHERE service_id = $1",
        )
        .bind(service_id)
        .fetch_optional(self.pool())
        .await
        .during("reading the last refresh")?
        {
            drift.refresh.last_started_ms = Some(
                row.try_get("started_ms")
                    .during("reading the last refresh")?,
            );
            drift.refresh.last_finished_ms = row
                .try_get("finished_ms")
                .during("reading the last refresh")?;
            drift.refresh.last_error = row.try_get("error").during("reading the last refresh")?;
        }
        Ok(drift)
    }

    /// The latest snapshot's totals and the last refresh error of every
    /// service that has one, by slug.
    pub async fn latest_drift_summaries(
        &self,
    ) -> Result<HashMap<String, (Option<DriftSummary>, Option<String>)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT v.slug AS slug, {} FROM drift_snapshots s JOIN services v ON v.id = s.service_id
             WHERE s.id = (SELECT MAX(l.id) FROM drift_snapshots l WHERE l.service_id = s.service_id)",
            qualified(SUMMARY_COLUMNS, "s")
        ))
        .fetch_all(self.pool())
        .await
        .during("reading drift totals")?;
        let mut found = HashMap::new();
        for row in &rows {
            let id: String = row.try_get("slug").during("reading drift totals")?;
            let summary = summary_from_row(row).during("reading drift totals")?;
            found.insert(id, (Some(summary), None));
        }
        let errors = sqlx::query("SELECT v.slug AS slug, r.error AS error FROM drift_refreshes r JOIN services v ON v.id = r.service_id WHERE r.error IS NOT NULL")
            .fetch_all(self.pool())
            .await
            .during("reading refresh errors")?;
        for row in &errors {
            let id: String = row.try_get("slug").during("reading refresh errors")?;
            let error: Option<String> = row.try_get("error").during("reading refresh errors")?;
            found.entry(id).or_insert((None, None)).1 = error;
        }
        Ok(found)
    }

    /// Every dependency of every active service's latest snapshot, with the
    /// service's slug.
    pub async fn fleet_dependencies(&self) -> Result<Vec<(String, DependencyView)>, StoreError> {
        let columns = qualified(DEPENDENCY_COLUMNS, "d");
        let rows = sqlx::query(&format!(
            "SELECT v.slug AS slug, {columns}
             FROM services v
             JOIN drift_snapshots s ON s.id = (SELECT MAX(l.id) FROM drift_snapshots l WHERE l.service_id = v.id)
             JOIN drift_dependencies d ON d.snapshot_id = COALESCE(s.dependencies_of, s.id)
             WHERE v.retired_ms IS NULL
             ORDER BY d.ecosystem, d.name, v.slug"
        ))
        .fetch_all(self.pool())
        .await
        .during("listing the fleet's dependencies")?;
        rows.iter()
            .map(|row| Ok((row.try_get("slug")?, dependency_from_row(row)?)))
            .collect::<Result<_, sqlx::Error>>()
            .during("listing the fleet's dependencies")
    }
}

async fn insert_rows(
    tx: &mut Transaction<'_, Any>,
    snapshot_id: i64,
    rows: &[DependencyView],
) -> Result<(), StoreError> {
    let width = DEPENDENCY_COLUMN_COUNT + 1;
    let values: Vec<String> = (0..rows.len())
        .map(|r| {
            let params: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", params.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO drift_dependencies (snapshot_id, {DEPENDENCY_COLUMNS}) VALUES {}",
        values.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for d in rows {
        query = query
            .bind(snapshot_id)
            .bind(d.ecosystem.config_name())
            .bind(d.manifest.clone())
            .bind(d.name.clone())
            .bind(d.requirement.clone())
            .bind(d.kind.name())
            .bind(i64::from(d.optional))
            .bind(d.source.clone())
            .bind(d.locked.join(","))
            .bind(d.current.clone())
            .bind(d.wanted.clone())
            .bind(d.latest.clone())
            .bind(d.gap.map(Gap::name))
            .bind(d.releases_behind)
            .bind(d.libyears)
            .bind(d.age_days)
            .bind(i64::from(d.yanked))
            .bind(d.deprecated.clone())
            .bind(d.advisories.join(","))
            .bind(d.note.clone())
            .bind(d.version_source.name())
            .bind(d.lock_file.clone())
            .bind(d.inherited_from.clone());
    }
    query
        .execute(&mut **tx)
        .await
        .during("storing a snapshot's dependencies")?;
    Ok(())
}
