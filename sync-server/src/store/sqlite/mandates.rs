//! [`MandateStore`] on the embedded SQLite database (migration 2).

use async_trait::async_trait;
use coffre_mandate::AuditEntry;
use coffre_sync_protocol::{AuditKind, Hash, PublicKey};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{SqliteMeta, arr, i, u};
use crate::store::StoreResult;
use crate::store::mandate::{DepositPutOutcome, DepositRow, MandateRow, MandateStore, PackageRow};

/// Migration 2: organisations, agent revocations, mandates and their packages, deposits, audit chain
/// Migration 8: invitation codes (hashed) handed out by agents; `vault` is the vault that used one (the
/// column name lets a vault's closure delete it).
pub(super) const MIGRATION_8: &str = "CREATE TABLE invitations (
        code_hash BLOB PRIMARY KEY,
        org BLOB NOT NULL,
        agent BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        vault BLOB,
        used_at INTEGER
    ) WITHOUT ROWID;";

pub(super) const MIGRATION_2: &str = "CREATE TABLE orgs (
        pk BLOB PRIMARY KEY,
        name TEXT NOT NULL,
        registration BLOB NOT NULL,
        created_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE agent_revocations (
        org BLOB NOT NULL,
        device BLOB NOT NULL,
        revoked_at INTEGER NOT NULL,
        statement BLOB NOT NULL,
        PRIMARY KEY (org, device)
    ) WITHOUT ROWID;
    CREATE TABLE mandates (
        id BLOB PRIMARY KEY,
        vault BLOB NOT NULL,
        agent BLOB NOT NULL,
        body BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
    ) WITHOUT ROWID;
    CREATE INDEX mandates_by_vault ON mandates (vault);
    CREATE TABLE mandate_packages (
        mandate BLOB PRIMARY KEY,
        sealed BLOB NOT NULL,
        blobs BLOB NOT NULL,
        updated_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE deposits (
        vault BLOB NOT NULL,
        id BLOB NOT NULL,
        mandate BLOB NOT NULL,
        statement BLOB NOT NULL,
        receipt BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (vault, id)
    ) WITHOUT ROWID;
    CREATE TABLE audit (
        vault BLOB NOT NULL,
        seq INTEGER NOT NULL,
        time INTEGER NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev BLOB NOT NULL,
        hash BLOB NOT NULL,
        sig TEXT NOT NULL,
        PRIMARY KEY (vault, seq)
    ) WITHOUT ROWID;";

/// Blob id lists are stored as `len(u8) || id` repeated.
fn pack_ids(ids: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for id in ids {
        out.push(u8::try_from(id.len()).unwrap_or(0));
        out.extend_from_slice(id);
    }
    out
}

fn unpack_ids(mut b: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some((&n, rest)) = b.split_first() {
        let n = usize::from(n).min(rest.len());
        out.push(rest[..n].to_vec());
        b = &rest[n..];
    }
    out
}

type MandateCols = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, i64, Option<i64>);

fn mandate_row(r: MandateCols) -> StoreResult<MandateRow> {
    Ok(MandateRow {
        id: arr(r.0)?,
        vault: arr(r.1)?,
        agent: arr(r.2)?,
        body: r.3,
        created_at: u(r.4),
        revoked_at: r.5.map(u),
    })
}

const MANDATE_COLS: &str = "id, vault, agent, body, created_at, revoked_at";

