//! Share links by QR (DESIGN.md §5; format in `docs/sharing.md`, decision in
//! `docs/adr/0004-share-copies.md`). The holder picks documents (or a whole dossier), a duration and
//! optionally a number of openings and a purpose; the core makes *copies* of the pages (identity
//! documents watermarked), encrypts each under a key derived from a fresh link key, uploads them with
//! an encrypted manifest, and returns the link `https://<server>/s/<id>#v1.<link key>` to show as a
//! QR code. The recipient's browser decrypts; the server enforces expiry, openings and revocation.

pub mod dossiers;
pub mod format;
pub mod watermark;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use coffre_sync::SyncError;
use coffre_sync::protocol::share::{MAX_SHARE_PAGES, MAX_SHARE_SECS, SHARE_VERSION, ShareCreate, ShareRefusal};
use coffre_sync::protocol::{ErrorCode, pad_payload, sha256};
use coffre_vault::{DocId, Document, PageRole, Vault, VaultError};

use crate::error::{EngineError, ErrorKind};
use crate::session::session;
use format::{Manifest, ManifestDocument, ManifestPage, Part, ShareLink};

/// Errors of sharing. `Display` never shows a link key, a title or a purpose.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShareError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The link is not a Coffre share link (the reason names the part, never its content).
    #[error("not a valid share link: {0}")]
    BadLink(&'static str),
    #[error("this share was made by a newer version of Coffre")]
    UnsupportedVersion,
    #[error("the share data is truncated")]
    Truncated,
    /// Wrong key or altered data: the recipient sees nothing.
    #[error("the share does not decrypt with this link (altered data or wrong link)")]
    Decrypt,
    #[error("the share's manifest is malformed")]
    BadManifest,
    /// The server refused to open the link.
    #[error("this share cannot be opened: {}", .0.code())]
    Refused(ShareRefusal),
    #[error("a share lasts from 1 hour to 31 days (1h, 1d, 1w, 1m)")]
    BadDuration,
    #[error("the number of openings must be at least 1")]
    BadMaxOpens,
    #[error("nothing to share (no pages)")]
    Empty,
    #[error("too many pages for one share (at most {MAX_SHARE_PAGES})")]
    TooManyPages,
    /// An identity document whose pages are not JPEG or PNG images cannot be watermarked, so it is
    /// not shared (a clean copy of an ID must not leave the vault by link).
    #[error("this identity document cannot be watermarked (only photos and scans can be shared)")]
    CannotWatermark,
    #[error("no such dossier in the catalogue")]
    UnknownDossier,
    #[error("the dossier catalogue is malformed")]
    BadCatalogue,
    #[error("no such share on this device")]
    UnknownShare,
    #[error("QR code: {0}")]
    Qr(#[from] coffre_qr::QrError),
}

impl ShareError {
    /// What happened, for translation (see [`ErrorKind`]).
    pub fn kind(&self) -> ErrorKind {
        match self {
            ShareError::Engine(e) => e.kind(),
            ShareError::BadLink(part) => ErrorKind::BadShareLink { part },
            ShareError::UnsupportedVersion => ErrorKind::ShareTooNew,
            ShareError::Truncated => ErrorKind::ShareTruncated,
            ShareError::Decrypt => ErrorKind::ShareDecrypt,
            ShareError::BadManifest => ErrorKind::BadShareManifest,
            ShareError::Refused(r) => ErrorKind::ShareRefused(*r),
            ShareError::BadDuration => ErrorKind::BadShareDuration,
            ShareError::BadMaxOpens => ErrorKind::BadShareMaxOpens,
            ShareError::Empty => ErrorKind::NothingToShare,
            ShareError::TooManyPages => ErrorKind::TooManySharePages { max: MAX_SHARE_PAGES },
            ShareError::CannotWatermark => ErrorKind::CannotWatermark,
            ShareError::UnknownDossier => ErrorKind::UnknownDossier,
            ShareError::BadCatalogue => ErrorKind::BadDossierCatalogue,
            ShareError::UnknownShare => ErrorKind::UnknownShare,
            ShareError::Qr(_) => ErrorKind::Qr,
        }
    }
}

impl From<VaultError> for ShareError {
    fn from(e: VaultError) -> Self {
        ShareError::Engine(EngineError::Vault(e))
    }
}

impl From<SyncError> for ShareError {
    fn from(e: SyncError) -> Self {
        match e.error_code() {
            Some(ErrorCode::Share(r)) => ShareError::Refused(*r),
            _ => ShareError::Engine(EngineError::Sync(e)),
        }
    }
}

pub type Result<T> = std::result::Result<T, ShareError>;

/// How long a share lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareDuration {
    Hour,
    Day,
    Week,
    /// 30 days (a share never lives more than 31).
    Month,
}

