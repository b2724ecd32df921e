//! Upgrade runs, the PRs they keep on GitHub, and waves. A PR row is
//! written before anything is sent to GitHub and saved after every step,
//! so the next run picks up where a killed one stopped.

use shipshape_types::drift::Ecosystem;
use shipshape_types::upgrades::{EventLevel, PrState, PrStep, RunCause, RunStatus, WaveState};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::store::events::{EventType, Journal, Subject};
use crate::store::{QueryContext, Store, StoreError, decode_named};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRun {
    pub id: i64,
    pub cause: RunCause,
    pub scope: Option<String>,
    pub dry_run: bool,
    pub started_ms: i64,
    pub finished_ms: Option<i64>,
    pub status: RunStatus,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunEvent {
    pub at_ms: i64,
    pub service_slug: Option<String>,
    pub level: EventLevel,
    pub message: String,
}

/// An upgrade PR as Shipshape tracks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPr {
    pub id: i64,
    pub service_id: i64,
    pub service_slug: String,
    pub repository: String,
    pub group_key: String,
    pub branch: String,
    pub title: String,
    /// JSON array of the bumps.
    pub bumps: String,
    pub content_key: String,
    pub step: PrStep,
    pub commit_sha: Option<String>,
    pub number: Option<i64>,
    pub url: Option<String>,
    pub state: PrState,
    pub wave_id: Option<i64>,
    pub run_id: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub opened_ms: Option<i64>,
    pub closed_ms: Option<i64>,
    pub merged_ms: Option<i64>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredWave {
    pub id: i64,
    pub ecosystem: Ecosystem,
    pub package: String,
    pub target: String,
    pub soak_ms: i64,
    pub created_ms: i64,
    pub state: WaveState,
    pub finished_ms: Option<i64>,
}

const RUN_COLUMNS: &str = "id, cause, scope, dry_run, started_ms, finished_ms, status, error";
const PR_COLUMNS: &str = "p.id AS id, p.service_id AS service_id, s.slug AS slug, p.repository AS repository, p.group_key AS group_key, p.branch AS branch, p.title AS title, p.bumps AS bumps, p.content_key AS content_key, p.step AS step, p.commit_sha AS commit_sha, p.number AS number, p.url AS url, p.state AS state, p.wave_id AS wave_id, p.run_id AS run_id, p.created_ms AS created_ms, p.updated_ms AS updated_ms, p.opened_ms AS opened_ms, p.closed_ms AS closed_ms, p.merged_ms AS merged_ms, p.note AS note";
const WAVE_COLUMNS: &str =
    "id, ecosystem, package, target, soak_ms, created_ms, state, finished_ms";

fn run_from_row(row: &AnyRow) -> Result<StoredRun, sqlx::Error> {
    Ok(StoredRun {
        id: row.try_get("id")?,
        cause: decode_named(row.try_get("cause")?, RunCause::parse, "cause")?,
        scope: row.try_get("scope")?,
        dry_run: row.try_get::<i64, _>("dry_run")? != 0,
        started_ms: row.try_get("started_ms")?,
        finished_ms: row.try_get("finished_ms")?,
        status: decode_named(row.try_get("status")?, RunStatus::parse, "status")?,
        error: row.try_get("error")?,
    })
}

fn pr_from_row(row: &AnyRow) -> Result<StoredPr, sqlx::Error> {
    Ok(StoredPr {
        id: row.try_get("id")?,
        service_id: row.try_get("service_id")?,
        service_slug: row.try_get("slug")?,
        repository: row.try_get("repository")?,
        group_key: row.try_get("group_key")?,
        branch: row.try_get("branch")?,
        title: row.try_get("title")?,
        bumps: row.try_get("bumps")?,
        content_key: row.try_get("content_key")?,
        step: decode_named(row.try_get("step")?, PrStep::parse, "step")?,
        commit_sha: row.try_get("commit_sha")?,
        number: row.try_get("number")?,
        url: row.try_get("url")?,
        state: decode_named(row.try_get("state")?, PrState::parse, "state")?,
        wave_id: row.try_get("wave_id")?,
        run_id: row.try_get("run_id")?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
        opened_ms: row.try_get("opened_ms")?,
        closed_ms: row.try_get("closed_ms")?,
        merged_ms: row.try_get("merged_ms")?,
        note: row.try_get("note")?,
    })
}

fn wave_from_row(row: &AnyRow) -> Result<StoredWave, sqlx::Error> {
    Ok(StoredWave {
        id: row.try_get("id")?,
        ecosystem: decode_named(
            row.try_get("ecosystem")?,
            Ecosystem::from_config_name,
            "ecosystem",
        )?,
        package: row.try_get("package")?,
        target: row.try_get("target")?,
        soak_ms: row.try_get("soak_ms")?,
        created_ms: row.try_get("created_ms")?,
        state: decode_named(row.try_get("state")?, WaveState::parse, "state")?,
        finished_ms: row.try_get("finished_ms")?,
    })
}

/// A PR row to create before anything is written to GitHub.
#[derive(Clone, Debug)]
pub struct NewPr<'a> {
    pub service_id: i64,
    pub repository: &'a str,
    pub group_key: &'a str,
    pub branch: &'a str,
    pub title: &'a str,
    pub bumps: &'a str,
    pub content_key: &'a str,
    pub wave_id: Option<i64>,
    pub run_id: i64,
}

