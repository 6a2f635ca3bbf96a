//! Errors of the sync client. `Display` never shows keys, payloads, URLs or document names.

use coffre_sync_protocol::ErrorCode;

/// What a UI can do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Retry later (no connection, timeout, server busy).
    Network,
    /// The server refused the request; see the code.
    Refused,
    /// The server (or something between) altered, dropped, reordered or forked history or data. Local
    /// data is untouched; the app should warn and stop syncing with this server.
    Integrity,
    Cancelled,
    QuotaExceeded,
    /// The server's disk is nearly full: it takes no new uploads until its operator frees space.
    ServerFull,
    /// The server's HTTPS certificate is not trusted (expired, another name, unknown authority):
    /// nothing was sent. Check the address, or trust the operator's CA.
    UntrustedServer,
    /// This device was removed from the vault.
    Revoked,
    /// A bug or a local failure.
    Local,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    #[error("network error: {0}")]
    Network(String),
    /// The server is busy (`429` too many requests from this device, or `503`) and stayed busy past
    /// what the client waits ([`crate::pacing::MAX_BUSY_WAIT`]). Nothing is lost: try again later.
    #[error("the server is busy ({status}); try again in {retry_after_secs} s")]
    ServerBusy { status: u16, retry_after_secs: u64 },
    #[error("server refused the request ({status} {code}): {message}")]
    Server { status: u16, code: ErrorCode, message: String },
    #[error("the server went back in history: this device had verified {known} operations, it now shows {served}")]
    Rollback { known: u64, served: u64 },
    #[error("the server showed a different history (fork detected at operation {seq})")]
    Fork { seq: u64 },
    #[error("operations out of order at {got} (expected {expected})")]
    Reordered { expected: u64, got: u64 },
    #[error("operations missing: expected {expected}, got {got}")]
    Gap { expected: u64, got: u64 },
    #[error("an operation was replayed at {seq}")]
    Replayed { seq: u64 },
    #[error("the server's signature does not verify")]
    BadServerSignature,
    #[error("operation {seq} was written by a device this vault does not know")]
    UnknownWriter { seq: u64 },
    #[error("data from the server was altered: {what}")]
    Tampered { what: &'static str, seq: Option<u64> },
    #[error("chunk {index} does not match its hash")]
    ChunkCorrupt { index: usize },
    #[error("cancelled")]
    Cancelled,
    #[error("the vault's storage quota is used up")]
    QuotaExceeded,
    #[error("the server is full: it accepts no new uploads for now")]
    ServerFull,
    #[error("the server's HTTPS certificate is not trusted (expired, for another name, or unknown authority)")]
    UntrustedServer,
    #[error("this device was removed from the vault")]
    DeviceRevoked,
    #[error("this client is not attached to a vault yet")]
    NotRegistered,
    #[error("protocol error: {0}")]
    Protocol(String),
    #[error("local I/O error: {0}")]
    Io(String),
    #[error("device linking failed: {0}")]
    Link(&'static str),
    /// A linking QR or answer of an older format (version 1 let its maker choose the digits).
    #[error("linking code of an older app version ({version}): update both phones and start again")]
    LinkOutdated { version: u8 },
    /// The new phone's revealed nonce is not the one its QR committed to: another QR was scanned,
    /// or someone else answered. Nothing was sent.
    #[error("the answer does not match the scanned QR code: do not approve, start again")]
    LinkRevealMismatch,
    /// Someone already answered this linking QR (its contribution mailbox was full): the QR was seen
    /// by another device. Nothing was sent.
    #[error("another device already answered this linking code: start again on the new phone")]
    LinkAnswered,
}

impl SyncError {
    pub fn kind(&self) -> ErrorKind {
        use SyncError::*;
        match self {
            Network(_) | ServerBusy { .. } => ErrorKind::Network,
            Server { status, .. } if *status == 429 || *status >= 500 && *status != 507 => ErrorKind::Network,
            Server { .. } => ErrorKind::Refused,
            Rollback { .. }
            | Fork { .. }
            | Reordered { .. }
            | Gap { .. }
            | Replayed { .. }
            | BadServerSignature
            | UnknownWriter { .. }
            | Tampered { .. }
            | ChunkCorrupt { .. } => ErrorKind::Integrity,
            Cancelled => ErrorKind::Cancelled,
            QuotaExceeded => ErrorKind::QuotaExceeded,
            ServerFull => ErrorKind::ServerFull,
            UntrustedServer => ErrorKind::UntrustedServer,
            DeviceRevoked => ErrorKind::Revoked,
            NotRegistered | Protocol(_) | Io(_) | Link(_) | LinkOutdated { .. } | LinkRevealMismatch | LinkAnswered => {
                ErrorKind::Local
            }
        }
    }

    /// Whether the server shows a history other than the one this device verified: it went back
    /// (`Rollback`, e.g. restored from an old backup), contradicts it (`Fork`), or lacks ops a writer
    /// wrote (`Gap`). Syncing with it cannot go on; local data is untouched. The way forward is to
    /// link this device again (from another device of the vault, or from the recovery kit), keeping a
    /// copy of its documents first.
    pub fn is_history_divergence(&self) -> bool {
        matches!(self, SyncError::Rollback { .. } | SyncError::Fork { .. } | SyncError::Gap { .. })
    }

    /// Seconds the server asked to wait, when it said it was busy.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            SyncError::ServerBusy { retry_after_secs, .. } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// The server's error code as sent, for `Server` errors.
    pub fn code(&self) -> Option<&str> {
        self.error_code().map(ErrorCode::as_str)
    }

    /// The server's error code, for `Server` errors.
    pub fn error_code(&self) -> Option<&ErrorCode> {
        match self {
            SyncError::Server { code, .. } => Some(code),
            _ => None,
        }
    }

    pub(crate) fn network(e: reqwest::Error) -> SyncError {
        if crate::tls::is_untrusted_certificate(&e) {
            return SyncError::UntrustedServer;
        }
        // Strip the URL: it holds vault and chunk ids.
        SyncError::Network(e.without_url().to_string())
    }
}

impl From<std::io::Error> for SyncError {
    fn from(e: std::io::Error) -> Self {
        SyncError::Io(e.kind().to_string())
    }
}

pub type Result<T, E = SyncError> = std::result::Result<T, E>;
