//! `coffre-server backup DIR` and `coffre-server restore DIR`.
//!
//! A backup is a directory: `server.key`, a snapshot of `meta.sqlite3` (SQLite's `VACUUM INTO`, a
//! consistent copy taken while the server runs), the chunk files, and `coffre-backup.json`. The
//! server key is in it on purpose: every phone pins the server's public key at enrolment and refuses
//! a server that signs with another, so a restore without the key would cut every phone off. The
//! backup is therefore as secret as the server itself (0700 directories, 0600 files): it holds no
//! document in clear, but whoever has it can impersonate the server.
//!
//! `restore` checks the backup first (deeply: every chunk re-hashed), then copies it into an empty
//! data directory; the server must be stopped and started again on the restored directory.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{AdminError, BACKUP_MANIFEST, CHUNKS_DIR, META_DB, SERVER_KEY, check, io};

/// What a backup or restore copied, and the key clients pin.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BackupReport {
    /// Format of the backup directory.
    pub format: u32,
    pub created_at: u64,
    pub server_version: String,
    /// The server's public key (base64url): the one every phone pinned.
    pub server_key: String,
    pub vaults: u64,
    pub chunks: u64,
    pub chunk_bytes: u64,
}

pub const BACKUP_FORMAT: u32 = 1;

/// Backs the data directory `data` up into `dest` (new or empty), while the server may be running.
pub fn backup(data: &Path, dest: &Path) -> Result<BackupReport, AdminError> {
    let key = data.join(SERVER_KEY);
    super::server_public_key(&key)?;
    make_empty_private_dir(dest)?;
    copy_private_file(&key, &dest.join(SERVER_KEY))?;

    // The database first: chunks it references were written before their rows, so they are on disk.
    let src_db = data.join(META_DB);
    let dst_db = dest.join(META_DB);
    {
        let db =
            Connection::open_with_flags(&src_db, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(|e| AdminError::Db(src_db.clone(), e))?;
        db.busy_timeout(std::time::Duration::from_secs(30)).map_err(|e| AdminError::Db(src_db.clone(), e))?;
        let target = dst_db.to_str().ok_or_else(|| io(dst_db.display(), std::io::ErrorKind::InvalidInput.into()))?;
        db.execute("VACUUM INTO ?1", [target]).map_err(|e| AdminError::Db(src_db.clone(), e))?;
    }
    set_private(&dst_db)?;
    copy_tree(&data.join(CHUNKS_DIR), &dest.join(CHUNKS_DIR))?;

    let checked = check(dest, false)?;
    if !checked.is_ok() {
        return Err(AdminError::Inconsistent(dest.to_path_buf(), checked.problems.len(), checked.problems[0].clone()));
    }
    let report = BackupReport {
        format: BACKUP_FORMAT,
        created_at: crate::clock::now_secs(),
        server_version: env!("CARGO_PKG_VERSION").to_string(),
        server_key: checked.server_key,
        vaults: checked.vaults,
        chunks: checked.chunks,
        chunk_bytes: checked.chunk_bytes,
    };
    let json = serde_json::to_vec_pretty(&report).map_err(|e| io("coffre-backup.json", std::io::Error::other(e)))?;
    write_private_file(&dest.join(BACKUP_MANIFEST), &json)?;
    Ok(report)
}

/// Restores the backup in `backup_dir` into `data` (new or empty). The server must not be running on
/// `data`; start it on `data` afterwards.
pub fn restore(backup_dir: &Path, data: &Path) -> Result<BackupReport, AdminError> {
    let manifest = backup_dir.join(BACKUP_MANIFEST);
    let text = std::fs::read(&manifest).map_err(|_| AdminError::NotABackup(backup_dir.to_path_buf()))?;
    let mut report: BackupReport =
        serde_json::from_slice(&text).map_err(|_| AdminError::NotABackup(backup_dir.to_path_buf()))?;
    if report.format != BACKUP_FORMAT {
        return Err(AdminError::NotABackup(backup_dir.to_path_buf()));
    }
    let checked = check(backup_dir, true)?;
    if !checked.is_ok() {
        return Err(AdminError::Inconsistent(
            backup_dir.to_path_buf(),
            checked.problems.len(),
            checked.problems[0].clone(),
        ));
    }
    make_empty_private_dir(data)?;
    copy_private_file(&backup_dir.join(SERVER_KEY), &data.join(SERVER_KEY))?;
    copy_private_file(&backup_dir.join(META_DB), &data.join(META_DB))?;
    copy_tree(&backup_dir.join(CHUNKS_DIR), &data.join(CHUNKS_DIR))?;
    report.server_key = checked.server_key;
    Ok(report)
}

/// Creates `dir` (0700) or accepts it if it exists and is empty; anything else is refused, so a
/// backup never mixes with older files and a restore never overwrites a live data directory.
fn make_empty_private_dir(dir: &Path) -> Result<(), AdminError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(AdminError::NotEmpty(dir.to_path_buf()));
            }
            set_private(dir)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            b.create(dir).map_err(|e| io(dir.display(), e))
        }
        Err(e) => Err(io(dir.display(), e)),
    }
}

fn set_private(path: &Path) -> Result<(), AdminError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = if path.is_dir() { 0o700 } else { 0o600 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| io(path.display(), e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), AdminError> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).map_err(|e| io(path.display(), e))?;
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(|e| io(path.display(), e))
}

fn copy_private_file(from: &Path, to: &Path) -> Result<(), AdminError> {
    let mut src = std::fs::File::open(from).map_err(|e| io(from.display(), e))?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut dst = opts.open(to).map_err(|e| io(to.display(), e))?;
    std::io::copy(&mut src, &mut dst).and_then(|_| dst.sync_all()).map_err(|e| io(to.display(), e))
}

/// Copies the directory tree `from` into `to` (created), directories 0700 and files 0600. A missing
/// `from` is an empty tree (a server that never stored a chunk).
fn copy_tree(from: &Path, to: &Path) -> Result<(), AdminError> {
    make_empty_private_dir(to)?;
    let entries = match std::fs::read_dir(from) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(from.display(), e)),
    };
    for e in entries {
        let e = e.map_err(|e| io(from.display(), e))?;
        let kind = e.file_type().map_err(|err| io(e.path().display(), err))?;
        let target = to.join(e.file_name());
        if kind.is_dir() {
            copy_tree(&e.path(), &target)?;
        } else if kind.is_file() {
            match copy_private_file(&e.path(), &target) {
                // A chunk deleted since the listing (its vault was closed): not part of the snapshot.
                Err(AdminError::Io(_, err)) if err.kind() == std::io::ErrorKind::NotFound => {}
                other => other?,
            }
        }
    }
    Ok(())
}
