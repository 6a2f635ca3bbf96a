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
    AssistedPut, AssistedRelease, AssistedRequestInfo, AssistedRequests, AssistedShares, AssistedStatus,
    ClosureReceipt, CodeSlotPut, CodeSlotPutResponse, CodeSlotResponse, KeysRotated, SealedPiece, slot_kind,
};
use coffre_sync_protocol::{AuditKind, ErrorCode, PROTOCOL_VERSION, PublicKey, VaultId, b64, unb64, unb64_array};

use crate::audit;
use crate::auth::Authed;
use crate::clock::now_secs;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Member, VersionedJson, vault_param};
use crate::observe::short;
use crate::state::AppState;
use crate::store::recovery::{AssistedRequest, AssistedRow, Enrolment, PutSlotOutcome, SlotKind};

/// The routes of this module (also listed in `router::ROUTES`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/vaults/{vault}", delete(close_vault))
        .route("/v1/vaults/{vault}/recovery/code", put(put_code_slot))
        .route("/v1/recovery/code", get(get_code_slot))
        .route("/v1/vaults/{vault}/recovery/assisted", put(put_assisted).delete(cancel_assisted).get(list_assisted))
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
// Assisted recovery: each new phone that starts a request has its own (issue 13 #7): nothing is released
// before its delay, any enrolled device can cancel every open request (for good: a repeated start does
// not clear it) and is told of each at sync (`GET .../recovery/assisted`); `recovery_pin_tries` wrong
// PINs lock that request only. A stranger's guesses never lock the holder's request: they lengthen the
// delay of requests started later (doubling per `recovery_pin_tries` wrong PINs on the vault, at most
// 32 times), which bounds guessing without locking anyone out.

/// How many times the base delay a request started now waits, given the vault's wrong PINs.
fn delay_factor(state: &AppState, vault_failures: u32) -> u64 {
    let doublings = vault_failures / state.cfg.recovery_pin_tries.max(1);
    1u64 << doublings.min(5)
}

fn locked(state: &AppState, req: &AssistedRequest) -> bool {
    req.failures >= state.cfg.recovery_pin_tries
}

fn status(state: &AppState, req: &AssistedRequest) -> AssistedStatus {
    AssistedStatus {
        v: PROTOCOL_VERSION,
        started_at: req.started_at,
        ready_at: req.ready_at,
        cancelled: req.cancelled_at.is_some(),
        locked: locked(state, req),
    }
}

/// The request is not cancelled and its delay has passed.
fn ready(req: &AssistedRequest) -> ApiResult<()> {
    if req.cancelled_at.is_some() {
        return Err(ApiError::forbidden(
            ErrorCode::Cancelled,
            "this assisted recovery was cancelled from an enrolled device",
        ));
    }
    let now = now_secs();
    if now < req.ready_at {
        let mut e = ApiError::new(StatusCode::TOO_EARLY, ErrorCode::TooEarly, "the waiting delay has not passed yet");
        e.retry_after = Some(req.ready_at - now);
        return Err(e);
    }
    Ok(())
}

fn no_request() -> ApiError {
    ApiError::forbidden(ErrorCode::NoRequest, "no assisted recovery was started")
}

fn locked_error() -> ApiError {
    ApiError::new(
        StatusCode::LOCKED,
        ErrorCode::Locked,
        "too many wrong PINs for this request; ask from an enrolled device",
    )
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
    let row = AssistedRow { pin_hash, provider_share, org: org.to_vec(), pieces, failures: 0 };
    state.recovery.put_assisted(vault, row).await?;
    if replaced.is_some() {
        // A new set-up (a new kit): requests started under the old one give nothing more (issue 13 #2).
        state.recovery.cancel_requests(vault, now).await?;
    }
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
    let now = now_secs();
    let delay = state.cfg.recovery_delay_secs.saturating_mul(delay_factor(&state, row.failures));
    let (req, created) =
        state.recovery.start_request(vault, a.device, now, now.saturating_add(delay)).await?.ok_or_else(not_set_up)?;
    if created {
        let detail = serde_json::json!({ "requester": b64(&a.device), "ready_at": req.ready_at });
        audit::record(&state, vault, AuditKind::AssistedRecoveryStarted, detail).await;
    }
    Ok(Json(status(&state, &req)))
}

/// Every request of the vault, for the enrolled devices' sync (they alert the holder).
async fn list_assisted(
    State(state): State<AppState>,
    Member { vault, .. }: Member,
) -> ApiResult<Json<AssistedRequests>> {
    let requests = state
        .recovery
        .requests(vault)
        .await?
        .iter()
        .map(|r| AssistedRequestInfo {
            requester: b64(&r.requester),
            started_at: r.started_at,
            ready_at: r.ready_at,
            cancelled: r.cancelled_at.is_some(),
            locked: locked(&state, r),
        })
        .collect();
    Ok(Json(AssistedRequests { v: PROTOCOL_VERSION, requests }))
}

async fn cancel_assisted(
    State(state): State<AppState>,
    Member { vault, device: signer, .. }: Member,
) -> ApiResult<Json<AssistedStatus>> {
    if state.recovery.cancel_requests(vault, now_secs()).await? == 0 {
        return Err(ApiError::not_found(ErrorCode::NoRequest, "no assisted recovery to cancel"));
    }
    audit::record(
        &state,
        vault,
        AuditKind::AssistedRecoveryCancelled,
        serde_json::json!({ "by_device": b64(&signer) }),
    )
    .await;
    // The newest request's status (every open one is cancelled now).
    let newest = state.recovery.requests(vault).await?.into_iter().next();
    let req = newest.ok_or_else(|| ApiError::not_found(ErrorCode::NoRequest, "no assisted recovery to cancel"))?;
    Ok(Json(status(&state, &req)))
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
    let Some(request) = state.recovery.request(vault, a.device).await? else {
        return Err(ApiError::forbidden(
            ErrorCode::NotTheRequester,
            "only the device that started the request may continue",
        ));
    };
    if locked(&state, &request) {
        return Err(locked_error());
    }
    ready(&request)?;
    let verifier: [u8; 32] = unb64_array(&req.pin_verifier, "pin_verifier")
        .map_err(|_| ApiError::bad_request(ErrorCode::BadPinVerifier, "32 bytes expected"))?;
    // Both sides are SHA-256 outputs of secrets: comparing them leaks nothing useful about the PIN.
    if coffre_sync_protocol::sha256(&verifier) != row.pin_hash {
        let (mine, all) = state.recovery.request_pin_failed(vault, a.device).await?;
        let kind = if mine >= state.cfg.recovery_pin_tries {
            AuditKind::AssistedRecoveryLocked
        } else {
            AuditKind::AssistedRecoveryWrongPin
        };
        let detail = serde_json::json!({ "requester": b64(&a.device), "failures": mine, "vault_failures": all });
        audit::record(&state, vault, kind, detail).await;
        let left = state.cfg.recovery_pin_tries.saturating_sub(mine);
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
    // Some request must be past its delay and not cancelled; otherwise say why the newest is not.
    let requests = state.recovery.requests(rec.vault).await?;
    if !requests.iter().any(|r| ready(r).is_ok()) {
        return Err(requests.first().map(|r| ready(r).err().unwrap_or_else(no_request)).unwrap_or_else(no_request));
    }
    // Only now does the assisted recovery device become a member (to enrol the new phone).
    if !state.meta.add_device(rec.vault, a.device, a.device, now_secs()).await? {
        return Err(none());
    }
    // Those requests are used up: a later recovery waits for a new request's delay.
    state.recovery.close_ready_requests(rec.vault, now_secs()).await?;
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
