//! Mandates, certified deposits and the audit trail from the holder's and the agent's devices, over the
//! sync server (formats in `coffre-mandate`, server checks in `sync-server/src/mandate.rs`,
//! docs/agents.md). Blocking, like the sync engine.
//!
//! The desk flow: the agent's app shows [`agent_offer`] as a QR; the holder's app shows [`scan`]
//! (short code + certified identity), then [`grant`] signs the mandate with the holder identity key,
//! stores it on the server and leaves it for the agent in a one-shot mailbox derived from the QR;
//! the agent's app picks it up with [`agent_receive`].

use crate::sync_engine::{self, EngineError};
use coffre_crypto::{SigningKey, sha256};
use coffre_mandate::audit::{AuditEntry, genesis};
use coffre_mandate::wire::{AuditPage, DepositList, DepositReceiptBody, MandateBody, MandateList};
use coffre_mandate::{
    AgentCertificate, AgentKeys, CertifiedDeposit, DepositContent, DepositReceipt, DepositSummary, Mandate,
    MandateError, MandateOffer, MandateTerms, Scope, Scopes, b64, identity_line, make_deposit, open_deposit, unb64,
};
use coffre_sync::protocol::AuditKind;
use coffre_sync::{BlockingClient, SyncError};
use coffre_vault::{FileKind, NewDocument, Origin, PageInput, PageRole, Vault, VaultError};
use serde::{Deserialize, Serialize};

pub use coffre_mandate as formats;

/// Errors of the mandate flows.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MandateFlowError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Format(#[from] MandateError),
    /// The agent's QR names another server than this vault's.
    #[error("the agent uses another server")]
    OtherServer,
    /// The holder has not answered yet (agent side).
    #[error("the mandate has not arrived yet")]
    Pending,
}

impl From<SyncError> for MandateFlowError {
    fn from(e: SyncError) -> Self {
        MandateFlowError::Engine(EngineError::Sync(e))
    }
}

impl From<VaultError> for MandateFlowError {
    fn from(e: VaultError) -> Self {
        MandateFlowError::Engine(EngineError::Vault(e))
    }
}

pub type Result<T> = std::result::Result<T, MandateFlowError>;

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn json<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

fn parse<T: for<'de> Deserialize<'de>>(b: &[u8]) -> Result<T> {
    serde_json::from_slice(b).map_err(|_| SyncError::Protocol("malformed response body".into()).into())
}

fn dalek(k: &SigningKey) -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&k.to_bytes())
}

/// The one-shot mailbox secret for handing the mandate to the agent: only who saw the QR knows it.
fn mailbox_secret(offer: &MandateOffer) -> [u8; 32] {
    sha256(&[b"coffre-mandate-mailbox-v1".as_slice(), &offer.encode()].concat())
}

// ----- holder side -----

/// What the holder's screen shows after scanning the agent's QR.
#[derive(Debug, Clone, Serialize)]
pub struct ScannedOffer {
    pub short_code: String,
    /// "Mme X (rôle) — CCAS de Y, valide jusqu'au …"
    pub identity_fr: String,
    pub identity_en: String,
    pub org_key: String,
    pub server_url: String,
}

/// Parses and checks the agent's QR.
pub fn scan(qr_text: &str) -> Result<ScannedOffer> {
    let o = MandateOffer::parse(qr_text, now())?;
    Ok(ScannedOffer {
        short_code: o.short_code(),
        identity_fr: identity_line(&o.cert, true),
        identity_en: identity_line(&o.cert, false),
        org_key: b64(&o.cert.org_pk),
        server_url: o.server_url.clone(),
    })
}

