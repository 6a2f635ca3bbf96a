//! The one error type that crosses the boundary: a few variants a UI can act on, each with a
//! message free of personal data (no titles, notes, paths, URLs, keys or server-supplied text).
//! Core errors are mapped here and nowhere else.

use coffre_core::capture::CaptureError;
use coffre_core::recovery::AgentCheckError;
use coffre_core::recovery::assisted::AssistedError;
use coffre_core::sync::protocol::ErrorCode;
use coffre_core::sync::{ErrorKind, SyncError};
use coffre_core::sync_engine::EngineError;
use coffre_core::vault::VaultError;

/// What went wrong, in terms an app can act on. `detail` is safe to log and to show.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum CoffreError {
    /// The PIN/passphrase (or the platform secret) does not open this vault. Never corruption.
    #[error("wrong passphrase")]
    WrongPassphrase { detail: String },
    /// The vault is open elsewhere (another process or a long call still running), or locked:
    /// unlock it first.
    #[error("{detail}")]
    Busy { detail: String },
    /// No such vault, document, page or device.
    #[error("{detail}")]
    NotFound { detail: String },
    /// Stored data (or data from the server) failed an integrity check. Nothing was deleted.
    #[error("{detail}")]
    Corrupt { detail: String },
    /// Something already exists (a vault in this folder, an export destination, an enrolment).
    #[error("{detail}")]
    Conflict { detail: String },
    /// No network, server unreachable or busy, or a page not downloaded yet: retry later.
    #[error("{detail}")]
    Network { detail: String },
    /// A code, link or grant that is no longer valid.
    #[error("{detail}")]
    Expired { detail: String },
    /// The server refused (device removed, quota used up, not allowed).
    #[error("{detail}")]
    Forbidden { detail: String },
    /// The caller passed something invalid (bad photo, bad corners, unknown category, bad date...).
    #[error("{detail}")]
    InvalidInput { detail: String },
    /// The phone is out of storage; nothing committed was lost.
    #[error("{detail}")]
    StorageFull { detail: String },
    /// The operation was cancelled through its [`crate::CancelHandle`].
    #[error("cancelled")]
    Cancelled { detail: String },
    /// A bug or an unexpected local failure (also what a failing platform callback becomes).
    #[error("{detail}")]
    Internal { detail: String },
}

type E = CoffreError;

fn d(s: impl Into<String>) -> String {
    s.into()
}

impl From<VaultError> for CoffreError {
    fn from(e: VaultError) -> Self {
        // The vault's messages are written to be free of personal data; we still only forward the
        // ones that carry no dependency text.
        match e {
            VaultError::WrongPassphrase => E::WrongPassphrase { detail: d("wrong passphrase") },
            VaultError::Busy => E::Busy { detail: d("the vault is in use by another process") },
            VaultError::NoVault => E::NotFound { detail: d("no vault at this location") },
            VaultError::AlreadyExists => E::Conflict { detail: d("already exists at this location") },
            VaultError::NotFound(what) => E::NotFound { detail: format!("not found: {what}") },
            VaultError::NotDownloaded => {
                E::Network { detail: d("this page has not been downloaded yet: sync or fetch the document") }
            }
            e @ (VaultError::Corrupt { .. } | VaultError::TooNew { .. }) => E::Corrupt { detail: e.to_string() },
            e @ (VaultError::TooLarge { .. } | VaultError::TypeMismatch { .. } | VaultError::InvalidInput(_)) => {
                E::InvalidInput { detail: e.to_string() }
            }
            VaultError::StorageFull => E::StorageFull { detail: d("not enough storage space on the device") },
            VaultError::Io(io) => E::Internal { detail: format!("input/output error ({})", io.kind()) },
            VaultError::Crypto(_) => E::Corrupt { detail: d("a cryptographic check failed") },
            VaultError::TooManyAttempts { failed, wait_secs } => E::Busy {
                detail: format!(
                    "too many wrong PINs ({failed} in a row): try again in {wait_secs} s; forgotten PIN: the \
                     recovery kit reopens the vault"
                ),
            },
            e @ VaultError::WeakSecret(_) => E::InvalidInput { detail: e.to_string() },
            _ => E::Internal { detail: d("unexpected vault error") },
        }
    }
}

