//! Storage behind traits, so another backend (PostgreSQL, S3-compatible object storage) can be added
//! without touching the handlers:
//! - [`MetaStore`]: vaults, devices, the op log and its chain, chunk records and quotas, blobs, mailboxes;
//! - [`ChunkStore`]: the ciphertext chunk bytes, content-addressed (BLAKE3), per vault;
//! - [`mandate::MandateStore`], [`recovery::RecoveryStore`], [`shares::ShareStore`]: their features' rows;
//! - [`enrolment::EnrolmentStore`]: who enrolled whom (transitive revocation), last seen;
//! - [`replay::ReplayStore`]: nonces of state-changing requests, kept across restarts.
//!
//! The embedded backends are [`sqlite`] (every metadata trait, one file per store) and [`fs`] (chunks);
//! the scale-out ones (docs/scale-out.md) are [`postgres`] (every metadata trait, one file per store)
//! and [`s3`] (chunks in an S3-compatible bucket). `tests/store_conformance.rs` runs the same cases
//! against both pairs.
//!
//! Invariant between the two: a chunk is *recorded* in the `MetaStore` only after the `ChunkStore` has
//! durably stored it, so "recorded" implies "readable"; a crash in between leaves at worst an orphan file,
//! overwritten by the next put of the same chunk.

pub mod enrolment;
pub mod fs;
pub mod mandate;
pub mod postgres;
pub mod recovery;
pub mod replay;
pub mod s3;
pub mod shares;
pub mod sqlite;

use async_trait::async_trait;
use coffre_sync_protocol::{ChainPoint, Hash, Op, PublicKey};

