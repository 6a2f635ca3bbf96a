#![doc = include_str!("../README.md")]
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod blobstore;
mod category;
mod date;
mod db;
mod error;
mod export;
mod fsutil;
mod header;
mod hlc;
mod keys;
mod model;
mod new_docs;
pub mod ops;
mod pages;
mod pin;
mod remote;
mod rotation;
mod rows;
mod schema;
mod scrub;
mod sniff;
mod vault;
mod versions;

pub use category::{CATALOGUE, Category, Collection, category};
pub use error::{Result, VaultError};
pub use export::{ExportFormat, ExportSummary, MANIFEST_VERSION};
/// Crash-safe file replacement (temp file, fsync, rename), for apps' small key files too.
pub use fsutil::{create_private_dir_all, create_private_file, private_file_options, write_atomically};
pub use hlc::Hlc;
pub use model::{
    Damage, DamageKind, DocId, Document, Expiring, MetadataPatch, NewDocument, Origin, PageInfo, PageInput, PageRole,
    VerifyReport,
};
pub use new_docs::{IMPORT_BATCH, ImportOutcome};
pub use pin::{
    FIRST_WAIT_SECS, FREE_ATTEMPTS, MAX_WAIT_SECS, MIN_PASSPHRASE_CHARS, MIN_PIN_DIGITS, UnlockAttempts, WeakSecret,
    check_new_secret,
};
pub use remote::{Applied, LocalBlob, MissingBlob};
pub use rotation::RotatedKey;
pub use scrub::{REENCODE_QUALITY, strip_photo_metadata};
pub use sniff::{FileKind, SNIFF_LEN, sniff};
pub use vault::{CreateOptions, Limits, ListQuery, Vault};
pub use versions::DocVersion;

/// Names of the files in a vault directory, for tools and docs.
pub mod layout {
    pub use crate::blobstore::{BLOB_DIR, TMP_DIR};
    pub use crate::db::DB_FILE;
    pub use crate::header::HEADER_FILE;
}
