//! Which devices may write to the log, as of which operation: the chain verifier asks this view
//! about every op. Devices are certified by the holder identity key inside encrypted ops, so the
//! server can neither add a writer nor hide a removal it has signed into the chain.

use super::envelope::{self, DeviceRole, Payload};
use coffre_crypto::{Signature, SymmetricKey, VerifyingKey};
use coffre_sync::{LogView, VerifiedOp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A device's right to write: from `from_seq` (exclusive) until `until_seq` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriterSpan {
    pub from_seq: u64,
    pub until_seq: Option<u64>,
}

pub type Writers = BTreeMap<String, WriterSpan>;

/// What the log says of a certified device, for `device list`: who certified it (the op's writer),
/// when (its seq), and the role and name its certificate carries (absent in older ops).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceLabel {
    pub certified_by: String,
    pub seq: u64,
    #[serde(default)]
    pub role: Option<DeviceRole>,
    #[serde(default)]
    pub name: Option<String>,
}

/// Labels by device (hex public key).
pub type Labels = BTreeMap<String, DeviceLabel>;

pub struct WriterView<'a> {
    pub writers: Writers,
    pub hashes: BTreeMap<u64, [u8; 32]>,
    pub log_key: &'a SymmetricKey,
    pub vault: [u8; 32],
    pub identity: VerifyingKey,
    pub labels: Labels,
}

pub fn key_of(pk: &[u8; 32]) -> String {
    hex::encode(pk)
}

/// Checks a device certificate signed by the identity key.
pub fn cert_valid(identity: &VerifyingKey, vault: &[u8; 32], device: &[u8; 32], cert_hex: &str) -> bool {
    let Ok(bytes) = hex::decode(cert_hex) else { return false };
    let Ok(arr) = <[u8; 64]>::try_from(bytes.as_slice()) else { return false };
    identity.verify(&envelope::cert_message(vault, device), &Signature::from_bytes(&arr)).is_ok()
}

impl LogView for WriterView<'_> {
    fn is_writer(&self, writer: &[u8; 32], seq: u64) -> bool {
        self.writers
            .get(&key_of(writer))
            .is_some_and(|span| seq > span.from_seq && span.until_seq.is_none_or(|until| seq < until))
    }

    fn hash_at(&self, seq: u64) -> Option<[u8; 32]> {
        self.hashes.get(&seq).copied()
    }

    fn accept(&mut self, op: &VerifiedOp) {
        self.hashes.insert(op.seq, op.hash);
        let Some(env) = envelope::open(self.log_key, &self.vault, &op.ciphertext) else { return };
        match env.payload {
            Payload::DeviceAdd { device, cert, role, name } => {
                let Ok(bytes) = hex::decode(&device) else { return };
                let Ok(pk) = <[u8; 32]>::try_from(bytes.as_slice()) else { return };
                if !cert_valid(&self.identity, &self.vault, &pk, &cert) {
                    return;
                }
                self.labels.entry(device.clone()).or_insert(DeviceLabel {
                    certified_by: key_of(&op.writer),
                    seq: op.seq,
                    role,
                    name,
                });
                self.writers.entry(device).or_insert(WriterSpan { from_seq: op.seq, until_seq: None });
            }
            Payload::DeviceRemove { device } => {
                if let Some(span) = self.writers.get_mut(&device)
                    && span.until_seq.is_none()
                {
                    span.until_seq = Some(op.seq);
                }
            }
            Payload::Vault { .. } | Payload::CollectionKeys { .. } => {}
        }
    }
}
