//! Sign-in attempts per client address.
//!
//! The account lockout (`AuthPolicy::max_failed_logins`) stops guessing one account's password;
//! it does nothing against one client trying a few passwords on many accounts (password
//! spraying), and every attempt costs an argon2id hash. So `POST /login` also passes a token
//! bucket per client address: `per_minute` attempts at once, refilled at `per_minute` per
//! minute; beyond that 429 with `Retry-After`. In memory: a restart forgets the buckets.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets kept before full ones are forgotten.
const MAX_CLIENTS: usize = 10_000;

#[derive(Debug)]
pub struct LoginThrottle {
    per_minute: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
    /// The bucket refused since its last accepted attempt (so the burst was already audited).
    refusing: bool,
}

/// A refused attempt: how long to wait, and whether it starts a burst of refusals (the one to
/// put in the audit trail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub wait: Duration,
    pub first: bool,
}

impl LoginThrottle {
    pub fn new(per_minute: u32) -> LoginThrottle {
        LoginThrottle {
            per_minute: per_minute.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one attempt for `client` (an address; requests without one share a bucket), or
    /// says how long to wait for the next.
    pub fn attempt(&self, client: Option<&str>) -> Result<(), Throttled> {
        let capacity = f64::from(self.per_minute);
        let rate = capacity / 60.0;
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let refill = |b: &Bucket| {
            (b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate).min(capacity)
        };
        if buckets.len() >= MAX_CLIENTS {
            buckets.retain(|_, b| refill(b) < capacity);
        }
        let bucket = buckets
            .entry(client.unwrap_or("unknown").to_string())
            .or_insert(Bucket {
                tokens: capacity,
                at: now,
                refusing: false,
            });
        let tokens = refill(bucket);
        if tokens >= 1.0 {
            *bucket = Bucket {
                tokens: tokens - 1.0,
                at: now,
                refusing: false,
            };
            Ok(())
        } else {
            let first = !bucket.refusing;
            *bucket = Bucket {
                tokens,
                at: now,
                refusing: true,
            };
            Err(Throttled {
                wait: Duration::from_secs_f64(((1.0 - tokens) / rate).ceil().max(1.0)),
                first,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_attempts_then_waits_others_are_unaffected() {
        let t = LoginThrottle::new(3);
        for _ in 0..3 {
            assert!(t.attempt(Some("10.0.0.1")).is_ok());
        }
        let refused = t.attempt(Some("10.0.0.1")).unwrap_err();
        assert!(refused.wait >= Duration::from_secs(1) && refused.wait <= Duration::from_secs(20));
        assert!(
            refused.first,
            "the first refusal of a burst is the one audited"
        );
        assert!(!t.attempt(Some("10.0.0.1")).unwrap_err().first);
        assert!(t.attempt(Some("10.0.0.2")).is_ok());
    }
}
