//! [`ReplayStore`] on PostgreSQL (migration 10, as SQLite's): the nonces every instance has seen, so a
//! request replayed to another instance is refused as it is by the one that took it.

use async_trait::async_trait;
use coffre_sync_protocol::Hash;

use super::{PgMeta, i};
use crate::store::StoreResult;
use crate::store::replay::ReplayStore;

/// Migration 10: nonces of state-changing requests, kept for the replay window (twice the accepted clock
/// skew) so that a restart does not forget them.
pub(super) const MIGRATION_10: &str = "CREATE TABLE seen_nonces (
        key BYTEA PRIMARY KEY,
        expires_at BIGINT NOT NULL
    );
    CREATE INDEX seen_nonces_by_expiry ON seen_nonces (expires_at);";

#[async_trait]
impl ReplayStore for PgMeta {
    async fn first_use(&self, key: Hash, expires_at: u64, now: u64) -> StoreResult<bool> {
        let c = self.conn().await?;
        let k: &[u8] = &key;
        let del = c.prepare_cached("DELETE FROM seen_nonces WHERE expires_at <= $1").await?;
        c.execute(&del, &[&i(now)?]).await?;
        // One statement decides: of two instances inserting the same key at once, the second waits on
        // the first's index entry and then finds it (no row back: a replay). An expired key left by
        // a concurrent purge is taken over.
        let ins = c
            .prepare_cached(
                "INSERT INTO seen_nonces (key, expires_at) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at \
                 WHERE seen_nonces.expires_at <= $3 RETURNING 1",
            )
            .await?;
        Ok(c.query_opt(&ins, &[&k, &i(expires_at)?, &i(now)?]).await?.is_some())
    }
}
