//! The sync engine: the vault's outbox pushed to the server, the verified log applied to the vault,
//! blobs uploaded and fetched in chunks, devices linked by QR and removed. It glues `coffre-vault`
//! to `coffre-sync` (the protocol client, which verifies everything the server says); both stay
//! ignorant of each other. Blocking: the apps call it from their own threads.

pub(crate) mod address;
mod alerts;
pub(crate) mod envelope;
pub(crate) mod generation;
mod linking;
mod members;
pub(crate) mod progress;
pub(crate) mod view;
pub(crate) mod writers;

use crate::session::{CONFIG, Config, DEVICE_SK, Session, device_key, get_json, hex32, session, set_json};
use crate::sync_engine::envelope::{ENVELOPE_VERSION, Envelope, Payload};
use crate::sync_engine::generation::Keyring;
use crate::sync_engine::progress::JobProgress;
use crate::sync_engine::view::{Labels, WriterSpan, WriterView, Writers, key_of};
use coffre_crypto::{AccountRootKey, SigningKey, VerifyingKey};
use coffre_sync::{BlobRef, BlockingClient, BusyFn, CancelToken, ChainState, OpDraft, PushBatch, SyncError};
use coffre_vault::{Applied, DocId, LocalBlob, Vault, VaultError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

pub use crate::error::{EngineError, Result};
pub use crate::session::server_url;
pub use crate::sync_engine::address::{AddressError, check_server_address};
pub use crate::sync_engine::alerts::RecoveryAlert;
pub use crate::sync_engine::envelope::DeviceRole;
pub use crate::sync_engine::linking::{LinkApproval, PendingLink};
pub use crate::sync_engine::members::Strays;
pub use crate::sync_engine::progress::SyncProgress;
pub use coffre_sync::CancelToken as SyncCancel;

/// Vault state keys: the last verified chain state, and which devices may write as of which op.
pub(crate) const CHAIN: &str = "sync.chain";
pub(crate) const WRITERS: &str = "sync.writers";
/// Vault state key of what the log says of each certified device (role, name, who certified it).
pub(crate) const LABELS: &str = "sync.device_labels";
/// Local record of the current kit's recovery device (hex public key), inside the encrypted database
/// (written by `recovery::make_kit`; read by [`devices`] for kits certified before roles existed).
pub(crate) const KIT_DEVICE: &str = "recovery.kit_device";
const BLOBREF: &str = "sync.blobref:";
const BACKOFF: &str = "sync.backoff";

/// What a sync did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncReport {
    pub pushed: u64,
    pub pulled: u64,
    pub applied: u64,
    pub blobs_uploaded: u64,
    pub blobs_downloaded: u64,
    pub bytes_uploaded: u64,
    /// Pages known but not downloaded (fetched when opened, or with `download_all`).
    pub blobs_remaining: u64,
    pub head_seq: u64,
    /// Busy answers (`429`, `503`) the server gave and the sync waited out.
    pub server_busy: u64,
    /// Server members the log does not certify: removed by this sync, or left (show them).
    pub strays: Strays,
    /// Assisted-recovery requests started for this vault and not cancelled: show them to the holder
    /// ("someone asked to recover your vault; if it was not you, cancel").
    pub recovery_requests: Vec<RecoveryAlert>,
}

/// Options of [`sync`].
#[derive(Clone, Default)]
pub struct SyncOptions {
    /// Download every page now (a desktop); otherwise only pinned documents' pages (phones).
    pub download_all: bool,
    /// Told the seconds of each wait when the server says it is busy: the sync waits (cancellable)
    /// and goes on by itself; tell the person ("le serveur est occupé, nouvel essai dans N s").
    pub on_busy: Option<BusyFn>,
}

impl std::fmt::Debug for SyncOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncOptions")
            .field("download_all", &self.download_all)
            .field("on_busy", &self.on_busy.is_some())
            .finish()
    }
}

/// A device of this vault, as the log and the server know it (`device list`).
#[derive(Debug, Clone, Serialize)]
pub struct Device {
    pub public_key: String,
    pub this_device: bool,
    /// Removed in the log (its later ops are refused), or never certified there.
    pub removed: bool,
    /// The log certifies it (false: a stray the server lists and the log does not know).
    pub in_log: bool,
    /// What it is for, as its certificate says (`Device` when the certificate predates roles).
    pub role: DeviceRole,
    /// The name given when it was certified, if any.
    pub name: Option<String>,
    /// Who certified it in the log (hex key), if the log says.
    pub certified_by: Option<String>,
    /// The server's view: `None` when the server could not be asked (offline) or does not list it.
    pub server: Option<ServerMember>,
}

