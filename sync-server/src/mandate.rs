//! Organisations, mandates, agent requests, certified deposits and the audit trail (docs/agents.md).
//!
//! Agent requests are signed by the agent device key exactly as device requests are (`Authed`); what
//! authorises them is a holder-signed mandate, checked on **every** request by [`authorize`]: the
//! mandate exists for this vault and this agent device, is not revoked, is within its window, its
//! certificate is within its window, the organisation is registered and has not revoked the device,
//! and the scope asked for is granted.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use coffre_mandate::audit::kind;
use coffre_mandate::wire::{
    AgentMandate, AuditPage, DepositList, DepositReceiptBody, DepositRequest, MandateBody, MandateList, OrgInfo,
    OrgRegisterRequest, PackageBody, PendingDeposit, RevocationRequest, TransmitRequest, WIRE_VERSION,
};
use coffre_mandate::{
    AgentRevocation, DepositReceipt, DepositStatement, Mandate, MandateError, OrgRegistration, Scope, b64, unb64,
};
use coffre_sync_protocol::{Hash, PublicKey};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::api::{member, query_u64, short};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::store::mandate::{DepositPutOutcome, DepositRow, MandateRow, PackageRow};

type ApiResult<T> = Result<T, ApiError>;

/// Pending deposits a vault may hold before its devices import them.
pub const MAX_PENDING_DEPOSITS: u64 = 200;
/// Audit entries per page.
pub const AUDIT_PAGE: u64 = 500;

/// The routes of this module (also listed in `api::ROUTES`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/orgs", post(register_org))
        .route("/v1/orgs/{org}", get(org_info))
        .route("/v1/orgs/{org}/revocations", post(revoke_agent))
        .route("/v1/vaults/{vault}/mandates", get(list_mandates).post(grant_mandate))
        .route("/v1/vaults/{vault}/mandates/{id}", delete(revoke_mandate))
        .route("/v1/vaults/{vault}/mandates/{id}/package", put(put_package))
        .route("/v1/vaults/{vault}/deposits", get(list_deposits))
        .route("/v1/vaults/{vault}/deposits/{id}", delete(delete_deposit))
        .route("/v1/vaults/{vault}/audit", get(audit))
        .route("/v1/agent/vaults/{vault}/mandates/{id}", get(agent_mandate))
        .route("/v1/agent/vaults/{vault}/mandates/{id}/deposits", post(deposit))
        .route("/v1/agent/vaults/{vault}/mandates/{id}/package", get(agent_package))
        .route("/v1/agent/vaults/{vault}/mandates/{id}/blobs/{blob_id}", get(agent_blob))
        .route("/v1/agent/vaults/{vault}/mandates/{id}/transmissions", post(transmit))
}

fn json<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_json(&e))
}

fn check_v(v: u32) -> ApiResult<()> {
    if v == WIRE_VERSION { Ok(()) } else { Err(ApiError::version(v)) }
}

fn bytes(s: &str, max: usize, code: &'static str) -> ApiResult<Vec<u8>> {
    unb64(s, max, "body").map_err(|_| ApiError::bad_request(code, "bad base64url field"))
}

fn id16(s: &str) -> ApiResult<[u8; 16]> {
    let mut out = [0u8; 16];
    hex::decode_to_slice(s, &mut out).map_err(|_| ApiError::not_found("unknown_mandate", "no such mandate"))?;
    Ok(out)
}

fn key32(s: &str) -> ApiResult<PublicKey> {
    let b = unb64(s, 32, "key").map_err(|_| ApiError::not_found("unknown_org", "no such organisation"))?;
    b.try_into().map_err(|_| ApiError::not_found("unknown_org", "no such organisation"))
}

fn vault_param(s: &str) -> ApiResult<Hash> {
    coffre_sync_protocol::unhex32(s, "vault").map_err(|_| ApiError::not_found("unknown_vault", "no such vault"))
}

fn refused(code: &'static str, msg: &'static str) -> ApiError {
    ApiError::forbidden(code, msg)
}

/// Maps a verification failure of a signed object to a 400 naming the structure, never its content.
fn invalid(e: MandateError) -> ApiError {
    ApiError::bad_request("invalid_signed_object", e.to_string())
}

fn server_signer(state: &AppState) -> coffre_crypto::SigningKey {
    coffre_crypto::SigningKey::from_bytes(state.server_key.to_bytes())
}

