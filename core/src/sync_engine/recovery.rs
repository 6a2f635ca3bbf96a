//! Recovery kit and closure on top of the sync engine (`docs/recovery.md`).
//!
//! - [`make_kit`]: a new 128-bit code; the recovery device derived from it is certified in the log
//!   (so it may write one op: the certificate of the new phone), the server stores the ARK wrapped
//!   under a key derived from the code, and the previous kit's device is removed everywhere.
//! - [`recover_with_code`]: on a new phone, the code alone: fetch the slot as the recovery device,
//!   open the ARK, check it is this vault's, rebuild the vault from the log, certify a fresh device.
//! - [`close_vault`]: the server deletes everything and signs a receipt; then the local vault is
//!   crypto-shredded (the wrapped ARK first, then the files).

use std::path::Path;

use coffre_crypto::ExchangePublic;
use coffre_crypto::{AccountRootKey, random_bytes};
use coffre_recovery::assisted::{AssistedKey, pin_verifier};
use coffre_recovery::{
    AssistedPrint, KitPage, RecoveryCode, SlotKind, WordList, device_seed, kit_pdf, unwrap_ark, wrap_ark,
};
use coffre_sync::protocol::b64;
use coffre_sync::protocol::recovery::ClosureReceipt;
use coffre_sync::protocol::recovery::{AssistedShares, AssistedStatus, SealedPiece};
use coffre_sync::protocol::{unb64_array, vault_id};
use coffre_sync::{BlockingClient, CancelToken, ChainState, OpDraft, SyncError};
use coffre_vault::{CreateOptions, Vault, VaultError};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::envelope::{self, CollectionKey, ENVELOPE_VERSION, Envelope, Payload};
use super::view::{WriterSpan, Writers, key_of};
use super::{
    CHAIN, CONFIG, Config, DEVICE_SK, EngineError, Result, Session, SyncOptions, SyncReport, WRITERS, certify,
    exchange, get_json, identity, load_chain, session, set_json, sync,
};

/// Local record of the current kit's recovery device (hex public key), inside the encrypted database.
const KIT_DEVICE: &str = "recovery.kit_device";
/// The assisted-recovery kit share, kept (inside the encrypted database, like the ARK it protects)
/// so that every kit printed afterwards carries it.
const KIT_SHARE: &str = "recovery.assisted_kit_share";

/// A freshly made kit: show its words and QR, print its PDF, then forget it.
pub struct Kit {
    pub code: RecoveryCode,
    pub server_url: String,
    /// The assisted-recovery kit share, when assisted recovery is set up: printed on the kit too.
    pub assisted_share: Option<Zeroizing<Vec<u8>>>,
}

impl Kit {
    /// The 12 words in `list`.
    pub fn words(&self, list: WordList) -> Vec<String> {
        self.code.words(list)
    }

    /// What the kit's QR holds: the code and the server address.
    pub fn qr_text(&self) -> Zeroizing<String> {
        self.code.qr_text(&self.server_url)
    }

    /// The QR modules (quartile error correction: paper gets folded and stained).
    pub fn qr(&self) -> Result<coffre_qr::QrMatrix> {
        coffre_qr::encode(&self.qr_text(), coffre_qr::EcLevel::Quartile)
            .map_err(|_| VaultError::InvalidInput("the kit does not fit in a QR code".into()).into())
    }

    /// The printable one-page PDF (plain French), with the words in `list` and the QR. `date` is
    /// printed as given (e.g. `23/11/2026`).
    pub fn pdf(&self, list: WordList, date: &str) -> Result<Zeroizing<Vec<u8>>> {
        let qr = self.qr()?;
        let n = qr.size();
        let rows: Vec<Vec<bool>> = (0..n).map(|y| (0..n).map(|x| qr.is_dark(x, y)).collect()).collect();
        let words = self.words(list);
        let share = match &self.assisted_share {
            Some(share) => {
                let qr = coffre_qr::encode(&coffre_recovery::kit_share::qr_text(share), coffre_qr::EcLevel::Quartile)
                    .map_err(|_| VaultError::InvalidInput("the kit share does not fit in a QR code".into()))?;
                let n = qr.size();
                let rows: Vec<Vec<bool>> = (0..n).map(|y| (0..n).map(|x| qr.is_dark(x, y)).collect()).collect();
                Some((rows, coffre_recovery::kit_share::groups(share)))
            }
            None => None,
        };
        let assisted = share.as_ref().map(|(qr, groups)| AssistedPrint { qr, groups });
        let page = KitPage { words: &words, qr: Some(&rows), server_url: &self.server_url, date, assisted };
        Ok(Zeroizing::new(kit_pdf(&page)))
    }
}

