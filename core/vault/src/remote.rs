//! The vault side of sync: applying ops written by the holder's other devices (last writer wins
//! per field, by hybrid logical clock), knowing which blobs are still to download, and storing a
//! downloaded blob after checking it against the hash its op announced. The sync client has
//! already verified the op's signature and the server's hash chain before calling in here.

use crate::blobstore::{blob_path, hash_file};
use crate::category::Collection;
use crate::error::corrupt;
use crate::fsutil::{sync_dir, temp_sibling};
use crate::hlc::Hlc;
use crate::keys::{self, doc_key_aad, page_key_aad};
use crate::model::DocId;
use crate::ops::{BlobRef, FieldChanges, Op, OpBody};
use crate::rows::{apply_field_changes, promote_if_newer, record_version, reindex, resolve_category, set_field_clock};
use crate::vault::Vault;
use crate::{Result, VaultError, date::now_ms};
use coffre_crypto::{SymmetricKey, unwrap_key};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::Path;

/// What applying a remote op did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Applied {
    /// The op changed the vault.
    Changed,
    /// Already known, or every field it sets has a newer local value.
    Unchanged,
}

/// A blob that another device announced and this device has not downloaded yet.
#[derive(Debug, Clone, Serialize)]
pub struct MissingBlob {
    pub id: [u8; 16],
    pub doc_id: DocId,
    pub cipher_len: u64,
    pub cipher_sha256: [u8; 32],
    /// Pinned documents are fetched first and always kept local (desk mode).
    pub pinned: bool,
}

/// A local blob to upload.
#[derive(Debug, Clone, Serialize)]
pub struct LocalBlob {
    pub id: [u8; 16],
    pub path: std::path::PathBuf,
    pub cipher_len: u64,
    pub cipher_sha256: [u8; 32],
}

pub(crate) fn hex16(s: &str) -> Result<[u8; 16]> {
    let mut out = [0u8; 16];
    hex::decode_to_slice(s, &mut out).map_err(|_| VaultError::InvalidInput("malformed id in op".into()))?;
    Ok(out)
}

pub(crate) fn hex32(s: &str) -> Result<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).map_err(|_| VaultError::InvalidInput("malformed hash in op".into()))?;
    Ok(out)
}

/// Records the pages a synced op announces for version `version` of `doc` (not yet downloaded unless
/// the file is already here), after checking that each page key opens under `doc_key`: a page that
/// could not be read later is refused now (`Corrupt`).
pub(crate) fn record_synced_blobs(
    tx: &Transaction,
    dir: &Path,
    doc: &DocId,
    version: u32,
    doc_key: &SymmetricKey,
    blobs: &[BlobRef],
    created: i64,
) -> Result<()> {
    for b in blobs {
        let id = hex16(&b.id)?;
        let wrapped = hex::decode(&b.wrapped_key).map_err(|_| VaultError::InvalidInput("key".into()))?;
        unwrap_key(doc_key, &wrapped, &page_key_aad(&id, doc, version, b.role, b.index))
            .map_err(|_| corrupt("page key in a synced op"))?;
        let local = blob_path(dir, &id).exists();
        tx.execute(
            "INSERT OR IGNORE INTO blobs (id, doc_id, doc_version, role, page_index, mime, plain_len,
                cipher_len, cipher_sha256, wrapped_key, created_at, local)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                id,
                doc.0,
                version,
                b.role.code(),
                b.index,
                b.mime,
                b.plain_len as i64,
                b.cipher_len as i64,
                hex32(&b.cipher_sha256)?,
                wrapped,
                created,
                local
            ],
        )?;
    }
    Ok(())
}

