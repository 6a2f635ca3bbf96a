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

/// The version of the Rust library, to compare with the generated bindings'.
#[uniffi::export]
pub fn library_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
