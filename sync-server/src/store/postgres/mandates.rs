//! [`MandateStore`] on PostgreSQL (migration 2). The audit chain of a vault is appended under an
//! advisory lock on the vault, so two instances never give two entries the same seq.

use async_trait::async_trait;
use coffre_mandate::AuditEntry;
use coffre_sync_protocol::{AuditKind, Hash, PublicKey};

use super::{PgMeta, arr, i, lock, lock_key, u};
use crate::store::StoreResult;
use crate::store::mandate::{DepositPutOutcome, DepositRow, MandateRow, MandateStore, PackageRow};

/// Migration 8 (as SQLite's): invitation codes (hashed) handed out by agents; `vault` is the vault that
/// used one (the column name lets a vault's closure delete it).
pub(super) const MIGRATION_8: &str = "CREATE TABLE invitations (
        code_hash BYTEA PRIMARY KEY,
        org BYTEA NOT NULL,
        agent BYTEA NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        vault BYTEA,
        used_at BIGINT
    );";

/// Migration 2: organisations, agent revocations, mandates and their packages, deposits, audit chain
pub(super) const MIGRATION_2: &str = "CREATE TABLE orgs (
        pk BYTEA PRIMARY KEY,
        name TEXT NOT NULL,
        registration BYTEA NOT NULL,
        created_at BIGINT NOT NULL
    );
    CREATE TABLE agent_revocations (
        org BYTEA NOT NULL,
        device BYTEA NOT NULL,
        revoked_at BIGINT NOT NULL,
        statement BYTEA NOT NULL,
        PRIMARY KEY (org, device)
    );
    CREATE TABLE mandates (
        id BYTEA PRIMARY KEY,
        vault BYTEA NOT NULL,
        agent BYTEA NOT NULL,
        body BYTEA NOT NULL,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
    );
    CREATE INDEX mandates_by_vault ON mandates (vault);
    CREATE TABLE mandate_packages (
        mandate BYTEA PRIMARY KEY,
        sealed BYTEA NOT NULL,
        blobs BYTEA NOT NULL,
        updated_at BIGINT NOT NULL
    );
    CREATE TABLE deposits (
        vault BYTEA NOT NULL,
        id BYTEA NOT NULL,
        mandate BYTEA NOT NULL,
        statement BYTEA NOT NULL,
        receipt BYTEA NOT NULL,
        ciphertext BYTEA NOT NULL,
        received_at BIGINT NOT NULL,
        PRIMARY KEY (vault, id)
    );
    CREATE TABLE audit (
        vault BYTEA NOT NULL,
        seq BIGINT NOT NULL,
        time BIGINT NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev BYTEA NOT NULL,
        hash BYTEA NOT NULL,
        sig TEXT NOT NULL,
        PRIMARY KEY (vault, seq)
    );";

/// Blob id lists are stored as `len(u8) || id` repeated (as on SQLite).
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

const MANDATE_COLS: &str = "id, vault, agent, body, created_at, revoked_at";

fn mandate_row(r: &tokio_postgres::Row) -> StoreResult<MandateRow> {
    Ok(MandateRow {
        id: arr(r.get(0))?,
        vault: arr(r.get(1))?,
        agent: arr(r.get(2))?,
        body: r.get(3),
        created_at: u(r.get(4)),
        revoked_at: r.get::<_, Option<i64>>(5).map(u),
    })
}

#[async_trait]
impl MandateStore for PgMeta {
    async fn register_org(&self, org: PublicKey, name: String, registration: Vec<u8>, now: u64) -> StoreResult<()> {
        let c = self.conn().await?;
        c.execute(
            "INSERT INTO orgs (pk, name, registration, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[&&org[..], &name, &registration, &i(now)?],
        )
        .await?;
        Ok(())
    }

    async fn org(&self, org: PublicKey) -> StoreResult<Option<Vec<u8>>> {
        let c = self.conn().await?;
        Ok(c.query_opt("SELECT registration FROM orgs WHERE pk = $1", &[&&org[..]]).await?.map(|r| r.get(0)))
    }

    async fn revoke_agent(&self, org: PublicKey, device: PublicKey, at: u64, statement: Vec<u8>) -> StoreResult<()> {
        let c = self.conn().await?;
        c.execute(
            "INSERT INTO agent_revocations (org, device, revoked_at, statement) VALUES ($1, $2, $3, $4)
             ON CONFLICT (org, device) DO UPDATE SET revoked_at = excluded.revoked_at,
               statement = excluded.statement WHERE excluded.revoked_at < agent_revocations.revoked_at",
            &[&&org[..], &&device[..], &i(at)?, &statement],
        )
        .await?;
        Ok(())
    }