/// Signs a mandate for the agent of `qr_text` (after the person compared the codes), stores it on the
/// server and leaves it in the agent's mailbox. `days` from now.
pub fn grant(
    vault: &mut Vault,
    qr_text: &str,
    scopes: &[Scope],
    collections: Vec<String>,
    days: u32,
) -> Result<Mandate> {
    let offer = MandateOffer::parse(qr_text, now())?;
    if sync_engine::server_url(vault)?.as_deref() != Some(offer.server_url.as_str()) {
        return Err(MandateFlowError::OtherServer);
    }
    let (client, vault_hash, _) = sync_engine::holder_session(vault)?;
    let id = vault.root_key().derive_identity(0);
    let t = now();
    let terms = MandateTerms {
        scopes: Scopes::of(scopes),
        collections,
        not_before: t.saturating_sub(60),
        not_after: t + u64::from(days.max(1)) * 86_400,
    };
    let m = Mandate::sign(
        &id.signing,
        *id.exchange.public().as_bytes(),
        coffre_crypto::random_bytes(),
        offer.cert.clone(),
        offer.nonce,
        terms,
    )?;
    let body = MandateBody { v: 1, mandate: b64(&m.encode()), created_at: 0, revoked_at: None };
    client.send("POST", &format!("/v1/vaults/{}/mandates", hex::encode(vault_hash)), json(&body))?;
    client.mailbox_put(&mailbox_secret(&offer), &m.encode())?;
    if m.scopes.contains(Scope::Consult) || m.scopes.contains(Scope::Extract) {
        publish_package(vault, &hex::encode(m.id))?;
    }
    Ok(m)
}

/// A mandate as the holder lists it.
#[derive(Debug, Clone, Serialize)]
pub struct MandateInfo {
    pub id: String,
    pub agent: String,
    pub role: String,
    pub org: String,
    pub scopes: Vec<&'static str>,
    pub collections: Vec<String>,
    pub not_after: u64,
    pub revoked: bool,
    pub active: bool,
}

fn holder_mandates(vault: &mut Vault) -> Result<Vec<(Mandate, Option<u64>)>> {
    let (client, vault_hash, _) = sync_engine::holder_session(vault)?;
    let list: MandateList =
        parse(&client.send("GET", &format!("/v1/vaults/{}/mandates", hex::encode(vault_hash)), vec![])?)?;
    let me = *vault.root_key().derive_identity(0).signing.verifying_key().as_bytes();
    let mut out = Vec::new();
    for b in list.mandates {
        let m = Mandate::decode_verified(&unb64(&b.mandate, coffre_mandate::mandate::MAX_MANDATE_LEN, "mandate")?)?;
        // Only mandates this holder signed count, whatever the server lists.
        if m.holder_pk == me {
            out.push((m, b.revoked_at));
        }
    }
    Ok(out)
}

/// The vault's mandates (verified: signed by this holder).
pub fn list(vault: &mut Vault) -> Result<Vec<MandateInfo>> {
    let t = now();
    Ok(holder_mandates(vault)?
        .into_iter()
        .map(|(m, revoked)| MandateInfo {
            id: hex::encode(m.id),
            agent: m.cert.agent_name.clone(),
            role: m.cert.role.clone(),
            org: m.cert.org_name.clone(),
            scopes: m.scopes.list().into_iter().map(Scope::code).collect(),
            collections: m.collections.clone(),
            not_after: m.not_after,
            revoked: revoked.is_some(),
            active: revoked.is_none() && m.check_active(t).is_ok(),
        })
        .collect())
}

/// Revokes a mandate: the server refuses the agent at once. What the agent already read cannot be
/// unread (the apps say so).
pub fn revoke(vault: &mut Vault, id_hex: &str) -> Result<()> {
    let (client, vault_hash, _) = sync_engine::holder_session(vault)?;
    client.send("DELETE", &format!("/v1/vaults/{}/mandates/{id_hex}", hex::encode(vault_hash)), vec![])?;
    Ok(())
}

const DEPOSIT_CERT: &str = "deposit.cert:";

/// The certificate of an imported deposit, as kept in the vault and exported.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredDeposit {
    pub v: u32,
    pub document: String,
    pub statement: String,
    pub receipt: String,
    pub mandate: String,
    /// The server key pinned at enrolment, which countersigned.
    pub server_pk: String,
}

