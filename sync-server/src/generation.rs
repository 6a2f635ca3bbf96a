//! `POST /v1/vaults/{vault}/generation` (an enrolled device): the vault moves to a new account key
//! generation after a lost phone was removed (docs/adr/0009-account-key-generations.md).
//!
//! The server cannot read the new keys (they travel sealed to each remaining device in the op log); it
//! checks that the switch follows the current generation, is signed by that generation's identity and
//! by the new one, and lists the device that sends it. Then, in one transaction, it records the new
//! identity and removes every member not listed — the lost phone and any key it enrolled. A switch
//! signed by an older generation's identity is refused (`409 stale_generation`). The same switch sent
//! again is answered as done and changes nothing (a lost answer; a replay cannot remove a device
//! added since).

use axum::extract::State;
use axum::{Json, Router, routing::post};
use coffre_sync_protocol::generation::{GenerationSwitch, GenerationSwitched, generation_message};
use coffre_sync_protocol::{AuditKind, ErrorCode, PROTOCOL_VERSION, PublicKey, b64, unb64_array, verify_sig};

use crate::audit;
use crate::clock::now_secs;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Member, VersionedJson};
use crate::observe::short;
use crate::state::AppState;
use crate::store::GenerationOutcome;

/// At most this many devices stay (far above a person's phones).
const MAX_DEVICES: usize = 256;

/// The routes of this module (also listed in `router::ROUTES`).
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/vaults/{vault}/generation", post(switch_generation))
}

fn key(s: &str, what: &'static str) -> ApiResult<PublicKey> {
    unb64_array::<32>(s, what)
        .ok()
        .filter(|pk| coffre_sync_protocol::verifying_key(pk).is_ok())
        .ok_or_else(|| ApiError::bad_request(ErrorCode::BadDeviceKey, format!("{what} is not an Ed25519 public key")))
}

fn signature(s: &str, what: &'static str) -> ApiResult<[u8; 64]> {
    unb64_array::<64>(s, what)
        .map_err(|_| ApiError::bad_request(ErrorCode::BadIdentitySignature, format!("{what} is not a signature")))
}

async fn switch_generation(
    State(state): State<AppState>,
    Member { vault, device: signer, body: VersionedJson(req), .. }: Member<VersionedJson<GenerationSwitch>>,
) -> ApiResult<Json<GenerationSwitched>> {
    let identity = key(&req.identity_pk, "identity_pk")?;
    let mut devices = Vec::with_capacity(req.devices.len());
    for d in &req.devices {
        devices.push(key(d, "device")?);
    }
    let mut unique = devices.clone();
    unique.sort_unstable();
    unique.dedup();
    if unique.len() != devices.len() || devices.len() > MAX_DEVICES || !devices.contains(&signer) {
        return Err(ApiError::bad_request(
            ErrorCode::BadGenerationDevices,
            "the devices that stay must be distinct and include the device that sends the switch",
        ));
    }
    let previous_sig = signature(&req.previous_sig, "previous_sig")?;
    let identity_sig = signature(&req.identity_sig, "identity_sig")?;
    let known = state.meta.generations(vault).await?;
    let stale = || {
        ApiError::conflict(
            ErrorCode::StaleGeneration,
            format!("this vault is at key generation {}; a switch must follow it", known.len().saturating_sub(1)),
        )
    };
    // The identity of the generation before the asked one signs the switch (a retry of the last
    // switch is checked the same way).
    let Some(previous) = (req.generation as usize).checked_sub(1).and_then(|p| known.get(p)) else {
        return Err(stale());
    };
    let message = generation_message(&vault, req.generation, &identity, &devices);
    verify_sig(previous, &message, &previous_sig).map_err(|_| {
        ApiError::forbidden(ErrorCode::BadIdentitySignature, "the switch is not signed by the previous generation")
    })?;
    verify_sig(&identity, &message, &identity_sig).map_err(|_| {
        ApiError::forbidden(ErrorCode::BadIdentitySignature, "the switch is not signed by the new identity")
    })?;
    let removed = match state.meta.switch_generation(vault, req.generation, identity, devices, now_secs()).await? {
        GenerationOutcome::Switched { removed } => removed,
        GenerationOutcome::AlreadyThere => {
            return Ok(Json(GenerationSwitched {
                v: PROTOCOL_VERSION,
                generation: req.generation,
                removed: Vec::new(),
            }));
        }
        GenerationOutcome::Stale { .. } => return Err(stale()),
        GenerationOutcome::NoVault => return Err(ApiError::unknown_vault()),
    };
    // After the write, as for a removal: drop cached answers and bump the epoch.
    for device in &removed {
        state.members.forget_device(&vault, device);
    }
    tracing::info!(vault = %short(&vault), generation = req.generation, removed = removed.len(), "key generation");
    let removed: Vec<String> = removed.iter().map(|d| b64(d)).collect();
    let detail = serde_json::json!({
        "generation": req.generation,
        "by_device": b64(&signer),
        "removed": removed,
    });
    audit::record(&state, vault, AuditKind::KeyGenerationStarted, detail).await;
    Ok(Json(GenerationSwitched { v: PROTOCOL_VERSION, generation: req.generation, removed }))
}
