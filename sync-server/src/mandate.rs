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
use coffre_mandate::wire::{
    AgentMandate, AuditPage, DepositList, DepositReceiptBody, DepositRequest, MandateBody, MandateList, OrgInfo,
    OrgRegisterRequest, PackageBody, PendingDeposit, RevocationRequest, TransmitRequest, WIRE_VERSION,
};
use coffre_mandate::{
    AgentCertificate, AgentRevocation, DepositReceipt, DepositStatement, Mandate, MandateError, OrgRegistration, Scope,
    b64, unb64,
};
use coffre_sync_protocol::frame::join_frames;
use coffre_sync_protocol::{
    AuditKind, BlobId, DepositId, DocId, ErrorCode, Hash, IdError, InvitationRequest, InvitationResponse, MandateId,
    OrgKey, PROTOCOL_VERSION, PublicKey, sha256,
};

use crate::audit::{self, agent_detail};
use crate::auth::Authed;
use crate::client_addr::ClientAddr;
use crate::clock::now_secs;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Member, VersionedJson, query_u64, vault_param};
use crate::observe::short;
use crate::state::AppState;
use crate::store::mandate::{DepositPutOutcome, DepositRow, MandateRow, PackageRow};

/// Pending deposits a vault may hold before its devices import them.
pub const MAX_PENDING_DEPOSITS: u64 = 200;
/// Audit entries per page.
pub const AUDIT_PAGE: u64 = 500;

/// The routes of this module (also listed in `router::ROUTES`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/orgs", post(register_org))
        .route("/v1/orgs/{org}", get(org_info))
        .route("/v1/orgs/{org}/revocations", post(revoke_agent))
        .route("/v1/orgs/{org}/invitations", post(create_invitation))
        .route("/v1/vaults/{vault}/mandates", get(list_mandates).post(grant_mandate))
        .route("/v1/vaults/{vault}/mandates/{id}", delete(revoke_mandate))
        .route("/v1/vaults/{vault}/mandates/{id}/package", put(put_package))
        .route("/v1/vaults/{vault}/deposits", get(list_deposits))
        .route("/v1/vaults/{vault}/deposits/{id}", delete(delete_deposit))
        .route("/v1/vaults/{vault}/audit", get(audit_page))
        .route("/v1/agent/vaults/{vault}/mandates/{id}", get(agent_mandate))
        .route("/v1/agent/vaults/{vault}/mandates/{id}/deposits", post(deposit))
        .route("/v1/agent/vaults/{vault}/mandates/{id}/package", get(agent_package))
        .route("/v1/agent/vaults/{vault}/mandates/{id}/blobs/{blob_id}", get(agent_blob))
        .route("/v1/agent/vaults/{vault}/mandates/{id}/transmissions", post(transmit))
}

fn bytes(s: &str, max: usize, code: ErrorCode) -> ApiResult<Vec<u8>> {
    unb64(s, max, "body").map_err(|_| ApiError::bad_request(code, "bad base64url field"))
}

/// The mandate named in a path: a malformed id is an unknown mandate.
fn mandate_param(s: &str) -> ApiResult<[u8; 16]> {
    MandateId::parse(s)
        .map(MandateId::to_bytes)
        .map_err(|_| ApiError::not_found(ErrorCode::UnknownMandate, "no such mandate"))
}

fn org_param(s: &str) -> ApiResult<PublicKey> {
    OrgKey::parse(s)
        .map(OrgKey::to_bytes)
        .map_err(|_| ApiError::not_found(ErrorCode::UnknownOrg, "no such organisation"))
}

fn blob_param(s: &str) -> Result<Vec<u8>, IdError> {
    BlobId::parse(s).map(|b| b.as_bytes().to_vec())
}

fn refused(code: ErrorCode, msg: &'static str) -> ApiError {
    ApiError::forbidden(code, msg)
}