impl StoredDeposit {
    /// Verifies offline against `server_pk` (the pinned key).
    pub fn verify(&self, server_pk: &[u8; 32]) -> std::result::Result<DepositSummary, MandateError> {
        let big = coffre_mandate::mandate::MAX_MANDATE_LEN;
        CertifiedDeposit::decode(
            &unb64(&self.statement, big, "statement")?,
            &unb64(&self.receipt, coffre_mandate::deposit::RECEIPT_LEN, "receipt")?,
            &unb64(&self.mandate, big, "mandate")?,
        )?
        .verify(server_pk, None)
    }
}

/// One imported deposit.
#[derive(Debug, Clone, Serialize)]
pub struct ImportedDeposit {
    pub document: String,
    pub summary: DepositSummary,
}

/// Imports pending deposits: each is verified (mandate signed by this holder with the deposit scope,
/// agent certified, statement signed, server receipt under the pinned key, bytes matching), opened with
/// the holder's X25519 key, added to the vault as a certified deposit, and dropped from the server.
/// A deposit that fails a check is left on the server and not imported.
pub fn import_deposits(vault: &mut Vault) -> Result<Vec<ImportedDeposit>> {
    let (client, vault_hash, server_pk) = sync_engine::holder_session(vault)?;
    let list: DepositList =
        parse(&client.send("GET", &format!("/v1/vaults/{}/deposits", hex::encode(vault_hash)), vec![])?)?;
    if list.deposits.is_empty() {
        return Ok(Vec::new());
    }
    let mandates = holder_mandates(vault)?;
    let id = vault.root_key().derive_identity(0);
    let mut out = Vec::new();
    for d in list.deposits {
        let Ok(st) = coffre_mandate::DepositStatement::decode_verified(&unb64(
            &d.statement,
            coffre_mandate::deposit::MAX_STATEMENT_LEN,
            "statement",
        )?) else {
            continue;
        };
        let Some((m, _)) = mandates.iter().find(|(m, _)| m.id == st.mandate_id) else { continue };
        let ct = unb64(&d.ciphertext, usize::MAX / 2, "deposit")?;
        let stored = StoredDeposit {
            v: 1,
            document: String::new(),
            statement: d.statement.clone(),
            receipt: d.receipt.clone(),
            mandate: b64(&m.encode()),
            server_pk: b64(&server_pk),
        };
        let Ok(summary) = stored.verify(&server_pk) else { continue };
        if sha256(&ct) != st.ct_hash {
            continue;
        }
        let content: DepositContent = open_deposit(&id.exchange, &st, &ct)?;
        let mime = FileKind::claimed_by_name(&content.file_name).map(FileKind::mime).unwrap_or("application/pdf");
        let notes = format!(
            "Déposé par {} ({}) — {}, {} — vérifié",
            summary.agent_name,
            summary.role,
            summary.org_name,
            coffre_mandate::date_of(summary.deposited_at)
        );
        let category =
            if coffre_vault::category(&content.category).is_some() { content.category } else { "autre".into() };
        let meta = NewDocument { category, title: content.title, notes, ..NewDocument::default() };
        let page = PageInput { bytes: content.bytes, mime: mime.into(), role: PageRole::Page };
        let doc = vault.add_document(meta, Origin::Deposit, vec![page])?;
        let stored = StoredDeposit { document: doc.to_hex(), ..stored };
        vault.state_set(&format!("{DEPOSIT_CERT}{}", doc.to_hex()), &json(&stored))?;
        client.send("DELETE", &format!("/v1/vaults/{}/deposits/{}", hex::encode(vault_hash), d.id), vec![])?;
        out.push(ImportedDeposit { document: doc.to_hex(), summary });
    }
    Ok(out)
}

/// The certificate of a deposited document, if it is one.
pub fn deposit_certificate(vault: &Vault, doc_hex: &str) -> Result<Option<StoredDeposit>> {
    match vault.state_get(&format!("{DEPOSIT_CERT}{doc_hex}"))? {
        Some(b) => Ok(Some(serde_json::from_slice(&b).map_err(|_| VaultError::Corrupt { what: "deposit".into() })?)),
        None => Ok(None),
    }
}

