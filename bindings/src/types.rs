//! Records: plain data copied across the boundary (no `close()` needed on the foreign side), and
//! their conversions from and to core types. Ids are 32 hex digits; dates are `YYYY-MM-DD`;
//! times are Unix milliseconds.

use crate::error::{CoffreError, Result};
use coffre_core::capture as cap;
use coffre_core::sync_engine as engine;
use coffre_core::vault as v;

/// A stored page, without its bytes.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PageInfo {
    pub index: u32,
    /// `"page"` or `"thumbnail"`.
    pub role: String,
    pub mime: String,
    pub size: u64,
}

impl From<coffre_core::vault::PageInfo> for PageInfo {
    fn from(p: coffre_core::vault::PageInfo) -> Self {
        PageInfo { index: p.index, role: p.role.code().to_string(), mime: p.mime, size: p.size }
    }
}

/// One version of a document (a re-capture keeps the old pages as a previous version).
#[derive(Debug, Clone, uniffi::Record)]
pub struct DocumentVersion {
    /// The identifier to read its pages with.
    pub version: u32,
    /// Position in time order, from 1: "version 2 of 3".
    pub number: u32,
    pub parent: Option<u32>,
    pub origin: String,
    /// Unix milliseconds (clock of the device that made it).
    pub created_at: i64,
    /// The version shown for the document.
    pub current: bool,
    /// Made on another phone without knowing the current one: show both, let the person choose.
    pub concurrent: bool,
    /// Every page of it is on this phone.
    pub local: bool,
    pub pages: Vec<PageInfo>,
}

impl From<coffre_core::vault::DocVersion> for DocumentVersion {
    fn from(v: coffre_core::vault::DocVersion) -> Self {
        DocumentVersion {
            version: v.version,
            number: v.number,
            parent: v.parent,
            origin: v.origin.code().to_string(),
            created_at: v.created_at,
            current: v.current,
            concurrent: v.concurrent,
            local: v.local,
            pages: v.pages.into_iter().map(PageInfo::from).collect(),
        }
    }
}

/// A document as listed and shown.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Document {
    pub id: String,
    pub category: String,
    pub category_label: String,
    pub collection: String,
    pub title: String,
    pub tags: Vec<String>,
    pub issued_on: Option<String>,
    pub expires_on: Option<String>,
    pub notes: String,
    /// `"camera"`, `"import"`, `"deposit"` or `"sync"`.
    pub origin: String,
    pub pinned: bool,
    pub version: u32,
    pub created_at_ms: i64,
    pub modified_at_ms: i64,
    /// Pages proper (thumbnails excluded).
    pub page_count: u32,
    pub pages: Vec<PageInfo>,
}

impl From<v::Document> for Document {
    fn from(d: v::Document) -> Self {
        Document {
            id: d.id.to_hex(),
            page_count: u32::try_from(d.page_count()).unwrap_or(u32::MAX),
            category: d.category,
            category_label: d.category_label,
            collection: d.collection,
            title: d.title,
            tags: d.tags,
            issued_on: d.issued_on,
            expires_on: d.expires_on,
            notes: d.notes,
            origin: d.origin.code().to_string(),
            pinned: d.pinned,
            version: d.version,
            created_at_ms: d.created_at,
            modified_at_ms: d.modified_at,
            pages: d.pages.into_iter().map(PageInfo::from).collect(),
        }
    }
}

/// Metadata for a new document. `category` is a code from [`crate::categories`] (`"autre"` when unsure).
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct NewDocument {
    pub category: String,
    #[uniffi(default = "")]
    pub title: String,
    #[uniffi(default = [])]
    pub tags: Vec<String>,
    #[uniffi(default = None)]
    pub issued_on: Option<String>,
    #[uniffi(default = None)]
    pub expires_on: Option<String>,
    #[uniffi(default = "")]
    pub notes: String,
}

