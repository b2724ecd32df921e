//! Alerts. Pure: `rule` (conditions evaluated on a service's facts),
//! `engine` (the firing/resolved pairing, silences, maintenance windows,
//! inhibition, reminders), `outbox` (grouping, retries, circuit breakers),
//! `message` (what each channel is sent) and `report` (the Alerts page),
//! over the plain `records` the store fills. I/O: `channel` (webhook,
//! Slack, e-mail behind one trait), `store`, and `service` (the evaluation
//! and delivery loops).

pub mod channel;
pub mod engine;
pub mod message;
pub mod outbox;
pub mod records;
pub mod report;
pub mod rule;
pub mod service;
pub mod settings;
pub mod store;
