//! Alerts (issue 6). Pure parts: `rule` (conditions evaluated on a
//! service's facts), `engine` (the firing/resolved pairing, silences,
//! maintenance windows, inhibition, reminders) and `outbox` (grouping,
//! retries, circuit breakers). I/O: `channel` (webhook, Slack, e-mail
//! behind one trait), `message` (what each channel is sent) and `service`
//! (the evaluation and delivery loops over the store).

pub mod channel;
pub mod engine;
pub mod message;
pub mod outbox;
pub mod rule;
pub mod service;
pub mod settings;
pub mod store;