impl ShareDuration {
    pub fn secs(self) -> u64 {
        match self {
            ShareDuration::Hour => 3600,
            ShareDuration::Day => 24 * 3600,
            ShareDuration::Week => 7 * 24 * 3600,
            ShareDuration::Month => 30 * 24 * 3600,
        }
    }

    /// `1h`, `1d`, `1w`, `1m` (also `1j`, `1s` in French: jour, semaine).
    pub fn parse(s: &str) -> Result<ShareDuration> {
        match s.trim() {
            "1h" => Ok(ShareDuration::Hour),
            "1d" | "1j" => Ok(ShareDuration::Day),
            "1w" | "1s" => Ok(ShareDuration::Week),
            "1m" => Ok(ShareDuration::Month),
            _ => Err(ShareError::BadDuration),
        }
    }
}

/// A lifetime in seconds, checked: 1 hour .. 31 days.
pub fn checked_lifetime(secs: u64) -> Result<u64> {
    if (3600..=MAX_SHARE_SECS).contains(&secs) { Ok(secs) } else { Err(ShareError::BadDuration) }
}

/// What to share.
#[derive(Debug, Clone, Default)]
pub struct ShareRequest {
    pub documents: Vec<DocId>,
    /// Seconds, 1 hour .. 31 days (see [`ShareDuration::secs`]).
    pub lifetime_secs: u64,
    pub max_opens: Option<u32>,
    /// Purpose or recipient ("pour la CAF"): shown to the recipient and burned into ID watermarks.
    pub purpose: Option<String>,
    /// Set by [`create_dossier_share`].
    pub dossier: Option<String>,
}

/// A page as shared (for the holder's app and for tests).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedPage {
    pub doc: String,
    pub index: u32,
    pub mime: String,
    pub watermarked: bool,
    /// SHA-256 (hex) of the copy the recipient gets.
    pub sha256: String,
}

/// A share as this device records it (inside the encrypted vault database), so the holder can show
/// the QR code again and list shares offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRecord {
    pub v: u32,
    pub id: String,
    /// The full link, key included (it never leaves the vault except as the QR code/link itself).
    pub link: String,
    pub created_at: u64,
    pub expires_at: u64,
    pub max_opens: Option<u32>,
    pub purpose: Option<String>,
    pub dossier: Option<String>,
    pub documents: Vec<String>,
    pub pages: Vec<SharedPage>,
    /// Set when revoked from this device.
    pub revoked_at: Option<u64>,
}

const RECORDS: &str = "share.records";

fn records(vault: &Vault) -> Result<Vec<ShareRecord>> {
    match vault.state_get(RECORDS)? {
        Some(b) => serde_json::from_slice(&b).map_err(|_| VaultError::Corrupt { what: "share records".into() }.into()),
        None => Ok(Vec::new()),
    }
}

fn save_records(vault: &mut Vault, records: &[ShareRecord]) -> Result<()> {
    let bytes =
        Zeroizing::new(serde_json::to_vec(records).map_err(|_| VaultError::InvalidInput("share records".into()))?);
    vault.state_set(RECORDS, &bytes)?;
    Ok(())
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn date_fr(unix: u64) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp(i64::try_from(unix).unwrap_or(0))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .date();
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

/// The plaintext copies of a share: its manifest and each page, before encryption.
pub struct Copies {
    pub manifest: Manifest,
    pub pages: Vec<Zeroizing<Vec<u8>>>,
    pub shared: Vec<SharedPage>,
}

/// Makes the copies the recipient will get: every page of each document, identity documents
/// watermarked. The vault is only read.
pub fn make_copies(vault: &Vault, request: &ShareRequest, now: u64) -> Result<Copies> {
    let lifetime = checked_lifetime(request.lifetime_secs)?;
    if request.max_opens == Some(0) {
        return Err(ShareError::BadMaxOpens);
    }
    let purpose = request.purpose.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_string);
    // French for the recipients (French offices), whatever the holder's language.
    let stamp = watermark::watermark_text(coffre_l10n::Lang::Fr, purpose.as_deref(), &date_fr(now));
    let mut documents = Vec::new();
    let mut pages = Vec::new();
    let mut shared = Vec::new();
    for id in &request.documents {
        documents.push(copy_document(vault, id, &stamp, &mut pages, &mut shared)?);
    }
    if pages.is_empty() {
        return Err(ShareError::Empty);
    }
    let manifest = Manifest {
        v: u32::from(format::FORMAT_VERSION),
        purpose,
        created_at: now,
        expires_at: now + lifetime,
        max_opens: request.max_opens,
        dossier: request.dossier.clone(),
        documents,
    };
    Ok(Copies { manifest, pages, shared })
}

