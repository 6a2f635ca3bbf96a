//! [`ShareStore`]: share links (DESIGN.md §5). Each share holds an encrypted manifest and encrypted
//! page copies; the store enforces expiry, the opening limit and revocation, records every opening
//! time for the holder, and purges the material when a share ends.

use async_trait::async_trait;
use coffre_sync_protocol::Hash;
use coffre_sync_protocol::share::{ShareInfo, ShareRefusal};

use super::StoreResult;

pub use coffre_sync_protocol::ShareId;

/// How long an ended share's row (status and opening times, no material) is kept, so the link still
/// says "expirée"/"révoquée" rather than "introuvable" and the holder still sees who opened when.
pub const ENDED_SHARE_RETENTION_SECS: u64 = 30 * 24 * 3600;

/// A share to store, already checked by the handler (sizes, padding, expiry).
#[derive(Debug, Clone)]
pub struct NewShare {
    pub vault: Hash,
    pub id: ShareId,
    pub created_at: u64,
    pub expires_at: u64,
    pub max_opens: Option<u32>,
    /// `sha256` of the link key's opening proof (`coffre_sync_protocol::share::open_check`).
    pub open_check: [u8; 32],
    /// Padded manifest ciphertext.
    pub manifest: Vec<u8>,
    /// Padded page ciphertexts, in order.
    pub pages: Vec<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareCreateOutcome {
    Created,
    /// The id is taken (by this vault or another): the device picks ids at random, so this is a retry
    /// or an attack; either way nothing is overwritten.
    IdTaken,
    QuotaExceeded,
}

/// A successful opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    pub manifest: Vec<u8>,
    pub pages: u32,
    pub expires_at: u64,
    /// The holder's vault, for its audit trail.
    pub vault: Hash,
    /// Which opening this is (1 for the first).
    pub opening: u32,
}

#[async_trait]
pub trait ShareStore: Send + Sync + 'static {
    /// Store a share; its bytes count against the vault's quota (with the vault's other usage) while
    /// the share lives.
    async fn create_share(&self, share: NewShare, vault_usage: u64, quota: u64) -> StoreResult<ShareCreateOutcome>;
    /// The vault's shares, newest first, ended ones included until they are forgotten.
    async fn list_shares(&self, vault: Hash) -> StoreResult<Vec<ShareInfo>>;
    /// Revoke (idempotent) and delete the material at once. False if the vault has no such share.
    async fn revoke_share(&self, vault: Hash, id: ShareId, now: u64) -> StoreResult<bool>;
    /// Count an opening (recording its time and a page token) if the share is live and `check` is the
    /// share's open check (a share made before open checks existed opens without one). A wrong or
    /// missing check is `NotFound` and counts and records nothing.
    async fn open_share(
        &self,
        id: ShareId,
        check: Option<[u8; 32]>,
        token: [u8; 16],
        now: u64,
    ) -> StoreResult<Result<Opening, ShareRefusal>>;
    /// One padded page, for a token from an opening less than `token_ttl` old.
    async fn share_page(
        &self,
        id: ShareId,
        index: u32,
        token: [u8; 16],
        now: u64,
        token_ttl: u64,
    ) -> StoreResult<Result<Vec<u8>, ShareRefusal>>;
    /// Delete the material of shares that ended (expired, revoked, or opened as often as allowed and
    /// the last opening's `opening_ttl` over), and forget shares ended long ago. Returns how many
    /// shares lost their material.
    async fn purge_shares(&self, now: u64, opening_ttl: u64) -> StoreResult<u64>;
}
