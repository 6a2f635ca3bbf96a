//! Row-level writes shared by local edits, new versions and ops from other devices: the search
//! index, field changes and their clocks, version rows, the vault clock and the outbox. Each takes
//! the open transaction, so the caller decides what commits together.

use crate::category::{Category, category};
use crate::date::now_ms;
use crate::hlc::Hlc;
use crate::model::{DocId, Origin};
use crate::ops::{FieldChanges, Op};
use crate::{Result, VaultError};
use rusqlite::{OptionalExtension, Transaction, params};

pub(crate) fn resolve_category(code: &str) -> Result<&'static Category> {
    let code = if code.trim().is_empty() { "autre" } else { code.trim() };
    category(code).ok_or_else(|| VaultError::InvalidInput("unknown document category (see `coffre categories`)".into()))
}

/// Rebuilds the search entry of one document.
pub(crate) fn reindex(tx: &Transaction<'_>, id: &DocId) -> Result<()> {
    let (rowid, title, notes, cat): (i64, String, String, String) =
        tx.query_row("SELECT rowid, title, notes, category FROM documents WHERE id = ?1", [id.0], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
    let tags: String =
        tx.query_row("SELECT coalesce(group_concat(tag, ' '), '') FROM tags WHERE doc_id = ?1", [id.0], |r| r.get(0))?;
    let cat_text = category(&cat).map(|c| format!("{} {}", c.label_fr, c.label_en)).unwrap_or_default();
    tx.execute("DELETE FROM documents_fts WHERE rowid = ?1", [rowid])?;
    tx.execute(
        "INSERT INTO documents_fts (rowid, title, tags, notes, category) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![rowid, title, tags, notes, cat_text],
    )?;
    Ok(())
}

/// `at` is the wall time of the op's clock: every device then shows the same "modified" date and
/// sorts the same way (a receiving device's own clock would differ); `max` makes it order-independent.
pub(crate) fn apply_field_changes(tx: &Transaction<'_>, id: &DocId, c: &FieldChanges, at: i64) -> Result<()> {
    if let Some(code) = &c.category {
        let cat = resolve_category(code)?;
        // The document key stays wrapped under its original collection; the category label moves.
        tx.execute("UPDATE documents SET category = ?2 WHERE id = ?1", params![id.0, cat.code])?;
    }
    if let Some(t) = &c.title {
        tx.execute("UPDATE documents SET title = ?2 WHERE id = ?1", params![id.0, t])?;
    }
    if let Some(d) = &c.issued_on {
        tx.execute("UPDATE documents SET issued_on = ?2 WHERE id = ?1", params![id.0, d])?;
    }
    if let Some(d) = &c.expires_on {
        tx.execute("UPDATE documents SET expires_on = ?2 WHERE id = ?1", params![id.0, d])?;
    }
    if let Some(n) = &c.notes {
        tx.execute("UPDATE documents SET notes = ?2 WHERE id = ?1", params![id.0, n])?;
    }
    if let Some(tags) = &c.tags {
        tx.execute("DELETE FROM tags WHERE doc_id = ?1", [id.0])?;
        for t in tags {
            tx.execute("INSERT INTO tags (doc_id, tag) VALUES (?1, ?2)", params![id.0, t])?;
        }
    }
    tx.execute("UPDATE documents SET modified_at = max(modified_at, ?2) WHERE id = ?1", params![id.0, at])?;
    reindex(tx, id)
}

pub(crate) fn set_field_clock(tx: &Transaction<'_>, id: &DocId, field: &str, hlc: &Hlc) -> Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO field_clock (doc_id, field, hlc) VALUES (?1, ?2, ?3)",
        params![id.0, field, hlc.encode()],
    )?;
    Ok(())
}

pub(crate) fn queue(tx: &Transaction<'_>, op: &Op) -> Result<()> {
    let bytes = serde_json::to_vec(op).map_err(|_| VaultError::InvalidInput("op serialisation".into()))?;
    tx.execute("INSERT INTO outbox (op, created_at) VALUES (?1, ?2)", params![bytes, now_ms()])?;
    Ok(())
}

/// Advances the vault's hybrid logical clock inside `tx`.
pub(crate) fn tick(tx: &Transaction<'_>, writer_id: &str) -> Result<Hlc> {
    let last: Option<Vec<u8>> =
        tx.query_row("SELECT value FROM meta WHERE key = 'hlc'", [], |r| r.get(0)).optional()?;
    let last = match last {
        Some(b) => Some(Hlc::decode(&String::from_utf8_lossy(&b))?),
        None => None,
    };
    let hlc = Hlc::tick(last.as_ref(), now_ms(), writer_id);
    tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('hlc', ?1)", [hlc.encode().into_bytes()])?;
    Ok(hlc)
}

/// Records a version row (every version has one, the first included).
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_version(
    tx: &Transaction<'_>,
    doc: &DocId,
    version: u32,
    parent: Option<u32>,
    key_generation: u32,
    wrapped_doc_key: &[u8],
    origin: Origin,
    hlc: &Hlc,
) -> Result<()> {
    tx.execute(
        "INSERT INTO document_versions (doc_id, version, parent, key_generation, wrapped_doc_key, origin, hlc,
            created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![doc.0, version, parent, key_generation, wrapped_doc_key, origin.code(), hlc.encode(), hlc.wall_ms],
    )?;
    Ok(())
}

/// Makes `version` the current one if its clock is newer than the current version's.
pub(crate) fn promote_if_newer(tx: &Transaction<'_>, doc: &DocId, version: u32, hlc: &Hlc) -> Result<bool> {
    let current: Option<String> = tx
        .query_row(
            "SELECT v.hlc FROM documents d JOIN document_versions v ON v.doc_id = d.id AND v.version = d.version
             WHERE d.id = ?1",
            [doc.0],
            |r| r.get(0),
        )
        .optional()?;
    // The clock encoding sorts as the clock does; the first version of an older vault has "".
    if current.is_some_and(|c| c.as_str() >= hlc.encode().as_str()) {
        return Ok(false);
    }
    tx.execute(
        "UPDATE documents SET version = v.version, key_generation = v.key_generation,
            wrapped_doc_key = v.wrapped_doc_key, modified_at = max(documents.modified_at, ?3)
         FROM (SELECT version, key_generation, wrapped_doc_key FROM document_versions
               WHERE doc_id = ?1 AND version = ?2) AS v
         WHERE documents.id = ?1",
        params![doc.0, version, hlc.wall_ms],
    )?;
    Ok(true)
}
