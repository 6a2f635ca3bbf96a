//! Coffre's ids and public keys as types. Each one parses its wire text strictly (an error names the
//! kind of id, never the value), prints it (`Display`), serialises as it, and is stored as a BLOB of
//! its raw bytes (feature `rusqlite`). The wire is the one of `docs/sync-protocol.md`: hex for ids and
//! hashes, which appear in paths; base64url without padding for keys and share ids, which appear in
//! headers, bodies and links.
//!
//! A leaf crate (no crate of ours, no crypto) so the vault and the mandate crate, which do not depend
//! on the sync protocol, share the same types as the protocol, the server and the core. Turning a key
//! into a verifying key stays with the code that verifies (the protocol and crypto crates).

mod blob_id;
mod fixed;
pub mod text;

pub use blob_id::BlobId;
pub use text::Encoding;

use fixed::fixed_id;

/// Why a text or a byte string is not an id. Names the kind of id, never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{0}: bad length")]
    Length(&'static str),
    #[error("{0}: bad encoding")]
    Encoding(&'static str),
}

fixed_id!(
    /// A vault on a sync server: `sha256("coffre-vault-v1" || identity_pk)`.
    VaultId, 32, Hex, "vault id"
);
fixed_id!(
    /// A position's hash in a vault's op log (an op's chain hash, a signed head's hash).
    ChainHash, 32, Hex, "chain hash"
);
fixed_id!(
    /// A stored chunk's address: BLAKE3 of its padded ciphertext.
    ChunkAddr, 32, Hex, "chunk address"
);
fixed_id!(
    /// A device-linking mailbox: `sha256("coffre-mailbox-id-v1" || mailbox_key)`.
    MailboxId, 32, Hex, "mailbox id"
);
fixed_id!(
    /// A mandate given to an organisation's agent: 16 random bytes.
    MandateId, 16, Hex, "mandate id"
);
fixed_id!(
    /// A certified deposit made under a mandate: 16 random bytes.
    DepositId, 16, Hex, "deposit id"
);
fixed_id!(
    /// A document in a vault: 16 random bytes.
    DocId, 16, Hex, "document id"
);
fixed_id!(
    /// A share link: 16 random bytes chosen by the device (22 base64url characters in the link).
    ShareId, 16, Base64Url, "share id"
);
fixed_id!(
    /// A device's Ed25519 public key: it signs requests and ops (base64url on the wire; the op log's
    /// encrypted envelopes and the device's local state write it in hex, see [`DeviceKey::to_hex`]).
    DeviceKey, 32, Base64Url, "device key"
);
fixed_id!(
    /// A sync server's Ed25519 public key: it signs heads, receipts and audit entries.
    ServerKey, 32, Base64Url, "server key"
);
fixed_id!(
    /// An organisation's Ed25519 public key: it certifies its agents.
    OrgKey, 32, Base64Url, "organisation key"
);
fixed_id!(
    /// An organisation agent's Ed25519 device key: it signs deposits under a mandate.
    AgentKey, 32, Base64Url, "agent key"
);

impl DocId {
    /// Parses an id as a person typed or pasted it: surrounding blanks and uppercase digits are
    /// accepted (the vault always took them); [`DocId::parse`] is the strict wire form.
    pub fn parse_typed(s: &str) -> Result<Self, IdError> {
        Self::from_hex(&s.trim().to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests;
