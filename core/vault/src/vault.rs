//! The [`Vault`]: one directory = `vault.json` (the ARK wrapped under the passphrase) + `vault.db`
//! (SQLCipher) + `blobs/` (encrypted files). One process writes at a time (`vault.lock`).

use crate::blobstore::{self, Durability, WriterWrap, blob_path};
use crate::category::{Category, Collection, category};
use crate::date::{self, now_ms};
use crate::db::{self, DB_FILE};
use crate::error::corrupt;
use crate::header::{HEADER_VERSION, Header};
use crate::keys::{self, doc_key_aad, page_key_aad};
use crate::model::*;
use crate::ops::Op;
use crate::pages::{PageSource, PageWriter, blob_error, open_blob};
use crate::rows::{apply_field_changes, queue, resolve_category, set_field_clock, tick};
use crate::sniff::FileKind;
use crate::{Result, VaultError};
use coffre_crypto::{
    AccountRootKey, BlobContext, KdfParams, SymmetricKey, decrypt_stream, decrypt_to_vec, unwrap_ark_with_passphrase,
    unwrap_key, wrap_ark_with_passphrase,
};
use rusqlite::{Connection, OptionalExtension, params};
use std::fs::{self, File};
use std::io::{BufReader, Cursor, Read, Write};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

const LOCK_FILE: &str = "vault.lock";

/// Tunable limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest file accepted by import (default 50 MB).
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_file_bytes: 50 * 1024 * 1024 }
    }
}

/// How to create a vault.
#[derive(Debug, Clone)]
pub struct CreateOptions {
    pub kdf: KdfParams,
    pub limits: Limits,
}

impl Default for CreateOptions {
    fn default() -> Self {
        CreateOptions { kdf: KdfParams::recommended(), limits: Limits::default() }
    }
}

/// An open, unlocked vault. Dropping it locks the vault again (keys are zeroized).
pub struct Vault {
    pub(crate) dir: PathBuf,
    pub(crate) conn: Connection,
    pub(crate) ark: AccountRootKey,
    header: Header,
    pub(crate) writer_id: String,
    pub(crate) limits: Limits,
    /// Test hook: wraps blob file writers (fault injection).
    pub(crate) blob_writer_wrap: Option<WriterWrap>,
    _lock: File,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").field("dir", &self.dir).field("vault_id", &self.header.vault_id).finish()
    }
}

fn take_lock(dir: &Path) -> Result<File> {
    let file = crate::fsutil::private_file_options().create(true).truncate(false).open(dir.join(LOCK_FILE))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(VaultError::Busy),
        Err(fs::TryLockError::Error(e)) => Err(e.into()),
    }
}

impl Vault {
    /// Creates a new vault in `dir` (created if needed; must not already hold a vault).
    pub fn create(dir: &Path, passphrase: &[u8], platform_secret: Option<&[u8; 32]>) -> Result<Vault> {
        Self::create_with(dir, passphrase, platform_secret, CreateOptions::default())
    }

    pub fn create_with(
        dir: &Path,
        passphrase: &[u8],
        platform_secret: Option<&[u8; 32]>,
        options: CreateOptions,
    ) -> Result<Vault> {
        Self::create_inner(dir, AccountRootKey::generate(), passphrase, platform_secret, options)
    }

    /// Creates this device's local vault for an existing account (device linking, recovery): same
    /// ARK, so the same collection keys and log key; a new local passphrase wrap and writer id.
    pub fn create_with_root_key(
        dir: &Path,
        ark: AccountRootKey,
        passphrase: &[u8],
        platform_secret: Option<&[u8; 32]>,
        options: CreateOptions,
    ) -> Result<Vault> {
        Self::create_inner(dir, ark, passphrase, platform_secret, options)
    }

