//! What the server says about a request: logs and metrics, never a vault id, path, header or body.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use coffre_sync_protocol::Hash;

use crate::state::AppState;

/// Short, non-reversible vault tag for logs.
pub fn short(vault: &Hash) -> String {
    hex::encode(&vault[..4])
}

/// Logging and metrics for every request. Logs the route template, never the concrete path (it holds
/// vault, chunk and mailbox ids), never headers or bodies.
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string());
    state.metrics.in_flight.fetch_add(1, Relaxed);
    let resp = next.run(req).await;
    state.metrics.in_flight.fetch_sub(1, Relaxed);
    let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    let status = resp.status().as_u16();
    state.metrics.observe(status, micros);
    let route = route.as_deref().unwrap_or("-");
    if status >= 500 {
        tracing::error!(%method, route, status, micros, "request");
    } else if status >= 400 {
        tracing::info!(%method, route, status, micros, "request");
    } else {
        tracing::debug!(%method, route, status, micros, "request");
    }
    resp
}
