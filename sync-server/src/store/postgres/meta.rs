//! [`MetaStore`] on PostgreSQL: vaults, devices, the op log and its chain, chunk records and quotas,
//! blobs, linking mailboxes (migration 1). Appends and chunk records lock the vault's row, so one
//! vault's chain stays linear and its quota exact when several instances write at once.

use std::collections::HashMap;

use async_trait::async_trait;
use coffre_sync_protocol::{ChainPoint, Hash, Op, PublicKey};
use deadpool_postgres::GenericClient;

use super::{PgMeta, arr32, arr64, i, lock, u};
use crate::store::{
    AppendOutcome, BlobRecord, ChunkRecordOutcome, CommitOutcome, DeviceRecord, GenerationOutcome, MailboxPutOutcome,
    Membership, MetaStore, RegisterOutcome, StoreError, StoreResult, StoredOp,
};

/// Migration 1: initial schema (as SQLite's migration 1)
pub(super) const MIGRATION_1: &str = "CREATE TABLE vaults (
        id BYTEA PRIMARY KEY,
        identity_pk BYTEA NOT NULL,
        first_device BYTEA NOT NULL,
        created_at BIGINT NOT NULL,
        head_seq BIGINT NOT NULL,
        head_hash BYTEA NOT NULL,
        usage_bytes BIGINT NOT NULL DEFAULT 0
    );
    CREATE TABLE devices (
        vault BYTEA NOT NULL,
        pk BYTEA NOT NULL,
        added_at BIGINT NOT NULL,
        added_by BYTEA,
        removed_at BIGINT,
        last_counter BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (vault, pk)
    );
    CREATE TABLE ops (
        vault BYTEA NOT NULL,
        seq BIGINT NOT NULL,
        writer BYTEA NOT NULL,
        counter BIGINT NOT NULL,
        seen_seq BIGINT NOT NULL,
        seen_hash BYTEA NOT NULL,
        sig BYTEA NOT NULL,
        payload BYTEA NOT NULL,
        hash BYTEA NOT NULL,
        PRIMARY KEY (vault, seq)
    );
    CREATE UNIQUE INDEX ops_by_sig ON ops (vault, sig);
    CREATE TABLE chunks (
        vault BYTEA NOT NULL,
        hash BYTEA NOT NULL,
        size BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (vault, hash)
    );
    CREATE TABLE blobs (
        vault BYTEA NOT NULL,
        id BYTEA NOT NULL,
        chunks BYTEA NOT NULL,
        size BIGINT NOT NULL,
        committed_at BIGINT NOT NULL,
        PRIMARY KEY (vault, id)
    );
    CREATE TABLE mailboxes (
        id BYTEA PRIMARY KEY,
        message BYTEA NOT NULL,
        expires_at BIGINT NOT NULL
    );
    CREATE INDEX mailboxes_by_expiry ON mailboxes (expires_at);";

async fn hash_at(c: &impl GenericClient, vault: &[u8], seq: u64) -> StoreResult<Option<Hash>> {
    if seq == 0 {
        return Ok(Some(ChainPoint::genesis(&arr32(vault.to_vec())?).hash));
    }
    let st = c.prepare_cached("SELECT hash FROM ops WHERE vault = $1 AND seq = $2").await?;
    c.query_opt(&st, &[&vault, &i(seq)?]).await?.map(|r| arr32(r.get(0))).transpose()
}

/// Head and usage; `lock` takes the vault's row lock for the rest of the transaction.
async fn head(c: &impl GenericClient, vault: &[u8], lock: bool) -> StoreResult<Option<(ChainPoint, u64)>> {
    let sql = if lock {
        "SELECT head_seq, head_hash, usage_bytes FROM vaults WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT head_seq, head_hash, usage_bytes FROM vaults WHERE id = $1"
    };
    let st = c.prepare_cached(sql).await?;
    match c.query_opt(&st, &[&vault]).await? {
        None => Ok(None),
        Some(r) => Ok(Some((ChainPoint { seq: u(r.get(0)), hash: arr32(r.get(1))? }, u(r.get(2))))),
    }
}

