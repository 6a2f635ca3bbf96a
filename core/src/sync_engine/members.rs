//! The server's members against the log's certified devices (issue 13 #1). Any enrolled device can add
//! a key on the server without certifying it in the log; such a key would read the log and the chunks
//! while `device list` (the log's view) never shows it. So each sync compares the two views and removes
//! every server member the log does not certify as active (a *stray*), or reports it when the server
//! refuses; and after a removal, the devices the server removed with it (everything the removed device
//! enrolled) leave the log too.
//!
//! Why no race removes an honest device: every flow certifies a device in the log *before* enrolling it
//! on the server (link, recovery kit, assisted recovery, restore). The member list is read *before*
//! the pull that the comparison uses, so any member it lists was already certified in the log pulled.

use std::collections::BTreeSet;

use coffre_sync::SyncError;
use coffre_sync::protocol::unb64_array;
use coffre_vault::Vault;

use super::envelope::Payload;
use super::view::{Writers, key_of};
use super::{SyncReport, WRITERS, exchange, queue_and_sync};
use crate::error::Result;
use crate::session::{Session, get_json, session};

/// What the comparison found: strays removed now, and strays the server refused to remove.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Strays {
    /// Server members the log does not certify, removed by this sync (hex public keys).
    pub removed: Vec<String>,
    /// Strays the server did not let this device remove (hex public keys): shown to the person.
    pub left: Vec<String>,
}

/// The devices the verified log certifies and has not removed (hex public keys).
pub(crate) fn log_active(vault: &Vault) -> Result<BTreeSet<String>> {
    let writers: Writers = get_json(vault, WRITERS)?.unwrap_or_default();
    Ok(writers.into_iter().filter(|(_, span)| span.until_seq.is_none()).map(|(pk, _)| pk).collect())
}

/// The server's members, as (hex key, still enrolled), in the server's order.
pub(crate) fn server_members(s: &Session) -> Result<Vec<(String, bool)>> {
    let listed = s.client.devices()?;
    let mut out = Vec::with_capacity(listed.devices.len());
    for d in listed.devices {
        let pk = unb64_array::<32>(&d.device_pk, "device")
            .map_err(|_| SyncError::Protocol("the server listed a malformed device key".into()))?;
        out.push((key_of(&pk), d.removed_at.is_none()));
    }
    Ok(out)
}

/// Lists the server's members, pulls, and removes every enrolled member the log does not certify as
/// active. A refusal other than "this device was removed" is reported, not fatal: the sync itself
/// went through.
pub(crate) fn remove_strays(vault: &mut Vault, s: &Session, report: &mut SyncReport) -> Result<()> {
    let members = server_members(s)?;
    exchange(vault, s, &[], report)?;
    let certified = log_active(vault)?;
    let me = key_of(&s.device_pk);
    for (pk, enrolled) in members {
        if !enrolled || certified.contains(&pk) || pk == me {
            continue;
        }
        let Ok(raw) = crate::session::hex32(&pk) else { continue };
        match s.client.remove_device(&raw) {
            Ok(()) => report.strays.removed.push(pk),
            Err(SyncError::DeviceRevoked) => return Err(SyncError::DeviceRevoked.into()),
            Err(_) => report.strays.left.push(pk),
        }
    }
    Ok(())
}

/// After this device removed one: every device the server removed along with it (what it enrolled)
/// and that the log still certifies leaves the log too, so every device stops accepting its ops.
/// Returns them (hex public keys).
pub(crate) fn follow_server_removals(vault: &mut Vault) -> Result<Vec<String>> {
    let s = session(vault)?;
    let members = server_members(&s)?;
    let certified = log_active(vault)?;
    let gone: Vec<String> =
        members.into_iter().filter(|(pk, enrolled)| !enrolled && certified.contains(pk)).map(|(pk, _)| pk).collect();
    for device in &gone {
        queue_and_sync(vault, Payload::DeviceRemove { device: device.clone() })?;
    }
    Ok(gone)
}
