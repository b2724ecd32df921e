//! The bottom of the house: small pieces every other folder may use and
//! that use nothing of Shipshape's own. The clock, secrets that never
//! print, cron schedules, durations, URLs, HTTP error text, the outbound
//! network policy, the listener's limits, the TLS provider and "did you mean" suggestions.

pub mod clock;
pub mod cron;
pub mod duration;
pub mod http;
pub mod listener;
pub mod outbound;
pub mod secret;
pub mod suggest;
pub mod tls;
pub mod url;
