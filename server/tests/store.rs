//! The store's suite, run against SQLite and (when configured) PostgreSQL.

mod common;

use common::{ManualClock, TestDb, services};
use shipshape_server::fleet::FleetService;
use shipshape_types::model::ServiceOrigin;
use std::path::Path;

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    for db in TestDb::all().await {
        let store = db.store().await;
        assert!(!store.known_migrations().is_empty());
        store
            .migrate_down_to(0)
            .await
            .unwrap_or_else(|e| panic!("{}: down: {e}", db.label));
        // With every table gone, reading services must fail...
        assert!(
            store.active_services().await.is_err(),
            "{}: tables should be gone",
            db.label
        );
        store
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("{}: up again: {e}", db.label));
        // ...and work again once migrated up.
        assert_eq!(store.active_services().await.expect("read"), []);
        store.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_fleet_file_is_reconciled_not_duplicated() {
    for db in TestDb::all().await {
        let label = db.label;
        let store = db.store().await;
        let clock = ManualClock::at(1_000);
        let fleet = FleetService::new(store.clone(), clock.clone());
        let path = Path::new("/fleet/shipshape.toml");

        // First load: three services with their tags, endpoints and repositories.
        let plan = fleet
            .sync_from_file(path, &services(common::DEMO_FLEET))
            .await
            .expect("first sync");
        assert_eq!(
            plan.summary(),
            "3 added, 0 changed, 0 retired, 0 unchanged",
            "{label}"
        );
        let stored = store.active_services().await.expect("list");
        let slugs: Vec<&str> = stored.iter().map(|s| s.spec.slug.as_str()).collect();
        assert_eq!(
            slugs,
            ["checkout-api", "ledger", "search-gateway"],
            "{label}"
        );
        let checkout = &stored[0];
        assert_eq!(checkout.spec.tags, ["public", "rust"], "{label}");
        assert_eq!(checkout.spec.tier, 1);
        assert_eq!(checkout.spec.health_endpoints.len(), 1);
        assert_eq!(checkout.spec.health_endpoints[0].interval.as_secs(), 15);
        assert_eq!(checkout.origin, ServiceOrigin::FleetFile);
        assert_eq!(checkout.created_ms, 1_000);

        // The same file again: nothing changes, not even the update time.
        clock.set(2_000);
        let plan = fleet
            .sync_from_file(path, &services(common::DEMO_FLEET))
            .await
            .expect("second sync");
        assert!(plan.is_empty(), "{label}: {}", plan.summary());
        assert_eq!(
            store.active_services().await.expect("list"),
            stored,
            "{label}"
        );

        // A changed team, a removed service and a new one.
        clock.set(3_000);
        let edited = common::DEMO_FLEET
            .replace("team = \"discovery\"", "team = \"search\"")
            .replace("slug = \"ledger\"", "slug = \"ledger-v2\"");
        let plan = fleet
            .sync_from_file(path, &services(&edited))
            .await
            .expect("third sync");
        assert_eq!(
            plan.summary(),
            "1 added, 1 changed, 1 retired, 1 unchanged",
            "{label}"
        );
        let active = store.active_services().await.expect("list");
        let slugs: Vec<&str> = active.iter().map(|s| s.spec.slug.as_str()).collect();
        assert_eq!(
            slugs,
            ["checkout-api", "ledger-v2", "search-gateway"],
            "{label}"
        );
        let search = store
            .active_service("search-gateway")
            .await
            .expect("read")
            .expect("present");
        assert_eq!(search.spec.team, "search");
        assert_eq!(search.updated_ms, 3_000);
        assert_eq!(store.count_active_services().await.expect("count"), 3);

        // The removed service is retired, not deleted: its row (and later its
        // history) is still there, and it is hidden from the fleet.
        let everything = store.all_services().await.expect("all");
        let ledger = everything
            .iter()
            .find(|s| s.spec.slug == "ledger")
            .expect("kept");
        assert_eq!(ledger.retired_ms, Some(3_000));
        assert!(
            store
                .active_service("ledger")
                .await
                .expect("read")
                .is_none()
        );

        // Declared again, it comes back under the same identity.
        clock.set(4_000);
        fleet
            .sync_from_file(path, &services(common::DEMO_FLEET))
            .await
            .expect("fourth sync");
        let revived = store
            .active_service("ledger")
            .await
            .expect("read")
            .expect("back");
        assert_eq!(revived.id, ledger.id, "{label}");
        assert_eq!(revived.retired_ms, None);
        assert_eq!(
            store.all_services().await.expect("all").len(),
            4,
            "{label}: no duplicate rows"
        );

        store.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_fleet_that_cannot_be_stored_changes_nothing() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let fleet = FleetService::new(store.clone(), ManualClock::at(1));
        let mut specs = services(common::DEMO_FLEET);
        fleet
            .sync_from_file(Path::new("/f"), &specs[..1])
            .await
            .expect("first service");
        // Two new services with one slug: the second insert breaks the unique
        // constraint half-way through the plan, after the first succeeded.
        let mut twin = specs[1].clone();
        twin.name = "Twin".into();
        specs.push(twin);
        let error = fleet
            .sync_from_file(Path::new("/f"), &specs)
            .await
            .expect_err("must fail");
        assert!(
            error.to_string().contains("adding a service"),
            "{}: {error}",
            db.label
        );
        let slugs: Vec<String> = store
            .all_services()
            .await
            .expect("all")
            .into_iter()
            .map(|s| s.spec.slug)
            .collect();
        assert_eq!(
            slugs,
            ["checkout-api"],
            "{}: the transaction must roll back whole",
            db.label
        );
        store.close().await;
        db.cleanup().await;
    }
}
