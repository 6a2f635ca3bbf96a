//! `coffre-server check [--deep]`: is the data directory whole? Read-only, safe beside a running
//! server. It checks that the server key is there, SQLite's own structure (`quick_check`, or
//! `integrity_check` when deep), that every vault's op log has exactly the operations its head
//! counts, that every chunk the database knows has its file at the recorded size (and, deep, that the
//! bytes still hash to their address), and that every committed blob lists only known chunks.
//! Chunk files the database does not know (an upload cut by a crash, or one that arrived after the
//! snapshot) are counted, not reported as problems: the server never serves them to anyone else.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, params};

use super::{AdminError, CHUNKS_DIR, META_DB, SERVER_KEY, io, server_public_key};

/// What `check` found.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct CheckReport {
    /// The public key clients pin (base64url): compare it with the one before a restore.
    pub server_key: String,
    pub vaults: u64,
    pub ops: u64,
    pub chunks: u64,
    pub chunk_bytes: u64,
    pub blobs: u64,
    pub shares: u64,
    /// Chunk files without a database row (harmless; see the module doc).
    pub unreferenced_chunk_files: u64,
    /// Each problem in one line; empty when the directory is whole.
    pub problems: Vec<String>,
}

impl CheckReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

type Hash = [u8; 32];

/// Checks the data directory `dir`; `deep` re-hashes every chunk and runs SQLite's full check.
pub fn check(dir: &Path, deep: bool) -> Result<CheckReport, AdminError> {
    let mut report = CheckReport { server_key: server_public_key(&dir.join(SERVER_KEY))?, ..CheckReport::default() };
    let db_path = dir.join(META_DB);
    if !db_path.exists() {
        report.problems.push(format!("{META_DB} is missing"));
        return Ok(report);
    }
    let db = Connection::open_with_flags(&db_path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| AdminError::Db(db_path.clone(), e))?;
    let dbe = |e| AdminError::Db(db_path.clone(), e);
    db.busy_timeout(std::time::Duration::from_secs(10)).map_err(dbe)?;
    // One read transaction: every query below sees the same snapshot while the server writes.
    db.execute_batch("BEGIN").map_err(dbe)?;

    let pragma = if deep { "PRAGMA integrity_check" } else { "PRAGMA quick_check" };
    let verdicts: Vec<String> = {
        let mut st = db.prepare(pragma).map_err(dbe)?;
        st.query_map([], |r| r.get::<_, String>(0)).map_err(dbe)?.collect::<Result<_, _>>().map_err(dbe)?
    };
    if verdicts != ["ok"] {
        report.problems.extend(verdicts.into_iter().take(20).map(|v| format!("sqlite: {v}")));
    }

    let vaults: Vec<(Vec<u8>, i64)> = {
        let mut st = db.prepare("SELECT id, head_seq FROM vaults").map_err(dbe)?;
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(dbe)?.collect::<Result<_, _>>().map_err(dbe)?
    };
    report.vaults = vaults.len() as u64;
    for (vault, head) in &vaults {
        let vhex = hex::encode(vault);
        let short = &vhex[..vhex.len().min(12)];
        let (count, max): (i64, Option<i64>) = db
            .query_row("SELECT COUNT(*), MAX(seq) FROM ops WHERE vault = ?1", params![vault], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(dbe)?;
        report.ops += count as u64;
        if count != *head || max.unwrap_or(0) != *head {
            report.problems.push(format!("vault {short}…: head at {head} but {count} operation(s) stored"));
        }
        check_vault_chunks(&db, dir, vault, &vhex, deep, &mut report).map_err(dbe)?;
    }
    report.shares = db.query_row("SELECT COUNT(*) FROM shares", [], |r| r.get::<_, i64>(0)).map_err(dbe)? as u64;
    db.execute_batch("COMMIT").map_err(dbe)?;

    // Chunk directories of vaults the database does not know (a closure cut half-way).
    let known: std::collections::HashSet<String> = vaults.iter().map(|(v, _)| hex::encode(v)).collect();
    if let Ok(entries) = std::fs::read_dir(dir.join(CHUNKS_DIR)) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if !known.contains(&name) {
                report.unreferenced_chunk_files += count_files(&e.path()).map_err(|e| io(name, e))?;
            }
        }
    }
    Ok(report)
}