impl Store {
    pub async fn start_run(
        &self,
        cause: RunCause,
        scope: Option<&str>,
        dry_run: bool,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        sqlx::query(
            "INSERT INTO upgrade_runs (cause, scope, dry_run, started_ms, status) VALUES ($1, $2, $3, $4, 'running') RETURNING id",
        )
        .bind(cause.name())
        .bind(scope)
        .bind(i64::from(dry_run))
        .bind(now_ms)
        .fetch_one(self.pool())
        .await
        .and_then(|row| row.try_get::<i64, _>("id"))
        .during("recording an upgrade run")
    }

    pub async fn finish_run(
        &self,
        run_id: i64,
        status: RunStatus,
        error: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE upgrade_runs SET status = $1, error = $2, finished_ms = $3 WHERE id = $4",
        )
        .bind(status.name())
        .bind(error)
        .bind(now_ms)
        .bind(run_id)
        .execute(self.pool())
        .await
        .during("finishing an upgrade run")?;
        Ok(())
    }

    /// Marks runs still `running` (the server stopped under them) as
    /// interrupted; their PRs are finished by the next run.
    pub async fn interrupt_unfinished_runs(&self, now_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE upgrade_runs SET status = 'interrupted', finished_ms = $1, error = 'the server stopped during the run; the next run finishes its PRs' WHERE status = 'running'",
        )
        .bind(now_ms)
        .execute(self.pool())
        .await
        .during("closing interrupted upgrade runs")?;
        Ok(done.rows_affected())
    }

    pub async fn add_run_event(
        &self,
        run_id: i64,
        service_id: Option<i64>,
        level: EventLevel,
        message: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO upgrade_run_events (run_id, at_ms, service_id, level, message) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(run_id)
        .bind(now_ms)
        .bind(service_id)
        .bind(level.name())
        .bind(message)
        .execute(self.pool())
        .await
        .during("recording what an upgrade run did")?;
        Ok(())
    }

    /// The newest runs first.
    pub async fn upgrade_runs(&self, limit: i64) -> Result<Vec<StoredRun>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM upgrade_runs ORDER BY id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .during("listing upgrade runs")?;
        rows.iter()
            .map(run_from_row)
            .collect::<Result<_, _>>()
            .during("reading upgrade runs")
    }

    pub async fn upgrade_run(&self, run_id: i64) -> Result<Option<StoredRun>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM upgrade_runs WHERE id = $1"
        ))
        .bind(run_id)
        .fetch_optional(self.pool())
        .await
        .during("reading an upgrade run")?;
        row.as_ref()
            .map(run_from_row)
            .transpose()
            .during("reading an upgrade run")
    }

    pub async fn run_events(&self, run_id: i64) -> Result<Vec<RunEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.at_ms AS at_ms, s.slug AS slug, e.level AS level, e.message AS message FROM upgrade_run_events e LEFT JOIN services s ON s.id = e.service_id WHERE e.run_id = $1 ORDER BY e.id",
        )
        .bind(run_id)
        .fetch_all(self.pool())
        .await
        .during("reading what an upgrade run did")?;
        rows.iter()
            .map(|row| {
                Ok(RunEvent {
                    at_ms: row.try_get("at_ms")?,
                    service_slug: row.try_get("slug")?,
                    level: decode_named(row.try_get("level")?, EventLevel::parse, "level")?,
                    message: row.try_get("message")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .during("reading what an upgrade run did")
    }

    async fn prs_where(&self, condition: &str, binds: &[i64]) -> Result<Vec<StoredPr>, StoreError> {
        let sql = format!(
            "SELECT {PR_COLUMNS} FROM upgrade_prs p JOIN services s ON s.id = p.service_id WHERE {condition} ORDER BY p.id"
        );
        let mut query = sqlx::query(&sql);
        for bind in binds {
            query = query.bind(*bind);
        }
        let rows = query
            .fetch_all(self.pool())
            .await
            .during("reading upgrade PRs")?;
        rows.iter()
            .map(pr_from_row)
            .collect::<Result<_, _>>()
            .during("reading upgrade PRs")
    }

    /// The pending and open PRs of a service.
    pub async fn live_prs(&self, service_id: i64) -> Result<Vec<StoredPr>, StoreError> {
        self.prs_where(
            "p.service_id = $1 AND p.state IN ('pending', 'open')",
            &[service_id],
        )
        .await
    }

    /// PRs a person closed without merging: their bumps are not proposed again.
    pub async fn declined_prs(&self, service_id: i64) -> Result<Vec<StoredPr>, StoreError> {
        self.prs_where("p.service_id = $1 AND p.state = 'closed'", &[service_id])
            .await
    }

    /// Every PR of the service for `group_key`, whatever became of it
    /// (lock-file maintenance reads whether one is live and when the last
    /// one started from these).
    pub async fn group_prs(
        &self,
        service_id: i64,
        group_key: &str,
    ) -> Result<Vec<StoredPr>, StoreError> {
        Ok(self
            .prs_where("p.service_id = $1", &[service_id])
            .await?
            .into_iter()
            .filter(|pr| pr.group_key == group_key)
            .collect())
    }

    /// Every tracked PR, or those in one state.
    pub async fn upgrade_prs(&self, state: Option<PrState>) -> Result<Vec<StoredPr>, StoreError> {
        let all = self.prs_where("1 = 1", &[]).await?;
        Ok(all
            .into_iter()
            .filter(|pr| state.is_none_or(|s| pr.state == s))
            .collect())
    }

    pub async fn wave_prs(&self, wave_id: i64) -> Result<Vec<StoredPr>, StoreError> {
        self.prs_where("p.wave_id = $1", &[wave_id]).await
    }

    /// Creates the row of a PR about to be written; when a live one for the
    /// group exists already (another run got there first), that one.
    pub async fn insert_pr(&self, new: &NewPr<'_>, now_ms: i64) -> Result<StoredPr, StoreError> {
        sqlx::query(
            "INSERT INTO upgrade_prs (service_id, repository, group_key, branch, title, bumps, content_key, step, state, wave_id, run_id, created_ms, updated_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'planned', 'pending', $8, $9, $10, $10) \
             ON CONFLICT DO NOTHING",
        )
        .bind(new.service_id)
        .bind(new.repository)
        .bind(new.group_key)
        .bind(new.branch)
        .bind(new.title)
        .bind(new.bumps)
        .bind(new.content_key)
        .bind(new.wave_id)
        .bind(new.run_id)
        .bind(now_ms)
        .execute(self.pool())
        .await
        .during("recording an upgrade PR before writing it")?;
        self.live_prs(new.service_id)
            .await?
            .into_iter()
            .find(|pr| pr.group_key == new.group_key)
            .ok_or_else(|| StoreError::Corrupt("an upgrade PR just recorded is missing".into()))
    }

    /// Saves every changing field of `pr`; a PR that opened, merged or
    /// closed with this save is journaled in the same transaction.
    pub async fn save_pr(&self, pr: &StoredPr) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await.during("starting a transaction")?;
        let before: Option<String> = sqlx::query("SELECT state FROM upgrade_prs WHERE id = $1")
            .bind(pr.id)
            .fetch_optional(&mut *tx)
            .await
            .during("reading an upgrade PR's state")?
            .map(|row| row.try_get("state"))
            .transpose()
            .during("reading an upgrade PR's state")?;
        sqlx::query(
            "UPDATE upgrade_prs SET title = $1, bumps = $2, content_key = $3, step = $4, commit_sha = $5, number = $6, url = $7, state = $8, run_id = $9, updated_ms = $10, opened_ms = $11, closed_ms = $12, merged_ms = $13, note = $14, branch = $15 WHERE id = $16",
        )
        .bind(&pr.title)
        .bind(&pr.bumps)
        .bind(&pr.content_key)
        .bind(pr.step.name())
        .bind(&pr.commit_sha)
        .bind(pr.number)
        .bind(&pr.url)
        .bind(pr.state.name())
        .bind(pr.run_id)
        .bind(pr.updated_ms)
        .bind(pr.opened_ms)
        .bind(pr.closed_ms)
        .bind(pr.merged_ms)
        .bind(&pr.note)
        .bind(&pr.branch)
        .bind(pr.id)
        .execute(&mut *tx)
        .await
        .during("saving an upgrade PR's progress")?;
        let event_type = match pr.state {
            PrState::Open => Some(EventType::PrOpened),
            PrState::Merged => Some(EventType::PrMerged),
            PrState::Closed | PrState::Superseded => Some(EventType::PrClosed),
            PrState::Pending => None,
        };
        if let Some(event_type) = event_type
            && before.as_deref() != Some(pr.state.name())
        {
            let payload = serde_json::json!({
                "repository": pr.repository,
                "number": pr.number,
                "url": pr.url,
                "title": pr.title,
                "group": pr.group_key,
                "state": pr.state,
                "wave_id": pr.wave_id,
                "note": pr.note,
            });
            Journal::new(self.backend())
                .append(
                    &mut tx,
                    event_type,
                    Subject::ServiceId(pr.service_id),
                    pr.updated_ms,
                    &payload,
                )
                .await?;
        }
        tx.commit()
            .await
            .during("saving an upgrade PR's progress")?;
        Ok(())
    }

    pub async fn create_wave(
        &self,
        ecosystem: Ecosystem,
        package: &str,
        target: &str,
        soak_ms: i64,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        sqlx::query(
            "INSERT INTO upgrade_waves (ecosystem, package, target, soak_ms, created_ms, state) VALUES ($1, $2, $3, $4, $5, 'active') RETURNING id",
        )
        .bind(ecosystem.config_name())
        .bind(package)
        .bind(target)
        .bind(soak_ms)
        .bind(now_ms)
        .fetch_one(self.pool())
        .await
        .and_then(|row| row.try_get::<i64, _>("id"))
        .during("recording an upgrade wave")
    }

    pub async fn waves(&self) -> Result<Vec<StoredWave>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {WAVE_COLUMNS} FROM upgrade_waves ORDER BY id DESC"
        ))
        .fetch_all(self.pool())
        .await
        .during("listing upgrade waves")?;
        rows.iter()
            .map(wave_from_row)
            .collect::<Result<_, _>>()
            .during("reading upgrade waves")
    }

    pub async fn finish_wave(
        &self,
        wave_id: i64,
        state: WaveState,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE upgrade_waves SET state = $1, finished_ms = $2 WHERE id = $3")
            .bind(state.name())
            .bind(now_ms)
            .bind(wave_id)
            .execute(self.pool())
            .await
            .during("finishing an upgrade wave")?;
        Ok(())
    }
}