/// Records an observation in a vault's audit chain. A failure is logged, never shown to the caller:
/// the action it observes already happened.
pub async fn record(state: &AppState, vault: Hash, kind: &'static str, detail: serde_json::Value) {
    let detail = detail.to_string();
    if let Err(e) = state.mandates.append_audit(vault, kind, detail, crate::now_secs(), server_signer(state)).await {
        tracing::error!(error = %e, kind, "audit append failed");
    }
}

// ---------------------------------------------------------------------------------------------------
// Organisations

async fn register_org(State(state): State<AppState>, body: axum::body::Bytes) -> ApiResult<Response> {
    let req: OrgRegisterRequest = json(&body)?;
    check_v(req.v)?;
    let raw = bytes(&req.registration, 512, "bad_registration")?;
    let reg = OrgRegistration::decode_verified(&raw).map_err(invalid)?;
    if !state.cfg.registration_open {
        return Err(refused("registration_closed", "this server does not register new organisations"));
    }
    state.mandates.register_org(reg.org_pk, reg.name.clone(), raw, crate::now_secs()).await?;
    tracing::info!("organisation registered");
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "v": WIRE_VERSION }))).into_response())
}

async fn org_info(State(state): State<AppState>, Path(org): Path<String>) -> ApiResult<Json<OrgInfo>> {
    let org = key32(&org)?;
    let reg =
        state.mandates.org(org).await?.ok_or_else(|| ApiError::not_found("unknown_org", "no such organisation"))?;
    let revocations = state.mandates.revocations(org).await?.iter().map(|r| b64(r)).collect();
    Ok(Json(OrgInfo { v: WIRE_VERSION, registration: b64(&reg), revocations }))
}

async fn revoke_agent(
    State(state): State<AppState>,
    Path(org): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<StatusCode> {
    let org = key32(&org)?;
    let req: RevocationRequest = json(&body)?;
    check_v(req.v)?;
    let raw = bytes(&req.revocation, 256, "bad_revocation")?;
    let rev = AgentRevocation::decode_verified(&raw).map_err(invalid)?;
    if rev.org_pk != org {
        return Err(ApiError::bad_request("bad_revocation", "revocation signed by another organisation"));
    }
    if state.mandates.org(org).await?.is_none() {
        return Err(ApiError::not_found("unknown_org", "no such organisation"));
    }
    state.mandates.revoke_agent(org, rev.device_pk, rev.revoked_at.min(crate::now_secs()), raw).await?;
    tracing::info!("agent revoked");
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------------------
// The holder's side (device-signed, enrolled devices only)

async fn grant_mandate(State(state): State<AppState>, Path(vault): Path<String>, a: Authed) -> ApiResult<Response> {
    let vault = member(&state, &vault, &a.device).await?;
    let req: MandateBody = json(&a.body)?;
    check_v(req.v)?;
    let raw = bytes(&req.mandate, coffre_mandate::mandate::MAX_MANDATE_LEN, "bad_mandate")?;
    let m = Mandate::decode_verified(&raw).map_err(invalid)?;
    if m.vault != vault {
        return Err(ApiError::bad_request("mandate_mismatch", "the mandate is for another vault"));
    }
    // The holder signed with the vault's identity key (the vault id is its hash, checked above);
    // the organisation must be one this server knows, and the agent not revoked.
    check_agent(&state, &m).await?;
    m.cert
        .check_time(crate::now_secs())
        .map_err(|_| refused("certificate_expired", "the agent's certificate is not valid now"))?;
    let row = MandateRow {
        id: m.id,
        vault,
        agent: m.cert.device_pk,
        body: raw.clone(),
        created_at: crate::now_secs(),
        revoked_at: None,
    };
    if !state.mandates.put_mandate(row).await? {
        return Err(ApiError::conflict("mandate_exists", "another mandate has this id"));
    }
    record(
        &state,
        vault,
        kind::MANDATE_GRANTED,
        serde_json::json!({ "mandate": b64(&raw), "by_device": b64(&a.device) }),
    )
    .await;
    tracing::info!(vault = %short(&vault), "mandate granted");
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "v": WIRE_VERSION }))).into_response())
}

async fn list_mandates(
    State(state): State<AppState>,
    Path(vault): Path<String>,
    a: Authed,
) -> ApiResult<Json<MandateList>> {
    let vault = member(&state, &vault, &a.device).await?;
    let mandates = state
        .mandates
        .mandates_of(vault)
        .await?
        .into_iter()
        .map(|r| MandateBody {
            v: WIRE_VERSION,
            mandate: b64(&r.body),
            created_at: r.created_at,
            revoked_at: r.revoked_at,
        })
        .collect();
    Ok(Json(MandateList { v: WIRE_VERSION, mandates }))
}