impl From<NewDocument> for v::NewDocument {
    fn from(n: NewDocument) -> Self {
        v::NewDocument {
            category: n.category,
            title: n.title,
            tags: n.tags,
            issued_on: n.issued_on,
            expires_on: n.expires_on,
            notes: n.notes,
        }
    }
}

/// A change of metadata: `None` leaves a field as it is; `clear_*` empties an optional date.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct MetadataPatch {
    #[uniffi(default = None)]
    pub category: Option<String>,
    #[uniffi(default = None)]
    pub title: Option<String>,
    #[uniffi(default = None)]
    pub tags: Option<Vec<String>>,
    #[uniffi(default = None)]
    pub issued_on: Option<String>,
    #[uniffi(default = false)]
    pub clear_issued_on: bool,
    #[uniffi(default = None)]
    pub expires_on: Option<String>,
    #[uniffi(default = false)]
    pub clear_expires_on: bool,
    #[uniffi(default = None)]
    pub notes: Option<String>,
}

fn date_patch(set: Option<String>, clear: bool) -> Result<Option<Option<String>>> {
    match (set, clear) {
        (Some(_), true) => Err(CoffreError::invalid("a date cannot be both set and cleared")),
        (Some(d), false) => Ok(Some(Some(d))),
        (None, true) => Ok(Some(None)),
        (None, false) => Ok(None),
    }
}

impl TryFrom<MetadataPatch> for v::MetadataPatch {
    type Error = CoffreError;
    fn try_from(p: MetadataPatch) -> Result<Self> {
        Ok(v::MetadataPatch {
            category: p.category,
            title: p.title,
            tags: p.tags,
            issued_on: date_patch(p.issued_on, p.clear_issued_on)?,
            expires_on: date_patch(p.expires_on, p.clear_expires_on)?,
            notes: p.notes,
        })
    }
}

/// Filters of [`crate::VaultApi::list`]; all optional.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct ListQuery {
    #[uniffi(default = None)]
    pub category: Option<String>,
    #[uniffi(default = None)]
    pub collection: Option<String>,
    #[uniffi(default = None)]
    pub tag: Option<String>,
    #[uniffi(default = false)]
    pub pinned_only: bool,
    #[uniffi(default = None)]
    pub limit: Option<u32>,
    #[uniffi(default = None)]
    pub offset: Option<u32>,
}

impl From<ListQuery> for v::ListQuery {
    fn from(q: ListQuery) -> Self {
        v::ListQuery {
            category: q.category,
            collection: q.collection,
            tag: q.tag,
            pinned_only: q.pinned_only,
            limit: q.limit,
            offset: q.offset,
        }
    }
}

/// A document expiring soon; `days_left` is negative once expired.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Expiring {
    pub document: Document,
    pub days_left: i64,
}

/// A category of the catalogue.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Category {
    pub code: String,
    pub label_fr: String,
    pub label_en: String,
    pub collection: String,
    pub is_identity: bool,
}