impl From<CaptureError> for CoffreError {
    fn from(e: CaptureError) -> Self {
        match e {
            CaptureError::NoDocument { .. } => {
                E::NotFound { detail: d("no document found in the photo: let the person place the corners") }
            }
            CaptureError::Unsupported | CaptureError::Corrupt(_) => {
                E::InvalidInput { detail: d("not a readable photo (JPEG, PNG or WebP), or damaged") }
            }
            CaptureError::Heic => {
                E::InvalidInput { detail: d("HEIC photos are not supported: share the photo as JPEG") }
            }
            e @ (CaptureError::TooLarge { .. }
            | CaptureError::TooSmall { .. }
            | CaptureError::InvalidFrame(_)
            | CaptureError::InvalidCorners(_)
            | CaptureError::Empty) => E::InvalidInput { detail: e.to_string() },
            CaptureError::Encode(_) => E::Internal { detail: d("the page could not be encoded") },
            // The photo itself is the problem: the app asks for a new one (the advice is in the core).
            CaptureError::Blurred { .. } => {
                E::InvalidInput { detail: d("the photo is too blurred: retake it holding the phone still") }
            }
            CaptureError::BlankPage { .. } => {
                E::InvalidInput { detail: d("the page came out empty: retake the photo with more light") }
            }
            _ => E::Internal { detail: d("unexpected capture error") },
        }
    }
}

impl From<SyncError> for CoffreError {
    fn from(e: SyncError) -> Self {
        match &e {
            SyncError::Link(what) => return E::InvalidInput { detail: format!("device linking failed: {what}") },
            SyncError::LinkOutdated { .. } => {
                return E::InvalidInput { detail: d("linking code of an older app version: update both phones") };
            }
            SyncError::LinkRevealMismatch | SyncError::LinkAnswered => {
                return E::Forbidden { detail: format!("{e}") };
            }
            _ => {}
        }
        match e.kind() {
            ErrorKind::Network => E::Network { detail: d("no network or server unreachable; nothing is lost") },
            ErrorKind::Refused => match &e {
                // Assisted recovery's answers (sync-server/src/recovery.rs), matched on their code;
                // the server's text is never forwarded.
                SyncError::Server { code: ErrorCode::WrongPin, .. } => {
                    E::WrongPassphrase { detail: d("wrong recovery PIN") }
                }
                SyncError::Server { code: ErrorCode::TooEarly, .. } => {
                    E::Busy { detail: d("the waiting delay is not over yet: try again later") }
                }
                SyncError::Server { code: ErrorCode::Locked, .. } => E::Forbidden {
                    detail: d("too many wrong PINs on this request: start a new request (the wait will be longer)"),
                },
                SyncError::Server { code: ErrorCode::Cancelled, .. } => {
                    E::Expired { detail: d("this request was cancelled from a phone of the vault") }
                }
                // The server's registration policy (sync-server/src/registration.rs) and signing format.
                SyncError::Server { code: ErrorCode::RegistrationClosed, .. } => {
                    E::Forbidden { detail: d("this server does not take new vaults") }
                }
                SyncError::Server { code: ErrorCode::InvitationRequired, .. } => {
                    E::Forbidden { detail: d("this server creates a vault only with an invitation code from an agent") }
                }
                SyncError::Server { code: ErrorCode::BadInvitation, .. } => {
                    E::Forbidden { detail: d("this invitation code is wrong, already used or expired") }
                }
                SyncError::Server { code: ErrorCode::AddressLimited, .. } => {
                    E::Busy { detail: d("too many vaults were made from this network: try again in an hour") }
                }
                SyncError::Server { code: ErrorCode::OrgNotAllowed, .. } => {
                    E::Forbidden { detail: d("this server takes only the organisations its operator listed") }
                }
                SyncError::Server { code: ErrorCode::OldSignatureFormat, .. } => {
                    E::Forbidden { detail: d("this app is too old for this server: update it") }
                }
                SyncError::Server { status: 404, .. } => E::NotFound { detail: d("the server does not know this") },
                SyncError::Server { status: 409, .. } => E::Conflict { detail: d("the server reports a conflict") },
                SyncError::Server { status: 410, .. } => E::Expired { detail: d("no longer valid on the server") },
                SyncError::Server { status, .. } => E::Forbidden { detail: format!("the server refused ({status})") },
                _ => E::Forbidden { detail: d("the server refused") },
            },
            // The person's way forward, for the app to show (the test of `is_history_divergence`).
            ErrorKind::Integrity if e.is_history_divergence() => E::Corrupt {
                detail: format!(
                    "the server shows a history different from the one this phone saw; your documents stay \
                     on this phone. Keep a copy (export), then link this phone again from another phone of \
                     the vault or with the recovery kit ({e})"
                ),
            },
            // `SyncError`'s messages name counts and sequence numbers only.
            ErrorKind::Integrity => {
                E::Corrupt { detail: format!("the server's answer failed verification; local data is intact ({e})") }
            }
            ErrorKind::Cancelled => E::Cancelled { detail: d("cancelled") },
            ErrorKind::QuotaExceeded => E::Forbidden { detail: d("the vault's storage quota is used up") },
            ErrorKind::ServerFull => E::Forbidden {
                detail: d("the server is full: it takes no new uploads for now; nothing is lost, try again later"),
            },
            ErrorKind::UntrustedServer => E::InvalidInput {
                detail: d(
                    "the server's HTTPS certificate is not trusted: check the address, or trust the organisation's CA",
                ),
            },
            ErrorKind::Revoked => E::Forbidden { detail: d("this device was removed from the vault") },
            ErrorKind::Local => E::Internal { detail: d("sync failed locally") },
        }
    }
}