    async fn agent_revoked(&self, org: PublicKey, device: PublicKey) -> StoreResult<Option<u64>> {
        let c = self.conn().await?;
        let r = c
            .query_opt(
                "SELECT revoked_at FROM agent_revocations WHERE org = $1 AND device = $2",
                &[&&org[..], &&device[..]],
            )
            .await?;
        Ok(r.map(|r| u(r.get(0))))
    }

    async fn create_invitation(
        &self,
        code_hash: Hash,
        org: PublicKey,
        agent: PublicKey,
        now: u64,
        expires_at: u64,
    ) -> StoreResult<()> {
        let c = self.conn().await?;
        c.execute(
            "INSERT INTO invitations (code_hash, org, agent, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            &[&&code_hash[..], &&org[..], &&agent[..], &i(now)?, &i(expires_at)?],
        )
        .await?;
        Ok(())
    }

    async fn redeem_invitation(&self, code_hash: Hash, vault: Hash, now: u64) -> StoreResult<bool> {
        let c = self.conn().await?;
        // One statement: a second instance redeeming the same code waits for the row and re-checks
        // `vault IS NULL` after the first commits.
        let used = c
            .execute(
                "UPDATE invitations SET vault = $2, used_at = $3
                 WHERE code_hash = $1 AND vault IS NULL AND expires_at > $3",
                &[&&code_hash[..], &&vault[..], &i(now)?],
            )
            .await?;
        if used == 1 {
            return Ok(true);
        }
        let by: Option<Option<Vec<u8>>> = c
            .query_opt("SELECT vault FROM invitations WHERE code_hash = $1", &[&&code_hash[..]])
            .await?
            .map(|r| r.get(0));
        Ok(by.flatten().is_some_and(|v| v.as_slice() == vault.as_slice()))
    }

    async fn revocations(&self, org: PublicKey) -> StoreResult<Vec<Vec<u8>>> {
        let c = self.conn().await?;
        let rows =
            c.query("SELECT statement FROM agent_revocations WHERE org = $1 ORDER BY device", &[&&org[..]]).await?;
        Ok(rows.into_iter().map(|r| r.get(0)).collect())
    }

    async fn put_mandate(&self, row: MandateRow) -> StoreResult<bool> {
        let c = self.conn().await?;
        c.execute(
            "INSERT INTO mandates (id, vault, agent, body, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[&&row.id[..], &&row.vault[..], &&row.agent[..], &row.body, &i(row.created_at)?],
        )
        .await?;
        let body: Vec<u8> = c.query_one("SELECT body FROM mandates WHERE id = $1", &[&&row.id[..]]).await?.get(0);
        Ok(body == row.body)
    }

    async fn mandate(&self, id: [u8; 16]) -> StoreResult<Option<MandateRow>> {
        let c = self.conn().await?;
        let r = c.query_opt(&format!("SELECT {MANDATE_COLS} FROM mandates WHERE id = $1"), &[&&id[..]]).await?;
        r.as_ref().map(mandate_row).transpose()
    }

    async fn mandates_of(&self, vault: Hash) -> StoreResult<Vec<MandateRow>> {
        let c = self.conn().await?;
        let rows = c
            .query(
                &format!("SELECT {MANDATE_COLS} FROM mandates WHERE vault = $1 ORDER BY created_at, id"),
                &[&&vault[..]],
            )
            .await?;
        rows.iter().map(mandate_row).collect()
    }

    async fn revoke_mandate(&self, vault: Hash, id: [u8; 16], now: u64) -> StoreResult<bool> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let n = tx
            .execute(
                "UPDATE mandates SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND vault = $2",
                &[&&id[..], &&vault[..], &i(now)?],
            )
            .await?;
        tx.execute("DELETE FROM mandate_packages WHERE mandate = $1", &[&&id[..]]).await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn put_package(&self, mandate: [u8; 16], package: PackageRow) -> StoreResult<()> {
        let c = self.conn().await?;
        c.execute(
            "INSERT INTO mandate_packages (mandate, sealed, blobs, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (mandate) DO UPDATE SET sealed = excluded.sealed, blobs = excluded.blobs,
               updated_at = excluded.updated_at",
            &[&&mandate[..], &package.sealed, &pack_ids(&package.blobs), &i(package.updated_at)?],
        )
        .await?;
        Ok(())
    }