/// A device as the server lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ServerMember {
    /// When it was enrolled (Unix seconds).
    pub added_at: u64,
    /// The device that enrolled it on the server (hex key); `None` for the vault's first device.
    pub added_by: Option<String>,
    /// When the server removed it.
    pub removed_at: Option<u64>,
    /// When it last made a request (to the server's cache period), if known.
    pub last_seen_at: Option<u64>,
}

pub(crate) fn identity(ark: &AccountRootKey) -> (SigningKey, VerifyingKey) {
    let sk = ark.derive_identity(0).signing;
    let pk = sk.verifying_key();
    (sk, pk)
}

/// A device certificate under the identity of the vault's current account key generation.
pub(crate) fn certify(vault: &Vault, vault_hash: &[u8; 32], device: &[u8; 32]) -> Result<String> {
    Ok(Keyring::load(vault)?.certify(vault_hash, device))
}

/// Connects a vault to a server as its first device (no e-mail, no phone number: the vault is
/// known by its identity public key). Refuses `http://` to another machine
/// ([`check_server_address`]); see [`enroll_allowing_http`] for the person's explicit opt-in.
pub fn enroll(vault: &mut Vault, server_url: &str) -> Result<()> {
    enroll_allowing_http(vault, server_url, false)
}

/// [`enroll`], with `allow_plain_http` the person's explicit choice to accept an `http://` server on
/// another machine.
pub fn enroll_allowing_http(vault: &mut Vault, server_url: &str, allow_plain_http: bool) -> Result<()> {
    enroll_invited(vault, server_url, allow_plain_http, None)
}

/// [`enroll_allowing_http`] with an invitation code from a structure's agent, for a server that
/// registers vaults only by invitation (its refusal without one is the `invitation_required` code).
pub fn enroll_invited(
    vault: &mut Vault,
    server_url: &str,
    allow_plain_http: bool,
    invitation: Option<&str>,
) -> Result<()> {
    check_server_address(server_url, allow_plain_http)?;
    if vault.state_get(CONFIG)?.is_some() {
        return Err(EngineError::AlreadyEnrolled);
    }
    let device = device_key(vault)?;
    let device_pk = device.verifying_key().to_bytes();
    let client = BlockingClient::new(server_url, device)?;
    let (id_sk, _) = identity(vault.root_key());
    let reg = match invitation {
        Some(code) => client.register_invited(&id_sk, code.trim())?,
        None => client.register(&id_sk)?,
    };
    let config = Config {
        server_url: server_url.trim_end_matches('/').to_string(),
        vault: coffre_sync::protocol::VaultId::from(reg.vault).to_string(),
        server_pk: coffre_sync::protocol::ServerKey::from(reg.server_pk).to_hex(),
    };
    let mut writers = Writers::new();
    writers.insert(key_of(&device_pk), WriterSpan { from_seq: 0, until_seq: None, added_by: None });
    begin(vault, None, &writers, &reg.state, &config)
}

/// Records what a device starts syncing from: its signing key (when not kept yet), the writers it
/// trusts before reading the log, the chain state it verifies from, and where the vault syncs.
pub(crate) fn begin(
    vault: &mut Vault,
    device: Option<&SigningKey>,
    writers: &Writers,
    chain: &ChainState,
    config: &Config,
) -> Result<()> {
    if let Some(device) = device {
        vault.state_set(DEVICE_SK, &device.to_bytes()[..])?;
    }
    set_json(vault, WRITERS, writers)?;
    vault.state_set(CHAIN, &chain.to_json())?;
    set_json(vault, CONFIG, config)
}

/// Queues an op of the engine's own (a device certified or removed, new collection keys) and syncs
/// it at once.
pub(crate) fn queue_and_sync(vault: &mut Vault, payload: Payload) -> Result<()> {
    let env = Envelope { v: ENVELOPE_VERSION, payload };
    let bytes = serde_json::to_vec(&env).map_err(|_| VaultError::InvalidInput("op".into()))?;
    vault.queue_raw_op(&bytes)?;
    sync(vault, &SyncOptions::default(), &|_| {}, &CancelToken::new())?;
    Ok(())
}

