//! Account key generations (docs/adr/0009-account-key-generations.md). A removed phone keeps the ARK
//! it was given; so removing a lost phone also moves the vault to a new, random ARK whose identity
//! and log keys replace the old ones for everything written afterwards:
//!
//! - the server is told first (`POST …/generation`, signed by the old and the new identity): it
//!   records the new identity, keeps only the listed devices as members and refuses any later switch
//!   signed under an old generation;
//! - a `generation` op, sealed under the *old* log key, names the new identity, re-certifies the
//!   devices that stay (their certificates under the new identity), carries the new ARK sealed to
//!   each of them (X25519 of its device key, as linking seals the ARK to the new phone), and is signed
//!   by the old identity; every writer it does not list stops being one at that op;
//! - every op after it is sealed under the new log key; device certificates after it must verify
//!   under the new identity.
//!
//! The vault's own root key (generation 0) stays the local database's key and the source of the first
//! collection keys; later generations are kept here, inside the encrypted database.

use coffre_crypto::{AccountRootKey, SigningKey, SymmetricKey, VerifyingKey, open_sealed, seal_to};
use coffre_sync::protocol::generation::{GenerationSwitch, generation_message};
use coffre_sync::protocol::{PROTOCOL_VERSION, b64, unb64};
use coffre_sync::{SyncError, VerifiedOp};
use coffre_vault::{Vault, VaultError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use zeroize::Zeroizing;

use super::KIT_DEVICE;
use super::envelope::{self, GenerationPayload, Payload};
use super::writers::{Writers, cert_valid, key_of};
use crate::error::Result;
use crate::session::{get_json, hex32, session, set_json};

/// Vault state key of the generations after the first ([`Stored`]).
pub(crate) const GENERATIONS: &str = "sync.generations";

/// The generations as stored: the ARKs of generations 1.. (hex) and, for each switch the verified log
/// showed, the seq of its op.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Stored {
    v: u32,
    later: Vec<String>,
    switches: Vec<u64>,
}

impl Drop for Stored {
    fn drop(&mut self) {
        self.later.iter_mut().for_each(zeroize::Zeroize::zeroize);
    }
}

/// Every account key generation this device holds, oldest first, and where the log switched.
#[derive(Clone)]
pub(crate) struct Keyring {
    arks: Vec<AccountRootKey>,
    /// `switches[i]` is the seq of the op that started generation `i + 1`.
    switches: Vec<u64>,
}

impl Keyring {
    /// Generation 0 only (a vault that never switched), or every generation given (a new phone, from a
    /// grant or a slot: the switches are learnt while verifying the log).
    pub(crate) fn from_arks(arks: Vec<AccountRootKey>) -> Keyring {
        Keyring { arks, switches: Vec::new() }
    }

    pub(crate) fn load(vault: &Vault) -> Result<Keyring> {
        let stored: Stored = get_json(vault, GENERATIONS)?.unwrap_or_default();
        let mut arks = vec![vault.root_key().clone()];
        for hex_ark in &stored.later {
            arks.push(AccountRootKey::from_bytes(hex32(hex_ark)?));
        }
        if stored.switches.len() >= arks.len() {
            return Err(VaultError::Corrupt { what: "key generations".into() }.into());
        }
        Ok(Keyring { arks, switches: stored.switches.clone() })
    }

    pub(crate) fn save(&self, vault: &mut Vault) -> Result<()> {
        let later = self.arks.iter().skip(1).map(|a| hex::encode(a.as_bytes())).collect();
        let stored = Stored { v: 1, later, switches: self.switches.clone() };
        set_json(vault, GENERATIONS, &stored)
    }

    /// The generation new ops are written under: the last one the verified log switched to.
    pub(crate) fn current(&self) -> u32 {
        u32::try_from(self.switches.len()).unwrap_or(u32::MAX)
    }

    /// The generation in force just after the op at `seq` (switches at or before it).
    fn generation_after(&self, seq: u64) -> usize {
        self.switches.iter().filter(|&&s| s <= seq).count()
    }

