//! [`CaptureApi`]: photo or preview frame → corners → deskewed, enhanced page(s) → vault. Stateless
//! calls, plus two objects where state lives: an [`AutoCapture`] tracker per preview stream and a
//! [`CapturedDocument`] (the processed pages, kept in Rust until saved or dropped).

use crate::error::{CoffreError, Result};
use crate::inner::Inner;
use crate::types::{CaptureAdvice, CaptureOptions, CapturedPageInfo, Detection, LumaFrame, NewDocument};
use coffre_core::capture as cap;
use std::sync::{Arc, Mutex};

#[derive(uniffi::Object)]
pub struct CaptureApi {
    pub(crate) inner: Arc<Inner>,
}

#[uniffi::export]
impl CaptureApi {
    /// Finds the document in a photo (JPEG/PNG bytes; EXIF orientation applied). Corners are in
    /// pixels of the upright photo; `quad` is `null` when nothing convincing was found.
    pub fn detect(&self, photo: Vec<u8>) -> Result<Detection> {
        let img = cap::decode(&photo)?;
        Ok(cap::detect(&img).into())
    }

    /// Finds the document in a preview frame (Y plane); fast enough for every few frames.
    pub fn detect_preview(&self, frame: LumaFrame) -> Result<Detection> {
        let stride = usize::try_from(frame.row_stride).map_err(|_| CoffreError::invalid("bad row stride"))?;
        let luma = cap::LumaFrame::new(frame.width, frame.height, stride, &frame.data)?;
        Ok(cap::detect_preview(&luma).into())
    }

    /// A steadiness tracker for a preview stream of `width` × `height` frames.
    pub fn auto_capture(&self, width: u32, height: u32) -> Arc<AutoCapture> {
        Arc::new(AutoCapture { tracker: Mutex::new(cap::AutoCapture::new(width, height)) })
    }

    /// Processes one photo per page (both sides of a card, a multi-page letter): detection (or the
    /// person's corners), deskew, enhancement, compression. `NotFound` when no document is seen
    /// and no corners were given. Takes up to a few seconds per page on a cheap phone.
    pub fn capture(&self, photos: Vec<Vec<u8>>, options: CaptureOptions) -> Result<Arc<CapturedDocument>> {
        let opts = cap::CaptureOptions::try_from(options)?;
        let refs: Vec<&[u8]> = photos.iter().map(Vec::as_slice).collect();
        let doc = cap::capture_pages(&refs, &opts)?;
        Ok(Arc::new(CapturedDocument { inner: self.inner.clone(), doc }))
    }
}

/// Auto-capture hint for one preview stream: feed it each detection, show its advice.
#[derive(uniffi::Object)]
pub struct AutoCapture {
    tracker: Mutex<cap::AutoCapture>,
}

#[uniffi::export]
impl AutoCapture {
    pub fn push(&self, detection: Detection, timestamp_ms: u64) -> CaptureAdvice {
        let mut t = self.tracker.lock().unwrap_or_else(|p| p.into_inner());
        t.push(&detection.into(), timestamp_ms).into()
    }

    /// Forget the history (after a shot).
    pub fn reset(&self) {
        self.tracker.lock().unwrap_or_else(|p| p.into_inner()).reset();
    }
}

/// Processed pages, not yet in the vault. Close it when done (it holds the page images).
#[derive(uniffi::Object)]
pub struct CapturedDocument {
    inner: Arc<Inner>,
    doc: cap::CapturedDocument,
}

#[uniffi::export]
impl CapturedDocument {
    pub fn pages(&self) -> Vec<CapturedPageInfo> {
        self.doc.pages.iter().map(CapturedPageInfo::from).collect()
    }

    /// The encoded image of page `index`, to show for confirmation.
    pub fn page_image(&self, index: u32) -> Result<Vec<u8>> {
        self.doc
            .pages
            .get(index as usize)
            .map(|p| p.image.bytes.clone())
            .ok_or_else(|| CoffreError::NotFound { detail: "no such page".into() })
    }

    pub fn thumbnail(&self) -> Vec<u8> {
        self.doc.thumbnail.bytes.clone()
    }

    /// All pages as one PDF (real sizes; ID cards on an A4 sheet).
    pub fn to_pdf(&self) -> Result<Vec<u8>> {
        Ok(self.doc.to_pdf()?)
    }

    /// Stores the pages (and thumbnail) as a new document of the unlocked vault; returns its id.
    pub fn save(&self, meta: NewDocument) -> Result<String> {
        self.inner.with_vault(|vault| Ok(coffre_core::save_capture(vault, &self.doc, meta.into())?.to_hex()))
    }

    /// Stores the pages as a new version of document `id` (a renewed card, a clearer photo); the old
    /// version stays readable. Returns the new version's identifier.
    pub fn save_as_version(&self, id: String) -> Result<u32> {
        let id = coffre_core::vault::DocId::parse(&id)?;
        self.inner.with_vault(|vault| Ok(coffre_core::save_capture_version(vault, &id, &self.doc)?))
    }
}
