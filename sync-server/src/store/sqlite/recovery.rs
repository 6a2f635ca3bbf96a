//! The embedded [`RecoveryStore`] on [`SqliteMeta`]'s database (migrations 3, 4 and 8).

use async_trait::async_trait;
use coffre_sync_protocol::{Hash, PublicKey};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{SqliteMeta, arr32, i, u};
use crate::store::StoreResult;
use crate::store::recovery::{
    AssistedRequest, AssistedRow, Enrolment, PutSlotOutcome, RecoveryStore, SlotKind, SlotRecord,
};

/// Migration 3: recovery slots (see store/recovery.rs). `kind` names the high-entropy secret the slot is
/// wrapped under; `device` is the recovery device derived from the same secret.
pub(super) const MIGRATION_3: &str = "CREATE TABLE recovery_slots (
        vault BLOB NOT NULL,
        kind TEXT NOT NULL,
        device BLOB NOT NULL,
        slot BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (vault, kind)
    ) WITHOUT ROWID;
    CREATE INDEX recovery_slots_by_device ON recovery_slots (device);";

/// Migration 4: assisted recovery (store/recovery.rs): the provider's Shamir share (one of three), the SHA-256
/// of the PIN verifier, the organisation's sealed pieces, failures, and the current request.
pub(super) const MIGRATION_4: &str = "CREATE TABLE recovery_assisted (
        vault BLOB PRIMARY KEY,
        pin_hash BLOB NOT NULL,
        provider_share BLOB NOT NULL,
        org BLOB NOT NULL,
        pieces BLOB NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0,
        requester BLOB,
        started_at INTEGER,
        cancelled_at INTEGER
    ) WITHOUT ROWID;";

/// Migration 11: one assisted-recovery request per requester (issue 13 #7: a stranger's start, wrong PINs
/// or lock never touch the holder's request; a cancel sticks). `recovery_assisted.failures` now counts
/// the vault's wrong PINs (they lengthen later delays); its `requester`, `started_at`, `cancelled_at`
/// columns are no longer read. A request in progress moves over, ready 72 h (the default delay) after
/// it started.
pub(super) const MIGRATION_11: &str = "CREATE TABLE recovery_requests (
        vault BLOB NOT NULL,
        requester BLOB NOT NULL,
        started_at INTEGER NOT NULL,
        ready_at INTEGER NOT NULL,
        cancelled_at INTEGER,
        failures INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (vault, requester)
    ) WITHOUT ROWID;
    INSERT INTO recovery_requests (vault, requester, started_at, ready_at, cancelled_at, failures)
        SELECT vault, requester, started_at, started_at + 259200, cancelled_at, failures FROM recovery_assisted
        WHERE requester IS NOT NULL AND started_at IS NOT NULL;
    UPDATE recovery_assisted SET requester = NULL, started_at = NULL, cancelled_at = NULL;";

type SlotRow = (Vec<u8>, String, Vec<u8>, Vec<u8>, i64);

fn record(row: SlotRow) -> StoreResult<SlotRecord> {
    let (vault, kind, device, slot, created) = row;
    Ok(SlotRecord { vault: arr32(vault)?, kind, device: arr32(device)?, slot, created_at: u(created) })
}

fn slot_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SlotRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

/// Tables with a `vault` column (every per-vault table, present and future).
fn vault_tables(c: &Connection) -> StoreResult<Vec<String>> {
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for t in tables {
        let has_vault = c
            .prepare(&format!("SELECT 1 FROM pragma_table_info('{}') WHERE name = 'vault'", t.replace('\'', "''")))?
            .exists([])?;
        if has_vault {
            out.push(t);
        }
    }
    Ok(out)
}

