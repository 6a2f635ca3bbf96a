//! [`Agent`]: the agent's side of mandates, on a social worker's phone (the app's second mode): a key
//! file under a passphrase, the organisation's certificate, the desk QR, deposits, consultation and
//! approving an assisted recovery. Thin wrappers over `coffre_core::mandate` and
//! `coffre_core::recovery`, following `coffre agent …` (docs/agents.md).

use crate::error::{CoffreError, Result};
use crate::inner::Inner;
use crate::progress::CancelHandle;
use crate::qr::QrCode;
use coffre_core::mandate::formats::{self as fmt, AgentCertificate, AgentFile, AgentKeys, DepositContent};
use coffre_core::mandate::{self as m, AgentPackage, MandateFlowError};
use coffre_core::recovery::agent_approve;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// How often `MandateOffer::receive` asks the server (the CLI's pace).
const RECEIVE_POLL: Duration = Duration::from_millis(500);

/// Who this agent device is, as its organisation certified it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AgentIdentity {
    pub agent_name: String,
    pub role: String,
    pub organisation: String,
    /// The organisation's public key (base64url): holders and desks can compare it.
    pub organisation_key: String,
    /// This device's public key (base64url), what the organisation revokes.
    pub device_key: String,
    /// Unix seconds.
    pub valid_from: u64,
    pub valid_until: u64,
    /// "Mme X (rôle) — CCAS de Y, valide jusqu'au …"
    pub identity_fr: String,
    pub identity_en: String,
    /// The certificate as text, for a holder who names this agent for assisted recovery.
    pub certificate: String,
}

impl From<&AgentCertificate> for AgentIdentity {
    fn from(c: &AgentCertificate) -> Self {
        AgentIdentity {
            agent_name: c.agent_name.clone(),
            role: c.role.clone(),
            organisation: c.org_name.clone(),
            organisation_key: fmt::b64(&c.org_pk),
            device_key: fmt::b64(&c.device_pk),
            valid_from: c.valid_from,
            valid_until: c.valid_until,
            identity_fr: fmt::identity_line(c, true),
            identity_en: fmt::identity_line(c, false),
            certificate: m::cert_to_text(c),
        }
    }
}

/// A mandate the holder signed for this agent. Keep `text` (and the server address) to act under it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AgentMandate {
    /// `COFFRE-MANDATE:…`, what `deposit`, `consult` and the others take.
    pub text: String,
    pub id: String,
    /// The holder's vault (hex): what a new phone needs to start an assisted recovery.
    pub vault_id: String,
    /// The server the holder's vault lives on.
    pub server_url: String,
    /// "deposit", "consult", "extract", "transmit".
    pub scopes: Vec<String>,
    pub collections: Vec<String>,
    /// Unix seconds.
    pub not_after: u64,
}

/// The server's countersigned receipt of a deposit.
#[derive(Debug, Clone, uniffi::Record)]
pub struct DepositReceipt {
    /// Unix seconds, server clock.
    pub received_at: u64,
    /// The server's public key (base64url) that signed the receipt.
    pub server_key: String,
}

/// A document the agent may see under a mandate (consult scope).
#[derive(Debug, Clone, uniffi::Record)]
pub struct AgentDocument {
    pub id: String,
    pub title: String,
    pub category: String,
    pub collection: String,
    pub pages: Vec<AgentPage>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct AgentPage {
    pub index: u32,
    pub mime: String,
}

/// An agent's approval of an assisted recovery, to hand back to the person's new phone.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RecoveryApproval {
    /// `COFFRE-ASSIST-OK:…`
    pub text: String,
    /// The same text as a QR for the new phone's camera.
    pub qr: QrCode,
    /// The vault (hex) the approval is for, to note in the organisation's records.
    pub vault_id: String,
}

struct AgentState {
    file: AgentFile,
    /// `None` once locked; dropping [`AgentKeys`] zeroizes them.
    keys: Option<AgentKeys>,
}

/// An agent device: its key file (the path in the app's private storage), unlocked by a passphrase.
/// Holds the keys until `lock()` or until it (and every `MandateOffer`/`MandatePackage` made from it)
/// is closed. Calls block; run them off the UI thread.
#[derive(uniffi::Object)]
pub struct Agent {
    path: PathBuf,
    state: Mutex<AgentState>,
}

impl Agent {
    fn state(&self) -> MutexGuard<'_, AgentState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn with_keys<T>(&self, f: impl FnOnce(&AgentFile, &AgentKeys) -> Result<T>) -> Result<T> {
        let state = self.state();
        let keys =
            state.keys.as_ref().ok_or_else(|| CoffreError::Busy { detail: "the agent keys are locked".into() })?;
        f(&state.file, keys)
    }

    fn certificate(file: &AgentFile) -> Result<AgentCertificate> {
        file.certificate()?.ok_or_else(|| CoffreError::NotFound {
            detail: "this device is not certified yet: install the organisation's certificate".into(),
        })
    }

    fn write(path: &Path, file: &AgentFile) -> Result<()> {
        Ok(coffre_core::vault::write_atomically(path, &file.to_json())?)
    }
}

