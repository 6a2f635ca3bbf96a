//! Pacing: a device keeps under the server's per-device rate limit and waits out a busy server
//! instead of failing. The server announces its token bucket in `ServerInfo.limits` (burst, refill
//! per second); the client mirrors it, a little slower, so a long sync rarely meets a `429`. When it
//! does (an old server that announces nothing, another app of the same device, a busy server's
//! `503`), the request waits the `Retry-After` the server gave and is sent again, cancellable
//! through the sync's [`CancelToken`]. Only when the server stays busy for longer than
//! [`MAX_BUSY_WAIT`] does the sync stop, with [`SyncError::ServerBusy`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::cancel::CancelToken;
use crate::error::{Result, SyncError};

/// Longest wait the client accepts from one `Retry-After`, and the most it waits in total for one
/// sync before it gives up and reports the server busy (the person can try again later).
pub const MAX_BUSY_WAIT: Duration = Duration::from_secs(600);
/// Wait when a busy answer names no `Retry-After` (or one this client cannot read).
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 2;
/// Share of the announced rate the client uses: the server's clock and ours drift, and other
/// requests of this device (a share, a mailbox) draw on the same bucket.
const RATE_MARGIN: f64 = 0.9;

/// Called with the seconds of a wait when the server says it is busy (to tell the person).
pub type BusyFn = Arc<dyn Fn(u64) + Send + Sync>;

/// The `Retry-After` of a busy answer, in seconds: the delta-seconds form (what the Coffre server
/// sends). An HTTP date, garbage or nothing gives `None` (the caller waits a default).
pub fn parse_retry_after(value: Option<&str>) -> Option<u64> {
    let v = value?.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse::<u64>().ok()
}

/// Ops pushed in one append, sized to what the server allows: no more than its
/// `max_ops_per_append`, and few enough that the requests of one batch (about
/// [`REQUESTS_PER_OP`] per op: the op's page upload and its share of the append) fit in half the
/// device's burst, so a batch is acknowledged before the bucket runs dry. Without announced
/// limits, [`DEFAULT_PUSH_BATCH`]; after a busy answer, halved (see [`PushBatch::shrink`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushBatch {
    size: usize,
}

/// Requests one op with one small page costs: chunks missing?, chunk upload, blob commit.
pub const REQUESTS_PER_OP: usize = 3;
/// Batch size when the server announces no limits.
pub const DEFAULT_PUSH_BATCH: usize = 100;
/// Smallest batch (a batch of one op is still progress).
pub const MIN_PUSH_BATCH: usize = 4;

impl PushBatch {
    pub fn for_limits(limits: Option<&coffre_sync_protocol::Limits>) -> PushBatch {
        let Some(l) = limits else { return PushBatch { size: DEFAULT_PUSH_BATCH } };
        let by_append = usize::try_from(l.max_ops_per_append).unwrap_or(usize::MAX).max(1);
        let by_rate = l.rate_burst.map_or(DEFAULT_PUSH_BATCH, |burst| burst as usize / 2 / REQUESTS_PER_OP);
        PushBatch { size: by_append.min(by_rate).max(MIN_PUSH_BATCH.min(by_append)) }
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// After the server said it was busy during a batch: smaller batches are acknowledged sooner.
    pub fn shrink(&mut self) {
        self.size = (self.size / 2).max(MIN_PUSH_BATCH).min(self.size);
    }
}

/// The client's copy of the server's token bucket.
#[derive(Debug)]
struct Bucket {
    burst: f64,
    per_sec: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    /// Takes a token; returns how long to wait before using it (tokens may go negative: concurrent
    /// requests queue up behind each other).
    fn take(&mut self, now: Instant) -> Duration {
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * self.per_sec).min(self.burst);
        self.last = now;
        self.tokens -= 1.0;
        if self.tokens >= 0.0 { Duration::ZERO } else { Duration::from_secs_f64(-self.tokens / self.per_sec) }
    }
}

/// Pacing state of one client (shared by its clones and its concurrent transfers).
#[derive(Default)]
pub(crate) struct Pacer {
    bucket: Mutex<Option<Bucket>>,
    hooks: Mutex<Hooks>,
    /// Until when the server asked every request to wait (one notice per busy spell, not per task).
    busy_until: Mutex<Option<Instant>>,
    busy_answers: AtomicU64,
    waited_ms: AtomicU64,
}

