//! HTTP handlers. They stay thin: decode and check the request, call the stores, sign the head, encode.

use std::convert::Infallible;
use std::sync::atomic::Ordering::Relaxed;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use coffre_sync_protocol::{
    self as proto, AppendRequest, AppendResponse, BlobCommitRequest, BlobInfo, ChainPoint, ChunkList, ChunkPutResponse,
    DeviceAddRequest, DeviceInfo, DevicesResponse, HDR_MAILBOX_KEY, Hash, MailboxMessage, MissingResponse, Op,
    OpRecord, PROTOCOL_VERSION, PublicKey, PullResponse, RegisterRequest, RegisterResponse, ServerInfo, SignedHead,
    VaultInfo, b64, is_padme, unb64, unb64_array, unhex32,
};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::auth::Authed;
use crate::error::ApiError;
use crate::store::{AppendOutcome, ChunkRecordOutcome, CommitOutcome, MailboxPutOutcome, Membership, RegisterOutcome};

type ApiResult<T> = Result<T, ApiError>;

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
    ("post", "/v1/recovery/assisted/{vault}/start"),
    ("post", "/v1/recovery/assisted/{vault}/release"),
    ("get", "/v1/recovery/assisted/slot"),
    ("post", "/v1/vaults/{vault}/recovery/keys-rotated"),
    // share links (share.rs)
    ("post", "/v1/vaults/{vault}/shares"),
    ("get", "/v1/vaults/{vault}/shares"),
    ("delete", "/v1/vaults/{vault}/shares/{id}"),
    ("get", "/s/{id}"),
    ("post", "/s/{id}/open"),
    ("get", "/s/{id}/pages/{index}"),
    ("get", "/assets/share-viewer.js"),
];

pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

pub fn router(state: AppState) -> Router {
    let chunk_limit = usize::try_from(state.cfg.max_chunk_bytes).unwrap_or(usize::MAX);
    let json_limit = usize::try_from(state.cfg.max_json_bytes).unwrap_or(usize::MAX);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/v1/server", get(server_info))
        .route("/v1/vaults", post(register))
        .route("/v1/vaults/{vault}", get(vault_info))
        .route("/v1/vaults/{vault}/devices", get(list_devices).post(add_device))
        .route("/v1/vaults/{vault}/devices/{device}", axum::routing::delete(remove_device))
        .route("/v1/vaults/{vault}/ops", get(pull_ops).post(append_ops))
        .route(
            "/v1/vaults/{vault}/chunks/{hash}",
            put(put_chunk).layer(DefaultBodyLimit::max(chunk_limit)).get(get_chunk),
        )
        .route("/v1/vaults/{vault}/chunks/missing", post(missing_chunks))
        .route("/v1/vaults/{vault}/chunks/fetch", post(fetch_chunks))
        .route("/v1/vaults/{vault}/blobs", post(commit_blob))
        .route("/v1/vaults/{vault}/blobs/{blob_id}", get(get_blob))
        .route("/v1/mailbox/{id}", put(mailbox_put).get(mailbox_get).delete(mailbox_delete))
        .merge(crate::mandate::routes())
        .merge(crate::recovery::routes())
        .merge(crate::share::routes(&state))
        .fallback(no_route)
        .layer(DefaultBodyLimit::max(json_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::observe))
        .with_state(state)
}

async fn no_route() -> ApiError {
    ApiError::not_found("no_route", "no such endpoint")
}

pub(crate) fn json<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_json(&e))
}

pub(crate) fn check_v(v: u32) -> ApiResult<()> {
    if v == PROTOCOL_VERSION { Ok(()) } else { Err(ApiError::version(v)) }
}

fn hash_param(s: &str, what: &'static str) -> ApiResult<Hash> {
    unhex32(s, what).map_err(|_| ApiError::bad_request("bad_hash", format!("{what} must be 64 lowercase hex digits")))
}

fn head(state: &AppState, vault: &Hash, point: ChainPoint) -> SignedHead {
    SignedHead::sign(&state.server_key, vault, point, crate::now_secs())
}