    /// The generation `op` was written under: the one its writer was at, i.e. in force after the head
    /// it had verified (`seen`). A device that had not pulled a switch yet when it wrote still sealed
    /// under the old key; its next ops, written after it verified the switch, are under the new one.
    /// (The writer's right to write is checked by seq: a writer the switch ended is refused anyway.)
    pub(crate) fn generation_of(&self, op: &VerifiedOp) -> usize {
        self.generation_after(op.seen.seq.min(op.seq.saturating_sub(1)))
    }

    /// The log key of `op`; `None` past a switch whose ARK this device never got.
    pub(crate) fn log_key_of(&self, op: &VerifiedOp) -> Option<SymmetricKey> {
        self.arks.get(self.generation_of(op)).map(envelope::log_key)
    }

    /// Whether the op at `seq` switched generations.
    pub(crate) fn is_switch(&self, seq: u64) -> bool {
        self.switches.contains(&seq)
    }

    /// The log key new ops are sealed under.
    pub(crate) fn current_log_key(&self) -> SymmetricKey {
        envelope::log_key(&self.arks[self.switches.len()])
    }

    /// The identity of generation `g` (generation 0 is the one the vault id names).
    pub(crate) fn identity(&self, g: usize) -> Option<(SigningKey, VerifyingKey)> {
        let ark = self.arks.get(g)?;
        let sk = ark.derive_identity(u32::try_from(g).ok()?).signing;
        let pk = sk.verifying_key();
        Some((sk, pk))
    }

    /// The identity new certificates are signed with.
    pub(crate) fn current_identity(&self) -> (SigningKey, VerifyingKey) {
        self.identity(self.switches.len()).unwrap_or_else(|| unreachable_identity(&self.arks[0]))
    }

    /// The identity of the newest generation held (a new phone checks its grant with it).
    pub(crate) fn newest_identity(&self) -> (SigningKey, VerifyingKey) {
        self.identity(self.arks.len() - 1).unwrap_or_else(|| unreachable_identity(&self.arks[0]))
    }

    /// The generations in force, oldest first: what a recovery slot or a linking grant carries.
    pub(crate) fn arks_in_force(&self) -> &[AccountRootKey] {
        &self.arks[..=self.switches.len()]
    }

    /// Certifies `device` as a writer under the current identity.
    pub(crate) fn certify(&self, vault: &[u8; 32], device: &[u8; 32]) -> String {
        hex::encode(self.current_identity().0.sign(&envelope::cert_message(vault, device)).to_bytes())
    }
}

/// Generation 0's identity: `identity(g)` only fails for a generation past the ones held, which
/// `current`/`newest` never ask.
fn unreachable_identity(ark: &AccountRootKey) -> (SigningKey, VerifyingKey) {
    let sk = ark.derive_identity(0).signing;
    let pk = sk.verifying_key();
    (sk, pk)
}

fn sealed_aad(vault: &[u8; 32], generation: u32, device: &[u8; 32]) -> Vec<u8> {
    [b"coffre/v1/generation-ark".as_slice(), vault, &generation.to_be_bytes(), device].concat()
}

