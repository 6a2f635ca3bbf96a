//! Assisted recovery without the code (docs/recovery.md §3): the holder sets it up from an enrolled
//! device; a new phone starts a request with a temporary device key and, after the delay, gets the
//! provider share with the PIN. [`super::agents`] adds the organisation's certified agents.

use coffre_crypto::{ExchangePublic, random_bytes};
use coffre_recovery::assisted::pin_verifier;
use coffre_sync::BlockingClient;
use coffre_sync::protocol::recovery::{AssistedShares, AssistedStatus, SealedPiece};
use coffre_sync::protocol::{b64, unb64_array};
use coffre_vault::{Vault, VaultError};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::Result;
use crate::session::{get_json, hex32, session, set_json};
use crate::sync_engine::envelope::{DeviceRole, Payload};
use crate::sync_engine::generation::Keyring;
use crate::sync_engine::queue_and_sync;
use crate::sync_engine::view::key_of;

/// The assisted-recovery kit share, kept (inside the encrypted database, like the ARK it protects)
/// so that every kit printed afterwards carries it.
pub(super) const KIT_SHARE: &str = "recovery.assisted_kit_share";

/// Sets up assisted recovery (the holder chooses to, and with which organisation): the assisted
/// recovery device is certified in the log, the server gets the slot, the PIN verifier, its share
/// and the organisation's pieces sealed to `agents`. Returns the kit share, to print on the kit.
pub fn setup_assisted(
    vault: &mut Vault,
    pin: &str,
    org: &[u8; 32],
    agents: &[ExchangePublic],
) -> Result<Zeroizing<Vec<u8>>> {
    let vault_hash = session(vault)?.vault_hash;
    let verifier = pin_verifier(pin, &vault_hash)?;
    let settings = AssistedSettings {
        v: 1,
        org: b64(org),
        agents: agents.iter().map(|a| b64(a.as_bytes())).collect(),
        pin_verifier: b64(&*verifier),
    };
    set_up(vault, &settings)
}

/// Vault state key of the assisted-recovery settings ([`AssistedSettings`]), kept so that a new kit
/// can set assisted recovery up again without asking the PIN and the agents once more.
const ASSISTED_SETTINGS: &str = "recovery.assisted_settings";

/// What assisted recovery was set up with (inside the encrypted database, next to the ARK: the PIN
/// verifier gates one share of a key this database opens anyway).
#[derive(Serialize, Deserialize)]
struct AssistedSettings {
    v: u32,
    /// The organisation's key, base64url.
    org: String,
    /// The agents' X25519 keys, base64url.
    agents: Vec<String>,
    /// The Argon2id verifier of the PIN, base64url.
    pin_verifier: String,
}

/// Sets assisted recovery up again with the kept settings (a new kit, a new key generation): a new
/// assisted key, new shares and pieces, a new slot; the server drops the old slot's device and any
/// pending request. `None` when this device has no settings (never set up here, or set up by an
/// older version).
pub(crate) fn renew_assisted(vault: &mut Vault) -> Result<Option<Zeroizing<Vec<u8>>>> {
    match get_json::<AssistedSettings>(vault, ASSISTED_SETTINGS)? {
        Some(settings) if settings.v == 1 => set_up(vault, &settings).map(Some),
        _ => Ok(None),
    }
}

fn set_up(vault: &mut Vault, settings: &AssistedSettings) -> Result<Zeroizing<Vec<u8>>> {
    let s = session(vault)?;
    let corrupt = || VaultError::Corrupt { what: "assisted-recovery settings".into() };
    let org: [u8; 32] = unb64_array(&settings.org, "org").map_err(|_| corrupt())?;
    let agents = settings
        .agents
        .iter()
        .map(|a| unb64_array::<32>(a, "agent").map(ExchangePublic::from_bytes).map_err(|_| corrupt()))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let verifier: [u8; 32] = unb64_array(&settings.pin_verifier, "pin_verifier").map_err(|_| corrupt())?;
    let keyring = Keyring::load(vault)?;
    let set = coffre_recovery::assisted::setup_arks(keyring.arks_in_force(), &s.vault_hash, &agents)?;
    let device = coffre_crypto::SigningKey::from_bytes(*set.key.device_seed());
    let device_pk = device.verifying_key().to_bytes();
    let cert = keyring.certify(&s.vault_hash, &device_pk);
    let role = Some(DeviceRole::AssistedRecovery);
    queue_and_sync(vault, Payload::DeviceAdd { device: key_of(&device_pk), cert, role, name: None })?;
    let body = coffre_sync::protocol::recovery::AssistedPut {
        v: coffre_sync::protocol::PROTOCOL_VERSION,
        device_pk: b64(&device_pk),
        slot: b64(&set.slot),
        pin_verifier: b64(&verifier),
        provider_share: b64(&set.provider_share),
        org: b64(&org),
        org_pieces: set
            .org_pieces
            .iter()
            .map(|(agent, piece)| SealedPiece { agent: b64(agent.as_bytes()), piece: b64(piece) })
            .collect(),
    };
    if let Some(old) = s.client.put_assisted(&body)? {
        queue_and_sync(vault, Payload::DeviceRemove { device: key_of(&old) })?;
    }
    vault.state_set(KIT_SHARE, &set.kit_share)?;
    set_json(vault, ASSISTED_SETTINGS, settings)?;
    Ok(set.kit_share)
}