impl Vault {
    /// Applies an op from another device. Idempotent: applying it twice changes nothing more.
    pub fn apply_remote_op(&mut self, bytes: &[u8]) -> Result<Applied> {
        let op = Op::parse(bytes)?;
        let doc = DocId::parse(&op.doc)?;
        let hlc = Hlc::decode(&op.hlc)?;
        let tx = self.conn.transaction()?;
        observe_clock(&tx, &hlc)?;
        let applied = match op.body {
            OpBody::Create { fields, origin, version, collection, key_generation, wrapped_doc_key, blobs } => {
                let exists: bool =
                    tx.query_row("SELECT count(*) FROM documents WHERE id = ?1", [doc.0], |r| r.get::<_, i64>(0))? > 0;
                if exists {
                    Applied::Unchanged
                } else {
                    let collection = Collection::from_code(&collection)
                        .ok_or_else(|| VaultError::InvalidInput("unknown collection".into()))?;
                    let wrapped_doc_key =
                        hex::decode(&wrapped_doc_key).map_err(|_| VaultError::InvalidInput("key".into()))?;
                    // Refuse an op whose keys do not open with ours: it would be unreadable later.
                    let ck = collection_key_for(&tx, &self.ark, collection, key_generation)?;
                    let doc_key =
                        unwrap_key(&ck, &wrapped_doc_key, &doc_key_aad(&doc, version, collection, key_generation))
                            .map_err(|_| corrupt("document key in a synced op"))?;
                    let cat = resolve_category(fields.category.as_deref().unwrap_or("autre"))?;
                    let created = hlc.wall_ms;
                    tx.execute(
                        "INSERT INTO documents (id, category, collection, title, issued_on, expires_on, notes, origin,
                            pinned, version, key_generation, wrapped_doc_key, created_at, modified_at)
                         VALUES (?1, ?2, ?3, '', NULL, NULL, '', ?4, 0, ?5, ?6, ?7, ?8, ?8)",
                        params![
                            doc.0,
                            cat.code,
                            collection.code(),
                            origin.code(),
                            version,
                            key_generation,
                            wrapped_doc_key,
                            created
                        ],
                    )?;
                    record_synced_blobs(&tx, &self.dir, &doc, version, &doc_key, &blobs, created)?;
                    apply_fields_lww(&tx, &doc, &fields, &hlc)?;
                    record_version(&tx, &doc, version, None, key_generation, &wrapped_doc_key, origin, &hlc)?;
                    Applied::Changed
                }
            }
            body @ OpBody::AddVersion { .. } => apply_remote_version(&tx, &self.dir, &self.ark, &doc, &hlc, &body)?,
            OpBody::Set { fields } => {
                if doc_exists(&tx, &doc)? {
                    apply_fields_lww(&tx, &doc, &fields, &hlc)?
                } else {
                    Applied::Unchanged
                }
            }
            OpBody::Pin { pinned } => {
                if doc_exists(&tx, &doc)? && newer(&tx, &doc, "pinned", &hlc)? {
                    tx.execute("UPDATE documents SET pinned = ?2 WHERE id = ?1", params![doc.0, pinned])?;
                    set_field_clock(&tx, &doc, "pinned", &hlc)?;
                    Applied::Changed
                } else {
                    Applied::Unchanged
                }
            }
            OpBody::Delete => {
                if doc_exists(&tx, &doc)? && newer(&tx, &doc, "deleted", &hlc)? {
                    tx.execute(
                        "UPDATE documents SET deleted_at = ?2, modified_at = max(modified_at, ?2), pinned = 0
                         WHERE id = ?1 AND deleted_at IS NULL",
                        params![doc.0, hlc.wall_ms],
                    )?;
                    tx.execute(
                        "DELETE FROM documents_fts WHERE rowid = (SELECT rowid FROM documents WHERE id = ?1)",
                        [doc.0],
                    )?;
                    set_field_clock(&tx, &doc, "deleted", &hlc)?;
                    Applied::Changed
                } else {
                    Applied::Unchanged
                }
            }
        };
        tx.commit()?;
        Ok(applied)
    }

    /// Blobs announced by other devices and not yet here (of every version of a document, so that a
    /// conflict can be looked at); pinned documents first, current versions before older ones.
    pub fn missing_blobs(&self) -> Result<Vec<MissingBlob>> {
        let mut stmt = self.conn.prepare(
            "SELECT b.id, b.doc_id, b.cipher_len, b.cipher_sha256, d.pinned FROM blobs b
             JOIN documents d ON d.id = b.doc_id
             WHERE b.local = 0 AND d.deleted_at IS NULL
             ORDER BY d.pinned DESC, b.doc_version = d.version DESC, b.role DESC, d.rowid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Vec<u8>>(3)?,
                r.get(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, doc, len, sha, pinned) = row?;
            out.push(MissingBlob {
                id: id.try_into().map_err(|_| corrupt("blob id"))?,
                doc_id: DocId(doc.try_into().map_err(|_| corrupt("document id"))?),
                cipher_len: len as u64,
                cipher_sha256: sha.try_into().map_err(|_| corrupt("blob hash"))?,
                pinned,
            });
        }
        Ok(out)
    }

    /// Every local blob (what an upload may need), with its recorded hash.
    pub fn local_blobs_of(&self, doc: &DocId) -> Result<Vec<LocalBlob>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, cipher_len, cipher_sha256 FROM blobs WHERE doc_id = ?1 AND local = 1 ORDER BY role, page_index",
        )?;
        let rows =
            stmt.query_map([doc.0], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?, r.get::<_, Vec<u8>>(2)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, len, sha) = row?;
            let id: [u8; 16] = id.try_into().map_err(|_| corrupt("blob id"))?;
            out.push(LocalBlob {
                id,
                path: blob_path(&self.dir, &id),
                cipher_len: len as u64,
                cipher_sha256: sha.try_into().map_err(|_| corrupt("blob hash"))?,
            });
        }
        Ok(out)
    }

    /// Stores a downloaded blob after checking its length and hash against what its op announced.
    /// A blob that does not match is refused (`Corrupt`) and nothing is written.
    pub fn store_fetched_blob(&mut self, id: &[u8; 16], ciphertext: &[u8]) -> Result<()> {
        let (len, sha): (i64, Vec<u8>) = self
            .conn
            .query_row("SELECT cipher_len, cipher_sha256 FROM blobs WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .ok_or(VaultError::NotFound("blob"))?;
        if ciphertext.len() as i64 != len || Sha256::digest(ciphertext).as_slice() != sha.as_slice() {
            return Err(corrupt("a downloaded page does not match its announced hash"));
        }
        let path = blob_path(&self.dir, id);
        if !path.exists() {
            let shard = path.parent().ok_or_else(|| VaultError::InvalidInput("blob path".into()))?;
            crate::fsutil::create_private_dir_all(shard)?;
            let tmp = temp_sibling(&path);
            let written = (|| -> Result<()> {
                let mut f = crate::fsutil::private_file_options().create_new(true).open(&tmp)?;
                f.write_all(ciphertext)?;
                f.sync_all()?;
                fs::rename(&tmp, &path)?;
                sync_dir(shard)
            })();
            if let Err(e) = written {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
        } else if hash_file(&path)?.0.as_slice() != sha.as_slice() {
            return Err(corrupt("a local page file differs from its recorded hash"));
        }
        self.conn.execute("UPDATE blobs SET local = 1 WHERE id = ?1", [id])?;
        Ok(())
    }

    /// A small key/value store inside the encrypted database, for the sync and share layers'
    /// state (last verified head, pinned server key, device keys...).
    pub fn state_get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [format!("state:{key}")], |r| r.get(0))
            .optional()?)
    }

    pub fn state_set(&mut self, key: &str, value: &[u8]) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
            params![format!("state:{key}"), value],
        )?;
        Ok(())
    }

    /// The id this device writes ops under (the HLC tie-break).
    pub fn writer_id(&self) -> &str {
        &self.writer_id
    }

    /// Number of ops waiting to be pushed.
    pub fn outbox_len(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT count(*) FROM outbox", [], |r| r.get::<_, i64>(0))? as u64)
    }
}