/// Maps a verification failure of a signed object to a 400 naming the structure, never its content.
fn invalid(e: MandateError) -> ApiError {
    ApiError::bad_request(ErrorCode::InvalidSignedObject, e.to_string())
}

// ---------------------------------------------------------------------------------------------------
// Organisations

async fn register_org(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    VersionedJson(req): VersionedJson<OrgRegisterRequest>,
) -> ApiResult<Response> {
    let raw = bytes(&req.registration, 512, ErrorCode::BadRegistration)?;
    let reg = OrgRegistration::decode_verified(&raw).map_err(invalid)?;
    if state.mandates.org(reg.org_pk).await?.is_none() {
        crate::registration::check_org(&state, client, &reg.org_pk)?;
    }
    state.mandates.register_org(reg.org_pk, reg.name.clone(), raw, now_secs()).await?;
    tracing::info!("organisation registered");
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "v": WIRE_VERSION }))).into_response())
}

async fn org_info(State(state): State<AppState>, Path(org): Path<String>) -> ApiResult<Json<OrgInfo>> {
    let org = org_param(&org)?;
    let reg = state
        .mandates
        .org(org)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::UnknownOrg, "no such organisation"))?;
    let revocations = state.mandates.revocations(org).await?.iter().map(|r| b64(r)).collect();
    Ok(Json(OrgInfo { v: WIRE_VERSION, registration: b64(&reg), revocations }))
}

/// How long an invitation code stays usable.
pub const INVITATION_SECS: u64 = 14 * 24 * 3600;

/// An agent of a registered organisation asks for a one-use code that registers one vault (servers with
/// `registration = "invitation"`). The request is signed by the agent device its certificate names.
async fn create_invitation(State(state): State<AppState>, Path(org): Path<String>, a: Authed) -> ApiResult<Response> {
    let org = org_param(&org)?;
    let req: InvitationRequest = VersionedJson::parse(&a.body)?;
    let raw = bytes(&req.certificate, 1024, ErrorCode::InvalidSignedObject)?;
    let cert = AgentCertificate::decode(&raw).map_err(invalid)?;
    cert.verify_signature().map_err(invalid)?;
    let now = now_secs();
    cert.check_time(now)
        .map_err(|_| refused(ErrorCode::CertificateExpired, "the agent's certificate is not valid now"))?;
    if cert.org_pk != org || cert.device_pk != a.device {
        return Err(refused(
            ErrorCode::InvalidSignedObject,
            "this certificate is not the signing agent's, for this organisation",
        ));
    }
    if state.mandates.org(org).await?.is_none() {
        return Err(ApiError::not_found(ErrorCode::UnknownOrg, "no such organisation"));
    }
    if state.mandates.agent_revoked(org, cert.device_pk).await?.is_some() {
        return Err(refused(ErrorCode::AgentRevoked, "the organisation revoked this agent"));
    }
    let mut code = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut code);
    let expires_at = now + INVITATION_SECS;
    state.mandates.create_invitation(sha256(&code), org, cert.device_pk, now, expires_at).await?;
    tracing::info!("invitation handed out");
    Ok(Json(InvitationResponse { v: PROTOCOL_VERSION, code: b64(&code), expires_at }).into_response())
}