/// What desk mode shows right after unlock: the first pinned document and its first page.
#[derive(Debug, Clone, uniffi::Record)]
pub struct DeskPage {
    pub document: Document,
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// The result of a full integrity check.
#[derive(Debug, Clone, uniffi::Record)]
pub struct VerifyReport {
    pub documents: u64,
    pub blobs_checked: u64,
    pub database_ok: bool,
    /// Ids of documents with a missing or altered page.
    pub damaged_documents: Vec<String>,
    pub orphans: u64,
    pub clean: bool,
}

impl From<v::VerifyReport> for VerifyReport {
    fn from(r: v::VerifyReport) -> Self {
        let clean = r.is_clean();
        let mut damaged: Vec<String> = r.damaged.iter().map(|d| d.doc_id.to_hex()).collect();
        damaged.dedup();
        VerifyReport {
            documents: r.documents,
            blobs_checked: r.blobs_checked,
            database_ok: r.database_ok,
            damaged_documents: damaged,
            orphans: r.orphans,
            clean,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ExportFormat {
    Folder,
    Zip,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct ExportSummary {
    pub documents: u64,
    pub files: u64,
    pub bytes: u64,
}

// ----- capture -----

/// A point in pixels.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

/// A document's corners, clockwise from top-left, in pixels of the (EXIF-upright) photo or frame.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct Quad {
    pub top_left: Point,
    pub top_right: Point,
    pub bottom_right: Point,
    pub bottom_left: Point,
}

impl From<cap::Quad> for Quad {
    fn from(q: cap::Quad) -> Self {
        let [a, b, c, d] = q.to_array();
        let p = |[x, y]: [f32; 2]| Point { x, y };
        Quad { top_left: p(a), top_right: p(b), bottom_right: p(c), bottom_left: p(d) }
    }
}

impl TryFrom<Quad> for cap::Quad {
    type Error = CoffreError;
    fn try_from(q: Quad) -> Result<Self> {
        let pts = [q.top_left, q.top_right, q.bottom_right, q.bottom_left];
        if pts.iter().any(|p| !p.x.is_finite() || !p.y.is_finite()) {
            return Err(CoffreError::invalid("corners must be finite numbers"));
        }
        // Sorted clockwise from the top-left by the core, whatever order the person dragged them in.
        Ok(cap::Quad::from_points(pts.map(|p| cap::Point { x: p.x, y: p.y })))
    }
}

/// A detection: corners and confidence in `[0, 1]` (also meaningful when nothing was found).
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct Detection {
    pub quad: Option<Quad>,
    pub confidence: f32,
}

impl From<cap::Detection> for Detection {
    fn from(d: cap::Detection) -> Self {
        Detection { quad: d.quad.map(Quad::from), confidence: d.confidence }
    }
}

impl From<Detection> for cap::Detection {
    fn from(d: Detection) -> Self {
        // Non-finite or unusable corners count as "nothing seen" for the steadiness tracker.
        let quad = d.quad.and_then(|q| cap::Quad::try_from(q).ok());
        cap::Detection { quad, confidence: if d.confidence.is_finite() { d.confidence } else { 0.0 } }
    }
}

/// What to tell the person while the preview runs.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Enum)]
pub enum CaptureAdvice {
    NoDocument,
    /// `progress` in 0..1 of the steadiness window.
    HoldStill {
        progress: f32,
    },
    CaptureNow,
}

impl From<cap::CaptureAdvice> for CaptureAdvice {
    fn from(a: cap::CaptureAdvice) -> Self {
        match a {
            cap::CaptureAdvice::NoDocument => CaptureAdvice::NoDocument,
            cap::CaptureAdvice::HoldStill { progress } => CaptureAdvice::HoldStill { progress },
            cap::CaptureAdvice::CaptureNow => CaptureAdvice::CaptureNow,
        }
    }
}

/// Output mode of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CaptureMode {
    /// Colour, background whitened (ID cards, coloured forms).
    Colour,
    /// Greyscale, background whitened.
    Grey,
    /// Black and white, shadows removed (letters, receipts).
    Text,
}

impl From<CaptureMode> for cap::Mode {
    fn from(m: CaptureMode) -> Self {
        match m {
            CaptureMode::Colour => cap::Mode::Colour,
            CaptureMode::Grey => cap::Mode::Grey,
            CaptureMode::Text => cap::Mode::Text,
        }
    }
}

impl From<cap::Mode> for CaptureMode {
    fn from(m: cap::Mode) -> Self {
        match m {
            cap::Mode::Colour => CaptureMode::Colour,
            cap::Mode::Grey => CaptureMode::Grey,
            cap::Mode::Text => CaptureMode::Text,
        }
    }
}

/// Options of [`crate::CaptureApi::capture`].
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct CaptureOptions {
    /// Corners placed or corrected by the person (skips detection; the page is deskewed to them).
    #[uniffi(default = None)]
    pub corners: Option<Quad>,
    /// Force a mode; `None` chooses automatically.
    #[uniffi(default = None)]
    pub mode: Option<CaptureMode>,
    /// Keep the whole photo when no document is found, instead of failing with `NotFound`.
    #[uniffi(default = false)]
    pub whole_frame_if_not_found: bool,
}

impl TryFrom<CaptureOptions> for cap::CaptureOptions {
    type Error = CoffreError;
    fn try_from(o: CaptureOptions) -> Result<Self> {
        Ok(cap::CaptureOptions {
            corners: o.corners.map(cap::Quad::try_from).transpose()?,
            mode: o.mode.map(cap::Mode::from),
            whole_frame_if_not_found: o.whole_frame_if_not_found,
            ..Default::default()
        })
    }
}

/// One processed page, without its bytes (see [`crate::CapturedDocument::page_image`]).
#[derive(Debug, Clone, uniffi::Record)]
pub struct CapturedPageInfo {
    pub mode: CaptureMode,
    /// `"a4"`, `"letter"`, `"id1"` or `"other"`.
    pub format: String,
    pub quad: Option<Quad>,
    pub confidence: Option<f32>,
    pub mime: String,
    pub width: u32,
    pub height: u32,
    pub size: u64,
}

impl From<&cap::CapturedPage> for CapturedPageInfo {
    fn from(p: &cap::CapturedPage) -> Self {
        let format = match p.format {
            cap::PaperFormat::A4 => "a4",
            cap::PaperFormat::Letter => "letter",
            cap::PaperFormat::Id1 => "id1",
            _ => "other",
        };
        CapturedPageInfo {
            mode: p.mode.into(),
            format: format.to_string(),
            quad: p.quad.map(Quad::from),
            confidence: p.confidence,
            mime: p.image.mime.clone(),
            width: p.image.width,
            height: p.image.height,
            size: p.image.bytes.len() as u64,
        }
    }
}

/// A camera preview frame: the Y (luma) plane from CameraX / AVFoundation.
#[derive(Debug, Clone, uniffi::Record)]
pub struct LumaFrame {
    pub width: u32,
    pub height: u32,
    pub row_stride: u32,
    pub data: Vec<u8>,
}

// ----- sync -----

/// Progress of a long call. For sync: items (ops pushed, pages fetched) and bytes of the whole
/// sync, never going back. For export: documents (`done`/`total`), bytes unknown (0).
#[derive(Debug, Clone, Copy, uniffi::Record)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    pub done_bytes: u64,
    pub total_bytes: u64,
}

impl From<engine::SyncProgress> for Progress {
    fn from(p: engine::SyncProgress) -> Self {
        Progress { done: p.done_items, total: p.total_items, done_bytes: p.done_bytes, total_bytes: p.total_bytes }
    }
}

#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct SyncOptions {
    /// Download every page now (a desktop, a tablet on Wi-Fi); otherwise only pinned documents'.
    #[uniffi(default = false)]
    pub download_all: bool,
}

/// What a sync did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SyncReport {
    pub pushed: u64,
    pub pulled: u64,
    pub applied: u64,
    pub blobs_uploaded: u64,
    pub blobs_downloaded: u64,
    pub bytes_uploaded: u64,
    /// Pages known but not downloaded yet (fetched when opened).
    pub blobs_remaining: u64,
    pub head_seq: u64,
    /// Keys the server listed without a certificate in the vault's log, removed by this sync (hex).
    pub strays_removed: Vec<String>,
    /// Such keys the server did not let this device remove (hex): show them on the devices screen.
    pub strays_left: Vec<String>,
    /// Assisted-recovery requests someone started and nobody cancelled: show an alert ("someone asked
    /// to recover your vault; if it was not you, cancel") with `RecoveryApi.cancelAssisted`.
    pub recovery_requests: Vec<RecoveryAlert>,
}

