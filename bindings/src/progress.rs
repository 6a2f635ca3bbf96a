//! The plumbing of long calls (sync, export, an agent waiting for a mandate): a [`ProgressListener`]
//! implemented by the app and a [`CancelHandle`] the app cancels from any thread.

use crate::types::Progress;
use coffre_core::sync_engine::SyncCancel;
use std::sync::Arc;

/// Progress of a long call (sync, export), implemented by the app. Called on the calling thread;
/// post to the UI thread yourself, and return quickly.
#[uniffi::export(with_foreign)]
pub trait ProgressListener: Send + Sync {
    fn on_progress(&self, progress: Progress);
}

/// Cancels a long call from another thread. One per call; `cancel()` is sticky.
#[derive(uniffi::Object, Default)]
pub struct CancelHandle {
    pub(crate) token: SyncCancel,
}

#[uniffi::export]
impl CancelHandle {
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The call stops at its next check (between chunks) and fails with `Cancelled`; what was
    /// already committed stays, and the next sync resumes.
    pub fn cancel(&self) {
        self.token.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
}
