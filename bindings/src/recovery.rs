//! [`RecoveryApi`]: the life of an account — the recovery kit, a lost phone, closing the vault — and,
//! on [`crate::Coffre`], restoring a vault on a new phone from the kit alone. Thin wrappers over
//! `coffre_core::sync_engine::recovery` (docs/recovery.md).

use crate::coffre::Inner;
use crate::error::{CoffreError, Result};
use crate::mandate::MandateInfo;
use crate::qr::QrCode;
use coffre_core::recovery::{RecoveryCode, WordList};
use coffre_core::sync_engine::recovery as rec;
use std::sync::Arc;
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

    /// A lost or stolen phone: the server refuses it at once and every device learns it. Returns the
    /// active mandates, for the person to confirm again or revoke.
    pub fn remove_lost_device(&self, device: String) -> Result<Vec<MandateInfo>> {
        self.inner
            .with_vault(|vault| Ok(rec::remove_lost_device(vault, &device)?.into_iter().map(Into::into).collect()))
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
