//! [`RecoveryStore`] on PostgreSQL (migrations 3, 4 and 11), and the closure of a vault: every row naming
//! it, in every table, deleted in one transaction.

use async_trait::async_trait;
use coffre_sync_protocol::{Hash, PublicKey};
use deadpool_postgres::GenericClient;

use super::{PgMeta, arr32, i, u};
use crate::store::StoreResult;
use crate::store::recovery::{
    AssistedRequest, AssistedRow, Enrolment, PutSlotOutcome, RecoveryStore, SlotKind, SlotRecord,
};

/// Migration 3: recovery slots (see store/recovery.rs)
pub(super) const MIGRATION_3: &str = "CREATE TABLE recovery_slots (
        vault BYTEA NOT NULL,
        kind TEXT NOT NULL,
        device BYTEA NOT NULL,
        slot BYTEA NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (vault, kind)
    );
    CREATE INDEX recovery_slots_by_device ON recovery_slots (device);";

/// Migration 4: assisted recovery (store/recovery.rs)
pub(super) const MIGRATION_4: &str = "CREATE TABLE recovery_assisted (
        vault BYTEA PRIMARY KEY,
        pin_hash BYTEA NOT NULL,
        provider_share BYTEA NOT NULL,
        org BYTEA NOT NULL,
        pieces BYTEA NOT NULL,
        failures BIGINT NOT NULL DEFAULT 0,
        requester BYTEA,
        started_at BIGINT,
        cancelled_at BIGINT
    );";

/// Migration 11 (as SQLite's): one assisted-recovery request per requester. `recovery_assisted.failures`
/// now counts the vault's wrong PINs; its `requester`, `started_at`, `cancelled_at` columns are no
/// longer read. A request in progress moves over, ready 72 h (the default delay) after it started.
pub(super) const MIGRATION_11: &str = "CREATE TABLE recovery_requests (
        vault BYTEA NOT NULL,
        requester BYTEA NOT NULL,
        started_at BIGINT NOT NULL,
        ready_at BIGINT NOT NULL,
        cancelled_at BIGINT,
        failures BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (vault, requester)
    );
    INSERT INTO recovery_requests (vault, requester, started_at, ready_at, cancelled_at, failures)
        SELECT vault, requester, started_at, started_at + 259200, cancelled_at, failures FROM recovery_assisted
        WHERE requester IS NOT NULL AND started_at IS NOT NULL;
    UPDATE recovery_assisted SET requester = NULL, started_at = NULL, cancelled_at = NULL;";

fn record(r: &tokio_postgres::Row) -> StoreResult<SlotRecord> {
    Ok(SlotRecord {
        vault: arr32(r.get(0))?,
        kind: r.get(1),
        device: arr32(r.get(2))?,
        slot: r.get(3),
        created_at: u(r.get(4)),
    })
}

/// Tables of the current schema that have a column named `column`.
async fn tables_with(c: &impl GenericClient, column: &str) -> StoreResult<Vec<String>> {
    let rows = c
        .query(
            "SELECT c.table_name::text FROM information_schema.columns c \
             JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
             WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.column_name = $1 \
             ORDER BY 1",
            &[&column],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.get(0)).collect())
}

fn quoted(table: &str) -> String {
    format!("\"{}\"", table.replace('"', "\"\""))
}