/// Reads a file the app named; a missing one is `NotFound` naming `what`, never the path.
fn read_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => CoffreError::NotFound { detail: format!("no {what} at this location") },
        _ => coffre_core::vault::VaultError::Io(e).into(),
    })
}

#[uniffi::export]
impl Agent {
    /// A new agent device: creates its keys and the key file at `key_file` under `passphrase`
    /// (Argon2id, about a second). `Conflict` if the file exists. Then hand `enrolment_request()`
    /// to the organisation's admin.
    #[uniffi::constructor]
    pub fn create(key_file: String, passphrase: String) -> Result<Arc<Self>> {
        let passphrase = Zeroizing::new(passphrase);
        Inner::check_passphrase(&passphrase)?;
        let path = PathBuf::from(key_file);
        if path.exists() {
            return Err(CoffreError::Conflict { detail: "an agent key file already exists here".into() });
        }
        let (file, keys) = AgentFile::create(passphrase.as_bytes())?;
        Self::write(&path, &file)?;
        Ok(Arc::new(Agent { path, state: Mutex::new(AgentState { file, keys: Some(keys) }) }))
    }

    /// Opens the key file. `WrongPassphrase` on a wrong passphrase (or a damaged file).
    #[uniffi::constructor]
    pub fn open(key_file: String, passphrase: String) -> Result<Arc<Self>> {
        let passphrase = Zeroizing::new(passphrase);
        Inner::check_passphrase(&passphrase)?;
        let path = PathBuf::from(key_file);
        let file = AgentFile::parse(&read_file(&path, "agent key file")?)?;
        let keys = file.open(passphrase.as_bytes())?;
        Ok(Arc::new(Agent { path, state: Mutex::new(AgentState { file, keys: Some(keys) }) }))
    }

    /// The text (`COFFRE-AGENT-REQ:…`, or its QR) the organisation's admin certifies.
    pub fn enrolment_request(&self) -> Result<String> {
        Ok(self.state().file.enrolment_request()?)
    }

    /// Installs the certificate the admin made from the request; `Forbidden` if it is not genuine
    /// or certifies another device. Returns the certified identity.
    pub fn install_certificate(&self, certificate: String) -> Result<AgentIdentity> {
        let cert = m::cert_from_text(&certificate)?;
        let mut state = self.state();
        let mut file = state.file.clone();
        file.install_certificate(&cert)?;
        Self::write(&self.path, &file)?;
        state.file = file;
        Ok(AgentIdentity::from(&cert))
    }

    /// The certified identity, or `null` before the certificate is installed.
    pub fn identity(&self) -> Result<Option<AgentIdentity>> {
        Ok(self.state().file.certificate()?.as_ref().map(AgentIdentity::from))
    }

    /// Forgets the keys (zeroized); calls needing them fail with `Busy` until the key file is opened again.
    pub fn lock(&self) {
        self.state().keys = None;
    }

    pub fn is_unlocked(&self) -> bool {
        self.state().keys.is_some()
    }

    /// The desk QR for a holder to scan (certified identity + a fresh nonce). Keep the returned
    /// object to `receive` the mandate.
    pub fn offer(self: Arc<Self>, server_url: String) -> Result<Arc<MandateOffer>> {
        let offer = self.with_keys(|file, keys| Ok(m::agent_offer(&Self::certificate(file)?, keys, &server_url)?))?;
        Ok(Arc::new(MandateOffer { agent: self, offer }))
    }

    /// Deposits a document (bytes, e.g. a captured PDF) under a mandate with the deposit scope. The
    /// agent keeps nothing that opens it again; the holder's next sync imports it, certified.
    pub fn deposit_bytes(
        &self,
        server_url: String,
        mandate: String,
        bytes: Vec<u8>,
        file_name: String,
        title: String,
        category: String,
    ) -> Result<DepositReceipt> {
        let mandate = m::mandate_from_text(&mandate)?;
        let content = DepositContent { title, category, file_name, bytes };
        let receipt = self.with_keys(|_, keys| Ok(m::agent_deposit(&server_url, keys, &mandate, &content)?))?;
        Ok(DepositReceipt { received_at: receipt.received_at, server_key: fmt::b64(&receipt.server_pk) })
    }