/// Certificates of every imported deposit still in the vault.
pub fn deposit_certificates(vault: &Vault) -> Result<Vec<StoredDeposit>> {
    let mut out = Vec::new();
    for d in vault.list(&coffre_vault::ListQuery::default())? {
        if d.origin == Origin::Deposit
            && let Some(c) = deposit_certificate(vault, &d.id.to_hex())?
        {
            out.push(c);
        }
    }
    Ok(out)
}

/// One verified audit event.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    pub seq: u64,
    pub time: u64,
    pub kind: String,
    /// Who acted, as certified ("Mme X (rôle) — org") or a device key.
    pub actor: String,
    /// What the writer's own signature proves, when the entry carries one ("mandate signed by you",
    /// "deposit signed by the agent").
    pub writer_signed: bool,
    pub detail: serde_json::Value,
}

/// The whole audit trail, verified: chain and server signatures (pinned key) and, where an entry
/// carries the writer's signed object, that signature too. Returns the events and the raw entries
/// (for the export).
pub fn audit(vault: &mut Vault) -> Result<(Vec<AuditEvent>, Vec<AuditEntry>)> {
    let (client, vault_hash, server_pk) = sync_engine::holder_session(vault)?;
    let mut entries = Vec::new();
    let mut from = (0, genesis(&vault_hash));
    loop {
        let page: AuditPage = parse(&client.send(
            "GET",
            &format!("/v1/vaults/{}/audit?since={}", hex::encode(vault_hash), from.0),
            vec![],
        )?)?;
        from = coffre_mandate::verify_chain(&page.entries, &vault_hash, &server_pk, from)?;
        let done = !page.more || page.entries.is_empty();
        entries.extend(page.entries);
        if done {
            break;
        }
    }
    // The chain must extend the head this device verified last time: a server that drops the latest
    // entries (or rewrites history with its own key) is caught, not only one that edits an entry.
    if let Some(b) = vault.state_get(AUDIT_HEAD)? {
        let (seq, hash): (u64, String) =
            serde_json::from_slice(&b).map_err(|_| VaultError::Corrupt { what: "audit head".into() })?;
        let n = usize::try_from(seq).unwrap_or(usize::MAX);
        if entries.len() < n {
            return Err(MandateError::Mismatch("audit trail shorter than last time").into());
        }
        let (_, at) = coffre_mandate::verify_chain(&entries[..n], &vault_hash, &server_pk, (0, genesis(&vault_hash)))?;
        if hex::encode(at) != hash {
            return Err(MandateError::Mismatch("audit trail rewritten since last time").into());
        }
    }
    vault.state_set(AUDIT_HEAD, &json(&(from.0, hex::encode(from.1))))?;
    let me = *vault.root_key().derive_identity(0).signing.verifying_key().as_bytes();
    let events = entries.iter().map(|e| event(e, &me)).collect::<Result<Vec<_>>>()?;
    Ok((events, entries))
}

const AUDIT_HEAD: &str = "audit.head";

fn event(e: &AuditEntry, holder: &[u8; 32]) -> Result<AuditEvent> {
    let detail: serde_json::Value = serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null);
    let s = |k: &str| detail.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let big = coffre_mandate::mandate::MAX_MANDATE_LEN;
    let (actor, writer_signed) = match AuditKind::parse(&e.kind) {
        AuditKind::MandateGranted => {
            let m = Mandate::decode_verified(&unb64(&s("mandate"), big, "mandate")?)?;
            if &m.holder_pk != holder {
                return Err(MandateError::Mismatch("audit: mandate not signed by this holder").into());
            }
            (format!("{} → {}", s("by_device"), identity_line(&m.cert, true)), true)
        }
        AuditKind::DepositReceived => {
            let st = coffre_mandate::DepositStatement::decode_verified(&unb64(&s("statement"), big, "statement")?)?;
            (identity_line(&st.cert, true), true)
        }
        k if k.is_agent_action() => (format!("{} ({}) — {}", s("agent"), s("role"), s("org")), false),
        _ => (s("by_device"), false),
    };
    Ok(AuditEvent { seq: e.seq, time: e.time, kind: e.kind.clone(), actor, writer_signed, detail })
}