fn collection_key_for(
    tx: &Transaction<'_>,
    ark: &coffre_crypto::AccountRootKey,
    c: Collection,
    generation: u32,
) -> Result<SymmetricKey> {
    // Generation 1 is derived from the ARK: record it if this device never used the collection.
    keys::current_collection_key(tx, ark, c)?;
    keys::collection_key(tx, ark, c, generation)
}

fn doc_exists(tx: &Transaction<'_>, doc: &DocId) -> Result<bool> {
    Ok(tx.query_row("SELECT count(*) FROM documents WHERE id = ?1", [doc.0], |r| r.get::<_, i64>(0))? > 0)
}

/// Whether `hlc` is newer than the clock of `field` (absent = older than anything).
fn newer(tx: &Transaction<'_>, doc: &DocId, field: &str, hlc: &Hlc) -> Result<bool> {
    let current: Option<String> = tx
        .query_row("SELECT hlc FROM field_clock WHERE doc_id = ?1 AND field = ?2", params![doc.0, field], |r| r.get(0))
        .optional()?;
    Ok(match current {
        Some(c) => *hlc > Hlc::decode(&c)?,
        None => true,
    })
}

/// Applies each field whose clock is older than `hlc`.
fn apply_fields_lww(tx: &Transaction<'_>, doc: &DocId, fields: &FieldChanges, hlc: &Hlc) -> Result<Applied> {
    let mut winning = FieldChanges::default();
    if fields.category.is_some() && newer(tx, doc, "category", hlc)? {
        winning.category = fields.category.clone();
    }
    if fields.title.is_some() && newer(tx, doc, "title", hlc)? {
        winning.title = fields.title.clone();
    }
    if fields.tags.is_some() && newer(tx, doc, "tags", hlc)? {
        winning.tags = fields.tags.clone();
    }
    if fields.issued_on.is_some() && newer(tx, doc, "issued_on", hlc)? {
        winning.issued_on = fields.issued_on.clone();
    }
    if fields.expires_on.is_some() && newer(tx, doc, "expires_on", hlc)? {
        winning.expires_on = fields.expires_on.clone();
    }
    if fields.notes.is_some() && newer(tx, doc, "notes", hlc)? {
        winning.notes = fields.notes.clone();
    }
    if winning.is_empty() {
        return Ok(Applied::Unchanged);
    }
    apply_field_changes(tx, doc, &winning, hlc.wall_ms)?;
    for f in winning.fields() {
        set_field_clock(tx, doc, f, hlc)?;
    }
    reindex(tx, doc)?;
    Ok(Applied::Changed)
}

