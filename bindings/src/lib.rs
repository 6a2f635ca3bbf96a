#![doc = include_str!("../README.md")]

uniffi::setup_scaffolding!();

mod agent;
mod capture;
mod coffre;
mod error;
mod mandate;
mod qr;
mod recovery;
mod share;
mod sync;
mod types;
mod vault;

pub use agent::{
    Agent, AgentDocument, AgentIdentity, AgentMandate, AgentPage, DepositReceipt, MandateOffer, MandatePackage,
    RecoveryApproval,
};
pub use capture::{AutoCapture, CaptureApi, CapturedDocument};
pub use coffre::{Coffre, PlatformSecretProvider};
pub use error::CoffreError;
pub use mandate::{AuditEvent, DepositInfo, MandateApi, MandateInfo, MandateScope, ScannedOffer};
pub use qr::{QrCode, qr_decode_frame, qr_decode_photo, qr_encode};
pub use recovery::{
    ApprovalRequest, AssistedRecovery, AssistedSetup, AssistedStatus, ClosureInfo, KitLanguage, RecoveryApi,
    RecoveryKit,
};
pub use share::{
    DossierInfo, DossierPiece, DossierReport, PieceStatus, ReceivedDocument, ReceivedPage, ReceivedShare, ShareApi,
    ShareInfo, ShareLifetime, ShareLink, ShareState, open_share_link,
};
pub use sync::{CancelHandle, DeviceLink, ProgressListener, SyncApi};
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

/// Test hook (not for app code): panics inside the library, to check that the panic becomes an
/// exception on the foreign side instead of aborting the app.
#[doc(hidden)]
#[uniffi::export]
pub fn debug_panic() -> Result<(), CoffreError> {
    // Returns a `Result` so that Swift, too, sees the panic as a thrown error (uniffi's Swift
    // bindings trap on a panic in a non-throwing function).
    debug_panic_inside_core();
    Ok(())
}

#[inline(never)]
pub(crate) fn debug_panic_inside_core() {
    // A deliberate panic, with a message free of personal data.
    let empty: Vec<u8> = Vec::new();
    let _ = std::hint::black_box(&empty)[std::hint::black_box(1)];
}
