//! The crate's error type. No variant carries key material, names or document content.

/// Everything that can go wrong decoding or verifying an organisation, agent, mandate, deposit or
/// audit structure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MandateError {
    /// The input ended before the structure did.
    #[error("{0}: truncated")]
    Truncated(&'static str),
    /// The version byte names a format this build does not know.
    #[error("unsupported {what} version {version}")]
    UnsupportedVersion {
        /// Which structure.
        what: &'static str,
        /// The version found.
        version: u8,
    },
    /// Larger than the structure allows (QR payloads, names, collection lists).
    #[error("{0}: too large")]
    Oversized(&'static str),
    /// Structurally wrong (bad prefix, encoding, trailing bytes, bad text).
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// A signature did not verify; names whose.
    #[error("bad signature on {0}")]
    BadSignature(&'static str),
    /// A key that is not a valid (or is a low-order) public key.
    #[error("bad key in {0}")]
    BadKey(&'static str),
    /// Outside its validity window.
    #[error("{0} expired")]
    Expired(&'static str),
    /// Before its validity window.
    #[error("{0} not yet valid")]
    NotYetValid(&'static str),
    /// Two parts that must match do not (signer and certified device, vault and holder, ...).
    #[error("mismatch: {0}")]
    Mismatch(&'static str),
    /// A key file did not open (wrong passphrase or damaged file).
    #[error("wrong passphrase or damaged key file")]
    KeyFile,
}

/// `Result` with [`MandateError`].
pub type Result<T> = std::result::Result<T, MandateError>;
