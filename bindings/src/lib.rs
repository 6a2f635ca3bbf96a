#![doc = include_str!("../README.md")]

uniffi::setup_scaffolding!();

mod agent;
mod capture;
mod coffre;
mod error;
mod inner;
mod mandate;
mod progress;
mod qr;
mod recovery;
mod share;
mod sync;
mod test_hooks;
mod types;
mod vault;

pub use agent::{
    Agent, AgentDocument, AgentIdentity, AgentMandate, AgentPage, DepositReceipt, MandateOffer, MandatePackage,
    RecoveryApproval,
};
pub use capture::{AutoCapture, CaptureApi, CapturedDocument};
pub use coffre::{Coffre, UnlockAttempts};
pub use error::CoffreError;
pub use inner::PlatformSecretProvider;
pub use mandate::{AuditEvent, DepositInfo, MandateApi, MandateGrant, MandateScope, ScannedOffer};
pub use progress::{CancelHandle, ProgressListener};
pub use qr::{QrCode, qr_decode_frame, qr_decode_photo, qr_encode};
pub use recovery::{
    ApprovalRequest, AssistedRecovery, AssistedSetup, AssistedStatus, ClosureInfo, KitLanguage, RecoveryApi,
    RecoveryKit,
};
pub use share::{
    DossierInfo, DossierPiece, DossierReport, PieceStatus, ReceivedDocument, ReceivedPage, ReceivedShare, ShareApi,
    ShareInfo, ShareLifetime, ShareLink, ShareState, open_share_link,
};
pub use sync::{DeviceLink, LinkApproval, SyncApi};
#[doc(hidden)]
pub use test_hooks::debug_panic;
pub use types::*;
pub use vault::VaultApi;

/// The catalogue of document categories (code, French and English labels, collection).
#[uniffi::export]
pub fn categories() -> Vec<Category> {
    coffre_core::vault::CATALOGUE
        .iter()
        .map(|c| Category {
            code: c.code.to_string(),
            label_fr: c.label_fr.to_string(),
            label_en: c.label_en.to_string(),
            collection: c.collection.code().to_string(),
            is_identity: c.is_identity,
        })
        .collect()
}

/// Trusts the operator's certificate authority (`pem`: one or more PEM certificates) for the
/// server's HTTPS certificate, in addition to the public roots compiled into the library, for every
/// connection this process makes from now on. Call it at start, before any sync, when the
/// structure runs its own CA. Returns how many certificates were read. The library never trusts
/// certificates installed on the phone (docs/adr/0013-client-tls-trust.md).
#[uniffi::export]
pub fn trust_operator_ca(pem: String) -> Result<u32, CoffreError> {
    coffre_core::sync::trust_operator_ca(pem.as_bytes())
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
        .map_err(|e| CoffreError::InvalidInput { detail: e.to_string() })
}

/// The version of the Rust library, to compare with the generated bindings'.
#[uniffi::export]
pub fn library_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