/// Copies the pages of one document (watermarked for an identity document) onto `pages` and
/// `shared`, numbered after those already there; returns its manifest entry.
fn copy_document(
    vault: &Vault,
    id: &DocId,
    stamp: &str,
    pages: &mut Vec<Zeroizing<Vec<u8>>>,
    shared: &mut Vec<SharedPage>,
) -> Result<ManifestDocument> {
    let doc: Document = vault.get(id)?;
    let identity = coffre_vault::category(&doc.category).is_some_and(|c| c.is_identity);
    let mut doc_pages = Vec::new();
    for page in doc.pages.iter().filter(|p| p.role == PageRole::Page) {
        let original = vault.page_bytes(id, page.index)?;
        let copy =
            if identity { Zeroizing::new(watermark::watermark_image(&original, &page.mime, stamp)?) } else { original };
        let index = u32::try_from(pages.len()).map_err(|_| ShareError::TooManyPages)?;
        let digest = hex::encode(sha256(&copy));
        doc_pages.push(ManifestPage {
            index,
            mime: page.mime.clone(),
            size: copy.len() as u64,
            sha256: digest.clone(),
        });
        shared.push(SharedPage {
            doc: id.to_hex(),
            index,
            mime: page.mime.clone(),
            watermarked: identity,
            sha256: digest,
        });
        pages.push(copy);
        if pages.len() > MAX_SHARE_PAGES {
            return Err(ShareError::TooManyPages);
        }
    }
    Ok(ManifestDocument {
        title: doc.title.clone(),
        category: doc.category.clone(),
        category_label: doc.category_label.clone(),
        expires_on: doc.expires_on.clone(),
        watermarked: identity,
        pages: doc_pages,
    })
}

/// Encrypts and frames the copies for upload: (padded manifest, padded pages).
pub fn seal_copies(link: &ShareLink, copies: &Copies) -> Result<(Vec<u8>, Vec<Vec<u8>>)> {
    let json = Zeroizing::new(serde_json::to_vec(&copies.manifest).map_err(|_| ShareError::BadManifest)?);
    let pad = |env: Vec<u8>| pad_payload(&env).map_err(|_| ShareError::TooManyPages);
    let manifest = pad(link.seal(Part::Manifest, &json))?;
    let mut pages = Vec::with_capacity(copies.pages.len());
    for (n, page) in copies.pages.iter().enumerate() {
        let index = u32::try_from(n).map_err(|_| ShareError::TooManyPages)?;
        pages.push(pad(link.seal(Part::Page(index), page))?);
    }
    Ok((manifest, pages))
}

/// What [`create_share`] returns.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedShare {
    pub id: String,
    /// The link to show (as text and as a QR code). It holds the key: show it, never log it.
    pub link: String,
    pub expires_at: u64,
    pub max_opens: Option<u32>,
    pub pages: Vec<SharedPage>,
}

/// Creates a share on the vault's server and records it in the vault.
pub fn create_share(vault: &mut Vault, request: &ShareRequest) -> Result<CreatedShare> {
    let s = session(vault)?;
    let (client, server) = (s.client, s.server_url);
    let now = now_secs();
    let copies = make_copies(vault, request, now)?;
    let link = ShareLink::generate(&server);
    let (manifest, pages) = seal_copies(&link, &copies)?;
    let header = ShareCreate {
        v: SHARE_VERSION,
        id: link.id_text(),
        expires_at: copies.manifest.expires_at,
        max_opens: request.max_opens,
        pages: u32::try_from(pages.len()).map_err(|_| ShareError::TooManyPages)?,
        open_check: Some(link.open_check_text()),
    };
    client.share_create(&header, &manifest, &pages)?;
    let url = link.to_url();
    let record = ShareRecord {
        v: 1,
        id: header.id.clone(),
        link: url.to_string(),
        created_at: now,
        expires_at: header.expires_at,
        max_opens: request.max_opens,
        purpose: copies.manifest.purpose.clone(),
        dossier: request.dossier.clone(),
        documents: request.documents.iter().map(DocId::to_hex).collect(),
        pages: copies.shared.clone(),
        revoked_at: None,
    };
    let mut all = records(vault)?;
    all.push(record);
    save_records(vault, &all)?;
    Ok(CreatedShare {
        id: header.id,
        link: url.to_string(),
        expires_at: header.expires_at,
        max_opens: request.max_opens,
        pages: copies.shared,
    })
}

/// Shares every piece of a dossier found in the vault, in one link.
pub fn create_dossier_share(vault: &mut Vault, code: &str, mut request: ShareRequest) -> Result<CreatedShare> {
    let check = dossiers::check(vault, code)?;
    request.documents = check.documents().iter().map(|d| d.id).collect();
    request.dossier = Some(check.nom.clone());
    create_share(vault, &request)
}