fn recovery_signer(code: &RecoveryCode) -> ed25519_dalek::SigningKey {
    let seed = device_seed(SlotKind::Code, code.as_bytes());
    ed25519_dalek::SigningKey::from_bytes(&seed)
}

/// Sets up assisted recovery (the holder chooses to, and with which organisation): the assisted
/// recovery device is certified in the log, the server gets the slot, the PIN verifier, its share
/// and the organisation's pieces sealed to `agents`. Returns the kit share, to print on the kit.
pub fn setup_assisted(
    vault: &mut Vault,
    pin: &str,
    org: &[u8; 32],
    agents: &[ExchangePublic],
) -> Result<Zeroizing<Vec<u8>>> {
    let s = session(vault)?;
    let set = coffre_recovery::assisted::setup(vault.root_key(), &s.vault_hash, agents)?;
    let device = ed25519_dalek::SigningKey::from_bytes(&set.key.device_seed());
    let device_pk = device.verifying_key().to_bytes();
    let cert = certify(vault.root_key(), &s.vault_hash, &device_pk);
    queue_and_sync(vault, Payload::DeviceAdd { device: key_of(&device_pk), cert })?;
    let body = coffre_sync::protocol::recovery::AssistedPut {
        v: coffre_sync::protocol::PROTOCOL_VERSION,
        device_pk: b64(&device_pk),
        slot: b64(&set.slot),
        pin_verifier: b64(&*pin_verifier(pin, &s.vault_hash)?),
        provider_share: b64(&set.provider_share),
        org: b64(org),
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
    /// X25519 secret where the agents seal their approvals (`super::assisted_agents`).
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
        let vault = super::hex32(vault_hex)?;
        let device = Zeroizing::new(random_bytes::<32>());
        let exchange = Zeroizing::new(random_bytes::<32>());
        let client = BlockingClient::new(server_url, ed25519_dalek::SigningKey::from_bytes(&device))?;
        let status = client.start_assisted(&vault)?;
        let ready_at = status.ready_at;
        Ok((AssistedRequest { client, vault, device, exchange, server_url: server_url.to_string(), ready_at }, status))
    }

    /// The request as text to keep (secret: it holds the temporary device key) until the delay ends.
    pub fn save(&self) -> Zeroizing<String> {
        let saved = SavedRequest {
            v: 1,
            server_url: self.server_url.clone(),
            vault: hex::encode(self.vault),
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
        let vault = super::hex32(&saved.vault)?;
        let device = Zeroizing::new(super::hex32(&saved.device)?);
        let exchange = Zeroizing::new(super::hex32(&saved.exchange)?);
        let client = BlockingClient::new(&saved.server_url, ed25519_dalek::SigningKey::from_bytes(&device))?;
        Ok(AssistedRequest { client, vault, device, exchange, server_url: saved.server_url, ready_at: saved.ready_at })
    }

    /// The server the request was started on (where the vault is restored from).
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// The vault this request is for (hex).
    pub fn vault_hex(&self) -> String {
        hex::encode(self.vault)
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

fn queue_and_sync(vault: &mut Vault, payload: Payload) -> Result<()> {
    let env = Envelope { v: ENVELOPE_VERSION, payload };
    let bytes = serde_json::to_vec(&env).map_err(|_| VaultError::InvalidInput("op".into()))?;
    vault.queue_raw_op(&bytes)?;
    sync(vault, &SyncOptions::default(), &|_| {}, &CancelToken::new())?;
    Ok(())
}

/// Makes a new recovery kit (at sign-up, or again on demand: the old kit stops working).
pub fn make_kit(vault: &mut Vault) -> Result<Kit> {
    let s = session(vault)?;
    let config: Config = get_json(vault, CONFIG)?.ok_or(EngineError::NotEnrolled)?;
    let code = RecoveryCode::generate();
    let recovery_pk = recovery_signer(&code).verifying_key().to_bytes();
    // 1. The recovery device may write (one op, at recovery): certified by the identity key.
    let cert = certify(vault.root_key(), &s.vault_hash, &recovery_pk);
    queue_and_sync(vault, Payload::DeviceAdd { device: key_of(&recovery_pk), cert })?;
    // 2. The slot, and the recovery device enrolled on the server (the old one is removed there).
    let slot = wrap_ark(SlotKind::Code, code.as_bytes(), vault.root_key(), &s.vault_hash);
    let replaced = s.client.put_code_slot(&recovery_pk, &slot)?;
    // 3. The old kit's device leaves the log too (also when another device made that kit).
    let local_old: Option<String> = get_json(vault, KIT_DEVICE)?;
    let mut old: Vec<String> = replaced.iter().map(key_of).collect();
    old.extend(local_old.filter(|o| !old.contains(o) && *o != key_of(&recovery_pk)));
    set_json(vault, KIT_DEVICE, &key_of(&recovery_pk))?;
    for device in old {
        queue_and_sync(vault, Payload::DeviceRemove { device })?;
    }
    let assisted_share = vault.state_get(KIT_SHARE)?.map(Zeroizing::new);
    Ok(Kit { code, server_url: config.server_url, assisted_share })
}

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
    let recovery = ed25519_dalek::SigningKey::from_bytes(&device_seed(kind, secret));
    let recovery_pk = recovery.verifying_key().to_bytes();
    let client = BlockingClient::new(server_url, recovery)?;
    let slot = match kind {
        SlotKind::Code => client.get_code_slot()?,
        SlotKind::Assisted => client.get_assisted_slot()?,
    };
    let ark = unwrap_ark(secret, &slot.slot, &slot.vault)?;
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
    let vault = Vault::create_with_root_key(dir, ark.clone(), passphrase, platform_secret, CreateOptions::default())?;
    match rebuild(vault, client, slot.vault, slot.server_pk, server_url, recovery_pk, first, &ark) {
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
    ark: &AccountRootKey,
) -> std::result::Result<Vault, (EngineError, std::path::PathBuf)> {
    let dir = vault.dir().to_path_buf();
    let step = || -> Result<Vault> {
        let device = ed25519_dalek::SigningKey::from_bytes(&random_bytes::<32>());
        let device_pk = device.verifying_key().to_bytes();
        vault.state_set(DEVICE_SK, &Zeroizing::new(device.to_bytes())[..])?;
        let mut writers = Writers::new();
        writers.insert(key_of(&first), WriterSpan { from_seq: 0, until_seq: None });
        set_json(&mut vault, WRITERS, &writers)?;
        vault.state_set(CHAIN, &ChainState::genesis(vault_hash).to_json())?;
        let config = Config {
            server_url: server_url.trim_end_matches('/').to_string(),
            vault: hex::encode(vault_hash),
            server_pk: hex::encode(server_pk),
        };
        set_json(&mut vault, CONFIG, &config)?;
        let s = Session { client, vault_hash, device_pk: recovery_pk };
        let log_key = envelope::log_key(ark);
        let mut report = SyncReport::default();
        // Everything the log holds, verified, as the recovery device.
        exchange(&mut vault, &s, &log_key, &[], &mut report)?;
        // The new device: enrolled on the server, then certified in the log by the recovery device.
        s.client.add_device(&device_pk)?;
        let counter = load_chain(&vault)?.counter_of(&recovery_pk) + 1;
        let env = Envelope {
            v: ENVELOPE_VERSION,
            payload: Payload::DeviceAdd { device: key_of(&device_pk), cert: certify(ark, &vault_hash, &device_pk) },
        };
        let draft = OpDraft { counter, ciphertext: envelope::seal(&log_key, &vault_hash, &env) };
        exchange(&mut vault, &s, &log_key, &[draft], &mut report)?;
        // From now on this phone is an ordinary device: fetch every page.
        sync(&mut vault, &SyncOptions { download_all: true }, &|_| {}, &CancelToken::new())?;
        Ok(vault)
    };
    step().map_err(|e| (e, dir))
}

/// A lost phone: removes the device (the server refuses it at once, the log records it), starts a
/// new random generation of every collection key (documents added afterwards are wrapped under keys
/// the lost phone never held; earlier ones keep opening) and sends it to the other devices in the log,
/// then returns the active mandates, for the holder to confirm again or revoke (an agent's access does
/// not depend on the lost phone, but the holder should look). See docs/recovery.md §4 for what this
/// protects and what still needs a new ARK.
pub fn remove_lost_device(vault: &mut Vault, device_hex: &str) -> Result<Vec<crate::mandate::MandateInfo>> {
    super::remove_device(vault, device_hex)?;
    let keys: Vec<CollectionKey> = vault
        .rotate_collection_keys()?
        .into_iter()
        .map(|k| CollectionKey { collection: k.collection, generation: k.generation, key: b64(&*k.key) })
        .collect();
    let collections = u32::try_from(keys.len()).unwrap_or(u32::MAX);
    queue_and_sync(vault, Payload::CollectionKeys { keys })?;
    // The audit trail says so (the keys themselves went in the log, never to this endpoint).
    let removed = super::hex32(device_hex)?;
    let body = coffre_sync::protocol::recovery::KeysRotated {
        v: coffre_sync::protocol::PROTOCOL_VERSION,
        removed_device: b64(&removed),
        collections,
    };
    let s = session(vault)?;
    let path = format!("/v1/vaults/{}/recovery/keys-rotated", hex::encode(s.vault_hash));
    s.client.send("POST", &path, serde_json::to_vec(&body).unwrap_or_default())?;
    // Listing is a courtesy: a server without the mandate endpoints must not fail the removal.
    Ok(crate::mandate::list(vault).map(|l| l.into_iter().filter(|m| m.active).collect()).unwrap_or_default())
}

/// Closes the vault (droit de fermeture): the server deletes everything of it and signs a receipt
/// (checked against the pinned server key); then this device's copy is crypto-shredded. A vault
/// never connected to a server is only shredded. Offer an export before calling this.
pub fn close_vault(mut vault: Vault) -> Result<Option<ClosureReceipt>> {
    let receipt = if get_json::<Config>(&vault, CONFIG)?.is_some() {
        let s = session(&mut vault)?;
        Some(s.client.close_vault()?)
    } else {
        None
    };
    let dir = vault.dir().to_path_buf();
    drop(vault);
    shred_local(&dir)?;
    Ok(receipt)
}

/// Crypto-shredding of a local vault: the wrapped ARK (`vault.json`) is overwritten and removed
/// first — without it nothing else can be decrypted — then the database and the blobs are removed.
/// (Flash storage may keep old copies of overwritten blocks; it is the wrapped key's destruction,
/// not the overwrite, that makes them unreadable.)
pub fn shred_local(dir: &Path) -> Result<()> {
    use coffre_vault::layout::{BLOB_DIR, DB_FILE, HEADER_FILE, TMP_DIR};
    use std::io::Write as _;
    let header = dir.join(HEADER_FILE);
    if let Ok(meta) = std::fs::metadata(&header) {
        let len = usize::try_from(meta.len()).unwrap_or(0);
        let mut f = std::fs::OpenOptions::new().write(true).open(&header).map_err(VaultError::from)?;
        let noise: Vec<u8> = (0..len.div_ceil(32)).flat_map(|_| random_bytes::<32>()).take(len).collect();
        f.write_all(&noise).map_err(VaultError::from)?;
        f.sync_all().map_err(VaultError::from)?;
        drop(f);
        std::fs::remove_file(&header).map_err(VaultError::from)?;
    }
    for name in [DB_FILE.to_string(), format!("{DB_FILE}-wal"), format!("{DB_FILE}-shm"), "vault.lock".into()] {
        match std::fs::remove_file(dir.join(&name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(VaultError::from(e).into()),
            _ => {}
        }
    }
    for sub in [BLOB_DIR, TMP_DIR] {
        match std::fs::remove_dir_all(dir.join(sub)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(VaultError::from(e).into()),
            _ => {}
        }
    }
    // The folder itself goes if nothing else is in it (it may hold the person's own files).
    let _ = std::fs::remove_dir(dir);
    Ok(())
}
