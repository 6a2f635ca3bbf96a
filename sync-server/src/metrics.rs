//! Hand-rolled Prometheus counters (text exposition format 0.0.4). No labels carry ids or keys.

use std::fmt::Write as _;
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
