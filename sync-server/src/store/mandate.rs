//! Storage of organisations, agent revocations, mandates, per-mandate access packages, certified
//! deposits and the per-vault audit chain, behind its own trait so another backend can implement it
//! apart from [`super::MetaStore`]. Every method is atomic. The embedded implementation is
//! `sqlite/mandates.rs` (tables from migration 2).

use async_trait::async_trait;
use coffre_mandate::AuditEntry;
use coffre_sync_protocol::{AuditKind, Hash, PublicKey};

use super::StoreResult;

/// A stored mandate: the holder-signed bytes plus the server's bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateRow {
    pub id: [u8; 16],
    pub vault: Hash,
    pub agent: PublicKey,
    /// `coffre_mandate::Mandate` encoding (verified when stored).
    pub body: Vec<u8>,
    pub created_at: u64,
    pub revoked_at: Option<u64>,
}

/// What a holder's devices published for a mandate: keys and index sealed to the agent, and the blob
/// ids the agent may fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRow {
    pub sealed: Vec<u8>,
    pub blobs: Vec<Vec<u8>>,
    pub updated_at: u64,
}

/// A deposit waiting for the holder's devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositRow {
    pub id: [u8; 16],
    pub mandate: [u8; 16],
    pub statement: Vec<u8>,
    pub receipt: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub received_at: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepositPutOutcome {
    Stored,
    /// Same id already stored (idempotent retry).
    Existing,
    /// The vault holds too many pending deposits.
    Full,
}

#[async_trait]
pub trait MandateStore: Send + Sync + 'static {
    /// Registers an organisation (idempotent). `registration` is the verified self-signed statement.
    async fn register_org(&self, org: PublicKey, name: String, registration: Vec<u8>, now: u64) -> StoreResult<()>;
    /// The stored registration of an organisation.
    async fn org(&self, org: PublicKey) -> StoreResult<Option<Vec<u8>>>;
    /// Records a verified revocation (idempotent; the earliest time wins).
    async fn revoke_agent(&self, org: PublicKey, device: PublicKey, at: u64, statement: Vec<u8>) -> StoreResult<()>;
    /// When the organisation revoked this agent device, if it did.
    async fn agent_revoked(&self, org: PublicKey, device: PublicKey) -> StoreResult<Option<u64>>;
    /// Stores an invitation code's hash, handed out by `agent` of `org`, usable once until `expires_at`.
    async fn create_invitation(
        &self,
        code_hash: Hash,
        org: PublicKey,
        agent: PublicKey,
        now: u64,
        expires_at: u64,
    ) -> StoreResult<()>;
    /// Uses the invitation for `vault`: true if it was unused and unexpired (or already used by this very
    /// vault: a retried registration), false otherwise.
    async fn redeem_invitation(&self, code_hash: Hash, vault: Hash, now: u64) -> StoreResult<bool>;
    /// The organisation's revocation statements.
    async fn revocations(&self, org: PublicKey) -> StoreResult<Vec<Vec<u8>>>;
    /// Stores a verified mandate; false if the id exists with other content.
    async fn put_mandate(&self, row: MandateRow) -> StoreResult<bool>;
    async fn mandate(&self, id: [u8; 16]) -> StoreResult<Option<MandateRow>>;
    async fn mandates_of(&self, vault: Hash) -> StoreResult<Vec<MandateRow>>;
    /// Marks a mandate revoked (idempotent); false if no such mandate in this vault.
    async fn revoke_mandate(&self, vault: Hash, id: [u8; 16], now: u64) -> StoreResult<bool>;
    async fn put_package(&self, mandate: [u8; 16], package: PackageRow) -> StoreResult<()>;
    async fn package(&self, mandate: [u8; 16]) -> StoreResult<Option<PackageRow>>;
    async fn put_deposit(&self, vault: Hash, row: DepositRow, max_pending: u64) -> StoreResult<DepositPutOutcome>;
    async fn deposits(&self, vault: Hash) -> StoreResult<Vec<DepositRow>>;
    /// Deletes an imported deposit; false if absent.
    async fn delete_deposit(&self, vault: Hash, id: [u8; 16]) -> StoreResult<bool>;
    /// Appends an observation, signed by `server` and chained to the vault's last entry.
    async fn append_audit(
        &self,
        vault: Hash,
        kind: AuditKind,
        detail: String,
        now: u64,
        server: coffre_crypto::SigningKey,
    ) -> StoreResult<AuditEntry>;
    /// Entries with `seq > since`, at most `limit`, in order.
    async fn audit_since(&self, vault: Hash, since: u64, limit: u64) -> StoreResult<Vec<AuditEntry>>;
}
