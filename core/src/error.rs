//! The facade's shared error: what a flow that talks to the server as this vault's device can meet
//! (the vault's errors, the protocol client's, enrolment state, recovery codes and shares, agent
//! checks). The sync engine, the recovery and mandate flows and sharing all return it or wrap it.

use coffre_mandate::MandateError;
use coffre_sync::SyncError;
use coffre_vault::VaultError;

/// Errors of the sync engine and of the recovery flows: the vault's or the protocol's, plus
/// enrolment state.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// `sync` before `enroll` or linking.
    #[error("this vault is not connected to a server yet")]
    NotEnrolled,
    /// Enrolling a vault that already is.
    #[error("this vault is already connected to a server")]
    AlreadyEnrolled,
    /// The other device has not answered the linking request yet.
    #[error("the other phone has not confirmed yet")]
    LinkPending,
    /// The digits the person read on the new phone are not this phone's: nothing was sent.
    #[error("the linking digits do not match: nothing was sent")]
    LinkCodeMismatch,
    /// A server address refused before connecting: `http://` to another machine, or not an address.
    #[error(transparent)]
    ServerAddress(#[from] crate::sync_engine::address::AddressError),
    /// Typed recovery words are wrong (the error names the word).
    #[error(transparent)]
    RecoveryCode(#[from] coffre_recovery::CodeError),
    /// The recovery slot does not open with this code.
    #[error(transparent)]
    RecoverySlot(#[from] coffre_recovery::SlotError),
    /// Assisted-recovery shares that do not combine (one holder alone, malformed).
    #[error(transparent)]
    Assisted(#[from] coffre_recovery::assisted::AssistedError),
    /// Agents that cannot hold or give an organisation's pieces (revoked, expired, other organisation).
    #[error(transparent)]
    AgentCheck(#[from] AgentCheckError),
}

pub type Result<T> = std::result::Result<T, EngineError>;

/// Why agents cannot hold (or give) an organisation's pieces. Holds no key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentCheckError {
    /// A certificate that does not verify, has expired or is not valid yet.
    #[error("agent certificate: {0}")]
    Certificate(#[from] MandateError),
    /// Certificates of several organisations, or not of the one named.
    #[error("the agents are not all of the chosen organisation")]
    OtherOrganisation,
    /// The same agent device twice (two approvals must be two agents).
    #[error("the same agent is listed twice")]
    Duplicate,
    /// The organisation's signed list on the server revokes one of the agents.
    #[error("the organisation revoked one of these agents")]
    Revoked,
    /// The server does not know the organisation.
    #[error("the organisation is not registered on this server")]
    UnknownOrganisation,
    /// Not an approval request or approval text.
    #[error("not an assisted-recovery request or approval")]
    NotARequest,
}

/// What went wrong, named for the apps and the CLI to translate: one flat `Copy` value per failure of
/// the facade's flows ([`EngineError::kind`], [`AgentCheckError::kind`],
/// [`crate::mandate::MandateFlowError::kind`], [`crate::share::ShareError::kind`]), with the figures a
/// message needs kept as typed fields. `Display` stays the English text for logs: translate from this
/// instead of matching it. The layers underneath keep their own typed values: for [`ErrorKind::Vault`]
/// match the [`VaultError`] itself; for [`ErrorKind::Sync`], `SyncError::code()` gives the server's
/// code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The local vault (see [`VaultError`]'s variants).
    Vault,
    /// The network or the server: what a UI can do about it, and the HTTP status of a server's answer.
    Sync {
        category: coffre_sync::ErrorKind,
        status: Option<u16>,
    },
    NotEnrolled,
    AlreadyEnrolled,
    LinkPending,
    /// The two phones' linking digits differ: nothing was sent, start again.
    LinkCodeMismatch,
    /// The server shows a history different from the one this device saw (restored from an old
    /// backup, or forked): syncing stops, local documents are intact. Say so, and offer the way
    /// forward: keep a copy (export), then link this device again from another device or the kit.
    HistoryDiverged,
    /// `http://` to a server on another machine, refused unless the person opts in: "use https://".
    InsecureServer,
    /// Not a server address (`https://host`).
    BadServerAddress,
    /// Not 12 recovery words: how many were typed.
    RecoveryWordCount {
        typed: usize,
    },
    /// The word at `position` (1-based) is in no list.
    RecoveryUnknownWord {
        position: usize,
    },
    /// The word at `position` (1-based) is from another list than the first word.
    RecoveryMixedLists {
        position: usize,
    },
    /// The words exist but do not go together: one is not the printed one.
    RecoveryChecksum,
    /// A QR code that is not a recovery kit.
    NotAKit,
    /// The code (or the assisted key) does not open the vault's recovery slot.
    WrongRecoverySecret,
    /// A recovery slot of a version or kind this build does not know.
    UnsupportedRecoverySlot,
    /// An assisted-recovery share or approval that is unreadable.
    AssistedMalformed,
    /// Fewer than two different holders' shares.
    AssistedNotEnough,
    /// Shares of two share-format versions (an old kit with new pieces, or the reverse).
    AssistedMixedVersions,
    /// A sealed piece this agent's key does not open.
    NotForThisAgent,
    /// An organisation needs at least two agents.
    TooFewAgents,
    /// An agent certificate that does not check, and why.
    AgentCertificate(MandateProblem),
    /// Agents of several organisations, or not of the one chosen.
    OtherOrganisation,
    /// The same agent twice.
    DuplicateAgent,
    /// The organisation revoked one of the agents.
    AgentRevoked,
    /// The server does not know the organisation.
    UnknownOrganisation,
    /// Not an assisted-recovery request or approval.
    NotARequest,
    /// A mandate, offer, deposit or audit structure that does not check, and why.
    Mandate(MandateProblem),
    /// The agent's QR names another server than the vault's.
    OtherServer,
    /// The holder has not answered yet (agent side).
    MandatePending,
    /// Not a share link; `part` names the part (never its content).
    BadShareLink {
        part: &'static str,
    },
    /// A share made by a newer version.
    ShareTooNew,
    ShareTruncated,
    /// Wrong link or altered share data.
    ShareDecrypt,
    BadShareManifest,
    /// The server refused to open the link.
    ShareRefused(coffre_sync::protocol::share::ShareRefusal),
    /// A duration outside 1 hour to 31 days.
    BadShareDuration,
    /// A number of openings below 1.
    BadShareMaxOpens,
    NothingToShare,
    /// More pages than one share holds.
    TooManySharePages {
        max: usize,
    },
    /// An identity document that cannot be watermarked, so not shared.
    CannotWatermark,
    UnknownDossier,
    BadDossierCatalogue,
    /// No such share on this device.
    UnknownShare,
    /// The link does not fit in a QR code.
    Qr,
}

/// What is wrong with a mandate-format structure ([`MandateError`], as a `Copy` value): `what` is the
/// structure, a fixed English noun ("mandate", "receipt", ...) that a catalogue can key on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MandateProblem {
    Truncated {
        what: &'static str,
    },
    UnsupportedVersion {
        what: &'static str,
        version: u8,
    },
    Oversized {
        what: &'static str,
    },
    Malformed {
        what: &'static str,
    },
    BadSignature {
        what: &'static str,
    },
    BadKey {
        what: &'static str,
    },
    Expired {
        what: &'static str,
    },
    NotYetValid {
        what: &'static str,
    },
    Mismatch {
        what: &'static str,
    },
    /// A key file that does not open (wrong passphrase or damaged).
    KeyFile,
    /// A problem this build does not name yet.
    Other,
}

impl From<&MandateError> for MandateProblem {
    fn from(e: &MandateError) -> Self {
        use MandateProblem as P;
        match *e {
            MandateError::Truncated(what) => P::Truncated { what },
            MandateError::UnsupportedVersion { what, version } => P::UnsupportedVersion { what, version },
            MandateError::Oversized(what) => P::Oversized { what },
            MandateError::Malformed(what) => P::Malformed { what },
            MandateError::BadSignature(what) => P::BadSignature { what },
            MandateError::BadKey(what) => P::BadKey { what },
            MandateError::Expired(what) => P::Expired { what },
            MandateError::NotYetValid(what) => P::NotYetValid { what },
            MandateError::Mismatch(what) => P::Mismatch { what },
            MandateError::KeyFile => P::KeyFile,
            _ => P::Other,
        }
    }
}

/// The kind of a sync client error: its category and, for a server's answer, the HTTP status.
pub(crate) fn sync_kind(e: &SyncError) -> ErrorKind {
    let status = match e {
        SyncError::Server { status, .. } => Some(*status),
        _ => None,
    };
    ErrorKind::Sync { category: e.kind(), status }
}

impl EngineError {
    /// What happened, for translation (see [`ErrorKind`]).
    pub fn kind(&self) -> ErrorKind {
        use coffre_recovery::assisted::AssistedError;
        use coffre_recovery::{CodeError, SlotError};
        match self {
            EngineError::Vault(_) => ErrorKind::Vault,
            EngineError::Sync(e) if e.is_history_divergence() => ErrorKind::HistoryDiverged,
            EngineError::Sync(e) => sync_kind(e),
            EngineError::NotEnrolled => ErrorKind::NotEnrolled,
            EngineError::AlreadyEnrolled => ErrorKind::AlreadyEnrolled,
            EngineError::LinkPending => ErrorKind::LinkPending,
            EngineError::LinkCodeMismatch => ErrorKind::LinkCodeMismatch,
            EngineError::ServerAddress(crate::sync_engine::address::AddressError::NotSecure) => {
                ErrorKind::InsecureServer
            }
            EngineError::ServerAddress(_) => ErrorKind::BadServerAddress,
            EngineError::RecoveryCode(e) => match *e {
                CodeError::WordCount(typed) => ErrorKind::RecoveryWordCount { typed },
                CodeError::UnknownWord { position } => ErrorKind::RecoveryUnknownWord { position },
                CodeError::MixedLists { position } => ErrorKind::RecoveryMixedLists { position },
                CodeError::Checksum => ErrorKind::RecoveryChecksum,
                CodeError::NotAKit => ErrorKind::NotAKit,
            },
            EngineError::RecoverySlot(SlotError::WrongSecret) => ErrorKind::WrongRecoverySecret,
            EngineError::RecoverySlot(SlotError::Unsupported) => ErrorKind::UnsupportedRecoverySlot,
            EngineError::Assisted(e) => match e {
                AssistedError::Malformed => ErrorKind::AssistedMalformed,
                AssistedError::NotEnough => ErrorKind::AssistedNotEnough,
                AssistedError::MixedVersions => ErrorKind::AssistedMixedVersions,
                AssistedError::NotForThisAgent => ErrorKind::NotForThisAgent,
                AssistedError::TooFewAgents => ErrorKind::TooFewAgents,
            },
            EngineError::AgentCheck(e) => e.kind(),
        }
    }
}

impl AgentCheckError {
    /// What happened, for translation (see [`ErrorKind`]).
    pub fn kind(&self) -> ErrorKind {
        match self {
            AgentCheckError::Certificate(e) => ErrorKind::AgentCertificate(e.into()),
            AgentCheckError::OtherOrganisation => ErrorKind::OtherOrganisation,
            AgentCheckError::Duplicate => ErrorKind::DuplicateAgent,
            AgentCheckError::Revoked => ErrorKind::AgentRevoked,
            AgentCheckError::UnknownOrganisation => ErrorKind::UnknownOrganisation,
            AgentCheckError::NotARequest => ErrorKind::NotARequest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_keep_their_arguments() {
        let word = EngineError::RecoveryCode(coffre_recovery::CodeError::UnknownWord { position: 7 });
        assert_eq!(word.kind(), ErrorKind::RecoveryUnknownWord { position: 7 });
        let refused = EngineError::Sync(SyncError::Server { status: 410, code: "gone".into(), message: String::new() });
        assert_eq!(refused.kind(), ErrorKind::Sync { category: coffre_sync::ErrorKind::Refused, status: Some(410) });
        let cert = AgentCheckError::Certificate(MandateError::Expired("agent certificate"));
        assert_eq!(
            EngineError::from(cert).kind(),
            ErrorKind::AgentCertificate(MandateProblem::Expired { what: "agent certificate" })
        );
        assert_eq!(
            EngineError::Sync(SyncError::Cancelled).kind(),
            ErrorKind::Sync { category: coffre_sync::ErrorKind::Cancelled, status: None }
        );
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn refused_addresses_have_their_kinds() {
        let plain = crate::sync_engine::check_server_address("http://example.org", false).unwrap_err();
        assert_eq!(EngineError::from(plain).kind(), ErrorKind::InsecureServer);
        let bad = crate::sync_engine::check_server_address("example.org", false).unwrap_err();
        assert_eq!(EngineError::from(bad).kind(), ErrorKind::BadServerAddress);
    }

    #[test]
    fn display_is_unchanged_by_kinds() {
        let e = EngineError::NotEnrolled;
        assert_eq!(e.kind(), ErrorKind::NotEnrolled);
        assert_eq!(e.to_string(), "this vault is not connected to a server yet");
    }
}