/// A `generation` op met while verifying the log (as the view's `accept`): checks it and, if this
/// device gets the new ARK, records the switch and ends every writer it does not list. A switch this
/// device cannot follow (not signed by the generation in force, an identity that its ARK does not
/// give, no ARK for this device) records nothing: the ops after it then do not open and the sync
/// stops with "tampered".
pub(crate) fn accept_switch(
    keyring: &mut Keyring,
    writers: &mut Writers,
    vault: &[u8; 32],
    me: &SigningKey,
    op: &VerifiedOp,
    p: &GenerationPayload,
) {
    let g = keyring.generation_of(op);
    if g != keyring.switches.len() || u32::try_from(g + 1).ok() != Some(p.generation) {
        return;
    }
    let Some((_, old_identity)) = keyring.identity(g) else { return };
    let Ok(new_pk) = hex32(&p.identity) else { return };
    let mut listed = Vec::with_capacity(p.devices.len());
    for pk in p.devices.keys() {
        let Ok(pk) = hex32(pk) else { return };
        listed.push(pk);
    }
    let message = generation_message(vault, p.generation, &new_pk, &listed);
    let Ok(sig) = hex::decode(&p.sig) else { return };
    let Ok(sig) = coffre_crypto::Signature::from_slice(&sig) else { return };
    if old_identity.verify(&message, &sig).is_err() {
        return;
    }
    let me_pk = me.verifying_key().to_bytes();
    let ark = match keyring.arks.get(g + 1) {
        Some(ark) => ark.clone(),
        None => {
            let Some(sealed) = p.sealed.get(&key_of(&me_pk)).and_then(|s| unb64(s, "sealed").ok()) else { return };
            let aad = sealed_aad(vault, p.generation, &me_pk);
            let Ok(plain) = open_sealed(&me.to_exchange_secret(), &sealed, &aad) else { return };
            let Ok(bytes) = <[u8; 32]>::try_from(plain.as_slice()) else { return };
            AccountRootKey::from_bytes(bytes)
        }
    };
    if ark.derive_identity(p.generation).signing.verifying_key().to_bytes() != new_pk {
        return;
    }
    let Ok(new_identity) = VerifyingKey::from_bytes(&new_pk) else { return };
    if keyring.arks.len() == g + 1 {
        keyring.arks.push(ark);
    }
    keyring.switches.push(op.seq);
    for (pk, span) in writers.iter_mut() {
        let stays = p
            .devices
            .get(pk)
            .is_some_and(|cert| hex32(pk).is_ok_and(|device| cert_valid(&new_identity, vault, &device, cert)));
        if !stays && span.until_seq.is_none() {
            span.until_seq = Some(op.seq);
        }
    }
}

