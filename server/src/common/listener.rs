//! The HTTP listener's limits, as the config file sets them (`[server]`);
//! the listener itself is in `serve::listener`.

use std::time::Duration;

/// The listener's limits (`[server]` in the config file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListenerLimits {
    /// Time allowed to send a request's head, and to start the next one on
    /// a kept-alive connection.
    pub header_timeout: Duration,
    /// Time allowed for a request, from its head to the answer's head
    /// (streams such as the health events go on after it).
    pub request_timeout: Duration,
    pub max_connections: usize,
}

impl Default for ListenerLimits {
    fn default() -> Self {
        ListenerLimits {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_connections: 1024,
        }
    }
}
