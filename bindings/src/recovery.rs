//! [`RecoveryApi`]: the life of an account — the recovery kit, a lost phone, closing the vault — and,
//! on [`crate::Coffre`], restoring a vault on a new phone from the kit alone. Thin wrappers over
//! `coffre_core::recovery` (docs/recovery.md).

use crate::error::{CoffreError, Result};
use crate::inner::Inner;
use crate::qr::QrCode;
use crate::types::MandateInfo;
use coffre_core::recovery::assisted::assisted_key;
use coffre_core::recovery::setup_assisted_with_agents;
use coffre_core::recovery::{self as rec, AssistedRequest};
use coffre_core::recovery::{RecoveryCode, WordList, kit_share};
use coffre_core::sync::protocol::{recovery::AssistedStatus as CoreStatus, unb64};
use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

/// A fresh recovery kit: show the words and the QR once, print the PDF, then let it go. The old kit
/// stopped working when this one was made.
#[derive(uniffi::Record)]
pub struct RecoveryKit {
    /// The 12 words, in the chosen list.
    pub words: Vec<String>,
    /// The QR of the code and the server address (quartile error correction, for paper).
    pub qr: QrCode,
    /// A one-page PDF in plain French (FALC), to print at the desk.
    pub pdf: Vec<u8>,
}

/// What removing a lost phone gives: the new kit to show and print (the old paper opens nothing any
/// more), and the mandates to confirm again or revoke.
#[derive(uniffi::Record)]
pub struct LostDeviceRemoval {
    pub kit: RecoveryKit,
    pub mandates: Vec<MandateInfo>,
}

/// The word lists of a kit.
#[derive(Debug, Clone, Copy, uniffi::Enum)]
pub enum KitLanguage {
    French,
    English,
}

impl From<KitLanguage> for WordList {
    fn from(l: KitLanguage) -> Self {
        match l {
            KitLanguage::French => WordList::French,
            KitLanguage::English => WordList::English,
        }
    }
}

/// The server's signed confirmation that it deleted everything of a vault.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ClosureInfo {
    /// Unix seconds, server clock.
    pub closed_at: u64,
    /// Whether the server took part (`false`: a vault never connected to a server, only shredded here).
    pub server_confirmed: bool,
}

/// Assisted recovery is on: the kit share to print with the kit (a kit made from now on prints it too).
#[derive(uniffi::Record)]
pub struct AssistedSetup {
    /// `coffre-kit-share:1:…`, what the share's QR holds.
    pub kit_share: String,
    /// The same share as hex digits in groups of five, to type when the QR cannot be read.
    pub kit_share_groups: Vec<String>,
    /// The share's QR (quartile error correction, for paper).
    pub kit_share_qr: QrCode,
}

/// Where an assisted-recovery request stands on the server.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AssistedStatus {
    /// Unix seconds, server clock; 0 when no request was started.
    pub started_at: u64,
    /// Nothing is released before this time.
    pub ready_at: u64,
    /// Cancelled from a phone of the vault.
    pub cancelled: bool,
    /// Too many wrong PINs: set assisted recovery up again from a phone of the vault.
    pub locked: bool,
}

impl From<CoreStatus> for AssistedStatus {
    fn from(s: CoreStatus) -> Self {
        AssistedStatus { started_at: s.started_at, ready_at: s.ready_at, cancelled: s.cancelled, locked: s.locked }
    }
}

#[derive(uniffi::Object)]
pub struct RecoveryApi {
    pub(crate) inner: Arc<Inner>,
}

#[uniffi::export]
impl RecoveryApi {
    /// Makes a new kit (at sign-up or on demand). Needs the server: the kit's slot lives there.
    /// `date` is printed on the PDF as given (e.g. "23/11/2026").
    pub fn make_kit(&self, language: KitLanguage, date: String) -> Result<RecoveryKit> {
        self.inner.with_vault(|vault| {
            let kit = rec::make_kit(vault)?;
            let list = WordList::from(language);
            let qr = QrCode::from_matrix(&kit.qr()?)?;
            let pdf = kit.pdf(list, &date)?;
            Ok(RecoveryKit { words: kit.words(list), qr, pdf: pdf.to_vec() })
        })
    }