#[derive(Default)]
struct Hooks {
    cancel: CancelToken,
    on_busy: Option<BusyFn>,
}

impl Pacer {
    /// Mirror the server's announced bucket (a little slower). `None` keeps only the `429` handling.
    pub(crate) fn set_rate(&self, burst: Option<u32>, per_sec: Option<u32>) {
        let bucket = match (burst, per_sec) {
            (Some(b), Some(r)) if b > 0 && r > 0 => {
                let burst = (f64::from(b) * RATE_MARGIN).max(1.0);
                Some(Bucket { burst, per_sec: f64::from(r) * RATE_MARGIN, tokens: burst, last: Instant::now() })
            }
            _ => None,
        };
        if let Ok(mut g) = self.bucket.lock() {
            *g = bucket;
        }
    }

    /// The cancel token waits watch, and who to tell when the server is busy; resets the busy budget.
    pub(crate) fn set_hooks(&self, cancel: &CancelToken, on_busy: Option<BusyFn>) {
        if let Ok(mut h) = self.hooks.lock() {
            *h = Hooks { cancel: cancel.clone(), on_busy };
        }
        self.waited_ms.store(0, Ordering::SeqCst);
    }

    /// Busy answers (`429`, `503`) met since this client was made.
    pub(crate) fn busy_answers(&self) -> u64 {
        self.busy_answers.load(Ordering::SeqCst)
    }

    fn cancel(&self) -> CancelToken {
        self.hooks.lock().map(|h| h.cancel.clone()).unwrap_or_default()
    }

    /// Waits for a token of the local bucket (and for a busy spell the server announced to end).
    pub(crate) async fn before_request(&self) -> Result<()> {
        let now = Instant::now();
        let mut wait = self.bucket.lock().ok().and_then(|mut b| b.as_mut().map(|b| b.take(now))).unwrap_or_default();
        if let Some(until) = self.busy_until.lock().ok().and_then(|g| *g) {
            wait = wait.max(until.saturating_duration_since(now));
        }
        sleep_cancellable(wait, &self.cancel()).await
    }

    /// The server answered busy (`retry_after` seconds, if it said): wait, then the caller sends the
    /// same request again. Gives up with `ServerBusy` past [`MAX_BUSY_WAIT`].
    pub(crate) async fn after_busy(&self, status: u16, retry_after: Option<u64>) -> Result<()> {
        self.busy_answers.fetch_add(1, Ordering::SeqCst);
        let secs = retry_after.unwrap_or(DEFAULT_RETRY_AFTER_SECS).max(1);
        let gave_up = SyncError::ServerBusy { status, retry_after_secs: secs };
        if Duration::from_secs(secs) > MAX_BUSY_WAIT {
            return Err(gave_up);
        }
        let now = Instant::now();
        let until = now + Duration::from_secs(secs);
        // The first task to meet this busy spell tells the person and counts the wait; the others
        // wait with it.
        let announce = match self.busy_until.lock() {
            Ok(mut g) => {
                let fresh = g.is_none_or(|u| u <= now);
                if g.is_none_or(|u| u < until) {
                    *g = Some(until);
                }
                fresh
            }
            Err(_) => true,
        };
        if let Ok(mut b) = self.bucket.lock()
            && let Some(b) = b.as_mut()
        {
            // The server's bucket is empty: ours restarts empty too.
            b.tokens = b.tokens.min(0.0);
            b.last = until;
        }
        if announce {
            let waited = self.waited_ms.fetch_add(secs * 1000, Ordering::SeqCst) + secs * 1000;
            if Duration::from_millis(waited) > MAX_BUSY_WAIT {
                return Err(gave_up);
            }
            let on_busy = self.hooks.lock().ok().and_then(|h| h.on_busy.clone());
            if let Some(f) = on_busy {
                f(secs);
            }
        }
        sleep_cancellable(until.saturating_duration_since(Instant::now()), &self.cancel()).await
    }
}

