//! Upgrade waves: one package bumped across the fleet as a campaign, tier
//! by tier, least critical first (tier 5, then 4, … then 1). The next
//! tier's PRs open only when every service of the tier before has merged
//! its PR and stayed healthy for the soak time (a service without
//! healthchecks counts once merged). A PR closed without merging, or a
//! service unhealthy after its merge, halts the wave for a person to look.
//! Pure: the service layer gathers the facts and carries out the decision.

use std::collections::BTreeMap;

use shipshape_types::upgrades::{WaveServiceState, WaveTierState};

/// What a service's wave PR is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrFact {
    None,
    Open,
    Merged { at_ms: i64 },
    Closed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HealthFact {
    /// No healthcheck: merged is enough.
    NotMonitored,
    Healthy {
        since_ms: i64,
    },
    /// Degraded, down or unknown, since when.
    Unhealthy {
        level: String,
        since_ms: i64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participant {
    pub slug: String,
    /// 1 (most critical) to 5.
    pub tier: u8,
    /// The service already uses the target or newer (its drift says so).
    pub at_target: bool,
    pub pr: PrFact,
    pub health: HealthFact,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceState {
    pub slug: String,
    pub state: WaveServiceState,
    pub detail: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierState {
    pub tier: u8,
    pub state: WaveTierState,
    pub services: Vec<ServiceState>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WaveDecision {
    /// Least critical tier first.
    pub tiers: Vec<TierState>,
    /// Services whose PR should be opened now.
    pub open_for: Vec<String>,
    pub done: bool,
}

fn hours(ms: i64) -> String {
    format!("{:.1} h", ms as f64 / 3_600_000.0)
}

fn service_state(p: &Participant, soak_ms: i64, now_ms: i64) -> ServiceState {
    let state = |state, detail: Option<String>| ServiceState {
        slug: p.slug.clone(),
        state,
        detail,
    };
    if p.at_target {
        return state(
            WaveServiceState::Done,
            Some("already on the target version".into()),
        );
    }
    match &p.pr {
        PrFact::None => state(WaveServiceState::Waiting, None),
        PrFact::Open => state(WaveServiceState::PrOpen, None),
        PrFact::Closed => state(
            WaveServiceState::Closed,
            Some("its PR was closed without merging; the wave waits for a person".into()),
        ),
        PrFact::Merged { at_ms } => match &p.health {
            HealthFact::NotMonitored => state(
                WaveServiceState::Done,
                Some("merged (no healthcheck to watch)".into()),
            ),
            HealthFact::Unhealthy { level, since_ms } => state(
                WaveServiceState::Failed,
                Some(format!(
                    "{level} for {} (merged {} ago)",
                    hours(now_ms - since_ms),
                    hours(now_ms - at_ms)
                )),
            ),
            HealthFact::Healthy { since_ms } => {
                let healthy_for = now_ms - (*since_ms).max(*at_ms);
                if healthy_for >= soak_ms {
                    state(
                        WaveServiceState::Done,
                        Some(format!("merged and healthy for {}", hours(healthy_for))),
                    )
                } else {
                    state(
                        WaveServiceState::Soaking,
                        Some(format!(
                            "healthy for {} of {}",
                            hours(healthy_for),
                            hours(soak_ms)
                        )),
                    )
                }
            }
        },
    }
}

pub fn decide(participants: &[Participant], soak_ms: i64, now_ms: i64) -> WaveDecision {
    let mut by_tier: BTreeMap<std::cmp::Reverse<u8>, Vec<&Participant>> = BTreeMap::new();
    for p in participants {
        by_tier
            .entry(std::cmp::Reverse(p.tier))
            .or_default()
            .push(p);
    }
    let mut decision = WaveDecision::default();
    let mut earlier_done = true;
    for (std::cmp::Reverse(tier), members) in by_tier {
        let services: Vec<ServiceState> = members
            .iter()
            .map(|p| service_state(p, soak_ms, now_ms))
            .collect();
        let all_done = services.iter().all(|s| s.state == WaveServiceState::Done);
        let halted = services
            .iter()
            .any(|s| s.state == WaveServiceState::Closed || s.state == WaveServiceState::Failed);
        let state = if !earlier_done {
            WaveTierState::Waiting
        } else if all_done {
            WaveTierState::Done
        } else if halted {
            WaveTierState::Halted
        } else {
            WaveTierState::RollingOut
        };
        if state == WaveTierState::RollingOut {
            decision.open_for.extend(
                services
                    .iter()
                    .filter(|s| s.state == WaveServiceState::Waiting)
                    .map(|s| s.slug.clone()),
            );
        }
        // A tier that is not done holds every tier after it.
        earlier_done = earlier_done && all_done;
        decision.tiers.push(TierState {
            tier,
            state,
            services: if state == WaveTierState::Waiting {
                services
                    .into_iter()
                    .map(|mut s| {
                        if s.state == WaveServiceState::Waiting {
                            s.detail = Some("waits for the tiers before".into());
                        }
                        s
                    })
                    .collect()
            } else {
                services
            },
        });
    }
    decision.done = earlier_done;
    decision
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    const NOW: i64 = 1_000 * HOUR;

    fn p(slug: &str, tier: u8, pr: PrFact, health: HealthFact) -> Participant {
        Participant {
            slug: slug.into(),
            tier,
            at_target: false,
            pr,
            health,
        }
    }

    fn states(decision: &WaveDecision) -> Vec<(u8, &str)> {
        decision
            .tiers
            .iter()
            .map(|t| (t.tier, t.state.name()))
            .collect()
    }

    #[test]
    fn the_least_critical_tier_goes_first_and_the_next_waits() {
        let fleet = [
            p("search", 3, PrFact::None, HealthFact::NotMonitored),
            p(
                "checkout",
                1,
                PrFact::None,
                HealthFact::Healthy { since_ms: 0 },
            ),
            p("docs", 5, PrFact::None, HealthFact::NotMonitored),
        ];
        let decision = decide(&fleet, 24 * HOUR, NOW);
        assert_eq!(
            states(&decision),
            [(5, "rolling-out"), (3, "waiting"), (1, "waiting")]
        );
        assert_eq!(decision.open_for, ["docs"]);
        assert!(!decision.done);
    }

    #[test]
    fn merged_and_healthy_for_the_soak_moves_the_wave_on() {
        let merged = NOW - 30 * HOUR;
        let fleet = [
            p(
                "docs",
                5,
                PrFact::Merged { at_ms: merged },
                HealthFact::Healthy { since_ms: 0 },
            ),
            p(
                "blog",
                5,
                PrFact::Merged { at_ms: merged },
                HealthFact::NotMonitored,
            ),
            p(
                "search",
                3,
                PrFact::None,
                HealthFact::Healthy { since_ms: 0 },
            ),
        ];
        let decision = decide(&fleet, 24 * HOUR, NOW);
        assert_eq!(states(&decision), [(5, "done"), (3, "rolling-out")]);
        assert_eq!(decision.open_for, ["search"]);

        // Still soaking: merged 10 hours ago.
        let soaking = [
            p(
                "docs",
                5,
                PrFact::Merged {
                    at_ms: NOW - 10 * HOUR,
                },
                HealthFact::Healthy { since_ms: 0 },
            ),
            p(
                "search",
                3,
                PrFact::None,
                HealthFact::Healthy { since_ms: 0 },
            ),
        ];
        let decision = decide(&soaking, 24 * HOUR, NOW);
        assert_eq!(states(&decision), [(5, "rolling-out"), (3, "waiting")]);
        assert_eq!(
            decision.tiers[0].services[0].state,
            WaveServiceState::Soaking
        );
        assert!(decision.open_for.is_empty());
    }

    #[test]
    fn an_unhealthy_service_or_a_declined_pr_halts_the_wave() {
        let fleet = [
            p(
                "docs",
                5,
                PrFact::Merged {
                    at_ms: NOW - 30 * HOUR,
                },
                HealthFact::Unhealthy {
                    level: "down".into(),
                    since_ms: NOW - HOUR,
                },
            ),
            p("blog", 5, PrFact::None, HealthFact::NotMonitored),
            p("search", 3, PrFact::None, HealthFact::NotMonitored),
        ];
        let decision = decide(&fleet, 24 * HOUR, NOW);
        assert_eq!(states(&decision), [(5, "halted"), (3, "waiting")]);
        assert!(
            decision.open_for.is_empty(),
            "nothing more opens while halted"
        );
        assert_eq!(
            decision.tiers[0].services[0].state,
            WaveServiceState::Failed
        );

        let declined = [p("docs", 5, PrFact::Closed, HealthFact::NotMonitored)];
        assert_eq!(states(&decide(&declined, HOUR, NOW)), [(5, "halted")]);
    }

    #[test]
    fn services_already_on_the_target_count_as_done() {
        let mut on_target = p("docs", 5, PrFact::None, HealthFact::NotMonitored);
        on_target.at_target = true;
        let decision = decide(&[on_target], HOUR, NOW);
        assert!(decision.done);
        assert!(decision.open_for.is_empty());
    }
}
