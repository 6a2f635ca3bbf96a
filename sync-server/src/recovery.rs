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
use coffre_sync_protocol::{AuditKind, ErrorCode, PROTOCOL_VERSION, PublicKey, VaultId, b64, unb64, unb64_array};

use crate::audit;
use crate::auth::Authed;
use crate::clock::now_secs;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Member, VersionedJson, vault_param};
use crate::observe::short;
use crate::state::AppState;
use crate::store::recovery::{AssistedRow, Enrolment, PutSlotOutcome, SlotKind};

/// The routes of this module (also listed in `router::ROUTES`).
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
async fn keys_rotated(
    State(state): State<AppState>,
    Member { vault, device: signer, body: VersionedJson(req), .. }: Member<VersionedJson<KeysRotated>>,
) -> ApiResult<StatusCode> {
    let removed: PublicKey = unb64_array(&req.removed_device, "removed_device")
        .map_err(|_| ApiError::bad_request(ErrorCode::BadDeviceKey, "removed_device must be a public key"))?;
    let detail = serde_json::json!({
        "by_device": b64(&signer),
        "removed_device": b64(&removed),
        "collections": req.collections,
    });
    audit::record(&state, vault, AuditKind::CollectionKeysRotated, detail).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn put_code_slot(
    State(state): State<AppState>,
    Member { vault, device: signer, body: VersionedJson(req), .. }: Member<VersionedJson<CodeSlotPut>>,
) -> ApiResult<Response> {
    let device: PublicKey = unb64_array(&req.device_pk, "device_pk")
        .ok()
        .filter(|pk| coffre_sync_protocol::verifying_key(pk).is_ok())
        .ok_or_else(|| ApiError::bad_request(ErrorCode::BadDeviceKey, "device_pk is not an Ed25519 public key"))?;
    let slot =
        unb64(&req.slot, "slot").map_err(|_| ApiError::bad_request(ErrorCode::BadSlot, "slot must be base64url"))?;
    if slot_kind(&slot) != Some("code") {
        return Err(ApiError::bad_request(ErrorCode::BadSlot, "not a recovery-code slot of a supported version"));
    }
    match state.recovery.put_slot(vault, SlotKind::Code, device, slot, signer, now_secs(), Enrolment::Now).await? {
        PutSlotOutcome::Stored { replaced } => {
            if let Some(old) = &replaced {
                state.members.forget_device(&vault, old);
            }
            tracing::info!(vault = %short(&vault), "recovery kit stored");
            let detail = serde_json::json!({
                "kit_device": b64(&device),
                "by_device": b64(&signer),
                "replaced": replaced.as_ref().map(|d| b64(d)),
            });
            audit::record(&state, vault, AuditKind::RecoveryKitMade, detail).await;
            Ok(Json(CodeSlotPutResponse { v: PROTOCOL_VERSION, replaced: replaced.map(|d| b64(&d)) }).into_response())
        }
        PutSlotOutcome::DeviceWasRemoved => {
            Err(ApiError::conflict(ErrorCode::DeviceWasRemoved, "this recovery device was removed; make a new kit"))
        }
        PutSlotOutcome::NoVault => Err(ApiError::unknown_vault()),
    }
}

async fn get_code_slot(State(state): State<AppState>, a: Authed) -> ApiResult<Json<CodeSlotResponse>> {
    let rec = state.recovery.slot_for_device(a.device).await?.filter(|r| r.kind == "code").ok_or_else(|| {
        ApiError::not_found(ErrorCode::NoRecoverySlot, "no recovery kit for this code (replaced or closed)")
    })?;
    tracing::info!(vault = %short(&rec.vault), "recovery kit fetched");
    let detail = serde_json::json!({ "kit_device": b64(&a.device) });
    audit::record(&state, rec.vault, AuditKind::RecoveryKitUsed, detail).await;
    Ok(Json(CodeSlotResponse {
        v: PROTOCOL_VERSION,
        vault: VaultId::from(rec.vault).to_string(),
        server_pk: b64(state.server_key.verifying_key().as_bytes()),
        slot: b64(&rec.slot),
    }))
}

async fn close_vault(State(state): State<AppState>, Member { vault, .. }: Member) -> ApiResult<Response> {
    // Chunks first (a failure leaves the vault closable again), then every row, then chunks again
    // (an upload racing the closure may have written one in between).
    state.chunks.delete_vault(vault).await?;
    let existed = state.recovery.close_vault(vault).await?;
    state.members.forget_vault(&vault);
    state.chunks.delete_vault(vault).await?;
    if !existed {
        return Err(ApiError::unknown_vault());
    }
    let closed_at = now_secs();
    tracing::info!(vault = %short(&vault), "vault closed");
    let receipt = ClosureReceipt::sign(&state.server_key, &vault, closed_at);
    Ok((StatusCode::OK, Json(receipt)).into_response())
}

// ---------------------------------------------------------------------------------------------------
// Assisted recovery: nothing is released before `recovery_delay_secs` after a request starts, any
// enrolled device can cancel meanwhile, and the provider share needs the PIN (`recovery_pin_tries`
// wrong ones lock it until an enrolled device sets assisted recovery up again).

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
        return Err(ApiError::forbidden(ErrorCode::NoRequest, "no assisted recovery was started"));
    };
    if req.cancelled_at.is_some() {
        return Err(ApiError::forbidden(
            ErrorCode::Cancelled,
            "this assisted recovery was cancelled from an enrolled device",
        ));
    }
    if now_secs() < req.started_at.saturating_add(state.cfg.recovery_delay_secs) {
        let mut e = ApiError::new(StatusCode::TOO_EARLY, ErrorCode::TooEarly, "the waiting delay has not passed yet");
        e.retry_after = Some(req.started_at.saturating_add(state.cfg.recovery_delay_secs) - now_secs());
        return Err(e);
    }
    Ok(())
}

