//! A document's page files: the sources they are read from (under the size limit), their
//! encryption under fresh page keys into blob files, the rows that record them, and the errors met
//! reading them back. Used alike by a new document, a new version and an import.

use crate::blobstore::{Durability, WriterWrap, WrittenBlob, write_blob};
use crate::error::corrupt;
use crate::keys::page_key_aad;
use crate::model::{DocId, PageRole};
use crate::ops::BlobRef;
use crate::{Result, VaultError};
use coffre_crypto::{BlobContext, SymmetricKey, wrap_key};
use rusqlite::{Transaction, params};
use std::fs::{self, File};
use std::io::Read;
use std::path::Path;

/// One page to store: its bytes (streamed), its type and its role.
pub(crate) struct PageSource<'a> {
    pub(crate) reader: Box<dyn Read + 'a>,
    pub(crate) mime: &'static str,
    pub(crate) role: PageRole,
}

/// Where and how page files are written: the vault directory, the test hook that may wrap each
/// file writer, and the size limit that a source growing while read runs into.
pub(crate) struct PageWriter<'a> {
    pub(crate) dir: &'a Path,
    pub(crate) wrap: Option<WriterWrap>,
    pub(crate) max_file_bytes: u64,
    pub(crate) durability: Durability,
}

impl PageWriter<'_> {
    /// Writes pages encrypted under fresh page keys wrapped by `doc_key`; nothing is recorded yet.
    pub(crate) fn write(
        &self,
        doc: &DocId,
        version: u32,
        doc_key: &SymmetricKey,
        sources: Vec<PageSource<'_>>,
    ) -> Result<Vec<WrittenPage>> {
        let mut written = Vec::new();
        let mut index_by_role = [0u32; 2];
        for src in sources {
            let slot = if src.role == PageRole::Page { 0 } else { 1 };
            let index = index_by_role[slot];
            index_by_role[slot] += 1;
            let page_key = SymmetricKey::generate();
            let ctx = BlobContext { doc_id: doc.0, version };
            let reader = match without_metadata(src.reader, src.mime) {
                Ok(r) => r,
                Err(e) => {
                    remove_pages(&written);
                    return Err(map_limit_error(e, self.max_file_bytes));
                }
            };
            let blob = match write_blob(self.dir, &page_key, &ctx, reader, self.wrap, self.durability) {
                Ok(b) => b,
                Err(e) => {
                    remove_pages(&written);
                    return Err(map_limit_error(e, self.max_file_bytes));
                }
            };
            let wrapped_key = wrap_key(doc_key, &page_key, &page_key_aad(&blob.id, doc, version, src.role, index));
            written.push(WrittenPage { blob, role: src.role, index, mime: src.mime, wrapped_key });
        }
        Ok(written)
    }
}

/// Photos are read whole and cleaned of their metadata (see `scrub.rs`); other pages stream as
/// they are.
fn without_metadata<'a>(mut reader: Box<dyn Read + 'a>, mime: &str) -> Result<Box<dyn Read + 'a>> {
    if !matches!(mime, "image/jpeg" | "image/png") {
        return Ok(reader);
    }
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    Ok(Box::new(std::io::Cursor::new(crate::scrub::strip_photo_metadata(&bytes, mime)?)))
}

/// A page written to disk, not yet recorded in the database.
pub(crate) struct WrittenPage {
    pub blob: WrittenBlob,
    pub role: PageRole,
    pub index: u32,
    pub mime: &'static str,
    pub wrapped_key: Vec<u8>,
}

/// Removes page files that no row will refer to (a failed import or version).
pub(crate) fn remove_pages(pages: &[WrittenPage]) {
    for p in pages {
        if let Some(tmp) = &p.blob.pending {
            let _ = fs::remove_file(tmp);
        }
        let _ = fs::remove_file(&p.blob.path);
    }
}

/// Records the pages of `version` in `tx`.
pub(crate) fn insert_pages(
    tx: &Transaction<'_>,
    doc: &DocId,
    version: u32,
    pages: &[WrittenPage],
    now: i64,
) -> Result<()> {
    for p in pages {
        tx.execute(
            "INSERT INTO blobs (id, doc_id, doc_version, role, page_index, mime, plain_len, cipher_len,
                cipher_sha256, wrapped_key, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                p.blob.id,
                doc.0,
                version,
                p.role.code(),
                p.index,
                p.mime,
                p.blob.stats.plaintext_len as i64,
                p.blob.stats.ciphertext_len as i64,
                p.blob.cipher_sha256,
                p.wrapped_key,
                now
            ],
        )?;
    }
    Ok(())
}

/// What another device needs to fetch and read the pages (carried in the op).
pub(crate) fn blob_refs(pages: &[WrittenPage]) -> Vec<BlobRef> {
    pages
        .iter()
        .map(|p| BlobRef {
            id: hex::encode(p.blob.id),
            role: p.role,
            index: p.index,
            mime: p.mime.to_string(),
            plain_len: p.blob.stats.plaintext_len,
            cipher_len: p.blob.stats.ciphertext_len,
            cipher_sha256: hex::encode(p.blob.cipher_sha256),
            wrapped_key: hex::encode(&p.wrapped_key),
        })
        .collect()
}

/// Stops a stream that grows past the size limit (a file that changes while read).
pub(crate) struct LimitedReader<R> {
    pub(crate) inner: R,
    pub(crate) read: u64,
    pub(crate) limit: u64,
}

#[derive(Debug)]
struct OverLimit;
impl std::fmt::Display for OverLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("file over the size limit")
    }
}
impl std::error::Error for OverLimit {}

impl<R: Read> Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(std::io::Error::other(OverLimit));
        }
        Ok(n)
    }
}

pub(crate) fn map_limit_error(e: VaultError, limit: u64) -> VaultError {
    match e {
        VaultError::Io(io) if io.get_ref().is_some_and(|inner| inner.is::<OverLimit>()) => {
            VaultError::TooLarge { size: limit + 1, limit }
        }
        VaultError::Crypto(coffre_crypto::CryptoError::Io(io)) => map_limit_error(io.into(), limit),
        other => other,
    }
}

/// Opens a blob file: a missing one is damage; other I/O errors (permissions, full table) stay I/O.
pub(crate) fn open_blob(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => corrupt("a page file is missing"),
        _ => e.into(),
    })
}

pub(crate) fn blob_error(e: coffre_crypto::CryptoError) -> VaultError {
    match e {
        coffre_crypto::CryptoError::Io(io) => io.into(),
        _ => corrupt("a page failed its integrity check"),
    }
}