async fn revoke_mandate(
    State(state): State<AppState>,
    Path((vault, id)): Path<(String, String)>,
    a: Authed,
) -> ApiResult<StatusCode> {
    let vault = member(&state, &vault, &a.device).await?;
    let id = id16(&id)?;
    if !state.mandates.revoke_mandate(vault, id, crate::now_secs()).await? {
        return Err(ApiError::not_found("unknown_mandate", "no such mandate"));
    }
    record(
        &state,
        vault,
        kind::MANDATE_REVOKED,
        serde_json::json!({ "mandate_id": hex::encode(id), "by_device": b64(&a.device) }),
    )
    .await;
    tracing::info!(vault = %short(&vault), "mandate revoked");
    Ok(StatusCode::NO_CONTENT)
}

async fn put_package(
    State(state): State<AppState>,
    Path((vault, id)): Path<(String, String)>,
    a: Authed,
) -> ApiResult<StatusCode> {
    let vault = member(&state, &vault, &a.device).await?;
    let id = id16(&id)?;
    let row = state.mandates.mandate(id).await?.filter(|r| r.vault == vault);
    let row = row.ok_or_else(|| ApiError::not_found("unknown_mandate", "no such mandate"))?;
    if row.revoked_at.is_some() {
        return Err(refused("mandate_revoked", "this mandate was revoked"));
    }
    let req: PackageBody = json(&a.body)?;
    check_v(req.v)?;
    let sealed = bytes(&req.sealed, usize::try_from(state.cfg.max_json_bytes).unwrap_or(usize::MAX), "bad_package")?;
    let blobs = req
        .blobs
        .iter()
        .map(|b| coffre_sync_protocol::parse_blob_id(b))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ApiError::bad_request("bad_blob_id", "blob ids must be 16 to 32 bytes of lowercase hex"))?;
    state.mandates.put_package(id, PackageRow { sealed, blobs, updated_at: crate::now_secs() }).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_deposits(
    State(state): State<AppState>,
    Path(vault): Path<String>,
    a: Authed,
) -> ApiResult<Json<DepositList>> {
    let vault = member(&state, &vault, &a.device).await?;
    let deposits = state
        .mandates
        .deposits(vault)
        .await?
        .into_iter()
        .map(|d| PendingDeposit {
            id: hex::encode(d.id),
            statement: b64(&d.statement),
            receipt: b64(&d.receipt),
            ciphertext: b64(&d.ciphertext),
            received_at: d.received_at,
        })
        .collect();
    Ok(Json(DepositList { v: WIRE_VERSION, deposits }))
}

async fn delete_deposit(
    State(state): State<AppState>,
    Path((vault, id)): Path<(String, String)>,
    a: Authed,
) -> ApiResult<StatusCode> {
    let vault = member(&state, &vault, &a.device).await?;
    let id = id16(&id).map_err(|_| ApiError::not_found("unknown_deposit", "no such deposit"))?;
    if state.mandates.delete_deposit(vault, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("unknown_deposit", "no such deposit"))
    }
}

async fn audit(State(state): State<AppState>, Path(vault): Path<String>, a: Authed) -> ApiResult<Json<AuditPage>> {
    let vault = member(&state, &vault, &a.device).await?;
    let since = query_u64(a.query.as_deref(), "since")?.unwrap_or(0);
    let mut entries = state.mandates.audit_since(vault, since, AUDIT_PAGE + 1).await?;
    let more = entries.len() as u64 > AUDIT_PAGE;
    entries.truncate(usize::try_from(AUDIT_PAGE).unwrap_or(usize::MAX));
    Ok(Json(AuditPage { v: WIRE_VERSION, entries, more }))
}

// ---------------------------------------------------------------------------------------------------
// The agent's side (agent-device-signed, authorised by a mandate)

async fn check_agent(state: &AppState, m: &Mandate) -> ApiResult<()> {
    if state.mandates.org(m.cert.org_pk).await?.is_none() {
        state.metrics.auth_failure("mandate");
        return Err(refused("unknown_org", "the agent's organisation is not registered on this server"));
    }
    if state.mandates.agent_revoked(m.cert.org_pk, m.cert.device_pk).await?.is_some() {
        state.metrics.auth_failure("mandate");
        return Err(refused("agent_revoked", "the organisation revoked this agent"));
    }
    Ok(())
}