/// The vault named in the path, if the signing device is enrolled in it.
pub(crate) async fn member(state: &AppState, vault: &str, device: &PublicKey) -> ApiResult<Hash> {
    let vault = unhex32(vault, "vault").map_err(|_| ApiError::not_found("unknown_vault", "no such vault"))?;
    let now = std::time::Instant::now();
    let epoch = match state.members.lock() {
        Ok(g) if g.0.get(&(vault, *device)).is_some_and(|t| now.duration_since(*t) < crate::MEMBERSHIP_TTL) => {
            return Ok(vault);
        }
        Ok(g) => g.1,
        Err(_) => u64::MAX,
    };
    match state.meta.membership(vault, *device).await? {
        Membership::Enrolled => {
            if let Ok(mut g) = state.members.lock()
                && g.1 == epoch
            {
                if g.0.len() > 100_000 {
                    g.0.retain(|_, t| now.duration_since(*t) < crate::MEMBERSHIP_TTL);
                }
                g.0.insert((vault, *device), now);
            }
            Ok(vault)
        }
        Membership::NoVault => Err(ApiError::not_found("unknown_vault", "no such vault")),
        Membership::NotMember => {
            state.metrics.auth_failure("membership");
            Err(ApiError::forbidden("not_a_member", "this device is not enrolled in this vault"))
        }
        Membership::Revoked => {
            state.metrics.auth_failure("membership");
            Err(ApiError::forbidden("device_revoked", "this device was removed from this vault"))
        }
    }
}

async fn vault_head(state: &AppState, vault: &Hash) -> ApiResult<(ChainPoint, u64)> {
    state.meta.vault_state(*vault).await?.ok_or_else(|| ApiError::not_found("unknown_vault", "no such vault"))
}

// ---------------------------------------------------------------------------------------------------

async fn healthz(State(state): State<AppState>) -> Response {
    match (state.meta.ping().await, state.chunks.ping().await) {
        (Ok(()), Ok(())) => (StatusCode::OK, Json(serde_json::json!({"status": "ok"}))).into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({"status": "unavailable"}))).into_response(),
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
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
    let req: RegisterRequest = json(&a.body)?;
    check_v(req.v)?;
    let bad = |m: &str| ApiError::bad_request("bad_registration", m.to_string());
    let identity: PublicKey = unb64_array(&req.identity_pk, "identity_pk").map_err(|_| bad("bad identity key"))?;
    let device: PublicKey = unb64_array(&req.device_pk, "device_pk").map_err(|_| bad("bad device key"))?;
    if device != a.device {
        return Err(bad("device_pk is not the key that signed the request"));
    }
    let sig: [u8; 64] = unb64_array(&req.identity_sig, "identity_sig").map_err(|_| bad("bad identity signature"))?;
    proto::verify_sig(&identity, &proto::register_message(&identity, &device), &sig)
        .map_err(|_| ApiError::bad_request("bad_identity_signature", "identity signature does not verify"))?;
    if !state.cfg.registration_open {
        return Err(ApiError::forbidden("registration_closed", "this server does not register new vaults"));
    }
    let vault = proto::vault_id(&identity);
    let status = match state.meta.register_vault(vault, identity, device, crate::now_secs()).await? {
        RegisterOutcome::Created => {
            state.metrics.vaults_registered.fetch_add(1, Relaxed);
            tracing::info!(vault = %short(&vault), "vault registered");
            StatusCode::CREATED
        }
        RegisterOutcome::Existing => StatusCode::OK,
        RegisterOutcome::Conflict => {
            return Err(ApiError::conflict(
                "vault_exists",
                "this identity already has a vault with another first device",
            ));
        }
    };
    let (point, _) = vault_head(&state, &vault).await?;
    let resp = RegisterResponse {
        v: PROTOCOL_VERSION,
        vault: hex::encode(vault),
        server_pk: b64(state.server_key.verifying_key().as_bytes()),
        head: head(&state, &vault, point),
    };
    Ok((status, Json(resp)).into_response())
}