/// Writers that stay after removing `removed`: every current writer except it, the kit's recovery
/// device (the kit is made again right after) and every device it added, directly or through others.
fn staying(writers: &Writers, removed: &str, kit_device: Option<&str>) -> BTreeSet<String> {
    let mut gone: BTreeSet<String> = [removed.to_string()].into();
    loop {
        let more: Vec<String> = writers
            .iter()
            .filter(|(pk, span)| !gone.contains(*pk) && span.added_by.as_ref().is_some_and(|by| gone.contains(by)))
            .map(|(pk, _)| pk.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        gone.extend(more);
    }
    writers
        .iter()
        .filter(|(pk, span)| span.until_seq.is_none() && !gone.contains(*pk) && Some(pk.as_str()) != kit_device)
        .map(|(pk, _)| pk.clone())
        .collect()
}

/// Moves the vault to a new account key generation after `removed` (hex) was removed: the server
/// first (only the staying devices remain members), then the `generation` op. Returns the new
/// generation. A new ARK is kept (inside the encrypted database) before anything is sent, so a retry
/// after a cut re-sends the same switch.
pub(crate) fn start(vault: &mut Vault, removed: &str) -> Result<u32> {
    let s = session(vault)?;
    let mut keyring = Keyring::load(vault)?;
    let g = keyring.switches.len();
    let generation = u32::try_from(g + 1).map_err(|_| VaultError::InvalidInput("too many key generations".into()))?;
    if keyring.arks.len() == g + 1 {
        keyring.arks.push(AccountRootKey::generate());
        keyring.save(vault)?;
    }
    let new_ark = keyring.arks[g + 1].clone();
    let writers: Writers = get_json(vault, super::WRITERS)?.unwrap_or_default();
    let kit_device: Option<String> = get_json(vault, KIT_DEVICE)?;
    let mut keep = staying(&writers, removed, kit_device.as_deref());
    keep.insert(key_of(&s.device_pk));
    let keep_pks: Vec<[u8; 32]> = keep.iter().map(|pk| hex32(pk)).collect::<Result<_>>()?;

    let (old_sk, _) = keyring.current_identity();
    let new_sk = new_ark.derive_identity(generation).signing;
    let new_pk = new_sk.verifying_key().to_bytes();
    let message = generation_message(&s.vault_hash, generation, &new_pk, &keep_pks);
    let previous_sig = old_sk.sign(&message).to_bytes();
    s.client.switch_generation(&GenerationSwitch {
        v: PROTOCOL_VERSION,
        generation,
        identity_pk: b64(&new_pk),
        devices: keep_pks.iter().map(|d| b64(d)).collect(),
        previous_sig: b64(&previous_sig),
        identity_sig: b64(&new_sk.sign(&message).to_bytes()),
    })?;

    let ark_bytes = Zeroizing::new(*new_ark.as_bytes());
    let mut devices = BTreeMap::new();
    let mut sealed = BTreeMap::new();
    for pk in &keep_pks {
        let cert = hex::encode(new_sk.sign(&envelope::cert_message(&s.vault_hash, pk)).to_bytes());
        devices.insert(key_of(pk), cert);
        if *pk != s.device_pk {
            let to = VerifyingKey::from_bytes(pk).map_err(|_| VaultError::Corrupt { what: "device key".into() })?;
            let box_ = seal_to(&to.to_exchange_public(), &*ark_bytes, &sealed_aad(&s.vault_hash, generation, pk))
                .map_err(|_| VaultError::Corrupt { what: "device key".into() })?;
            sealed.insert(key_of(pk), b64(&box_));
        }
    }
    let payload = GenerationPayload {
        generation,
        identity: hex::encode(new_pk),
        devices,
        sealed,
        sig: hex::encode(previous_sig),
    };
    super::queue_and_sync(vault, Payload::Generation(payload))?;
    if Keyring::load(vault)?.current() != generation {
        return Err(SyncError::Tampered { what: "key generation switch not in the log", seq: None }.into());
    }
    Ok(generation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync_engine::view::WriterSpan;

    fn span(added_by: Option<&str>, until: Option<u64>) -> WriterSpan {
        WriterSpan { from_seq: 0, until_seq: until, added_by: added_by.map(str::to_string) }
    }

    /// A `generation` payload as `start` writes it: `devices` stay, the new ARK sealed to each.
    fn switch_payload(
        vault: &[u8; 32],
        signer: &SigningKey,
        new_ark: &AccountRootKey,
        announced: &VerifyingKey,
        devices: &[&SigningKey],
    ) -> GenerationPayload {
        let pks: Vec<[u8; 32]> = devices.iter().map(|d| d.verifying_key().to_bytes()).collect();
        let new_sk = new_ark.derive_identity(1).signing;
        let message = generation_message(vault, 1, announced.as_bytes(), &pks);
        let mut certs = BTreeMap::new();
        let mut sealed = BTreeMap::new();
        for pk in &pks {
            certs.insert(key_of(pk), hex::encode(new_sk.sign(&envelope::cert_message(vault, pk)).to_bytes()));
            let to = VerifyingKey::from_bytes(pk).expect("key").to_exchange_public();
            let sealed_ark = seal_to(&to, new_ark.as_bytes(), &sealed_aad(vault, 1, pk)).expect("seal");
            sealed.insert(key_of(pk), b64(&sealed_ark));
        }
        GenerationPayload {
            generation: 1,
            identity: hex::encode(announced.as_bytes()),
            devices: certs,
            sealed,
            sig: hex::encode(signer.sign(&message).to_bytes()),
        }
    }

    #[test]
    fn a_switch_is_followed_only_when_the_old_identity_signed_it_and_the_sealed_ark_gives_its_identity() {
        let vault = [5u8; 32];
        let ark0 = AccountRootKey::generate();
        let identity0 = ark0.derive_identity(0).signing;
        let (me, tablet, hidden) = (SigningKey::generate(), SigningKey::generate(), SigningKey::generate());
        let writers: Writers =
            [&me, &tablet, &hidden].iter().map(|k| (key_of(&k.verifying_key().to_bytes()), span(None, None))).collect();
        let new_ark = AccountRootKey::generate();
        let new_pk = new_ark.derive_identity(1).signing.verifying_key();
        let follow = |p: &GenerationPayload| {
            let mut keyring = Keyring::from_arks(vec![ark0.clone()]);
            let mut w = writers.clone();
            accept_switch(&mut keyring, &mut w, &vault, &me, &op(7, 6), p);
            (keyring, w)
        };
        // Signed by someone else than generation 0's identity: ignored.
        let forged = switch_payload(&vault, &SigningKey::generate(), &new_ark, &new_pk, &[&me, &tablet]);
        assert_eq!(follow(&forged).0.current(), 0);
        // An announced identity that the sealed ARK does not give: ignored.
        let other_pk = SigningKey::generate().verifying_key();
        let lying = switch_payload(&vault, &identity0, &new_ark, &other_pk, &[&me, &tablet]);
        assert_eq!(follow(&lying).0.current(), 0);
        // Not sealed to this device (it was left out): nothing recorded, later payloads do not open.
        let without_me = switch_payload(&vault, &identity0, &new_ark, &new_pk, &[&tablet]);
        let (keyring, _) = follow(&without_me);
        assert_eq!(keyring.current(), 0);
        // The real one: followed; the writer it does not list stops at it, the listed ones stay.
        let real = switch_payload(&vault, &identity0, &new_ark, &new_pk, &[&me, &tablet]);
        let (keyring, w) = follow(&real);
        assert_eq!((keyring.current(), keyring.switches.clone()), (1, vec![7]));
        assert!(keyring.current_log_key() == envelope::log_key(&new_ark));
        assert_eq!(w[&key_of(&hidden.verifying_key().to_bytes())].until_seq, Some(7));
        assert_eq!(w[&key_of(&tablet.verifying_key().to_bytes())].until_seq, None);
        assert_eq!(w[&key_of(&me.verifying_key().to_bytes())].until_seq, None);
    }

    #[test]
    fn what_the_removed_device_added_goes_with_it_even_through_others() {
        let writers: Writers = [
            ("first".to_string(), span(None, None)),
            ("lost".to_string(), span(Some("first"), None)),
            ("hidden".to_string(), span(Some("lost"), None)),
            ("hidden2".to_string(), span(Some("hidden"), None)),
            ("kit".to_string(), span(Some("first"), None)),
            ("tablet".to_string(), span(Some("first"), None)),
            ("old".to_string(), span(Some("first"), Some(3))),
        ]
        .into();
        let keep = staying(&writers, "lost", Some("kit"));
        assert_eq!(keep, ["first".to_string(), "tablet".to_string()].into());
    }

    fn op(seq: u64, seen: u64) -> VerifiedOp {
        let seen = coffre_sync::protocol::ChainPoint { seq: seen, hash: [0; 32] };
        VerifiedOp { seq, hash: [0; 32], writer: [1; 32], counter: 1, seen, ciphertext: Vec::new() }
    }

    #[test]
    fn an_op_written_after_its_writer_saw_a_switch_takes_the_new_log_key() {
        let mut keyring = Keyring::from_arks(vec![AccountRootKey::generate(), AccountRootKey::generate()]);
        assert_eq!(keyring.current(), 0);
        keyring.switches.push(10);
        let old = envelope::log_key(&keyring.arks[0]);
        let new = envelope::log_key(&keyring.arks[1]);
        // The switch op itself, and an op by a device that had not pulled it yet, are under the old key.
        assert!(keyring.log_key_of(&op(10, 9)) == Some(old.clone()));
        assert!(keyring.log_key_of(&op(12, 8)) == Some(old));
        // Written after the writer verified the switch: the new key.
        assert!(keyring.log_key_of(&op(11, 10)) == Some(new.clone()));
        assert!(keyring.current_log_key() == new);
        assert_eq!(keyring.current(), 1);
        assert_eq!(keyring.arks_in_force().len(), 2);
    }
}
