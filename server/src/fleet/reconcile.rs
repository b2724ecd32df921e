//! Deciding how the stored fleet must change to match the fleet file. Pure:
//! the store applies the plan.

use std::collections::HashMap;

use super::spec::ServiceSpec;
use shipshape_types::model::ServiceOrigin;

use crate::fleet::spec::StoredService;

/// A service the configuration declares, and how: written in the fleet
/// file, or found in a GitHub organisation the file names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredService {
    pub spec: ServiceSpec,
    pub origin: ServiceOrigin,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FleetPlan {
    pub create: Vec<DeclaredService>,
    pub update: Vec<ServiceUpdate>,
    pub retire: Vec<RetiredService>,
    pub unchanged: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceUpdate {
    pub id: i64,
    pub spec: ServiceSpec,
    pub origin: ServiceOrigin,
    /// Tags and endpoints are rewritten only when they changed, so that what
    /// hangs off an endpoint (its health history) keeps its identity.
    pub tags_changed: bool,
    pub health_endpoints_changed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetiredService {
    pub id: i64,
    pub slug: String,
}

impl FleetPlan {
    pub fn is_empty(&self) -> bool {
        self.create.is_empty() && self.update.is_empty() && self.retire.is_empty()
    }

    /// "2 added, 1 changed, 1 retired, 3 unchanged".
    pub fn summary(&self) -> String {
        format!(
            "{} added, {} changed, {} retired, {} unchanged",
            self.create.len(),
            self.update.len(),
            self.retire.len(),
            self.unchanged
        )
    }
}

/// Compares what the configuration declares (`desired`) with everything
/// stored (`current`, retired services included) and returns what to do:
/// - a slug that was never stored is created;
/// - a stored slug that differs, was retired, or was registered through the
///   API is updated (the configuration is authoritative for what it declares);
/// - a service that came from the configuration and is no longer declared
///   is retired, never deleted, so its history stays;
/// - services registered through the API are left alone otherwise.
pub fn plan(desired: &[DeclaredService], current: &[StoredService]) -> FleetPlan {
    let by_slug: HashMap<&str, &StoredService> =
        current.iter().map(|s| (s.spec.slug.as_str(), s)).collect();
    let mut result = FleetPlan::default();

    for declared in desired {
        let spec = &declared.spec;
        match by_slug.get(spec.slug.as_str()) {
            None => result.create.push(declared.clone()),
            Some(stored) => {
                let same = stored.spec == *spec
                    && stored.retired_ms.is_none()
                    && stored.origin == declared.origin;
                if same {
                    result.unchanged += 1;
                } else {
                    result.update.push(ServiceUpdate {
                        id: stored.id,
                        spec: spec.clone(),
                        origin: declared.origin,
                        tags_changed: stored.spec.tags != spec.tags,
                        health_endpoints_changed: stored.spec.health_endpoints
                            != spec.health_endpoints,
                    });
                }
            }
        }
    }

    let declared: std::collections::HashSet<&str> =
        desired.iter().map(|s| s.spec.slug.as_str()).collect();
    result.retire = current
        .iter()
        .filter(|s| s.origin != ServiceOrigin::Api && s.retired_ms.is_none())
        .filter(|s| !declared.contains(s.spec.slug.as_str()))
        .map(|s| RetiredService {
            id: s.id,
            slug: s.spec.slug.clone(),
        })
        .collect();
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::spec::HealthEndpointSpec;
    use std::time::Duration;

    fn spec(slug: &str, team: &str) -> ServiceSpec {
        ServiceSpec {
            slug: slug.into(),
            name: slug.to_uppercase(),
            team: team.into(),
            tags: vec!["rust".into()],
            tier: 2,
            repository: None,
            health_endpoints: vec![],
            public: false,
        }
    }

    fn file(specs: &[ServiceSpec]) -> Vec<DeclaredService> {
        specs
            .iter()
            .map(|spec| DeclaredService {
                spec: spec.clone(),
                origin: ServiceOrigin::FleetFile,
            })
            .collect()
    }

    fn stored(id: i64, spec: ServiceSpec, origin: ServiceOrigin, retired: bool) -> StoredService {
        StoredService {
            id,
            spec,
            origin,
            created_ms: 1,
            updated_ms: 1,
            retired_ms: retired.then_some(5),
        }
    }

    #[test]
    fn first_load_creates_everything() {
        let result = plan(&file(&[spec("a", "t"), spec("b", "t")]), &[]);
        assert_eq!(result.create.len(), 2);
        assert!(result.update.is_empty() && result.retire.is_empty());
        assert_eq!(result.create[0].origin, ServiceOrigin::FleetFile);
        assert_eq!(
            result.summary(),
            "2 added, 0 changed, 0 retired, 0 unchanged"
        );
    }

    #[test]
    fn same_file_again_changes_nothing() {
        let current = [stored(1, spec("a", "t"), ServiceOrigin::FleetFile, false)];
        let result = plan(&file(&[spec("a", "t")]), &current);
        assert!(result.is_empty());
        assert_eq!(result.unchanged, 1);
    }

    #[test]
    fn changed_service_is_updated_in_place() {
        let current = [stored(7, spec("a", "t"), ServiceOrigin::FleetFile, false)];
        let mut changed = spec("a", "platform");
        changed.health_endpoints.push(HealthEndpointSpec {
            url: "http://x/_internal_/healthcheck".into(),
            method: "GET".into(),
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
            expect: Default::default(),
        });
        let result = plan(&file(&[changed.clone()]), &current);
        assert_eq!(
            result.update,
            [ServiceUpdate {
                id: 7,
                spec: changed,
                origin: ServiceOrigin::FleetFile,
                tags_changed: false,
                health_endpoints_changed: true
            }]
        );
        assert!(result.create.is_empty());
    }

    #[test]
    fn removed_service_is_retired_not_deleted_and_comes_back() {
        let current = [
            stored(1, spec("a", "t"), ServiceOrigin::FleetFile, false),
            stored(2, spec("b", "t"), ServiceOrigin::FleetFile, false),
        ];
        let result = plan(&file(&[spec("a", "t")]), &current);
        assert_eq!(
            result.retire,
            [RetiredService {
                id: 2,
                slug: "b".into()
            }]
        );

        let after = [
            stored(1, spec("a", "t"), ServiceOrigin::FleetFile, false),
            stored(2, spec("b", "t"), ServiceOrigin::FleetFile, true),
        ];
        let back = plan(&file(&[spec("a", "t"), spec("b", "t")]), &after);
        assert_eq!(
            back.update.len(),
            1,
            "a retired service declared again is revived"
        );
        assert_eq!(back.update[0].id, 2);
        assert!(back.retire.is_empty());
    }

    #[test]
    fn api_registered_services_are_not_retired_by_the_file() {
        let current = [stored(3, spec("api-made", "t"), ServiceOrigin::Api, false)];
        assert!(plan(&[], &current).is_empty());
    }

    #[test]
    fn the_file_takes_over_a_service_it_declares() {
        let current = [stored(3, spec("a", "t"), ServiceOrigin::Api, false)];
        let result = plan(&file(&[spec("a", "t")]), &current);
        assert_eq!(result.update.len(), 1);
    }

    #[test]
    fn a_discovered_service_that_disappears_is_retired_and_one_the_file_takes_over_changes_origin()
    {
        let discovered = DeclaredService {
            spec: spec("billing", "t"),
            origin: ServiceOrigin::GitHubOrg,
        };
        let current = [
            stored(1, spec("billing", "t"), ServiceOrigin::GitHubOrg, false),
            stored(2, spec("gone", "t"), ServiceOrigin::GitHubOrg, false),
        ];
        let result = plan(std::slice::from_ref(&discovered), &current);
        assert_eq!(result.unchanged, 1);
        assert_eq!(
            result.retire,
            [RetiredService {
                id: 2,
                slug: "gone".into()
            }]
        );

        let taken_over = plan(&file(&[spec("billing", "t")]), &current[..1]);
        assert_eq!(taken_over.update.len(), 1);
        assert_eq!(taken_over.update[0].origin, ServiceOrigin::FleetFile);
    }
}