/// Short, non-reversible vault tag for logs.
pub fn short(vault: &Hash) -> String {
    hex::encode(&vault[..4])
}

async fn vault_info(State(state): State<AppState>, Path(vault): Path<String>, a: Authed) -> ApiResult<Json<VaultInfo>> {
    let vault = member(&state, &vault, &a.device).await?;
    let (point, usage) = vault_head(&state, &vault).await?;
    Ok(Json(VaultInfo {
        v: PROTOCOL_VERSION,
        vault: hex::encode(vault),
        usage_bytes: usage,
        quota_bytes: state.cfg.quota_bytes,
        head: head(&state, &vault, point),
    }))
}

async fn list_devices(
    State(state): State<AppState>,
    Path(vault): Path<String>,
    a: Authed,
) -> ApiResult<Json<DevicesResponse>> {
    let vault = member(&state, &vault, &a.device).await?;
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
        })
        .collect();
    Ok(Json(DevicesResponse { v: PROTOCOL_VERSION, devices }))
}

async fn add_device(State(state): State<AppState>, Path(vault): Path<String>, a: Authed) -> ApiResult<Response> {
    let vault = member(&state, &vault, &a.device).await?;
    let req: DeviceAddRequest = json(&a.body)?;
    check_v(req.v)?;
    let device: PublicKey = unb64_array(&req.device_pk, "device_pk")
        .ok()
        .filter(|pk| proto::verifying_key(pk).is_ok())
        .ok_or_else(|| ApiError::bad_request("bad_device_key", "device_pk is not an Ed25519 public key"))?;
    if state.meta.add_device(vault, device, a.device, crate::now_secs()).await? {
        tracing::info!(vault = %short(&vault), "device added");
        let detail = serde_json::json!({ "device": b64(&device), "by_device": b64(&a.device) });
        crate::mandate::record(&state, vault, coffre_mandate::audit::kind::DEVICE_ADDED, detail).await;
        Ok((StatusCode::CREATED, Json(serde_json::json!({"v": PROTOCOL_VERSION}))).into_response())
    } else {
        Err(ApiError::conflict("device_was_removed", "a removed device cannot be added again; make a new device key"))
    }
}

async fn remove_device(
    State(state): State<AppState>,
    Path((vault, device)): Path<(String, String)>,
    a: Authed,
) -> ApiResult<StatusCode> {
    let vault = member(&state, &vault, &a.device).await?;
    let device: PublicKey = unb64_array(&device, "device")
        .map_err(|_| ApiError::bad_request("bad_device_key", "device must be a base64url public key"))?;
    let removed = state.meta.remove_device(vault, device, crate::now_secs()).await?;
    // After the write: drop the cached answer and bump the epoch so lookups that read the database before
    // the write do not cache their (now stale) answer.
    if let Ok(mut g) = state.members.lock() {
        g.1 = g.1.wrapping_add(1);
        g.0.remove(&(vault, device));
    }
    if removed {
        tracing::info!(vault = %short(&vault), "device removed");
        let detail = serde_json::json!({ "device": b64(&device), "by_device": b64(&a.device) });
        crate::mandate::record(&state, vault, coffre_mandate::audit::kind::DEVICE_REMOVED, detail).await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("unknown_device", "no such device in this vault"))
    }
}