/// Where a share stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareState {
    Active,
    Expired,
    Revoked,
    Exhausted,
}

/// A share as the holder lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ShareStatus {
    pub record: ShareRecord,
    pub state: ShareState,
    /// Opening times (unix seconds) as the server counted them; `None` when offline.
    pub opened_at: Option<Vec<u64>>,
}

/// This device's shares, newest first, with opening counts from the server when it answers
/// (offline, the local records alone). `include_ended` also lists expired and revoked ones.
pub fn list_shares(vault: &mut Vault, include_ended: bool) -> Result<Vec<ShareStatus>> {
    let mut all = records(vault)?;
    let server = session(vault).ok().and_then(|s| s.client.share_list().ok());
    let now = now_secs();
    all.sort_by_key(|r| std::cmp::Reverse(r.created_at));
    let mut out = Vec::new();
    for record in all {
        let remote = server.as_ref().and_then(|l| l.shares.iter().find(|s| s.id == record.id));
        let opened_at = remote.map(|r| r.opened_at.clone());
        let revoked = record.revoked_at.is_some() || remote.is_some_and(|r| r.revoked_at.is_some());
        let opens = opened_at.as_ref().map(Vec::len).unwrap_or(0) as u64;
        let state = if revoked {
            ShareState::Revoked
        } else if remote.map_or(record.expires_at, |r| r.expires_at.min(record.expires_at)) <= now {
            ShareState::Expired
        } else if record.max_opens.is_some_and(|m| opens >= u64::from(m)) {
            ShareState::Exhausted
        } else {
            ShareState::Active
        };
        if include_ended || state == ShareState::Active {
            out.push(ShareStatus { record, state, opened_at });
        }
    }
    Ok(out)
}

/// Revokes a share: the server deletes the copies at once; later openings say "révoquée".
pub fn revoke_share(vault: &mut Vault, id: &str) -> Result<()> {
    let mut all = records(vault)?;
    let record = all.iter_mut().find(|r| r.id == id).ok_or(ShareError::UnknownShare)?;
    match session(vault)?.client.share_revoke(id) {
        Ok(()) => {}
        // Already purged on the server (e.g. long expired): revoked all the same.
        Err(e) if e.error_code() == Some(&ErrorCode::Share(ShareRefusal::NotFound)) => {}
        Err(e) => return Err(e.into()),
    }
    record.revoked_at = Some(now_secs());
    save_records(vault, &all)?;
    Ok(())
}

/// The link of a recorded share (to show its QR code again).
pub fn share_link(vault: &Vault, id: &str) -> Result<String> {
    records(vault)?.into_iter().find(|r| r.id == id).map(|r| r.link).ok_or(ShareError::UnknownShare)
}

/// The link as a QR code (medium error correction: shown on a screen). Draw the module matrix with a
/// quiet zone of [`coffre_qr::QUIET_ZONE`] modules, or use `to_png`.
pub fn link_qr(link: &str) -> Result<coffre_qr::QrMatrix> {
    Ok(coffre_qr::encode(link, coffre_qr::EcLevel::Medium)?)
}

/// Reads a share link from a photo of its QR code, checking it is a well-formed link.
pub fn link_from_qr_image(image: &[u8]) -> Result<String> {
    let text = Zeroizing::new(coffre_qr::decode_image(image)?);
    ShareLink::parse(&text)?;
    Ok(text.to_string())
}

/// A share as a recipient sees it after decryption.
pub struct OpenedShare {
    pub manifest: Manifest,
    pub pages: Vec<Zeroizing<Vec<u8>>>,
}

/// The recipient's side in Rust (what the viewer page does in the browser): opens the link (counts
/// one opening), fetches and decrypts every page, and checks each against the manifest's hash.
pub fn open_link(link: &str) -> Result<OpenedShare> {
    let link = ShareLink::parse(link)?;
    let fetched = coffre_sync::share::fetch_share(&link.server, &link.id_text(), &link.open_proof())?;
    let json = link.open(Part::Manifest, &fetched.manifest)?;
    let manifest = Manifest::from_json(&json)?;
    if manifest.page_count() != fetched.pages.len() {
        return Err(ShareError::BadManifest);
    }
    let mut pages = Vec::with_capacity(fetched.pages.len());
    let expected = manifest.documents.iter().flat_map(|d| d.pages.iter());
    for (n, (env, page)) in fetched.pages.iter().zip(expected).enumerate() {
        let index = u32::try_from(n).map_err(|_| ShareError::TooManyPages)?;
        let plain = link.open(Part::Page(index), env)?;
        if hex::encode(sha256(&plain)) != page.sha256 {
            return Err(ShareError::Decrypt);
        }
        pages.push(plain);
    }
    Ok(OpenedShare { manifest, pages })
}
