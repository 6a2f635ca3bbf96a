//! HTTP handlers of the sync protocol: server info, vaults, devices, the op log, chunks, blobs and the
//! linking mailboxes. They stay thin: decode and check the request, call the stores, sign the head,
//! encode.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, State};
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use coffre_sync_protocol::frame::frame_header;
use coffre_sync_protocol::{
    self as proto, AppendRequest, AppendResponse, AuditKind, BlobCommitRequest, BlobId, BlobInfo, ChainPoint,
    ChunkAddr, ChunkList, ChunkPutResponse, DeviceAddRequest, DeviceInfo, DevicesResponse, ErrorCode, HDR_MAILBOX_KEY,
    Hash, MailboxMessage, MissingResponse, Op, OpRecord, PROTOCOL_VERSION, PublicKey, PullResponse, RegisterRequest,
    RegisterResponse, ServerInfo, SignedHead, VaultId, VaultInfo, b64, is_padme, unb64, unb64_array,
};

use crate::audit;
use crate::auth::{Authed, BodyLimit};
use crate::client_addr::{AddressKey, ClientAddr};
use crate::clock::now_secs;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Member, VersionedJson, query_u64};
use crate::observe::short;
use crate::state::AppState;
use crate::store::{AppendOutcome, ChunkRecordOutcome, CommitOutcome, MailboxPutOutcome, RegisterOutcome};

pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// The routes of this module (listed in `router::ROUTES`).
pub fn routes(state: &AppState) -> Router<AppState> {
    let chunk_limit = usize::try_from(state.cfg.max_chunk_bytes).unwrap_or(usize::MAX);
    // A mailbox message is base64url in JSON: 4/3 of the message, plus the JSON around it.
    let mailbox_limit = usize::try_from(state.cfg.max_mailbox_bytes / 3 * 4 + 1024).unwrap_or(usize::MAX);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/v1/server", get(server_info))
        .route("/v1/vaults", post(register))
        .route("/v1/vaults/{vault}", get(vault_info))
        .route("/v1/vaults/{vault}/devices", get(list_devices).post(add_device))
        .route("/v1/vaults/{vault}/devices/{device}", delete(remove_device))
        .route("/v1/vaults/{vault}/ops", get(pull_ops).post(append_ops))
        .route(
            "/v1/vaults/{vault}/chunks/{hash}",
            put(put_chunk)
                .layer((DefaultBodyLimit::max(chunk_limit), axum::Extension(BodyLimit(state.cfg.max_chunk_bytes))))
                .get(get_chunk),
        )
        .route("/v1/vaults/{vault}/chunks/missing", post(missing_chunks))
        .route("/v1/vaults/{vault}/chunks/fetch", post(fetch_chunks))
        .route("/v1/vaults/{vault}/blobs", post(commit_blob))
        .route("/v1/vaults/{vault}/blobs/{blob_id}", get(get_blob))
        .route(
            "/v1/mailbox/{id}",
            put(mailbox_put).layer(DefaultBodyLimit::max(mailbox_limit)).get(mailbox_get).delete(mailbox_delete),
        )
}

fn hash_param(s: &str, what: &'static str) -> ApiResult<Hash> {
    coffre_ids::text::hex_array(s, what)
        .map_err(|_| ApiError::bad_request(ErrorCode::BadHash, format!("{what} must be 64 lowercase hex digits")))
}

fn head(state: &AppState, vault: &Hash, point: ChainPoint) -> SignedHead {
    SignedHead::sign(&state.server_key, vault, point, now_secs())
}

async fn vault_head(state: &AppState, vault: &Hash) -> ApiResult<(ChainPoint, u64)> {
    state.meta.vault_state(*vault).await?.ok_or_else(ApiError::unknown_vault)
}

// ---------------------------------------------------------------------------------------------------

async fn healthz(State(state): State<AppState>) -> Response {
    match (state.meta.ping().await, state.chunks.ping().await) {
        (Ok(()), Ok(())) => (StatusCode::OK, Json(serde_json::json!({"status": "ok"}))).into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({"status": "unavailable"}))).into_response(),
    }
}

