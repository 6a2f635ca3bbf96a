//! A lost phone: removed everywhere, and the collection keys rotated (docs/recovery.md §4).

use coffre_sync::protocol::b64;
use coffre_vault::Vault;

use crate::error::Result;
use crate::mandate::{self, MandateInfo};
use crate::session::{hex32, session};
use crate::sync_engine::envelope::{CollectionKey, Payload};
use crate::sync_engine::{queue_and_sync, remove_device};

/// A lost phone: removes the device (the server refuses it at once, the log records it), starts a
/// new random generation of every collection key (documents added afterwards are wrapped under keys
/// the lost phone never held; earlier ones keep opening) and sends it to the other devices in the log,
/// then returns the active mandates, for the holder to confirm again or revoke (an agent's access does
/// not depend on the lost phone, but the holder should look). See docs/recovery.md §4 for what this
/// protects and what still needs a new ARK.
pub fn remove_lost_device(vault: &mut Vault, device_hex: &str) -> Result<Vec<MandateInfo>> {
    remove_device(vault, device_hex)?;
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
    // Listing is a courtesy: a server without the mandate endpoints must not fail the removal.
    Ok(mandate::list(vault).map(|l| l.into_iter().filter(|m| m.active).collect()).unwrap_or_default())
}
