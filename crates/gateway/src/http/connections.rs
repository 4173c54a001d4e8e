//! Open connections per client IP address (issue 9: ~20,000 held connections used every file
//! descriptor and the gateway stopped answering anyone).
//!
//! Each accepted TCP connection takes a [`Slot`] for its peer address ([`super::server`]); the
//! slot lives in the connection's stream ([`super::wire::EnvelopeIo`]) and is given back when
//! actix-http drops the connection. Its [`ConnInfo`] goes into the connection's extensions, and
//! handlers ask [`over_quota`] first: a request on a connection beyond `[limits]
//! max_connections_per_ip` gets 429 `Throttling.Connections` and the connection is closed.
//! Connections that never send a request are closed by the head timeout (`[limits]
//! head_timeout_ms`, answered 408 in the envelope), and the server-wide cap is actix-server's
//! `max_concurrent_connections`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use actix_web::HttpRequest;
use ccgate_plugin_sdk::ApiError;

/// Open connections per peer address.
pub struct ConnectionCounter {
    max_per_ip: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open connection's place in the count; gives it back when dropped (connection closed).
pub struct Slot {
    counter: Arc<ConnectionCounter>,
    /// The peer address.
    pub ip: IpAddr,
    /// True when the connection was beyond its address's quota when it opened.
    pub over: bool,
}

/// What requests of a connection know of its [`Slot`] (connection extensions).
#[derive(Debug, Clone, Copy)]
pub struct ConnInfo {
    /// The peer address.
    pub ip: IpAddr,
    /// True when the connection was beyond its address's quota when it opened.
    pub over: bool,
}

impl ConnectionCounter {
    /// A counter allowing `max_per_ip` open connections per address.
    pub fn new(max_per_ip: usize) -> Arc<Self> {
        Arc::new(Self {
            max_per_ip,
            open: Mutex::default(),
        })
    }

    /// Counts a new connection from `ip`.
    pub fn enter(self: &Arc<Self>, ip: IpAddr) -> Slot {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_default();
        *n += 1;
        Slot {
            counter: Arc::clone(self),
            ip,
            over: *n > self.max_per_ip,
        }
    }

    /// Connections open from `ip` now.
    pub fn open_from(&self, ip: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(&ip).copied().unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.counter.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// 429 `Throttling.Connections` when `http` arrived on a connection beyond its address's quota.
pub fn over_quota(http: &HttpRequest) -> Option<ApiError> {
    let slot = http.conn_data::<ConnInfo>()?;
    slot.over.then(|| {
        ApiError::new(
            429,
            "Throttling.Connections",
            format!(
                "Too many open connections from {}; close idle connections and retry.",
                slot.ip
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_count_per_address_and_give_back_on_drop() {
        let c = ConnectionCounter::new(2);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        let s1 = c.enter(a);
        let s2 = c.enter(a);
        let s3 = c.enter(a);
        assert!(!s1.over && !s2.over && s3.over);
        assert!(!c.enter(b).over, "another address has its own quota");
        drop(s3);
        drop(s2);
        assert_eq!(c.open_from(a), 1);
        assert!(!c.enter(a).over);
        drop(s1);
        assert_eq!(c.open_from(b), 0);
    }
}
