//! This device's standing with its vault's server, kept inside the encrypted database: where the vault
//! syncs (server, vault id, pinned server key) and this device's signing key. Every flow that talks to
//! the server as this device (sync, share links, mandates, recovery) opens a [`Session`] here.

use coffre_crypto::SigningKey;
use coffre_sync::BlockingClient;
use coffre_sync::protocol::{ServerKey, VaultId};
use coffre_vault::{Vault, VaultError};
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};

/// Vault state key of the [`Config`].
pub(crate) const CONFIG: &str = "sync.config";
/// Vault state key of this device's Ed25519 signing key.
pub(crate) const DEVICE_SK: &str = "sync.device_sk";

/// Where this vault syncs, as stored (inside the encrypted database).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Config {
    pub(crate) server_url: String,
    pub(crate) vault: String,
    pub(crate) server_pk: String,
}

/// A signed client attached to this vault on its server, and what it was attached with.
pub(crate) struct Session {
    pub(crate) client: BlockingClient,
    pub(crate) vault_hash: [u8; 32],
    /// The device the client signs as.
    pub(crate) device_pk: [u8; 32],
    /// The server key pinned at enrolment.
    pub(crate) server_pk: [u8; 32],
    pub(crate) server_url: String,
}

/// Opens this device's session; [`EngineError::NotEnrolled`] for a vault never connected.
pub(crate) fn session(vault: &mut Vault) -> Result<Session> {
    let config: Config = get_json(vault, CONFIG)?.ok_or(EngineError::NotEnrolled)?;
    let device = device_key(vault)?;
    let device_pk = device.verifying_key().to_bytes();
    let client = BlockingClient::new(&config.server_url, device)?;
    let corrupt = |_| VaultError::Corrupt { what: "sync settings".into() };
    let vault_hash = VaultId::from_hex(&config.vault).map_err(corrupt)?.to_bytes();
    let server_pk = ServerKey::from_hex(&config.server_pk).map_err(corrupt)?.to_bytes();
    client.attach(vault_hash, server_pk);
    Ok(Session { client, vault_hash, device_pk, server_pk, server_url: config.server_url })
}

/// Whether this vault is connected to a server, and where.
pub fn server_url(vault: &Vault) -> Result<Option<String>> {
    Ok(get_json::<Config>(vault, CONFIG)?.map(|c| c.server_url))
}

/// This device's signing key (created on first use, kept in the encrypted database).
pub(crate) fn device_key(vault: &mut Vault) -> Result<SigningKey> {
    if let Some(b) = vault.state_get(DEVICE_SK)? {
        let arr: [u8; 32] = b.as_slice().try_into().map_err(|_| VaultError::Corrupt { what: "device key".into() })?;
        return Ok(SigningKey::from_bytes(arr));
    }
    let sk = SigningKey::generate();
    vault.state_set(DEVICE_SK, &sk.to_bytes()[..])?;
    Ok(sk)
}

pub(crate) fn hex32(s: &str) -> Result<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).map_err(|_| VaultError::Corrupt { what: "sync settings".into() })?;
    Ok(out)
}

/// A JSON value kept in the vault's state.
pub(crate) fn get_json<T: for<'de> Deserialize<'de>>(vault: &Vault, key: &str) -> Result<Option<T>> {
    match vault.state_get(key)? {
        Some(b) => Ok(Some(serde_json::from_slice(&b).map_err(|_| VaultError::Corrupt { what: "sync state".into() })?)),
        None => Ok(None),
    }
}

pub(crate) fn set_json<T: Serialize>(vault: &mut Vault, key: &str, value: &T) -> Result<()> {
    let bytes = serde_json::to_vec(value).map_err(|_| VaultError::InvalidInput("sync state".into()))?;
    vault.state_set(key, &bytes)?;
    Ok(())
}
