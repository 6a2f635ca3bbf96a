//! Who may write to the log, as the verified log says: each device's span of operations, and the
//! certificates (signed by the vault's identity) that put a device there. Shared by the writer view
//! (`view.rs`) and the key generations (`generation.rs`), so neither depends on the other for it.

use super::envelope;
use coffre_crypto::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A device's right to write: from `from_seq` (exclusive) until `until_seq` (exclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriterSpan {
    pub from_seq: u64,
    pub until_seq: Option<u64>,
    /// The device that wrote its certificate (hex), when the log showed it (absent in state kept
    /// before this was recorded, and for the first device): removing a device ends what it added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_by: Option<String>,
}

pub type Writers = BTreeMap<String, WriterSpan>;

pub fn key_of(pk: &[u8; 32]) -> String {
    hex::encode(pk)
}

/// Checks a device certificate signed by the identity key.
pub fn cert_valid(identity: &VerifyingKey, vault: &[u8; 32], device: &[u8; 32], cert_hex: &str) -> bool {
    let Ok(bytes) = hex::decode(cert_hex) else { return false };
    let Ok(arr) = <[u8; 64]>::try_from(bytes.as_slice()) else { return false };
    identity.verify(&envelope::cert_message(vault, device), &Signature::from_bytes(&arr)).is_ok()
}
