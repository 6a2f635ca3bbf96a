//! The disk-space watermark: new uploads (chunks, shares, new vaults) are refused with `507
//! server_full` once the file system holding the data directory has less than `min_free_disk_bytes`
//! free, so the server stops taking data before SQLite or a chunk write fails on a full disk (a full
//! disk can leave the database unable to commit anything, deletions included). Reads, pulls,
//! deletions and op appends keep working, so people can still sync and free space.

use axum::http::StatusCode;
use coffre_sync_protocol::ErrorCode;

use crate::error::ApiError;
use crate::state::AppState;

/// Bytes free for the server's account on the file system of `dir` (`None` if it cannot be asked).
pub fn free_bytes(dir: &std::path::Path) -> Option<u64> {
    #[cfg(unix)]
    {
        let st = rustix::fs::statvfs(dir).ok()?;
        Some(st.f_bavail.saturating_mul(st.f_frsize))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// `Err(server_full)` when an upload must be refused. One `statvfs` call: cheap next to the upload.
pub fn check(state: &AppState) -> Result<(), ApiError> {
    let min = state.cfg.min_free_disk_bytes;
    if min == 0 {
        return Ok(());
    }
    match free_bytes(&state.cfg.data_dir) {
        Some(free) if free < min => {
            tracing::warn!(free, min, "disk below the free-space watermark: upload refused");
            Err(server_full())
        }
        _ => Ok(()),
    }
}

pub fn server_full() -> ApiError {
    ApiError::new(
        StatusCode::INSUFFICIENT_STORAGE,
        ErrorCode::ServerFull,
        "the server is full and takes no new uploads for now; its operator must free space",
    )
}
