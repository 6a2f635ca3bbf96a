//! [`EnrolmentStore`] on PostgreSQL (migration 9, as SQLite's). A removal locks the vault's row, so the
//! walk down the enrolment tree sees no device added meanwhile by another instance.

use std::collections::{BTreeSet, VecDeque};

use async_trait::async_trait;
use coffre_sync_protocol::{Hash, PublicKey};

use super::{PgMeta, arr32, i, u};
use crate::store::StoreResult;
use crate::store::enrolment::EnrolmentStore;

/// Migration 9: when each device was last seen (`NULL`: not since this server version), and an index
/// to walk the enrolment tree (`added_by`, kept since migration 1) from a removed device down.
pub(super) const MIGRATION_9: &str = "ALTER TABLE devices ADD COLUMN last_seen_at BIGINT;
    CREATE INDEX devices_by_adder ON devices (vault, added_by);";

#[async_trait]
impl EnrolmentStore for PgMeta {
    async fn remove_with_enrolled(
        &self,
        vault: Hash,
        device: PublicKey,
        keep: PublicKey,
        now: u64,
    ) -> StoreResult<Option<Vec<PublicKey>>> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let v: &[u8] = &vault;
        // The vault's row lock: adds and removals of this vault on other instances wait.
        tx.query_opt("SELECT 1 FROM vaults WHERE id = $1 FOR UPDATE", &[&v]).await?;
        let n = tx
            .execute(
                "UPDATE devices SET removed_at = COALESCE(removed_at, $3) WHERE vault = $1 AND pk = $2",
                &[&v, &&device[..], &i(now)?],
            )
            .await?;
        if n == 0 {
            return Ok(None);
        }
        // Breadth-first down the enrolment tree; `seen` also stops cycles (a device that added
        // itself, as the assisted-recovery device does).
        let children_of =
            tx.prepare_cached("SELECT pk, removed_at FROM devices WHERE vault = $1 AND added_by = $2").await?;
        let mut seen = BTreeSet::from([device, keep]);
        let mut queue = VecDeque::from([device]);
        let mut removed = Vec::new();
        while let Some(parent) = queue.pop_front() {
            let children = tx.query(&children_of, &[&v, &&parent[..]]).await?;
            for r in children {
                let child = arr32(r.get(0))?;
                let was_removed: Option<i64> = r.get(1);
                if !seen.insert(child) {
                    continue;
                }
                // An already removed device's own enrolments still go: it may have added them
                // before its removal.
                queue.push_back(child);
                if was_removed.is_none() {
                    tx.execute(
                        "UPDATE devices SET removed_at = $3 WHERE vault = $1 AND pk = $2",
                        &[&v, &&child[..], &i(now)?],
                    )
                    .await?;
                    removed.push(child);
                }
            }
        }
        tx.commit().await?;
        Ok(Some(removed))
    }

    async fn record_seen(&self, vault: Hash, device: PublicKey, now: u64) -> StoreResult<()> {
        let c = self.conn().await?;
        let st = c.prepare_cached("UPDATE devices SET last_seen_at = $3 WHERE vault = $1 AND pk = $2").await?;
        c.execute(&st, &[&&vault[..], &&device[..], &i(now)?]).await?;
        Ok(())
    }

    async fn last_seen(&self, vault: Hash) -> StoreResult<Vec<(PublicKey, u64)>> {
        let c = self.conn().await?;
        let rows = c
            .query("SELECT pk, last_seen_at FROM devices WHERE vault = $1 AND last_seen_at IS NOT NULL", &[&&vault[..]])
            .await?;
        rows.into_iter().map(|r| Ok((arr32(r.get(0))?, u(r.get(1))))).collect()
    }
}
