//! Replay protection that survives a restart: a request that can change state is refused if its nonce
//! was recorded in the store ([`crate::store::replay::ReplayStore`]), not only in this process's cache.
//! Reads (`GET`, `HEAD`) change nothing and stay on the in-memory cache alone, so they cost no write.

use axum::http::Method;
use coffre_sync_protocol::{ErrorCode, Hash};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Refuses a replayed state-changing request (`401 replayed`); called once the signature verified.
pub async fn refuse_replay(
    state: &AppState,
    method: &Method,
    nonce_key: Hash,
    expires_at: u64,
    now: u64,
) -> ApiResult<()> {
    if *method == Method::GET || *method == Method::HEAD {
        return Ok(());
    }
    if state.replays.first_use(nonce_key, expires_at, now).await? {
        Ok(())
    } else {
        state.metrics.auth_failure("replay");
        Err(ApiError::unauthorized(ErrorCode::Replayed, "this request was already received"))
    }
}
