#![doc = include_str!("../README.md")]
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod blocking;
mod cancel;
pub mod client;
pub mod error;
pub mod link;
pub mod mandate;
pub mod pacing;
pub mod recovery;
pub mod share;
pub mod tls;
pub mod verify;

pub use blocking::BlockingClient;
pub use client::{
    Appended, BlobRef, CancelToken, DEFAULT_CHUNK_SIZE, DOWNLOAD_CONCURRENCY, FETCH_BATCH, OpDraft, Pinned, Progress,
    Registration, SyncClient, SyncOutcome, UploadReport, split_chunks,
};
pub use coffre_crypto::sas::SasNonce;
pub use coffre_sync_protocol as protocol;
pub use error::{ErrorKind, Result, SyncError};
pub use link::{LinkGrant, LinkOffer, LinkQr, MailboxSlot, decode_nonce, encode_nonce, responder_code, seal_grant};
pub use pacing::{BusyFn, MAX_BUSY_WAIT, PushBatch, parse_retry_after};
pub use tls::{TrustError, trust_operator_ca, trust_operator_ca_file};
pub use verify::{ChainState, KnownWriters, LogView, VerifiedOp, Verifier, verify_pull};

/// Install the TLS crypto provider (ring) for the process, if none is installed yet. [`SyncClient::new`]
/// calls it; call it yourself before building another `reqwest` client in the same process.
pub fn init_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