/// Sleeps `d`, waking every 100 ms to honour `cancel`.
async fn sleep_cancellable(d: Duration, cancel: &CancelToken) -> Result<()> {
    let end = Instant::now() + d;
    loop {
        if cancel.is_cancelled() {
            return Err(SyncError::Cancelled);
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        tokio::time::sleep(left.min(Duration::from_millis(100))).await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use coffre_sync_protocol::Limits;

    #[test]
    fn retry_after_reads_seconds_only() {
        assert_eq!(parse_retry_after(Some("3")), Some(3));
        assert_eq!(parse_retry_after(Some(" 120 ")), Some(120));
        assert_eq!(parse_retry_after(Some("0")), Some(0));
        assert_eq!(parse_retry_after(None), None);
        assert_eq!(parse_retry_after(Some("")), None);
        assert_eq!(parse_retry_after(Some("-5")), None);
        assert_eq!(parse_retry_after(Some("1.5")), None);
        assert_eq!(parse_retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(parse_retry_after(Some("99999999999999999999999")), None);
    }

    fn limits(max_ops: u64, burst: Option<u32>) -> Limits {
        Limits {
            max_chunk_bytes: 4 << 20,
            max_json_bytes: 2 << 20,
            max_op_payload_bytes: 64 << 10,
            max_ops_per_append: max_ops,
            max_pull_ops: 1000,
            max_mailbox_bytes: 16 << 10,
            quota_bytes: 2 << 30,
            max_fetch_bytes: 8 << 20,
            rate_burst: burst,
            rate_per_sec: burst.map(|_| 100),
        }
    }

    #[test]
    fn batches_fit_in_half_the_burst_and_the_append_limit() {
        // The default server: burst 300 → 50 ops (150 requests), under 256 per append.
        assert_eq!(PushBatch::for_limits(Some(&limits(256, Some(300)))).size(), 50);
        // A generous bucket: the append limit wins.
        assert_eq!(PushBatch::for_limits(Some(&limits(256, Some(1_000_000)))).size(), 256);
        // A tiny bucket still makes progress.
        assert_eq!(PushBatch::for_limits(Some(&limits(256, Some(5)))).size(), MIN_PUSH_BATCH);
        // An append limit below the minimum is obeyed.
        assert_eq!(PushBatch::for_limits(Some(&limits(2, Some(300)))).size(), 2);
        // An old server that announces no bucket, and no server info at all.
        assert_eq!(PushBatch::for_limits(Some(&limits(256, None))).size(), DEFAULT_PUSH_BATCH);
        assert_eq!(PushBatch::for_limits(None).size(), DEFAULT_PUSH_BATCH);
    }

    #[test]
    fn a_busy_answer_halves_the_batch_down_to_the_minimum() {
        let mut b = PushBatch::for_limits(Some(&limits(256, Some(300))));
        b.shrink();
        assert_eq!(b.size(), 25);
        for _ in 0..10 {
            b.shrink();
        }
        assert_eq!(b.size(), MIN_PUSH_BATCH);
        let mut tiny = PushBatch::for_limits(Some(&limits(2, Some(300))));
        tiny.shrink();
        assert_eq!(tiny.size(), 2);
    }

    #[test]
    fn the_local_bucket_spaces_requests_at_the_announced_rate() {
        let start = Instant::now();
        let mut b = Bucket { burst: 2.0, per_sec: 10.0, tokens: 2.0, last: start };
        assert_eq!(b.take(start), Duration::ZERO);
        assert_eq!(b.take(start), Duration::ZERO);
        // Empty: the third waits a tenth of a second, the fourth two tenths.
        assert_eq!(b.take(start), Duration::from_millis(100));
        assert_eq!(b.take(start), Duration::from_millis(200));
    }

    #[test]
    fn a_wait_longer_than_the_budget_gives_up_as_server_busy() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let p = Pacer::default();
        let e = rt.block_on(p.after_busy(429, Some(MAX_BUSY_WAIT.as_secs() + 1))).unwrap_err();
        assert!(matches!(e, SyncError::ServerBusy { status: 429, .. }), "{e:?}");
        assert_eq!(p.busy_answers(), 1);
    }

    #[test]
    fn a_wait_is_cancelled_through_the_token() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let p = Pacer::default();
        let cancel = CancelToken::new();
        let seen = Arc::new(AtomicU64::new(0));
        let s = seen.clone();
        p.set_hooks(&cancel, Some(Arc::new(move |secs| s.store(secs, Ordering::SeqCst))));
        cancel.cancel();
        let started = Instant::now();
        let e = rt.block_on(p.after_busy(429, Some(30))).unwrap_err();
        assert!(matches!(e, SyncError::Cancelled));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(seen.load(Ordering::SeqCst), 30, "the person is told how long the wait is");
    }
}
