//! Which devices may write to the log, as of which operation: the chain verifier asks this view
//! about every op. Devices are certified by the holder identity key inside encrypted ops, so the
//! server can neither add a writer nor hide a removal it has signed into the chain.

use super::envelope::{self, DeviceRole, Payload};
use super::generation::{Keyring, accept_switch};
pub use super::writers::{WriterSpan, Writers, cert_valid, key_of};
use coffre_crypto::SigningKey;
use coffre_sync::{LogView, VerifiedOp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// The account key generations: which log key and identity hold at each op (a `generation` op
    /// switches them).
    pub keyring: Keyring,
    pub vault: [u8; 32],
    /// This device, to open a new generation's ARK sealed to it.
    pub me: &'a SigningKey,
    pub labels: Labels,
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
        let Some(key) = self.keyring.log_key_of(op) else { return };
        let Some(env) = envelope::open(&key, &self.vault, &op.ciphertext) else { return };
        match env.payload {
            Payload::DeviceAdd { device, cert, role, name } => {
                let Ok(bytes) = hex::decode(&device) else { return };
                let Ok(pk) = <[u8; 32]>::try_from(bytes.as_slice()) else { return };
                // Certified by the identity of the generation its writer was at.
                let Some((_, identity)) = self.keyring.identity(self.keyring.generation_of(op)) else { return };
                if !cert_valid(&identity, &self.vault, &pk, &cert) {
                    return;
                }
                // A device may be certified once; again only if a generation switch (not a removal)
                // ended it: a phone linked after a switch was given as a writer from the start, and
                // its certificate under the new identity comes after the switch.
                let reopen = self
                    .writers
                    .get(&device)
                    .is_some_and(|span| span.until_seq.is_some_and(|until| self.keyring.is_switch(until)));
                self.labels.entry(device.clone()).or_insert(DeviceLabel {
                    certified_by: key_of(&op.writer),
                    seq: op.seq,
                    role,
                    name,
                });
                if reopen || !self.writers.contains_key(&device) {
                    let span = WriterSpan { from_seq: op.seq, until_seq: None, added_by: Some(key_of(&op.writer)) };
                    self.writers.insert(device, span);
                }
            }
            Payload::Generation(p) => accept_switch(&mut self.keyring, &mut self.writers, &self.vault, self.me, op, &p),
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