async fn put_assisted(
    State(state): State<AppState>,
    Member { vault, device: signer, body: VersionedJson(req), .. }: Member<VersionedJson<AssistedPut>>,
) -> ApiResult<Response> {
    let bad = |code: ErrorCode, m: &str| ApiError::bad_request(code, m.to_string());
    let device: PublicKey = unb64_array(&req.device_pk, "device_pk")
        .ok()
        .filter(|pk| coffre_sync_protocol::verifying_key(pk).is_ok())
        .ok_or_else(|| bad(ErrorCode::BadDeviceKey, "device_pk is not an Ed25519 public key"))?;
    let slot = unb64(&req.slot, "slot").map_err(|_| bad(ErrorCode::BadSlot, "slot must be base64url"))?;
    if slot_kind(&slot) != Some("assisted") {
        return Err(bad(ErrorCode::BadSlot, "not an assisted-recovery slot of a supported version"));
    }
    let verifier: [u8; 32] = unb64_array(&req.pin_verifier, "pin_verifier")
        .map_err(|_| bad(ErrorCode::BadPinVerifier, "32 bytes expected"))?;
    let provider_share = unb64(&req.provider_share, "provider_share")
        .ok()
        .filter(|s| s.len() == 35)
        .ok_or_else(|| bad(ErrorCode::BadShare, "malformed provider share"))?;
    let org: PublicKey =
        unb64_array(&req.org, "org").map_err(|_| bad(ErrorCode::BadOrg, "org must be a public key"))?;
    if req.org_pieces.len() < 2 || req.org_pieces.len() > 64 {
        return Err(bad(ErrorCode::BadPieces, "2 to 64 organisation pieces"));
    }
    let pieces = serde_json::to_vec(&req.org_pieces).map_err(|_| bad(ErrorCode::BadPieces, "malformed pieces"))?;
    let now = now_secs();
    let replaced = match state
        .recovery
        .put_slot(vault, SlotKind::Assisted, device, slot, signer, now, Enrolment::WhenFetched)
        .await?
    {
        PutSlotOutcome::Stored { replaced } => {
            if let Some(old) = &replaced {
                state.members.forget_device(&vault, old);
            }
            replaced
        }
        PutSlotOutcome::DeviceWasRemoved => {
            return Err(ApiError::conflict(ErrorCode::DeviceWasRemoved, "this recovery device was removed"));
        }
        PutSlotOutcome::NoVault => return Err(ApiError::unknown_vault()),
    };
    let pin_hash = coffre_sync_protocol::sha256(&verifier);
    let row = AssistedRow { pin_hash, provider_share, org: org.to_vec(), pieces, failures: 0, request: None };
    state.recovery.put_assisted(vault, row).await?;
    let detail = serde_json::json!({ "org": b64(&org), "by_device": b64(&signer), "kit_device": b64(&device) });
    audit::record(&state, vault, AuditKind::AssistedRecoveryEnabled, detail).await;
    Ok(Json(CodeSlotPutResponse { v: PROTOCOL_VERSION, replaced: replaced.map(|d| b64(&d)) }).into_response())
}