/// The mandate that lets `agent` act on `vault` with `scope` (any scope when `None`), checked now.
pub async fn authorize(
    state: &AppState,
    agent: &PublicKey,
    vault: &str,
    id: &str,
    scope: Option<Scope>,
) -> ApiResult<(Hash, Mandate)> {
    let vault = vault_param(vault)?;
    let id = id16(id)?;
    let deny = |code, msg| {
        state.metrics.auth_failure("mandate");
        refused(code, msg)
    };
    let row = state.mandates.mandate(id).await?.ok_or_else(|| deny("no_mandate", "no mandate for this agent"))?;
    if &row.agent != agent {
        return Err(deny("no_mandate", "no mandate for this agent"));
    }
    if row.vault != vault {
        return Err(deny("mandate_mismatch", "this mandate is for another vault"));
    }
    if row.revoked_at.is_some() {
        return Err(deny("mandate_revoked", "the holder revoked this mandate"));
    }
    let m = Mandate::decode_verified(&row.body).map_err(|_| deny("no_mandate", "stored mandate does not verify"))?;
    match m.check_active(crate::now_secs()) {
        Ok(()) => {}
        Err(MandateError::NotYetValid(_)) => {
            return Err(deny("mandate_not_yet_valid", "this mandate is not valid yet"));
        }
        Err(_) => return Err(deny("mandate_expired", "this mandate or the agent's certificate has expired")),
    }
    check_agent(state, &m).await?;
    if let Some(s) = scope
        && !m.scopes.contains(s)
    {
        return Err(deny("scope_denied", "the mandate does not allow this"));
    }
    Ok((vault, m))
}

fn agent_detail(m: &Mandate) -> serde_json::Value {
    serde_json::json!({
        "mandate_id": hex::encode(m.id),
        "agent": m.cert.agent_name,
        "role": m.cert.role,
        "org": m.cert.org_name,
        "org_pk": b64(&m.cert.org_pk),
        "device": b64(&m.cert.device_pk),
    })
}

async fn agent_mandate(
    State(state): State<AppState>,
    Path((vault, id)): Path<(String, String)>,
    a: Authed,
) -> ApiResult<Json<AgentMandate>> {
    let (_, m) = authorize(&state, &a.device, &vault, &id, None).await?;
    Ok(Json(AgentMandate {
        v: WIRE_VERSION,
        mandate: b64(&m.encode()),
        server_pk: b64(state.server_key.verifying_key().as_bytes()),
    }))
}

