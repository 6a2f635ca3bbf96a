//! Restoring a vault on a new phone from a recovery secret alone (the kit's code, or the assisted key
//! rebuilt from two shares): fetch the slot as the recovery device, open the ARK, check it is this
//! vault's, rebuild the vault from the log, certify a fresh device.

use std::path::Path;

use coffre_recovery::assisted::AssistedKey;
use coffre_recovery::{RecoveryCode, SlotKind, device_seed, unwrap_arks};
use coffre_sync::protocol::{unb64_array, vault_id};
use coffre_sync::{BlockingClient, CancelToken, ChainState, OpDraft, SyncError};
use coffre_vault::{CreateOptions, Vault};

use super::closure::shred_local;
use crate::error::{EngineError, Result};
use crate::session::{Config, Session};
use crate::sync_engine::envelope::{self, DeviceRole, ENVELOPE_VERSION, Envelope, Payload};
use crate::sync_engine::generation::Keyring;
use crate::sync_engine::view::{WriterSpan, Writers, key_of};
use crate::sync_engine::{SyncOptions, SyncReport, begin, exchange, identity, load_chain, sync};

/// Rebuilds the vault on a new device from the recovery code alone, in `dir`, under a new local
/// passphrase. Every document's metadata comes back and every page is downloaded.
pub fn recover_with_code(
    server_url: &str,
    code: &RecoveryCode,
    dir: &Path,
    passphrase: &[u8],
    platform_secret: Option<&[u8; 32]>,
) -> Result<Vault> {
    recover_with_secret(server_url, SlotKind::Code, code.as_bytes(), dir, passphrase, platform_secret)
}

/// Like [`recover_with_code`], with the assisted key rebuilt from two Shamir shares. The server
/// hands the slot over only once a request is past its delay and was not cancelled.
pub fn recover_with_assisted_key(
    server_url: &str,
    key: &AssistedKey,
    dir: &Path,
    passphrase: &[u8],
    platform_secret: Option<&[u8; 32]>,
) -> Result<Vault> {
    recover_with_secret(server_url, SlotKind::Assisted, key.as_bytes(), dir, passphrase, platform_secret)
}

fn recover_with_secret(
    server_url: &str,
    kind: SlotKind,
    secret: &[u8],
    dir: &Path,
    passphrase: &[u8],
    platform_secret: Option<&[u8; 32]>,
) -> Result<Vault> {
    let recovery = coffre_crypto::SigningKey::from_bytes(*device_seed(kind, secret));
    let recovery_pk = recovery.verifying_key().to_bytes();
    let client = BlockingClient::new(server_url, recovery)?;
    let slot = match kind {
        SlotKind::Code => client.get_code_slot()?,
        SlotKind::Assisted => client.get_assisted_slot()?,
    };
    // Every account key generation, oldest first (one for a vault that never switched).
    let arks = unwrap_arks(secret, &slot.slot, &slot.vault)?;
    let ark = arks.first().cloned().ok_or(coffre_recovery::SlotError::Unsupported)?;
    // The server cannot hand us another vault's slot: the vault id is derived from the identity key.
    let (_, identity_pk) = identity(&ark);
    if vault_id(identity_pk.as_bytes()) != slot.vault {
        return Err(SyncError::Tampered { what: "recovery slot of another vault", seq: None }.into());
    }
    // The first device has no certificate in the log (registration vouched for it): it is the one
    // the server lists as added by nobody. Any op it wrote must still decrypt under the log key.
    let first = client
        .devices()?
        .devices
        .into_iter()
        .find(|d| d.added_by.is_none())
        .and_then(|d| unb64_array::<32>(&d.device_pk, "device").ok())
        .ok_or(SyncError::Protocol("the server lists no first device".into()))?;
    let mut vault = Vault::create_with_root_key(dir, ark, passphrase, platform_secret, CreateOptions::default())?;
    if let Err(e) = Keyring::from_arks(arks).save(&mut vault) {
        let made = vault.dir().to_path_buf();
        drop(vault);
        let _ = shred_local(&made);
        return Err(e);
    }
    match rebuild(vault, client, slot.vault, slot.server_pk, server_url, recovery_pk, first) {
        Ok(vault) => Ok(vault),
        Err((e, dir_to_clean)) => {
            // Only what this call created: a vault with no data of its own yet.
            let _ = shred_local(&dir_to_clean);
            Err(e)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn rebuild(
    mut vault: Vault,
    client: BlockingClient,
    vault_hash: [u8; 32],
    server_pk: [u8; 32],
    server_url: &str,
    recovery_pk: [u8; 32],
    first: [u8; 32],
) -> std::result::Result<Vault, (EngineError, std::path::PathBuf)> {
    let dir = vault.dir().to_path_buf();
    let step = || -> Result<Vault> {
        let device = coffre_crypto::SigningKey::generate();
        let device_pk = device.verifying_key().to_bytes();
        let mut writers = Writers::new();
        writers.insert(key_of(&first), WriterSpan { from_seq: 0, until_seq: None, added_by: None });
        let server_url = server_url.trim_end_matches('/').to_string();
        let config = Config {
            server_url: server_url.clone(),
            vault: coffre_sync::protocol::VaultId::from(vault_hash).to_string(),
            server_pk: coffre_sync::protocol::ServerKey::from(server_pk).to_hex(),
        };
        begin(&mut vault, Some(&device), &writers, &ChainState::genesis(vault_hash), &config)?;
        // The recovery device writes the new device's certificate.
        let s = Session { client, vault_hash, device_pk: recovery_pk, server_pk, server_url };
        let mut report = SyncReport::default();
        // Everything the log holds, verified, as the recovery device (learning where the account key
        // generations switched).
        exchange(&mut vault, &s, &[], &mut report)?;
        // The new device: certified in the log by the recovery device, then enrolled on the server (in
        // this order, so that no sync meanwhile sees an uncertified member: sync_engine/members.rs).
        let counter = load_chain(&vault)?.counter_of(&recovery_pk) + 1;
        // Under the generation in force: a slot holding a generation the log never switched to (a
        // switch cut before its op) certifies under the last one the log shows.
        let keyring = Keyring::load(&vault)?;
        let env = Envelope {
            v: ENVELOPE_VERSION,
            payload: Payload::DeviceAdd {
                device: key_of(&device_pk),
                cert: keyring.certify(&vault_hash, &device_pk),
                role: Some(DeviceRole::Device),
                name: None,
            },
        };
        let draft = OpDraft { counter, ciphertext: envelope::seal(&keyring.current_log_key(), &vault_hash, &env) };
        exchange(&mut vault, &s, &[draft], &mut report)?;
        s.client.add_device(&device_pk)?;
        // From now on this phone is an ordinary device: fetch every page.
        sync(&mut vault, &SyncOptions { download_all: true, ..Default::default() }, &|_| {}, &CancelToken::new())?;
        Ok(vault)
    };
    step().map_err(|e| (e, dir))
}
