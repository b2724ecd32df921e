//! Services, their tags and health endpoints.

use std::collections::HashMap;
use std::time::Duration;

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use shipshape_types::model::ServiceOrigin;

use crate::fleet::reconcile::FleetPlan;
use crate::fleet::spec::{
    Expectations, HealthEndpointSpec, RepositorySource, ServiceSpec, StoredService,
};
use crate::store::{QueryContext, Store, StoreError};

const SERVICE_COLUMNS: &str = "id, slug, name, team, tier, repo_kind, repo_location, origin, public, created_ms, updated_ms, retired_ms";

impl Store {
    /// Services in the fleet now (not retired), ordered by slug.
    pub async fn active_services(&self) -> Result<Vec<StoredService>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SERVICE_COLUMNS} FROM services WHERE retired_ms IS NULL ORDER BY slug"
        ))
        .fetch_all(self.pool())
        .await
        .during("listing services")?;
        self.assemble(rows).await
    }

    /// Every service ever stored, retired ones included (for reconciling).
    pub async fn all_services(&self) -> Result<Vec<StoredService>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SERVICE_COLUMNS} FROM services ORDER BY slug"
        ))
        .fetch_all(self.pool())
        .await
        .during("listing services")?;
        self.assemble(rows).await
    }

    /// One service in the fleet now, by slug.
    pub async fn active_service(&self, slug: &str) -> Result<Option<StoredService>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SERVICE_COLUMNS} FROM services WHERE slug = $1 AND retired_ms IS NULL"
        ))
        .bind(slug)
        .fetch_all(self.pool())
        .await
        .during("reading a service")?;
        Ok(self.assemble(rows).await?.into_iter().next())
    }

    pub async fn count_active_services(&self) -> Result<i64, StoreError> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM services WHERE retired_ms IS NULL")
                .fetch_one(self.pool())
                .await
                .during("counting services")?;
        Ok(count)
    }

    /// Applies a reconciliation plan in one transaction: either the whole
    /// fleet file is taken, or nothing changes.
    pub async fn apply_fleet_plan(&self, plan: &FleetPlan, now_ms: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await.during("starting a transaction")?;
        for declared in &plan.create {
            let spec = &declared.spec;
            let (repo_kind, repo_location) = repo_columns(spec);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO services (slug, name, team, tier, repo_kind, repo_location, origin, created_ms, updated_ms, public)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) RETURNING id",
            )
            .bind(&spec.slug)
            .bind(&spec.name)
            .bind(&spec.team)
            .bind(i64::from(spec.tier))
            .bind(repo_kind)
            .bind(repo_location)
            .bind(declared.origin.name())
            .bind(now_ms)
            .bind(i64::from(spec.public))
            .fetch_one(&mut *tx)
            .await
            .during("adding a service")?;
            replace_tags(&mut tx, id, &spec.tags).await?;
            replace_health_endpoints(&mut tx, id, &spec.health_endpoints).await?;
        }
        for update in &plan.update {
            let spec = &update.spec;
            let (repo_kind, repo_location) = repo_columns(spec);
            sqlx::query(
                "UPDATE services SET name = $2, team = $3, tier = $4, repo_kind = $5, repo_location = $6,
                 origin = $7, updated_ms = $8, retired_ms = NULL, public = $9 WHERE id = $1",
            )
            .bind(update.id)
            .bind(&spec.name)
            .bind(&spec.team)
            .bind(i64::from(spec.tier))
            .bind(repo_kind)
            .bind(repo_location)
            .bind(update.origin.name())
            .bind(now_ms)
            .bind(i64::from(spec.public))
            .execute(&mut *tx)
            .await
            .during("updating a service")?;
            if update.tags_changed {
                replace_tags(&mut tx, update.id, &spec.tags).await?;
            }
            if update.health_endpoints_changed {
                replace_health_endpoints(&mut tx, update.id, &spec.health_endpoints).await?;
            }
        }
        for retired in &plan.retire {
            sqlx::query("UPDATE services SET retired_ms = $2, updated_ms = $2 WHERE id = $1")
                .bind(retired.id)
                .bind(now_ms)
                .execute(&mut *tx)
                .await
                .during("retiring a service")?;
        }
        tx.commit().await.during("committing the fleet")?;
        Ok(())
    }

    /// Reads the tags and endpoints of the given service rows and puts each
    /// service together (three queries, whatever the number of services).
    async fn assemble(&self, rows: Vec<AnyRow>) -> Result<Vec<StoredService>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let single = (rows.len() == 1)
            .then(|| rows[0].try_get::<i64, _>("id"))
            .transpose()
            .during("reading a service")?;
        // A single service (its page) reads only its own rows; a list reads all.
        let only_one = if single.is_some() {
            "WHERE service_id = $1"
        } else {
            ""
        };
        let tags_sql = format!("SELECT service_id, tag FROM service_tags {only_one} ORDER BY tag");
        let endpoints_sql = format!(
            "SELECT service_id, url, method, interval_ms, timeout_ms, expect FROM health_endpoints
             {only_one} ORDER BY service_id, position"
        );
        let mut tags_query = sqlx::query(&tags_sql);
        let mut endpoints_query = sqlx::query(&endpoints_sql);
        if let Some(id) = single {
            tags_query = tags_query.bind(id);
            endpoints_query = endpoints_query.bind(id);
        }
        let tag_rows = tags_query.fetch_all(self.pool()).await;
        let endpoint_rows = endpoints_query.fetch_all(self.pool()).await;
        let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
        for row in tag_rows.during("reading tags")? {
            tags.entry(row.try_get("service_id").during("reading tags")?)
                .or_default()
                .push(row.try_get("tag").during("reading tags")?);
        }
        let mut endpoints: HashMap<i64, Vec<HealthEndpointSpec>> = HashMap::new();
        for row in endpoint_rows.during("reading health endpoints")? {
            let endpoint = HealthEndpointSpec {
                url: row.try_get("url").during("reading health endpoints")?,
                method: row.try_get("method").during("reading health endpoints")?,
                interval: millis(
                    row.try_get("interval_ms")
                        .during("reading health endpoints")?,
                ),
                timeout: millis(
                    row.try_get("timeout_ms")
                        .during("reading health endpoints")?,
                ),
                expect: expectations(
                    &row.try_get::<String, _>("expect")
                        .during("reading health endpoints")?,
                )?,
            };
            endpoints
                .entry(
                    row.try_get("service_id")
                        .during("reading health endpoints")?,
                )
                .or_default()
                .push(endpoint);
        }
        rows.into_iter()
            .map(|row| {
                let id: i64 = row.try_get("id").during("reading a service")?;
                service_from_row(
                    &row,
                    tags.remove(&id).unwrap_or_default(),
                    endpoints.remove(&id).unwrap_or_default(),
                )
            })
            .collect()
    }
}

