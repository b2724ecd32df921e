//! What callers may ask of Shipshape. Both web doors, the REST API and the
//! pages' server functions, call these and nothing else. Each operation
//! checks the caller's role first, parses its input once (the same request
//! type from either door), applies the outbound URL policy where a URL
//! comes in, and calls one capability's service. Every failure comes back
//! as one [`OperationError`], which each door renders its own way.
//!
//! The capability services underneath stay free of callers: the
//! schedulers and the command line use them directly, as Shipshape itself.

mod accounts;
mod alerts;
mod drift;
mod error;
mod fleet;
mod health;
mod upgrades;

use std::sync::Arc;

pub use alerts::{EventQuery, JournalEvent};
pub use error::OperationError;
pub use health::{BadgePeriod, HistoryQuery};

use crate::alert::service::AlertService;
use crate::auth::service::AuthService;
use crate::common::outbound::NetworkPolicy;
use crate::deps::service::DriftService;
use crate::fleet::FleetService;
use crate::fleet::registration::RegistrationRules;
use crate::health::service::HealthService;
use crate::store::Store;
use crate::upgrade::service::UpgradeService;

/// The services the operations use, built once at start-up.
#[derive(Clone)]
pub struct Operations {
    pub fleet: FleetService,
    pub drift: DriftService,
    pub health: HealthService,
    pub upgrades: UpgradeService,
    pub alerts: AlertService,
    pub auth: AuthService,
    /// Where URLs entered through the API may lead.
    pub outbound: Arc<NetworkPolicy>,
    /// What services registered through the API may ask for.
    pub registration: Arc<RegistrationRules>,
    /// The event journal and the database's own health.
    pub store: Store,
}

pub type Result<T> = std::result::Result<T, OperationError>;