    async fn package(&self, mandate: [u8; 16]) -> StoreResult<Option<PackageRow>> {
        let c = self.conn().await?;
        let r = c
            .query_opt("SELECT sealed, blobs, updated_at FROM mandate_packages WHERE mandate = $1", &[&&mandate[..]])
            .await?;
        Ok(r.map(|r| PackageRow { sealed: r.get(0), blobs: unpack_ids(r.get(1)), updated_at: u(r.get(2)) }))
    }

    async fn put_deposit(&self, vault: Hash, row: DepositRow, max_pending: u64) -> StoreResult<DepositPutOutcome> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let v: &[u8] = &vault;
        // The pending count is checked and raised by one instance at a time.
        tx.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&lock::DEPOSITS, &lock_key(v)]).await?;
        if tx.query_opt("SELECT 1 FROM deposits WHERE vault = $1 AND id = $2", &[&v, &&row.id[..]]).await?.is_some() {
            return Ok(DepositPutOutcome::Existing);
        }
        let n: i64 = tx.query_one("SELECT COUNT(*) FROM deposits WHERE vault = $1", &[&v]).await?.get(0);
        if u(n) >= max_pending {
            return Ok(DepositPutOutcome::Full);
        }
        tx.execute(
            "INSERT INTO deposits (vault, id, mandate, statement, receipt, ciphertext, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&v, &&row.id[..], &&row.mandate[..], &row.statement, &row.receipt, &row.ciphertext, &i(row.received_at)?],
        )
        .await?;
        tx.commit().await?;
        Ok(DepositPutOutcome::Stored)
    }

    async fn deposits(&self, vault: Hash) -> StoreResult<Vec<DepositRow>> {
        let c = self.conn().await?;
        let rows = c
            .query(
                "SELECT id, mandate, statement, receipt, ciphertext, received_at FROM deposits
                 WHERE vault = $1 ORDER BY received_at, id",
                &[&&vault[..]],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(DepositRow {
                    id: arr(r.get(0))?,
                    mandate: arr(r.get(1))?,
                    statement: r.get(2),
                    receipt: r.get(3),
                    ciphertext: r.get(4),
                    received_at: u(r.get(5)),
                })
            })
            .collect()
    }

    async fn delete_deposit(&self, vault: Hash, id: [u8; 16]) -> StoreResult<bool> {
        let c = self.conn().await?;
        Ok(c.execute("DELETE FROM deposits WHERE vault = $1 AND id = $2", &[&&vault[..], &&id[..]]).await? > 0)
    }

    async fn append_audit(
        &self,
        vault: Hash,
        kind: AuditKind,
        detail: String,
        now: u64,
        server: coffre_crypto::SigningKey,
    ) -> StoreResult<AuditEntry> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let v: &[u8] = &vault;
        tx.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&lock::AUDIT, &lock_key(v)]).await?;
        let last =
            tx.query_opt("SELECT seq, hash, time FROM audit WHERE vault = $1 ORDER BY seq DESC LIMIT 1", &[&v]).await?;
        let (seq, prev, time) = match last {
            Some(r) => (u(r.get(0)) + 1, arr::<32>(r.get(1))?, now.max(u(r.get(2)))),
            None => (1, coffre_mandate::audit::genesis(&vault), now),
        };
        let (entry, hash) = AuditEntry::sign(&server, &vault, seq, time, kind.as_str(), detail, &prev);
        tx.execute(
            "INSERT INTO audit (vault, seq, time, kind, detail, prev, hash, sig) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[&v, &i(seq)?, &i(time)?, &entry.kind, &entry.detail, &&prev[..], &&hash[..], &entry.sig],
        )
        .await?;
        tx.commit().await?;
        Ok(entry)
    }

    async fn audit_since(&self, vault: Hash, since: u64, limit: u64) -> StoreResult<Vec<AuditEntry>> {
        let c = self.conn().await?;
        let rows = c
            .query(
                "SELECT seq, time, kind, detail, prev, sig FROM audit WHERE vault = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                &[&&vault[..], &i(since)?, &i(limit)?],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditEntry {
                seq: u(r.get(0)),
                time: u(r.get(1)),
                kind: r.get(2),
                detail: r.get(3),
                prev: hex::encode(r.get::<_, Vec<u8>>(4)),
                sig: r.get(5),
            })
            .collect())
    }
}
