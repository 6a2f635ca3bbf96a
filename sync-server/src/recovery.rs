//! Recovery and closure handlers (`docs/recovery.md`):
//! - `PUT /v1/vaults/{vault}/recovery/code` (an enrolled device): store the recovery-code slot and
//!   enrol the recovery device derived from the code; the previous kit's device is removed.
//! - `GET /v1/recovery/code` (signed by a recovery device): its vault, the server key and the slot.
//!   Only the holder of the code can sign as that device, so no PIN and no rate limit beyond the
//!   per-device token bucket is needed: guessing means guessing 128 bits.
//! - `DELETE /v1/vaults/{vault}` (an enrolled device): the vault's closure; everything is deleted and
//!   the server signs a receipt.
//!
//! Slots are opaque to the server except their kind byte: it refuses any kind that is not derived
//! from a high-entropy secret, so no slot can ever be wrapped under a PIN or passphrase alone.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, put};
use axum::{Json, Router};
use coffre_sync_protocol::recovery::{ClosureReceipt, CodeSlotPut, CodeSlotPutResponse, CodeSlotResponse, slot_kind};
use coffre_sync_protocol::{PROTOCOL_VERSION, PublicKey, b64, unb64, unb64_array};

use crate::AppState;
use crate::api::{check_v, json, member, short};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::store::recovery::PutSlotOutcome;

type ApiResult<T> = Result<T, ApiError>;

/// Audit kinds of this module (the holder's audit trail, `GET /v1/vaults/{vault}/audit`).
pub mod audit_kind {
    /// A recovery kit was made (or re-made: `replaced` names the old kit's device).
    pub const KIT_MADE: &str = "recovery_kit_made";
    /// A recovery kit's code was used to fetch the slot (a new phone is being set up).
    pub const KIT_USED: &str = "recovery_kit_used";
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/vaults/{vault}", delete(close_vault))
        .route("/v1/vaults/{vault}/recovery/code", put(put_code_slot))
        .route("/v1/recovery/code", get(get_code_slot))
}

/// Forget cached enrolments of `vault` (all of them, or one device) and bump the removal epoch.
fn forget_members(state: &AppState, vault: &[u8; 32], device: Option<&PublicKey>) {
    if let Ok(mut g) = state.members.lock() {
        g.1 = g.1.wrapping_add(1);
        match device {
            Some(d) => {
                g.0.remove(&(*vault, *d));
            }
            None => g.0.retain(|(v, _), _| v != vault),
        }
    }
}

async fn put_code_slot(State(state): State<AppState>, Path(vault): Path<String>, a: Authed) -> ApiResult<Response> {
    let vault = member(&state, &vault, &a.device).await?;
    let req: CodeSlotPut = json(&a.body)?;
    check_v(req.v)?;
    let device: PublicKey = unb64_array(&req.device_pk, "device_pk")
        .ok()
        .filter(|pk| coffre_sync_protocol::verifying_key(pk).is_ok())
        .ok_or_else(|| ApiError::bad_request("bad_device_key", "device_pk is not an Ed25519 public key"))?;
    let slot = unb64(&req.slot, "slot").map_err(|_| ApiError::bad_request("bad_slot", "slot must be base64url"))?;
    if slot_kind(&slot) != Some("code") {
        return Err(ApiError::bad_request("bad_slot", "not a recovery-code slot of a supported version"));
    }
    match state.recovery.put_slot(vault, "code", device, slot, a.device, crate::now_secs()).await? {
        PutSlotOutcome::Stored { replaced } => {
            if let Some(old) = &replaced {
                forget_members(&state, &vault, Some(old));
            }
            tracing::info!(vault = %short(&vault), "recovery kit stored");
            let detail = serde_json::json!({
                "kit_device": b64(&device),
                "by_device": b64(&a.device),
                "replaced": replaced.as_ref().map(|d| b64(d)),
            });
            crate::mandate::record(&state, vault, audit_kind::KIT_MADE, detail).await;
            Ok(Json(CodeSlotPutResponse { v: PROTOCOL_VERSION, replaced: replaced.map(|d| b64(&d)) }).into_response())
        }
        PutSlotOutcome::DeviceWasRemoved => {
            Err(ApiError::conflict("device_was_removed", "this recovery device was removed; make a new kit"))
        }
        PutSlotOutcome::NoVault => Err(ApiError::not_found("unknown_vault", "no such vault")),
    }
}

async fn get_code_slot(State(state): State<AppState>, a: Authed) -> ApiResult<Json<CodeSlotResponse>> {
    let rec =
        state.recovery.slot_for_device(a.device).await?.filter(|r| r.kind == "code").ok_or_else(|| {
            ApiError::not_found("no_recovery_slot", "no recovery kit for this code (replaced or closed)")
        })?;
    tracing::info!(vault = %short(&rec.vault), "recovery kit fetched");
    let detail = serde_json::json!({ "kit_device": b64(&a.device) });
    crate::mandate::record(&state, rec.vault, audit_kind::KIT_USED, detail).await;
    Ok(Json(CodeSlotResponse {
        v: PROTOCOL_VERSION,
        vault: hex::encode(rec.vault),
        server_pk: b64(state.server_key.verifying_key().as_bytes()),
        slot: b64(&rec.slot),
    }))
}

async fn close_vault(State(state): State<AppState>, Path(vault): Path<String>, a: Authed) -> ApiResult<Response> {
    let vault = member(&state, &vault, &a.device).await?;
    // Chunks first (a failure leaves the vault closable again), then every row, then chunks again
    // (an upload racing the closure may have written one in between).
    state.chunks.delete_vault(vault).await?;
    let existed = state.recovery.close_vault(vault).await?;
    forget_members(&state, &vault, None);
    state.chunks.delete_vault(vault).await?;
    if !existed {
        return Err(ApiError::not_found("unknown_vault", "no such vault"));
    }
    let closed_at = crate::now_secs();
    tracing::info!(vault = %short(&vault), "vault closed");
    let receipt = ClosureReceipt::sign(&state.server_key, &vault, closed_at);
    Ok((StatusCode::OK, Json(receipt)).into_response())
}