    /// `deposit_bytes` with a file read from `path` (its name is kept).
    pub fn deposit_file(
        &self,
        server_url: String,
        mandate: String,
        path: String,
        title: String,
        category: String,
    ) -> Result<DepositReceipt> {
        let path = PathBuf::from(path);
        let bytes = read_file(&path, "file")?;
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "document".into());
        self.deposit_bytes(server_url, mandate, bytes, file_name, title, category)
    }

    /// Opens the documents a mandate with the consult scope shows (what the holder's phone published).
    pub fn consult(self: Arc<Self>, server_url: String, mandate: String) -> Result<Arc<MandatePackage>> {
        let mandate = m::mandate_from_text(&mandate)?;
        let package = self.with_keys(|_, keys| Ok(m::agent_consult(&server_url, keys, &mandate)?))?;
        Ok(Arc::new(MandatePackage { agent: self, server_url, mandate, package }))
    }

    /// Approves a person's assisted recovery (the new phone's `COFFRE-ASSIST-REQ:…`, scanned) after
    /// checking who is at the desk. `Forbidden` if this agent holds no piece for it.
    pub fn approve_recovery(&self, request: String) -> Result<RecoveryApproval> {
        let approval = self.with_keys(|file, keys| Ok(agent_approve(&Self::certificate(file)?, keys, &request)?))?;
        let qr = QrCode::for_screen(&approval.text)?;
        Ok(RecoveryApproval { text: approval.text, qr, vault_id: approval.vault })
    }
}

/// The agent's desk QR, waiting for the holder's mandate.
#[derive(uniffi::Object)]
pub struct MandateOffer {
    agent: Arc<Agent>,
    offer: m::DeskOffer,
}

#[uniffi::export]
impl MandateOffer {
    pub fn qr_text(&self) -> String {
        self.offer.to_qr_text()
    }

    /// The QR to show (medium error correction, for a screen).
    pub fn qr(&self) -> Result<QrCode> {
        QrCode::for_screen(&self.offer.to_qr_text())
    }

    /// The digits the holder compares with their screen, once the holder's phone scanned the QR and
    /// answered; `None` until then (ask again in a second). Show the QR until they come.
    pub fn short_code(&self) -> Result<Option<String>> {
        self.agent.with_keys(|_, keys| Ok(self.offer.short_code(keys)?))
    }

    /// Waits up to `timeout_secs` for the holder's mandate. `Busy` when none came in time (call
    /// again to keep waiting), `Cancelled` through `cancel`.
    pub fn receive(&self, timeout_secs: u32, cancel: Arc<CancelHandle>) -> Result<AgentMandate> {
        let deadline = Instant::now() + Duration::from_secs(u64::from(timeout_secs));
        loop {
            if cancel.is_cancelled() {
                return Err(CoffreError::Cancelled { detail: "cancelled".into() });
            }
            match self.agent.with_keys(|_, keys| Ok(m::agent_receive(&self.offer.offer, keys)))? {
                Err(MandateFlowError::Pending) if Instant::now() < deadline => std::thread::sleep(RECEIVE_POLL),
                Err(e) => return Err(e.into()),
                Ok(mandate) => {
                    return Ok(AgentMandate {
                        text: m::mandate_to_text(&mandate),
                        id: coffre_core::sync::protocol::MandateId::from(mandate.id).to_string(),
                        vault_id: coffre_core::sync::protocol::VaultId::from(mandate.vault).to_string(),
                        server_url: self.offer.offer.server_url.clone(),
                        scopes: mandate.scopes.list().into_iter().map(|s| s.code().to_string()).collect(),
                        collections: mandate.collections.clone(),
                        not_after: mandate.not_after,
                    });
                }
            }
        }
    }
}

/// What a consult mandate shows: the documents, and their pages fetched on demand.
#[derive(uniffi::Object)]
pub struct MandatePackage {
    agent: Arc<Agent>,
    server_url: String,
    mandate: fmt::Mandate,
    package: AgentPackage,
}

#[uniffi::export]
impl MandatePackage {
    pub fn documents(&self) -> Vec<AgentDocument> {
        self.package
            .documents
            .iter()
            .map(|d| AgentDocument {
                id: d.id.clone(),
                title: d.title.clone(),
                category: d.category.clone(),
                collection: d.collection.clone(),
                pages: d.pages.iter().map(|p| AgentPage { index: p.index, mime: p.mime.clone() }).collect(),
            })
            .collect()
    }

    /// Fetches and decrypts one page. `extract`: a download to keep (extract scope, recorded as such
    /// in the holder's audit trail); otherwise a view.
    pub fn page(&self, document_id: String, index: u32, extract: bool) -> Result<Vec<u8>> {
        let page = self
            .package
            .documents
            .iter()
            .find(|d| d.id == document_id)
            .and_then(|d| d.pages.iter().find(|p| p.index == index))
            .ok_or_else(|| CoffreError::NotFound { detail: "no such page under this mandate".into() })?;
        let bytes = self.agent.with_keys(|_, keys| {
            Ok(m::agent_page(&self.server_url, keys, &self.mandate, &self.package, page, extract)?)
        })?;
        Ok(bytes.to_vec())
    }
}
