//! Hand-rolled Prometheus counters (text exposition format 0.0.4). No labels carry ids or keys.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

const BUCKETS_MS: [u64; 10] = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000];
const AUTH_REASONS: [&str; 6] = ["unsigned", "malformed", "stale", "bad_sig", "replay", "membership"];

#[derive(Default)]
pub struct Metrics {
    by_class: [AtomicU64; 6],
    latency_buckets: [AtomicU64; BUCKETS_MS.len()],
    latency_count: AtomicU64,
    latency_sum_us: AtomicU64,
    auth_failures: [AtomicU64; AUTH_REASONS.len()],
    rate_limited: AtomicU64,
    pub ops_appended: AtomicU64,
    pub chunks_stored: AtomicU64,
    pub chunk_bytes_stored: AtomicU64,
    pub chunk_bytes_served: AtomicU64,
    pub vaults_registered: AtomicU64,
    pub in_flight: AtomicU64,
}

impl Metrics {
    pub fn observe(&self, status: u16, micros: u64) {
        let class = usize::from(status / 100).min(5);
        self.by_class[class].fetch_add(1, Relaxed);
        self.latency_count.fetch_add(1, Relaxed);
        self.latency_sum_us.fetch_add(micros, Relaxed);
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            if micros <= b * 1000 {
                self.latency_buckets[i].fetch_add(1, Relaxed);
            }
        }
    }

    pub fn auth_failure(&self, reason: &str) {
        if let Some(i) = AUTH_REASONS.iter().position(|r| *r == reason) {
            self.auth_failures[i].fetch_add(1, Relaxed);
        }
    }

    pub fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Relaxed);
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# TYPE coffre_http_requests_total counter");
        for (i, c) in self.by_class.iter().enumerate().skip(1) {
            let _ = writeln!(s, "coffre_http_requests_total{{class=\"{i}xx\"}} {}", c.load(Relaxed));
        }
        let _ = writeln!(s, "# TYPE coffre_http_request_duration_seconds histogram");
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            let _ = writeln!(
                s,
                "coffre_http_request_duration_seconds_bucket{{le=\"{}\"}} {}",
                *b as f64 / 1000.0,
                self.latency_buckets[i].load(Relaxed)
            );
        }
        let count = self.latency_count.load(Relaxed);
        let _ = writeln!(s, "coffre_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ =
            writeln!(s, "coffre_http_request_duration_seconds_sum {}", self.latency_sum_us.load(Relaxed) as f64 / 1e6);
        let _ = writeln!(s, "coffre_http_request_duration_seconds_count {count}");
        let _ = writeln!(s, "# TYPE coffre_auth_failures_total counter");
        for (i, r) in AUTH_REASONS.iter().enumerate() {
            let _ = writeln!(s, "coffre_auth_failures_total{{reason=\"{r}\"}} {}", self.auth_failures[i].load(Relaxed));
        }
        for (name, v) in [
            ("coffre_rate_limited_total", &self.rate_limited),
            ("coffre_ops_appended_total", &self.ops_appended),
            ("coffre_chunks_stored_total", &self.chunks_stored),
            ("coffre_chunk_bytes_stored_total", &self.chunk_bytes_stored),
            ("coffre_chunk_bytes_served_total", &self.chunk_bytes_served),
            ("coffre_vaults_registered_total", &self.vaults_registered),
        ] {
            let _ = writeln!(s, "# TYPE {name} counter\n{name} {}", v.load(Relaxed));
        }
        let _ =
            writeln!(s, "# TYPE coffre_http_in_flight gauge\ncoffre_http_in_flight {}", self.in_flight.load(Relaxed));
        s
    }
}

/// Who may read `/metrics`, which tells anyone watching the load and the failures of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsAccess {
    Allowed,
    /// A token is configured and the request did not carry it (401).
    WrongToken,
    /// No token is configured and the request is not from this machine (404, as if absent).
    NotLocal,
}

/// With a token configured, the request must carry `Authorization: Bearer <token>`, whoever sends it.
/// Without one, only a peer on loopback that did not come through a proxy (a proxy on the same machine
/// connects from loopback but adds `X-Forwarded-For` or `Forwarded`) may read it.
pub fn access(token: &str, peer: Option<IpAddr>, headers: &axum::http::HeaderMap) -> MetricsAccess {
    use sha2::{Digest, Sha256};
    if !token.is_empty() {
        let sent = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        // Compare digests: the time taken says nothing about how much of the token matched.
        let same = Sha256::digest(sent.as_bytes()) == Sha256::digest(token.as_bytes());
        return if same { MetricsAccess::Allowed } else { MetricsAccess::WrongToken };
    }
    let proxied = headers.contains_key("x-forwarded-for") || headers.contains_key(axum::http::header::FORWARDED);
    match peer {
        Some(ip) if ip.to_canonical().is_loopback() && !proxied => MetricsAccess::Allowed,
        _ => MetricsAccess::NotLocal,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::http::HeaderMap;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn without_token_only_unproxied_loopback() {
        let none = HeaderMap::new();
        assert_eq!(access("", ip("127.0.0.1"), &none), MetricsAccess::Allowed);
        assert_eq!(access("", ip("::1"), &none), MetricsAccess::Allowed);
        assert_eq!(access("", ip("::ffff:127.0.0.1"), &none), MetricsAccess::Allowed);
        assert_eq!(access("", ip("192.168.1.20"), &none), MetricsAccess::NotLocal);
        assert_eq!(access("", ip("2001:db8::1"), &none), MetricsAccess::NotLocal);
        assert_eq!(access("", None, &none), MetricsAccess::NotLocal);
        let mut proxied = HeaderMap::new();
        proxied.insert("x-forwarded-for", "203.0.113.9".parse().unwrap());
        assert_eq!(access("", ip("127.0.0.1"), &proxied), MetricsAccess::NotLocal);
    }

    #[test]
    fn with_token_everyone_needs_it() {
        let token = "0123456789abcdef-metrics";
        let mut right = HeaderMap::new();
        right.insert("authorization", format!("Bearer {token}").parse().unwrap());
        let mut wrong = HeaderMap::new();
        wrong.insert("authorization", "Bearer 0123456789abcdef-metricz".parse().unwrap());
        assert_eq!(access(token, ip("203.0.113.9"), &right), MetricsAccess::Allowed);
        assert_eq!(access(token, ip("127.0.0.1"), &wrong), MetricsAccess::WrongToken);
        assert_eq!(access(token, ip("127.0.0.1"), &HeaderMap::new()), MetricsAccess::WrongToken);
    }
}
