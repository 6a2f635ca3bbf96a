//! What a sync tells the holder besides the documents: assisted-recovery requests someone started for
//! this vault (issue 13 #7). Each one is shown until it is cancelled, so that a request the holder did
//! not make is noticed while there is time to cancel it (`recovery::cancel_assisted`).

use coffre_sync::SyncError;
use serde::Serialize;

use crate::error::Result;
use crate::session::Session;

/// An assisted-recovery request that is not cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecoveryAlert {
    /// The new phone's temporary key (base64url, as the server lists it).
    pub requester: String,
    /// When it was started (Unix seconds, server clock).
    pub started_at: u64,
    /// When the server would start releasing shares to it, unless cancelled.
    pub ready_at: u64,
    /// Too many wrong PINs on this request: it releases nothing (other requests are not affected).
    pub locked: bool,
}

/// The open requests of this vault, newest first. A server without the route (older version) has
/// none to tell; other failures are left to the next sync, except "this device was removed".
pub(crate) fn open_requests(s: &Session) -> Result<Vec<RecoveryAlert>> {
    match s.client.assisted_requests() {
        Ok(list) => Ok(list
            .requests
            .into_iter()
            .filter(|r| !r.cancelled)
            .map(|r| RecoveryAlert {
                requester: r.requester,
                started_at: r.started_at,
                ready_at: r.ready_at,
                locked: r.locked,
            })
            .collect()),
        Err(SyncError::DeviceRevoked) => Err(SyncError::DeviceRevoked.into()),
        Err(_) => Ok(Vec::new()),
    }
}
