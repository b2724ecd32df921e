pub mod alerts;
pub mod dependencies;
pub mod not_found;
pub mod overview;
pub mod service;
pub mod services;
pub mod status;
pub mod upgrades;