/// Pushes the outbox, pulls and verifies new ops, applies them, and fetches pages (pinned ones
/// always; all with `download_all`). On any verification error nothing local changes and the error
/// says what the server did (rollback, fork, tampering...). `progress` gets the whole job
/// ([`SyncProgress`]: ops and pages, bytes; never going back). The client keeps to the rate the
/// server announces and waits out a busy server (`options.on_busy` is told each wait); only a server
/// busy past [`coffre_sync::MAX_BUSY_WAIT`] ends the sync, with `SyncError::ServerBusy`. Each push
/// batch is acknowledged before the next, so a later try never sends accepted ops again.
pub fn sync(
    vault: &mut Vault,
    options: &SyncOptions,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
    cancel: &CancelToken,
) -> Result<SyncReport> {
    let result = sync_once(vault, options, progress, cancel);
    // Back-off bookkeeping for the app's scheduler: failures of the network kind grow the delay.
    let failures: Backoff = get_json(vault, BACKOFF)?.unwrap_or_default();
    let next = match &result {
        Ok(_) => Backoff::default(),
        Err(EngineError::Sync(e)) if e.kind() == coffre_sync::ErrorKind::Network => {
            let count = failures.count + 1;
            let delay = (1_000i64 << count.min(12)).min(3_600_000);
            Backoff { count, retry_at_ms: now_ms() + delay }
        }
        Err(_) => failures,
    };
    set_json(vault, BACKOFF, &next)?;
    result
}