impl From<EngineError> for CoffreError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Vault(v) => v.into(),
            EngineError::Sync(s) => s.into(),
            EngineError::NotEnrolled => E::NotFound { detail: d("this vault is not connected to a server yet") },
            EngineError::AlreadyEnrolled => E::Conflict { detail: d("this vault is already connected to a server") },
            EngineError::LinkPending => E::Busy { detail: d("the other phone has not confirmed yet") },
            EngineError::LinkCodeMismatch => E::Forbidden { detail: d("the codes do not match: nothing was sent") },
            // "not secure (http://); use https://" or "not a server address": fixed texts.
            EngineError::ServerAddress(a) => E::InvalidInput { detail: a.to_string() },
            // Names a word position only, never a word.
            EngineError::RecoveryCode(e) => E::InvalidInput { detail: e.to_string() },
            EngineError::RecoverySlot(_) => {
                E::WrongPassphrase { detail: d("this recovery code does not open the vault") }
            }
            EngineError::Assisted(AssistedError::TooFewAgents) => {
                E::InvalidInput { detail: d("at least two certified agents of the organisation are needed") }
            }
            EngineError::Assisted(AssistedError::Malformed) => {
                E::InvalidInput { detail: d("an approval or share is unreadable") }
            }
            EngineError::Assisted(AssistedError::NotForThisAgent) => {
                E::Forbidden { detail: d("this agent holds no piece of this request") }
            }
            EngineError::Assisted(_) => E::Forbidden { detail: d("these recovery shares do not restore the vault") },
            EngineError::AgentCheck(AgentCheckError::NotARequest) => {
                E::InvalidInput { detail: d("not an assisted-recovery request or approval") }
            }
            // Fixed texts naming no one ("the organisation revoked one of these agents", ...).
            EngineError::AgentCheck(e) => E::Forbidden { detail: e.to_string() },
            _ => E::Internal { detail: d("unexpected sync error") },
        }
    }
}

/// A platform callback that threw something other than a `CoffreError`.
impl From<uniffi::UnexpectedUniFFICallbackError> for CoffreError {
    fn from(_: uniffi::UnexpectedUniFFICallbackError) -> Self {
        // The foreign exception text may hold anything: it is not forwarded.
        E::Internal { detail: d("a platform callback failed") }
    }
}

impl CoffreError {
    pub(crate) fn invalid(detail: &str) -> Self {
        E::InvalidInput { detail: detail.to_string() }
    }
}