async fn append_ops(
    State(state): State<AppState>,
    Path(vault): Path<String>,
    a: Authed,
) -> ApiResult<Json<AppendResponse>> {
    let vault = member(&state, &vault, &a.device).await?;
    let req: AppendRequest = json(&a.body)?;
    check_v(req.v)?;
    if req.ops.is_empty() || req.ops.len() as u64 > state.cfg.max_ops_per_append {
        return Err(ApiError::bad_request(
            "bad_op_count",
            format!("1 to {} ops per request", state.cfg.max_ops_per_append),
        ));
    }
    let mut ops = Vec::with_capacity(req.ops.len());
    for w in &req.ops {
        let op = Op::from_wire(w).map_err(|e| ApiError::bad_request("bad_op", e.to_string()))?;
        if op.writer != a.device {
            return Err(ApiError::forbidden("writer_mismatch", "ops must be written by the signing device"));
        }
        let len = op.payload.len() as u64;
        if len > state.cfg.max_op_payload_bytes {
            return Err(ApiError::too_large("op payload too large"));
        }
        if len < 4 || !is_padme(len) {
            return Err(ApiError::bad_request("bad_padding", "op payload length is not a Padmé length"));
        }
        op.verify(&vault).map_err(|_| ApiError::bad_request("bad_op_signature", "op signature does not verify"))?;
        ops.push(op);
    }
    let n = ops.len() as u64;
    match state.meta.append_ops(vault, ops, state.cfg.quota_bytes).await? {
        AppendOutcome::Appended { seqs, head: point } => {
            state.metrics.ops_appended.fetch_add(n, Relaxed);
            Ok(Json(AppendResponse { v: PROTOCOL_VERSION, seqs, head: head(&state, &vault, point) }))
        }
        AppendOutcome::CounterMismatch { expected, got } => Err(ApiError::conflict(
            "counter_mismatch",
            format!("writer counter {got} does not follow the last one (expected {expected})"),
        )),
        AppendOutcome::SeenInFuture => {
            Err(ApiError::conflict("unknown_seen_head", "an op claims a seen head that is not in this vault's log"))
        }
        AppendOutcome::QuotaExceeded => Err(ApiError::quota()),
    }
}

pub(crate) fn query_u64(q: Option<&str>, key: &str) -> ApiResult<Option<u64>> {
    let Some(q) = q else { return Ok(None) };
    for pair in q.split('&') {
        if let Some((k, v)) = pair.split_once('=')
            && k == key
        {
            return v
                .parse()
                .map(Some)
                .map_err(|_| ApiError::bad_request("bad_query", format!("{key} must be an integer")));
        }
    }
    Ok(None)
}

async fn pull_ops(
    State(state): State<AppState>,
    Path(vault): Path<String>,
    a: Authed,
) -> ApiResult<Json<PullResponse>> {
    let vault = member(&state, &vault, &a.device).await?;
    let since = query_u64(a.query.as_deref(), "since")?.unwrap_or(0);
    let limit =
        query_u64(a.query.as_deref(), "limit")?.unwrap_or(state.cfg.max_pull_ops).clamp(1, state.cfg.max_pull_ops);
    let (ops, point) = state.meta.ops_since(vault, since, limit).await?;
    let last = ops.last().map(|o| o.seq).unwrap_or(since);
    let ops = ops.into_iter().map(|o| OpRecord { seq: o.seq, op: o.op.to_wire() }).collect();
    Ok(Json(PullResponse { v: PROTOCOL_VERSION, ops, more: last < point.seq, head: head(&state, &vault, point) }))
}

