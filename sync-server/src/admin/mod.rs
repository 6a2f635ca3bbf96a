//! The operator's commands on the embedded storage (SQLite + chunk files + `server.key` in the data
//! directory): [`backup`] and [`restore`] (`coffre-server backup DIR`, `restore DIR`) and the online
//! consistency [`check`] (`coffre-server check`). They run beside a live server: SQLite in WAL mode
//! lets them read a consistent snapshot while it writes. Operator guide: docs/hosting.md.

pub mod backup;
pub mod check;

pub use backup::{BackupReport, backup, restore};
pub use check::{CheckReport, check};

use std::path::PathBuf;

/// The data directory's files, by name.
pub const META_DB: &str = "meta.sqlite3";
pub const SERVER_KEY: &str = "server.key";
pub const CHUNKS_DIR: &str = "chunks";
/// Written last into a backup: what it holds, for the operator and for `restore`.
pub const BACKUP_MANIFEST: &str = "coffre-backup.json";

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("database {0}: {1}")]
    Db(PathBuf, rusqlite::Error),
    #[error("{0} is not empty: choose a new directory (nothing was written)")]
    NotEmpty(PathBuf),
    #[error("{0} holds no server key (server.key): without it every phone would refuse the server")]
    NoKey(PathBuf),
    #[error("{0}: the server key is corrupt (not 32 bytes)")]
    BadKey(PathBuf),
    #[error("{0} is not a Coffre backup (no coffre-backup.json)")]
    NotABackup(PathBuf),
    #[error("the backup in {0} does not check: {1} problem(s), first: {2}")]
    Inconsistent(PathBuf, usize, String),
}

pub(crate) fn io(what: impl std::fmt::Display, e: std::io::Error) -> AdminError {
    AdminError::Io(what.to_string(), e)
}

/// The server's public key, as clients pin it (base64url), from a `server.key` file.
pub fn server_public_key(path: &std::path::Path) -> Result<String, AdminError> {
    let bytes = zeroize::Zeroizing::new(std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => AdminError::NoKey(path.to_path_buf()),
        _ => io(path.display(), e),
    })?);
    let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| AdminError::BadKey(path.to_path_buf()))?;
    let key = coffre_crypto::SigningKey::from_bytes(seed);
    Ok(coffre_sync_protocol::b64(&key.verifying_key().to_bytes()))
}