fn service_from_row(
    row: &AnyRow,
    tags: Vec<String>,
    health_endpoints: Vec<HealthEndpointSpec>,
) -> Result<StoredService, StoreError> {
    const READING: &str = "reading a service";
    let slug: String = row.try_get("slug").during(READING)?;
    let tier: i64 = row.try_get("tier").during(READING)?;
    let repo_kind: Option<String> = row.try_get("repo_kind").during(READING)?;
    let repo_location: Option<String> = row.try_get("repo_location").during(READING)?;
    let repository = match (repo_kind, repo_location) {
        (Some(kind), Some(location)) => Some(
            RepositorySource::from_stored(&kind, &location).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "service `{slug}` has a repository of unknown kind `{kind}`"
                ))
            })?,
        ),
        _ => None,
    };
    let origin: String = row.try_get("origin").during(READING)?;
    Ok(StoredService {
        id: row.try_get("id").during(READING)?,
        spec: ServiceSpec {
            name: row.try_get("name").during(READING)?,
            team: row.try_get("team").during(READING)?,
            tier: u8::try_from(tier)
                .map_err(|_| StoreError::Corrupt(format!("service `{slug}` has tier {tier}")))?,
            slug,
            tags,
            repository,
            health_endpoints,
            public: row.try_get::<i64, _>("public").during(READING)? != 0,
        },
        origin: ServiceOrigin::parse(&origin)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown service origin `{origin}`")))?,
        created_ms: row.try_get("created_ms").during(READING)?,
        updated_ms: row.try_get("updated_ms").during(READING)?,
        retired_ms: row.try_get("retired_ms").during(READING)?,
    })
}

