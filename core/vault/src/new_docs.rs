//! Adding new documents: one at a time (a capture, an import), or an import of many files as one
//! batch whose page files become durable together and whose rows go in one transaction — the same
//! crash guarantees (a committed row never points to a missing or partial file; a crash leaves only
//! orphan files that `verify` counts and `collect_garbage` removes), with a few journal commits per
//! batch instead of three fsyncs per document.

use crate::blobstore::{self, Durability};
use crate::category::Category;
use crate::date;
use crate::keys::{self, doc_key_aad};
use crate::model::{DocId, NewDocument, Origin, PageRole};
use crate::ops::{FIELDS, FieldChanges, Op, OpBody};
use crate::pages::{LimitedReader, PageSource, PageWriter, WrittenPage, blob_refs, insert_pages, remove_pages};
use crate::rows::{queue, record_version, reindex, resolve_category, set_field_clock, tick};
use crate::sniff::{FileKind, SNIFF_LEN, sniff};
use crate::vault::{Vault, clean_tags, clean_title};
use crate::{Result, VaultError};
use coffre_crypto::{SymmetricKey, wrap_key};
use rusqlite::{Transaction, params};
use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

/// How many files an import makes durable and commits together: large enough that the file system
/// commits its journal a few times per hundred documents, small enough that a crash loses little
/// work and the pending rows stay small in memory.
pub const IMPORT_BATCH: usize = 128;

/// A new document whose page files are written, waiting for its rows.
pub(crate) struct PreparedDoc {
    id: DocId,
    cat: &'static Category,
    title: String,
    tags: Vec<String>,
    issued_on: Option<String>,
    expires_on: Option<String>,
    notes: String,
    origin: Origin,
    generation: u32,
    wrapped_doc_key: Vec<u8>,
    pages: Vec<WrittenPage>,
}

impl PreparedDoc {
    pub(crate) fn id(&self) -> DocId {
        self.id
    }
}

/// What an import of many files did: `added` are committed; `failed` names the first file that
/// could not be added (by its index) and why — the files after it were not tried.
#[derive(Debug)]
pub struct ImportOutcome {
    pub added: Vec<DocId>,
    pub failed: Option<(usize, VaultError)>,
}