async fn deposit(
    State(state): State<AppState>,
    Path((vault, id)): Path<(String, String)>,
    a: Authed,
) -> ApiResult<Response> {
    let (vault, m) = authorize(&state, &a.device, &vault, &id, Some(Scope::Deposit)).await?;
    let req: DepositRequest = json(&a.body)?;
    check_v(req.v)?;
    let raw = bytes(&req.statement, coffre_mandate::deposit::MAX_STATEMENT_LEN, "bad_statement")?;
    let ciphertext =
        bytes(&req.ciphertext, usize::try_from(state.cfg.max_json_bytes).unwrap_or(usize::MAX), "bad_ciphertext")?;
    let st = DepositStatement::decode_verified(&raw).map_err(invalid)?;
    if st.cert.device_pk != a.device {
        return Err(refused("statement_mismatch", "the statement is signed by another device"));
    }
    let now = crate::now_secs();
    if st.deposited_at.abs_diff(now) > state.cfg.clock_skew_secs {
        return Err(ApiError::bad_request("stale_statement", "the deposit time is outside the accepted window"));
    }
    st.check_against(&m).map_err(|_| refused("statement_mismatch", "the statement does not match the mandate"))?;
    if st.ct_hash != coffre_crypto::sha256(&ciphertext) || st.ct_len != ciphertext.len() as u64 {
        return Err(ApiError::bad_request("hash_mismatch", "the sealed bytes do not match the statement"));
    }
    let receipt = DepositReceipt::sign(&server_signer(&state), &st, now);
    let row = DepositRow {
        id: st.deposit_id,
        mandate: m.id,
        statement: raw.clone(),
        receipt: receipt.encode(),
        ciphertext,
        received_at: now,
    };
    match state.mandates.put_deposit(vault, row, MAX_PENDING_DEPOSITS).await? {
        DepositPutOutcome::Stored => {
            let mut detail = agent_detail(&m);
            detail["statement"] = b64(&raw).into();
            detail["receipt"] = b64(&receipt.encode()).into();
            record(&state, vault, kind::DEPOSIT_RECEIVED, detail).await;
            tracing::info!(vault = %short(&vault), "deposit received");
        }
        DepositPutOutcome::Existing => {
            return Err(ApiError::conflict("deposit_exists", "a deposit with this id was already received"));
        }
        DepositPutOutcome::Full => {
            return Err(ApiError::new(StatusCode::INSUFFICIENT_STORAGE, "deposits_full", "too many pending deposits"));
        }
    }
    let body = DepositReceiptBody { v: WIRE_VERSION, receipt: b64(&receipt.encode()) };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn agent_package(
    State(state): State<AppState>,
    Path((vault, id)): Path<(String, String)>,
    a: Authed,
) -> ApiResult<Json<PackageBody>> {
    let (vault, m) = authorize(&state, &a.device, &vault, &id, Some(Scope::Consult)).await?;
    let p =
        state.mandates.package(m.id).await?.ok_or_else(|| {
            ApiError::not_found("no_package", "the holder's phone has not published the documents yet")
        })?;
    record(&state, vault, kind::AGENT_CONSULTED, agent_detail(&m)).await;
    Ok(Json(PackageBody { v: WIRE_VERSION, sealed: b64(&p.sealed), blobs: p.blobs.iter().map(hex::encode).collect() }))
}

/// One blob listed in the mandate's package: `(len(be32) || chunk)*`, like `chunks/fetch`.
/// `?purpose=extract` (a download to keep) needs the extract scope; otherwise consult.
async fn agent_blob(
    State(state): State<AppState>,
    Path((vault, id, blob_id)): Path<(String, String, String)>,
    a: Authed,
) -> ApiResult<Response> {
    let extract = a.query.as_deref().is_some_and(|q| q.split('&').any(|kv| kv == "purpose=extract"));
    let scope = if extract { Scope::Extract } else { Scope::Consult };
    let (vault, m) = authorize(&state, &a.device, &vault, &id, Some(scope)).await?;
    let blob = coffre_sync_protocol::parse_blob_id(&blob_id)
        .map_err(|_| ApiError::bad_request("bad_blob_id", "bad blob id"))?;
    let listed = state.mandates.package(m.id).await?.is_some_and(|p| p.blobs.contains(&blob));
    if !listed {
        return Err(refused("blob_not_shared", "this blob is not part of the mandate"));
    }
    let rec = state
        .meta
        .blob(vault, blob.clone())
        .await?
        .ok_or_else(|| ApiError::not_found("unknown_blob", "no such blob"))?;
    let mut out = Vec::new();
    for h in &rec.chunks {
        let bytes =
            state.chunks.get(vault, *h).await?.ok_or_else(|| ApiError::not_found("unknown_chunk", "chunk missing"))?;
        let len = u32::try_from(bytes.len()).map_err(|_| ApiError::too_large("chunk too large"))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&bytes);
    }
    let mut detail = agent_detail(&m);
    detail["blob"] = hex::encode(&blob).into();
    record(&state, vault, if extract { kind::AGENT_DOWNLOADED } else { kind::AGENT_CONSULTED }, detail).await;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], out).into_response())
}

async fn transmit(
    State(state): State<AppState>,
    Path((vault, id)): Path<(String, String)>,
    a: Authed,
) -> ApiResult<StatusCode> {
    let (vault, m) = authorize(&state, &a.device, &vault, &id, Some(Scope::Transmit)).await?;
    let req: TransmitRequest = json(&a.body)?;
    check_v(req.v)?;
    let bad = || ApiError::bad_request("bad_transmission", "recipient (1 to 120 bytes) and document ids required");
    if req.recipient.trim().is_empty() || req.recipient.len() > 120 || req.recipient.chars().any(char::is_control) {
        return Err(bad());
    }
    if req.documents.is_empty() || req.documents.len() > 50 || req.documents.iter().any(|d| id16(d).is_err()) {
        return Err(bad());
    }
    let mut detail = agent_detail(&m);
    detail["recipient"] = req.recipient.into();
    detail["documents"] = req.documents.into();
    record(&state, vault, kind::AGENT_TRANSMITTED, detail).await;
    Ok(StatusCode::NO_CONTENT)
}
