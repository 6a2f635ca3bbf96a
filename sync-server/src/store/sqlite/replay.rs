//! The embedded [`ReplayStore`] on [`SqliteMeta`]'s database (migration 10).

use async_trait::async_trait;
use coffre_sync_protocol::Hash;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{SqliteMeta, i, u};
use crate::store::StoreResult;
use crate::store::replay::ReplayStore;

/// Migration 10: nonces of state-changing requests, kept for the replay window (twice the accepted clock
/// skew) so that a restart does not forget them.
pub(super) const MIGRATION_10: &str = "CREATE TABLE seen_nonces (
        key BLOB PRIMARY KEY,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX seen_nonces_by_expiry ON seen_nonces (expires_at);";

#[async_trait]
impl ReplayStore for SqliteMeta {
    async fn first_use(&self, key: Hash, expires_at: u64, now: u64) -> StoreResult<bool> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.prepare_cached("DELETE FROM seen_nonces WHERE expires_at <= ?1")?.execute(params![i(now)?])?;
            let seen: Option<i64> = tx
                .prepare_cached("SELECT expires_at FROM seen_nonces WHERE key = ?1")?
                .query_row(params![key], |r| r.get(0))
                .optional()?;
            if seen.is_some_and(|at| u(at) > now) {
                return Ok(false);
            }
            tx.prepare_cached("INSERT OR REPLACE INTO seen_nonces (key, expires_at) VALUES (?1, ?2)")?
                .execute(params![key, i(expires_at)?])?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }
}