/// An assisted-recovery request that is not cancelled.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RecoveryAlert {
    /// The new phone's temporary key.
    pub requester: String,
    /// Unix seconds (server clock).
    pub started_at: u64,
    /// When shares would start being released to it, unless cancelled.
    pub ready_at: u64,
    /// Too many wrong PINs on this request (other requests are not affected).
    pub locked: bool,
}

impl From<engine::SyncReport> for SyncReport {
    fn from(r: engine::SyncReport) -> Self {
        SyncReport {
            pushed: r.pushed,
            pulled: r.pulled,
            applied: r.applied,
            blobs_uploaded: r.blobs_uploaded,
            blobs_downloaded: r.blobs_downloaded,
            bytes_uploaded: r.bytes_uploaded,
            blobs_remaining: r.blobs_remaining,
            head_seq: r.head_seq,
            strays_removed: r.strays.removed,
            strays_left: r.strays.left,
            recovery_requests: r
                .recovery_requests
                .into_iter()
                .map(|a| RecoveryAlert {
                    requester: a.requester,
                    started_at: a.started_at,
                    ready_at: a.ready_at,
                    locked: a.locked,
                })
                .collect(),
        }
    }
}

/// What a device is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DeviceRole {
    /// A phone or computer the holder uses.
    Device,
    /// The recovery kit (its code's device).
    RecoveryKit,
    /// Assisted recovery with an organisation.
    AssistedRecovery,
}

