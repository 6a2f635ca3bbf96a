//! [`VaultApi`]: the documents of the unlocked vault. Every call blocks (the app owns the threads)
//! and fails with `Busy` while the vault is locked.

use crate::error::{CoffreError, Result};
use crate::inner::Inner;
use crate::progress::{CancelHandle, ProgressListener};
use crate::types::{
    Document, Expiring, ExportFormat, ExportSummary, ListQuery, MetadataPatch, NewDocument, Progress, VerifyReport,
};
use coffre_core::vault::{self as v, DocId};
use std::path::Path;
use std::sync::Arc;

fn id(s: &str) -> Result<DocId> {
    Ok(DocId::parse(s)?)
}

fn docs(list: Vec<v::Document>) -> Vec<Document> {
    list.into_iter().map(Document::from).collect()
}

#[derive(uniffi::Object)]
pub struct VaultApi {
    pub(crate) inner: Arc<Inner>,
}

#[uniffi::export]
impl VaultApi {
    /// Imports a file from a path the app can read (streamed, never whole in memory). Its type is
    /// sniffed from the content; a name that contradicts it is refused (`InvalidInput`).
    pub fn import_file(&self, path: String, meta: NewDocument) -> Result<String> {
        self.inner.with_vault(|vault| Ok(vault.import_file(Path::new(&path), meta.into())?.to_hex()))
    }

    /// Imports bytes the app already holds (e.g. from a content URI); `name` is only checked
    /// against the content.
    pub fn import_bytes(&self, bytes: Vec<u8>, name: String, meta: NewDocument) -> Result<String> {
        self.inner.with_vault(|vault| Ok(vault.import_reader(bytes.as_slice(), &name, meta.into())?.to_hex()))
    }

    pub fn get(&self, id: String) -> Result<Document> {
        let id = self::id(&id)?;
        self.inner.with_vault(|vault| Ok(vault.get(&id)?.into()))
    }

    /// Live documents, newest change first.
    pub fn list(&self, query: ListQuery) -> Result<Vec<Document>> {
        self.inner.with_vault(|vault| Ok(docs(vault.list(&query.into())?)))
    }

    /// Full-text search (accents and case ignored, prefixes match).
    pub fn search(&self, text: String, limit: Option<u32>) -> Result<Vec<Document>> {
        self.inner.with_vault(|vault| Ok(docs(vault.search(&text, limit)?)))
    }

    /// Documents expiring within `days` (expired ones included), soonest first.
    pub fn expiring(&self, days: u32) -> Result<Vec<Expiring>> {
        self.inner.with_vault(|vault| {
            Ok(vault
                .expiring_within(days)?
                .into_iter()
                .map(|e| Expiring { document: e.document.into(), days_left: e.days_left })
                .collect())
        })
    }

    /// Pinned documents (identity documents first): what desk mode offers.
    pub fn pinned(&self) -> Result<Vec<Document>> {
        self.inner.with_vault(|vault| Ok(docs(vault.pinned()?)))
    }

    pub fn set_pinned(&self, id: String, pinned: bool) -> Result<()> {
        let id = self::id(&id)?;
        self.inner.with_vault(|vault| Ok(vault.set_pinned(&id, pinned)?))
    }

    pub fn update_metadata(&self, id: String, patch: MetadataPatch) -> Result<Document> {
        let id = self::id(&id)?;
        let patch = v::MetadataPatch::try_from(patch)?;
        self.inner.with_vault(|vault| Ok(vault.update_metadata(&id, patch)?.into()))
    }

    /// Deletes a document (a tombstone, synced to the other devices).
    pub fn delete(&self, id: String) -> Result<()> {
        let id = self::id(&id)?;
        self.inner.with_vault(|vault| Ok(vault.delete(&id)?))
    }

    /// The bytes of page `index` (from 0), verified whole. `Network` if not downloaded yet.
    pub fn page(&self, id: String, index: u32) -> Result<Vec<u8>> {
        let id = self::id(&id)?;
        self.inner.with_vault(|vault| Ok(vault.page_bytes(&id, index)?.to_vec()))
    }

    /// Every version of a document, oldest first; two versions made offline on two phones are both
    /// kept and marked `concurrent`.
    pub fn versions(&self, id: String) -> Result<Vec<crate::types::DocumentVersion>> {
        let id = self::id(&id)?;
        self.inner.with_vault(|vault| Ok(vault.versions(&id)?.into_iter().map(Into::into).collect()))
    }

    /// The bytes of page `index` of a given version.
    pub fn version_page(&self, id: String, version: u32, index: u32) -> Result<Vec<u8>> {
        let id = self::id(&id)?;
        self.inner.with_vault(|vault| Ok(vault.version_page_bytes(&id, version, index)?.to_vec()))
    }

    /// Writes page `index` to `dest` atomically (e.g. the app's cache, to hand to a viewer).
    pub fn save_page(&self, id: String, index: u32, dest: String) -> Result<u64> {
        let id = self::id(&id)?;
        self.inner.with_vault(|vault| Ok(vault.save_page(&id, index, Path::new(&dest))?))
    }

    pub fn thumbnail(&self, id: String) -> Result<Vec<u8>> {
        let id = self::id(&id)?;
        self.inner.with_vault(|vault| Ok(vault.thumbnail(&id)?.to_vec()))
    }

    /// Re-hashes every page file and checks the database; changes nothing.
    pub fn verify(&self) -> Result<VerifyReport> {
        self.inner.with_vault(|vault| Ok(vault.verify()?.into()))
    }

    /// Exports every document, decrypted, with `manifest.json`, to `dest` (must not exist): the
    /// right to take one's data elsewhere. Long: reports progress and honours `cancel` before it
    /// starts writing (the core export cannot yet be interrupted midway; a failed or cancelled
    /// export leaves nothing at `dest`).
    pub fn export(
        &self,
        dest: String,
        format: ExportFormat,
        listener: Option<Arc<dyn ProgressListener>>,
        cancel: Arc<CancelHandle>,
    ) -> Result<ExportSummary> {
        let format = match format {
            ExportFormat::Folder => v::ExportFormat::Folder,
            ExportFormat::Zip => v::ExportFormat::Zip,
        };
        self.inner.with_vault(|vault| {
            let total = vault.list(&v::ListQuery::default())?.len() as u64;
            if let Some(l) = &listener {
                l.on_progress(Progress { done: 0, total, done_bytes: 0, total_bytes: 0 });
            }
            if cancel.is_cancelled() {
                return Err(CoffreError::Cancelled { detail: "cancelled".into() });
            }
            let s = vault.export(Path::new(&dest), format)?;
            if let Some(l) = &listener {
                l.on_progress(Progress { done: s.documents, total, done_bytes: s.bytes, total_bytes: s.bytes });
            }
            Ok(ExportSummary { documents: s.documents, files: s.files, bytes: s.bytes })
        })
    }
}
