//! The machine codes of error responses (`ErrorBody::error`). The server sends them and the client, the
//! bindings and the CLI decide on them, so they are one enum here rather than string literals on both
//! sides. On the wire each is its snake_case string; a code this build does not know parses as
//! [`ErrorCode::Unknown`] (a newer server must not break an older client).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::share::ShareRefusal;

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal,)*) => {
        /// A server error code. Add a variant (and its string) here, never a literal elsewhere.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
            /// A share link's refusal (`share_not_found`, …), which the share viewer also reads.
            Share(ShareRefusal),
            /// A code this build does not know, kept as sent.
            Unknown(String),
        }

        impl ErrorCode {
            /// Every code this build knows except the share refusals (tests, documentation).
            pub const KNOWN: &[ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                    ErrorCode::Share(r) => r.code(),
                    ErrorCode::Unknown(s) => s,
                }
            }

            /// The code a wire string names; never fails (see [`ErrorCode::Unknown`]).
            pub fn parse(s: &str) -> ErrorCode {
                match s {
                    $($code => ErrorCode::$variant,)*
                    other => match ShareRefusal::from_code(other) {
                        Some(r) => ErrorCode::Share(r),
                        None => ErrorCode::Unknown(other.to_string()),
                    },
                }
            }
        }
    };
}

error_codes! {
    // Requests in general
    /// The body's `v` is not the version this endpoint speaks.
    UnsupportedVersion = "unsupported_version",
    BadJson = "bad_json",
    BadBody = "bad_body",
    BadQuery = "bad_query",
    PayloadTooLarge = "payload_too_large",
    NoRoute = "no_route",
    Internal = "internal",
    /// Stored data the server cannot read back.
    Corrupt = "corrupt",
    RateLimited = "rate_limited",
    QuotaExceeded = "quota_exceeded",
    /// The server's disk is nearly full (its operator's watermark): no new uploads for now.
    ServerFull = "server_full",
    RegistrationClosed = "registration_closed",
    /// `/metrics` without the operator's bearer token.
    MetricsToken = "metrics_token",
    /// Made by the client when an error response is not an `ErrorBody` (a proxy's page, say).
    HttpError = "http_error",
    /// The request took longer than the server allows (a slow or stalled body).
    RequestTimeout = "request_timeout",
    /// The server is handling as many requests as it accepts at once (`Retry-After` says when to retry).
    ServerBusy = "server_busy",
    /// Too many requests of this kind from one network address (`Retry-After` says when to retry).
    AddressLimited = "address_limited",
    /// Registration needs an invitation code from a structure's agent (`registration = "invitation"`).
    InvitationRequired = "invitation_required",
    /// The invitation code is unknown, used or expired.
    BadInvitation = "bad_invitation",
    /// This organisation key is not on the operator's allowlist.
    OrgNotAllowed = "org_not_allowed",

    // Request signatures and membership
    Unsigned = "unsigned",
    /// The request is signed in an older format (v1, no body commitment headers): the app must update.
    OldSignatureFormat = "old_signature_format",
    /// The body does not match the signed length and SHA-256.
    BodyMismatch = "body_mismatch",
    BadSignature = "bad_signature",
    StaleTimestamp = "stale_timestamp",
    Replayed = "replayed",
    NotAMember = "not_a_member",
    DeviceRevoked = "device_revoked",

    // Vaults, devices, the op log
    UnknownVault = "unknown_vault",
    VaultExists = "vault_exists",
    BadRegistration = "bad_registration",
    BadIdentitySignature = "bad_identity_signature",
    BadDeviceKey = "bad_device_key",
    UnknownDevice = "unknown_device",
    DeviceWasRemoved = "device_was_removed",
    /// A key generation switch that does not follow the vault's current generation (an old
    /// generation's signature, or one switch too far).
    StaleGeneration = "stale_generation",
    /// A generation switch whose device list leaves out the device that sent it, or names a key
    /// twice, or none.
    BadGenerationDevices = "bad_generation_devices",
    BadOpCount = "bad_op_count",
    BadOp = "bad_op",
    BadOpSignature = "bad_op_signature",
    WriterMismatch = "writer_mismatch",
    CounterMismatch = "counter_mismatch",
    UnknownSeenHead = "unknown_seen_head",
    BadPadding = "bad_padding",

    // Chunks and blobs
    BadHash = "bad_hash",
    HashMismatch = "hash_mismatch",
    TooManyChunks = "too_many_chunks",
    UnknownChunk = "unknown_chunk",
    /// A blob commit names chunks not uploaded yet (listed in `ErrorBody::missing`).
    MissingChunks = "missing_chunks",
    BadBlobId = "bad_blob_id",
    EmptyBlob = "empty_blob",
    /// A blob commit lists one chunk address more than once (a real blob's chunks are all distinct;
    /// a repeated one would make the server send far more than it stores).
    DuplicateChunk = "duplicate_chunk",
    BlobConflict = "blob_conflict",
    UnknownBlob = "unknown_blob",

    // Linking mailboxes
    BadMailboxKey = "bad_mailbox_key",
    BadMessage = "bad_message",
    MailboxOccupied = "mailbox_occupied",
    MailboxesFull = "mailboxes_full",
    EmptyMailbox = "empty_mailbox",

    // Organisations, mandates, deposits
    InvalidSignedObject = "invalid_signed_object",
    UnknownOrg = "unknown_org",
    BadRevocation = "bad_revocation",
    AgentRevoked = "agent_revoked",
    BadMandate = "bad_mandate",
    MandateMismatch = "mandate_mismatch",
    MandateExists = "mandate_exists",
    UnknownMandate = "unknown_mandate",
    NoMandate = "no_mandate",
    MandateRevoked = "mandate_revoked",
    MandateNotYetValid = "mandate_not_yet_valid",
    MandateExpired = "mandate_expired",
    CertificateExpired = "certificate_expired",
    ScopeDenied = "scope_denied",
    BadPackage = "bad_package",
    NoPackage = "no_package",
    BlobNotShared = "blob_not_shared",
    BadStatement = "bad_statement",
    BadCiphertext = "bad_ciphertext",
    StatementMismatch = "statement_mismatch",
    StaleStatement = "stale_statement",
    DepositExists = "deposit_exists",
    DepositsFull = "deposits_full",
    UnknownDeposit = "unknown_deposit",
    BadTransmission = "bad_transmission",

    // Recovery
    BadSlot = "bad_slot",
    NoRecoverySlot = "no_recovery_slot",
    BadPinVerifier = "bad_pin_verifier",
    BadShare = "bad_share",
    BadOrg = "bad_org",
    BadPieces = "bad_pieces",
    NoAssistedRecovery = "no_assisted_recovery",
    NoRequest = "no_request",
    NotTheRequester = "not_the_requester",
    /// The assisted-recovery request was cancelled from an enrolled device.
    Cancelled = "cancelled",
    /// The waiting delay of an assisted recovery has not passed (`Retry-After` says how long).
    TooEarly = "too_early",
    /// Too many wrong PINs: assisted recovery must be set up again.
    Locked = "locked",
    WrongPin = "wrong_pin",

    // Share links (creation; the recipient's refusals are `Share`)
    BadFrames = "bad_frames",
    BadShareId = "bad_share_id",
    BadExpiry = "bad_expiry",
    BadMaxOpens = "bad_max_opens",
    BadPageCount = "bad_page_count",
    ShareIdTaken = "share_id_taken",
}

