//! Upgrade waves in the service layer: creating one, gathering each
//! participant's facts (version in use from drift, its wave PR, its health)
//! for the pure `wave::decide`, and opening the PRs it asks for.

use std::collections::HashMap;

use shipshape_types::health::HealthLevel;
use shipshape_types::upgrades::{
    EventLevel, NewWave, PrState, RunCause, RunStatus, WaveServiceView, WaveState, WaveTierView,
    WaveView,
};

use super::prs::{PrError, PrTarget, github_base};
use super::{UpgradeError, UpgradeService};
use crate::common::duration::parse_duration;
use crate::deps::model::Ecosystem;
use crate::deps::read::read_snapshot;
use crate::fleet::spec::RepositorySource;
use crate::fleet::spec::StoredService;
use crate::health::report::service_level;
use crate::health::state::HealthState;
use crate::upgrade::plan::{PlannedGroup, Proposal, slug};
use crate::upgrade::prepare::{Repository, prepare_group, regenerate_locks};
use crate::upgrade::store::StoredWave;
use crate::upgrade::versions::compare;
use crate::upgrade::wave::{HealthFact, Participant, PrFact, WaveDecision, decide};

/// What every wave reads of the fleet.
struct FleetNow {
    /// (slug, dependency) of every active service's latest snapshot.
    dependencies: Vec<(String, shipshape_types::drift::DependencyView)>,
    /// Slug → its health, for services with healthchecks.
    health: HashMap<String, HealthFact>,
    services: Vec<StoredService>,
}

struct Facts {
    participants: Vec<Participant>,
    /// Slug → (service, version in use).
    services: HashMap<String, (StoredService, String)>,
    /// Slug → its wave PR's URL.
    pr_urls: HashMap<String, String>,
    merged: HashMap<String, i64>,
}

impl UpgradeService {
    /// Starts a wave and opens the first tier's PRs.
    /// Both doors send the request as it came: an empty or absent soak is
    /// `[upgrades] wave_soak`.
    pub async fn create_wave(&self, new: &NewWave) -> Result<WaveView, UpgradeError> {
        let invalid = |message: String| UpgradeError::Invalid(message);
        let soak = match new.soak.as_deref().map(str::trim) {
            None | Some("") => self.settings().wave_soak,
            Some(text) => parse_duration(text).map_err(|e| invalid(format!("soak: {e}")))?,
        };
        let ecosystem = Ecosystem::from_config_name(new.ecosystem.trim()).ok_or_else(|| {
            invalid(format!(
                "`{}` is not an ecosystem; use one of {}",
                new.ecosystem,
                Ecosystem::CONFIG_NAMES.join(", ")
            ))
        })?;
        let package = new.package.trim();
        let target = new.target.trim();
        let users = self
            .inner
            .store
            .fleet_dependencies()
            .await?
            .into_iter()
            .filter(|(_, d)| d.ecosystem == ecosystem && d.name == package)
            .count();
        if users == 0 {
            return Err(invalid(format!(
                "no service of the fleet uses {} package `{package}`",
                new.ecosystem
            )));
        }
        if !crate::upgrade::edit::is_plain_version(target) {
            return Err(invalid(format!(
                "`{}` is not a plain version (letters, digits and . + - _ ~ only)",
                target.escape_debug()
            )));
        }
        compare(ecosystem, target, target).map_err(|e| {
            invalid(format!(
                "`{target}` is not a {} version: {e}",
                new.ecosystem
            ))
        })?;
        let id = self
            .inner
            .store
            .create_wave(
                ecosystem,
                package,
                target,
                i64::try_from(soak.as_millis()).unwrap_or(i64::MAX),
                self.inner.clock.now_ms(),
            )
            .await?;
        self.advance_waves().await?;
        self.wave(id).await
    }

    pub async fn cancel_wave(&self, id: i64) -> Result<WaveView, UpgradeError> {
        self.wave(id).await?;
        self.inner
            .store
            .finish_wave(id, WaveState::Cancelled, self.inner.clock.now_ms())
            .await?;
        self.wave(id).await
    }

    pub async fn wave(&self, id: i64) -> Result<WaveView, UpgradeError> {
        let wave = self
            .inner
            .store
            .waves()
            .await?
            .into_iter()
            .find(|w| w.id == id)
            .ok_or(UpgradeError::UnknownWave(id))?;
        let fleet = self.fleet_now().await?;
        self.wave_view(&wave, &fleet).await
    }

    pub async fn waves(&self) -> Result<Vec<WaveView>, UpgradeError> {
        let waves = self.inner.store.waves().await?;
        if waves.is_empty() {
            return Ok(Vec::new());
        }
        let fleet = self.fleet_now().await?;
        let mut views = Vec::with_capacity(waves.len());
        for wave in &waves {
            views.push(self.wave_view(wave, &fleet).await?);
        }
        Ok(views)
    }