async fn metrics(State(state): State<AppState>, extensions: Extensions, headers: HeaderMap) -> ApiResult<Response> {
    use crate::metrics::{MetricsAccess, access};
    let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    match access(&state.cfg.metrics_token, peer, &headers) {
        MetricsAccess::Allowed => {
            Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response())
        }
        MetricsAccess::WrongToken => {
            Err(ApiError::unauthorized(ErrorCode::MetricsToken, "metrics need the bearer token"))
        }
        MetricsAccess::NotLocal => Err(ApiError::not_found(ErrorCode::NoRoute, "no such endpoint")),
    }
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON).into_response()
}

async fn server_info(State(state): State<AppState>) -> Json<ServerInfo> {
    Json(ServerInfo {
        v: PROTOCOL_VERSION,
        server_pk: b64(state.server_key.verifying_key().as_bytes()),
        protocols: vec![PROTOCOL_VERSION],
        limits: state.cfg.limits(),
    })
}

async fn register(State(state): State<AppState>, a: Authed) -> ApiResult<Response> {
    crate::watermark::check(&state)?;
    let req: RegisterRequest = VersionedJson::parse(&a.body)?;
    let bad = |m: &str| ApiError::bad_request(ErrorCode::BadRegistration, m.to_string());
    let identity: PublicKey = unb64_array(&req.identity_pk, "identity_pk").map_err(|_| bad("bad identity key"))?;
    let device: PublicKey = unb64_array(&req.device_pk, "device_pk").map_err(|_| bad("bad device key"))?;
    if device != a.device {
        return Err(bad("device_pk is not the key that signed the request"));
    }
    let sig: [u8; 64] = unb64_array(&req.identity_sig, "identity_sig").map_err(|_| bad("bad identity signature"))?;
    proto::verify_sig(&identity, &proto::register_message(&identity, &device), &sig)
        .map_err(|_| ApiError::bad_request(ErrorCode::BadIdentitySignature, "identity signature does not verify"))?;
    let vault = proto::vault_id(&identity);
    // A retry of a registration that went through costs nothing; a new vault passes the policy, and
    // under invitation-only registration uses up its code.
    if state.meta.vault_state(vault).await?.is_none() {
        crate::registration::check_vault(&state, a.client, req.invitation.is_some())?;
        crate::registration::redeem_invitation(&state, req.invitation.as_deref(), &vault).await?;
    }
    let status = match state.meta.register_vault(vault, identity, device, now_secs()).await? {
        RegisterOutcome::Created => {
            state.metrics.vaults_registered.fetch_add(1, Relaxed);
            tracing::info!(vault = %short(&vault), "vault registered");
            StatusCode::CREATED
        }
        RegisterOutcome::Existing => StatusCode::OK,
        RegisterOutcome::Conflict => {
            return Err(ApiError::conflict(
                ErrorCode::VaultExists,
                "this identity already has a vault with another first device",
            ));
        }
    };
    let (point, _) = vault_head(&state, &vault).await?;
    let resp = RegisterResponse {
        v: PROTOCOL_VERSION,
        vault: VaultId::from(vault).to_string(),
        server_pk: b64(state.server_key.verifying_key().as_bytes()),
        head: head(&state, &vault, point),
    };
    Ok((status, Json(resp)).into_response())
}

async fn vault_info(State(state): State<AppState>, Member { vault, .. }: Member) -> ApiResult<Json<VaultInfo>> {
    let (point, usage) = vault_head(&state, &vault).await?;
    Ok(Json(VaultInfo {
        v: PROTOCOL_VERSION,
        vault: VaultId::from(vault).to_string(),
        usage_bytes: usage,
        quota_bytes: crate::registration::quota_of(&state, &vault).await?,
        head: head(&state, &vault, point),
    }))
}

async fn list_devices(State(state): State<AppState>, Member { vault, .. }: Member) -> ApiResult<Json<DevicesResponse>> {
    let seen: std::collections::HashMap<PublicKey, u64> =
        state.enrolments.last_seen(vault).await?.into_iter().collect();
    let devices = state
        .meta
        .devices(vault)
        .await?
        .into_iter()
        .map(|d| DeviceInfo {
            device_pk: b64(&d.device),
            added_at: d.added_at,
            added_by: d.added_by.map(|b| b64(&b)),
            removed_at: d.removed_at,
            last_seen_at: seen.get(&d.device).copied(),
        })
        .collect();
    Ok(Json(DevicesResponse { v: PROTOCOL_VERSION, devices }))
}

