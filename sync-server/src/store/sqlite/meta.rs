//! [`MetaStore`] on the embedded SQLite database: vaults, devices, the op log and its chain, chunk
//! records and quotas, blobs, linking mailboxes (migration 1).

use std::collections::HashMap;

use async_trait::async_trait;
use coffre_sync_protocol::{ChainPoint, Hash, Op, PublicKey};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{SqliteMeta, arr32, arr64, i, u};
use crate::store::{
    AppendOutcome, BlobRecord, ChunkRecordOutcome, CommitOutcome, DeviceRecord, GenerationOutcome, MailboxPutOutcome,
    Membership, MetaStore, RegisterOutcome, StoreError, StoreResult, StoredOp,
};

/// Migration 1: initial schema
pub(super) const MIGRATION_1: &str = "CREATE TABLE vaults (
        id BLOB PRIMARY KEY,
        identity_pk BLOB NOT NULL,
        first_device BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        head_seq INTEGER NOT NULL,
        head_hash BLOB NOT NULL,
        usage_bytes INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE TABLE devices (
        vault BLOB NOT NULL,
        pk BLOB NOT NULL,
        added_at INTEGER NOT NULL,
        added_by BLOB,
        removed_at INTEGER,
        last_counter INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (vault, pk)
    ) WITHOUT ROWID;
    CREATE TABLE ops (
        vault BLOB NOT NULL,
        seq INTEGER NOT NULL,
        writer BLOB NOT NULL,
        counter INTEGER NOT NULL,
        seen_seq INTEGER NOT NULL,
        seen_hash BLOB NOT NULL,
        sig BLOB NOT NULL,
        payload BLOB NOT NULL,
        hash BLOB NOT NULL,
        PRIMARY KEY (vault, seq)
    );
    CREATE UNIQUE INDEX ops_by_sig ON ops (vault, sig);
    CREATE TABLE chunks (
        vault BLOB NOT NULL,
        hash BLOB NOT NULL,
        size INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (vault, hash)
    ) WITHOUT ROWID;
    CREATE TABLE blobs (
        vault BLOB NOT NULL,
        id BLOB NOT NULL,
        chunks BLOB NOT NULL,
        size INTEGER NOT NULL,
        committed_at INTEGER NOT NULL,
        PRIMARY KEY (vault, id)
    ) WITHOUT ROWID;
    CREATE TABLE mailboxes (
        id BLOB PRIMARY KEY,
        message BLOB NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;";

fn hash_at(c: &Connection, vault: &Hash, seq: u64) -> StoreResult<Option<Hash>> {
    if seq == 0 {
        return Ok(Some(ChainPoint::genesis(vault).hash));
    }
    let h: Option<Vec<u8>> = c
        .prepare_cached("SELECT hash FROM ops WHERE vault = ?1 AND seq = ?2")?
        .query_row(params![vault, i(seq)?], |r| r.get(0))
        .optional()?;
    h.map(arr32).transpose()
}

fn head(c: &Connection, vault: &Hash) -> StoreResult<Option<(ChainPoint, u64)>> {
    let row: Option<(i64, Vec<u8>, i64)> = c
        .prepare_cached("SELECT head_seq, head_hash, usage_bytes FROM vaults WHERE id = ?1")?
        .query_row(params![vault], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    match row {
        None => Ok(None),
        Some((seq, hash, usage)) => Ok(Some((ChainPoint { seq: u(seq), hash: arr32(hash)? }, u(usage)))),
    }
}

#[async_trait]
impl MetaStore for SqliteMeta {
    async fn register_vault(
        &self,
        vault: Hash,
        identity: PublicKey,
        device: PublicKey,
        now: u64,
    ) -> StoreResult<RegisterOutcome> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let existing: Option<(Vec<u8>, Vec<u8>)> = tx
                .query_row("SELECT identity_pk, first_device FROM vaults WHERE id = ?1", params![vault], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            if let Some((id, dev)) = existing {
                return Ok(if id == identity && dev == device {
                    RegisterOutcome::Existing
                } else {
                    RegisterOutcome::Conflict
                });
            }
            let g = ChainPoint::genesis(&vault);
            tx.execute(
                "INSERT INTO vaults (id, identity_pk, first_device, created_at, head_seq, head_hash) \
                 VALUES (?1, ?2, ?3, ?4, 0, ?5)",
                params![vault, identity, device, i(now)?, g.hash],
            )?;
            tx.execute(
                "INSERT INTO devices (vault, pk, added_at) VALUES (?1, ?2, ?3)",
                params![vault, device, i(now)?],
            )?;
            tx.commit()?;
            Ok(RegisterOutcome::Created)
        })
        .await
    }

    async fn membership(&self, vault: Hash, device: PublicKey) -> StoreResult<Membership> {
        self.read(move |c| {
            let exists: bool = c
                .prepare_cached("SELECT 1 FROM vaults WHERE id = ?1")?
                .query_row(params![vault], |_| Ok(()))
                .optional()?
                .is_some();
            if !exists {
                return Ok(Membership::NoVault);
            }
            let removed: Option<Option<i64>> = c
                .prepare_cached("SELECT removed_at FROM devices WHERE vault = ?1 AND pk = ?2")?
                .query_row(params![vault, device], |r| r.get(0))
                .optional()?;
            Ok(match removed {
                None => Membership::NotMember,
                Some(Some(_)) => Membership::Revoked,
                Some(None) => Membership::Enrolled,
            })
        })
        .await
    }

    async fn add_device(&self, vault: Hash, device: PublicKey, by: PublicKey, now: u64) -> StoreResult<bool> {
        self.write(move |c| {
            let removed: Option<Option<i64>> = c
                .query_row("SELECT removed_at FROM devices WHERE vault = ?1 AND pk = ?2", params![vault, device], |r| {
                    r.get(0)
                })
                .optional()?;
            match removed {
                Some(Some(_)) => Ok(false),
                Some(None) => Ok(true),
                None => {
                    c.execute(
                        "INSERT INTO devices (vault, pk, added_at, added_by) VALUES (?1, ?2, ?3, ?4)",
                        params![vault, device, i(now)?, by],
                    )?;
                    Ok(true)
                }
            }
        })
        .await
    }

    async fn remove_device(&self, vault: Hash, device: PublicKey, now: u64) -> StoreResult<bool> {
        self.write(move |c| {
            let n = c.execute(
                "UPDATE devices SET removed_at = COALESCE(removed_at, ?3) WHERE vault = ?1 AND pk = ?2",
                params![vault, device, i(now)?],
            )?;
            Ok(n > 0)
        })
        .await
    }

    async fn generations(&self, vault: Hash) -> StoreResult<Vec<PublicKey>> {
        self.read(move |c| super::generations::generations(c, &vault)).await
    }

    async fn switch_generation(
        &self,
        vault: Hash,
        generation: u32,
        identity: PublicKey,
        keep: Vec<PublicKey>,
        now: u64,
    ) -> StoreResult<GenerationOutcome> {
        self.write(move |c| super::generations::switch(c, &vault, generation, &identity, &keep, now)).await
    }

    async fn devices(&self, vault: Hash) -> StoreResult<Vec<DeviceRecord>> {
        self.read(move |c| {
            let mut st = c.prepare_cached(
                "SELECT pk, added_at, added_by, removed_at FROM devices WHERE vault = ?1 ORDER BY added_at, pk",
            )?;
            let rows = st.query_map(params![vault], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<Vec<u8>>>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (pk, added, by, removed) = row?;
                out.push(DeviceRecord {
                    device: arr32(pk)?,
                    added_at: u(added),
                    added_by: by.map(arr32).transpose()?,
                    removed_at: removed.map(u),
                });
            }
            Ok(out)
        })
        .await
    }

    async fn vault_state(&self, vault: Hash) -> StoreResult<Option<(ChainPoint, u64)>> {
        self.read(move |c| head(c, &vault)).await
    }

    async fn vault_created_at(&self, vault: Hash) -> StoreResult<Option<u64>> {
        self.read(move |c| {
            Ok(c.query_row("SELECT created_at FROM vaults WHERE id = ?1", params![vault], |r| r.get::<_, i64>(0))
                .optional()?
                .map(u))
        })
        .await
    }

    async fn append_ops(&self, vault: Hash, ops: Vec<Op>, quota: u64) -> StoreResult<AppendOutcome> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some((mut point, usage)) = head(&tx, &vault)? else {
                return Err(StoreError::Backend("vault vanished".into()));
            };
            let mut added: u64 = 0;
            let mut seqs = Vec::with_capacity(ops.len());
            let mut counters: HashMap<PublicKey, u64> = HashMap::new();
            for op in &ops {
                let existing: Option<i64> = tx
                    .prepare_cached("SELECT seq FROM ops WHERE vault = ?1 AND sig = ?2")?
                    .query_row(params![vault, op.sig.as_slice()], |r| r.get(0))
                    .optional()?;
                if let Some(seq) = existing {
                    seqs.push(u(seq));
                    continue;
                }
                let last = match counters.get(&op.writer) {
                    Some(n) => *n,
                    None => tx
                        .prepare_cached("SELECT last_counter FROM devices WHERE vault = ?1 AND pk = ?2")?
                        .query_row(params![vault, op.writer], |r| r.get::<_, i64>(0))
                        .optional()?
                        .map(u)
                        .unwrap_or(0),
                };
                if op.counter != last + 1 {
                    return Ok(AppendOutcome::CounterMismatch { expected: last + 1, got: op.counter });
                }
                if op.seen.seq > point.seq || hash_at(&tx, &vault, op.seen.seq)? != Some(op.seen.hash) {
                    return Ok(AppendOutcome::SeenInFuture);
                }
                let seq = point.seq + 1;
                let hash = op.chain(&point.hash, seq);
                tx.prepare_cached(
                    "INSERT INTO ops (vault, seq, writer, counter, seen_seq, seen_hash, sig, payload, hash) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![
                    vault,
                    i(seq)?,
                    op.writer,
                    i(op.counter)?,
                    i(op.seen.seq)?,
                    op.seen.hash,
                    op.sig.as_slice(),
                    op.payload,
                    hash
                ])?;
                counters.insert(op.writer, op.counter);
                added += op.payload.len() as u64;
                point = ChainPoint { seq, hash };
                seqs.push(seq);
            }
            if added > 0 && usage.saturating_add(added) > quota {
                return Ok(AppendOutcome::QuotaExceeded);
            }
            tx.execute(
                "UPDATE vaults SET head_seq = ?2, head_hash = ?3, usage_bytes = usage_bytes + ?4 WHERE id = ?1",
                params![vault, i(point.seq)?, point.hash, i(added)?],
            )?;
            for (writer, n) in counters {
                tx.execute(
                    "UPDATE devices SET last_counter = ?3 WHERE vault = ?1 AND pk = ?2",
                    params![vault, writer, i(n)?],
                )?;
            }
            tx.commit()?;
            Ok(AppendOutcome::Appended { seqs, head: point })
        })
        .await
    }

    async fn ops_since(&self, vault: Hash, since: u64, limit: u64) -> StoreResult<(Vec<StoredOp>, ChainPoint)> {
        self.read(move |c| {
            let tx = c.transaction()?; // one snapshot for ops and head
            let Some((point, _)) = head(&tx, &vault)? else {
                return Err(StoreError::Backend("vault vanished".into()));
            };
            let mut out = Vec::new();
            {
                let mut st = tx.prepare_cached(
                    "SELECT seq, writer, counter, seen_seq, seen_hash, sig, payload FROM ops \
                     WHERE vault = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
                )?;
                let rows = st.query_map(params![vault, i(since)?, i(limit)?], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, Vec<u8>>(4)?,
                        r.get::<_, Vec<u8>>(5)?,
                        r.get::<_, Vec<u8>>(6)?,
                    ))
                })?;
                for row in rows {
                    let (seq, writer, counter, seen_seq, seen_hash, sig, payload) = row?;
                    out.push(StoredOp {
                        seq: u(seq),
                        op: Op {
                            writer: arr32(writer)?,
                            counter: u(counter),
                            seen: ChainPoint { seq: u(seen_seq), hash: arr32(seen_hash)? },
                            sig: arr64(sig)?,
                            payload,
                        },
                    });
                }
            }
            tx.finish()?;
            Ok((out, point))
        })
        .await
    }

    async fn has_chunk(&self, vault: Hash, hash: Hash) -> StoreResult<bool> {
        self.read(move |c| {
            Ok(c.prepare_cached("SELECT 1 FROM chunks WHERE vault = ?1 AND hash = ?2")?
                .query_row(params![vault, hash], |_| Ok(()))
                .optional()?
                .is_some())
        })
        .await
    }

    async fn record_chunk(&self, vault: Hash, hash: Hash, size: u64, quota: u64) -> StoreResult<ChunkRecordOutcome> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let exists = tx
                .prepare_cached("SELECT 1 FROM chunks WHERE vault = ?1 AND hash = ?2")?
                .query_row(params![vault, hash], |_| Ok(()))
                .optional()?
                .is_some();
            if exists {
                return Ok(ChunkRecordOutcome::Existing);
            }
            let Some((_, usage)) = head(&tx, &vault)? else {
                return Err(StoreError::Backend("vault vanished".into()));
            };
            if usage.saturating_add(size) > quota {
                return Ok(ChunkRecordOutcome::QuotaExceeded);
            }
            let now = crate::clock::now_secs();
            tx.prepare_cached("INSERT INTO chunks (vault, hash, size, created_at) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![vault, hash, i(size)?, i(now)?])?;
            tx.prepare_cached("UPDATE vaults SET usage_bytes = usage_bytes + ?2 WHERE id = ?1")?
                .execute(params![vault, i(size)?])?;
            tx.commit()?;
            Ok(ChunkRecordOutcome::Created)
        })
        .await
    }

    async fn missing_chunks(&self, vault: Hash, hashes: Vec<Hash>) -> StoreResult<Vec<Hash>> {
        self.read(move |c| {
            let mut st = c.prepare_cached("SELECT 1 FROM chunks WHERE vault = ?1 AND hash = ?2")?;
            let mut out = Vec::new();
            for h in hashes {
                if st.query_row(params![vault, h], |_| Ok(())).optional()?.is_none() && !out.contains(&h) {
                    out.push(h);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn commit_blob(&self, vault: Hash, id: Vec<u8>, chunks: Vec<Hash>, now: u64) -> StoreResult<CommitOutcome> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let flat: Vec<u8> = chunks.concat();
            let existing: Option<(Vec<u8>, i64, i64)> = tx
                .query_row(
                    "SELECT chunks, size, committed_at FROM blobs WHERE vault = ?1 AND id = ?2",
                    params![vault, id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            if let Some((stored, size, at)) = existing {
                return Ok(if stored == flat {
                    CommitOutcome::Existing { size: u(size), committed_at: u(at) }
                } else {
                    CommitOutcome::Conflict
                });
            }
            let mut missing = Vec::new();
            let mut size: u64 = 0;
            {
                let mut st = tx.prepare_cached("SELECT size FROM chunks WHERE vault = ?1 AND hash = ?2")?;
                for h in &chunks {
                    match st.query_row(params![vault, h], |r| r.get::<_, i64>(0)).optional()? {
                        Some(s) => size = size.saturating_add(u(s)),
                        None if !missing.contains(h) => missing.push(*h),
                        None => {}
                    }
                }
            }
            if !missing.is_empty() {
                return Ok(CommitOutcome::Missing(missing));
            }
            tx.execute(
                "INSERT INTO blobs (vault, id, chunks, size, committed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![vault, id, flat, i(size)?, i(now)?],
            )?;
            tx.commit()?;
            Ok(CommitOutcome::Committed { size, committed_at: now })
        })
        .await
    }

    async fn blob(&self, vault: Hash, id: Vec<u8>) -> StoreResult<Option<BlobRecord>> {
        self.read(move |c| {
            let row: Option<(Vec<u8>, i64, i64)> = c
                .query_row(
                    "SELECT chunks, size, committed_at FROM blobs WHERE vault = ?1 AND id = ?2",
                    params![vault, id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            match row {
                None => Ok(None),
                Some((flat, size, at)) => {
                    let chunks = flat.chunks(32).map(|c| arr32(c.to_vec())).collect::<StoreResult<Vec<_>>>()?;
                    Ok(Some(BlobRecord { chunks, size: u(size), committed_at: u(at) }))
                }
            }
        })
        .await
    }

    async fn mailbox_put(
        &self,
        id: Hash,
        message: Vec<u8>,
        now: u64,
        ttl: u64,
        max_boxes: u64,
    ) -> StoreResult<MailboxPutOutcome> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute("DELETE FROM mailboxes WHERE expires_at <= ?1", params![i(now)?])?;
            let occupied =
                tx.query_row("SELECT 1 FROM mailboxes WHERE id = ?1", params![id], |_| Ok(())).optional()?.is_some();
            if occupied {
                return Ok(MailboxPutOutcome::Occupied);
            }
            let count: i64 = tx.query_row("SELECT COUNT(*) FROM mailboxes", [], |r| r.get(0))?;
            if u(count) >= max_boxes {
                return Ok(MailboxPutOutcome::Full);
            }
            let expires_at = now.saturating_add(ttl);
            tx.execute(
                "INSERT INTO mailboxes (id, message, expires_at) VALUES (?1, ?2, ?3)",
                params![id, message, i(expires_at)?],
            )?;
            tx.commit()?;
            Ok(MailboxPutOutcome::Stored { expires_at })
        })
        .await
    }

    async fn mailbox_get(&self, id: Hash, now: u64) -> StoreResult<Option<(Vec<u8>, u64)>> {
        self.read(move |c| {
            let row: Option<(Vec<u8>, i64)> = c
                .query_row(
                    "SELECT message, expires_at FROM mailboxes WHERE id = ?1 AND expires_at > ?2",
                    params![id, i(now)?],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            Ok(row.map(|(m, e)| (m, u(e))))
        })
        .await
    }

    async fn mailbox_delete(&self, id: Hash) -> StoreResult<bool> {
        self.write(move |c| Ok(c.execute("DELETE FROM mailboxes WHERE id = ?1", params![id])? > 0)).await
    }

    async fn purge_expired(&self, now: u64) -> StoreResult<u64> {
        self.write(move |c| Ok(c.execute("DELETE FROM mailboxes WHERE expires_at <= ?1", params![i(now)?])? as u64))
            .await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?)).await
    }
}
