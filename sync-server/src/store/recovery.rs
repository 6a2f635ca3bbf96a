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

/// Assisted recovery of a vault: what the server keeps (never enough to open anything alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssistedRow {
    /// SHA-256 of the client's Argon2id PIN verifier.
    pub pin_hash: [u8; 32],
    /// One Shamir share of three: useless alone.
    pub provider_share: Vec<u8>,
    pub org: Vec<u8>,
    /// JSON list of the organisation's sealed pieces (opaque to the server).
    pub pieces: Vec<u8>,
    /// Wrong PINs of every request of this vault since this PIN was set: they lengthen the delay of
    /// later requests (never a lock: a stranger's guesses must not lock the holder out). Kept when
    /// assisted recovery is set up again with the same PIN.
    pub failures: u32,
}

/// One request of a new phone (its temporary key): each requester has its own, so a stranger's start,
/// wrong PINs or lock never touch the holder's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssistedRequest {
    /// The device (a new phone's temporary key) that started it.
    pub requester: PublicKey,
    pub started_at: u64,
    /// Nothing is released before (the delay, longer after many wrong PINs on this vault).
    pub ready_at: u64,
    /// Cancelled from an enrolled device: for good (a new start of the same requester does not
    /// clear it).
    pub cancelled_at: Option<u64>,
    /// Wrong PINs of this request.
    pub failures: u32,
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
    /// Store (or replace) the assisted-recovery set-up. The vault's wrong-PIN count is cleared only when
    /// the PIN changes (its hash differs); requests are kept (an enrolled device cancels them).
    async fn put_assisted(&self, vault: Hash, row: AssistedRow) -> StoreResult<()>;
    async fn assisted(&self, vault: Hash) -> StoreResult<Option<AssistedRow>>;
    /// Starts `requester`'s request, ready at `ready_at`; an existing request of the same requester is
    /// returned unchanged (a replayed or repeated start restarts nothing and un-cancels nothing).
    /// `None` if assisted recovery is not set up; the flag says whether the request is new.
    async fn start_request(
        &self,
        vault: Hash,
        requester: PublicKey,
        now: u64,
        ready_at: u64,
    ) -> StoreResult<Option<(AssistedRequest, bool)>>;
    /// `requester`'s request for `vault`, if any.
    async fn request(&self, vault: Hash, requester: PublicKey) -> StoreResult<Option<AssistedRequest>>;
    /// Every request of `vault`, newest first (what enrolled devices are told at sync).
    async fn requests(&self, vault: Hash) -> StoreResult<Vec<AssistedRequest>>;
    /// Cancels every open request of `vault`; returns how many there are in all (0: nothing to cancel).
    async fn cancel_requests(&self, vault: Hash, now: u64) -> StoreResult<u64>;
    /// Counts one wrong PIN for `requester`'s request and for the vault; returns both counts.
    async fn request_pin_failed(&self, vault: Hash, requester: PublicKey) -> StoreResult<(u32, u32)>;
    /// After the assisted slot was fetched: the requests that were ready are used up (deleted), so a
    /// later recovery waits for a new request's delay.
    async fn close_ready_requests(&self, vault: Hash, now: u64) -> StoreResult<()>;
}
