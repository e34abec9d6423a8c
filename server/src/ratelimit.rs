//! Failed admin logins, counted per client address (IPv6: per /64).
//!
//! The first [`LoginLimits::free_failures`] wrong passwords (or admin tokens)
//! from an address cost nothing; each further one locks that address out of
//! credential checks for a delay that doubles, from
//! [`LoginLimits::first_delay`] up to [`LoginLimits::max_delay`]. While
//! locked out, any request from it that carries credentials gets 429 with
//! `Retry-After`, without the password being compared, even the right one;
//! other addresses are not affected. Requests without credentials pass. A
//! correct login clears the address's record; records are forgotten
//! [`LoginLimits::forget_after`] after the last failure. Every failure is
//! logged (`tracing` warn, with the address and the count).

use super::limits::client_key;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How failed logins are throttled.
#[derive(Debug, Clone)]
pub struct LoginLimits {
    pub free_failures: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
    pub forget_after: Duration,
    /// Addresses tracked at once; beyond it the longest-quiet one is dropped.
    pub max_tracked: usize,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            free_failures: 5,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(600),
            forget_after: Duration::from_secs(3600),
            max_tracked: 10_000,
        }
    }
}

struct Record {
    failures: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

pub(crate) struct LoginLimiter {
    limits: LoginLimits,
    records: Mutex<HashMap<IpAddr, Record>>,
}

impl LoginLimiter {
    pub(crate) fn new(limits: LoginLimits) -> Self {
        LoginLimiter { limits, records: Mutex::new(HashMap::new()) }
    }

    /// `Err(wait)` while the address is locked out.
    pub(crate) fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        let records = self.records.lock().unwrap();
        match records.get(&client_key(ip)).and_then(|r| r.locked_until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Records a failure; returns the failure count and the lock-out it earned.
    pub(crate) fn failed(&self, ip: IpAddr) -> (u32, Option<Duration>) {
        let now = Instant::now();
        let l = &self.limits;
        let mut records = self.records.lock().unwrap();
        if records.len() >= l.max_tracked {
            records.retain(|_, r| now.duration_since(r.last) < l.forget_after);
            if records.len() >= l.max_tracked {
                if let Some(oldest) = records.iter().min_by_key(|(_, r)| r.last).map(|(k, _)| *k) {
                    records.remove(&oldest);
                }
            }
        }
        let r = records.entry(client_key(ip)).or_insert(Record { failures: 0, last: now, locked_until: None });
        if now.duration_since(r.last) >= l.forget_after {
            r.failures = 0;
        }
        r.failures += 1;
        r.last = now;
        let over = r.failures.saturating_sub(l.free_failures);
        let delay = (over > 0).then(|| l.first_delay.saturating_mul(1u32 << (over - 1).min(20)).min(l.max_delay));
        r.locked_until = delay.map(|d| now + d);
        (r.failures, delay)
    }

    pub(crate) fn succeeded(&self, ip: IpAddr) {
        self.records.lock().unwrap().remove(&client_key(ip));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_per_address() {
        let l = LoginLimiter::new(LoginLimits {
            free_failures: 2,
            first_delay: Duration::from_secs(1),
            ..Default::default()
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(l.failed(a), (1, None));
        assert_eq!(l.failed(a), (2, None));
        assert!(l.check(a).is_ok());
        assert_eq!(l.failed(a), (3, Some(Duration::from_secs(1))));
        assert_eq!(l.failed(a), (4, Some(Duration::from_secs(2))));
        assert_eq!(l.failed(a), (5, Some(Duration::from_secs(4))));
        assert!(l.check(a).is_err());
        assert!(l.check("10.0.0.2".parse().unwrap()).is_ok(), "other addresses are not affected");
        for _ in 0..40 {
            l.failed(a);
        }
        assert_eq!(l.failed(a).1, Some(Duration::from_secs(600)), "capped");
        l.succeeded(a);
        assert!(l.check(a).is_ok());
    }
}