/// Moves the local clock past a remote one, so later local edits order after it.
fn observe_clock(tx: &Transaction<'_>, remote: &Hlc) -> Result<()> {
    let local: Option<Vec<u8>> =
        tx.query_row("SELECT value FROM meta WHERE key = 'hlc'", [], |r| r.get(0)).optional()?;
    let local = local.map(|b| Hlc::decode(&String::from_utf8_lossy(&b))).transpose()?;
    if local
        .as_ref()
        .is_none_or(|l| l.wall_ms < remote.wall_ms || (l.wall_ms == remote.wall_ms && l.counter < remote.counter))
    {
        let mut adopted = remote.clone();
        adopted.writer = local.map(|l| l.writer).unwrap_or_default();
        tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('hlc', ?1)", [adopted.encode().into_bytes()])?;
    }
    Ok(())
}

/// Applies another device's new version: recorded (its keys checked against ours), its pages to
/// fetch, and current if its clock is the newest. Idempotent.
pub(crate) fn apply_remote_version(
    tx: &Transaction<'_>,
    dir: &std::path::Path,
    ark: &coffre_crypto::AccountRootKey,
    doc: &DocId,
    hlc: &Hlc,
    body: &OpBody,
) -> Result<Applied> {
    let OpBody::AddVersion { version, parent, origin, collection, key_generation, wrapped_doc_key, blobs } = body
    else {
        return Err(VaultError::InvalidInput("not a version op".into()));
    };
    let doc_collection: Option<String> =
        tx.query_row("SELECT collection FROM documents WHERE id = ?1", [doc.0], |r| r.get(0)).optional()?;
    let Some(doc_collection) = doc_collection else { return Ok(Applied::Unchanged) };
    if doc_collection != *collection {
        return Err(corrupt("a synced version names another collection than its document"));
    }
    let known: Option<String> = tx
        .query_row(
            "SELECT hlc FROM document_versions WHERE doc_id = ?1 AND version = ?2",
            params![doc.0, version],
            |r| r.get(0),
        )
        .optional()?;
    if known.is_some() {
        // Already recorded (a replay), or the 2^-32 clash of numbers described in the module docs.
        return Ok(Applied::Unchanged);
    }
    let collection = Collection::from_code(collection).ok_or_else(|| VaultError::InvalidInput("collection".into()))?;
    let wrapped_doc_key = hex::decode(wrapped_doc_key).map_err(|_| VaultError::InvalidInput("key".into()))?;
    // Refuse a version whose keys do not open with ours: it would be unreadable later.
    keys::current_collection_key(tx, ark, collection)?;
    let ck = keys::collection_key(tx, ark, collection, *key_generation)?;
    let doc_key = unwrap_key(&ck, &wrapped_doc_key, &doc_key_aad(doc, *version, collection, *key_generation))
        .map_err(|_| corrupt("document key in a synced version"))?;
    record_version(tx, doc, *version, Some(*parent), *key_generation, &wrapped_doc_key, *origin, hlc)?;
    record_synced_blobs(tx, dir, doc, *version, &doc_key, blobs, hlc.wall_ms)?;
    promote_if_newer(tx, doc, *version, hlc)?;
    Ok(Applied::Changed)
}

impl Vault {
    /// Queues an op that is not a document change (e.g. the sync layer's device certificates), in
    /// the same outbox and order as document ops. Returns its outbox id.
    pub fn queue_raw_op(&mut self, bytes: &[u8]) -> Result<i64> {
        self.conn.execute("INSERT INTO outbox (op, created_at) VALUES (?1, ?2)", params![bytes, now_ms()])?;
        Ok(self.conn.last_insert_rowid())
    }
}
