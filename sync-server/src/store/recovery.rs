//! [`RecoveryStore`]: recovery slots (the ARK wrapped under a key derived from a high-entropy secret,
//! opaque to the server) and the closure of a vault. Kept apart from [`super::MetaStore`] so another
//! backend implements it on its own; the embedded one is [`super::sqlite::SqliteMeta`]
//! (`sqlite/recovery.rs`), on the same database and writer connection.

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

/// Which secret a slot is wrapped under: the `kind` column (see
/// `coffre_sync_protocol::recovery::SLOT_KINDS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotKind {
    Code,
    Assisted,
}

impl SlotKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SlotKind::Code => "code",
            SlotKind::Assisted => "assisted",
        }
    }
}

/// When the device derived from a slot's secret joins the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enrolment {
    /// Now, added by the device storing the slot: the kit's code is a full credential.
    Now,
    /// Only when it fetches the slot after the delay (assisted recovery), so two colluding share
    /// holders cannot act on the vault before.
    WhenFetched,
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

/// Assisted recovery of a vault: what the server keeps (never enough to open anything alone) and
/// the current request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssistedRow {
    /// SHA-256 of the client's Argon2id PIN verifier.
    pub pin_hash: [u8; 32],
    /// One Shamir share of three: useless alone.
    pub provider_share: Vec<u8>,
    pub org: Vec<u8>,
    /// JSON list of the organisation's sealed pieces (opaque to the server).
    pub pieces: Vec<u8>,
    pub failures: u32,
    pub request: Option<AssistedRequest>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssistedRequest {
    /// The device (a new phone's temporary key) that started it.
    pub requester: PublicKey,
    pub started_at: u64,
    pub cancelled_at: Option<u64>,
}

/// Recovery slots and vault closure. Every method is atomic.
#[async_trait]
pub trait RecoveryStore: Send + Sync + 'static {
    /// Store the `kind` slot of `vault` (replacing the previous one) and remove the device of the
    /// replaced slot; `device` joins the vault as `enrol` says (added by `by`).
    #[allow(clippy::too_many_arguments)]
    async fn put_slot(
        &self,
        vault: Hash,
        kind: SlotKind,
        device: PublicKey,
        slot: Vec<u8>,
        by: PublicKey,
        now: u64,
        enrol: Enrolment,
    ) -> StoreResult<PutSlotOutcome>;
    /// The slot whose recovery device is `device`, unless that device was removed.
    async fn slot_for_device(&self, device: PublicKey) -> StoreResult<Option<SlotRecord>>;
    /// Every stored slot of every vault (audits and tests: the kinds must all be high-entropy ones).
    async fn all_slots(&self) -> StoreResult<Vec<SlotRecord>>;
    /// Delete every row that names `vault`, in every table (ops, devices, chunk records, blobs, slots,
    /// and the tables of later features, which name their vault column `vault`), then the vault
    /// itself, overwriting the freed space. Returns false if there was no such vault.
    async fn close_vault(&self, vault: Hash) -> StoreResult<bool>;
    /// Store (or replace) the assisted-recovery set-up; clears failures and any request.
    async fn put_assisted(&self, vault: Hash, row: AssistedRow) -> StoreResult<()>;
    async fn assisted(&self, vault: Hash) -> StoreResult<Option<AssistedRow>>;
    /// Start a new request (replacing any earlier one). False if assisted recovery is not set up.
    async fn start_assisted(&self, vault: Hash, requester: PublicKey, now: u64) -> StoreResult<bool>;
    /// Cancel the current request. False if there is none.
    async fn cancel_assisted(&self, vault: Hash, now: u64) -> StoreResult<bool>;
    /// Count one wrong PIN; returns the failures so far.
    async fn assisted_pin_failed(&self, vault: Hash) -> StoreResult<u32>;
}
