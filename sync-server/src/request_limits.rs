//! Limits on each request, around every handler: at most `max_in_flight` handled at once (the next get
//! `503 server_busy` at once rather than queue and hold memory), and none longer than
//! `request_timeout_secs`, its body included (then `408 request_timeout`, and the connection closes
//! because the body was not read to its end).

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use coffre_sync_protocol::ErrorCode;

use crate::error::ApiError;
use crate::state::AppState;

pub async fn limit_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Ok(_slot) = state.in_flight.clone().try_acquire_owned() else {
        state.metrics.rate_limited();
        let mut e =
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::ServerBusy, "the server is busy; retry shortly");
        e.retry_after = Some(1);
        return e.into_response();
    };
    match tokio::time::timeout(Duration::from_secs(state.cfg.request_timeout_secs), next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            ErrorCode::RequestTimeout,
            "the request took too long; send it again",
        )
        .into_response(),
    }
}
