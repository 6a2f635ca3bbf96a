//! Where capture meets the vault: a captured document (pages + thumbnail) becomes a vault document
//! with origin `camera`. The two crates stay independent; this is the only place that knows both.

use coffre_capture::CapturedDocument;
use coffre_vault::{DocId, NewDocument, Origin, PageInput, PageRole, Vault};

/// Stores a captured document: its pages in order, then its thumbnail.
pub fn save_capture(vault: &mut Vault, captured: &CapturedDocument, meta: NewDocument) -> coffre_vault::Result<DocId> {
    vault.add_document(meta, Origin::Camera, pages_of(captured))
}

/// Stores a captured document as a new version of `id` (a re-capture: renewed card, better photo).
pub fn save_capture_version(vault: &mut Vault, id: &DocId, captured: &CapturedDocument) -> coffre_vault::Result<u32> {
    vault.add_version(id, Origin::Camera, pages_of(captured))
}

fn pages_of(captured: &CapturedDocument) -> Vec<PageInput> {
    let mut pages: Vec<PageInput> = captured
        .pages
        .iter()
        .map(|p| PageInput { bytes: p.image.bytes.clone(), mime: p.image.mime.clone(), role: PageRole::Page })
        .collect();
    pages.push(PageInput {
        bytes: captured.thumbnail.bytes.clone(),
        mime: captured.thumbnail.mime.clone(),
        role: PageRole::Thumbnail,
    });
    pages
}

/// Why [`rotate_pages`] could not turn a document.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RotateError {
    /// Reading the document or storing the new version failed.
    #[error(transparent)]
    Vault(#[from] coffre_vault::VaultError),
    /// A page is not an image that can be turned (a PDF, a damaged file).
    #[error("page {index} cannot be turned: {source}")]
    NotAnImage {
        /// The page (counted from 0).
        index: u32,
        /// What the decoder said.
        source: coffre_capture::CaptureError,
    },
    /// The document has no page with that number.
    #[error("no page {index} (the document has {count})")]
    NoSuchPage {
        /// The page asked for (counted from 0).
        index: u32,
        /// How many pages there are.
        count: u32,
    },
}

/// Turns page `index` (every page when `None`) of document `id` by `rotation` and stores the result
/// as a new version (the old one stays in the history, so a wrong turn can be undone). The
/// thumbnail is made again from the first page. Returns the new version number.
pub fn rotate_pages(
    vault: &mut Vault,
    id: &DocId,
    index: Option<u32>,
    rotation: coffre_capture::Rotation,
) -> Result<u32, RotateError> {
    let doc = vault.get(id)?;
    let count = doc.page_count() as u32;
    if let Some(i) = index
        && i >= count
    {
        return Err(RotateError::NoSuchPage { index: i, count });
    }
    let mut pages = Vec::with_capacity(count as usize + 1);
    for i in 0..count {
        let bytes = vault.page_bytes(id, i)?;
        let mime = vault.page_mime(id, i)?;
        if index.is_some_and(|want| want != i) {
            pages.push(PageInput { bytes: bytes.to_vec(), mime, role: PageRole::Page });
            continue;
        }
        let turned = coffre_capture::rotate_encoded(&bytes, rotation)
            .map_err(|source| RotateError::NotAnImage { index: i, source })?;
        pages.push(PageInput { bytes: turned.bytes, mime: turned.mime, role: PageRole::Page });
    }
    if let Some(first) = pages.first() {
        let img =
            coffre_capture::decode(&first.bytes).map_err(|source| RotateError::NotAnImage { index: 0, source })?;
        let thumb = coffre_capture::thumbnail(&coffre_capture::Enhanced::Colour(img))
            .map_err(|source| RotateError::NotAnImage { index: 0, source })?;
        pages.push(PageInput { bytes: thumb.bytes, mime: thumb.mime, role: PageRole::Thumbnail });
    }
    Ok(vault.add_version(id, doc.origin, pages)?)
}