/// When the app's scheduler should try again after network failures (unix ms), if it should wait.
/// The outbox itself is never dropped: a change waits, across reboots, until a sync succeeds.
pub fn retry_at_ms(vault: &Vault) -> Result<Option<i64>> {
    let b: Backoff = get_json(vault, BACKOFF)?.unwrap_or_default();
    Ok((b.count > 0).then_some(b.retry_at_ms))
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Backoff {
    count: u32,
    retry_at_ms: i64,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn sync_once(
    vault: &mut Vault,
    options: &SyncOptions,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
    cancel: &CancelToken,
) -> Result<SyncReport> {
    let s = session(vault)?;
    // Keep to the rate the server announces (an old server announces none: its 429s set the pace),
    // and wait out a busy server instead of failing.
    let limits = s.client.server_info().ok().map(|i| i.limits);
    s.client.pace(limits.as_ref(), cancel, options.on_busy.clone());
    let mut batch = PushBatch::for_limits(limits.as_ref());
    let job = JobProgress::new(progress);
    let result = sync_steps(vault, &s, options, &job, cancel, &mut batch);
    result.map(|mut report| {
        report.server_busy = s.client.busy_answers();
        report
    })
}

fn sync_steps(
    vault: &mut Vault,
    s: &Session,
    options: &SyncOptions,
    job: &JobProgress<'_>,
    cancel: &CancelToken,
    batch: &mut PushBatch,
) -> Result<SyncReport> {
    let mut report = SyncReport::default();

    // 1. Pull first: apply others' changes, and learn which of our own ops the server already has
    //    (a sync cut after the append but before it was recorded here must not send them again).
    exchange(vault, s, &[], &mut report)?;
    let on_server = load_chain(vault)?.counter_of(&s.device_pk);
    if on_server > 0 {
        vault.outbox_ack(on_server as i64)?;
    }

    // The whole job, known now: the outbox to push and the pages to fetch.
    let wanted_before = wanted_blobs(vault, options)?;
    let (ops, up_bytes) = outbox_work(vault)?;
    job.add_work(ops + wanted_before.len() as u64, up_bytes + wanted_before.iter().map(|m| m.cipher_len).sum::<u64>());

    // 2. Push the outbox.
    push_outbox(vault, s, job, cancel, &mut report, batch)?;

    // 3. Server members the log does not certify are removed (or reported).
    members::remove_strays(vault, s, &mut report)?;
    report.recovery_requests = alerts::open_requests(s)?;

    // 4. Pages: pinned documents always local (desk mode); the rest on demand.
    let (wanted, later): (Vec<_>, Vec<_>) =
        vault.missing_blobs()?.into_iter().partition(|m| m.pinned || options.download_all);
    let news: Vec<_> = wanted.iter().filter(|m| !wanted_before.iter().any(|b| b.id == m.id)).collect();
    job.add_work(news.len() as u64, news.iter().map(|m| m.cipher_len).sum());
    report.blobs_remaining += later.len() as u64;
    let ids: Vec<[u8; 16]> = wanted.iter().map(|m| m.id).collect();
    report.blobs_downloaded += fetch_blobs(vault, &s.client, &ids, job, cancel)?;
    Ok(report)
}

/// Pages this sync fetches: pinned documents' always, every page with `download_all`.
fn wanted_blobs(vault: &Vault, options: &SyncOptions) -> Result<Vec<coffre_vault::MissingBlob>> {
    Ok(vault.missing_blobs()?.into_iter().filter(|m| m.pinned || options.download_all).collect())
}

/// Ops in the outbox and the bytes of the pages they announce.
fn outbox_work(vault: &Vault) -> Result<(u64, u64)> {
    let mut bytes = 0;
    let all = vault.outbox(u32::MAX)?;
    for (_, op) in &all {
        let value: serde_json::Value =
            serde_json::from_slice(op).map_err(|_| VaultError::Corrupt { what: "outbox op".into() })?;
        bytes += announced_blobs(vault, &value)?.iter().map(|b| b.cipher_len).sum::<u64>();
    }
    Ok((all.len() as u64, bytes))
}

/// Pushes the outbox in batches sized to what the server allows (see [`PushBatch`]), each
/// acknowledged before the next: a sync cut later never sends an accepted op again. The outbox id is
/// the writer counter: ids are contiguous and a row leaves the outbox only once the verified log
/// holds its counter. Each batch is sealed under the log key in force, and ends after a `generation`
/// op: what follows it is sealed under the new generation's key.
fn push_outbox(
    vault: &mut Vault,
    s: &Session,
    job: &JobProgress<'_>,
    cancel: &CancelToken,
    report: &mut SyncReport,
    batch: &mut PushBatch,
) -> Result<()> {
    loop {
        let busy_before = s.client.busy_answers();
        let state = load_chain(vault)?;
        let on_server = state.counter_of(&s.device_pk);
        if on_server > 0 {
            vault.outbox_ack(on_server as i64)?;
        }
        let pending = vault.outbox(u32::try_from(batch.size()).unwrap_or(u32::MAX))?;
        if pending.is_empty() {
            break;
        }
        let log_key = Keyring::load(vault)?.current_log_key();
        let mut drafts = Vec::with_capacity(pending.len());
        for (id, op) in &pending {
            if cancel.is_cancelled() {
                return Err(SyncError::Cancelled.into());
            }
            let value: serde_json::Value =
                serde_json::from_slice(op).map_err(|_| VaultError::Corrupt { what: "outbox op".into() })?;
            let env = match value.get("kind").and_then(|k| k.as_str()) {
                Some("device_add" | "device_remove" | "collection_keys" | "generation") => {
                    serde_json::from_value::<Envelope>(value)
                        .map_err(|_| VaultError::Corrupt { what: "outbox op".into() })?
                }
                _ => {
                    let blobs = upload_blobs_of(vault, &s.client, &value, job, cancel, report)?;
                    Envelope { v: ENVELOPE_VERSION, payload: Payload::Vault { op: value, blobs } }
                }
            };
            let switches = matches!(env.payload, Payload::Generation(_));
            drafts.push(OpDraft { counter: *id as u64, ciphertext: envelope::seal(&log_key, &s.vault_hash, &env) });
            if switches {
                break;
            }
        }
        exchange(vault, s, &drafts, report)?;
        report.pushed += drafts.len() as u64;
        job.items_done(drafts.len() as u64);
        if s.client.busy_answers() > busy_before {
            batch.shrink();
        }
    }
    Ok(())
}

/// Appends `drafts` (if any), pulls and verifies everything new, applies others' ops, and records
/// the new verified state. On a verification error nothing is applied or recorded.
pub(crate) fn exchange(vault: &mut Vault, s: &Session, drafts: &[OpDraft], report: &mut SyncReport) -> Result<()> {
    let state = load_chain(vault)?;
    let writers: Writers = get_json(vault, WRITERS)?.unwrap_or_default();
    let keyring = Keyring::load(vault)?;
    let me = device_key(vault)?;
    let labels: Labels = get_json(vault, LABELS)?.unwrap_or_default();
    let mut view = WriterView { writers, hashes: BTreeMap::new(), keyring, vault: s.vault_hash, me: &me, labels };
    let (ops, new_state) = if drafts.is_empty() {
        s.client.pull(&state, &mut view)?
    } else {
        let outcome = s.client.sync(&state, drafts, &mut view)?;
        (outcome.ops, outcome.state)
    };
    // Decrypt everything before applying anything: a payload that does not open stops the sync.
    let mut payloads = Vec::new();
    for op in ops.iter().filter(|op| op.writer != s.device_pk) {
        let env = view
            .keyring
            .log_key_of(op)
            .and_then(|key| envelope::open(&key, &s.vault_hash, &op.ciphertext))
            .ok_or(SyncError::Tampered { what: "op payload does not decrypt", seq: Some(op.seq) })?;
        payloads.push(env.payload);
    }
    for payload in payloads {
        if let Payload::CollectionKeys { keys } = &payload {
            for k in keys {
                let key = Zeroizing::new(
                    coffre_sync::protocol::unb64_array::<32>(&k.key, "collection key")
                        .map_err(|_| SyncError::Tampered { what: "collection key", seq: None })?,
                );
                vault.import_collection_key(&k.collection, k.generation, &key)?;
            }
        }
        if let Payload::Vault { op, blobs } = payload {
            for (id, blob) in &blobs {
                set_json(vault, &format!("{BLOBREF}{id}"), blob)?;
            }
            let bytes = serde_json::to_vec(&op).map_err(|_| VaultError::InvalidInput("op".into()))?;
            if vault.apply_remote_op(&bytes)? == Applied::Changed {
                report.applied += 1;
            }
        }
    }
    set_json(vault, WRITERS, &view.writers)?;
    view.keyring.save(vault)?;
    set_json(vault, LABELS, &view.labels)?;
    vault.state_set(CHAIN, &new_state.to_json())?;
    report.pulled += ops.len() as u64;
    report.head_seq = new_state.point.seq;
    Ok(())
}

/// The local pages an outbox op announces (a new version's, not every version's).
fn announced_blobs(vault: &Vault, op: &serde_json::Value) -> Result<Vec<LocalBlob>> {
    if !matches!(op.get("kind").and_then(|k| k.as_str()), Some("create" | "add_version")) {
        return Ok(Vec::new());
    }
    let announced: Vec<&str> = op
        .get("blobs")
        .and_then(|b| b.as_array())
        .map(|a| a.iter().filter_map(|b| b.get("id").and_then(|i| i.as_str())).collect())
        .unwrap_or_default();
    let doc = DocId::parse(op.get("doc").and_then(|d| d.as_str()).unwrap_or_default())?;
    Ok(vault.local_blobs_of(&doc)?.into_iter().filter(|b| announced.contains(&hex::encode(b.id).as_str())).collect())
}

fn upload_blobs_of(
    vault: &Vault,
    client: &BlockingClient,
    op: &serde_json::Value,
    job: &JobProgress<'_>,
    cancel: &CancelToken,
    report: &mut SyncReport,
) -> Result<BTreeMap<String, BlobRef>> {
    let mut out = BTreeMap::new();
    for blob in announced_blobs(vault, op)? {
        let bytes = std::fs::read(&blob.path).map_err(VaultError::from)?;
        let transfer = job.transfer(blob.cipher_len);
        let up = client.upload_blob(&blob.id, &bytes, &|p| transfer.on_chunks(p), cancel)?;
        transfer.finish();
        report.blobs_uploaded += 1;
        report.bytes_uploaded += up.bytes_sent;
        out.insert(hex::encode(blob.id), up.blob);
    }
    Ok(out)
}

/// Blobs downloaded together: enough to keep the transfer pipeline full, little enough to hold in memory
/// (at most this many pages at once; pages are usually well under 1 MB).
const FETCH_GROUP: usize = 32;

/// Downloads blobs in groups (one pipelined transfer per group, see `download_blobs`) and stores each
/// one as it is checked; returns how many were stored. A cut keeps what was stored before it.
fn fetch_blobs(
    vault: &mut Vault,
    client: &BlockingClient,
    ids: &[[u8; 16]],
    job: &JobProgress<'_>,
    cancel: &CancelToken,
) -> Result<u64> {
    let mut stored = 0;
    for group in ids.chunks(FETCH_GROUP) {
        let mut refs = Vec::with_capacity(group.len());
        for id in group {
            let blob: BlobRef = get_json(vault, &format!("{BLOBREF}{}", hex::encode(id)))?
                .ok_or(VaultError::NotFound("blob location"))?;
            refs.push(blob);
        }
        let transfer = job.transfer(refs.iter().map(|r| r.len).sum());
        let fetched = client.download_blobs(&refs, &|p| transfer.on_chunks(p), cancel)?;
        for (id, bytes) in group.iter().zip(&fetched) {
            // The vault checks the bytes against the hash announced in the holder's own signed op.
            vault.store_fetched_blob(id, bytes)?;
            stored += 1;
        }
        transfer.finish();
        job.items_done(group.len() as u64);
    }
    Ok(stored)
}

/// The last verified chain state of this vault.
pub(crate) fn load_chain(vault: &Vault) -> Result<ChainState> {
    Ok(ChainState::from_json(&vault.state_get(CHAIN)?.ok_or(EngineError::NotEnrolled)?)?)
}

/// Downloads the pages of one document now (when the person opens it).
pub fn fetch_document(vault: &mut Vault, doc: &DocId, cancel: &CancelToken) -> Result<u64> {
    let s = session(vault)?;
    let ids: Vec<[u8; 16]> = vault.missing_blobs()?.into_iter().filter(|m| m.doc_id == *doc).map(|m| m.id).collect();
    fetch_blobs(vault, &s.client, &ids, &JobProgress::new(&|_| {}), cancel)
}

/// The devices of this vault: the log's certified ones and the server's members, merged (a server
/// member the log does not know is a stray, `in_log: false`). Asks the server; offline, the server's
/// fields are `None` and the log's view is still listed.
pub fn devices(vault: &mut Vault) -> Result<Vec<Device>> {
    let writers: Writers = get_json(vault, WRITERS)?.ok_or(EngineError::NotEnrolled)?;
    let labels: Labels = get_json(vault, LABELS)?.unwrap_or_default();
    let me = key_of(&device_key(vault)?.verifying_key().to_bytes());
    let kit: Option<String> = get_json(vault, KIT_DEVICE)?;
    let listed = session(vault).and_then(|s| Ok(s.client.devices()?)).map(|r| r.devices).unwrap_or_default();
    let mut server: BTreeMap<String, ServerMember> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for d in listed {
        let Ok(pk) = coffre_sync::protocol::unb64_array::<32>(&d.device_pk, "device") else { continue };
        let by = d.added_by.and_then(|b| coffre_sync::protocol::unb64_array::<32>(&b, "device").ok());
        order.push(key_of(&pk));
        server.insert(
            key_of(&pk),
            ServerMember {
                added_at: d.added_at,
                added_by: by.as_ref().map(key_of),
                removed_at: d.removed_at,
                last_seen_at: d.last_seen_at,
            },
        );
    }
    // The server's order (by enrolment) first, then the log's devices it does not list.
    order.extend(writers.keys().filter(|pk| !server.contains_key(*pk)).cloned());
    Ok(order
        .into_iter()
        .map(|pk| {
            let span = writers.get(&pk);
            let label = labels.get(&pk);
            let role = label.and_then(|l| l.role).unwrap_or(if kit.as_deref() == Some(pk.as_str()) {
                DeviceRole::RecoveryKit
            } else {
                DeviceRole::Device
            });
            Device {
                this_device: pk == me,
                removed: span.is_none_or(|s| s.until_seq.is_some()),
                in_log: span.is_some(),
                role,
                name: label.and_then(|l| l.name.clone()),
                certified_by: label.map(|l| l.certified_by.clone()),
                server: server.remove(&pk),
                public_key: pk,
            }
        })
        .collect())
}

/// Removes a device (a lost phone): the server refuses it at once, and the removal is written to
/// the log so every device stops accepting its ops.
pub fn remove_device(vault: &mut Vault, device_hex: &str) -> Result<()> {
    let device = hex32(device_hex)?;
    let s = session(vault)?;
    if device == s.device_pk {
        return Err(
            VaultError::InvalidInput("a device cannot remove itself; use another enrolled device".into()).into()
        );
    }
    s.client.remove_device(&device)?;
    queue_and_sync(vault, Payload::DeviceRemove { device: key_of(&device) })?;
    // The server removed what it enrolled along with it: the log says so too.
    members::follow_server_removals(vault)?;
    Ok(())
}