    async fn wave_view(
        &self,
        wave: &StoredWave,
        fleet: &FleetNow,
    ) -> Result<WaveView, UpgradeError> {
        let facts = self.wave_facts(wave, fleet).await?;
        let decision = decide(&facts.participants, wave.soak_ms, self.inner.clock.now_ms());
        Ok(wave_view(wave, &facts, &decision))
    }

    /// The fleet as waves see it, read once for all of them.
    async fn fleet_now(&self) -> Result<FleetNow, UpgradeError> {
        let store = &self.inner.store;
        let mut states: HashMap<String, Vec<Option<(HealthState, i64)>>> = HashMap::new();
        for status in store.endpoint_statuses(None).await? {
            states
                .entry(status.service_slug.clone())
                .or_default()
                .push(status.state);
        }
        let health = states
            .into_iter()
            .map(|(slug, states)| {
                let fact = match service_level(states) {
                    None | Some((HealthLevel::NoData, _)) => HealthFact::NotMonitored,
                    Some((HealthLevel::Up, since)) => HealthFact::Healthy {
                        since_ms: since.unwrap_or(0),
                    },
                    Some((level, since)) => HealthFact::Unhealthy {
                        level: level.name().to_string(),
                        since_ms: since.unwrap_or(0),
                    },
                };
                (slug, fact)
            })
            .collect();
        Ok(FleetNow {
            dependencies: store.fleet_dependencies().await?,
            health,
            services: store.active_services().await?,
        })
    }

    async fn wave_facts(&self, wave: &StoredWave, fleet: &FleetNow) -> Result<Facts, UpgradeError> {
        let store = &self.inner.store;
        let ecosystem = wave.ecosystem;
        let mut in_use: HashMap<String, String> = HashMap::new();
        for (slug, dependency) in &fleet.dependencies {
            if dependency.ecosystem != wave.ecosystem || dependency.name != wave.package {
                continue;
            }
            let Some(current) = &dependency.current else {
                continue;
            };
            // The oldest version in use decides whether a service is there.
            let older = in_use.get(slug).is_none_or(|known| {
                compare(ecosystem, current, known).is_ok_and(|(o, _)| o.is_lt())
            });
            if older {
                in_use.insert(slug.clone(), current.clone());
            }
        }
        let mut prs: HashMap<i64, crate::upgrade::store::StoredPr> = HashMap::new();
        for pr in store.wave_prs(wave.id).await? {
            prs.insert(pr.service_id, pr);
        }
        let mut facts = Facts {
            participants: Vec::new(),
            services: HashMap::new(),
            pr_urls: HashMap::new(),
            merged: HashMap::new(),
        };
        for service in &fleet.services {
            let slug = service.spec.slug.clone();
            let Some(current) = in_use.get(&slug).cloned() else {
                continue;
            };
            let pr = prs.get(&service.id);
            let pr_fact = match pr.map(|p| p.state) {
                None | Some(PrState::Superseded) => PrFact::None,
                Some(PrState::Merged) => PrFact::Merged {
                    at_ms: pr.and_then(|p| p.merged_ms).unwrap_or(0),
                },
                Some(PrState::Closed) => PrFact::Closed,
                Some(PrState::Open | PrState::Pending) => PrFact::Open,
            };
            if let Some(url) = pr.and_then(|p| p.url.clone()) {
                facts.pr_urls.insert(slug.clone(), url);
            }
            if let PrFact::Merged { at_ms } = pr_fact {
                facts.merged.insert(slug.clone(), at_ms);
            }
            facts.participants.push(Participant {
                slug: slug.clone(),
                tier: service.spec.tier,
                at_target: compare(ecosystem, &current, &wave.target).is_ok_and(|(o, _)| o.is_ge()),
                pr: pr_fact,
                health: fleet
                    .health
                    .get(&slug)
                    .cloned()
                    .unwrap_or(HealthFact::NotMonitored),
            });
            facts.services.insert(slug, (service.clone(), current));
        }
        Ok(facts)
    }

    /// Opens the PRs active waves ask for, and ends the waves that are done.
    pub async fn advance_waves(&self) -> Result<usize, UpgradeError> {
        let mut opened = 0;
        let active: Vec<StoredWave> = self
            .inner
            .store
            .waves()
            .await?
            .into_iter()
            .filter(|w| w.state == WaveState::Active)
            .collect();
        if active.is_empty() {
            return Ok(0);
        }
        let fleet = self.fleet_now().await?;
        for wave in active {
            let facts = self.wave_facts(&wave, &fleet).await?;
            let now = self.inner.clock.now_ms();
            let decision = decide(&facts.participants, wave.soak_ms, now);
            if decision.done {
                self.inner
                    .store
                    .finish_wave(wave.id, WaveState::Done, now)
                    .await?;
                continue;
            }
            if decision.open_for.is_empty() {
                continue;
            }
            let _turn = self.inner.running.lock().await;
            let store = &self.inner.store;
            let run_id = store
                .start_run(RunCause::Wave, None, false, self.inner.clock.now_ms())
                .await?;
            for slug in &decision.open_for {
                let Some((service, current)) = facts.services.get(slug) else {
                    continue;
                };
                let (level, message) =
                    match self.open_wave_pr(run_id, &wave, service, current).await {
                        Ok(message) => {
                            opened += 1;
                            (EventLevel::Info, message)
                        }
                        Err(message) => (EventLevel::Error, message),
                    };
                store
                    .add_run_event(
                        run_id,
                        Some(service.id),
                        level,
                        &message,
                        self.inner.clock.now_ms(),
                    )
                    .await?;
            }
            store
                .finish_run(run_id, RunStatus::Done, None, self.inner.clock.now_ms())
                .await?;
        }
        Ok(opened)
    }

