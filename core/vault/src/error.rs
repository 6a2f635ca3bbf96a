//! Typed vault errors. Messages never contain document titles, notes or key material, so they can be
//! logged or shown by an app as they are.

use std::io;

/// Everything that can go wrong with a vault, in terms an app can act on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The PIN/passphrase (or the platform secret mixed with it) does not open this vault.
    /// Never reported for a damaged vault, and never a reason to delete anything.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// Too many wrong passphrases in a row: the next try is possible in `wait_secs` seconds. Nothing
    /// was tried (the counter did not move). After a forgotten PIN, the recovery kit reopens the vault.
    #[error("too many wrong passphrases ({failed}): try again in {wait_secs} s")]
    TooManyAttempts { failed: u32, wait_secs: u64 },
    /// A new PIN or passphrase that is too easy to guess, and why.
    #[error("this PIN or passphrase is too easy to guess: {0}")]
    WeakSecret(crate::pin::WeakSecret),
    /// Another process holds this vault open for writing.
    #[error("the vault is in use by another process")]
    Busy,
    /// The directory holds no vault.
    #[error("no vault at this location")]
    NoVault,
    /// A vault already exists where one was to be created.
    #[error("a vault already exists at this location")]
    AlreadyExists,
    /// The requested document or page does not exist (or is deleted).
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// The page is known (from another device) but not downloaded yet: sync fetches it.
    #[error("this page has not been downloaded yet")]
    NotDownloaded,
    /// Stored data failed an integrity check. `what` names the part, never its content.
    #[error("damaged vault data: {what}")]
    Corrupt { what: String },
    /// The vault was written by a newer version of Coffre.
    #[error("this vault needs a newer version of Coffre (format {found}, supported up to {supported})")]
    TooNew { found: u32, supported: u32 },
    /// The imported file is larger than the configured limit.
    #[error("file too large ({size} bytes, limit {limit} bytes)")]
    TooLarge { size: u64, limit: u64 },
    /// The file's content does not match what its name claims (e.g. a text file named `.jpg`).
    #[error("the file content is not a valid {claimed} (detected: {detected})")]
    TypeMismatch { claimed: &'static str, detected: &'static str },
    /// The caller passed something invalid (an unknown category, a malformed date...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The device ran out of space; nothing committed was lost.
    #[error("not enough storage space on the device")]
    StorageFull,
    /// Any other I/O failure.
    #[error("input/output error: {0}")]
    Io(io::Error),
    /// A cryptographic check failed outside the cases above.
    #[error("cryptographic failure: {0}")]
    Crypto(coffre_crypto::CryptoError),
}

pub type Result<T> = std::result::Result<T, VaultError>;

impl From<io::Error> for VaultError {
    fn from(e: io::Error) -> Self {
        if is_storage_full(&e) { VaultError::StorageFull } else { VaultError::Io(e) }
    }
}

impl From<coffre_crypto::CryptoError> for VaultError {
    fn from(e: coffre_crypto::CryptoError) -> Self {
        match e {
            coffre_crypto::CryptoError::Io(io) => io.into(),
            coffre_crypto::CryptoError::WrongPassphrase => VaultError::WrongPassphrase,
            other => VaultError::Crypto(other),
        }
    }
}

impl From<rusqlite::Error> for VaultError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => VaultError::StorageFull,
            Some(ErrorCode::DatabaseCorrupt) | Some(ErrorCode::NotADatabase) => {
                VaultError::Corrupt { what: "database".into() }
            }
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => VaultError::Busy,
            _ => VaultError::Corrupt { what: format!("database ({})", sqlite_error_class(&e)) },
        }
    }
}

/// A short description of a SQLite error that never echoes stored values.
fn sqlite_error_class(e: &rusqlite::Error) -> String {
    match e.sqlite_error_code() {
        Some(code) => format!("{code:?}"),
        None => match e {
            rusqlite::Error::QueryReturnedNoRows => "no rows".into(),
            rusqlite::Error::FromSqlConversionFailure(..) | rusqlite::Error::InvalidColumnType(..) => {
                "unexpected column value".into()
            }
            _ => "sql error".into(),
        },
    }
}

pub(crate) fn is_storage_full(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::StorageFull || e.raw_os_error() == Some(28) // ENOSPC
}

pub(crate) fn corrupt(what: impl Into<String>) -> VaultError {
    VaultError::Corrupt { what: what.into() }
}
