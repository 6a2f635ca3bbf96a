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