#[async_trait]
impl RecoveryStore for SqliteMeta {
    async fn put_slot(
        &self,
        vault: Hash,
        kind: SlotKind,
        device: PublicKey,
        slot: Vec<u8>,
        by: PublicKey,
        now: u64,
        enrol: Enrolment,
    ) -> StoreResult<PutSlotOutcome> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if !tx.prepare_cached("SELECT 1 FROM vaults WHERE id = ?1")?.exists(params![vault])? {
                return Ok(PutSlotOutcome::NoVault);
            }
            let removed: Option<Option<i64>> = tx
                .query_row("SELECT removed_at FROM devices WHERE vault = ?1 AND pk = ?2", params![vault, device], |r| {
                    r.get(0)
                })
                .optional()?;
            if let Some(Some(_)) = removed {
                return Ok(PutSlotOutcome::DeviceWasRemoved);
            }
            let old: Option<Vec<u8>> = tx
                .query_row(
                    "SELECT device FROM recovery_slots WHERE vault = ?1 AND kind = ?2",
                    params![vault, kind.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            let replaced = match old {
                Some(old) if old.as_slice() != device.as_slice() => {
                    tx.execute(
                        "UPDATE devices SET removed_at = COALESCE(removed_at, ?3) WHERE vault = ?1 AND pk = ?2",
                        params![vault, old, i(now)?],
                    )?;
                    Some(arr32(old)?)
                }
                _ => None,
            };
            if enrol == Enrolment::Now && removed.is_none() {
                tx.execute(
                    "INSERT INTO devices (vault, pk, added_at, added_by) VALUES (?1, ?2, ?3, ?4)",
                    params![vault, device, i(now)?, by],
                )?;
            }
            tx.execute(
                "INSERT INTO recovery_slots (vault, kind, device, slot, created_at) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (vault, kind) DO UPDATE SET device = ?3, slot = ?4, created_at = ?5",
                params![vault, kind.as_str(), device, slot, i(now)?],
            )?;
            tx.commit()?;
            Ok(PutSlotOutcome::Stored { replaced })
        })
        .await
    }

    async fn slot_for_device(&self, device: PublicKey) -> StoreResult<Option<SlotRecord>> {
        self.read(move |c| {
            let row = c
                .prepare_cached(
                    "SELECT s.vault, s.kind, s.device, s.slot, s.created_at FROM recovery_slots s \
                     LEFT JOIN devices d ON d.vault = s.vault AND d.pk = s.device \
                     WHERE s.device = ?1 AND d.removed_at IS NULL",
                )?
                .query_row(params![device], slot_row)
                .optional()?;
            row.map(record).transpose()
        })
        .await
    }

    async fn all_slots(&self) -> StoreResult<Vec<SlotRecord>> {
        self.read(move |c| {
            let rows: Vec<SlotRow> = c
                .prepare("SELECT vault, kind, device, slot, created_at FROM recovery_slots ORDER BY vault, kind")?
                .query_map([], slot_row)?
                .collect::<Result<_, _>>()?;
            rows.into_iter().map(record).collect()
        })
        .await
    }

    async fn close_vault(&self, vault: Hash) -> StoreResult<bool> {
        self.write(move |c| {
            // Freed pages and cells are overwritten with zeros (also set at open; set again here so
            // a closure never depends on it).
            c.pragma_update(None, "secure_delete", "ON")?;
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if !tx.prepare_cached("SELECT 1 FROM vaults WHERE id = ?1")?.exists(params![vault])? {
                return Ok(false);
            }
            // Rows keyed by one of this vault's mandates or shares rather than by the vault (mandate
            // packages, share pages and openings): deleted before their parents.
            let tables = vault_tables(&tx)?;
            for (parent, column) in [("mandates", "mandate"), ("shares", "share")] {
                if !tables.iter().any(|t| t == parent) {
                    continue;
                }
                let children: Vec<String> = tx
                    .prepare(
                        "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND m.name != ?1 \
                         AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = ?2) \
                         AND NOT EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'vault')",
                    )?
                    .query_map(params![parent, column], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                for table in children {
                    tx.execute(
                        &format!(
                            "DELETE FROM \"{}\" WHERE \"{column}\" IN (SELECT id FROM \"{parent}\" WHERE vault = ?1)",
                            table.replace('"', "\"\"")
                        ),
                        params![vault],
                    )?;
                }
            }
            for table in tables {
                tx.execute(
                    &format!("DELETE FROM \"{}\" WHERE vault = ?1", table.replace('"', "\"\"")),
                    params![vault],
                )?;
            }
            tx.execute("DELETE FROM vaults WHERE id = ?1", params![vault])?;
            tx.commit()?;
            // Copy the WAL into the database and empty it, so no frame of the deleted rows remains.
            c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            Ok(true)
        })
        .await
    }

    async fn put_assisted(&self, vault: Hash, row: AssistedRow) -> StoreResult<()> {
        self.write(move |c| {
            // A new PIN makes earlier wrong guesses meaningless; the same PIN keeps them counted.
            c.execute(
                "INSERT INTO recovery_assisted (vault, pin_hash, provider_share, org, pieces) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (vault) DO UPDATE SET \
                 failures = CASE WHEN pin_hash = ?2 THEN failures ELSE 0 END, \
                 pin_hash = ?2, provider_share = ?3, org = ?4, pieces = ?5",
                params![vault, row.pin_hash, row.provider_share, row.org, row.pieces],
            )?;
            Ok(())
        })
        .await
    }

    async fn assisted(&self, vault: Hash) -> StoreResult<Option<AssistedRow>> {
        type Row = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, i64);
        self.read(move |c| {
            let row: Option<Row> = c
                .prepare_cached(
                    "SELECT pin_hash, provider_share, org, pieces, failures FROM recovery_assisted WHERE vault = ?1",
                )?
                .query_row(params![vault], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                .optional()?;
            let Some((pin_hash, provider_share, org, pieces, failures)) = row else {
                return Ok(None);
            };
            Ok(Some(AssistedRow {
                pin_hash: arr32(pin_hash)?,
                provider_share,
                org,
                pieces,
                failures: u32::try_from(failures).unwrap_or(u32::MAX),
            }))
        })
        .await
    }

    async fn start_request(
        &self,
        vault: Hash,
        requester: PublicKey,
        now: u64,
        ready_at: u64,
    ) -> StoreResult<Option<(AssistedRequest, bool)>> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if !tx.prepare_cached("SELECT 1 FROM recovery_assisted WHERE vault = ?1")?.exists(params![vault])? {
                return Ok(None);
            }
            if let Some(existing) = request_row(&tx, &vault, &requester)? {
                return Ok(Some((existing, false)));
            }
            tx.execute(
                "INSERT INTO recovery_requests (vault, requester, started_at, ready_at) VALUES (?1, ?2, ?3, ?4)",
                params![vault, requester, i(now)?, i(ready_at)?],
            )?;
            let created = request_row(&tx, &vault, &requester)?;
            tx.commit()?;
            Ok(created.map(|r| (r, true)))
        })
        .await
    }

    async fn request(&self, vault: Hash, requester: PublicKey) -> StoreResult<Option<AssistedRequest>> {
        self.read(move |c| request_row(c, &vault, &requester)).await
    }

    async fn requests(&self, vault: Hash) -> StoreResult<Vec<AssistedRequest>> {
        self.read(move |c| {
            let rows: Vec<RequestRow> = c
                .prepare_cached(&format!("{REQUEST_SELECT} WHERE vault = ?1 ORDER BY started_at DESC, requester"))?
                .query_map(params![vault], request_cols)?
                .collect::<Result<_, _>>()?;
            rows.into_iter().map(request_of).collect()
        })
        .await
    }

    async fn cancel_requests(&self, vault: Hash, now: u64) -> StoreResult<u64> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "UPDATE recovery_requests SET cancelled_at = ?2 WHERE vault = ?1 AND cancelled_at IS NULL",
                params![vault, i(now)?],
            )?;
            let n: i64 =
                tx.query_row("SELECT count(*) FROM recovery_requests WHERE vault = ?1", params![vault], |r| r.get(0))?;
            tx.commit()?;
            Ok(u(n))
        })
        .await
    }

    async fn request_pin_failed(&self, vault: Hash, requester: PublicKey) -> StoreResult<(u32, u32)> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mine: i64 = tx.query_row(
                "UPDATE recovery_requests SET failures = failures + 1 WHERE vault = ?1 AND requester = ?2 \
                 RETURNING failures",
                params![vault, requester],
                |r| r.get(0),
            )?;
            let all: i64 = tx.query_row(
                "UPDATE recovery_assisted SET failures = failures + 1 WHERE vault = ?1 RETURNING failures",
                params![vault],
                |r| r.get(0),
            )?;
            tx.commit()?;
            Ok((u32::try_from(mine).unwrap_or(u32::MAX), u32::try_from(all).unwrap_or(u32::MAX)))
        })
        .await
    }

    async fn close_ready_requests(&self, vault: Hash, now: u64) -> StoreResult<()> {
        self.write(move |c| {
            c.execute(
                "DELETE FROM recovery_requests WHERE vault = ?1 AND cancelled_at IS NULL AND ready_at <= ?2",
                params![vault, i(now)?],
            )?;
            Ok(())
        })
        .await
    }
}

type RequestRow = (Vec<u8>, i64, i64, Option<i64>, i64);

const REQUEST_SELECT: &str = "SELECT requester, started_at, ready_at, cancelled_at, failures FROM recovery_requests";

fn request_cols(r: &rusqlite::Row<'_>) -> rusqlite::Result<RequestRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn request_of(row: RequestRow) -> StoreResult<AssistedRequest> {
    let (requester, started, ready, cancelled, failures) = row;
    Ok(AssistedRequest {
        requester: arr32(requester)?,
        started_at: u(started),
        ready_at: u(ready),
        cancelled_at: cancelled.map(u),
        failures: u32::try_from(failures).unwrap_or(u32::MAX),
    })
}

fn request_row(c: &Connection, vault: &Hash, requester: &PublicKey) -> StoreResult<Option<AssistedRequest>> {
    c.prepare_cached(&format!("{REQUEST_SELECT} WHERE vault = ?1 AND requester = ?2"))?
        .query_row(params![vault, requester], request_cols)
        .optional()?
        .map(request_of)
        .transpose()
}