    /// A lost or stolen phone: the server refuses it (and any key it enrolled) at once, the vault
    /// moves to a new account key (nothing the phone holds opens what is written afterwards), and a
    /// new kit is made: show it and ask the person to print it, the old one no longer works. Also
    /// returns the active mandates, for the person to confirm again or revoke.
    pub fn remove_lost_device(&self, device: String, language: KitLanguage, date: String) -> Result<LostDeviceRemoval> {
        self.inner.with_vault(|vault| {
            let removed = rec::remove_lost_device(vault, &device)?;
            let list = WordList::from(language);
            let kit = &removed.kit;
            let qr = QrCode::from_matrix(&kit.qr()?)?;
            let pdf = kit.pdf(list, &date)?;
            let kit = RecoveryKit { words: kit.words(list), qr, pdf: pdf.to_vec() };
            Ok(LostDeviceRemoval { kit, mandates: removed.mandates.into_iter().map(Into::into).collect() })
        })
    }

    /// Turns assisted recovery on (docs/recovery.md §3): any two of the provider (after a waiting
    /// delay, with `pin`), the organisation (two of `agent_certificates` approving) and the printed
    /// kit share restore the vault. Certificates as the agents' apps show them (`COFFRE-AGENT-CERT:…`),
    /// at least two, of one registered organisation, none revoked (`Forbidden` otherwise).
    pub fn setup_assisted(&self, pin: String, agent_certificates: Vec<String>) -> Result<AssistedSetup> {
        let pin = Zeroizing::new(pin);
        if pin.trim().is_empty() {
            return Err(CoffreError::invalid("the recovery PIN is empty"));
        }
        let certs = agent_certificates
            .iter()
            .map(|c| coffre_core::mandate::cert_from_text(c))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        self.inner.with_vault(|vault| {
            let share = setup_assisted_with_agents(vault, &pin, None, &certs)?;
            let text = kit_share::qr_text(&share);
            let qr = coffre_core::qr::encode(&text, coffre_core::qr::EcLevel::Quartile)?;
            Ok(AssistedSetup {
                kit_share: text.to_string(),
                kit_share_groups: kit_share::groups(&share),
                kit_share_qr: QrCode::from_matrix(&qr)?,
            })
        })
    }

    /// Cancels a pending assisted recovery (the person did not ask for it): the server releases nothing.
    pub fn cancel_assisted(&self) -> Result<AssistedStatus> {
        self.inner.with_vault(|vault| Ok(rec::cancel_assisted(vault)?.into()))
    }

    /// Closes the vault for good (droit de fermeture): the server deletes everything and confirms,
    /// then this phone's copy is crypto-shredded. Offer an export first. The vault is locked after.
    pub fn close_vault(&self) -> Result<ClosureInfo> {
        let vault = self.inner.take_vault()?;
        let receipt = rec::close_vault(vault)?;
        Ok(match receipt {
            Some(r) => ClosureInfo { closed_at: r.closed_at, server_confirmed: true },
            None => ClosureInfo { closed_at: 0, server_confirmed: false },
        })
    }
}

/// The shares gathered on the new phone; zeroized on drop.
#[derive(Default)]
struct Gathered {
    provider: Option<Zeroizing<Vec<u8>>>,
    approvals: Vec<Zeroizing<String>>,
    kit: Option<Zeroizing<Vec<u8>>>,
}

/// The new phone's side of an assisted recovery (everything lost, kit words too): start it, keep
/// `saved_text()` across app restarts, wait for the delay, `release` with the PIN, show the approval
/// request to two agents of the organisation, `add_approval` their answers (or `add_kit_share` from
/// the printed kit), then `finish`: the vault is restored, unlocked, on the `Coffre` that started it.
#[derive(uniffi::Object)]
pub struct AssistedRecovery {
    inner: Arc<Inner>,
    request: AssistedRequest,
    gathered: Mutex<Gathered>,
}

impl AssistedRecovery {
    pub(crate) fn new(inner: Arc<Inner>, request: AssistedRequest) -> Arc<Self> {
        Arc::new(AssistedRecovery { inner, request, gathered: Mutex::new(Gathered::default()) })
    }