/// A device of this vault, as the verified log and the server know it (the devices screen).
#[derive(Debug, Clone, uniffi::Record)]
pub struct Device {
    pub public_key: String,
    pub this_device: bool,
    /// Removed in the log, or never certified there.
    pub removed: bool,
    /// False: a key the server lists that the vault's log never certified (a stray).
    pub in_log: bool,
    pub role: DeviceRole,
    /// The name given when it was linked, if any.
    pub name: Option<String>,
    /// Who certified it in the log (hex key).
    pub certified_by: Option<String>,
    /// The server's view; `None` when the server could not be asked.
    pub added_at: Option<u64>,
    /// The device that added it on the server (hex key); `None` for the first device or offline.
    pub added_by: Option<String>,
    pub removed_at: Option<u64>,
    pub last_seen_at: Option<u64>,
}

impl From<engine::Device> for Device {
    fn from(d: engine::Device) -> Self {
        let role = match d.role {
            engine::DeviceRole::Device => DeviceRole::Device,
            engine::DeviceRole::RecoveryKit => DeviceRole::RecoveryKit,
            engine::DeviceRole::AssistedRecovery => DeviceRole::AssistedRecovery,
        };
        let server = d.server;
        Device {
            public_key: d.public_key,
            this_device: d.this_device,
            removed: d.removed,
            in_log: d.in_log,
            role,
            name: d.name,
            certified_by: d.certified_by,
            added_at: server.as_ref().map(|s| s.added_at),
            added_by: server.as_ref().and_then(|s| s.added_by.clone()),
            removed_at: server.as_ref().and_then(|s| s.removed_at),
            last_seen_at: server.as_ref().and_then(|s| s.last_seen_at),
        }
    }
}

/// Where the new phone's linking stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LinkStatus {
    /// The enrolled phone has not approved yet: ask again in a moment.
    Pending,
    /// Linked: the vault exists on this phone, is unlocked, and had its first sync.
    Linked,
}

// ----- mandates -----

/// A mandate as the holder lists it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct MandateInfo {
    pub id: String,
    pub agent: String,
    pub role: String,
    pub organisation: String,
    /// "deposit", "consult", "extract", "transmit".
    pub scopes: Vec<String>,
    pub collections: Vec<String>,
    /// Unix seconds.
    pub not_after: u64,
    pub revoked: bool,
    pub active: bool,
}

impl From<coffre_core::mandate::MandateInfo> for MandateInfo {
    fn from(i: coffre_core::mandate::MandateInfo) -> Self {
        MandateInfo {
            id: i.id,
            agent: i.agent,
            role: i.role,
            organisation: i.org,
            scopes: i.scopes.into_iter().map(str::to_string).collect(),
            collections: i.collections,
            not_after: i.not_after,
            revoked: i.revoked,
            active: i.active,
        }
    }
}