async fn put_chunk(
    State(state): State<AppState>,
    Path((vault, hash)): Path<(String, String)>,
    a: Authed,
) -> ApiResult<Response> {
    let vault = member(&state, &vault, &a.device).await?;
    let hash = hash_param(&hash, "chunk hash")?;
    let size = a.body.len() as u64;
    if size == 0 || !is_padme(size) {
        return Err(ApiError::bad_request("bad_padding", "chunk length is not a Padmé length"));
    }
    if proto::chunk_address(&a.body) != hash {
        return Err(ApiError::bad_request("hash_mismatch", "chunk bytes do not hash to the address"));
    }
    let created = if state.meta.has_chunk(vault, hash).await? {
        false
    } else {
        let (_, usage) = vault_head(&state, &vault).await?;
        if usage.saturating_add(size) > state.cfg.quota_bytes {
            return Err(ApiError::quota());
        }
        state.chunks.put(vault, hash, a.body).await?;
        match state.meta.record_chunk(vault, hash, size, state.cfg.quota_bytes).await? {
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
    let body = ChunkPutResponse { v: PROTOCOL_VERSION, hash: hex::encode(hash), size, created };
    Ok((status, Json(body)).into_response())
}

async fn get_chunk(
    State(state): State<AppState>,
    Path((vault, hash)): Path<(String, String)>,
    a: Authed,
) -> ApiResult<Response> {
    let vault = member(&state, &vault, &a.device).await?;
    let hash = hash_param(&hash, "chunk hash")?;
    // Served straight from the chunk store: its files are namespaced by vault and content-addressed, so a
    // file without its database row (a put cut by a crash) is still the right bytes.
    let not_found = || ApiError::not_found("unknown_chunk", "no such chunk in this vault");
    let bytes: Bytes = state.chunks.get(vault, hash).await?.ok_or_else(not_found)?;
    state.metrics.chunk_bytes_served.fetch_add(bytes.len() as u64, Relaxed);
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

fn hash_list(state: &AppState, hashes: &[String]) -> ApiResult<Vec<Hash>> {
    if hashes.len() as u64 > state.cfg.max_chunks_per_query {
        return Err(ApiError::bad_request(
            "too_many_chunks",
            format!("at most {} hashes", state.cfg.max_chunks_per_query),
        ));
    }
    hashes.iter().map(|h| hash_param(h, "chunk hash")).collect()
}

async fn missing_chunks(
    State(state): State<AppState>,
    Path(vault): Path<String>,
    a: Authed,
) -> ApiResult<Json<MissingResponse>> {
    let vault = member(&state, &vault, &a.device).await?;
    let req: ChunkList = json(&a.body)?;
    check_v(req.v)?;
    let hashes = hash_list(&state, &req.hashes)?;
    let missing = state.meta.missing_chunks(vault, hashes).await?;
    Ok(Json(MissingResponse { v: PROTOCOL_VERSION, missing: missing.iter().map(hex::encode).collect() }))
}

/// Several chunks in one signed request: `(len(be32) || bytes)*`, in the order asked, stopping before
/// `max_fetch_bytes` (always at least one). The client asks again for the rest. Every chunk is read before
/// answering (an unknown one is a 404 listing it), then the frames are sent as they are, without copying
/// them into one buffer.
async fn fetch_chunks(State(state): State<AppState>, Path(vault): Path<String>, a: Authed) -> ApiResult<Response> {
    let vault = member(&state, &vault, &a.device).await?;
    let req: ChunkList = json(&a.body)?;
    check_v(req.v)?;
    let hashes = hash_list(&state, &req.hashes)?;
    // The budget counts chunk bytes; the 4-byte frame headers fit in what `max_fetch_bytes` leaves over.
    let budget = state.cfg.max_fetch_bytes.saturating_sub(4 * hashes.len() as u64);
    let chunks = state.chunks.get_many(vault, &hashes, budget).await?;
    let mut frames: Vec<Bytes> = Vec::with_capacity(chunks.len() * 2);
    let mut total = 0u64;
    for (h, bytes) in hashes.iter().zip(chunks) {
        let Some(bytes) = bytes else {
            let mut e = ApiError::not_found("unknown_chunk", "no such chunk in this vault");
            e.missing = vec![hex::encode(h)];
            return Err(e);
        };
        let len = u32::try_from(bytes.len()).map_err(|_| ApiError::too_large("chunk too large"))?;
        frames.push(Bytes::copy_from_slice(&len.to_be_bytes()));
        total += 4 + bytes.len() as u64;
        frames.push(bytes);
    }
    state.metrics.chunk_bytes_served.fetch_add(total, Relaxed);
    let body = axum::body::Body::from_stream(futures_util::stream::iter(frames.into_iter().map(Ok::<_, Infallible>)));
    let length = total.to_string();
    Ok(([(header::CONTENT_TYPE, "application/octet-stream"), (header::CONTENT_LENGTH, length.as_str())], body)
        .into_response())
}

async fn commit_blob(State(state): State<AppState>, Path(vault): Path<String>, a: Authed) -> ApiResult<Response> {
    let vault = member(&state, &vault, &a.device).await?;
    let req: BlobCommitRequest = json(&a.body)?;
    check_v(req.v)?;
    let id = proto::parse_blob_id(&req.blob_id)
        .map_err(|_| ApiError::bad_request("bad_blob_id", "blob_id must be 16 to 32 bytes of lowercase hex"))?;
    if req.chunks.is_empty() {
        return Err(ApiError::bad_request("empty_blob", "a blob has at least one chunk"));
    }
    let chunks = hash_list(&state, &req.chunks)?;
    let info = |size, committed_at| BlobInfo {
        v: PROTOCOL_VERSION,
        blob_id: req.blob_id.clone(),
        chunks: req.chunks.clone(),
        size,
        committed_at,
    };
    match state.meta.commit_blob(vault, id, chunks, crate::now_secs()).await? {
        CommitOutcome::Committed { size, committed_at } => {
            Ok((StatusCode::CREATED, Json(info(size, committed_at))).into_response())
        }
        CommitOutcome::Existing { size, committed_at } => {
            Ok((StatusCode::OK, Json(info(size, committed_at))).into_response())
        }
        CommitOutcome::Missing(missing) => {
            let mut e = ApiError::conflict("missing_chunks", format!("{} chunk(s) not uploaded yet", missing.len()));
            e.missing = missing.iter().map(hex::encode).collect();
            Err(e)
        }
        CommitOutcome::Conflict => {
            Err(ApiError::conflict("blob_conflict", "this blob id was committed with other chunks"))
        }
    }
}

async fn get_blob(
    State(state): State<AppState>,
    Path((vault, blob_id)): Path<(String, String)>,
    a: Authed,
) -> ApiResult<Json<BlobInfo>> {
    let vault = member(&state, &vault, &a.device).await?;
    let id = proto::parse_blob_id(&blob_id).map_err(|_| ApiError::bad_request("bad_blob_id", "bad blob id"))?;
    let rec = state.meta.blob(vault, id).await?.ok_or_else(|| ApiError::not_found("unknown_blob", "no such blob"))?;
    Ok(Json(BlobInfo {
        v: PROTOCOL_VERSION,
        blob_id,
        chunks: rec.chunks.iter().map(hex::encode).collect(),
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
        .ok_or_else(|| ApiError::unauthorized("unsigned", "mailbox key header missing"))?;
    let key: [u8; 32] =
        unb64_array(key, "mailbox key").map_err(|_| ApiError::forbidden("bad_mailbox_key", "wrong mailbox key"))?;
    if proto::mailbox_id(&key) != id {
        return Err(ApiError::forbidden("bad_mailbox_key", "wrong mailbox key"));
    }
    if let Err(wait) = state.limiter.take(id) {
        state.metrics.rate_limited();
        let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many requests for this mailbox");
        e.retry_after = Some(wait);
        return Err(e);
    }
    Ok(id)
}

async fn mailbox_put(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let id = mailbox_auth(&state, &id, &headers)?;
    let req: MailboxMessage = json(&body)?;
    check_v(req.v)?;
    let message = unb64(&req.message, "message")
        .map_err(|_| ApiError::bad_request("bad_message", "message must be base64url"))?;
    if message.len() as u64 > state.cfg.max_mailbox_bytes {
        return Err(ApiError::too_large("mailbox message too large"));
    }
    match state
        .meta
        .mailbox_put(id, message, crate::now_secs(), state.cfg.mailbox_ttl_secs, state.cfg.max_mailboxes)
        .await?
    {
        MailboxPutOutcome::Stored { expires_at } => {
            Ok((StatusCode::CREATED, Json(MailboxMessage { v: PROTOCOL_VERSION, message: String::new(), expires_at }))
                .into_response())
        }
        MailboxPutOutcome::Occupied => {
            Err(ApiError::conflict("mailbox_occupied", "this mailbox already holds a message"))
        }
        MailboxPutOutcome::Full => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "mailboxes_full",
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
        .mailbox_get(id, crate::now_secs())
        .await?
        .ok_or_else(|| ApiError::not_found("empty_mailbox", "no message (yet, or expired)"))?;
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