    async fn open_wave_pr(
        &self,
        run_id: i64,
        wave: &StoredWave,
        service: &StoredService,
        current: &str,
    ) -> Result<String, String> {
        let spec = &service.spec;
        let Some(RepositorySource::GitHub { owner, repo }) = &spec.repository else {
            return Err(format!(
                "wave {}: {} has no GitHub repository to open the PR in",
                wave.id, spec.slug
            ));
        };
        let repo = format!("{owner}/{repo}");
        let host = self
            .github()
            .ok_or("the GitHub client could not be set up (see the server's log)")?;
        let ecosystem = wave.ecosystem;
        let (base_branch, head) = github_base(host.as_ref(), &repo)
            .await
            .map_err(|e| format!("{repo}: {e}"))?;
        let snapshot = self
            .read_repository(spec.repository.as_ref().ok_or("no repository")?)
            .await?;
        let reading = read_snapshot(&snapshot);
        let gap = compare(ecosystem, current, &wave.target)
            .map(|(_, gap)| gap)
            .map_err(|e| format!("{}: {e}", wave.package))?;
        let mut manifests: Vec<&str> = reading
            .dependencies
            .iter()
            .filter(|d| d.ecosystem == ecosystem && d.declared.name == wave.package)
            .map(|d| d.manifest.as_str())
            .collect();
        manifests.sort_unstable();
        manifests.dedup();
        let settings = self.settings();
        let policy = settings.policy_for(&spec.slug, &spec.team);
        let group = PlannedGroup {
            key: format!("wave-{}", wave.id),
            title: format!(
                "Update {} to {} (upgrade wave {})",
                wave.package, wave.target, wave.id
            ),
            branch: format!(
                "{}wave-{}-{}",
                policy.branch_prefix,
                wave.id,
                slug(&wave.package)
            ),
            proposals: manifests
                .into_iter()
                .map(|manifest| Proposal {
                    ecosystem,
                    manifest: manifest.to_string(),
                    name: wave.package.clone(),
                    from: current.to_string(),
                    to: wave.target.clone(),
                    gap,
                    published_ms: None,
                })
                .collect(),
        };
        let repository = Repository {
            service: &spec.slug,
            snapshot: &snapshot,
            policy: &policy,
            dashboard_url: settings.dashboard_url.as_deref(),
            now_ms: self.inner.clock.now_ms(),
        };
        let mut prepared = prepare_group(&repository, &group)?;
        // A wave's PR carries its regenerated lock files like any other.
        let lock_problems = regenerate_locks(&repository, &mut prepared, &self.inner.locks).await?;
        let existing = self
            .inner
            .store
            .live_prs(service.id)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|pr| pr.group_key == group.key);
        let (pr, action) = self
            .ensure_pr(
                &PrTarget {
                    host: host.as_ref(),
                    run_id,
                    service,
                    repo: &repo,
                    base_branch: &base_branch,
                    head: &head,
                    policy: &policy,
                },
                &prepared,
                existing,
                Some(wave.id),
            )
            .await
            .map_err(|e| match e {
                PrError::Store(e) => e.to_string(),
                PrError::GitHub(e) => format!("{repo}: {e}"),
            })?;
        let mut said = format!(
            "wave {}: {action} #{} {}",
            wave.id,
            pr.number.unwrap_or_default(),
            prepared.texts.title
        );
        for problem in lock_problems {
            said.push_str(&format!(" ({problem})"));
        }
        Ok(said)
    }
}

fn wave_view(wave: &StoredWave, facts: &Facts, decision: &WaveDecision) -> WaveView {
    WaveView {
        id: wave.id,
        ecosystem: wave.ecosystem,
        package: wave.package.clone(),
        target: wave.target.clone(),
        soak_ms: wave.soak_ms,
        created_ms: wave.created_ms,
        state: wave.state,
        tiers: decision
            .tiers
            .iter()
            .map(|tier| WaveTierView {
                tier: tier.tier,
                state: tier.state,
                services: tier
                    .services
                    .iter()
                    .map(|s| WaveServiceView {
                        service: s.slug.clone(),
                        tier: tier.tier,
                        current: facts
                            .services
                            .get(&s.slug)
                            .map(|(_, current)| current.clone())
                            .unwrap_or_default(),
                        state: s.state,
                        pr_url: facts.pr_urls.get(&s.slug).cloned(),
                        merged_ms: facts.merged.get(&s.slug).copied(),
                        detail: s.detail.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }
}
