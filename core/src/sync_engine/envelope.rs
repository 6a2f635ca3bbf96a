//! What travels in an op's payload, encrypted under the log key (HKDF(ARK, "log"), of the account key
//! generation in force at that op): a vault op with the chunk lists of its blobs, a device certificate
//! or removal, new collection keys, or a switch to a new generation. The server sees only padded
//! ciphertext. A device of an older version meets an unknown kind as a payload that does not open.

use coffre_crypto::{AccountRootKey, SymmetricKey, open_symmetric, seal_symmetric};
use coffre_sync::BlobRef;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const ENVELOPE_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payload {
    /// A document change from the vault's outbox, with where its blobs' chunks are.
    Vault { op: serde_json::Value, blobs: BTreeMap<String, BlobRef> },
    /// A device allowed to write, certified by the holder identity key (derived from the ARK). `role`
    /// and `name` (for `device list`) were added later: absent in older ops, ignored by older readers.
    DeviceAdd {
        device: String,
        cert: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<DeviceRole>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// A device removed (lost phone): its later ops are refused.
    DeviceRemove { device: String },
    /// New collection-key generations (after a lost phone was removed), for the holder's other
    /// devices; inside the payload, so under the log key like everything else.
    CollectionKeys { keys: Vec<CollectionKey> },
    /// A new account key generation (after a lost phone was removed): under the old log key, every
    /// op after it under the new one (`super::generation`).
    Generation(GenerationPayload),
}

/// What a certified device is for, as its certificate says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceRole {
    /// A phone or computer the holder uses.
    Device,
    /// The device derived from the recovery kit's code.
    RecoveryKit,
    /// The device derived from the assisted-recovery key.
    AssistedRecovery,
}

/// One new collection-key generation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CollectionKey {
    pub collection: String,
    pub generation: u32,
    /// base64url of the 32-byte key.
    pub key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    pub v: u32,
    #[serde(flatten)]
    pub payload: Payload,
}

pub fn log_key(ark: &AccountRootKey) -> SymmetricKey {
    ark.derive_log_key()
}

fn aad(vault: &[u8; 32]) -> Vec<u8> {
    [b"coffre-op-payload-v1".as_slice(), vault].concat()
}

pub fn seal(key: &SymmetricKey, vault: &[u8; 32], env: &Envelope) -> Vec<u8> {
    let json = serde_json::to_vec(env).unwrap_or_default();
    seal_symmetric(key, &json, &aad(vault))
}

/// Decrypts and parses a payload; `None` when it does not open (not ours, or tampered).
pub fn open(key: &SymmetricKey, vault: &[u8; 32], ciphertext: &[u8]) -> Option<Envelope> {
    let plain = open_symmetric(key, ciphertext, &aad(vault)).ok()?;
    let env: Envelope = serde_json::from_slice(&plain).ok()?;
    (env.v == ENVELOPE_VERSION).then_some(env)
}

/// The message the identity key signs to certify a device.
pub fn cert_message(vault: &[u8; 32], device: &[u8; 32]) -> Vec<u8> {
    [b"coffre-device-cert-v1".as_slice(), vault, device].concat()
}

/// The `generation` op's payload (under the old log key: nothing in it opens anything new).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GenerationPayload {
    /// The new generation.
    pub generation: u32,
    /// Its identity public key, hex.
    pub identity: String,
    /// The devices that stay writers: public key hex -> certificate under the new identity, hex.
    pub devices: std::collections::BTreeMap<String, String>,
    /// The new ARK sealed to each staying device but the sender: public key hex -> base64url.
    pub sealed: std::collections::BTreeMap<String, String>,
    /// The old identity's signature of the generation message (`coffre-generation-v1`, the same the
    /// server checks), hex.
    pub sig: String,
}
