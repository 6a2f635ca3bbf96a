//! [`ShareApi`]: share chosen documents or a whole dossier by a link shown as a QR code (anyone opens
//! it in a browser, nothing to install), list and revoke shares, check a dossier's pieces; and
//! [`open_share_link`], the receiving side in an app. Thin wrappers over `coffre_core::share`
//! (docs/sharing.md).

use crate::error::{CoffreError, Result};
use crate::inner::Inner;
use crate::qr::QrCode;
use coffre_core::share::{self as sh, ShareError};
use coffre_core::sync::protocol::share::ShareRefusal;
use coffre_core::vault::DocId;
use std::sync::Arc;

/// How long a link works. Never more than 31 days.
#[derive(Debug, Clone, Copy, uniffi::Enum)]
pub enum ShareLifetime {
    Hour,
    Day,
    Week,
    Month,
}

impl From<ShareLifetime> for sh::ShareDuration {
    fn from(l: ShareLifetime) -> Self {
        match l {
            ShareLifetime::Hour => sh::ShareDuration::Hour,
            ShareLifetime::Day => sh::ShareDuration::Day,
            ShareLifetime::Week => sh::ShareDuration::Week,
            ShareLifetime::Month => sh::ShareDuration::Month,
        }
    }
}

/// A share just made: show the QR (or the link) to the recipient. The link holds the key: never
/// log it.
#[derive(uniffi::Record)]
pub struct ShareLink {
    pub id: String,
    pub url: String,
    pub qr: QrCode,
    /// Unix seconds.
    pub expires_at: u64,
    pub max_opens: Option<u32>,
    /// Pages that carry a "COPIE" watermark (identity documents).
    pub watermarked_pages: u32,
    pub pages: u32,
}

/// Where a share stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ShareState {
    Active,
    Expired,
    Revoked,
    Exhausted,
}

/// A share as the holder lists it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ShareInfo {
    pub id: String,
    pub state: ShareState,
    pub purpose: Option<String>,
    pub dossier: Option<String>,
    pub document_ids: Vec<String>,
    pub created_at: u64,
    pub expires_at: u64,
    pub max_opens: Option<u32>,
    /// When it was opened (unix seconds), as the server counted; `null` when offline.
    pub opened_at: Option<Vec<u64>>,
}

/// A procedure of the catalogue and the pieces it asks for.
#[derive(Debug, Clone, uniffi::Record)]
pub struct DossierInfo {
    pub code: String,
    pub name: String,
    pub pieces: Vec<String>,
}