impl From<ShareRefusal> for ErrorCode {
    fn from(r: ShareRefusal) -> Self {
        ErrorCode::Share(r)
    }
}

impl From<&str> for ErrorCode {
    fn from(s: &str) -> Self {
        ErrorCode::parse(s)
    }
}

impl From<String> for ErrorCode {
    fn from(s: String) -> Self {
        ErrorCode::parse(&s)
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(ErrorCode::parse(s))
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(ErrorCode::parse(&String::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_is_distinct() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::KNOWN {
            assert_eq!(&ErrorCode::parse(c.as_str()), c);
            assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
            assert!(c.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{c}");
        }
        for r in [ShareRefusal::NotFound, ShareRefusal::Expired, ShareRefusal::Revoked, ShareRefusal::Exhausted] {
            assert_eq!(ErrorCode::parse(r.code()), ErrorCode::Share(r));
            assert!(seen.insert(r.code()));
        }
    }

    #[test]
    fn wire_strings_are_unchanged() {
        assert_eq!(serde_json::to_string(&ErrorCode::QuotaExceeded).expect("json"), "\"quota_exceeded\"");
        assert_eq!(ErrorCode::MissingChunks.as_str(), "missing_chunks");
        assert_eq!(ErrorCode::Share(ShareRefusal::Revoked).as_str(), "share_revoked");
        assert_eq!(serde_json::from_str::<ErrorCode>("\"wrong_pin\"").expect("json"), ErrorCode::WrongPin);
    }

    #[test]
    fn an_unknown_code_is_kept() {
        let c: ErrorCode = serde_json::from_str("\"made_by_a_newer_server\"").expect("json");
        assert_eq!(c, ErrorCode::Unknown("made_by_a_newer_server".into()));
        assert_eq!(serde_json::to_string(&c).expect("json"), "\"made_by_a_newer_server\"");
    }
}
