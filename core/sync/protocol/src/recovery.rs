//! Wire types of recovery and closure (DESIGN.md §6, `docs/recovery.md`): the recovery-code slot and
//! the server-signed receipt of a vault's closure.

use serde::{Deserialize, Serialize};

use crate::{Hash, PROTOCOL_VERSION, ProtocolError, PublicKey, VaultId, b64, sign, unb64_array, verify_sig};

const CLOSED_LABEL: &[u8] = b"coffre-closed-v1";

/// Version byte of a recovery slot. Slot layout: `version(1)=1 || kind(1) || wrapped ARK(73)`.
pub const SLOT_VERSION: u8 = 1;
/// Length of every slot.
pub const SLOT_LEN: usize = 75;
/// Slot kinds the server accepts. Both are keys derived from HIGH-entropy secrets: 1 = the 128-bit
/// recovery code, 2 = the 256-bit assisted-recovery key. There is deliberately no kind for a PIN or a
/// passphrase: the server refuses any slot whose kind is not listed here.
pub const SLOT_KINDS: &[(u8, &str)] = &[(1, "code"), (2, "assisted")];

/// Version byte of a slot holding every account key generation (after a lost phone was removed:
/// docs/adr/0009). Layout: `version(1)=2 || kind(1) || n(1) || sealed(1 + 24 + 32·n + 16)`.
pub const SLOT_KEYRING_VERSION: u8 = 2;
/// Generations a version-2 slot may hold (at least two: one alone is a version-1 slot).
pub const SLOT_KEYRING_GENERATIONS: std::ops::RangeInclusive<usize> = 2..=64;

/// The name of a slot's kind, if the slot is well-formed and of an accepted kind.
pub fn slot_kind(slot: &[u8]) -> Option<&'static str> {
    let well_formed = match slot.first() {
        Some(&SLOT_VERSION) => slot.len() == SLOT_LEN,
        Some(&SLOT_KEYRING_VERSION) => slot.get(2).is_some_and(|&n| {
            SLOT_KEYRING_GENERATIONS.contains(&usize::from(n)) && slot.len() == 3 + 41 + 32 * usize::from(n)
        }),
        _ => false,
    };
    if !well_formed {
        return None;
    }
    SLOT_KINDS.iter().find(|(k, _)| *k == slot[1]).map(|(_, name)| *name)
}

/// `PUT /v1/vaults/{vault}/recovery/code`, from an enrolled device: store the code slot and enrol
/// the recovery device derived from the code (the previous one is removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeSlotPut {
    pub v: u32,
    /// The recovery device's Ed25519 public key, base64url.
    pub device_pk: String,
    /// The slot, base64url.
    pub slot: String,
}

/// Answer to [`CodeSlotPut`]: the recovery device it replaced, if any (to remove from the log too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeSlotPutResponse {
    pub v: u32,
    pub replaced: Option<String>,
}

/// `GET /v1/recovery/code`, signed by the recovery device: where its vault is and the slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeSlotResponse {
    pub v: u32,
    /// hex
    pub vault: String,
    /// base64url
    pub server_pk: String,
    /// base64url
    pub slot: String,
}

/// `"coffre-closed-v1" || vault || closed_at(be64)`, signed by the server key.
pub fn closure_message(vault: &Hash, closed_at: u64) -> Vec<u8> {
    [CLOSED_LABEL, vault.as_slice(), &closed_at.to_be_bytes()].concat()
}

/// The server's signed statement that it deleted everything of `vault` at `closed_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosureReceipt {
    pub v: u32,
    /// hex
    pub vault: String,
    /// Unix seconds, server clock.
    pub closed_at: u64,
    /// base64url Ed25519 signature by the server key over [`closure_message`].
    pub sig: String,
}

impl ClosureReceipt {
    pub fn sign(sk: &coffre_crypto::SigningKey, vault: &Hash, closed_at: u64) -> ClosureReceipt {
        ClosureReceipt {
            v: PROTOCOL_VERSION,
            vault: VaultId::from(*vault).to_string(),
            closed_at,
            sig: b64(&sign(sk, &closure_message(vault, closed_at))),
        }
    }

    /// Checks the server signature and that the receipt names `vault`.
    pub fn verify(&self, server_pk: &PublicKey, vault: &Hash) -> Result<(), ProtocolError> {
        if self.v != PROTOCOL_VERSION {
            return Err(ProtocolError::Version(self.v));
        }
        if VaultId::parse(&self.vault)?.as_bytes() != vault {
            return Err(ProtocolError::Signature);
        }
        let sig: [u8; 64] = unb64_array(&self.sig, "receipt sig")?;
        verify_sig(server_pk, &closure_message(vault, self.closed_at), &sig)
    }
}