/// Cancels a pending assisted recovery (from any enrolled device, e.g. when the holder did not ask).
pub fn cancel_assisted(vault: &mut Vault) -> Result<AssistedStatus> {
    Ok(session(vault)?.client.cancel_assisted()?)
}

/// The new phone's side of assisted recovery: a temporary device key that starts the request and,
/// after the delay, asks for the provider share with the PIN.
pub struct AssistedRequest {
    client: BlockingClient,
    pub(super) vault: [u8; 32],
    device: Zeroizing<[u8; 32]>,
    /// X25519 secret where the agents seal their approvals ([`super::agents`]).
    pub(super) exchange: Zeroizing<[u8; 32]>,
    server_url: String,
    ready_at: u64,
}

/// A request kept between app launches (the 72 h wait): the temporary device key and where.
#[derive(Serialize, Deserialize)]
struct SavedRequest {
    v: u32,
    server_url: String,
    vault: String,
    device: String,
    exchange: String,
    /// When the delay ends (Unix seconds, server clock), for a phone to say so after a restart.
    /// Absent (0) in requests saved before it was kept.
    #[serde(default)]
    ready_at: u64,
}

impl AssistedRequest {
    /// Starts the request for `vault_hex` (the agent at the desk reads it from the holder's mandate).
    pub fn start(server_url: &str, vault_hex: &str) -> Result<(AssistedRequest, AssistedStatus)> {
        let vault = hex32(vault_hex)?;
        let device = Zeroizing::new(random_bytes::<32>());
        let exchange = Zeroizing::new(random_bytes::<32>());
        let client = BlockingClient::new(server_url, coffre_crypto::SigningKey::from_bytes(*device))?;
        let status = client.start_assisted(&vault)?;
        let ready_at = status.ready_at;
        Ok((AssistedRequest { client, vault, device, exchange, server_url: server_url.to_string(), ready_at }, status))
    }

    /// The request as text to keep (secret: it holds the temporary device key) until the delay ends.
    pub fn save(&self) -> Zeroizing<String> {
        let saved = SavedRequest {
            v: 1,
            server_url: self.server_url.clone(),
            vault: coffre_sync::protocol::VaultId::from(self.vault).to_string(),
            device: hex::encode(*self.device),
            exchange: hex::encode(*self.exchange),
            ready_at: self.ready_at,
        };
        Zeroizing::new(serde_json::to_string(&saved).unwrap_or_default())
    }

    /// A request kept with [`Self::save`].
    pub fn resume(text: &str) -> Result<AssistedRequest> {
        let bad = || VaultError::InvalidInput("not a saved assisted-recovery request".into());
        let saved: SavedRequest = serde_json::from_str(text).map_err(|_| bad())?;
        if saved.v != 1 {
            return Err(bad().into());
        }
        let vault = hex32(&saved.vault)?;
        let device = Zeroizing::new(hex32(&saved.device)?);
        let exchange = Zeroizing::new(hex32(&saved.exchange)?);
        let client = BlockingClient::new(&saved.server_url, coffre_crypto::SigningKey::from_bytes(*device))?;
        Ok(AssistedRequest { client, vault, device, exchange, server_url: saved.server_url, ready_at: saved.ready_at })
    }

    /// The server the request was started on (where the vault is restored from).
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// The vault this request is for (hex).
    pub fn vault_hex(&self) -> String {
        coffre_sync::protocol::VaultId::from(self.vault).to_string()
    }

    /// When the server releases the shares (Unix seconds, server clock), as it said at the start;
    /// 0 for a request saved before this was kept.
    pub fn ready_at(&self) -> u64 {
        self.ready_at
    }

    /// After the delay: the provider share (checked PIN) and the organisation's sealed pieces.
    pub fn release(&self, pin: &str) -> Result<AssistedShares> {
        let verifier = pin_verifier(pin, &self.vault)?;
        Ok(self.client.release_assisted(&self.vault, &verifier)?)
    }
}