async fn revoke_agent(
    State(state): State<AppState>,
    Path(org): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<StatusCode> {
    let org = org_param(&org)?;
    let req: RevocationRequest = VersionedJson::parse(&body)?;
    let raw = bytes(&req.revocation, 256, ErrorCode::BadRevocation)?;
    let rev = AgentRevocation::decode_verified(&raw).map_err(invalid)?;
    if rev.org_pk != org {
        return Err(ApiError::bad_request(ErrorCode::BadRevocation, "revocation signed by another organisation"));
    }
    if state.mandates.org(org).await?.is_none() {
        return Err(ApiError::not_found(ErrorCode::UnknownOrg, "no such organisation"));
    }
    state.mandates.revoke_agent(org, rev.device_pk, rev.revoked_at.min(now_secs()), raw).await?;
    tracing::info!("agent revoked");
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------------------
// The holder's side (device-signed, enrolled devices only)

async fn grant_mandate(
    State(state): State<AppState>,
    Member { vault, device: signer, body: VersionedJson(req), .. }: Member<VersionedJson<MandateBody>>,
) -> ApiResult<Response> {
    let raw = bytes(&req.mandate, coffre_mandate::mandate::MAX_MANDATE_LEN, ErrorCode::BadMandate)?;
    let m = Mandate::decode_verified(&raw).map_err(invalid)?;
    if m.vault != vault {
        return Err(ApiError::bad_request(ErrorCode::MandateMismatch, "the mandate is for another vault"));
    }
    // The holder signed with the vault's identity key (the vault id is its hash, checked above);
    // the organisation must be one this server knows, and the agent not revoked.
    check_agent(&state, &m).await?;
    m.cert
        .check_time(now_secs())
        .map_err(|_| refused(ErrorCode::CertificateExpired, "the agent's certificate is not valid now"))?;
    let row = MandateRow {
        id: m.id,
        vault,
        agent: m.cert.device_pk,
        body: raw.clone(),
        created_at: now_secs(),
        revoked_at: None,
    };
    if !state.mandates.put_mandate(row).await? {
        return Err(ApiError::conflict(ErrorCode::MandateExists, "another mandate has this id"));
    }
    audit::record(
        &state,
        vault,
        AuditKind::MandateGranted,
        serde_json::json!({ "mandate": b64(&raw), "by_device": b64(&signer) }),
    )
    .await;
    tracing::info!(vault = %short(&vault), "mandate granted");
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "v": WIRE_VERSION }))).into_response())
}

async fn list_mandates(State(state): State<AppState>, Member { vault, .. }: Member) -> ApiResult<Json<MandateList>> {
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
    Path((_, id)): Path<(String, String)>,
    Member { vault, device: signer, .. }: Member,
) -> ApiResult<StatusCode> {
    let id = mandate_param(&id)?;
    if !state.mandates.revoke_mandate(vault, id, now_secs()).await? {
        return Err(ApiError::not_found(ErrorCode::UnknownMandate, "no such mandate"));
    }
    audit::record(
        &state,
        vault,
        AuditKind::MandateRevoked,
        serde_json::json!({ "mandate_id": MandateId::from(id).to_string(), "by_device": b64(&signer) }),
    )
    .await;
    tracing::info!(vault = %short(&vault), "mandate revoked");
    Ok(StatusCode::NO_CONTENT)
}

