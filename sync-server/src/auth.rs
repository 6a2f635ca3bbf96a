//! Request authentication: every `/v1/vaults/...` request is signed by a device key over
//! `method, path?query, sha256(body), timestamp, nonce` (see `coffre_sync_protocol::canonical_request`).
//! Checks, cheapest first: headers present and well-formed, timestamp within the skew window, body within
//! the route's size limit, signature, nonce never seen (replay), then the device's token bucket.
//! Membership of the device in the vault is checked by the handler, which knows the vault.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};
use coffre_sync_protocol::{
    HDR_DEVICE, HDR_NONCE, HDR_SIGNATURE, HDR_TIMESTAMP, PublicKey, canonical_request, sha256, unb64, unb64_array,
    verify_sig,
};

use crate::AppState;
use crate::error::ApiError;

/// An authenticated request: the signing device and the raw body.
#[derive(Debug)]
pub struct Authed {
    pub device: PublicKey,
    pub body: Bytes,
    pub query: Option<String>,
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

impl FromRequest<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let metrics = &state.metrics;
        let fail = |e: ApiError, reason: &'static str| {
            metrics.auth_failure(reason);
            e
        };
        let (parts, body) = req.into_parts();
        let h = &parts.headers;
        let (Some(dev), Some(ts), Some(nonce), Some(sig)) =
            (header(h, HDR_DEVICE), header(h, HDR_TIMESTAMP), header(h, HDR_NONCE), header(h, HDR_SIGNATURE))
        else {
            return Err(fail(ApiError::unauthorized("unsigned", "request signature headers missing"), "unsigned"));
        };
        let (dev, ts, nonce, sig) = (dev.to_string(), ts.to_string(), nonce.to_string(), sig.to_string());
        let malformed = || ApiError::unauthorized("bad_signature", "malformed signature headers");
        let device: PublicKey = unb64_array(&dev, "device").map_err(|_| fail(malformed(), "malformed"))?;
        let sig: [u8; 64] = unb64_array(&sig, "signature").map_err(|_| fail(malformed(), "malformed"))?;
        let nonce_bytes = unb64(&nonce, "nonce").map_err(|_| fail(malformed(), "malformed"))?;
        if !(16..=32).contains(&nonce_bytes.len()) {
            return Err(fail(malformed(), "malformed"));
        }
        let ts: u64 = ts.parse().map_err(|_| fail(malformed(), "malformed"))?;
        let now = crate::now_secs();
        if ts.abs_diff(now) > state.cfg.clock_skew_secs {
            return Err(fail(
                ApiError::unauthorized("stale_timestamp", "request timestamp outside the accepted window"),
                "stale",
            ));
        }
        let method = parts.method.clone();
        let path_q = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        let query = parts.uri.query().map(str::to_string);
        let body = Bytes::from_request(Request::from_parts(parts, body), state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::too_large("request body larger than this endpoint accepts")
            } else {
                ApiError::bad_request("bad_body", "could not read request body")
            }
        })?;
        let msg = canonical_request(method.as_str(), &path_q, &body, ts, &nonce);
        verify_sig(&device, &msg, &sig).map_err(|_| {
            fail(ApiError::unauthorized("bad_signature", "request signature does not verify"), "bad_sig")
        })?;
        let nonce_key = sha256(&[device.as_slice(), &nonce_bytes].concat());
        if !state.nonces.insert(nonce_key, now + 2 * state.cfg.clock_skew_secs + 1, now) {
            return Err(fail(ApiError::unauthorized("replayed", "this request was already received"), "replay"));
        }
        if let Err(wait) = state.limiter.take(device) {
            state.metrics.rate_limited();
            let mut e =
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many requests from this device");
            e.retry_after = Some(wait);
            return Err(e);
        }
        Ok(Authed { device, body, query })
    }
}

/// Nonces seen within the replay window. Lost on restart: every state-changing request is idempotent
/// (ops are deduplicated by signature, chunks by hash), so a replay after a restart changes nothing.
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
}
