//! The in-memory guards behind request authentication: the replay cache of nonces and the token
//! buckets that rate-limit devices, mailboxes and share links.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Nonces seen within the replay window, in memory: the fast answer for every request. Lost on restart,
/// so state-changing requests are also checked in the store (`crate::replay`).
pub struct NonceCache {
    inner: Mutex<(HashMap<[u8; 32], u64>, usize)>,
}

impl Default for NonceCache {
    fn default() -> Self {
        NonceCache { inner: Mutex::new((HashMap::new(), 4096)) }
    }
}

impl NonceCache {
    /// Insert; false if the nonce is already there (a replay).
    pub fn insert(&self, key: [u8; 32], expires: u64, now: u64) -> bool {
        let Ok(mut g) = self.inner.lock() else { return false };
        let (map, next_purge) = &mut *g;
        if map.len() >= *next_purge {
            map.retain(|_, exp| *exp > now);
            *next_purge = (map.len() * 2).max(4096);
        }
        match map.get(&key) {
            Some(exp) if *exp > now => false,
            _ => {
                map.insert(key, expires);
                true
            }
        }
    }
}

/// Token bucket per key (device or mailbox).
pub struct RateLimiter {
    burst: f64,
    per_sec: f64,
    inner: Mutex<HashMap<[u8; 32], (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(burst: u32, per_sec: u32) -> RateLimiter {
        RateLimiter { burst: f64::from(burst), per_sec: f64::from(per_sec), inner: Mutex::new(HashMap::new()) }
    }

    /// A bucket of `burst` tokens that regains one every `secs` seconds (per-address limits, slower than
    /// one a second).
    pub fn refill_every(burst: u32, secs: u64) -> RateLimiter {
        let per_sec = 1.0 / (secs.max(1) as f64);
        RateLimiter { burst: f64::from(burst), per_sec, inner: Mutex::new(HashMap::new()) }
    }

    /// Take a token, or return how many seconds to wait.
    pub fn take(&self, key: [u8; 32]) -> Result<(), u64> {
        let Ok(mut map) = self.inner.lock() else { return Err(1) };
        let now = Instant::now();
        if map.len() > 100_000 {
            let burst = self.burst;
            let per_sec = self.per_sec;
            map.retain(|_, (tokens, last)| *tokens + now.duration_since(*last).as_secs_f64() * per_sec < burst);
        }
        let (tokens, last) = map.entry(key).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.per_sec).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.per_sec).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_replay_refused_and_expires() {
        let c = NonceCache::default();
        assert!(c.insert([1; 32], 100, 10));
        assert!(!c.insert([1; 32], 100, 50));
        assert!(c.insert([1; 32], 300, 101));
    }

    #[test]
    fn bucket_empties() {
        let r = RateLimiter::new(3, 1);
        assert!(r.take([0; 32]).is_ok());
        assert!(r.take([0; 32]).is_ok());
        assert!(r.take([0; 32]).is_ok());
        assert!(r.take([0; 32]).is_err());
        assert!(r.take([1; 32]).is_ok());
    }

    #[test]
    fn slow_bucket_says_how_long_to_wait() {
        let r = RateLimiter::refill_every(2, 60);
        assert!(r.take([0; 32]).is_ok());
        assert!(r.take([0; 32]).is_ok());
        let Err(wait) = r.take([0; 32]) else { panic!("a third token from a bucket of two") };
        assert!((59..=60).contains(&wait), "{wait}");
    }
}