async fn start_assisted(
    State(state): State<AppState>,
    Path(vault): Path<String>,
    a: Authed,
) -> ApiResult<Json<AssistedStatus>> {
    let vault = vault_param(&vault)?;
    let not_set_up =
        || ApiError::not_found(ErrorCode::NoAssistedRecovery, "assisted recovery is not set up for this vault");
    let row = state.recovery.assisted(vault).await?.ok_or_else(not_set_up)?;
    if row.failures >= state.cfg.recovery_pin_tries {
        return Err(ApiError::new(
            StatusCode::LOCKED,
            ErrorCode::Locked,
            "too many wrong PINs; ask from an enrolled device",
        ));
    }
    if !state.recovery.start_assisted(vault, a.device, now_secs()).await? {
        return Err(not_set_up());
    }
    audit::record(
        &state,
        vault,
        AuditKind::AssistedRecoveryStarted,
        serde_json::json!({ "requester": b64(&a.device) }),
    )
    .await;
    let row = state.recovery.assisted(vault).await?.ok_or_else(not_set_up)?;
    Ok(Json(status(&state, &row)))
}

async fn cancel_assisted(
    State(state): State<AppState>,
    Member { vault, device: signer, .. }: Member,
) -> ApiResult<Json<AssistedStatus>> {
    if !state.recovery.cancel_assisted(vault, now_secs()).await? {
        return Err(ApiError::not_found(ErrorCode::NoRequest, "no assisted recovery to cancel"));
    }
    audit::record(
        &state,
        vault,
        AuditKind::AssistedRecoveryCancelled,
        serde_json::json!({ "by_device": b64(&signer) }),
    )
    .await;
    let row = state
        .recovery
        .assisted(vault)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::NoRequest, "no assisted recovery to cancel"))?;
    Ok(Json(status(&state, &row)))
}

async fn release_assisted(
    State(state): State<AppState>,
    Path(vault): Path<String>,
    a: Authed,
) -> ApiResult<Json<AssistedShares>> {
    let vault = vault_param(&vault)?;
    let req: AssistedRelease = VersionedJson::parse(&a.body)?;
    let row = state.recovery.assisted(vault).await?.ok_or_else(|| {
        ApiError::not_found(ErrorCode::NoAssistedRecovery, "assisted recovery is not set up for this vault")
    })?;
    if row.request.map(|r| r.requester) != Some(a.device) {
        return Err(ApiError::forbidden(
            ErrorCode::NotTheRequester,
            "only the device that started the request may continue",
        ));
    }
    if row.failures >= state.cfg.recovery_pin_tries {
        return Err(ApiError::new(
            StatusCode::LOCKED,
            ErrorCode::Locked,
            "too many wrong PINs; ask from an enrolled device",
        ));
    }
    ready(&state, &row)?;
    let verifier: [u8; 32] = unb64_array(&req.pin_verifier, "pin_verifier")
        .map_err(|_| ApiError::bad_request(ErrorCode::BadPinVerifier, "32 bytes expected"))?;
    // Both sides are SHA-256 outputs of secrets: comparing them leaks nothing useful about the PIN.
    if coffre_sync_protocol::sha256(&verifier) != row.pin_hash {
        let failures = state.recovery.assisted_pin_failed(vault).await?;
        let kind = if failures >= state.cfg.recovery_pin_tries {
            AuditKind::AssistedRecoveryLocked
        } else {
            AuditKind::AssistedRecoveryWrongPin
        };
        audit::record(&state, vault, kind, serde_json::json!({ "failures": failures })).await;
        let left = state.cfg.recovery_pin_tries.saturating_sub(failures);
        return Err(ApiError::forbidden(ErrorCode::WrongPin, format!("wrong PIN; {left} tries left")));
    }
    let org_pieces: Vec<SealedPiece> = serde_json::from_slice(&row.pieces).map_err(|_| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Corrupt, "stored pieces are corrupt")
    })?;
    audit::record(
        &state,
        vault,
        AuditKind::AssistedRecoveryShareReleased,
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
    let none = || ApiError::not_found(ErrorCode::NoRecoverySlot, "no assisted-recovery slot for this key");
    let rec = state.recovery.slot_for_device(a.device).await?.filter(|r| r.kind == "assisted").ok_or_else(none)?;
    let row = state.recovery.assisted(rec.vault).await?.ok_or_else(none)?;
    ready(&state, &row)?;
    // Only now does the assisted recovery device become a member (to enrol the new phone).
    if !state.meta.add_device(rec.vault, a.device, a.device, now_secs()).await? {
        return Err(none());
    }
    audit::record(
        &state,
        rec.vault,
        AuditKind::AssistedRecoverySlotFetched,
        serde_json::json!({ "device": b64(&a.device) }),
    )
    .await;
    Ok(Json(CodeSlotResponse {
        v: PROTOCOL_VERSION,
        vault: VaultId::from(rec.vault).to_string(),
        server_pk: b64(state.server_key.verifying_key().as_bytes()),
        slot: b64(&rec.slot),
    }))
}