    fn create_inner(
        dir: &Path,
        ark: AccountRootKey,
        passphrase: &[u8],
        platform_secret: Option<&[u8; 32]>,
        options: CreateOptions,
    ) -> Result<Vault> {
        if passphrase.is_empty() {
            return Err(VaultError::InvalidInput("the passphrase is empty".into()));
        }
        crate::fsutil::create_private_dir_all(dir)?;
        let lock = take_lock(dir)?;
        match Header::read(dir) {
            Ok(_) => return Err(VaultError::AlreadyExists),
            Err(VaultError::NoVault) => {}
            Err(VaultError::Corrupt { .. }) | Err(VaultError::TooNew { .. }) => return Err(VaultError::AlreadyExists),
            Err(e) => return Err(e),
        }
        // A database without a header is the remains of an interrupted creation: its key was never
        // written anywhere, so it is unreadable. Move it aside rather than delete it.
        let db_path = dir.join(DB_FILE);
        if db_path.exists() {
            let aside = dir.join(format!("{DB_FILE}.abandoned-{}", now_ms()));
            fs::rename(&db_path, aside)?;
            for suffix in ["-wal", "-shm"] {
                let _ = fs::remove_file(dir.join(format!("{DB_FILE}{suffix}")));
            }
        }
        // The vault id is the same on every device of the account, and reveals nothing of the ARK.
        let vault_id = hex::encode(&ark.derive_subkey("vault/id").as_bytes()[..16]);
        let wrap = wrap_ark_with_passphrase(&ark, passphrase, platform_secret, &options.kdf)?;
        let header = Header {
            format: HEADER_VERSION,
            vault_id: vault_id.clone(),
            uses_platform_secret: platform_secret.is_some(),
            ark_wrap: hex::encode(wrap),
            created_at: now_ms(),
            unlock_attempts: Default::default(),
        };
        let conn = db::open(dir, &ark, &vault_id, true)?;
        let writer_id = hex::encode(coffre_crypto::random_bytes::<8>());
        conn.execute("INSERT INTO meta (key, value) VALUES ('writer_id', ?1)", [writer_id.as_bytes()])?;
        crate::fsutil::create_private_dir_all(&dir.join(blobstore::BLOB_DIR))?;
        // The header goes last: until it exists, there is no vault here.
        header.write(dir)?;
        Ok(Vault {
            dir: dir.to_path_buf(),
            conn,
            ark,
            header,
            writer_id,
            limits: options.limits,
            blob_writer_wrap: None,
            _lock: lock,
        })
    }

    /// Unlocks the vault in `dir` with the PIN/passphrase (and the platform secret if it was set up with one).
    /// Wrong passphrases are counted in the header: past [`crate::FREE_ATTEMPTS`] in a row, each try
    /// must wait longer ([`VaultError::TooManyAttempts`], nothing tried); the right one resets the count.
    pub fn open(dir: &Path, passphrase: &[u8], platform_secret: Option<&[u8; 32]>) -> Result<Vault> {
        Header::read(dir)?;
        let lock = take_lock(dir)?;
        // Read again under the lock: two processes cannot both see the same count.
        let mut header = Header::read(dir)?;
        let wait_secs = header.unlock_attempts.wait_secs(now_ms());
        if wait_secs > 0 {
            return Err(VaultError::TooManyAttempts { failed: header.unlock_attempts.failed, wait_secs });
        }
        let ark = match unwrap_ark_with_passphrase(&header.ark_wrap_bytes()?, passphrase, platform_secret) {
            Ok(ark) => ark,
            Err(coffre_crypto::CryptoError::WrongPassphrase) => {
                let failed = header.unlock_attempts.failed.saturating_add(1);
                header.unlock_attempts = crate::UnlockAttempts { failed, last_failed_at: now_ms() };
                header.write(dir)?;
                return Err(VaultError::WrongPassphrase);
            }
            Err(e) => return Err(e.into()),
        };
        if !header.unlock_attempts.is_zero() {
            header.unlock_attempts = Default::default();
            header.write(dir)?;
        }
        Self::finish_open(dir, header, ark, lock)
    }

    /// The wrong passphrases counted for the vault in `dir` (no passphrase needed): for the app to say
    /// how many tries were wrong, how long to wait, and to offer the recovery kit.
    pub fn unlock_attempts(dir: &Path) -> Result<crate::UnlockAttempts> {
        Ok(Header::read(dir)?.unlock_attempts)
    }

