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
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use coffre_sync_protocol::recovery::{
    AssistedPut, AssistedRelease, AssistedShares, AssistedStatus, ClosureReceipt, CodeSlotPut, CodeSlotPutResponse,
    CodeSlotResponse, KeysRotated, SealedPiece, slot_kind,
};
use coffre_sync_protocol::{PROTOCOL_VERSION, PublicKey, b64, unb64, unb64_array};

use crate::AppState;
use crate::api::{check_v, json, member, short};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::store::recovery::{AssistedRow, PutSlotOutcome};

type ApiResult<T> = Result<T, ApiError>;

/// Audit kinds of this module (the holder's audit trail, `GET /v1/vaults/{vault}/audit`).
pub mod audit_kind {
    /// A recovery kit was made (or re-made: `replaced` names the old kit's device).
    pub const KIT_MADE: &str = "recovery_kit_made";
    /// A recovery kit's code was used to fetch the slot (a new phone is being set up).
    pub const KIT_USED: &str = "recovery_kit_used";
    pub const ASSISTED_ENABLED: &str = "assisted_recovery_enabled";
    pub const ASSISTED_STARTED: &str = "assisted_recovery_started";
    pub const ASSISTED_CANCELLED: &str = "assisted_recovery_cancelled";
    pub const ASSISTED_WRONG_PIN: &str = "assisted_recovery_wrong_pin";
    pub const ASSISTED_LOCKED: &str = "assisted_recovery_locked";
    pub const ASSISTED_RELEASED: &str = "assisted_recovery_share_released";
    pub const ASSISTED_SLOT: &str = "assisted_recovery_slot_fetched";
    /// After a lost device was removed, an enrolled device rotated the collection keys.
    pub const KEYS_ROTATED: &str = "collection_keys_rotated";
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/vaults/{vault}", delete(close_vault))
        .route("/v1/vaults/{vault}/recovery/code", put(put_code_slot))
        .route("/v1/recovery/code", get(get_code_slot))
        .route("/v1/vaults/{vault}/recovery/assisted", put(put_assisted).delete(cancel_assisted))
        .route("/v1/recovery/assisted/{vault}/start", post(start_assisted))
        .route("/v1/recovery/assisted/{vault}/release", post(release_assisted))
        .route("/v1/recovery/assisted/slot", get(get_assisted_slot))
        .route("/v1/vaults/{vault}/recovery/keys-rotated", post(keys_rotated))
}