#[async_trait]
impl MetaStore for PgMeta {
    async fn register_vault(
        &self,
        vault: Hash,
        identity: PublicKey,
        device: PublicKey,
        now: u64,
    ) -> StoreResult<RegisterOutcome> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let g = ChainPoint::genesis(&vault);
        let n = tx
            .execute(
                "INSERT INTO vaults (id, identity_pk, first_device, created_at, head_seq, head_hash) \
                 VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (id) DO NOTHING",
                &[&&vault[..], &&identity[..], &&device[..], &i(now)?, &&g.hash[..]],
            )
            .await?;
        if n == 0 {
            let r = tx.query_one("SELECT identity_pk, first_device FROM vaults WHERE id = $1", &[&&vault[..]]).await?;
            let (id, dev): (Vec<u8>, Vec<u8>) = (r.get(0), r.get(1));
            return Ok(if id == identity && dev == device {
                RegisterOutcome::Existing
            } else {
                RegisterOutcome::Conflict
            });
        }
        tx.execute(
            "INSERT INTO devices (vault, pk, added_at) VALUES ($1, $2, $3)",
            &[&&vault[..], &&device[..], &i(now)?],
        )
        .await?;
        tx.commit().await?;
        Ok(RegisterOutcome::Created)
    }

    async fn membership(&self, vault: Hash, device: PublicKey) -> StoreResult<Membership> {
        let c = self.conn().await?;
        let st = c
            .prepare_cached(
                "SELECT d.removed_at, d.pk IS NOT NULL FROM vaults v \
                 LEFT JOIN devices d ON d.vault = v.id AND d.pk = $2 WHERE v.id = $1",
            )
            .await?;
        Ok(match c.query_opt(&st, &[&&vault[..], &&device[..]]).await? {
            None => Membership::NoVault,
            Some(r) => match (r.get::<_, bool>(1), r.get::<_, Option<i64>>(0)) {
                (false, _) => Membership::NotMember,
                (true, Some(_)) => Membership::Revoked,
                (true, None) => Membership::Enrolled,
            },
        })
    }

    async fn add_device(&self, vault: Hash, device: PublicKey, by: PublicKey, now: u64) -> StoreResult<bool> {
        let c = self.conn().await?;
        c.execute(
            "INSERT INTO devices (vault, pk, added_at, added_by) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[&&vault[..], &&device[..], &i(now)?, &&by[..]],
        )
        .await?;
        let r = c
            .query_one("SELECT removed_at FROM devices WHERE vault = $1 AND pk = $2", &[&&vault[..], &&device[..]])
            .await?;
        Ok(r.get::<_, Option<i64>>(0).is_none())
    }

    async fn remove_device(&self, vault: Hash, device: PublicKey, now: u64) -> StoreResult<bool> {
        let c = self.conn().await?;
        let n = c
            .execute(
                "UPDATE devices SET removed_at = COALESCE(removed_at, $3) WHERE vault = $1 AND pk = $2",
                &[&&vault[..], &&device[..], &i(now)?],
            )
            .await?;
        Ok(n > 0)
    }

    async fn generations(&self, vault: Hash) -> StoreResult<Vec<PublicKey>> {
        let c = self.conn().await?;
        super::generations::generations(&c, &vault, false).await
    }

    async fn switch_generation(
        &self,
        vault: Hash,
        generation: u32,
        identity: PublicKey,
        keep: Vec<PublicKey>,
        now: u64,
    ) -> StoreResult<GenerationOutcome> {
        self.switch(&vault, generation, &identity, &keep, now).await
    }

    async fn devices(&self, vault: Hash) -> StoreResult<Vec<DeviceRecord>> {
        let c = self.conn().await?;
        let rows = c
            .query(
                "SELECT pk, added_at, added_by, removed_at FROM devices WHERE vault = $1 ORDER BY added_at, pk",
                &[&&vault[..]],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(DeviceRecord {
                    device: arr32(r.get(0))?,
                    added_at: u(r.get(1)),
                    added_by: r.get::<_, Option<Vec<u8>>>(2).map(arr32).transpose()?,
                    removed_at: r.get::<_, Option<i64>>(3).map(u),
                })
            })
            .collect()
    }

    async fn vault_state(&self, vault: Hash) -> StoreResult<Option<(ChainPoint, u64)>> {
        let c = self.conn().await?;
        head(&c, &vault, false).await
    }

    async fn vault_created_at(&self, vault: Hash) -> StoreResult<Option<u64>> {
        let c = self.conn().await?;
        let st = c.prepare_cached("SELECT created_at FROM vaults WHERE id = $1").await?;
        Ok(c.query_opt(&st, &[&&vault[..]]).await?.map(|r| u(r.get(0))))
    }

    async fn append_ops(&self, vault: Hash, ops: Vec<Op>, quota: u64) -> StoreResult<AppendOutcome> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let v: &[u8] = &vault;
        // The row lock: a second instance appending to this vault waits here until we commit.
        let Some((mut point, usage)) = head(&tx, v, true).await? else {
            return Err(StoreError::Backend("vault vanished".into()));
        };
        let by_sig = tx.prepare_cached("SELECT seq FROM ops WHERE vault = $1 AND sig = $2").await?;
        let counter = tx.prepare_cached("SELECT last_counter FROM devices WHERE vault = $1 AND pk = $2").await?;
        let insert = tx
            .prepare_cached(
                "INSERT INTO ops (vault, seq, writer, counter, seen_seq, seen_hash, sig, payload, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .await?;
        let mut added: u64 = 0;
        let mut seqs = Vec::with_capacity(ops.len());
        let mut counters: HashMap<PublicKey, u64> = HashMap::new();
        for op in &ops {
            if let Some(r) = tx.query_opt(&by_sig, &[&v, &&op.sig[..]]).await? {
                seqs.push(u(r.get(0)));
                continue;
            }
            let last = match counters.get(&op.writer) {
                Some(n) => *n,
                None => tx.query_opt(&counter, &[&v, &&op.writer[..]]).await?.map_or(0, |r| u(r.get(0))),
            };
            if op.counter != last + 1 {
                return Ok(AppendOutcome::CounterMismatch { expected: last + 1, got: op.counter });
            }
            if op.seen.seq > point.seq || hash_at(&tx, v, op.seen.seq).await? != Some(op.seen.hash) {
                return Ok(AppendOutcome::SeenInFuture);
            }
            let seq = point.seq + 1;
            let hash = op.chain(&point.hash, seq);
            tx.execute(
                &insert,
                &[
                    &v,
                    &i(seq)?,
                    &&op.writer[..],
                    &i(op.counter)?,
                    &i(op.seen.seq)?,
                    &&op.seen.hash[..],
                    &&op.sig[..],
                    &op.payload,
                    &&hash[..],
                ],
            )
            .await?;
            counters.insert(op.writer, op.counter);
            added += op.payload.len() as u64;
            point = ChainPoint { seq, hash };
            seqs.push(seq);
        }
        if added > 0 && usage.saturating_add(added) > quota {
            return Ok(AppendOutcome::QuotaExceeded);
        }
        tx.execute(
            "UPDATE vaults SET head_seq = $2, head_hash = $3, usage_bytes = usage_bytes + $4 WHERE id = $1",
            &[&v, &i(point.seq)?, &&point.hash[..], &i(added)?],
        )
        .await?;
        for (writer, n) in counters {
            tx.execute(
                "UPDATE devices SET last_counter = $3 WHERE vault = $1 AND pk = $2",
                &[&v, &&writer[..], &i(n)?],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(AppendOutcome::Appended { seqs, head: point })
    }

    async fn ops_since(&self, vault: Hash, since: u64, limit: u64) -> StoreResult<(Vec<StoredOp>, ChainPoint)> {
        let mut c = self.conn().await?;
        // One snapshot for ops and head.
        let tx = c.build_transaction().isolation_level(tokio_postgres::IsolationLevel::RepeatableRead).start().await?;
        let Some((point, _)) = head(&tx, &vault, false).await? else {
            return Err(StoreError::Backend("vault vanished".into()));
        };
        let st = tx
            .prepare_cached(
                "SELECT seq, writer, counter, seen_seq, seen_hash, sig, payload FROM ops \
                 WHERE vault = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            )
            .await?;
        let rows = tx.query(&st, &[&&vault[..], &i(since)?, &i(limit)?]).await?;
        tx.commit().await?;
        let ops = rows
            .into_iter()
            .map(|r| {
                Ok(StoredOp {
                    seq: u(r.get(0)),
                    op: Op {
                        writer: arr32(r.get(1))?,
                        counter: u(r.get(2)),
                        seen: ChainPoint { seq: u(r.get(3)), hash: arr32(r.get(4))? },
                        sig: arr64(r.get(5))?,
                        payload: r.get(6),
                    },
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((ops, point))
    }

    async fn has_chunk(&self, vault: Hash, hash: Hash) -> StoreResult<bool> {
        let c = self.conn().await?;
        let st = c.prepare_cached("SELECT 1 FROM chunks WHERE vault = $1 AND hash = $2").await?;
        Ok(c.query_opt(&st, &[&&vault[..], &&hash[..]]).await?.is_some())
    }

    async fn record_chunk(&self, vault: Hash, hash: Hash, size: u64, quota: u64) -> StoreResult<ChunkRecordOutcome> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let v: &[u8] = &vault;
        let exists = tx.prepare_cached("SELECT 1 FROM chunks WHERE vault = $1 AND hash = $2").await?;
        if tx.query_opt(&exists, &[&v, &&hash[..]]).await?.is_some() {
            return Ok(ChunkRecordOutcome::Existing);
        }
        let Some((_, usage)) = head(&tx, v, true).await? else {
            return Err(StoreError::Backend("vault vanished".into()));
        };
        // Another instance may have recorded it while we waited for the lock.
        if tx.query_opt(&exists, &[&v, &&hash[..]]).await?.is_some() {
            return Ok(ChunkRecordOutcome::Existing);
        }
        if usage.saturating_add(size) > quota {
            return Ok(ChunkRecordOutcome::QuotaExceeded);
        }
        let now = crate::clock::now_secs();
        let ins =
            tx.prepare_cached("INSERT INTO chunks (vault, hash, size, created_at) VALUES ($1, $2, $3, $4)").await?;
        tx.execute(&ins, &[&v, &&hash[..], &i(size)?, &i(now)?]).await?;
        let upd = tx.prepare_cached("UPDATE vaults SET usage_bytes = usage_bytes + $2 WHERE id = $1").await?;
        tx.execute(&upd, &[&v, &i(size)?]).await?;
        tx.commit().await?;
        Ok(ChunkRecordOutcome::Created)
    }

    async fn missing_chunks(&self, vault: Hash, hashes: Vec<Hash>) -> StoreResult<Vec<Hash>> {
        let c = self.conn().await?;
        let list: Vec<&[u8]> = hashes.iter().map(|h| &h[..]).collect();
        let st = c.prepare_cached("SELECT hash FROM chunks WHERE vault = $1 AND hash = ANY($2)").await?;
        let present: std::collections::HashSet<Vec<u8>> =
            c.query(&st, &[&&vault[..], &list]).await?.into_iter().map(|r| r.get(0)).collect();
        let mut out = Vec::new();
        for h in hashes {
            if !present.contains(&h[..]) && !out.contains(&h) {
                out.push(h);
            }
        }
        Ok(out)
    }

    async fn commit_blob(&self, vault: Hash, id: Vec<u8>, chunks: Vec<Hash>, now: u64) -> StoreResult<CommitOutcome> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let v: &[u8] = &vault;
        let flat: Vec<u8> = chunks.concat();
        let existing = "SELECT chunks, size, committed_at FROM blobs WHERE vault = $1 AND id = $2";
        if let Some(r) = tx.query_opt(existing, &[&v, &id]).await? {
            let stored: Vec<u8> = r.get(0);
            return Ok(if stored == flat {
                CommitOutcome::Existing { size: u(r.get(1)), committed_at: u(r.get(2)) }
            } else {
                CommitOutcome::Conflict
            });
        }
        let list: Vec<&[u8]> = chunks.iter().map(|h| &h[..]).collect();
        let sizes: HashMap<Vec<u8>, i64> = tx
            .query("SELECT hash, size FROM chunks WHERE vault = $1 AND hash = ANY($2)", &[&v, &list])
            .await?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let mut missing = Vec::new();
        let mut size: u64 = 0;
        for h in &chunks {
            match sizes.get(&h[..]) {
                Some(s) => size = size.saturating_add(u(*s)),
                None if !missing.contains(h) => missing.push(*h),
                None => {}
            }
        }
        if !missing.is_empty() {
            return Ok(CommitOutcome::Missing(missing));
        }
        let n = tx
            .execute(
                "INSERT INTO blobs (vault, id, chunks, size, committed_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (vault, id) DO NOTHING",
                &[&v, &id, &flat, &i(size)?, &i(now)?],
            )
            .await?;
        if n == 0 {
            // Committed by another instance meanwhile: answer as for a retry.
            tx.rollback().await?;
            drop(c);
            return self.commit_blob(vault, id, chunks, now).await;
        }
        tx.commit().await?;
        Ok(CommitOutcome::Committed { size, committed_at: now })
    }

    async fn blob(&self, vault: Hash, id: Vec<u8>) -> StoreResult<Option<BlobRecord>> {
        let c = self.conn().await?;
        let row = c
            .query_opt("SELECT chunks, size, committed_at FROM blobs WHERE vault = $1 AND id = $2", &[&&vault[..], &id])
            .await?;
        match row {
            None => Ok(None),
            Some(r) => {
                let flat: Vec<u8> = r.get(0);
                let chunks = flat.chunks(32).map(|c| arr32(c.to_vec())).collect::<StoreResult<Vec<_>>>()?;
                Ok(Some(BlobRecord { chunks, size: u(r.get(1)), committed_at: u(r.get(2)) }))
            }
        }
    }

    async fn mailbox_put(
        &self,
        id: Hash,
        message: Vec<u8>,
        now: u64,
        ttl: u64,
        max_boxes: u64,
    ) -> StoreResult<MailboxPutOutcome> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        // The count of boxes is shared by every instance: one writer at a time.
        tx.execute("SELECT pg_advisory_xact_lock($1, 0)", &[&lock::MAILBOXES]).await?;
        tx.execute("DELETE FROM mailboxes WHERE expires_at <= $1", &[&i(now)?]).await?;
        if tx.query_opt("SELECT 1 FROM mailboxes WHERE id = $1", &[&&id[..]]).await?.is_some() {
            return Ok(MailboxPutOutcome::Occupied);
        }
        let count: i64 = tx.query_one("SELECT COUNT(*) FROM mailboxes", &[]).await?.get(0);
        if u(count) >= max_boxes {
            return Ok(MailboxPutOutcome::Full);
        }
        let expires_at = now.saturating_add(ttl);
        tx.execute(
            "INSERT INTO mailboxes (id, message, expires_at) VALUES ($1, $2, $3)",
            &[&&id[..], &message, &i(expires_at)?],
        )
        .await?;
        tx.commit().await?;
        Ok(MailboxPutOutcome::Stored { expires_at })
    }

    async fn mailbox_get(&self, id: Hash, now: u64) -> StoreResult<Option<(Vec<u8>, u64)>> {
        let c = self.conn().await?;
        let row = c
            .query_opt(
                "SELECT message, expires_at FROM mailboxes WHERE id = $1 AND expires_at > $2",
                &[&&id[..], &i(now)?],
            )
            .await?;
        Ok(row.map(|r| (r.get(0), u(r.get(1)))))
    }

    async fn mailbox_delete(&self, id: Hash) -> StoreResult<bool> {
        let c = self.conn().await?;
        Ok(c.execute("DELETE FROM mailboxes WHERE id = $1", &[&&id[..]]).await? > 0)
    }

    async fn purge_expired(&self, now: u64) -> StoreResult<u64> {
        let c = self.conn().await?;
        Ok(c.execute("DELETE FROM mailboxes WHERE expires_at <= $1", &[&i(now)?]).await?)
    }

    async fn ping(&self) -> StoreResult<()> {
        let c = self.conn().await?;
        c.query_one("SELECT 1", &[]).await?;
        Ok(())
    }
}