async fn put_package(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Member { vault, body, .. }: Member,
) -> ApiResult<StatusCode> {
    let id = mandate_param(&id)?;
    let row = state.mandates.mandate(id).await?.filter(|r| r.vault == vault);
    let row = row.ok_or_else(|| ApiError::not_found(ErrorCode::UnknownMandate, "no such mandate"))?;
    if row.revoked_at.is_some() {
        return Err(refused(ErrorCode::MandateRevoked, "this mandate was revoked"));
    }
    let req: PackageBody = VersionedJson::parse(&body)?;
    let sealed =
        bytes(&req.sealed, usize::try_from(state.cfg.max_json_bytes).unwrap_or(usize::MAX), ErrorCode::BadPackage)?;
    let blobs =
        req.blobs.iter().map(|b| blob_param(b)).collect::<Result<Vec<_>, _>>().map_err(|_| {
            ApiError::bad_request(ErrorCode::BadBlobId, "blob ids must be 16 to 32 bytes of lowercase hex")
        })?;
    state.mandates.put_package(id, PackageRow { sealed, blobs, updated_at: now_secs() }).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_deposits(State(state): State<AppState>, Member { vault, .. }: Member) -> ApiResult<Json<DepositList>> {
    let deposits = state
        .mandates
        .deposits(vault)
        .await?
        .into_iter()
        .map(|d| PendingDeposit {
            id: DepositId::from(d.id).to_string(),
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
    Path((_, id)): Path<(String, String)>,
    Member { vault, .. }: Member,
) -> ApiResult<StatusCode> {
    let id = DepositId::parse(&id)
        .map(DepositId::to_bytes)
        .map_err(|_| ApiError::not_found(ErrorCode::UnknownDeposit, "no such deposit"))?;
    if state.mandates.delete_deposit(vault, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(ErrorCode::UnknownDeposit, "no such deposit"))
    }
}

async fn audit_page(State(state): State<AppState>, Member { vault, query, .. }: Member) -> ApiResult<Json<AuditPage>> {
    let since = query_u64(query.as_deref(), "since")?.unwrap_or(0);
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
        return Err(refused(ErrorCode::UnknownOrg, "the agent's organisation is not registered on this server"));
    }
    if state.mandates.agent_revoked(m.cert.org_pk, m.cert.device_pk).await?.is_some() {
        state.metrics.auth_failure("mandate");
        return Err(refused(ErrorCode::AgentRevoked, "the organisation revoked this agent"));
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
    let id = mandate_param(id)?;
    let deny = |code, msg| {
        state.metrics.auth_failure("mandate");
        refused(code, msg)
    };
    let row =
        state.mandates.mandate(id).await?.ok_or_else(|| deny(ErrorCode::NoMandate, "no mandate for this agent"))?;
    if &row.agent != agent {
        return Err(deny(ErrorCode::NoMandate, "no mandate for this agent"));
    }
    if row.vault != vault {
        return Err(deny(ErrorCode::MandateMismatch, "this mandate is for another vault"));
    }
    if row.revoked_at.is_some() {
        return Err(deny(ErrorCode::MandateRevoked, "the holder revoked this mandate"));
    }
    let m = Mandate::decode_verified(&row.body)
        .map_err(|_| deny(ErrorCode::NoMandate, "stored mandate does not verify"))?;
    match m.check_active(now_secs()) {
        Ok(()) => {}
        Err(MandateError::NotYetValid(_)) => {
            return Err(deny(ErrorCode::MandateNotYetValid, "this mandate is not valid yet"));
        }
        Err(_) => return Err(deny(ErrorCode::MandateExpired, "this mandate or the agent's certificate has expired")),
    }
    check_agent(state, &m).await?;
    if let Some(s) = scope
        && !m.scopes.contains(s)
    {
        return Err(deny(ErrorCode::ScopeDenied, "the mandate does not allow this"));
    }
    Ok((vault, m))
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
    let req: DepositRequest = VersionedJson::parse(&a.body)?;
    let raw = bytes(&req.statement, coffre_mandate::deposit::MAX_STATEMENT_LEN, ErrorCode::BadStatement)?;
    let ciphertext = bytes(
        &req.ciphertext,
        usize::try_from(state.cfg.max_json_bytes).unwrap_or(usize::MAX),
        ErrorCode::BadCiphertext,
    )?;
    let st = DepositStatement::decode_verified(&raw).map_err(invalid)?;
    if st.cert.device_pk != a.device {
        return Err(refused(ErrorCode::StatementMismatch, "the statement is signed by another device"));
    }
    let now = now_secs();
    if st.deposited_at.abs_diff(now) > state.cfg.clock_skew_secs {
        return Err(ApiError::bad_request(
            ErrorCode::StaleStatement,
            "the deposit time is outside the accepted window",
        ));
    }
    st.check_against(&m)
        .map_err(|_| refused(ErrorCode::StatementMismatch, "the statement does not match the mandate"))?;
    if st.ct_hash != coffre_crypto::sha256(&ciphertext) || st.ct_len != ciphertext.len() as u64 {
        return Err(ApiError::bad_request(ErrorCode::HashMismatch, "the sealed bytes do not match the statement"));
    }
    let receipt = DepositReceipt::sign(&state.server_key, &st, now);
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
            audit::record(&state, vault, AuditKind::DepositReceived, detail).await;
            tracing::info!(vault = %short(&vault), "deposit received");
        }
        DepositPutOutcome::Existing => {
            return Err(ApiError::conflict(ErrorCode::DepositExists, "a deposit with this id was already received"));
        }
        DepositPutOutcome::Full => {
            return Err(ApiError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                ErrorCode::DepositsFull,
                "too many pending deposits",
            ));
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
    let p = state.mandates.package(m.id).await?.ok_or_else(|| {
        ApiError::not_found(ErrorCode::NoPackage, "the holder's phone has not published the documents yet")
    })?;
    audit::record(&state, vault, AuditKind::AgentConsulted, agent_detail(&m)).await;
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
    let blob = blob_param(&blob_id).map_err(|_| ApiError::bad_request(ErrorCode::BadBlobId, "bad blob id"))?;
    let listed = state.mandates.package(m.id).await?.is_some_and(|p| p.blobs.contains(&blob));
    if !listed {
        return Err(refused(ErrorCode::BlobNotShared, "this blob is not part of the mandate"));
    }
    let rec = state
        .meta
        .blob(vault, blob.clone())
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::UnknownBlob, "no such blob"))?;
    if !state.meta.missing_chunks(vault, rec.chunks.clone()).await?.is_empty() {
        return Err(ApiError::not_found(ErrorCode::UnknownChunk, "chunk missing"));
    }
    let mut detail = agent_detail(&m);
    detail["blob"] = hex::encode(&blob).into();
    audit::record(&state, vault, if extract { AuditKind::AgentDownloaded } else { AuditKind::AgentConsulted }, detail)
        .await;
    let body = axum::body::Body::from_stream(blob_frames(state.chunks.clone(), vault, rec.chunks));
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response())
}