    /// Opens with the Account Root Key itself (after recovery or device linking, and in tests).
    pub fn open_with_root_key(dir: &Path, ark: AccountRootKey) -> Result<Vault> {
        let header = Header::read(dir)?;
        let lock = take_lock(dir)?;
        Self::finish_open(dir, header, ark, lock)
    }

    fn finish_open(dir: &Path, header: Header, ark: AccountRootKey, lock: File) -> Result<Vault> {
        let conn = db::open(dir, &ark, &header.vault_id, false)?;
        let writer_id: Vec<u8> = conn
            .query_row("SELECT value FROM meta WHERE key = 'writer_id'", [], |r| r.get(0))
            .optional()?
            .ok_or_else(|| corrupt("writer id"))?;
        let writer_id = String::from_utf8(writer_id).map_err(|_| corrupt("writer id"))?;
        // We hold the writer lock: temp files are leftovers of an interrupted write.
        blobstore::clear_temp(dir)?;
        Ok(Vault {
            dir: dir.to_path_buf(),
            conn,
            ark,
            header,
            writer_id,
            limits: Limits::default(),
            blob_writer_wrap: None,
            _lock: lock,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn vault_id(&self) -> &str {
        &self.header.vault_id
    }

    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Test hook (feature `test-hooks`): wraps every blob file writer, e.g. to simulate a full disk.
    #[cfg(feature = "test-hooks")]
    pub fn set_blob_writer_wrap_for_tests(&mut self, wrap: Option<WriterWrap>) {
        self.blob_writer_wrap = wrap;
    }

    /// Writes page files into this vault, under its size limit.
    pub(crate) fn page_writer(&self) -> PageWriter<'_> {
        PageWriter {
            dir: &self.dir,
            wrap: self.blob_writer_wrap,
            max_file_bytes: self.limits.max_file_bytes,
            durability: Durability::Now,
        }
    }

    /// The Account Root Key, for the sync, sharing and recovery layers.
    pub fn root_key(&self) -> &AccountRootKey {
        &self.ark
    }

    /// The raw SQLCipher key (hex), for an operator's last resort with the `sqlcipher` tool.
    pub fn sqlcipher_key_hex(&self) -> Zeroizing<String> {
        db::raw_key_hex(&self.ark)
    }

    /// Re-wraps the ARK under a new passphrase; documents are not re-encrypted.
    pub fn change_passphrase(&mut self, new_passphrase: &[u8], platform_secret: Option<&[u8; 32]>) -> Result<()> {
        self.change_passphrase_with(new_passphrase, platform_secret, &KdfParams::recommended())
    }

    pub fn change_passphrase_with(
        &mut self,
        new_passphrase: &[u8],
        platform_secret: Option<&[u8; 32]>,
        kdf: &KdfParams,
    ) -> Result<()> {
        if new_passphrase.is_empty() {
            return Err(VaultError::InvalidInput("the passphrase is empty".into()));
        }
        let wrap = wrap_ark_with_passphrase(&self.ark, new_passphrase, platform_secret, kdf)?;
        let mut header = self.header.clone();
        header.ark_wrap = hex::encode(wrap);
        header.uses_platform_secret = platform_secret.is_some();
        header.write(&self.dir)?;
        self.header = header;
        Ok(())
    }

    // ----- adding documents -----

    /// Adds a document from pages already in memory (e.g. the capture pipeline's output).
    pub fn add_document(&mut self, meta: NewDocument, origin: Origin, pages: Vec<PageInput>) -> Result<DocId> {
        if !pages.iter().any(|p| p.role == PageRole::Page) {
            return Err(VaultError::InvalidInput("a document needs at least one page".into()));
        }
        for p in &pages {
            if p.bytes.len() as u64 > self.limits.max_file_bytes {
                return Err(VaultError::TooLarge { size: p.bytes.len() as u64, limit: self.limits.max_file_bytes });
            }
        }
        let sources = pages
            .into_iter()
            .map(|p| {
                let kind = FileKind::from_mime(&p.mime);
                PageSource { reader: Box::new(Cursor::new(p.bytes)), mime: kind.mime(), role: p.role }
            })
            .collect();
        self.store_new(meta, origin, sources)
    }

    /// Imports a file from disk, streaming (never whole in memory). Its type is sniffed from its
    /// content; a name that claims another type (a text file named `.jpg`) is refused. Many files:
    /// [`Vault::import_files`].
    pub fn import_file(&mut self, path: &Path, meta: NewDocument) -> Result<DocId> {
        let doc = self.prepare_file(path, meta, Durability::Now)?;
        self.commit_new(std::slice::from_ref(&doc))?;
        Ok(doc.id())
    }

    /// Imports from any reader; `name` is only used to catch content that contradicts it.
    pub fn import_reader<R: Read>(&mut self, reader: R, name: &str, meta: NewDocument) -> Result<DocId> {
        let doc = self.prepare_reader(reader, name, meta, Durability::Now)?;
        self.commit_new(std::slice::from_ref(&doc))?;
        Ok(doc.id())
    }

    fn store_new(&mut self, meta: NewDocument, origin: Origin, sources: Vec<PageSource<'_>>) -> Result<DocId> {
        let doc = self.prepare_new(meta, origin, sources, Durability::Now)?;
        self.commit_new(std::slice::from_ref(&doc))?;
        Ok(doc.id())
    }
}

impl Vault {
    // ----- reading -----

    /// One live document.
    pub fn get(&self, id: &DocId) -> Result<Document> {
        let sql = format!("{DOC_SELECT} WHERE d.id = ?1 AND d.deleted_at IS NULL");
        self.conn.query_row(&sql, [id.0], row_to_document).optional()?.ok_or(VaultError::NotFound("document"))?
    }

    /// Live documents, newest change first.
    pub fn list(&self, query: &ListQuery) -> Result<Vec<Document>> {
        let mut sql = String::from("SELECT d.rowid FROM documents d WHERE d.deleted_at IS NULL");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(c) = &query.category {
            args.push(c.clone().into());
            sql.push_str(&format!(" AND d.category = ?{}", args.len()));
        }
        if let Some(c) = &query.collection {
            args.push(c.clone().into());
            sql.push_str(&format!(" AND d.collection = ?{}", args.len()));
        }
        if let Some(t) = &query.tag {
            args.push(t.to_lowercase().into());
            sql.push_str(&format!(" AND d.id IN (SELECT doc_id FROM tags WHERE tag = ?{})", args.len()));
        }
        if query.pinned_only {
            sql.push_str(" AND d.pinned = 1");
        }
        sql.push_str(" ORDER BY d.modified_at DESC, d.rowid DESC");
        push_limit(&mut sql, query.limit, query.offset);
        self.collect(&sql, rusqlite::params_from_iter(args))
    }

    /// Full-text search over title, tags, notes and category (accents and case ignored, prefixes
    /// match: "carte vit" finds "Carte Vitale").
    pub fn search(&self, text: &str, limit: Option<u32>) -> Result<Vec<Document>> {
        let Some(fts) = fts_query(text) else {
            return self.list(&ListQuery { limit, ..Default::default() });
        };
        let mut sql = String::from(
            "SELECT d.rowid FROM documents d
             JOIN (SELECT rowid AS hit, rank FROM documents_fts WHERE documents_fts MATCH ?1) f
             ON f.hit = d.rowid WHERE d.deleted_at IS NULL ORDER BY f.rank, d.modified_at DESC",
        );
        push_limit(&mut sql, limit, None);
        self.collect(&sql, [fts])
    }

    /// Runs `sql`, which selects document rowids in order, then loads each document. Two phases
    /// because SQLite computes every result column (tags, pages) before sorting: filtering and
    /// sorting on rowids alone keeps queries over 10,000 documents in the millisecond range.
    fn collect(&self, sql: &str, args: impl rusqlite::Params) -> Result<Vec<Document>> {
        let rowids: Vec<i64> = {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let rows = stmt.query_map(args, |r| r.get(0))?;
            rows.collect::<std::result::Result<_, _>>()?
        };
        let mut by_rowid = self.conn.prepare_cached(&format!("{DOC_SELECT} WHERE d.rowid = ?1"))?;
        let mut out = Vec::with_capacity(rowids.len());
        for rowid in rowids {
            out.push(by_rowid.query_row([rowid], row_to_document)??);
        }
        Ok(out)
    }

    /// The bytes of one page (`index` counts pages from 0), all-or-nothing: a damaged blob yields
    /// `Corrupt` and no plaintext.
    pub fn page_bytes(&self, id: &DocId, index: u32) -> Result<Zeroizing<Vec<u8>>> {
        self.blob_bytes(id, PageRole::Page, index)
    }

    /// The thumbnail, if the document has one.
    pub fn thumbnail(&self, id: &DocId) -> Result<Zeroizing<Vec<u8>>> {
        self.blob_bytes(id, PageRole::Thumbnail, 0)
    }

    fn blob_bytes(&self, id: &DocId, role: PageRole, index: u32) -> Result<Zeroizing<Vec<u8>>> {
        let (key, ctx, path) = self.blob_access(id, role, index)?;
        let file = open_blob(&path)?;
        decrypt_to_vec(&key, &ctx, BufReader::with_capacity(256 * 1024, file)).map_err(blob_error)
    }

    /// Streams one page to `out`; on error, what was written must be discarded (use a temp file).
    pub fn write_page_to(&self, id: &DocId, index: u32, out: impl Write) -> Result<u64> {
        let (key, ctx, path) = self.blob_access(id, PageRole::Page, index)?;
        let file = open_blob(&path)?;
        let stats = decrypt_stream(&key, &ctx, BufReader::with_capacity(256 * 1024, file), out).map_err(blob_error)?;
        Ok(stats.plaintext_len)
    }

    /// Writes page `index` to `dest` atomically (nothing appears at `dest` unless the page verified).
    pub fn save_page(&self, id: &DocId, index: u32, dest: &Path) -> Result<u64> {
        let tmp = crate::fsutil::temp_sibling(dest);
        let result = (|| {
            let mut f = crate::fsutil::private_file_options().create_new(true).open(&tmp)?;
            let n = self.write_page_to(id, index, &mut f)?;
            f.sync_all()?;
            fs::rename(&tmp, dest)?;
            Ok(n)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// The mime type of a page.
    pub fn page_mime(&self, id: &DocId, index: u32) -> Result<String> {
        let doc = self.get(id)?;
        doc.pages
            .iter()
            .find(|p| p.role == PageRole::Page && p.index == index)
            .map(|p| p.mime.clone())
            .ok_or(VaultError::NotFound("page"))
    }

    fn blob_access(&self, id: &DocId, role: PageRole, index: u32) -> Result<(SymmetricKey, BlobContext, PathBuf)> {
        let row = self
            .conn
            .query_row(
                "SELECT b.id, b.wrapped_key, d.version, d.collection, d.key_generation, d.wrapped_doc_key, b.local
                 FROM blobs b JOIN documents d ON d.id = b.doc_id AND d.version = b.doc_version
                 WHERE b.doc_id = ?1 AND b.role = ?2 AND b.page_index = ?3 AND d.deleted_at IS NULL",
                params![id.0, role.code(), index],
                |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, u32>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, u32>(4)?,
                        r.get::<_, Vec<u8>>(5)?,
                        r.get::<_, bool>(6)?,
                    ))
                },
            )
            .optional()?
            .ok_or(VaultError::NotFound("page"))?;
        let (blob_id, wrapped_page_key, version, collection, generation, wrapped_doc_key, local) = row;
        if !local {
            return Err(VaultError::NotDownloaded);
        }
        let blob_id: [u8; 16] = blob_id.try_into().map_err(|_| corrupt("blob id"))?;
        let collection = Collection::from_code(&collection).ok_or_else(|| corrupt("collection"))?;
        let doc_key = self.doc_key(id, version, collection, generation, &wrapped_doc_key)?;
        let page_key = unwrap_key(&doc_key, &wrapped_page_key, &page_key_aad(&blob_id, id, version, role, index))
            .map_err(|_| corrupt("page key"))?;
        Ok((page_key, BlobContext { doc_id: id.0, version }, blob_path(&self.dir, &blob_id)))
    }

    fn doc_key(
        &self,
        id: &DocId,
        version: u32,
        collection: Collection,
        generation: u32,
        wrapped: &[u8],
    ) -> Result<SymmetricKey> {
        let ck = keys::collection_key(&self.conn, &self.ark, collection, generation)?;
        unwrap_key(&ck, wrapped, &doc_key_aad(id, version, collection, generation)).map_err(|_| corrupt("document key"))
    }

    // ----- changing -----

    /// Changes metadata fields; each changed field gets a new clock value and an outbox op.
    pub fn update_metadata(&mut self, id: &DocId, patch: MetadataPatch) -> Result<Document> {
        let current = self.get(id)?;
        let mut changes = crate::ops::FieldChanges::default();
        if let Some(c) = &patch.category {
            let cat = resolve_category(c)?;
            if cat.code != current.category {
                changes.category = Some(cat.code.to_string());
            }
        }
        if let Some(t) = &patch.title {
            let cat = resolve_category(changes.category.as_deref().unwrap_or(&current.category))?;
            let t = clean_title(t, cat);
            if t != current.title {
                changes.title = Some(t);
            }
        }
        if let Some(tags) = &patch.tags {
            let tags = clean_tags(tags);
            if tags != current.tags {
                changes.tags = Some(tags);
            }
        }
        if let Some(d) = &patch.issued_on {
            let d = date::normalise(d.as_deref())?;
            if d != current.issued_on {
                changes.issued_on = Some(d);
            }
        }
        if let Some(d) = &patch.expires_on {
            let d = date::normalise(d.as_deref())?;
            if d != current.expires_on {
                changes.expires_on = Some(d);
            }
        }
        if let Some(n) = &patch.notes
            && *n != current.notes
        {
            changes.notes = Some(n.clone());
        }
        if changes.is_empty() {
            return Ok(current);
        }
        let tx = self.conn.transaction()?;
        let hlc = tick(&tx, &self.writer_id)?;
        apply_field_changes(&tx, id, &changes, hlc.wall_ms)?;
        for field in changes.fields() {
            set_field_clock(&tx, id, field, &hlc)?;
        }
        queue(&tx, &Op::set(id, &hlc, changes))?;
        tx.commit()?;
        self.get(id)
    }

    /// Pins or unpins a document for the desk mode.
    pub fn set_pinned(&mut self, id: &DocId, pinned: bool) -> Result<()> {
        self.get(id)?;
        let tx = self.conn.transaction()?;
        let hlc = tick(&tx, &self.writer_id)?;
        tx.execute("UPDATE documents SET pinned = ?2 WHERE id = ?1", params![id.0, pinned])?;
        set_field_clock(&tx, id, "pinned", &hlc)?;
        queue(&tx, &Op::pin(id, &hlc, pinned))?;
        tx.commit()?;
        Ok(())
    }

    /// Deletes a document (a tombstone: it disappears from lists; its files stay until purged).
    pub fn delete(&mut self, id: &DocId) -> Result<()> {
        self.get(id)?;
        let tx = self.conn.transaction()?;
        let hlc = tick(&tx, &self.writer_id)?;
        tx.execute(
            "UPDATE documents SET deleted_at = ?2, modified_at = max(modified_at, ?2), pinned = 0 WHERE id = ?1",
            params![id.0, hlc.wall_ms],
        )?;
        tx.execute("DELETE FROM documents_fts WHERE rowid = (SELECT rowid FROM documents WHERE id = ?1)", [id.0])?;
        set_field_clock(&tx, id, "deleted", &hlc)?;
        queue(&tx, &Op::delete(id, &hlc))?;
        tx.commit()?;
        Ok(())
    }

    // ----- desk mode, expiry -----

    /// Pinned documents, identity documents first.
    pub fn pinned(&self) -> Result<Vec<Document>> {
        let mut docs = self.list(&ListQuery { pinned_only: true, ..Default::default() })?;
        docs.sort_by_key(|d| !category(&d.category).is_some_and(|c| c.is_identity));
        Ok(docs)
    }

    /// The first page of the first pinned document: what the desk mode shows right after unlock.
    pub fn first_pinned_page(&self) -> Result<Option<(Document, Zeroizing<Vec<u8>>)>> {
        let sql = "SELECT d.rowid FROM documents d WHERE d.deleted_at IS NULL AND d.pinned = 1
             ORDER BY d.collection = 'identity' DESC, d.modified_at DESC LIMIT 1";
        let doc = self.collect(sql, [])?.into_iter().next();
        match doc {
            Some(doc) => {
                let bytes = self.page_bytes(&doc.id, 0)?;
                Ok(Some((doc, bytes)))
            }
            None => Ok(None),
        }
    }

    /// Documents whose expiry date falls within `days` from today (already expired ones included).
    pub fn expiring_within(&self, days: u32) -> Result<Vec<Expiring>> {
        let today = date::today();
        let horizon = today + time::Duration::days(days as i64);
        let sql = "SELECT d.rowid FROM documents d
             WHERE d.deleted_at IS NULL AND d.expires_on IS NOT NULL AND d.expires_on <= ?1 ORDER BY d.expires_on";
        let docs = self.collect(sql, [date::format(horizon)])?;
        docs.into_iter()
            .map(|document| {
                let exp = date::parse(document.expires_on.as_deref().unwrap_or_default())?;
                Ok(Expiring { days_left: (exp - today).whole_days(), document })
            })
            .collect()
    }

    // ----- integrity -----

    /// Re-hashes every blob file against the hash recorded when it was written, and checks the
    /// database. Reports damaged documents by title; changes nothing.
    pub fn verify(&self) -> Result<VerifyReport> {
        let database_ok: bool = self
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0))
            .map(|s| s == "ok")
            .unwrap_or(false);
        let mut stmt = self.conn.prepare(
            "SELECT b.id, b.doc_id, d.title, b.page_index, b.role, b.cipher_sha256, b.cipher_len
             FROM blobs b JOIN documents d ON d.id = b.doc_id WHERE b.local = 1 ORDER BY d.rowid, b.role, b.page_index",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, u32>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Vec<u8>>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })?;
        let mut report = VerifyReport {
            documents: self
                .conn
                .query_row("SELECT count(*) FROM documents WHERE deleted_at IS NULL", [], |r| r.get::<_, i64>(0))?
                as u64,
            blobs_checked: 0,
            bytes_checked: 0,
            database_ok,
            damaged: Vec::new(),
            orphans: 0,
        };
        let mut known = std::collections::HashSet::new();
        for row in rows {
            let (blob_id, doc_id, title, page_index, role, expected, cipher_len) = row?;
            let blob_id: [u8; 16] = blob_id.try_into().map_err(|_| corrupt("blob id"))?;
            let doc_id = DocId(doc_id.try_into().map_err(|_| corrupt("document id"))?);
            let role = PageRole::from_code(&role).ok_or_else(|| corrupt("blob role"))?;
            known.insert(blob_id);
            report.blobs_checked += 1;
            let problem = match blobstore::hash_file(&blob_path(&self.dir, &blob_id)) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(DamageKind::Missing),
                Err(e) => return Err(e.into()),
                Ok((hash, len)) => {
                    report.bytes_checked += len;
                    (hash.as_slice() != expected.as_slice() || len as i64 != cipher_len).then_some(DamageKind::Altered)
                }
            };
            if let Some(problem) = problem {
                report.damaged.push(Damage { doc_id, title, page_index, role, problem });
            }
        }
        report.orphans = blobstore::list_blob_ids(&self.dir)?.iter().filter(|id| !known.contains(*id)).count() as u64;
        Ok(report)
    }

