//! The embedded [`EnrolmentStore`] on [`SqliteMeta`]'s database (migration 9).

use std::collections::{BTreeSet, VecDeque};

use async_trait::async_trait;
use coffre_sync_protocol::{Hash, PublicKey};
use rusqlite::{TransactionBehavior, params};

use super::{SqliteMeta, arr32, i, u};
use crate::store::StoreResult;
use crate::store::enrolment::EnrolmentStore;

/// Migration 9: when each device was last seen (`NULL`: not since this server version), and an index
/// to walk the enrolment tree (`added_by`, kept since migration 1) from a removed device down.
pub(super) const MIGRATION_9: &str = "ALTER TABLE devices ADD COLUMN last_seen_at INTEGER;
    CREATE INDEX devices_by_adder ON devices (vault, added_by);";

#[async_trait]
impl EnrolmentStore for SqliteMeta {
    async fn remove_with_enrolled(
        &self,
        vault: Hash,
        device: PublicKey,
        keep: PublicKey,
        now: u64,
    ) -> StoreResult<Option<Vec<PublicKey>>> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "UPDATE devices SET removed_at = COALESCE(removed_at, ?3) WHERE vault = ?1 AND pk = ?2",
                params![vault, device, i(now)?],
            )?;
            if n == 0 {
                return Ok(None);
            }
            // Breadth-first down the enrolment tree; `seen` also stops cycles (a device that added
            // itself, as the assisted-recovery device does).
            let mut seen = BTreeSet::from([device, keep]);
            let mut queue = VecDeque::from([device]);
            let mut removed = Vec::new();
            while let Some(parent) = queue.pop_front() {
                let children: Vec<(Vec<u8>, Option<i64>)> = tx
                    .prepare_cached("SELECT pk, removed_at FROM devices WHERE vault = ?1 AND added_by = ?2")?
                    .query_map(params![vault, parent], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?;
                for (child, was_removed) in children {
                    let child = arr32(child)?;
                    if !seen.insert(child) {
                        continue;
                    }
                    // An already removed device's own enrolments still go: it may have added them
                    // before its removal.
                    queue.push_back(child);
                    if was_removed.is_none() {
                        tx.execute(
                            "UPDATE devices SET removed_at = ?3 WHERE vault = ?1 AND pk = ?2",
                            params![vault, child, i(now)?],
                        )?;
                        removed.push(child);
                    }
                }
            }
            tx.commit()?;
            Ok(Some(removed))
        })
        .await
    }

    async fn record_seen(&self, vault: Hash, device: PublicKey, now: u64) -> StoreResult<()> {
        self.write(move |c| {
            c.prepare_cached("UPDATE devices SET last_seen_at = ?3 WHERE vault = ?1 AND pk = ?2")?.execute(params![
                vault,
                device,
                i(now)?
            ])?;
            Ok(())
        })
        .await
    }

    async fn last_seen(&self, vault: Hash) -> StoreResult<Vec<(PublicKey, u64)>> {
        self.read(move |c| {
            let rows: Vec<(Vec<u8>, i64)> = c
                .prepare_cached("SELECT pk, last_seen_at FROM devices WHERE vault = ?1 AND last_seen_at IS NOT NULL")?
                .query_map(params![vault], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            rows.into_iter().map(|(pk, at)| Ok((arr32(pk)?, u(at)))).collect()
        })
        .await
    }
}