    fn gathered(&self) -> std::sync::MutexGuard<'_, Gathered> {
        self.gathered.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What to show the organisation's agents once the server released the provider share.
#[derive(uniffi::Record)]
pub struct ApprovalRequest {
    /// `COFFRE-ASSIST-REQ:…`
    pub text: String,
    pub qr: QrCode,
}

#[uniffi::export]
impl AssistedRecovery {
    /// The request as text, to keep in the app's private storage until it is finished (secret: it
    /// holds this phone's temporary key). `Coffre.resume_assisted_recovery` takes it back.
    pub fn saved_text(&self) -> String {
        self.request.save().to_string()
    }

    pub fn vault_id(&self) -> String {
        self.request.vault_hex()
    }

    /// When the server releases the provider share (Unix seconds, server clock).
    pub fn ready_at(&self) -> u64 {
        self.request.ready_at()
    }

    /// After the delay, with the PIN: the provider share (kept here) and the request for the agents.
    /// `Busy` before the delay, `WrongPassphrase` on a wrong PIN, `Forbidden` once locked,
    /// `Expired` if a phone of the vault cancelled the request.
    pub fn release(&self, pin: String) -> Result<ApprovalRequest> {
        let pin = Zeroizing::new(pin);
        let shares = self.request.release(&pin)?;
        let provider = Zeroizing::new(
            unb64(&shares.provider_share, "provider share")
                .map_err(|_| CoffreError::Corrupt { detail: "the server's share is malformed".into() })?,
        );
        let text = self.request.approval_request(&shares)?;
        let qr = QrCode::for_screen(&text)?;
        self.gathered().provider = Some(provider);
        Ok(ApprovalRequest { text, qr })
    }

    /// An agent's approval (`COFFRE-ASSIST-OK:…`, scanned); returns how many were added. Two give the
    /// organisation's share; they are checked by `finish`.
    pub fn add_approval(&self, approval: String) -> Result<u32> {
        if approval.trim().is_empty() {
            return Err(CoffreError::invalid("the approval is empty"));
        }
        let mut g = self.gathered();
        g.approvals.push(Zeroizing::new(approval));
        Ok(u32::try_from(g.approvals.len()).unwrap_or(u32::MAX))
    }

    /// The kit share printed with the kit (its QR text or the typed hex groups).
    pub fn add_kit_share(&self, share: String) -> Result<()> {
        let share = Zeroizing::new(share);
        let parsed = kit_share::parse(&share).map_err(|e| CoffreError::InvalidInput { detail: e.to_string() })?;
        self.gathered().kit = Some(parsed);
        Ok(())
    }

    /// Rebuilds the vault from two of the shares (provider, organisation, kit) in the `Coffre`'s
    /// folder under a new PIN/passphrase, downloads every document and leaves it unlocked.
    /// `Forbidden` if the shares do not restore the vault; nothing is created then.
    pub fn finish(&self, passphrase: String) -> Result<()> {
        let passphrase = Zeroizing::new(passphrase);
        self.inner.make_vault(&passphrase, |dir, pass, secret| {
            let g = self.gathered();
            let mut shares: Vec<Zeroizing<Vec<u8>>> = Vec::new();
            shares.extend(g.provider.clone());
            if !g.approvals.is_empty() {
                let texts: Vec<&str> = g.approvals.iter().map(|a| a.as_str()).collect();
                shares.push(self.request.org_share_from_approvals(&texts)?);
            }
            shares.extend(g.kit.clone());
            let refs: Vec<&[u8]> = shares.iter().map(|s| s.as_slice()).collect();
            let key = assisted_key(&refs).map_err(coffre_core::sync_engine::EngineError::from)?;
            drop(g);
            Ok(rec::recover_with_assisted_key(self.request.server_url(), &key, dir, pass, secret)?)
        })
    }
}

/// Parses what the person typed or scanned: the kit's QR text (code + server), or the 12 words
/// (then `server_url` is needed).
pub(crate) fn parse_code(code: &str, server_url: Option<String>) -> Result<(RecoveryCode, String)> {
    let code = Zeroizing::new(code.trim().to_string());
    match RecoveryCode::from_qr_text(&code) {
        Ok((c, url)) => Ok((c, url)),
        Err(_) => {
            let parsed =
                RecoveryCode::from_words(&code).map_err(|e| CoffreError::InvalidInput { detail: e.to_string() })?;
            let url =
                server_url.ok_or_else(|| CoffreError::invalid("the server address is needed with the 12 words"))?;
            Ok((parsed, url))
        }
    }
}
