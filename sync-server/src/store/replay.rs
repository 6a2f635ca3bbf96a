//! [`ReplayStore`]: request nonces that must stay refused across restarts and across server instances
//! (issue 13, "replay after a server restart"). The in-memory cache (`guards::NonceCache`) answers first;
//! this store is asked for every request that can change state. The backends are
//! [`super::sqlite::SqliteMeta`] (`sqlite/replay.rs`, migration 10) and [`super::postgres::PgMeta`]
//! (`postgres/replay.rs`, the same migration, shared by every instance on the database).

use async_trait::async_trait;
use coffre_sync_protocol::Hash;

use super::StoreResult;

#[async_trait]
pub trait ReplayStore: Send + Sync + 'static {
    /// Records `key` (SHA-256 of device and nonce) until `expires_at`; false if it is already recorded
    /// and not expired (a replay). Expired keys are purged on the way.
    async fn first_use(&self, key: Hash, expires_at: u64, now: u64) -> StoreResult<bool>;
}