/// What goes into an export next to the documents: the audit trail (raw, verifiable entries) and the
/// deposit certificates, with the pinned server key and the vault id to check them offline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditExport {
    pub v: u32,
    pub vault: String,
    pub server_pk: String,
    pub entries: Vec<AuditEntry>,
    pub deposits: Vec<StoredDeposit>,
}

pub fn audit_export(vault: &mut Vault) -> Result<AuditExport> {
    let (_, vault_hash, server_pk) = sync_engine::holder_session(vault)?;
    let (_, entries) = audit(vault)?;
    Ok(AuditExport {
        v: 1,
        vault: hex::encode(vault_hash),
        server_pk: b64(&server_pk),
        entries,
        deposits: deposit_certificates(vault)?,
    })
}

/// Offline check of an exported `audit.json`: the chain, and every deposit certificate, against the
/// server key in the file or the one given (a verifier that knows the operator's key passes it).
pub fn verify_export(export: &AuditExport, server_pk: Option<[u8; 32]>) -> Result<Vec<DepositSummary>> {
    let pk: [u8; 32] = match server_pk {
        Some(k) => k,
        None => {
            unb64(&export.server_pk, 32, "server key")?.try_into().map_err(|_| MandateError::Malformed("server key"))?
        }
    };
    let mut vault = [0u8; 32];
    hex::decode_to_slice(&export.vault, &mut vault).map_err(|_| MandateError::Malformed("vault id"))?;
    coffre_mandate::verify_chain(&export.entries, &vault, &pk, (0, genesis(&vault)))?;
    export.deposits.iter().map(|d| d.verify(&pk).map_err(Into::into)).collect()
}

// ----- agent side -----

/// The agent's QR for the desk; keep it to receive the mandate.
pub fn agent_offer(cert: &AgentCertificate, keys: &AgentKeys, server_url: &str) -> Result<MandateOffer> {
    Ok(MandateOffer::new(cert.clone(), &keys.signing, server_url, coffre_crypto::random_bytes(), now())?)
}

/// Picks up the mandate the holder left for this offer; [`MandateFlowError::Pending`] if not yet.
pub fn agent_receive(offer: &MandateOffer, keys: &AgentKeys) -> Result<Mandate> {
    let client = BlockingClient::new(&offer.server_url, dalek(&keys.signing))?;
    let secret = mailbox_secret(offer);
    let Some(bytes) = client.mailbox_get(&secret)? else { return Err(MandateFlowError::Pending) };
    let m = Mandate::decode_verified(&bytes)?;
    if m.cert.device_pk != keys.device_pk() || m.offer_nonce != offer.nonce {
        return Err(MandateError::Mismatch("the mandate is for another desk session").into());
    }
    let _ = client.mailbox_delete(&secret);
    Ok(m)
}

/// Deposits a document under `mandate` (deposit scope); returns the server's receipt. The agent keeps
/// nothing that could open it again.
pub fn agent_deposit(
    server_url: &str,
    keys: &AgentKeys,
    mandate: &Mandate,
    content: &DepositContent,
) -> Result<DepositReceipt> {
    let client = BlockingClient::new(server_url, dalek(&keys.signing))?;
    let (st, sealed) = make_deposit(mandate, &keys.signing, content, coffre_crypto::random_bytes(), now())?;
    let body = serde_json::json!({ "v": 1, "statement": b64(&st.encode()), "ciphertext": b64(&sealed) });
    let path = format!("/v1/agent/vaults/{}/mandates/{}/deposits", hex::encode(mandate.vault), hex::encode(mandate.id));
    let resp: DepositReceiptBody = parse(&client.send("POST", &path, body.to_string().into_bytes())?)?;
    Ok(DepositReceipt::decode_verified(&unb64(&resp.receipt, coffre_mandate::deposit::RECEIPT_LEN, "receipt")?)?)
}

// ----- organisation admin -----