/// An enrolled device says it rotated the collection keys after removing a lost device: an audit
/// entry, so the holder sees it in the trail (the server cannot check it; it only records who said it).
async fn keys_rotated(State(state): State<AppState>, Path(vault): Path<String>, a: Authed) -> ApiResult<StatusCode> {
    let vault = member(&state, &vault, &a.device).await?;
    let req: KeysRotated = json(&a.body)?;
    check_v(req.v)?;
    let removed: PublicKey = unb64_array(&req.removed_device, "removed_device")
        .map_err(|_| ApiError::bad_request("bad_device_key", "removed_device must be a public key"))?;
    let detail = serde_json::json!({
        "by_device": b64(&a.device),
        "removed_device": b64(&removed),
        "collections": req.collections,
    });
    crate::mandate::record(&state, vault, audit_kind::KEYS_ROTATED, detail).await;
    Ok(StatusCode::NO_CONTENT)
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
    match state.recovery.put_slot(vault, "code", device, slot, a.device, crate::now_secs(), true).await? {
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

// ---------------------------------------------------------------------------------------------------
// Assisted recovery: nothing is released before `recovery_delay_secs` after a request starts, any
// enrolled device can cancel meanwhile, and the provider share needs the PIN (`recovery_pin_tries`
// wrong ones lock it until an enrolled device sets assisted recovery up again).

fn vault_param(vault: &str) -> ApiResult<[u8; 32]> {
    coffre_sync_protocol::unhex32(vault, "vault").map_err(|_| ApiError::not_found("unknown_vault", "no such vault"))
}

fn status(state: &AppState, row: &AssistedRow) -> AssistedStatus {
    let (started_at, cancelled) = row.request.map(|r| (r.started_at, r.cancelled_at.is_some())).unwrap_or((0, false));
    AssistedStatus {
        v: PROTOCOL_VERSION,
        started_at,
        ready_at: started_at.saturating_add(state.cfg.recovery_delay_secs),
        cancelled,
        locked: row.failures >= state.cfg.recovery_pin_tries,
    }
}

/// The request, if it exists, is not cancelled, and its delay has passed.
fn ready(state: &AppState, row: &AssistedRow) -> ApiResult<()> {
    let Some(req) = row.request else {
        return Err(ApiError::forbidden("no_request", "no assisted recovery was started"));
    };
    if req.cancelled_at.is_some() {
        return Err(ApiError::forbidden("cancelled", "this assisted recovery was cancelled from an enrolled device"));
    }
    if crate::now_secs() < req.started_at.saturating_add(state.cfg.recovery_delay_secs) {
        let mut e = ApiError::new(StatusCode::TOO_EARLY, "too_early", "the waiting delay has not passed yet");
        e.retry_after = Some(req.started_at.saturating_add(state.cfg.recovery_delay_secs) - crate::now_secs());
        return Err(e);
    }
    Ok(())
}

async fn put_assisted(State(state): State<AppState>, Path(vault): Path<String>, a: Authed) -> ApiResult<Response> {
    let vault = member(&state, &vault, &a.device).await?;
    let req: AssistedPut = json(&a.body)?;
    check_v(req.v)?;
    let bad = |code: &'static str, m: &str| ApiError::bad_request(code, m.to_string());
    let device: PublicKey = unb64_array(&req.device_pk, "device_pk")
        .ok()
        .filter(|pk| coffre_sync_protocol::verifying_key(pk).is_ok())
        .ok_or_else(|| bad("bad_device_key", "device_pk is not an Ed25519 public key"))?;
    let slot = unb64(&req.slot, "slot").map_err(|_| bad("bad_slot", "slot must be base64url"))?;
    if slot_kind(&slot) != Some("assisted") {
        return Err(bad("bad_slot", "not an assisted-recovery slot of a supported version"));
    }
    let verifier: [u8; 32] =
        unb64_array(&req.pin_verifier, "pin_verifier").map_err(|_| bad("bad_pin_verifier", "32 bytes expected"))?;
    let provider_share = unb64(&req.provider_share, "provider_share")
        .ok()
        .filter(|s| s.len() == 35)
        .ok_or_else(|| bad("bad_share", "malformed provider share"))?;
    let org: PublicKey = unb64_array(&req.org, "org").map_err(|_| bad("bad_org", "org must be a public key"))?;
    if req.org_pieces.len() < 2 || req.org_pieces.len() > 64 {
        return Err(bad("bad_pieces", "2 to 64 organisation pieces"));
    }
    let pieces = serde_json::to_vec(&req.org_pieces).map_err(|_| bad("bad_pieces", "malformed pieces"))?;
    let now = crate::now_secs();
    let replaced = match state.recovery.put_slot(vault, "assisted", device, slot, a.device, now, false).await? {
        PutSlotOutcome::Stored { replaced } => {
            if let Some(old) = &replaced {
                forget_members(&state, &vault, Some(old));
            }
            replaced
        }
        PutSlotOutcome::DeviceWasRemoved => {
            return Err(ApiError::conflict("device_was_removed", "this recovery device was removed"));
        }
        PutSlotOutcome::NoVault => return Err(ApiError::not_found("unknown_vault", "no such vault")),
    };
    let pin_hash = coffre_sync_protocol::sha256(&verifier);
    let row = AssistedRow { pin_hash, provider_share, org: org.to_vec(), pieces, failures: 0, request: None };
    state.recovery.put_assisted(vault, row).await?;
    let detail = serde_json::json!({ "org": b64(&org), "by_device": b64(&a.device), "kit_device": b64(&device) });
    crate::mandate::record(&state, vault, audit_kind::ASSISTED_ENABLED, detail).await;
    Ok(Json(CodeSlotPutResponse { v: PROTOCOL_VERSION, replaced: replaced.map(|d| b64(&d)) }).into_response())
}

async fn start_assisted(
    State(state): State<AppState>,
    Path(vault): Path<String>,
    a: Authed,
) -> ApiResult<Json<AssistedStatus>> {
    let vault = vault_param(&vault)?;
    let not_set_up = || ApiError::not_found("no_assisted_recovery", "assisted recovery is not set up for this vault");
    let row = state.recovery.assisted(vault).await?.ok_or_else(not_set_up)?;
    if row.failures >= state.cfg.recovery_pin_tries {
        return Err(ApiError::new(StatusCode::LOCKED, "locked", "too many wrong PINs; ask from an enrolled device"));
    }
    if !state.recovery.start_assisted(vault, a.device, crate::now_secs()).await? {
        return Err(not_set_up());
    }
    crate::mandate::record(
        &state,
        vault,
        audit_kind::ASSISTED_STARTED,
        serde_json::json!({ "requester": b64(&a.device) }),
    )
    .await;
    let row = state.recovery.assisted(vault).await?.ok_or_else(not_set_up)?;
    Ok(Json(status(&state, &row)))
}

async fn cancel_assisted(
    State(state): State<AppState>,
    Path(vault): Path<String>,
    a: Authed,
) -> ApiResult<Json<AssistedStatus>> {
    let vault = member(&state, &vault, &a.device).await?;
    if !state.recovery.cancel_assisted(vault, crate::now_secs()).await? {
        return Err(ApiError::not_found("no_request", "no assisted recovery to cancel"));
    }
    crate::mandate::record(
        &state,
        vault,
        audit_kind::ASSISTED_CANCELLED,
        serde_json::json!({ "by_device": b64(&a.device) }),
    )
    .await;
    let row = state
        .recovery
        .assisted(vault)
        .await?
        .ok_or_else(|| ApiError::not_found("no_request", "no assisted recovery to cancel"))?;
    Ok(Json(status(&state, &row)))
}

async fn release_assisted(
    State(state): State<AppState>,
    Path(vault): Path<String>,
    a: Authed,
) -> ApiResult<Json<AssistedShares>> {
    let vault = vault_param(&vault)?;
    let req: AssistedRelease = json(&a.body)?;
    check_v(req.v)?;
    let row =
        state.recovery.assisted(vault).await?.ok_or_else(|| {
            ApiError::not_found("no_assisted_recovery", "assisted recovery is not set up for this vault")
        })?;
    if row.request.map(|r| r.requester) != Some(a.device) {
        return Err(ApiError::forbidden("not_the_requester", "only the device that started the request may continue"));
    }
    if row.failures >= state.cfg.recovery_pin_tries {
        return Err(ApiError::new(StatusCode::LOCKED, "locked", "too many wrong PINs; ask from an enrolled device"));
    }
    ready(&state, &row)?;
    let verifier: [u8; 32] = unb64_array(&req.pin_verifier, "pin_verifier")
        .map_err(|_| ApiError::bad_request("bad_pin_verifier", "32 bytes expected"))?;
    // Both sides are SHA-256 outputs of secrets: comparing them leaks nothing useful about the PIN.
    if coffre_sync_protocol::sha256(&verifier) != row.pin_hash {
        let failures = state.recovery.assisted_pin_failed(vault).await?;
        let kind = if failures >= state.cfg.recovery_pin_tries {
            audit_kind::ASSISTED_LOCKED
        } else {
            audit_kind::ASSISTED_WRONG_PIN
        };
        crate::mandate::record(&state, vault, kind, serde_json::json!({ "failures": failures })).await;
        let left = state.cfg.recovery_pin_tries.saturating_sub(failures);
        return Err(ApiError::forbidden("wrong_pin", format!("wrong PIN; {left} tries left")));
    }
    let org_pieces: Vec<SealedPiece> = serde_json::from_slice(&row.pieces)
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "corrupt", "stored pieces are corrupt"))?;
    crate::mandate::record(
        &state,
        vault,
        audit_kind::ASSISTED_RELEASED,
        serde_json::json!({ "requester": b64(&a.device) }),
    )
    .await;
    Ok(Json(AssistedShares {
        v: PROTOCOL_VERSION,
        provider_share: b64(&row.provider_share),
        org: b64(&row.org),
        org_pieces,
    }))
}

