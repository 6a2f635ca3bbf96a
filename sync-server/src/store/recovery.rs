//! [`RecoveryStore`]: recovery slots (the ARK wrapped under a key derived from a high-entropy secret,
//! opaque to the server) and the closure of a vault. Kept apart from [`super::MetaStore`] so another
//! backend implements it on its own; the embedded one is [`super::sqlite::SqliteMeta`]
//! (`recovery_sqlite.rs`), on the same database and writer connection.

use async_trait::async_trait;
use coffre_sync_protocol::{Hash, PublicKey};

use super::StoreResult;

/// A stored slot, as a test or an operator can list it: its kind is the type of secret it is
/// wrapped under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotRecord {
    pub vault: Hash,
    /// `code` or `assisted` (see `coffre_sync_protocol::recovery::SLOT_KINDS`).
    pub kind: String,
    /// The device key derived from the same secret, enrolled to fetch the slot.
    pub device: PublicKey,
    pub slot: Vec<u8>,
    pub created_at: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutSlotOutcome {
    /// Stored; the recovery device of the slot it replaced (now removed), if any.
    Stored {
        replaced: Option<PublicKey>,
    },
    /// This device key was removed from the vault before: a used-up code cannot come back.
    DeviceWasRemoved,
    NoVault,
}

/// Recovery slots and vault closure. Every method is atomic.
#[async_trait]
pub trait RecoveryStore: Send + Sync + 'static {
    /// Store the `kind` slot of `vault` (replacing the previous one), enrol `device` as the vault's
    /// recovery device for it (added by `by`), and remove the device of the replaced slot.
    async fn put_slot(
        &self,
        vault: Hash,
        kind: &'static str,
        device: PublicKey,
        slot: Vec<u8>,
        by: PublicKey,
        now: u64,
    ) -> StoreResult<PutSlotOutcome>;
    /// The slot whose recovery device is `device`, if that device is still enrolled.
    async fn slot_for_device(&self, device: PublicKey) -> StoreResult<Option<SlotRecord>>;
    /// Every stored slot of every vault (audits and tests: the kinds must all be high-entropy ones).
    async fn all_slots(&self) -> StoreResult<Vec<SlotRecord>>;
    /// Delete every row that names `vault`, in every table (ops, devices, chunk records, blobs, slots,
    /// and the tables of later features, which name their vault column `vault`), then the vault
    /// itself, overwriting the freed space. Returns false if there was no such vault.
    async fn close_vault(&self, vault: Hash) -> StoreResult<bool>;
}