/// A client for endpoints that authenticate by their signed body, not by the request signature
/// (organisation registration and revocations): requests are signed by a throwaway key.
fn anonymous(server_url: &str) -> Result<BlockingClient> {
    Ok(BlockingClient::new(server_url, ed25519_dalek::SigningKey::from_bytes(&coffre_crypto::random_bytes()))?)
}

/// Registers the organisation's public key with a server (idempotent).
pub fn register_org(server_url: &str, org: &coffre_mandate::OrgKey) -> Result<()> {
    let body = coffre_mandate::wire::OrgRegisterRequest { v: 1, registration: b64(&org.registration(now()).encode()) };
    anonymous(server_url)?.send("POST", "/v1/orgs", json(&body))?;
    Ok(())
}

/// Publishes the revocation of an agent device; the server refuses its requests from now on.
pub fn revoke_agent(server_url: &str, org: &coffre_mandate::OrgKey, device_pk: [u8; 32]) -> Result<()> {
    let body =
        coffre_mandate::wire::RevocationRequest { v: 1, revocation: b64(&org.revoke(device_pk, now()).encode()) };
    anonymous(server_url)?.send("POST", &format!("/v1/orgs/{}/revocations", b64(&org.public())), json(&body))?;
    Ok(())
}

const CERT_PREFIX: &str = "COFFRE-AGENT-CERT:";
const MANDATE_PREFIX: &str = "COFFRE-MANDATE:";

/// A certificate as text, to hand from the admin to the agent.
pub fn cert_to_text(cert: &AgentCertificate) -> String {
    format!("{CERT_PREFIX}{}", b64(&cert.encode()))
}

pub fn cert_from_text(s: &str) -> Result<AgentCertificate> {
    let body = s.trim().strip_prefix(CERT_PREFIX).ok_or(MandateError::Malformed("certificate text"))?;
    Ok(AgentCertificate::decode(&unb64(body, coffre_mandate::org::MAX_CERT_LEN, "certificate text")?)?)
}

/// A mandate as text (the agent keeps it to act under it).
pub fn mandate_to_text(m: &Mandate) -> String {
    format!("{MANDATE_PREFIX}{}", b64(&m.encode()))
}

pub fn mandate_from_text(s: &str) -> Result<Mandate> {
    let body = s.trim().strip_prefix(MANDATE_PREFIX).ok_or(MandateError::Malformed("mandate text"))?;
    Ok(Mandate::decode_verified(&unb64(body, coffre_mandate::mandate::MAX_MANDATE_LEN, "mandate text")?)?)
}

// ----- consult and extract: the per-mandate package -----
//
// Deviation from DESIGN.md §5 (docs/agents.md): the agent never receives the vault's collection keys.
// A holder device re-encrypts the pages of the mandated collections under a key of this mandate only
// (HKDF(ARK, "mandate-package/<id>")), uploads them as blobs, and publishes an index sealed to the
// agent's X25519 key; the server lets the agent fetch only the blobs listed for that mandate. So a
// revocation needs no rotation of the vault's keys: the server drops the package and refuses the
// agent, and later documents are only ever published to the packages of mandates still in force,
// each under its own key. The cost is a second encrypted copy of the pages an agent may see.

const PACKAGE_STATE: &str = "mandate.package:";
const PACKAGE_AAD: &[u8] = b"coffre-mandate-package-v1";
const PAGE_AAD: &[u8] = b"coffre-mandate-page-v1";

/// One page of a document in a package.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PackagePage {
    pub index: u32,
    pub mime: String,
    pub blob: coffre_sync::BlobRef,
}

/// One document as the agent sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PackageDocument {
    pub id: String,
    pub title: String,
    pub category: String,
    pub collection: String,
    pub pages: Vec<PackagePage>,
}

/// What the agent opens: the mandate's page key and the index.
#[derive(Serialize, Deserialize)]
pub struct AgentPackage {
    pub v: u32,
    pub mandate: String,
    key: String,
    pub documents: Vec<PackageDocument>,
}

impl std::fmt::Debug for AgentPackage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentPackage")
            .field("mandate", &self.mandate)
            .field("documents", &self.documents.len())
            .finish()
    }
}

