//! Document versions (DESIGN.md §4: documents are immutable versions). A new capture of a document
//! (a renewed card, a better photo) is added as a new version with its own document key and pages;
//! the older versions stay listed and readable. The `documents` row shows the current version: the
//! newest by hybrid logical clock. Two devices that add a version of the same document offline both
//! keep both after sync: the one with the newer clock becomes current, the other is listed as a
//! *concurrent* version (made from the same parent, so neither replaced the other knowingly) for the
//! app to show as a conflict.
//!
//! Version numbers are bound into the key and blob AAD as a `u32`, so they must not collide between
//! devices that cannot talk: version 1 is the first capture, later ones take a random number (a clash
//! between two offline devices has a 2^-32 chance; the version made second is then not recorded). The
//! order people see is the clock order ([`DocVersion::number`]).

use crate::blobstore::blob_path;
use crate::category::Collection;
use crate::error::corrupt;
use crate::keys::{self, doc_key_aad, page_key_aad};
use crate::model::{DocId, Origin, PageInfo, PageInput, PageRole};
use crate::ops::{Op, OpBody};
use crate::pages::{PageSource, blob_error, blob_refs, insert_pages, open_blob, remove_pages};
use crate::rows::{promote_if_newer, queue, record_version, tick};
use crate::sniff::FileKind;
use crate::vault::Vault;
use crate::{Result, VaultError, date::now_ms};
use coffre_crypto::{BlobContext, SymmetricKey, decrypt_to_vec, unwrap_key, wrap_key};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use std::collections::HashSet;
use std::io::{BufReader, Cursor};
use zeroize::Zeroizing;

/// One version of a document, as listed.
#[derive(Debug, Clone, Serialize)]
pub struct DocVersion {
    /// The identifier bound into the keys (1 for the first capture; see the module docs).
    pub version: u32,
    /// Position in clock order, from 1: what to show ("version 2 of 3").
    pub number: u32,
    /// The version that was current on the device that made this one (`None` for the first).
    pub parent: Option<u32>,
    pub origin: Origin,
    /// Unix milliseconds, from the clock of the device that made it.
    pub created_at: i64,
    /// The version shown for the document (newest by clock).
    pub current: bool,
    /// Made without knowledge of the current version (not one of its ancestors): a conflict to show.
    pub concurrent: bool,
    /// All pages of this version are on this device.
    pub local: bool,
    pub pages: Vec<PageInfo>,
}

impl Vault {
    /// Adds a new version of a live document (re-captured or replaced pages). It becomes the current
    /// version; the previous ones stay listed by [`Vault::versions`]. Queued for sync like any change.
    /// Returns the new version's identifier.
    pub fn add_version(&mut self, id: &DocId, origin: Origin, pages: Vec<PageInput>) -> Result<u32> {
        if !pages.iter().any(|p| p.role == PageRole::Page) {
            return Err(VaultError::InvalidInput("a document needs at least one page".into()));
        }
        for p in &pages {
            if p.bytes.len() as u64 > self.limits.max_file_bytes {
                return Err(VaultError::TooLarge { size: p.bytes.len() as u64, limit: self.limits.max_file_bytes });
            }
        }
        let doc = self.get(id)?;
        let collection = Collection::from_code(&doc.collection).ok_or_else(|| corrupt("collection"))?;
        let taken: HashSet<u32> = {
            let mut stmt = self.conn.prepare("SELECT version FROM document_versions WHERE doc_id = ?1")?;
            let rows = stmt.query_map([id.0], |r| r.get::<_, u32>(0))?;
            rows.collect::<std::result::Result<_, _>>()?
        };
        let version = loop {
            let v = u32::from_be_bytes(coffre_crypto::random_bytes::<4>());
            if v > 1 && !taken.contains(&v) {
                break v;
            }
        };
        let (collection_key, generation) = keys::current_collection_key(&self.conn, &self.ark, collection)?;
        let doc_key = SymmetricKey::generate();
        let wrapped_doc_key = wrap_key(&collection_key, &doc_key, &doc_key_aad(id, version, collection, generation));
        let sources = pages
            .into_iter()
            .map(|p| {
                let kind = FileKind::from_mime(&p.mime);
                PageSource { reader: Box::new(Cursor::new(p.bytes)), mime: kind.mime(), role: p.role }
            })
            .collect();
        let written = self.page_writer().write(id, version, &doc_key, sources)?;
        let result = (|| -> Result<()> {
            let tx = self.conn.transaction()?;
            let hlc = tick(&tx, &self.writer_id)?;
            record_version(&tx, id, version, Some(doc.version), generation, &wrapped_doc_key, origin, &hlc)?;
            insert_pages(&tx, id, version, &written, now_ms())?;
            promote_if_newer(&tx, id, version, &hlc)?;
            let body = OpBody::AddVersion {
                version,
                parent: doc.version,
                origin,
                collection: collection.code().into(),
                key_generation: generation,
                wrapped_doc_key: hex::encode(&wrapped_doc_key),
                blobs: blob_refs(&written),
            };
            queue(&tx, &Op::add_version(id, &hlc, body))?;
            tx.commit()?;
            Ok(())
        })();
        if let Err(e) = result {
            remove_pages(&written);
            return Err(e);
        }
        Ok(version)
    }

