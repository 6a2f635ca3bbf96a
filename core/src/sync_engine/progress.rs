//! Progress of a whole sync, not of one transfer: a bar fed from it moves once from 0 to 100 %
//! instead of jumping back to 0 for each page. Items are ops pushed and pages fetched; bytes are
//! pages' ciphertext sent and fetched. `done_*` never goes back; `total_*` only grows (when the pull
//! brings pages nobody knew of at the start).

use coffre_sync::Progress;
use serde::Serialize;
use std::sync::Mutex;

/// What the progress callback of [`crate::sync_engine::sync`] receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SyncProgress {
    pub done_items: u64,
    pub total_items: u64,
    pub done_bytes: u64,
    pub total_bytes: u64,
}

/// The job's counters and the app's callback.
pub(crate) struct JobProgress<'a> {
    report: &'a (dyn Fn(SyncProgress) + Send + Sync),
    state: Mutex<SyncProgress>,
}

impl<'a> JobProgress<'a> {
    pub(crate) fn new(report: &'a (dyn Fn(SyncProgress) + Send + Sync)) -> JobProgress<'a> {
        JobProgress { report, state: Mutex::new(SyncProgress::default()) }
    }

    fn update(&self, f: impl FnOnce(&mut SyncProgress)) {
        let now = match self.state.lock() {
            Ok(mut s) => {
                f(&mut s);
                s.total_items = s.total_items.max(s.done_items);
                s.total_bytes = s.total_bytes.max(s.done_bytes);
                *s
            }
            Err(_) => return,
        };
        (self.report)(now);
    }

    /// More work found: `items` and `bytes` join the totals.
    pub(crate) fn add_work(&self, items: u64, bytes: u64) {
        if items > 0 || bytes > 0 {
            self.update(|s| {
                s.total_items += items;
                s.total_bytes += bytes;
            });
        }
    }

    pub(crate) fn items_done(&self, n: u64) {
        self.update(|s| s.done_items += n);
    }

    /// A transfer of `bytes` of ciphertext: its chunk progress (padded bytes) becomes job bytes.
    pub(crate) fn transfer(&self, bytes: u64) -> Transfer<'_, 'a> {
        Transfer { job: self, bytes, credited: Mutex::new(0) }
    }
}

/// One transfer inside the job.
pub(crate) struct Transfer<'j, 'a> {
    job: &'j JobProgress<'a>,
    bytes: u64,
    credited: Mutex<u64>,
}

impl Transfer<'_, '_> {
    /// The client's per-transfer progress, scaled to this transfer's share of the job.
    pub(crate) fn on_chunks(&self, p: Progress) {
        let share = if p.total_bytes == 0 {
            0
        } else {
            (u128::from(p.done_bytes) * u128::from(self.bytes) / u128::from(p.total_bytes)) as u64
        };
        self.credit(share.min(self.bytes));
    }

    /// The transfer is over: whatever was not credited yet is.
    pub(crate) fn finish(&self) {
        self.credit(self.bytes);
    }

    fn credit(&self, upto: u64) {
        let delta = match self.credited.lock() {
            Ok(mut c) if upto > *c => {
                let d = upto - *c;
                *c = upto;
                d
            }
            _ => return,
        };
        self.job.update(|s| s.done_bytes += delta);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn transfers_add_up_to_one_monotonic_job() {
        let seen = Mutex::new(Vec::new());
        let report = |p: SyncProgress| seen.lock().unwrap().push(p);
        let job = JobProgress::new(&report);
        job.add_work(2, 1_000);
        for _ in 0..2 {
            let t = job.transfer(500);
            // The client restarts at 0 for each transfer, and may report the same point twice.
            for done in [0, 256, 256, 512] {
                t.on_chunks(Progress { done_chunks: 0, total_chunks: 2, done_bytes: done, total_bytes: 512 });
            }
            t.finish();
            job.items_done(1);
        }
        let seen = seen.into_inner().unwrap();
        let last = *seen.last().unwrap();
        assert_eq!(last, SyncProgress { done_items: 2, total_items: 2, done_bytes: 1_000, total_bytes: 1_000 });
        for w in seen.windows(2) {
            assert!(w[1].done_bytes >= w[0].done_bytes && w[1].done_items >= w[0].done_items, "{w:?}");
            assert!(w[1].total_bytes >= w[0].total_bytes);
        }
        assert!(seen.iter().all(|p| p.done_bytes <= p.total_bytes && p.done_items <= p.total_items));
    }
}