// ---------------------------------------------------------------------------------------------------
// Assisted recovery (docs/recovery.md §3)

/// One organisation agent's piece of the organisation share, sealed to the agent's X25519 key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedPiece {
    /// The agent's X25519 public key, base64url.
    pub agent: String,
    /// base64url
    pub piece: String,
}

/// `PUT /v1/vaults/{vault}/recovery/assisted`, from an enrolled device: the assisted slot (kind 2),
/// its recovery device, the PIN verifier, the provider share and the organisation's sealed pieces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistedPut {
    pub v: u32,
    pub device_pk: String,
    pub slot: String,
    /// base64url of the 32-byte Argon2id PIN verifier (the server stores its SHA-256 only).
    pub pin_verifier: String,
    pub provider_share: String,
    /// The chosen organisation's public key, base64url (shown in the audit trail).
    pub org: String,
    pub org_pieces: Vec<SealedPiece>,
}

/// State of an assisted-recovery request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistedStatus {
    pub v: u32,
    pub started_at: u64,
    /// Nothing is released before this time (Unix seconds).
    pub ready_at: u64,
    pub cancelled: bool,
    pub locked: bool,
}

/// One assisted-recovery request, as enrolled devices are told at sync
/// (`GET /v1/vaults/{vault}/recovery/assisted`): each new phone that starts one has its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistedRequestInfo {
    /// The new phone's temporary key, base64url.
    pub requester: String,
    pub started_at: u64,
    /// Nothing is released before this time (Unix seconds).
    pub ready_at: u64,
    pub cancelled: bool,
    /// Too many wrong PINs on this request: it releases nothing (other requests are not affected).
    pub locked: bool,
}

/// `GET /v1/vaults/{vault}/recovery/assisted`: every request of the vault, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistedRequests {
    pub v: u32,
    pub requests: Vec<AssistedRequestInfo>,
}

/// `POST /v1/recovery/assisted/{vault}/release`, signed by the device that started the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistedRelease {
    pub v: u32,
    pub pin_verifier: String,
}

/// What the release gives: the provider share and the organisation's sealed pieces (to take to
/// two agents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistedShares {
    pub v: u32,
    pub provider_share: String,
    pub org: String,
    pub org_pieces: Vec<SealedPiece>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn slot_kinds() {
        let mut slot = vec![0u8; SLOT_LEN];
        slot[0] = 1;
        slot[1] = 1;
        assert_eq!(slot_kind(&slot), Some("code"));
        slot[1] = 2;
        assert_eq!(slot_kind(&slot), Some("assisted"));
        slot[1] = 3;
        assert_eq!(slot_kind(&slot), None);
        slot[1] = 1;
        slot[0] = 2;
        assert_eq!(slot_kind(&slot), None);
        assert_eq!(slot_kind(&[1, 1]), None);
        // Version 2 (every key generation): its length follows its count, at least two.
        let mut keyring = vec![0u8; 3 + 41 + 32 * 2];
        keyring[..3].copy_from_slice(&[2, 1, 2]);
        assert_eq!(slot_kind(&keyring), Some("code"));
        keyring[1] = 2;
        assert_eq!(slot_kind(&keyring), Some("assisted"));
        keyring[2] = 3;
        assert_eq!(slot_kind(&keyring), None);
        keyring[2] = 1;
        keyring.truncate(3 + 41 + 32);
        assert_eq!(slot_kind(&keyring), None);
    }

    #[test]
    fn receipt_verifies_and_binds_vault() {
        let sk = coffre_crypto::SigningKey::from_bytes([4; 32]);
        let pk = sk.verifying_key().to_bytes();
        let r = ClosureReceipt::sign(&sk, &[1; 32], 1_700_000_000);
        r.verify(&pk, &[1; 32]).unwrap();
        assert!(r.verify(&pk, &[2; 32]).is_err());
        let mut later = r.clone();
        later.closed_at += 1;
        assert!(later.verify(&pk, &[1; 32]).is_err());
        assert_eq!(
            hex::encode(closure_message(&[1; 32], 1)),
            format!("{}{}{}", hex::encode(b"coffre-closed-v1"), "01".repeat(32), "0000000000000001")
        );
    }
}

/// `POST /v1/vaults/{vault}/recovery/keys-rotated`, from an enrolled device: after removing a lost
/// device it rotated the collection keys (the keys themselves travel in the op log, never here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysRotated {
    pub v: u32,
    /// The removed device's Ed25519 key, base64url.
    pub removed_device: String,
    /// How many collection keys got a new generation.
    pub collections: u32,
}
