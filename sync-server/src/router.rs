//! Every route in one place: the table the OpenAPI document is checked against, and the router that
//! serves it with the body limits and the request observer.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use coffre_sync_protocol::ErrorCode;

use crate::auth::BodyLimit;
use crate::error::ApiError;
use crate::state::AppState;
use crate::{api, generation, mandate, observe, recovery, request_limits, share};

/// Every route, as `(method, path template)`. The OpenAPI document must list exactly these (tested).
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("get", "/v1/server"),
    ("post", "/v1/vaults"),
    ("get", "/v1/vaults/{vault}"),
    ("get", "/v1/vaults/{vault}/devices"),
    ("post", "/v1/vaults/{vault}/devices"),
    ("delete", "/v1/vaults/{vault}/devices/{device}"),
    ("get", "/v1/vaults/{vault}/ops"),
    ("post", "/v1/vaults/{vault}/ops"),
    ("put", "/v1/vaults/{vault}/chunks/{hash}"),
    ("get", "/v1/vaults/{vault}/chunks/{hash}"),
    ("post", "/v1/vaults/{vault}/chunks/missing"),
    ("post", "/v1/vaults/{vault}/chunks/fetch"),
    ("post", "/v1/vaults/{vault}/blobs"),
    ("get", "/v1/vaults/{vault}/blobs/{blob_id}"),
    ("put", "/v1/mailbox/{id}"),
    ("get", "/v1/mailbox/{id}"),
    ("delete", "/v1/mailbox/{id}"),
    // organisations, mandates, deposits, audit (mandate.rs)
    ("post", "/v1/orgs"),
    ("get", "/v1/orgs/{org}"),
    ("post", "/v1/orgs/{org}/revocations"),
    ("post", "/v1/orgs/{org}/invitations"),
    ("get", "/v1/vaults/{vault}/mandates"),
    ("post", "/v1/vaults/{vault}/mandates"),
    ("delete", "/v1/vaults/{vault}/mandates/{id}"),
    ("put", "/v1/vaults/{vault}/mandates/{id}/package"),
    ("get", "/v1/vaults/{vault}/deposits"),
    ("delete", "/v1/vaults/{vault}/deposits/{id}"),
    ("get", "/v1/vaults/{vault}/audit"),
    ("get", "/v1/agent/vaults/{vault}/mandates/{id}"),
    ("post", "/v1/agent/vaults/{vault}/mandates/{id}/deposits"),
    ("get", "/v1/agent/vaults/{vault}/mandates/{id}/package"),
    ("get", "/v1/agent/vaults/{vault}/mandates/{id}/blobs/{blob_id}"),
    ("post", "/v1/agent/vaults/{vault}/mandates/{id}/transmissions"),
    ("delete", "/v1/vaults/{vault}"),
    ("put", "/v1/vaults/{vault}/recovery/code"),
    ("get", "/v1/recovery/code"),
    ("put", "/v1/vaults/{vault}/recovery/assisted"),
    ("delete", "/v1/vaults/{vault}/recovery/assisted"),
    ("get", "/v1/vaults/{vault}/recovery/assisted"),
    ("post", "/v1/recovery/assisted/{vault}/start"),
    ("post", "/v1/recovery/assisted/{vault}/release"),
    ("get", "/v1/recovery/assisted/slot"),
    ("post", "/v1/vaults/{vault}/recovery/keys-rotated"),
    // account key generations (generation.rs)
    ("post", "/v1/vaults/{vault}/generation"),
    // share links (share.rs)
    ("post", "/v1/vaults/{vault}/shares"),
    ("get", "/v1/vaults/{vault}/shares"),
    ("delete", "/v1/vaults/{vault}/shares/{id}"),
    ("get", "/s/{id}"),
    ("post", "/s/{id}/open"),
    ("get", "/s/{id}/pages/{index}"),
    ("get", "/assets/share-viewer.js"),
];

pub fn router(state: AppState) -> Router {
    let json_limit = usize::try_from(state.cfg.max_json_bytes).unwrap_or(usize::MAX);
    Router::new()
        .merge(api::routes(&state))
        .merge(mandate::routes())
        .merge(recovery::routes())
        .merge(generation::routes())
        .merge(share::routes(&state))
        .fallback(no_route)
        .layer(DefaultBodyLimit::max(json_limit))
        .layer(axum::Extension(BodyLimit(state.cfg.max_json_bytes)))
        .layer(axum::middleware::from_fn_with_state(state.clone(), request_limits::limit_requests))
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe::observe))
        .with_state(state)
}

async fn no_route() -> ApiError {
    ApiError::not_found(ErrorCode::NoRoute, "no such endpoint")
}