fn expect_json(expect: &Expectations) -> String {
    serde_json::to_string(expect).unwrap_or_else(|_| "{}".into())
}

pub(crate) fn expectations(text: &str) -> Result<Expectations, StoreError> {
    serde_json::from_str(text).map_err(|e| {
        StoreError::Corrupt(format!(
            "a health endpoint's expectations are not readable: {e}"
        ))
    })
}

fn repo_columns(spec: &ServiceSpec) -> (Option<&'static str>, Option<String>) {
    match &spec.repository {
        Some(source) => {
            let (kind, location) = source.to_stored();
            (Some(kind), Some(location))
        }
        None => (None, None),
    }
}

fn millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

fn to_millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

async fn replace_tags(
    tx: &mut Transaction<'_, Any>,
    service_id: i64,
    tags: &[String],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM service_tags WHERE service_id = $1")
        .bind(service_id)
        .execute(&mut **tx)
        .await
        .during("replacing tags")?;
    for tag in tags {
        sqlx::query("INSERT INTO service_tags (service_id, tag) VALUES ($1, $2)")
            .bind(service_id)
            .bind(tag)
            .execute(&mut **tx)
            .await
            .during("replacing tags")?;
    }
    Ok(())
}

/// Makes a service's endpoints match `endpoints`. An endpoint whose URL
/// and method stay keeps its row, and so its health history, when only its
/// position, interval or timeout change; the others are removed or added.
async fn replace_health_endpoints(
    tx: &mut Transaction<'_, Any>,
    service_id: i64,
    endpoints: &[HealthEndpointSpec],
) -> Result<(), StoreError> {
    let existing: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, url, method FROM health_endpoints WHERE service_id = $1")
            .bind(service_id)
            .fetch_all(&mut **tx)
            .await
            .during("reading health endpoints")?;
    // Positions are unique per service: move the kept rows out of the way
    // (negative) before they take their new places.
    sqlx::query("UPDATE health_endpoints SET position = -1 - position WHERE service_id = $1")
        .bind(service_id)
        .execute(&mut **tx)
        .await
        .during("replacing health endpoints")?;
    let mut kept = Vec::new();
    for (position, endpoint) in endpoints.iter().enumerate() {
        let position = i64::try_from(position).unwrap_or(i64::MAX);
        let same = existing.iter().find(|(id, url, method)| {
            *url == endpoint.url && *method == endpoint.method && !kept.contains(id)
        });
        match same {
            Some((id, _, _)) => {
                kept.push(*id);
                sqlx::query(
                    "UPDATE health_endpoints SET position = $2, interval_ms = $3, timeout_ms = $4, expect = $5 WHERE id = $1",
                )
                .bind(id)
                .bind(position)
                .bind(to_millis(endpoint.interval))
                .bind(to_millis(endpoint.timeout))
                .bind(expect_json(&endpoint.expect))
                .execute(&mut **tx)
                .await
                .during("replacing health endpoints")?;
            }
            None => {
                sqlx::query(
                    "INSERT INTO health_endpoints (service_id, position, url, method, interval_ms, timeout_ms, expect)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(service_id)
                .bind(position)
                .bind(&endpoint.url)
                .bind(&endpoint.method)
                .bind(to_millis(endpoint.interval))
                .bind(to_millis(endpoint.timeout))
                .bind(expect_json(&endpoint.expect))
                .execute(&mut **tx)
                .await
                .during("replacing health endpoints")?;
            }
        }
    }
    for (id, _, _) in existing.iter().filter(|(id, _, _)| !kept.contains(id)) {
        sqlx::query("DELETE FROM health_endpoints WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await
            .during("replacing health endpoints")?;
    }
    Ok(())
}