/// The blob's frames read one chunk at a time as the agent receives them, so the server holds about one
/// chunk per download, whatever the blob's length. A chunk gone since the check above cuts the response
/// short (the agent's client sees a truncated body, never wrong bytes).
fn blob_frames(
    chunks: std::sync::Arc<dyn crate::store::ChunkStore>,
    vault: Hash,
    addrs: Vec<Hash>,
) -> impl futures_util::Stream<Item = std::io::Result<axum::body::Bytes>> {
    use futures_util::StreamExt as _;
    futures_util::stream::iter(addrs).then(move |h| {
        let chunks = chunks.clone();
        async move {
            let gone = || std::io::Error::new(std::io::ErrorKind::NotFound, "chunk missing");
            let bytes = chunks.get(vault, h).await.map_err(|_| gone())?.ok_or_else(gone)?;
            let frame = join_frames(&[&bytes]).map_err(|_| std::io::Error::other("chunk too large"))?;
            Ok(axum::body::Bytes::from(frame))
        }
    })
}

async fn transmit(
    State(state): State<AppState>,
    Path((vault, id)): Path<(String, String)>,
    a: Authed,
) -> ApiResult<StatusCode> {
    let (vault, m) = authorize(&state, &a.device, &vault, &id, Some(Scope::Transmit)).await?;
    let req: TransmitRequest = VersionedJson::parse(&a.body)?;
    let bad =
        || ApiError::bad_request(ErrorCode::BadTransmission, "recipient (1 to 120 bytes) and document ids required");
    if req.recipient.trim().is_empty() || req.recipient.len() > 120 || req.recipient.chars().any(char::is_control) {
        return Err(bad());
    }
    if req.documents.is_empty() || req.documents.len() > 50 || req.documents.iter().any(|d| DocId::parse(d).is_err()) {
        return Err(bad());
    }
    let mut detail = agent_detail(&m);
    detail["recipient"] = req.recipient.into();
    detail["documents"] = req.documents.into();
    audit::record(&state, vault, AuditKind::AgentTransmitted, detail).await;
    Ok(StatusCode::NO_CONTENT)
}
