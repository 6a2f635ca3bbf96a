//! A lost phone: removed everywhere, the vault moved to a new account key generation, the collection
//! keys rotated and the recovery kit made again (docs/recovery.md §4, docs/adr/0009).

use coffre_sync::protocol::b64;
use coffre_vault::Vault;

use super::kit::{Kit, make_kit};
use crate::error::Result;
use crate::mandate::{self, MandateInfo};
use crate::session::{hex32, session};
use crate::sync_engine::envelope::{CollectionKey, Payload};
use crate::sync_engine::generation;
use crate::sync_engine::{queue_and_sync, remove_device};

/// What removing a lost phone gives the person: the new kit to print (the old one stopped working)
/// and the active mandates to confirm again or revoke.
pub struct LostDeviceRemoved {
    /// The new recovery kit: show its words, print it. The old paper opens nothing any more.
    pub kit: Kit,
    /// Mandates still active (an agent's access does not depend on the lost phone, but the holder
    /// should look).
    pub mandates: Vec<MandateInfo>,
    /// The account key generation the vault is at now.
    pub generation: u32,
}

/// A lost or stolen phone: removes the device (the server refuses it at once, the log records it),
/// moves the vault to a new account key generation (new identity and log keys; the server keeps only
/// the devices that stay, dropping any key the lost phone enrolled; the new ARK is sealed to each
/// staying device), starts a new random generation of every collection key under the new log key,
/// and makes a new recovery kit (and sets assisted recovery up again) holding every generation.
/// Nothing the lost phone holds opens what is written afterwards, and nothing it signs is accepted.
pub fn remove_lost_device(vault: &mut Vault, device_hex: &str) -> Result<LostDeviceRemoved> {
    remove_device(vault, device_hex)?;
    let generation = generation::start(vault, device_hex)?;
    let keys: Vec<CollectionKey> = vault
        .rotate_collection_keys()?
        .into_iter()
        .map(|k| CollectionKey { collection: k.collection, generation: k.generation, key: b64(&*k.key) })
        .collect();
    let collections = u32::try_from(keys.len()).unwrap_or(u32::MAX);
    queue_and_sync(vault, Payload::CollectionKeys { keys })?;
    // The audit trail says so (the keys themselves went in the log, never to this endpoint).
    let removed = hex32(device_hex)?;
    let body = coffre_sync::protocol::recovery::KeysRotated {
        v: coffre_sync::protocol::PROTOCOL_VERSION,
        removed_device: b64(&removed),
        collections,
    };
    session(vault)?.client.report_keys_rotated(&body)?;
    let kit = make_kit(vault)?;
    // Listing is a courtesy: a server without the mandate endpoints must not fail the removal.
    let mandates = mandate::list(vault).map(|l| l.into_iter().filter(|m| m.active).collect()).unwrap_or_default();
    Ok(LostDeviceRemoved { kit, mandates, generation })
}
