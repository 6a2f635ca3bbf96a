//! The crate's error type.
//!
//! No variant ever carries user data, key material or plaintext: the `Display` texts are fixed strings,
//! and [`CryptoError::Io`] prints only the [`std::io::ErrorKind`] (the full error stays reachable through
//! `source()` and by matching).

/// Everything that can go wrong in `coffre-crypto`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// Authentication failed: wrong key, or the data was modified (flipped, reordered, swapped, cut mid-chunk).
    #[error("decryption failed: wrong key or modified data")]
    Decrypt,
    /// The passphrase (or the platform secret mixed with it) did not unwrap the local Account Root Key.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// The input ended early: an envelope too short, or a STREAM that stops before its last chunk.
    #[error("data truncated")]
    Truncated,
    /// The leading version byte names a format this build does not know.
    #[error("unsupported {what} version {version}")]
    UnsupportedVersion {
        /// Which format (`"wrapped key"`, `"blob stream"`, ...).
        what: &'static str,
        /// The version byte that was found.
        version: u8,
    },
    /// Stored key-derivation parameters are below [`crate::KdfParams::FLOOR`]; refused without running.
    #[error("key derivation parameters below the accepted floor")]
    WeakParameters,
    /// An X25519 exchange with a low-order point (non-contributory shared secret), or a small-order
    /// Ed25519 public key.
    #[error("low-order public key rejected")]
    LowOrderPoint,
    /// A signature did not verify (Ed25519, strict verification).
    #[error("signature verification failed")]
    BadSignature,
    /// Structurally invalid input; the text names the structure, never its content.
    #[error("malformed input: {0}")]
    Malformed(&'static str),
    /// Reading or writing a stream failed; the [`std::io::ErrorKind`] is kept (e.g. `StorageFull`).
    #[error("I/O error: {}", .0.kind())]
    Io(#[from] std::io::Error),
}

/// `Result` with [`CryptoError`].
pub type Result<T> = std::result::Result<T, CryptoError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_display_shows_kind_not_message() {
        let e =
            CryptoError::from(std::io::Error::new(std::io::ErrorKind::StorageFull, "/home/someone/secret-name.pdf"));
        let shown = e.to_string();
        assert!(shown.contains(&std::io::ErrorKind::StorageFull.to_string()), "{shown}");
        assert!(!shown.contains("secret-name"), "{shown}");
        assert!(matches!(e, CryptoError::Io(ref io) if io.kind() == std::io::ErrorKind::StorageFull));
    }
}