fn package_aad(mandate_id: &[u8; 16]) -> Vec<u8> {
    [PACKAGE_AAD, mandate_id].concat()
}

fn page_aad(mandate_id: &[u8; 16], blob_id: &str) -> Vec<u8> {
    [PAGE_AAD, mandate_id, blob_id.as_bytes()].concat()
}

/// (Re)publishes the package of every mandate in force with the consult or extract scope: pages not
/// published yet are encrypted and uploaded; the index is sealed again. Returns how many mandates.
pub fn publish_packages(vault: &mut Vault) -> Result<usize> {
    let t = now();
    let ids: Vec<[u8; 16]> = holder_mandates(vault)?
        .into_iter()
        .filter(|(m, revoked)| {
            revoked.is_none()
                && m.check_active(t).is_ok()
                && (m.scopes.contains(Scope::Consult) || m.scopes.contains(Scope::Extract))
        })
        .map(|(m, _)| m.id)
        .collect();
    for id in &ids {
        publish_package(vault, &hex::encode(id))?;
    }
    Ok(ids.len())
}

/// Publishes the package of one mandate (see [`publish_packages`]).
pub fn publish_package(vault: &mut Vault, mandate_hex: &str) -> Result<usize> {
    let (m, _) = holder_mandates(vault)?
        .into_iter()
        .find(|(m, _)| hex::encode(m.id) == mandate_hex)
        .ok_or(VaultError::NotFound("mandate"))?;
    let (client, vault_hash, _) = sync_engine::holder_session(vault)?;
    let key = vault.root_key().derive_subkey(&format!("mandate-package/{mandate_hex}"));
    let state_key = format!("{PACKAGE_STATE}{mandate_hex}");
    let mut published: std::collections::BTreeMap<String, coffre_sync::BlobRef> = match vault.state_get(&state_key)? {
        Some(b) => serde_json::from_slice(&b).map_err(|_| VaultError::Corrupt { what: "mandate package".into() })?,
        None => Default::default(),
    };
    let mut documents = Vec::new();
    for doc in vault.list(&coffre_vault::ListQuery::default())? {
        if !m.collections.contains(&doc.collection) {
            continue;
        }
        let mut pages = Vec::new();
        for index in 0..u32::try_from(doc.page_count()).unwrap_or(0) {
            let slot = format!("{}/{index}", doc.id.to_hex());
            let blob = match published.get(&slot) {
                Some(b) => b.clone(),
                None => {
                    let bytes = match vault.page_bytes(&doc.id, index) {
                        Ok(b) => b,
                        Err(_) => {
                            // Not downloaded on this device yet.
                            sync_engine::fetch_document(vault, &doc.id, &coffre_sync::CancelToken::new())?;
                            vault.page_bytes(&doc.id, index)?
                        }
                    };
                    let blob_id: [u8; 16] = coffre_crypto::random_bytes();
                    let ct = coffre_crypto::seal_symmetric(&key, &bytes, &page_aad(&m.id, &hex::encode(blob_id)));
                    let up = client.upload_blob(&blob_id, &ct, &|_| {}, &coffre_sync::CancelToken::new())?;
                    published.insert(slot, up.blob.clone());
                    up.blob
                }
            };
            pages.push(PackagePage { index, mime: vault.page_mime(&doc.id, index)?, blob });
        }
        documents.push(PackageDocument {
            id: doc.id.to_hex(),
            title: doc.title.clone(),
            category: doc.category.clone(),
            collection: doc.collection.clone(),
            pages,
        });
    }
    vault.state_set(&state_key, &json(&published))?;
    let n = documents.len();
    let package = AgentPackage { v: 1, mandate: mandate_hex.to_string(), key: b64(key.as_bytes()), documents };
    let plain = coffre_crypto::Zeroizing::new(json(&package));
    let sealed = coffre_crypto::seal_to(&m.cert.exchange_public(), &plain, &package_aad(&m.id))
        .map_err(|_| MandateError::BadKey("agent exchange key"))?;
    let blobs: Vec<String> =
        package.documents.iter().flat_map(|d| d.pages.iter().map(|p| p.blob.blob_id.clone())).collect();
    let body = serde_json::json!({ "v": 1, "sealed": b64(&sealed), "blobs": blobs });
    client.send(
        "PUT",
        &format!("/v1/vaults/{}/mandates/{mandate_hex}/package", hex::encode(vault_hash)),
        body.to_string().into_bytes(),
    )?;
    Ok(n)
}