/// Signed by the assisted recovery device (derived from the rebuilt assisted key): the slot, once
/// a request is past its delay and not cancelled — whichever two shares rebuilt the key.
async fn get_assisted_slot(State(state): State<AppState>, a: Authed) -> ApiResult<Json<CodeSlotResponse>> {
    let none = || ApiError::not_found("no_recovery_slot", "no assisted-recovery slot for this key");
    let rec = state.recovery.slot_for_device(a.device).await?.filter(|r| r.kind == "assisted").ok_or_else(none)?;
    let row = state.recovery.assisted(rec.vault).await?.ok_or_else(none)?;
    ready(&state, &row)?;
    // Only now does the assisted recovery device become a member (to enrol the new phone).
    if !state.meta.add_device(rec.vault, a.device, a.device, crate::now_secs()).await? {
        return Err(none());
    }
    crate::mandate::record(
        &state,
        rec.vault,
        audit_kind::ASSISTED_SLOT,
        serde_json::json!({ "device": b64(&a.device) }),
    )
    .await;
    Ok(Json(CodeSlotResponse {
        v: PROTOCOL_VERSION,
        vault: hex::encode(rec.vault),
        server_pk: b64(state.server_key.verifying_key().as_bytes()),
        slot: b64(&rec.slot),
    }))
}