fn check_vault_chunks(
    db: &Connection,
    dir: &Path,
    vault: &[u8],
    vhex: &str,
    deep: bool,
    report: &mut CheckReport,
) -> rusqlite::Result<()> {
    let short = &vhex[..vhex.len().min(12)];
    let rows: HashMap<Hash, i64> = {
        let mut st = db.prepare("SELECT hash, size FROM chunks WHERE vault = ?1")?;
        let rows = st.query_map(params![vault], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?)))?;
        let mut map = HashMap::new();
        for row in rows {
            let (h, size) = row?;
            match <Hash>::try_from(h.as_slice()) {
                Ok(h) => {
                    map.insert(h, size);
                }
                Err(_) => report.problems.push(format!("vault {short}…: a chunk row with a malformed hash")),
            }
        }
        map
    };
    let vault_dir = dir.join(CHUNKS_DIR).join(vhex);
    for (hash, size) in &rows {
        report.chunks += 1;
        report.chunk_bytes += *size as u64;
        let h = hex::encode(hash);
        let file = vault_dir.join(&h[..2]).join(&h);
        match std::fs::metadata(&file) {
            Ok(m) if m.len() == *size as u64 => {
                if deep {
                    match std::fs::read(&file) {
                        Ok(bytes) if coffre_sync_protocol::chunk_address(&bytes) == *hash => {}
                        Ok(_) => {
                            report.problems.push(format!("vault {short}…: chunk {h} does not hash to its address"))
                        }
                        Err(e) => report.problems.push(format!("vault {short}…: chunk {h} unreadable: {e}")),
                    }
                }
            }
            Ok(m) => report.problems.push(format!("vault {short}…: chunk {h} is {} bytes, {size} recorded", m.len())),
            Err(_) => report.problems.push(format!("vault {short}…: chunk {h} is missing")),
        }
    }
    // Files the database does not know.
    if let Ok(prefixes) = std::fs::read_dir(&vault_dir) {
        for p in prefixes.flatten() {
            if let Ok(files) = std::fs::read_dir(p.path()) {
                for f in files.flatten() {
                    let known = hex::decode(f.file_name().to_string_lossy().as_bytes())
                        .ok()
                        .and_then(|b| <Hash>::try_from(b.as_slice()).ok())
                        .is_some_and(|h| rows.contains_key(&h));
                    if !known {
                        report.unreferenced_chunk_files += 1;
                    }
                }
            }
        }
    }
    let mut st = db.prepare("SELECT chunks FROM blobs WHERE vault = ?1")?;
    let blobs = st.query_map(params![vault], |r| r.get::<_, Vec<u8>>(0))?;
    for flat in blobs {
        let flat = flat?;
        report.blobs += 1;
        if flat.is_empty() || flat.len() % 32 != 0 {
            report.problems.push(format!("vault {short}…: a blob with a malformed chunk list"));
            continue;
        }
        let missing = flat.chunks_exact(32).filter(|c| <Hash>::try_from(*c).is_ok_and(|h| !rows.contains_key(&h)));
        if let Some(c) = missing.into_iter().next() {
            report.problems.push(format!("vault {short}…: a blob lists chunk {} that is not stored", hex::encode(c)));
        }
    }
    Ok(())
}

fn count_files(dir: &Path) -> std::io::Result<u64> {
    let mut n = 0;
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        if e.file_type()?.is_dir() { n += count_files(&e.path())? } else { n += 1 }
    }
    Ok(n)
}