#[async_trait]
impl RecoveryStore for PgMeta {
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
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let v: &[u8] = &vault;
        if tx.query_opt("SELECT 1 FROM vaults WHERE id = $1 FOR UPDATE", &[&v]).await?.is_none() {
            return Ok(PutSlotOutcome::NoVault);
        }
        let removed: Option<Option<i64>> = tx
            .query_opt("SELECT removed_at FROM devices WHERE vault = $1 AND pk = $2", &[&v, &&device[..]])
            .await?
            .map(|r| r.get(0));
        if let Some(Some(_)) = removed {
            return Ok(PutSlotOutcome::DeviceWasRemoved);
        }
        let old: Option<Vec<u8>> = tx
            .query_opt("SELECT device FROM recovery_slots WHERE vault = $1 AND kind = $2", &[&v, &kind.as_str()])
            .await?
            .map(|r| r.get(0));
        let replaced = match old {
            Some(old) if old.as_slice() != device.as_slice() => {
                tx.execute(
                    "UPDATE devices SET removed_at = COALESCE(removed_at, $3) WHERE vault = $1 AND pk = $2",
                    &[&v, &old, &i(now)?],
                )
                .await?;
                Some(arr32(old)?)
            }
            _ => None,
        };
        if enrol == Enrolment::Now && removed.is_none() {
            tx.execute(
                "INSERT INTO devices (vault, pk, added_at, added_by) VALUES ($1, $2, $3, $4)",
                &[&v, &&device[..], &i(now)?, &&by[..]],
            )
            .await?;
        }
        tx.execute(
            "INSERT INTO recovery_slots (vault, kind, device, slot, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (vault, kind) DO UPDATE SET device = $3, slot = $4, created_at = $5",
            &[&v, &kind.as_str(), &&device[..], &slot, &i(now)?],
        )
        .await?;
        tx.commit().await?;
        Ok(PutSlotOutcome::Stored { replaced })
    }

    async fn slot_for_device(&self, device: PublicKey) -> StoreResult<Option<SlotRecord>> {
        let c = self.conn().await?;
        let r = c
            .query_opt(
                "SELECT s.vault, s.kind, s.device, s.slot, s.created_at FROM recovery_slots s \
                 LEFT JOIN devices d ON d.vault = s.vault AND d.pk = s.device \
                 WHERE s.device = $1 AND d.removed_at IS NULL",
                &[&&device[..]],
            )
            .await?;
        r.as_ref().map(record).transpose()
    }

    async fn all_slots(&self) -> StoreResult<Vec<SlotRecord>> {
        let c = self.conn().await?;
        let rows = c
            .query("SELECT vault, kind, device, slot, created_at FROM recovery_slots ORDER BY vault, kind", &[])
            .await?;
        rows.iter().map(record).collect()
    }

    async fn close_vault(&self, vault: Hash) -> StoreResult<bool> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let v: &[u8] = &vault;
        // The row lock makes every writer of this vault on any instance wait, then find no vault.
        if tx.query_opt("SELECT 1 FROM vaults WHERE id = $1 FOR UPDATE", &[&v]).await?.is_none() {
            return Ok(false);
        }
        let tables = tables_with(&tx, "vault").await?;
        // Rows keyed by one of this vault's mandates or shares rather than by the vault (mandate
        // packages, share pages and openings): deleted before their parents.
        for (parent, column) in [("mandates", "mandate"), ("shares", "share")] {
            if !tables.iter().any(|t| t == parent) {
                continue;
            }
            for table in tables_with(&tx, column).await? {
                if table == parent || tables.contains(&table) {
                    continue;
                }
                let sql = format!(
                    "DELETE FROM {} WHERE \"{column}\" IN (SELECT id FROM {} WHERE vault = $1)",
                    quoted(&table),
                    quoted(parent)
                );
                tx.execute(&sql, &[&v]).await?;
            }
        }
        for table in &tables {
            tx.execute(&format!("DELETE FROM {} WHERE vault = $1", quoted(table)), &[&v]).await?;
        }
        tx.execute("DELETE FROM vaults WHERE id = $1", &[&v]).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn put_assisted(&self, vault: Hash, row: AssistedRow) -> StoreResult<()> {
        let c = self.conn().await?;
        // A new PIN makes earlier wrong guesses meaningless; the same PIN keeps them counted.
        c.execute(
            "INSERT INTO recovery_assisted (vault, pin_hash, provider_share, org, pieces) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (vault) DO UPDATE SET \
             failures = CASE WHEN recovery_assisted.pin_hash = $2 THEN recovery_assisted.failures ELSE 0 END, \
             pin_hash = $2, provider_share = $3, org = $4, pieces = $5",
            &[&&vault[..], &&row.pin_hash[..], &row.provider_share, &row.org, &row.pieces],
        )
        .await?;
        Ok(())
    }

    async fn assisted(&self, vault: Hash) -> StoreResult<Option<AssistedRow>> {
        let c = self.conn().await?;
        let Some(r) = c
            .query_opt(
                "SELECT pin_hash, provider_share, org, pieces, failures FROM recovery_assisted WHERE vault = $1",
                &[&&vault[..]],
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(AssistedRow {
            pin_hash: arr32(r.get(0))?,
            provider_share: r.get(1),
            org: r.get(2),
            pieces: r.get(3),
            failures: u32::try_from(r.get::<_, i64>(4)).unwrap_or(u32::MAX),
        }))
    }

    async fn start_request(
        &self,
        vault: Hash,
        requester: PublicKey,
        now: u64,
        ready_at: u64,
    ) -> StoreResult<Option<(AssistedRequest, bool)>> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let v: &[u8] = &vault;
        // The set-up's row lock: starts of one vault on several instances run one after the other.
        if tx.query_opt("SELECT 1 FROM recovery_assisted WHERE vault = $1 FOR UPDATE", &[&v]).await?.is_none() {
            return Ok(None);
        }
        if let Some(existing) = request_row(&tx, v, &requester).await? {
            return Ok(Some((existing, false)));
        }
        tx.execute(
            "INSERT INTO recovery_requests (vault, requester, started_at, ready_at) VALUES ($1, $2, $3, $4)",
            &[&v, &&requester[..], &i(now)?, &i(ready_at)?],
        )
        .await?;
        let created = request_row(&tx, v, &requester).await?;
        tx.commit().await?;
        Ok(created.map(|r| (r, true)))
    }

    async fn request(&self, vault: Hash, requester: PublicKey) -> StoreResult<Option<AssistedRequest>> {
        let c = self.conn().await?;
        request_row(&c, &vault, &requester).await
    }

    async fn requests(&self, vault: Hash) -> StoreResult<Vec<AssistedRequest>> {
        let c = self.conn().await?;
        let rows = c
            .query(&format!("{REQUEST_SELECT} WHERE vault = $1 ORDER BY started_at DESC, requester"), &[&&vault[..]])
            .await?;
        rows.iter().map(request_of).collect()
    }

    async fn cancel_requests(&self, vault: Hash, now: u64) -> StoreResult<u64> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let v: &[u8] = &vault;
        tx.execute(
            "UPDATE recovery_requests SET cancelled_at = $2 WHERE vault = $1 AND cancelled_at IS NULL",
            &[&v, &i(now)?],
        )
        .await?;
        let n: i64 = tx.query_one("SELECT count(*) FROM recovery_requests WHERE vault = $1", &[&v]).await?.get(0);
        tx.commit().await?;
        Ok(u(n))
    }

    async fn request_pin_failed(&self, vault: Hash, requester: PublicKey) -> StoreResult<(u32, u32)> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let v: &[u8] = &vault;
        let mine: i64 = tx
            .query_one(
                "UPDATE recovery_requests SET failures = failures + 1 WHERE vault = $1 AND requester = $2 \
                 RETURNING failures",
                &[&v, &&requester[..]],
            )
            .await?
            .get(0);
        let all: i64 = tx
            .query_one(
                "UPDATE recovery_assisted SET failures = failures + 1 WHERE vault = $1 RETURNING failures",
                &[&v],
            )
            .await?
            .get(0);
        tx.commit().await?;
        Ok((u32::try_from(mine).unwrap_or(u32::MAX), u32::try_from(all).unwrap_or(u32::MAX)))
    }

    async fn close_ready_requests(&self, vault: Hash, now: u64) -> StoreResult<()> {
        let c = self.conn().await?;
        c.execute(
            "DELETE FROM recovery_requests WHERE vault = $1 AND cancelled_at IS NULL AND ready_at <= $2",
            &[&&vault[..], &i(now)?],
        )
        .await?;
        Ok(())
    }
}

const REQUEST_SELECT: &str = "SELECT requester, started_at, ready_at, cancelled_at, failures FROM recovery_requests";

fn request_of(r: &tokio_postgres::Row) -> StoreResult<AssistedRequest> {
    Ok(AssistedRequest {
        requester: arr32(r.get(0))?,
        started_at: u(r.get(1)),
        ready_at: u(r.get(2)),
        cancelled_at: r.get::<_, Option<i64>>(3).map(u),
        failures: u32::try_from(r.get::<_, i64>(4)).unwrap_or(u32::MAX),
    })
}

async fn request_row(
    c: &impl GenericClient,
    vault: &[u8],
    requester: &PublicKey,
) -> StoreResult<Option<AssistedRequest>> {
    c.query_opt(&format!("{REQUEST_SELECT} WHERE vault = $1 AND requester = $2"), &[&vault, &&requester[..]])
        .await?
        .as_ref()
        .map(request_of)
        .transpose()
}