/// Where one piece of a dossier stands in the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PieceStatus {
    Present,
    Expired,
    /// Issued too long ago for this procedure.
    TooOld,
    Missing,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct DossierPiece {
    pub label: String,
    pub optional: bool,
    pub status: PieceStatus,
    /// The document found for it, if any.
    pub document_id: Option<String>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct DossierReport {
    pub code: String,
    pub name: String,
    /// Every required piece is present and valid.
    pub complete: bool,
    pub pieces: Vec<DossierPiece>,
}

/// A share opened on the receiving side (counts one opening).
#[derive(Debug, Clone, uniffi::Record)]
pub struct ReceivedShare {
    pub purpose: Option<String>,
    pub dossier: Option<String>,
    pub expires_at: u64,
    pub documents: Vec<ReceivedDocument>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct ReceivedDocument {
    pub title: String,
    pub category_label: String,
    pub watermarked: bool,
    /// Each page's bytes (checked against the holder's manifest) and type.
    pub pages: Vec<ReceivedPage>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct ReceivedPage {
    pub mime: String,
    pub bytes: Vec<u8>,
}

#[derive(uniffi::Object)]
pub struct ShareApi {
    pub(crate) inner: Arc<Inner>,
}

fn request(lifetime: ShareLifetime, max_opens: Option<u32>, purpose: Option<String>) -> sh::ShareRequest {
    sh::ShareRequest {
        lifetime_secs: sh::ShareDuration::from(lifetime).secs(),
        max_opens,
        purpose: purpose.filter(|p| !p.trim().is_empty()),
        ..Default::default()
    }
}

fn link_of(created: sh::CreatedShare) -> Result<ShareLink> {
    let qr = QrCode::from_matrix(&sh::link_qr(&created.link)?)?;
    let count = |f: fn(&sh::SharedPage) -> bool| u32::try_from(created.pages.iter().filter(|p| f(p)).count());
    Ok(ShareLink {
        watermarked_pages: count(|p| p.watermarked).unwrap_or(u32::MAX),
        pages: count(|_| true).unwrap_or(u32::MAX),
        id: created.id,
        url: created.link,
        qr,
        expires_at: created.expires_at,
        max_opens: created.max_opens,
    })
}

#[uniffi::export]
impl ShareApi {
    /// Shares `document_ids` for `lifetime`, at most `max_opens` times if given. `purpose` ("pour la
    /// CAF") is shown to the recipient and burned into the watermark of identity documents.
    pub fn create(
        &self,
        document_ids: Vec<String>,
        lifetime: ShareLifetime,
        max_opens: Option<u32>,
        purpose: Option<String>,
    ) -> Result<ShareLink> {
        let documents = document_ids.iter().map(|d| DocId::parse(d)).collect::<std::result::Result<Vec<_>, _>>()?;
        let req = sh::ShareRequest { documents, ..request(lifetime, max_opens, purpose) };
        let created = self.inner.with_vault(|vault| Ok(sh::create_share(vault, &req)?))?;
        link_of(created)
    }

    /// Shares every piece found for dossier `code` (see [`ShareApi::check_dossier`]) in one link.
    pub fn create_for_dossier(
        &self,
        code: String,
        lifetime: ShareLifetime,
        max_opens: Option<u32>,
        purpose: Option<String>,
    ) -> Result<ShareLink> {
        let req = request(lifetime, max_opens, purpose);
        let created = self.inner.with_vault(|vault| Ok(sh::create_dossier_share(vault, &code, req)?))?;
        link_of(created)
    }

    /// This phone's shares, newest first, with openings counted by the server when reachable.
    pub fn list(&self, include_ended: bool) -> Result<Vec<ShareInfo>> {
        self.inner.with_vault(|vault| {
            Ok(sh::list_shares(vault, include_ended)?
                .into_iter()
                .map(|s| ShareInfo {
                    id: s.record.id,
                    state: match s.state {
                        sh::ShareState::Active => ShareState::Active,
                        sh::ShareState::Expired => ShareState::Expired,
                        sh::ShareState::Revoked => ShareState::Revoked,
                        sh::ShareState::Exhausted => ShareState::Exhausted,
                    },
                    purpose: s.record.purpose,
                    dossier: s.record.dossier,
                    document_ids: s.record.documents,
                    created_at: s.record.created_at,
                    expires_at: s.record.expires_at,
                    max_opens: s.record.max_opens,
                    opened_at: s.opened_at,
                })
                .collect())
        })
    }

    /// Stops a link at once (the server deletes the copies).
    pub fn revoke(&self, share_id: String) -> Result<()> {
        self.inner.with_vault(|vault| Ok(sh::revoke_share(vault, &share_id)?))
    }

    /// The QR of a share made earlier, to show it again.
    pub fn qr_of(&self, share_id: String) -> Result<QrCode> {
        let link = self.inner.with_vault(|vault| Ok(sh::share_link(vault, &share_id)?))?;
        QrCode::from_matrix(&sh::link_qr(&link)?)
    }

    /// The catalogue of procedures (domiciliation, RSA, prime d'activité, logement social…).
    pub fn dossiers(&self) -> Result<Vec<DossierInfo>> {
        Ok(sh::dossiers::catalogue()?
            .dossiers
            .into_iter()
            .map(|d| DossierInfo {
                code: d.code,
                name: d.nom,
                pieces: d.pieces.into_iter().map(|p| p.libelle).collect(),
            })
            .collect())
    }

    /// Which pieces of dossier `code` the vault has, which are missing, expired or too old.
    pub fn check_dossier(&self, code: String) -> Result<DossierReport> {
        self.inner.with_vault(|vault| {
            let c = sh::dossiers::check(vault, &code)?;
            Ok(DossierReport {
                code: c.code,
                name: c.nom,
                complete: c.complete,
                pieces: c
                    .pieces
                    .into_iter()
                    .map(|p| DossierPiece {
                        label: p.libelle,
                        optional: p.facultative,
                        status: match p.status {
                            sh::dossiers::PieceStatus::Present => PieceStatus::Present,
                            sh::dossiers::PieceStatus::Expired => PieceStatus::Expired,
                            sh::dossiers::PieceStatus::TooOld => PieceStatus::TooOld,
                            sh::dossiers::PieceStatus::Missing => PieceStatus::Missing,
                        },
                        document_id: p.document.map(|d| d.id.to_hex()),
                    })
                    .collect(),
            })
        })
    }
}

/// The receiving side (an agent's app scanning a holder's QR): opens the link, counts one opening,
/// decrypts every page and checks it against the holder's manifest. `Expired` for an expired,
/// revoked or used-up link; `NotFound` for an unknown one.
#[uniffi::export]
pub fn open_share_link(link: String) -> Result<ReceivedShare> {
    let opened = sh::open_link(&link)?;
    let mut pages = opened.pages.into_iter();
    let documents = opened
        .manifest
        .documents
        .into_iter()
        .map(|d| ReceivedDocument {
            title: d.title,
            category_label: d.category_label,
            watermarked: d.watermarked,
            pages: d
                .pages
                .iter()
                .filter_map(|p| pages.next().map(|b| ReceivedPage { mime: p.mime.clone(), bytes: b.to_vec() }))
                .collect(),
        })
        .collect();
    Ok(ReceivedShare {
        purpose: opened.manifest.purpose,
        dossier: opened.manifest.dossier,
        expires_at: opened.manifest.expires_at,
        documents,
    })
}

impl From<ShareError> for CoffreError {
    fn from(e: ShareError) -> Self {
        match e {
            ShareError::Engine(e) => e.into(),
            ShareError::Qr(e) => e.into(),
            ShareError::Refused(ShareRefusal::NotFound) | ShareError::UnknownShare | ShareError::UnknownDossier => {
                CoffreError::NotFound { detail: e.to_string() }
            }
            ShareError::Refused(_) => CoffreError::Expired { detail: e.to_string() },
            ShareError::Decrypt | ShareError::BadManifest | ShareError::Truncated | ShareError::BadCatalogue => {
                CoffreError::Corrupt { detail: e.to_string() }
            }
            e => CoffreError::InvalidInput { detail: e.to_string() },
        }
    }
}