fn read_mandate(r: &rusqlite::Row<'_>) -> rusqlite::Result<MandateCols> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

#[async_trait]
impl MandateStore for SqliteMeta {
    async fn register_org(&self, org: PublicKey, name: String, registration: Vec<u8>, now: u64) -> StoreResult<()> {
        self.write(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO orgs (pk, name, registration, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![org, name, registration, i(now)?],
            )?;
            Ok(())
        })
        .await
    }

    async fn org(&self, org: PublicKey) -> StoreResult<Option<Vec<u8>>> {
        self.read(move |c| {
            Ok(c.prepare_cached("SELECT registration FROM orgs WHERE pk = ?1")?
                .query_row(params![org], |r| r.get(0))
                .optional()?)
        })
        .await
    }

    async fn revoke_agent(&self, org: PublicKey, device: PublicKey, at: u64, statement: Vec<u8>) -> StoreResult<()> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO agent_revocations (org, device, revoked_at, statement) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (org, device) DO UPDATE SET revoked_at = excluded.revoked_at,
                   statement = excluded.statement WHERE excluded.revoked_at < agent_revocations.revoked_at",
                params![org, device, i(at)?, statement],
            )?;
            Ok(())
        })
        .await
    }

    async fn agent_revoked(&self, org: PublicKey, device: PublicKey) -> StoreResult<Option<u64>> {
        self.read(move |c| {
            let at: Option<i64> = c
                .prepare_cached("SELECT revoked_at FROM agent_revocations WHERE org = ?1 AND device = ?2")?
                .query_row(params![org, device], |r| r.get(0))
                .optional()?;
            Ok(at.map(u))
        })
        .await
    }

    async fn create_invitation(
        &self,
        code_hash: Hash,
        org: PublicKey,
        agent: PublicKey,
        now: u64,
        expires_at: u64,
    ) -> StoreResult<()> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO invitations (code_hash, org, agent, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![code_hash, org, agent, i(now)?, i(expires_at)?],
            )?;
            Ok(())
        })
        .await
    }

    async fn redeem_invitation(&self, code_hash: Hash, vault: Hash, now: u64) -> StoreResult<bool> {
        self.write(move |c| {
            let used = c.execute(
                "UPDATE invitations SET vault = ?2, used_at = ?3
                 WHERE code_hash = ?1 AND vault IS NULL AND expires_at > ?3",
                params![code_hash, vault, i(now)?],
            )?;
            if used == 1 {
                return Ok(true);
            }
            let by: Option<Option<Vec<u8>>> = c
                .query_row("SELECT vault FROM invitations WHERE code_hash = ?1", params![code_hash], |r| r.get(0))
                .optional()?;
            Ok(by.flatten().is_some_and(|v| v.as_slice() == vault.as_slice()))
        })
        .await
    }

    async fn revocations(&self, org: PublicKey) -> StoreResult<Vec<Vec<u8>>> {
        self.read(move |c| {
            let mut st = c.prepare_cached("SELECT statement FROM agent_revocations WHERE org = ?1 ORDER BY device")?;
            let rows = st.query_map(params![org], |r| r.get(0))?.collect::<rusqlite::Result<Vec<Vec<u8>>>>()?;
            Ok(rows)
        })
        .await
    }

    async fn put_mandate(&self, row: MandateRow) -> StoreResult<bool> {
        self.write(move |c| {
            let existing: Option<Vec<u8>> =
                c.query_row("SELECT body FROM mandates WHERE id = ?1", params![row.id], |r| r.get(0)).optional()?;
            if let Some(body) = existing {
                return Ok(body == row.body);
            }
            c.execute(
                "INSERT INTO mandates (id, vault, agent, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![row.id, row.vault, row.agent, row.body, i(row.created_at)?],
            )?;
            Ok(true)
        })
        .await
    }

    async fn mandate(&self, id: [u8; 16]) -> StoreResult<Option<MandateRow>> {
        self.read(move |c| {
            let r = c
                .prepare_cached(&format!("SELECT {MANDATE_COLS} FROM mandates WHERE id = ?1"))?
                .query_row(params![id], read_mandate)
                .optional()?;
            r.map(mandate_row).transpose()
        })
        .await
    }

    async fn mandates_of(&self, vault: Hash) -> StoreResult<Vec<MandateRow>> {
        self.read(move |c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {MANDATE_COLS} FROM mandates WHERE vault = ?1 ORDER BY created_at, id"
            ))?;
            let rows = st.query_map(params![vault], read_mandate)?.collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter().map(mandate_row).collect()
        })
        .await
    }

    async fn revoke_mandate(&self, vault: Hash, id: [u8; 16], now: u64) -> StoreResult<bool> {
        self.write(move |c| {
            let n = c.execute(
                "UPDATE mandates SET revoked_at = COALESCE(revoked_at, ?3) WHERE id = ?1 AND vault = ?2",
                params![id, vault, i(now)?],
            )?;
            c.execute("DELETE FROM mandate_packages WHERE mandate = ?1", params![id])?;
            Ok(n > 0)
        })
        .await
    }

    async fn put_package(&self, mandate: [u8; 16], package: PackageRow) -> StoreResult<()> {
        self.write(move |c| {
            c.execute(
                "INSERT OR REPLACE INTO mandate_packages (mandate, sealed, blobs, updated_at) VALUES (?1, ?2, ?3, ?4)",
                params![mandate, package.sealed, pack_ids(&package.blobs), i(package.updated_at)?],
            )?;
            Ok(())
        })
        .await
    }

    async fn package(&self, mandate: [u8; 16]) -> StoreResult<Option<PackageRow>> {
        self.read(move |c| {
            let r: Option<(Vec<u8>, Vec<u8>, i64)> = c
                .prepare_cached("SELECT sealed, blobs, updated_at FROM mandate_packages WHERE mandate = ?1")?
                .query_row(params![mandate], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            Ok(r.map(|(sealed, blobs, t)| PackageRow { sealed, blobs: unpack_ids(&blobs), updated_at: u(t) }))
        })
        .await
    }

    async fn put_deposit(&self, vault: Hash, row: DepositRow, max_pending: u64) -> StoreResult<DepositPutOutcome> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let exists = tx
                .query_row("SELECT 1 FROM deposits WHERE vault = ?1 AND id = ?2", params![vault, row.id], |_| Ok(()))
                .optional()?
                .is_some();
            if exists {
                return Ok(DepositPutOutcome::Existing);
            }
            let n: i64 =
                tx.query_row("SELECT COUNT(*) FROM deposits WHERE vault = ?1", params![vault], |r| r.get(0))?;
            if u(n) >= max_pending {
                return Ok(DepositPutOutcome::Full);
            }
            tx.execute(
                "INSERT INTO deposits (vault, id, mandate, statement, receipt, ciphertext, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![vault, row.id, row.mandate, row.statement, row.receipt, row.ciphertext, i(row.received_at)?],
            )?;
            tx.commit()?;
            Ok(DepositPutOutcome::Stored)
        })
        .await
    }

    async fn deposits(&self, vault: Hash) -> StoreResult<Vec<DepositRow>> {
        self.read(move |c| {
            let mut st = c.prepare_cached(
                "SELECT id, mandate, statement, receipt, ciphertext, received_at FROM deposits
                 WHERE vault = ?1 ORDER BY received_at, id",
            )?;
            let rows = st
                .query_map(params![vault], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get::<_, i64>(5)?))
                })?
                .collect::<rusqlite::Result<Vec<(Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, i64)>>>()?;
            rows.into_iter()
                .map(|(id, m, statement, receipt, ciphertext, t)| {
                    Ok(DepositRow { id: arr(id)?, mandate: arr(m)?, statement, receipt, ciphertext, received_at: u(t) })
                })
                .collect()
        })
        .await
    }

    async fn delete_deposit(&self, vault: Hash, id: [u8; 16]) -> StoreResult<bool> {
        self.write(move |c| Ok(c.execute("DELETE FROM deposits WHERE vault = ?1 AND id = ?2", params![vault, id])? > 0))
            .await
    }

    async fn append_audit(
        &self,
        vault: Hash,
        kind: AuditKind,
        detail: String,
        now: u64,
        server: coffre_crypto::SigningKey,
    ) -> StoreResult<AuditEntry> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let last: Option<(i64, Vec<u8>, i64)> = tx
                .query_row(
                    "SELECT seq, hash, time FROM audit WHERE vault = ?1 ORDER BY seq DESC LIMIT 1",
                    params![vault],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let (seq, prev, time) = match last {
                Some((s, h, t)) => (u(s) + 1, arr::<32>(h)?, now.max(u(t))),
                None => (1, coffre_mandate::audit::genesis(&vault), now),
            };
            let (entry, hash) = AuditEntry::sign(&server, &vault, seq, time, kind.as_str(), detail, &prev);
            tx.execute(
                "INSERT INTO audit (vault, seq, time, kind, detail, prev, hash, sig) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![vault, i(seq)?, i(time)?, entry.kind, entry.detail, prev, hash, entry.sig],
            )?;
            tx.commit()?;
            Ok(entry)
        })
        .await
    }

    async fn audit_since(&self, vault: Hash, since: u64, limit: u64) -> StoreResult<Vec<AuditEntry>> {
        self.read(move |c| {
            let mut st = c.prepare_cached(
                "SELECT seq, time, kind, detail, prev, sig FROM audit WHERE vault = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )?;
            let rows = st
                .query_map(params![vault, i(since)?, i(limit)?], |r| {
                    Ok(AuditEntry {
                        seq: u(r.get(0)?),
                        time: u(r.get(1)?),
                        kind: r.get(2)?,
                        detail: r.get(3)?,
                        prev: hex::encode(r.get::<_, Vec<u8>>(4)?),
                        sig: r.get(5)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }
}