    /// Every version of a live document, oldest first (clock order), with which one is current and
    /// which ones are concurrent with it.
    pub fn versions(&self, id: &DocId) -> Result<Vec<DocVersion>> {
        let doc = self.get(id)?;
        let mut stmt = self.conn.prepare(
            "SELECT v.version, v.parent, v.origin, v.created_at,
                (SELECT count(*) FROM blobs b WHERE b.doc_id = v.doc_id AND b.doc_version = v.version AND b.local = 0)
             FROM document_versions v WHERE v.doc_id = ?1 ORDER BY v.hlc, v.version",
        )?;
        let rows = stmt.query_map([id.0], |r| {
            Ok((r.get::<_, u32>(0)?, r.get::<_, Option<u32>>(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?))
        })?;
        let mut out = Vec::new();
        for (n, row) in rows.enumerate() {
            let (version, parent, origin, created_at, missing): (u32, Option<u32>, String, i64, i64) = row?;
            out.push(DocVersion {
                version,
                number: n as u32 + 1,
                parent,
                origin: Origin::from_code(&origin).ok_or_else(|| corrupt("origin"))?,
                created_at,
                current: version == doc.version,
                concurrent: false,
                local: missing == 0,
                pages: self.version_pages(id, version)?,
            });
        }
        // Ancestors of the current version, following parents; every other version is concurrent.
        let mut ancestors = HashSet::new();
        let mut at = Some(doc.version);
        while let Some(v) = at {
            if !ancestors.insert(v) {
                break;
            }
            at = out.iter().find(|d| d.version == v).and_then(|d| d.parent);
        }
        for v in &mut out {
            v.concurrent = !ancestors.contains(&v.version);
        }
        Ok(out)
    }

    fn version_pages(&self, id: &DocId, version: u32) -> Result<Vec<PageInfo>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT role, page_index, mime, plain_len FROM blobs WHERE doc_id = ?1 AND doc_version = ?2
             ORDER BY role, page_index",
        )?;
        let rows = stmt.query_map(params![id.0, version], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (role, index, mime, size) = row?;
            out.push(PageInfo {
                role: PageRole::from_code(&role).ok_or_else(|| corrupt("page role"))?,
                index,
                mime,
                size: size as u64,
            });
        }
        Ok(out)
    }

    /// The bytes of page `index` of a given version (current or not), all-or-nothing.
    pub fn version_page_bytes(&self, id: &DocId, version: u32, index: u32) -> Result<Zeroizing<Vec<u8>>> {
        let row = self
            .conn
            .query_row(
                "SELECT b.id, b.wrapped_key, d.collection, v.key_generation, v.wrapped_doc_key, b.local
                 FROM blobs b
                 JOIN document_versions v ON v.doc_id = b.doc_id AND v.version = b.doc_version
                 JOIN documents d ON d.id = b.doc_id
                 WHERE b.doc_id = ?1 AND b.doc_version = ?2 AND b.role = 'page' AND b.page_index = ?3
                   AND d.deleted_at IS NULL",
                params![id.0, version, index],
                |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, u32>(3)?,
                        r.get::<_, Vec<u8>>(4)?,
                        r.get::<_, bool>(5)?,
                    ))
                },
            )
            .optional()?
            .ok_or(VaultError::NotFound("page"))?;
        let (blob_id, wrapped_page_key, collection, generation, wrapped_doc_key, local) = row;
        if !local {
            return Err(VaultError::NotDownloaded);
        }
        let blob_id: [u8; 16] = blob_id.try_into().map_err(|_| corrupt("blob id"))?;
        let collection = Collection::from_code(&collection).ok_or_else(|| corrupt("collection"))?;
        let ck = keys::collection_key(&self.conn, &self.ark, collection, generation)?;
        let doc_key = unwrap_key(&ck, &wrapped_doc_key, &doc_key_aad(id, version, collection, generation))
            .map_err(|_| corrupt("document key"))?;
        let page_key =
            unwrap_key(&doc_key, &wrapped_page_key, &page_key_aad(&blob_id, id, version, PageRole::Page, index))
                .map_err(|_| corrupt("page key"))?;
        let file = open_blob(&blob_path(&self.dir, &blob_id))?;
        decrypt_to_vec(&page_key, &BlobContext { doc_id: id.0, version }, BufReader::with_capacity(256 * 1024, file))
            .map_err(blob_error)
    }
}