pub type Result<T, Err = CoffreError> = std::result::Result<T, Err>;

#[cfg(test)]
mod tests {
    use super::*;

    const MARK: &str = "Dupont-secret";

    fn detail(e: CoffreError) -> String {
        match e {
            E::WrongPassphrase { detail }
            | E::Busy { detail }
            | E::NotFound { detail }
            | E::Corrupt { detail }
            | E::Conflict { detail }
            | E::Network { detail }
            | E::Expired { detail }
            | E::Forbidden { detail }
            | E::InvalidInput { detail }
            | E::StorageFull { detail }
            | E::Cancelled { detail }
            | E::Internal { detail } => detail,
        }
    }

    #[test]
    fn dependency_and_server_text_never_reaches_the_message() {
        let errors: Vec<CoffreError> = vec![
            CaptureError::Corrupt(MARK.into()).into(),
            CaptureError::Encode(MARK.into()).into(),
            SyncError::Network(format!("http://{MARK}/v1")).into(),
            SyncError::Server { status: 403, code: MARK.into(), message: MARK.into() }.into(),
            SyncError::Server { status: 503, code: MARK.into(), message: MARK.into() }.into(),
            SyncError::Protocol(MARK.into()).into(),
            SyncError::Io(MARK.into()).into(),
            VaultError::Io(std::io::Error::other(MARK)).into(),
            uniffi::UnexpectedUniFFICallbackError::new(MARK).into(),
            SyncError::Server { status: 403, code: "wrong_pin".into(), message: MARK.into() }.into(),
            SyncError::Server { status: 425, code: "too_early".into(), message: MARK.into() }.into(),
        ];
        for e in errors {
            let text = format!("{e} {e:?}");
            assert!(!text.contains(MARK), "{text}");
        }
    }

    #[test]
    fn a_ui_can_act_on_the_variant() {
        assert!(matches!(CoffreError::from(VaultError::WrongPassphrase), E::WrongPassphrase { .. }));
        assert!(matches!(CoffreError::from(VaultError::Busy), E::Busy { .. }));
        assert!(matches!(CoffreError::from(VaultError::StorageFull), E::StorageFull { .. }));
        assert!(matches!(CoffreError::from(SyncError::Cancelled), E::Cancelled { .. }));
        assert!(matches!(CoffreError::from(SyncError::DeviceRevoked), E::Forbidden { .. }));
        assert!(matches!(CoffreError::from(SyncError::Fork { seq: 3 }), E::Corrupt { .. }));
        assert!(matches!(CoffreError::from(SyncError::Network("x".into())), E::Network { .. }));
        assert!(matches!(CoffreError::from(EngineError::NotEnrolled), E::NotFound { detail } if !detail.is_empty()));
        let no_doc = CoffreError::from(CaptureError::NoDocument { confidence: 0.1 });
        assert!(matches!(no_doc, E::NotFound { .. }));
        let blurred = CoffreError::from(CaptureError::Blurred { blur_mm: 1.0, limit_mm: 0.7 });
        assert!(matches!(&blurred, E::InvalidInput { detail } if detail.contains("blurred")));
        let blank = CoffreError::from(CaptureError::BlankPage { ink: 0.0 });
        assert!(matches!(&blank, E::InvalidInput { detail } if detail.contains("empty")));
        assert_eq!(detail(CoffreError::from(VaultError::WrongPassphrase)), "wrong passphrase");
        let server = |status, code: &str| SyncError::Server { status, code: code.into(), message: String::new() };
        assert!(matches!(CoffreError::from(server(403, "wrong_pin")), E::WrongPassphrase { .. }));
        assert!(matches!(CoffreError::from(server(425, "too_early")), E::Busy { .. }));
        assert!(matches!(CoffreError::from(server(423, "locked")), E::Forbidden { .. }));
        assert!(matches!(CoffreError::from(server(403, "cancelled")), E::Expired { .. }));
        let not_a_request = EngineError::AgentCheck(AgentCheckError::NotARequest);
        assert!(matches!(CoffreError::from(not_a_request), E::InvalidInput { .. }));
    }
}