    /// Removes blob files that no document refers to (left by interrupted imports). Returns the count.
    pub fn collect_garbage(&mut self) -> Result<u64> {
        let mut known = std::collections::HashSet::new();
        let mut stmt = self.conn.prepare("SELECT id FROM blobs")?;
        for id in stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))? {
            if let Ok(id) = <[u8; 16]>::try_from(id?) {
                known.insert(id);
            }
        }
        let mut removed = 0;
        for id in blobstore::list_blob_ids(&self.dir)? {
            if !known.contains(&id) {
                fs::remove_file(blob_path(&self.dir, &id))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    // ----- outbox (read by the sync client) -----

    /// Pending outbox ops, oldest first: `(id, op JSON)`.
    pub fn outbox(&self, limit: u32) -> Result<Vec<(i64, Vec<u8>)>> {
        let mut stmt = self.conn.prepare_cached("SELECT id, op FROM outbox ORDER BY id LIMIT ?1")?;
        let rows = stmt.query_map([limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Removes ops the server has acknowledged.
    pub fn outbox_ack(&mut self, up_to_id: i64) -> Result<()> {
        self.conn.execute("DELETE FROM outbox WHERE id <= ?1", [up_to_id])?;
        Ok(())
    }
}

/// Filters for [`Vault::list`].
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub category: Option<String>,
    pub collection: Option<String>,
    pub tag: Option<String>,
    pub pinned_only: bool,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

pub(crate) fn clean_title(title: &str, cat: &Category) -> String {
    let t = title.trim();
    if t.is_empty() { cat.label_fr.to_string() } else { t.chars().take(200).collect() }
}

pub(crate) fn clean_tags(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = tags
        .iter()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .map(|t| t.chars().take(60).collect())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn push_limit(sql: &mut String, limit: Option<u32>, offset: Option<u32>) {
    if let Some(l) = limit {
        sql.push_str(&format!(" LIMIT {l}"));
        if let Some(o) = offset {
            sql.push_str(&format!(" OFFSET {o}"));
        }
    }
}

/// Turns free text into an FTS5 query: every word must match as a prefix.
fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"*", w.to_lowercase()))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

const DOC_SELECT: &str = "SELECT d.id, d.category, d.collection, d.title, d.issued_on, d.expires_on, d.notes,
    d.origin, d.pinned, d.version, d.created_at, d.modified_at,
    (SELECT group_concat(tag, char(31)) FROM (SELECT tag FROM tags WHERE doc_id = d.id ORDER BY tag)),
    (SELECT group_concat(role || char(31) || page_index || char(31) || mime || char(31) || plain_len, char(30))
       FROM (SELECT role, page_index, mime, plain_len FROM blobs
             WHERE doc_id = d.id AND doc_version = d.version ORDER BY role, page_index))
    FROM documents d";

fn row_to_document(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Document>> {
    let id: Vec<u8> = r.get(0)?;
    let category_code: String = r.get(1)?;
    let tags: Option<String> = r.get(12)?;
    let pages: Option<String> = r.get(13)?;
    let origin: String = r.get(7)?;
    let built = (|| -> Result<Document> {
        let id = DocId(id.try_into().map_err(|_| corrupt("document id"))?);
        let cat = category(&category_code);
        let pages = pages
            .unwrap_or_default()
            .split('\u{1e}')
            .filter(|s| !s.is_empty())
            .map(|p| {
                let f: Vec<&str> = p.split('\u{1f}').collect();
                match f.as_slice() {
                    [role, index, mime, len] => Ok(PageInfo {
                        role: PageRole::from_code(role).ok_or_else(|| corrupt("page role"))?,
                        index: index.parse().map_err(|_| corrupt("page index"))?,
                        mime: mime.to_string(),
                        size: len.parse().map_err(|_| corrupt("page size"))?,
                    }),
                    _ => Err(corrupt("page list")),
                }
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Document {
            id,
            category_label: cat.map(|c| c.label_fr).unwrap_or("Autre").to_string(),
            category: category_code.clone(),
            collection: r.get(2)?,
            title: r.get(3)?,
            issued_on: r.get(4)?,
            expires_on: r.get(5)?,
            notes: r.get(6)?,
            origin: Origin::from_code(&origin).ok_or_else(|| corrupt("origin"))?,
            pinned: r.get(8)?,
            version: r.get(9)?,
            created_at: r.get(10)?,
            modified_at: r.get(11)?,
            tags: tags.unwrap_or_default().split('\u{1f}').filter(|s| !s.is_empty()).map(str::to_string).collect(),
            pages,
        })
    })();
    Ok(built)
}