async fn add_device(
    State(state): State<AppState>,
    Member { vault, device: signer, body: VersionedJson(req), .. }: Member<VersionedJson<DeviceAddRequest>>,
) -> ApiResult<Response> {
    let device: PublicKey = unb64_array(&req.device_pk, "device_pk")
        .ok()
        .filter(|pk| proto::verifying_key(pk).is_ok())
        .ok_or_else(|| ApiError::bad_request(ErrorCode::BadDeviceKey, "device_pk is not an Ed25519 public key"))?;
    if state.meta.add_device(vault, device, signer, now_secs()).await? {
        tracing::info!(vault = %short(&vault), "device added");
        let detail = serde_json::json!({ "device": b64(&device), "by_device": b64(&signer) });
        audit::record(&state, vault, AuditKind::DeviceAdded, detail).await;
        Ok((StatusCode::CREATED, Json(serde_json::json!({"v": PROTOCOL_VERSION}))).into_response())
    } else {
        Err(ApiError::conflict(
            ErrorCode::DeviceWasRemoved,
            "a removed device cannot be added again; make a new device key",
        ))
    }
}

async fn remove_device(
    State(state): State<AppState>,
    Path((_, device)): Path<(String, String)>,
    Member { vault, device: signer, .. }: Member,
) -> ApiResult<StatusCode> {
    let device: PublicKey = unb64_array(&device, "device")
        .map_err(|_| ApiError::bad_request(ErrorCode::BadDeviceKey, "device must be a base64url public key"))?;
    // With it goes every key it enrolled, directly or through others (store/enrolment.rs).
    let removed = state.enrolments.remove_with_enrolled(vault, device, signer, now_secs()).await?;
    // After the write: drop the cached answers and bump the epoch so lookups that read the database
    // before the write do not cache their (now stale) answer.
    state.members.forget_device(&vault, &device);
    for d in removed.iter().flatten() {
        state.members.forget_device(&vault, d);
    }
    let Some(enrolled) = removed else {
        return Err(ApiError::not_found(ErrorCode::UnknownDevice, "no such device in this vault"));
    };
    tracing::info!(vault = %short(&vault), also = enrolled.len(), "device removed");
    let detail = serde_json::json!({ "device": b64(&device), "by_device": b64(&signer) });
    audit::record(&state, vault, AuditKind::DeviceRemoved, detail).await;
    for d in &enrolled {
        let detail = serde_json::json!({ "device": b64(d), "by_device": b64(&signer), "enrolled_under": b64(&device) });
        audit::record(&state, vault, AuditKind::DeviceRemoved, detail).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn append_ops(
    State(state): State<AppState>,
    Member { vault, device: signer, body: VersionedJson(req), .. }: Member<VersionedJson<AppendRequest>>,
) -> ApiResult<Json<AppendResponse>> {
    if req.ops.is_empty() || req.ops.len() as u64 > state.cfg.max_ops_per_append {
        return Err(ApiError::bad_request(
            ErrorCode::BadOpCount,
            format!("1 to {} ops per request", state.cfg.max_ops_per_append),
        ));
    }
    let mut ops = Vec::with_capacity(req.ops.len());
    for w in &req.ops {
        let op = Op::from_wire(w).map_err(|e| ApiError::bad_request(ErrorCode::BadOp, e.to_string()))?;
        if op.writer != signer {
            return Err(ApiError::forbidden(ErrorCode::WriterMismatch, "ops must be written by the signing device"));
        }
        let len = op.payload.len() as u64;
        if len > state.cfg.max_op_payload_bytes {
            return Err(ApiError::too_large("op payload too large"));
        }
        if len < 4 || !is_padme(len) {
            return Err(ApiError::bad_request(ErrorCode::BadPadding, "op payload length is not a Padmé length"));
        }
        op.verify(&vault)
            .map_err(|_| ApiError::bad_request(ErrorCode::BadOpSignature, "op signature does not verify"))?;
        ops.push(op);
    }
    let n = ops.len() as u64;
    let quota = crate::registration::quota_of(&state, &vault).await?;
    match state.meta.append_ops(vault, ops, quota).await? {
        AppendOutcome::Appended { seqs, head: point } => {
            state.metrics.ops_appended.fetch_add(n, Relaxed);
            Ok(Json(AppendResponse { v: PROTOCOL_VERSION, seqs, head: head(&state, &vault, point) }))
        }
        AppendOutcome::CounterMismatch { expected, got } => Err(ApiError::conflict(
            ErrorCode::CounterMismatch,
            format!("writer counter {got} does not follow the last one (expected {expected})"),
        )),
        AppendOutcome::SeenInFuture => Err(ApiError::conflict(
            ErrorCode::UnknownSeenHead,
            "an op claims a seen head that is not in this vault's log",
        )),
        AppendOutcome::QuotaExceeded => Err(ApiError::quota()),
    }
}

async fn pull_ops(State(state): State<AppState>, Member { vault, query, .. }: Member) -> ApiResult<Json<PullResponse>> {
    let since = query_u64(query.as_deref(), "since")?.unwrap_or(0);
    let limit =
        query_u64(query.as_deref(), "limit")?.unwrap_or(state.cfg.max_pull_ops).clamp(1, state.cfg.max_pull_ops);
    // A `since` beyond the head is an empty page with the head (the client sees its server went back);
    // no stored seq exceeds i64::MAX, so larger values mean the same and must not reach the store.
    let stored_since = since.min(i64::MAX as u64);
    let (ops, point) = state.meta.ops_since(vault, stored_since, limit).await?;
    let last = ops.last().map(|o| o.seq).unwrap_or(since);
    let ops = ops.into_iter().map(|o| OpRecord { seq: o.seq, op: o.op.to_wire() }).collect();
    Ok(Json(PullResponse { v: PROTOCOL_VERSION, ops, more: last < point.seq, head: head(&state, &vault, point) }))
}

async fn put_chunk(
    State(state): State<AppState>,
    Path((_, hash)): Path<(String, String)>,
    Member { vault, body, .. }: Member,
) -> ApiResult<Response> {
    let hash = hash_param(&hash, "chunk hash")?;
    let size = body.len() as u64;
    if size == 0 || !is_padme(size) {
        return Err(ApiError::bad_request(ErrorCode::BadPadding, "chunk length is not a Padmé length"));
    }
    if proto::chunk_address(&body) != hash {
        return Err(ApiError::bad_request(ErrorCode::HashMismatch, "chunk bytes do not hash to the address"));
    }
    let created = if state.meta.has_chunk(vault, hash).await? {
        false
    } else {
        crate::watermark::check(&state)?;
        let (_, usage) = vault_head(&state, &vault).await?;
        let quota = crate::registration::quota_of(&state, &vault).await?;
        if usage.saturating_add(size) > quota {
            return Err(ApiError::quota());
        }
        state.chunks.put(vault, hash, body).await?;
        match state.meta.record_chunk(vault, hash, size, quota).await? {
            ChunkRecordOutcome::Created => {
                state.metrics.chunks_stored.fetch_add(1, Relaxed);
                state.metrics.chunk_bytes_stored.fetch_add(size, Relaxed);
                true
            }
            ChunkRecordOutcome::Existing => false,
            ChunkRecordOutcome::QuotaExceeded => return Err(ApiError::quota()),
        }
    };
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    let body = ChunkPutResponse { v: PROTOCOL_VERSION, hash: ChunkAddr::from(hash).to_string(), size, created };
    Ok((status, Json(body)).into_response())
}

async fn get_chunk(
    State(state): State<AppState>,
    Path((_, hash)): Path<(String, String)>,
    Member { vault, .. }: Member,
) -> ApiResult<Response> {
    let hash = hash_param(&hash, "chunk hash")?;
    // Served straight from the chunk store: its files are namespaced by vault and content-addressed, so a
    // file without its database row (a put cut by a crash) is still the right bytes.
    let not_found = || ApiError::not_found(ErrorCode::UnknownChunk, "no such chunk in this vault");
    let bytes: Bytes = state.chunks.get(vault, hash).await?.ok_or_else(not_found)?;
    state.metrics.chunk_bytes_served.fetch_add(bytes.len() as u64, Relaxed);
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

fn hash_list(state: &AppState, hashes: &[String]) -> ApiResult<Vec<Hash>> {
    if hashes.len() as u64 > state.cfg.max_chunks_per_query {
        return Err(ApiError::bad_request(
            ErrorCode::TooManyChunks,
            format!("at most {} hashes", state.cfg.max_chunks_per_query),
        ));
    }
    hashes.iter().map(|h| hash_param(h, "chunk hash")).collect()
}

async fn missing_chunks(
    State(state): State<AppState>,
    Member { vault, body: VersionedJson(req), .. }: Member<VersionedJson<ChunkList>>,
) -> ApiResult<Json<MissingResponse>> {
    let hashes = hash_list(&state, &req.hashes)?;
    let missing = state.meta.missing_chunks(vault, hashes).await?;
    Ok(Json(MissingResponse {
        v: PROTOCOL_VERSION,
        missing: missing.iter().map(|h| ChunkAddr::from(*h).to_string()).collect(),
    }))
}

/// Several chunks in one signed request: `(len(be32) || bytes)*`, in the order asked, stopping before
/// `max_fetch_bytes` (always at least one). The client asks again for the rest. Every chunk is read before
/// answering (an unknown one is a 404 listing it), then the frames are sent as they are, without copying
/// them into one buffer.
async fn fetch_chunks(
    State(state): State<AppState>,
    Member { vault, body: VersionedJson(req), .. }: Member<VersionedJson<ChunkList>>,
) -> ApiResult<Response> {
    let hashes = hash_list(&state, &req.hashes)?;
    // The budget counts chunk bytes; the 4-byte frame headers fit in what `max_fetch_bytes` leaves over.
    let budget = state.cfg.max_fetch_bytes.saturating_sub(4 * hashes.len() as u64);
    let chunks = state.chunks.get_many(vault, &hashes, budget).await?;
    let mut frames: Vec<Bytes> = Vec::with_capacity(chunks.len() * 2);
    let mut total = 0u64;
    for (h, bytes) in hashes.iter().zip(chunks) {
        let Some(bytes) = bytes else {
            let mut e = ApiError::not_found(ErrorCode::UnknownChunk, "no such chunk in this vault");
            e.missing = vec![ChunkAddr::from(*h).to_string()];
            return Err(e);
        };
        let prefix = frame_header(bytes.len()).map_err(|_| ApiError::too_large("chunk too large"))?;
        frames.push(Bytes::copy_from_slice(&prefix));
        total += 4 + bytes.len() as u64;
        frames.push(bytes);
    }
    state.metrics.chunk_bytes_served.fetch_add(total, Relaxed);
    let body = axum::body::Body::from_stream(futures_util::stream::iter(frames.into_iter().map(Ok::<_, Infallible>)));
    let length = total.to_string();
    Ok(([(header::CONTENT_TYPE, "application/octet-stream"), (header::CONTENT_LENGTH, length.as_str())], body)
        .into_response())
}

async fn commit_blob(
    State(state): State<AppState>,
    Member { vault, body: VersionedJson(req), .. }: Member<VersionedJson<BlobCommitRequest>>,
) -> ApiResult<Response> {
    let id = BlobId::parse(&req.blob_id)
        .map(|b| b.as_bytes().to_vec())
        .map_err(|_| ApiError::bad_request(ErrorCode::BadBlobId, "blob_id must be 16 to 32 bytes of lowercase hex"))?;
    if req.chunks.is_empty() {
        return Err(ApiError::bad_request(ErrorCode::EmptyBlob, "a blob has at least one chunk"));
    }
    let chunks = hash_list(&state, &req.chunks)?;
    refuse_repeated_chunks(&chunks)?;
    let info = |size, committed_at| BlobInfo {
        v: PROTOCOL_VERSION,
        blob_id: req.blob_id.clone(),
        chunks: req.chunks.clone(),
        size,
        committed_at,
    };
    match state.meta.commit_blob(vault, id, chunks, now_secs()).await? {
        CommitOutcome::Committed { size, committed_at } => {
            Ok((StatusCode::CREATED, Json(info(size, committed_at))).into_response())
        }
        CommitOutcome::Existing { size, committed_at } => {
            Ok((StatusCode::OK, Json(info(size, committed_at))).into_response())
        }
        CommitOutcome::Missing(missing) => {
            let mut e =
                ApiError::conflict(ErrorCode::MissingChunks, format!("{} chunk(s) not uploaded yet", missing.len()));
            e.missing = missing.iter().map(|h| ChunkAddr::from(*h).to_string()).collect();
            Err(e)
        }
        CommitOutcome::Conflict => {
            Err(ApiError::conflict(ErrorCode::BlobConflict, "this blob id was committed with other chunks"))
        }
    }
}

/// Each chunk of a blob is encrypted with its own position, so a real blob never lists an address twice;
/// one listed many times would turn a few stored megabytes into a gigabyte-long download for an agent.
fn refuse_repeated_chunks(chunks: &[Hash]) -> ApiResult<()> {
    let mut seen = std::collections::HashSet::with_capacity(chunks.len());
    if chunks.iter().all(|h| seen.insert(*h)) {
        Ok(())
    } else {
        Err(ApiError::bad_request(ErrorCode::DuplicateChunk, "a blob lists each chunk once"))
    }
}

async fn get_blob(
    State(state): State<AppState>,
    Path((_, blob_id)): Path<(String, String)>,
    Member { vault, .. }: Member,
) -> ApiResult<Json<BlobInfo>> {
    let id = BlobId::parse(&blob_id)
        .map(|b| b.as_bytes().to_vec())
        .map_err(|_| ApiError::bad_request(ErrorCode::BadBlobId, "bad blob id"))?;
    let rec =
        state.meta.blob(vault, id).await?.ok_or_else(|| ApiError::not_found(ErrorCode::UnknownBlob, "no such blob"))?;
    Ok(Json(BlobInfo {
        v: PROTOCOL_VERSION,
        blob_id,
        chunks: rec.chunks.iter().map(|h| ChunkAddr::from(*h).to_string()).collect(),
        size: rec.size,
        committed_at: rec.committed_at,
    }))
}

// ---------------------------------------------------------------------------------------------------
// Mailbox: authenticated by the capability key derived from the linking QR's one-time secret.

fn mailbox_auth(state: &AppState, id: &str, headers: &HeaderMap) -> ApiResult<Hash> {
    let id = hash_param(id, "mailbox id")?;
    let key = headers
        .get(HDR_MAILBOX_KEY)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::unauthorized(ErrorCode::Unsigned, "mailbox key header missing"))?;
    let key: [u8; 32] = unb64_array(key, "mailbox key")
        .map_err(|_| ApiError::forbidden(ErrorCode::BadMailboxKey, "wrong mailbox key"))?;
    if proto::mailbox_id(&key) != id {
        return Err(ApiError::forbidden(ErrorCode::BadMailboxKey, "wrong mailbox key"));
    }
    if let Err(wait) = state.limiter.take(id) {
        state.metrics.rate_limited();
        return Err(ApiError::rate_limited("too many requests for this mailbox", wait));
    }
    Ok(id)
}

async fn mailbox_put(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let id = mailbox_auth(&state, &id, &headers)?;
    // One address fills at most `mailboxes_per_address` mailboxes at once, so a flood from one client
    // cannot take the whole pool and stop everyone else's device linking and mandate hand-overs.
    if let Some(ip) = client
        && let Err(wait) = state.mailbox_addresses.take(AddressKey::of(ip).bucket("mailbox"))
    {
        state.metrics.rate_limited();
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::AddressLimited,
            "too many mailboxes from this network address; try again later",
        );
        e.retry_after = Some(wait);
        return Err(e);
    }
    let req: MailboxMessage = VersionedJson::parse(&body)?;
    let message = unb64(&req.message, "message")
        .map_err(|_| ApiError::bad_request(ErrorCode::BadMessage, "message must be base64url"))?;
    if message.len() as u64 > state.cfg.max_mailbox_bytes {
        return Err(ApiError::too_large("mailbox message too large"));
    }
    match state.meta.mailbox_put(id, message, now_secs(), state.cfg.mailbox_ttl_secs, state.cfg.max_mailboxes).await? {
        MailboxPutOutcome::Stored { expires_at } => {
            Ok((StatusCode::CREATED, Json(MailboxMessage { v: PROTOCOL_VERSION, message: String::new(), expires_at }))
                .into_response())
        }
        MailboxPutOutcome::Occupied => {
            Err(ApiError::conflict(ErrorCode::MailboxOccupied, "this mailbox already holds a message"))
        }
        MailboxPutOutcome::Full => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::MailboxesFull,
            "too many open mailboxes, try again later",
        )),
    }
}

async fn mailbox_get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<MailboxMessage>> {
    let id = mailbox_auth(&state, &id, &headers)?;
    let (message, expires_at) = state
        .meta
        .mailbox_get(id, now_secs())
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::EmptyMailbox, "no message (yet, or expired)"))?;
    Ok(Json(MailboxMessage { v: PROTOCOL_VERSION, message: b64(&message), expires_at }))
}

async fn mailbox_delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let id = mailbox_auth(&state, &id, &headers)?;
    state.meta.mailbox_delete(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
