//! Health: polling each service's healthcheck endpoints into states,
//! incidents and uptime. `format` reads answers in the standard shapes,
//! `state` turns results into states with thresholds, `rollup` keeps
//! history bounded and computes uptime and latency (all three pure);
//! `poll` makes one bounded HTTP check; `schedule` (pure) spreads checks
//! over their interval; `monitor` is the polling loop; `report` (pure)
//! and `service` turn what is stored into what pages and the API show.

pub mod badge;
pub mod format;
pub mod monitor;
pub mod poll;
pub mod report;
pub mod rollup;
pub mod schedule;
pub mod service;
pub mod state;
pub mod store;