fn agent_path(m: &Mandate, rest: &str) -> String {
    format!("/v1/agent/vaults/{}/mandates/{}{rest}", hex::encode(m.vault), hex::encode(m.id))
}

/// The agent opens the package of its mandate (consult scope).
pub fn agent_consult(server_url: &str, keys: &AgentKeys, mandate: &Mandate) -> Result<AgentPackage> {
    let client = BlockingClient::new(server_url, dalek(&keys.signing))?;
    let body: coffre_mandate::wire::PackageBody =
        parse(&client.send("GET", &agent_path(mandate, "/package"), vec![])?)?;
    let sealed = unb64(&body.sealed, usize::MAX / 2, "package")?;
    let plain = coffre_crypto::open_sealed(&keys.exchange, &sealed, &package_aad(&mandate.id))
        .map_err(|_| MandateError::BadKey("package does not open with this agent's key"))?;
    let p: AgentPackage = serde_json::from_slice(&plain).map_err(|_| MandateError::Malformed("package"))?;
    if p.v != 1 || p.mandate != hex::encode(mandate.id) {
        return Err(MandateError::Mismatch("package of another mandate").into());
    }
    Ok(p)
}

/// Fetches and decrypts one page of the package; `extract` marks it a download to keep (extract scope).
pub fn agent_page(
    server_url: &str,
    keys: &AgentKeys,
    mandate: &Mandate,
    package: &AgentPackage,
    page: &PackagePage,
    extract: bool,
) -> Result<coffre_crypto::Zeroizing<Vec<u8>>> {
    let client = BlockingClient::new(server_url, dalek(&keys.signing))?;
    let q = if extract { "?purpose=extract" } else { "" };
    let framed = client.send("GET", &agent_path(mandate, &format!("/blobs/{}{q}", page.blob.blob_id)), vec![])?;
    let tampered = || MandateFlowError::from(SyncError::Tampered { what: "package page", seq: None });
    let mut data = Vec::new();
    let mut rest = framed.as_slice();
    for want in &page.blob.chunks {
        if rest.len() < 4 {
            return Err(tampered());
        }
        let (len, tail) = rest.split_at(4);
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        if tail.len() < len {
            return Err(tampered());
        }
        let (chunk, tail) = tail.split_at(len);
        if hex::encode(coffre_sync::protocol::chunk_address(chunk)) != *want {
            return Err(tampered());
        }
        data.extend_from_slice(chunk);
        rest = tail;
    }
    let len = usize::try_from(page.blob.len).map_err(|_| tampered())?;
    if !rest.is_empty() || len > data.len() || data[len..].iter().any(|b| *b != 0) {
        return Err(tampered());
    }
    data.truncate(len);
    let raw: [u8; 32] = unb64(&package.key, 32, "package key")?.try_into().map_err(|_| tampered())?;
    let key = coffre_crypto::SymmetricKey::from_bytes(raw);
    coffre_crypto::open_symmetric(&key, &data, &page_aad(&mandate.id, &page.blob.blob_id)).map_err(|_| tampered())
}

/// What [`after_sync`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AfterSync {
    pub deposits: Vec<ImportedDeposit>,
    pub packages_published: usize,
}

/// To run after each successful sync (the CLI's `coffre sync` does): imports certified deposits and
/// publishes new documents to the agents' packages of mandates in force.
pub fn after_sync(vault: &mut Vault) -> Result<AfterSync> {
    let deposits = import_deposits(vault)?;
    let packages_published = publish_packages(vault)?;
    Ok(AfterSync { deposits, packages_published })
}
