//! Numbered migrations of the vault database. Each runs in its own transaction and bumps
//! `PRAGMA user_version`, so a crash mid-upgrade leaves the previous version intact.
//! Never edit a released migration: add a new one (see `docs/NOTES-migrations.md`).

use crate::{Result, VaultError};
use rusqlite::Connection;

/// One step: the version it produces and the SQL that gets there from the version before.
struct Migration {
    version: u32,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
-- ARK wraps one key per collection and generation; rotation adds a generation (DESIGN.md §3).
CREATE TABLE collection_keys (
    collection TEXT NOT NULL,
    generation INTEGER NOT NULL,
    wrapped    BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (collection, generation)
);
CREATE TABLE documents (
    rowid          INTEGER PRIMARY KEY,
    id             BLOB NOT NULL UNIQUE,
    category       TEXT NOT NULL,
    collection     TEXT NOT NULL,
    title          TEXT NOT NULL,
    issued_on      TEXT,
    expires_on     TEXT,
    notes          TEXT NOT NULL DEFAULT '',
    origin         TEXT NOT NULL,
    pinned         INTEGER NOT NULL DEFAULT 0,
    version        INTEGER NOT NULL,
    key_generation INTEGER NOT NULL,
    wrapped_doc_key BLOB NOT NULL,
    created_at     INTEGER NOT NULL,
    modified_at    INTEGER NOT NULL,
    deleted_at     INTEGER
);
CREATE INDEX documents_live ON documents (deleted_at, modified_at);
CREATE INDEX documents_by_category ON documents (category, modified_at);
CREATE INDEX documents_expiry ON documents (expires_on) WHERE expires_on IS NOT NULL AND deleted_at IS NULL;
CREATE TABLE tags (
    doc_id BLOB NOT NULL REFERENCES documents (id),
    tag    TEXT NOT NULL,
    PRIMARY KEY (doc_id, tag)
) WITHOUT ROWID;
CREATE INDEX tags_by_tag ON tags (tag);
-- One encrypted file per page (or thumbnail) of a document version.
CREATE TABLE blobs (
    id            BLOB PRIMARY KEY,
    doc_id        BLOB NOT NULL REFERENCES documents (id),
    doc_version   INTEGER NOT NULL,
    role          TEXT NOT NULL,
    page_index    INTEGER NOT NULL,
    mime          TEXT NOT NULL,
    plain_len     INTEGER NOT NULL,
    cipher_len    INTEGER NOT NULL,
    cipher_sha256 BLOB NOT NULL,
    wrapped_key   BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    -- 0 while a blob known from another device's op has not been downloaded yet.
    local         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX blobs_by_doc ON blobs (doc_id, doc_version, role, page_index);
-- Every local change, queued in the transaction that makes it, for the sync client.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    op              BLOB NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0
);
-- Last-writer-wins clock per metadata field (hybrid logical clock, writer id as tie-break).
CREATE TABLE field_clock (
    doc_id BLOB NOT NULL,
    field  TEXT NOT NULL,
    hlc    TEXT NOT NULL,
    PRIMARY KEY (doc_id, field)
) WITHOUT ROWID;
"#,
    },
    Migration {
        version: 2,
        // Full-text search over title, tags, notes and category label; diacritics folded so that
        // "sejour" finds "séjour". The bundled SQLCipher is built with FTS5.
        sql: r#"
CREATE VIRTUAL TABLE documents_fts USING fts5 (
    title, tags, notes, category,
    tokenize = 'unicode61 remove_diacritics 2'
);
"#,
    },
    Migration {
        version: 3,
        // Every version of a document (see `versions.rs`); `documents` keeps showing the current one.
        // Existing documents get their one version, with an empty clock (older than any other).
        sql: r#"
CREATE TABLE document_versions (
    doc_id          BLOB NOT NULL REFERENCES documents (id),
    version         INTEGER NOT NULL,
    parent          INTEGER,
    key_generation  INTEGER NOT NULL,
    wrapped_doc_key BLOB NOT NULL,
    origin          TEXT NOT NULL,
    hlc             TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (doc_id, version)
) WITHOUT ROWID;
INSERT INTO document_versions (doc_id, version, parent, key_generation, wrapped_doc_key, origin, hlc, created_at)
    SELECT id, version, NULL, key_generation, wrapped_doc_key, origin, '', created_at FROM documents;
"#,
    },
];

/// The version a fully migrated database has.
pub const LATEST: u32 = 3;

pub fn user_version(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get::<_, u32>(0))?)
}

/// Brings the database to [`LATEST`], one transaction per step.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let current = user_version(conn)?;
    if current > LATEST {
        return Err(VaultError::TooNew { found: current, supported: LATEST });
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        let tx = conn.transaction()?;
        tx.execute_batch(m.sql)?;
        tx.pragma_update(None, "user_version", m.version)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_and_end_at_latest() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(LATEST));
    }

    #[test]
    fn migrates_from_every_older_version() -> Result<()> {
        for start in 0..LATEST {
            let mut conn = Connection::open_in_memory()?;
            for m in MIGRATIONS.iter().filter(|m| m.version <= start) {
                conn.execute_batch(m.sql)?;
                conn.pragma_update(None, "user_version", m.version)?;
            }
            migrate(&mut conn)?;
            assert_eq!(user_version(&conn)?, LATEST);
            // Migrating again is a no-op.
            migrate(&mut conn)?;
            assert_eq!(user_version(&conn)?, LATEST);
        }
        Ok(())
    }

    #[test]
    fn version_3_gives_every_existing_document_its_first_version() -> Result<()> {
        let mut conn = Connection::open_in_memory()?;
        for m in MIGRATIONS.iter().filter(|m| m.version <= 2) {
            conn.execute_batch(m.sql)?;
        }
        conn.pragma_update(None, "user_version", 2)?;
        conn.execute(
            "INSERT INTO documents (id, category, collection, title, origin, version, key_generation,
                wrapped_doc_key, created_at, modified_at)
             VALUES (x'01', 'autre', 'other', 't', 'import', 1, 1, x'aa', 5, 6)",
            [],
        )?;
        migrate(&mut conn)?;
        let row: (i64, Option<i64>, i64, Vec<u8>, String, String, i64) = conn.query_row(
            "SELECT version, parent, key_generation, wrapped_doc_key, origin, hlc, created_at FROM document_versions",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
        )?;
        assert_eq!(row, (1, None, 1, vec![0xaa], "import".into(), String::new(), 5));
        Ok(())
    }

    #[test]
    fn refuses_a_newer_database() -> Result<()> {
        let mut conn = Connection::open_in_memory()?;
        conn.pragma_update(None, "user_version", LATEST + 1)?;
        assert!(matches!(migrate(&mut conn), Err(VaultError::TooNew { .. })));
        Ok(())
    }

    #[test]
    fn a_failing_step_leaves_the_previous_version() -> Result<()> {
        let mut conn = Connection::open_in_memory()?;
        // Make step 2 fail: a table with its name already exists.
        conn.execute_batch(MIGRATIONS[0].sql)?;
        conn.pragma_update(None, "user_version", 1)?;
        conn.execute_batch("CREATE TABLE documents_fts (x)")?;
        assert!(migrate(&mut conn).is_err());
        assert_eq!(user_version(&conn)?, 1);
        Ok(())
    }
}
