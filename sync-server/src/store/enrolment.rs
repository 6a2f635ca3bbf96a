//! [`EnrolmentStore`]: who enrolled whom on the server, and when each device was last seen. Kept apart
//! from [`super::MetaStore`] so another backend implements it on its own; the embedded one is
//! [`super::sqlite::SqliteMeta`] (`sqlite/enrolment.rs`, migration 9), the scale-out one
//! [`super::postgres::PgMeta`] (`postgres/enrolment.rs`).
//!
//! Why transitive revocation: any enrolled device can add a device key on the server. A phone that is
//! later removed may have added keys no one knows of (issue 13 #1); the server cannot tell such a key
//! from an honest one (the phone holds the ARK and can certify anything), so everything the removed
//! device enrolled, directly or through others, goes with it. See docs/adr/0011.

use async_trait::async_trait;
use coffre_sync_protocol::{Hash, PublicKey};

use super::StoreResult;

/// Enrolment tree and last-seen times. Every method is atomic.
#[async_trait]
pub trait EnrolmentStore: Send + Sync + 'static {
    /// Removes `device` and, in the same transaction, every device it enrolled, directly or through
    /// others (`added_by` chains), except `keep` (the device asking: it and what it enrolled stay).
    /// Returns the devices removed by this call besides `device`, or `None` if `device` was never a
    /// member of `vault`. Idempotent: a second call removes nothing more and returns an empty list.
    async fn remove_with_enrolled(
        &self,
        vault: Hash,
        device: PublicKey,
        keep: PublicKey,
        now: u64,
    ) -> StoreResult<Option<Vec<PublicKey>>>;
    /// Notes that `device` made a request at `now` (callers throttle: at most once per cache period).
    async fn record_seen(&self, vault: Hash, device: PublicKey, now: u64) -> StoreResult<()>;
    /// When each device of `vault` was last seen (devices never seen since this was kept are absent).
    async fn last_seen(&self, vault: Hash) -> StoreResult<Vec<(PublicKey, u64)>>;
}