/// A storage failure. It keeps the backend's error as its source (for logs); callers only learn
/// "internal".
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage failure: {0}")]
    Backend(String),
    #[error("storage failure: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("storage failure: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("storage failure: {0}")]
    Io(#[from] std::io::Error),
    #[error("storage failure: blocking task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    NoVault,
    NotMember,
    Revoked,
    Enrolled,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterOutcome {
    Created,
    /// Same identity and device registered before: idempotent.
    Existing,
    /// The vault exists with another first device.
    Conflict,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub device: PublicKey,
    pub added_at: u64,
    pub added_by: Option<PublicKey>,
    pub removed_at: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Seq of each op, in request order, and the new head.
    Appended {
        seqs: Vec<u64>,
        head: ChainPoint,
    },
    /// The writer's op counter does not follow its last one.
    CounterMismatch {
        expected: u64,
        got: u64,
    },
    /// An op claims to have seen a seq the log has not reached.
    SeenInFuture,
    QuotaExceeded,
}

/// What [`MetaStore::switch_generation`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenerationOutcome {
    /// The vault moved to the asked generation; the members it removed.
    Switched {
        removed: Vec<PublicKey>,
    },
    /// The vault already is at the asked generation with the same identity (a retry): nothing done,
    /// so a replayed switch cannot remove a device added since.
    AlreadyThere,
    /// The asked generation does not follow the current one (which is given).
    Stale {
        current: u32,
    },
    NoVault,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOp {
    pub seq: u64,
    pub op: Op,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkRecordOutcome {
    Created,
    Existing,
    QuotaExceeded,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOutcome {
    Committed {
        size: u64,
        committed_at: u64,
    },
    /// Same id, same chunk list: idempotent.
    Existing {
        size: u64,
        committed_at: u64,
    },
    Missing(Vec<Hash>),
    /// Same id, another chunk list.
    Conflict,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRecord {
    pub chunks: Vec<Hash>,
    pub size: u64,
    pub committed_at: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailboxPutOutcome {
    Stored { expires_at: u64 },
    Occupied,
    Full,
}

/// Metadata and op-log store. Every method is atomic.
#[async_trait]
pub trait MetaStore: Send + Sync + 'static {
    async fn register_vault(
        &self,
        vault: Hash,
        identity: PublicKey,
        device: PublicKey,
        now: u64,
    ) -> StoreResult<RegisterOutcome>;
    async fn membership(&self, vault: Hash, device: PublicKey) -> StoreResult<Membership>;
    /// Add a device (idempotent; re-adding a removed device is refused: returns false).
    async fn add_device(&self, vault: Hash, device: PublicKey, by: PublicKey, now: u64) -> StoreResult<bool>;
    /// Remove a device (idempotent). Returns false if it was never a member.
    async fn remove_device(&self, vault: Hash, device: PublicKey, now: u64) -> StoreResult<bool>;
    async fn devices(&self, vault: Hash) -> StoreResult<Vec<DeviceRecord>>;
    /// The identity key of each account key generation of `vault`, by generation: `[0]` is the
    /// registered identity. Empty for an unknown vault.
    async fn generations(&self, vault: Hash) -> StoreResult<Vec<PublicKey>>;
    /// Moves `vault` to `generation` with `identity` if it follows the current generation, and
    /// removes every member not in `keep`, in one transaction (the current one with the same identity
    /// is a retry: nothing changes).
    async fn switch_generation(
        &self,
        vault: Hash,
        generation: u32,
        identity: PublicKey,
        keep: Vec<PublicKey>,
        now: u64,
    ) -> StoreResult<GenerationOutcome>;
    /// Head and byte usage of a vault.
    async fn vault_state(&self, vault: Hash) -> StoreResult<Option<(ChainPoint, u64)>>;
    /// When the vault was registered (unix seconds): an open-registration vault's quota grows with age.
    async fn vault_created_at(&self, vault: Hash) -> StoreResult<Option<u64>>;
    /// Append ops (already checked: signature, writer, padding) atomically, chaining them. Ops already in
    /// the log (same signature) keep their seq and are not appended twice.
    async fn append_ops(&self, vault: Hash, ops: Vec<Op>, quota: u64) -> StoreResult<AppendOutcome>;
    /// Ops with `seq > since`, at most `limit`, and the current head.
    async fn ops_since(&self, vault: Hash, since: u64, limit: u64) -> StoreResult<(Vec<StoredOp>, ChainPoint)>;
    async fn has_chunk(&self, vault: Hash, hash: Hash) -> StoreResult<bool>;
    /// Record a stored chunk and charge it to the quota.
    async fn record_chunk(&self, vault: Hash, hash: Hash, size: u64, quota: u64) -> StoreResult<ChunkRecordOutcome>;
    async fn missing_chunks(&self, vault: Hash, hashes: Vec<Hash>) -> StoreResult<Vec<Hash>>;
    async fn commit_blob(&self, vault: Hash, id: Vec<u8>, chunks: Vec<Hash>, now: u64) -> StoreResult<CommitOutcome>;
    async fn blob(&self, vault: Hash, id: Vec<u8>) -> StoreResult<Option<BlobRecord>>;
    async fn mailbox_put(
        &self,
        id: Hash,
        message: Vec<u8>,
        now: u64,
        ttl: u64,
        max_boxes: u64,
    ) -> StoreResult<MailboxPutOutcome>;
    /// The message and its expiry, if present and not expired.
    async fn mailbox_get(&self, id: Hash, now: u64) -> StoreResult<Option<(Vec<u8>, u64)>>;
    async fn mailbox_delete(&self, id: Hash) -> StoreResult<bool>;
    /// Delete expired mailboxes; returns how many.
    async fn purge_expired(&self, now: u64) -> StoreResult<u64>;
    async fn ping(&self) -> StoreResult<()>;
}

/// Ciphertext chunk bytes, content-addressed, namespaced by vault.
#[async_trait]
pub trait ChunkStore: Send + Sync + 'static {
    /// Store durably (the bytes are readable after a crash once this returns). Overwrites quietly.
    async fn put(&self, vault: Hash, hash: Hash, bytes: bytes::Bytes) -> StoreResult<()>;
    async fn get(&self, vault: Hash, hash: Hash) -> StoreResult<Option<bytes::Bytes>>;
    /// Delete every chunk of `vault` (closure of the vault).
    async fn delete_vault(&self, vault: Hash) -> StoreResult<()>;
    /// Chunks in the order given, stopping after the first missing one (`None`) or before the total
    /// would pass `budget` bytes (always at least one). Backends override it to read in one go.
    async fn get_many(&self, vault: Hash, hashes: &[Hash], budget: u64) -> StoreResult<Vec<Option<bytes::Bytes>>> {
        let mut out = Vec::with_capacity(hashes.len());
        let mut total = 0u64;
        for h in hashes {
            let got = self.get(vault, *h).await?;
            let missing = got.is_none();
            let len = got.as_ref().map_or(0, |b| b.len() as u64);
            if !out.is_empty() && total + len > budget {
                break;
            }
            total += len;
            out.push(got);
            if missing {
                break;
            }
        }
        Ok(out)
    }
    async fn ping(&self) -> StoreResult<()>;
}
