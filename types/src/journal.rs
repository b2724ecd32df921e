//! The event journal's vocabulary: every change of state Shipshape records.
//! Receivers switch on these names; they are part of the API and do not
//! change.

crate::named_enum! {
    /// What happened.
    pub enum EventType {
        HealthChanged = "health.changed",
        IncidentOpened = "incident.opened",
        IncidentClosed = "incident.closed",
        DependencyMajorBehind = "dependency.major_behind",
        DependencyYanked = "dependency.yanked",
        DependencyVulnerable = "dependency.vulnerable",
        DriftOverBudget = "drift.over_budget",
        DriftWithinBudget = "drift.within_budget",
        PrOpened = "upgrade_pr.opened",
        PrMerged = "upgrade_pr.merged",
        PrClosed = "upgrade_pr.closed",
        AlertFiring = "alert.firing",
        AlertReminder = "alert.reminder",
        AlertResolved = "alert.resolved",
    }
}
