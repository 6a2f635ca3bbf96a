//! Replay protection that survives a restart: a request that can change state is refused if its nonce
//! was recorded in the store ([`crate::store::replay::ReplayStore`]), not only in this process's cache.
//! Reads (`GET`, `HEAD`) change nothing and stay on the in-memory cache alone, so they cost no write;
//! so do the bulk-transfer routes, which are idempotent by content (an op by its signature, a chunk by
//! its hash, a blob by its id; `missing` and `fetch` only read): a replay of them changes nothing, and a
//! write per chunk would slow a first sync. Every other route, present or future, is checked.

use axum::http::Method;
use coffre_sync_protocol::{ErrorCode, Hash};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Whether a replay of this request cannot change anything, so the store need not be asked.
fn replay_is_harmless(method: &Method, path: &str) -> bool {
    if *method == Method::GET || *method == Method::HEAD {
        return true;
    }
    let Some(rest) = path.strip_prefix("/v1/vaults/") else { return false };
    let tail = rest.split_once('/').map_or("", |(_, t)| t);
    match *method {
        Method::PUT => tail.strip_prefix("chunks/").is_some_and(|h| !h.contains('/')),
        Method::POST => matches!(tail, "ops" | "blobs" | "chunks/missing" | "chunks/fetch"),
        _ => false,
    }
}

/// Refuses a replayed state-changing request (`401 replayed`); called once the signature verified.
/// `path` is the request's path (without the query).
pub async fn refuse_replay(
    state: &AppState,
    method: &Method,
    path: &str,
    nonce_key: Hash,
    expires_at: u64,
    now: u64,
) -> ApiResult<()> {
    if replay_is_harmless(method, path) {
        return Ok(());
    }
    if state.replays.first_use(nonce_key, expires_at, now).await? {
        Ok(())
    } else {
        state.metrics.auth_failure("replay");
        Err(ApiError::unauthorized(ErrorCode::Replayed, "this request was already received"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reads_and_content_addressed_transfers_skip_the_store() {
        let v = "/v1/vaults/ab12";
        for (m, p) in [
            (Method::GET, format!("{v}/ops")),
            (Method::PUT, format!("{v}/chunks/00ff")),
            (Method::POST, format!("{v}/ops")),
            (Method::POST, format!("{v}/blobs")),
            (Method::POST, format!("{v}/chunks/fetch")),
        ] {
            assert!(replay_is_harmless(&m, &p), "{m} {p}");
        }
        for (m, p) in [
            (Method::POST, format!("{v}/recovery/keys-rotated")),
            (Method::PUT, format!("{v}/recovery/assisted")),
            (Method::POST, "/v1/recovery/assisted/ab12/start".to_string()),
            (Method::DELETE, format!("{v}/devices/xyz")),
            (Method::PUT, format!("{v}/chunks/00ff/extra")),
            (Method::POST, format!("{v}/shares")),
            (Method::DELETE, v.to_string()),
        ] {
            assert!(!replay_is_harmless(&m, &p), "{m} {p}");
        }
    }
}