impl Vault {
    fn page_writer_for(&self, durability: Durability) -> PageWriter<'_> {
        PageWriter { durability, ..self.page_writer() }
    }

    /// Writes the page files of a new document; nothing is recorded yet.
    pub(crate) fn prepare_new(
        &self,
        meta: NewDocument,
        origin: Origin,
        sources: Vec<PageSource<'_>>,
        durability: Durability,
    ) -> Result<PreparedDoc> {
        let cat = resolve_category(&meta.category)?;
        let issued_on = date::normalise(meta.issued_on.as_deref())?;
        let expires_on = date::normalise(meta.expires_on.as_deref())?;
        let id = DocId::random();
        let (collection_key, generation) = keys::current_collection_key(&self.conn, &self.ark, cat.collection)?;
        let doc_key = SymmetricKey::generate();
        let wrapped_doc_key = wrap_key(&collection_key, &doc_key, &doc_key_aad(&id, 1, cat.collection, generation));
        let pages = self.page_writer_for(durability).write(&id, 1, &doc_key, sources)?;
        Ok(PreparedDoc {
            id,
            cat,
            title: clean_title(&meta.title, cat),
            tags: clean_tags(&meta.tags),
            issued_on,
            expires_on,
            notes: meta.notes,
            origin,
            generation,
            wrapped_doc_key,
            pages,
        })
    }

    /// Records prepared documents in one transaction (their files already durable). On error
    /// nothing is recorded and their files are removed.
    pub(crate) fn commit_new(&mut self, docs: &[PreparedDoc]) -> Result<()> {
        let result = (|| -> Result<()> {
            let tx = self.conn.transaction()?;
            for doc in docs {
                insert_new(&tx, &self.writer_id, doc)?;
            }
            tx.commit()?;
            Ok(())
        })();
        if result.is_err() {
            for doc in docs {
                remove_pages(&doc.pages);
            }
        }
        result
    }

    /// Opens a file, sniffs its type and writes its page file; nothing is recorded yet.
    pub(crate) fn prepare_file(
        &self,
        path: &Path,
        mut meta: NewDocument,
        durability: Durability,
    ) -> Result<PreparedDoc> {
        let file = File::open(path)?;
        let size = file.metadata()?.len();
        if size > self.limits.max_file_bytes {
            return Err(VaultError::TooLarge { size, limit: self.limits.max_file_bytes });
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if meta.title.trim().is_empty() {
            meta.title = path.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        }
        self.prepare_reader(BufReader::new(file), &name, meta, durability)
    }

    /// Sniffs a reader's type (refusing content that contradicts `name`) and writes its page file.
    pub(crate) fn prepare_reader<R: Read>(
        &self,
        mut reader: R,
        name: &str,
        meta: NewDocument,
        durability: Durability,
    ) -> Result<PreparedDoc> {
        let mut head = Vec::with_capacity(SNIFF_LEN);
        (&mut reader).take(SNIFF_LEN as u64).read_to_end(&mut head)?;
        let kind = sniff(&head);
        if let Some(claimed) = FileKind::claimed_by_name(name)
            && claimed != kind
        {
            return Err(VaultError::TypeMismatch { claimed: claimed.name(), detected: kind.name() });
        }
        if head.is_empty() {
            return Err(VaultError::InvalidInput("the file is empty".into()));
        }
        let limit = self.limits.max_file_bytes;
        let body = LimitedReader { inner: Cursor::new(head).chain(reader), read: 0, limit };
        let sources = vec![PageSource { reader: Box::new(body), mime: kind.mime(), role: PageRole::Page }];
        self.prepare_new(meta, Origin::Import, sources, durability)
    }

    /// Imports many files as one batch (see [`IMPORT_BATCH`] for the size callers use): each file's
    /// page is written, then all of them are made durable together and recorded in one
    /// transaction. Stops at the first file that cannot be read or is refused; the ones before it
    /// are added.
    pub fn import_files(&mut self, files: &[(PathBuf, NewDocument)]) -> ImportOutcome {
        let mut prepared = Vec::with_capacity(files.len());
        let mut failed = None;
        for (i, (path, meta)) in files.iter().enumerate() {
            match self.prepare_file(path, meta.clone(), Durability::WithBatch) {
                Ok(doc) => prepared.push(doc),
                Err(e) => {
                    failed = Some((i, e));
                    break;
                }
            }
        }
        let durable =
            blobstore::make_durable(prepared.iter_mut().flat_map(|d| d.pages.iter_mut().map(|p| &mut p.blob)));
        if let Err(e) = durable {
            for doc in &prepared {
                remove_pages(&doc.pages);
            }
            return ImportOutcome { added: Vec::new(), failed: Some((0, e)) };
        }
        match self.commit_new(&prepared) {
            Ok(()) => ImportOutcome { added: prepared.iter().map(|d| d.id).collect(), failed },
            Err(e) => ImportOutcome { added: Vec::new(), failed: Some((0, e)) },
        }
    }
}

/// The rows of one new document: document, first version, tags, pages, search index, field clocks
/// and its `create` op in the outbox. Its dates come from the op's clock (every device shows the
/// same ones).
fn insert_new(tx: &Transaction<'_>, writer_id: &str, doc: &PreparedDoc) -> Result<()> {
    let hlc = tick(tx, writer_id)?;
    let now = hlc.wall_ms;
    let version = 1u32;
    tx.execute(
        "INSERT INTO documents (id, category, collection, title, issued_on, expires_on, notes, origin,
            pinned, version, key_generation, wrapped_doc_key, created_at, modified_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?10, ?11, ?12, ?12)",
        params![
            doc.id.0,
            doc.cat.code,
            doc.cat.collection.code(),
            doc.title,
            doc.issued_on,
            doc.expires_on,
            doc.notes,
            doc.origin.code(),
            version,
            doc.generation,
            doc.wrapped_doc_key,
            now
        ],
    )?;
    for tag in &doc.tags {
        tx.execute("INSERT INTO tags (doc_id, tag) VALUES (?1, ?2)", params![doc.id.0, tag])?;
    }
    insert_pages(tx, &doc.id, version, &doc.pages, now)?;
    reindex(tx, &doc.id)?;
    for field in FIELDS {
        set_field_clock(tx, &doc.id, field, &hlc)?;
    }
    record_version(tx, &doc.id, version, None, doc.generation, &doc.wrapped_doc_key, doc.origin, &hlc)?;
    let fields = FieldChanges {
        category: Some(doc.cat.code.into()),
        title: Some(doc.title.clone()),
        tags: Some(doc.tags.clone()),
        issued_on: Some(doc.issued_on.clone()),
        expires_on: Some(doc.expires_on.clone()),
        notes: Some(doc.notes.clone()),
    };
    let body = OpBody::Create {
        fields,
        origin: doc.origin,
        version,
        collection: doc.cat.collection.code().into(),
        key_generation: doc.generation,
        wrapped_doc_key: hex::encode(&doc.wrapped_doc_key),
        blobs: blob_refs(&doc.pages),
    };
    queue(tx, &Op::create(&doc.id, &hlc, body))
}
