//! The async protocol client. Apps use [`crate::BlockingClient`], which owns a runtime; the async client
//! is public for tools and load tests that drive many devices on one runtime.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use coffre_crypto::SigningKey;
use coffre_sync_protocol::{
    self as proto, AppendRequest, AppendResponse, BlobCommitRequest, BlobInfo, ChainPoint, ChunkAddr, ChunkList,
    DeviceAddRequest, DevicesResponse, ErrorBody, ErrorCode, HDR_MAILBOX_KEY, Hash, MailboxId, MailboxMessage,
    MissingResponse, Op, PROTOCOL_VERSION, PublicKey, PullResponse, RegisterRequest, RegisterResponse, ServerInfo,
    VaultId, VaultInfo, b64, frame::split_frames, unb64, unb64_array,
};
use rand_core::{OsRng, RngCore};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use crate::cancel::CancelToken;
use crate::error::{Result, SyncError};
use crate::pacing::{BusyFn, Pacer, parse_retry_after};
use crate::verify::{ChainState, LogView, VerifiedOp, Verifier, verify_head};

/// Default size of blob chunks before padding (the vault's STREAM chunking is independent).
pub const DEFAULT_CHUNK_SIZE: usize = 256 * 1024;
/// Chunk requests kept in flight during a transfer.
pub const TRANSFER_CONCURRENCY: usize = 4;
/// Chunks asked for in one batched fetch (the server may return fewer; the client asks again).
pub const FETCH_BATCH: usize = 4;
/// Batched fetches kept in flight during a download.
pub const DOWNLOAD_CONCURRENCY: usize = 8;

/// The vault and server key this client is attached to (pinned at registration or at linking).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pinned {
    pub vault: Hash,
    pub server_pk: PublicKey,
}

/// Result of [`SyncClient::register`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub vault: Hash,
    pub server_pk: PublicKey,
    pub state: ChainState,
}

/// One op to append: the writer's counter (1, 2, 3, ... per device; assign it when the op enters the
/// outbox and persist it with the op) and the encrypted payload (padded by the client).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpDraft {
    pub counter: u64,
    pub ciphertext: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Seq assigned to each draft.
    pub seqs: Vec<u64>,
    /// The head after the append (signature verified). Not yet "verified state": pull to verify the chain.
    pub head: ChainPoint,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOutcome {
    pub appended: Option<Appended>,
    pub ops: Vec<VerifiedOp>,
    /// The new verified state: persist it.
    pub state: ChainState,
}

/// Progress of a transfer, in chunks and padded bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub done_chunks: usize,
    pub total_chunks: usize,
    pub done_bytes: u64,
    pub total_bytes: u64,
}

/// What the caller stores (inside its encrypted op) to fetch a blob later: the chunk list is taken from
/// here, not from the server, so a server that swaps or reorders chunks is caught.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRef {
    /// hex
    pub blob_id: String,
    /// hex SHA-256 of each padded chunk, in order.
    pub chunks: Vec<String>,
    /// Length of the ciphertext before chunk padding.
    pub len: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadReport {
    pub blob: BlobRef,
    pub chunks_sent: usize,
    pub chunks_skipped: usize,
    pub bytes_sent: u64,
}

/// Split a ciphertext into padded chunks: all but the last are `chunk_size` (use a Padmé length such as
/// [`DEFAULT_CHUNK_SIZE`]); the last is zero-padded to its Padmé length.
pub fn split_chunks(ciphertext: &[u8], chunk_size: usize) -> Vec<Vec<u8>> {
    let size = chunk_size.max(1);
    if ciphertext.is_empty() {
        return vec![proto::pad_chunk(vec![0])];
    }
    ciphertext.chunks(size).map(|c| proto::pad_chunk(c.to_vec())).collect()
}

/// The next `n` downloaded chunks as one buffer (the chunk itself when `n` is 1).
fn join_chunks(parts: &mut impl Iterator<Item = Option<Bytes>>, n: usize) -> Result<Bytes> {
    let mut taken = Vec::with_capacity(n);
    for _ in 0..n {
        taken.push(parts.next().flatten().ok_or(SyncError::Cancelled)?);
    }
    if taken.len() == 1 {
        return taken.pop().ok_or(SyncError::Cancelled);
    }
    let mut data = bytes::BytesMut::with_capacity(taken.iter().map(Bytes::len).sum());
    for c in &taken {
        data.extend_from_slice(c);
    }
    Ok(data.freeze())
}

pub type ProgressFn<'a> = &'a (dyn Fn(Progress) + Send + Sync);

struct Inner {
    http: reqwest::Client,
    base: String,
    device: SigningKey,
    pinned: RwLock<Option<Pinned>>,
    pacer: Pacer,
}

/// Async client for one device. Cheap to clone (shared connection pool).
#[derive(Clone)]
pub struct SyncClient(Arc<Inner>);

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

pub(crate) fn decode<T: DeserializeOwned>(b: &[u8]) -> Result<T> {
    serde_json::from_slice(b).map_err(|_| SyncError::Protocol("malformed response body".into()))
}

/// A chunk address as the server wrote it.
fn chunk_addr(s: &str) -> Result<Hash> {
    ChunkAddr::parse(s).map(ChunkAddr::to_bytes).map_err(|_| SyncError::Protocol("bad hash in response".into()))
}

impl SyncClient {
    /// A client for `base_url` (e.g. `https://coffre.example.org`), signing as `device`.
    pub fn new(base_url: &str, device: SigningKey) -> Result<SyncClient> {
        let http = crate::tls::http_client_builder()?
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(120))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(SyncError::network)?;
        Ok(SyncClient(Arc::new(Inner {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            device,
            pinned: RwLock::new(None),
            pacer: Pacer::default(),
        })))
    }

    /// Attach to a known vault with the server key pinned earlier.
    pub fn attach(&self, vault: Hash, server_pk: PublicKey) {
        if let Ok(mut p) = self.0.pinned.write() {
            *p = Some(Pinned { vault, server_pk });
        }
    }

    pub fn pinned(&self) -> Result<Pinned> {
        self.0.pinned.read().ok().and_then(|p| *p).ok_or(SyncError::NotRegistered)
    }

    pub fn device_pk(&self) -> PublicKey {
        self.0.device.verifying_key().to_bytes()
    }

    /// Pace this client for one job: mirror the rate the server announces in its limits (`None`
    /// keeps only the `429` handling), wait out busy answers under `cancel`, and call `on_busy` with
    /// the seconds of each wait (to tell the person). Resets the busy-wait budget.
    pub fn pace(&self, limits: Option<&proto::Limits>, cancel: &CancelToken, on_busy: Option<BusyFn>) {
        self.0.pacer.set_rate(limits.and_then(|l| l.rate_burst), limits.and_then(|l| l.rate_per_sec));
        self.0.pacer.set_hooks(cancel, on_busy);
    }

    /// Busy answers (`429`, `503`) this client met and waited out (or gave up on).
    pub fn busy_answers(&self) -> u64 {
        self.0.pacer.busy_answers()
    }

    pub fn base_url(&self) -> &str {
        &self.0.base
    }

    pub(crate) fn vault_path(&self, rest: &str) -> Result<(Pinned, String)> {
        let p = self.pinned()?;
        Ok((p, format!("/v1/vaults/{}{rest}", VaultId::from(p.vault))))
    }

    /// Send a signed request, paced (see [`crate::pacing`]): a busy answer is waited out and the
    /// request sent again (newly signed); other non-2xx answers become errors. Every endpoint has a
    /// typed method built on this one; it stays public for tools and tests that probe the server.
    pub async fn send(&self, method: reqwest::Method, path_q: &str, body: Vec<u8>, json: bool) -> Result<Bytes> {
        let body = Bytes::from(body);
        loop {
            self.0.pacer.before_request().await?;
            match self.send_once(method.clone(), path_q, body.clone(), json).await {
                Err(SyncError::ServerBusy { status, retry_after_secs }) => {
                    self.0.pacer.after_busy(status, Some(retry_after_secs)).await?
                }
                other => return other,
            }
        }
    }

    /// One signed request, not paced: a busy server is an error (`ServerBusy`).
    pub async fn send_once(&self, method: reqwest::Method, path_q: &str, body: Bytes, json: bool) -> Result<Bytes> {
        let mut nonce = [0u8; 16];
        OsRng.fill_bytes(&mut nonce);
        let auth = proto::sign_request(&self.0.device, method.as_str(), path_q, &body, now_secs(), &nonce);
        let mut req = self.0.http.request(method, format!("{}{path_q}", self.0.base));
        for (k, v) in auth.headers() {
            req = req.header(k, v);
        }
        if !body.is_empty() {
            let ct = if json { "application/json" } else { "application/octet-stream" };
            req = req.header("content-type", ct).body(body);
        }
        let resp = req.send().await.map_err(SyncError::network)?;
        Self::check(resp).await
    }

    pub(crate) async fn check(resp: reqwest::Response) -> Result<Bytes> {
        let status = resp.status();
        let retry_after = resp.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok());
        let retry_after_secs = parse_retry_after(retry_after);
        let bytes = resp.bytes().await.map_err(SyncError::network)?;
        if status.is_success() {
            return Ok(bytes);
        }
        let (code, message) = match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(e) => (e.code(), e.message),
            Err(_) => (ErrorCode::HttpError, String::new()),
        };
        Err(match (status.as_u16(), &code) {
            (_, ErrorCode::ServerFull) => SyncError::ServerFull,
            (507, _) | (_, ErrorCode::QuotaExceeded) => SyncError::QuotaExceeded,
            (429 | 503, _) => SyncError::ServerBusy {
                status: status.as_u16(),
                retry_after_secs: retry_after_secs.unwrap_or(crate::pacing::DEFAULT_RETRY_AFTER_SECS),
            },
            (_, ErrorCode::DeviceRevoked) => SyncError::DeviceRevoked,
            _ => SyncError::Server { status: status.as_u16(), code, message },
        })
    }

    pub(crate) async fn get_json<T: DeserializeOwned>(&self, path_q: &str) -> Result<T> {
        decode(&self.send(reqwest::Method::GET, path_q, Vec::new(), true).await?)
    }

    pub(crate) async fn post_json<B: Serialize, T: DeserializeOwned>(&self, path_q: &str, body: &B) -> Result<T> {
        let body = serde_json::to_vec(body).map_err(|_| SyncError::Protocol("cannot encode body".into()))?;
        decode(&self.send(reqwest::Method::POST, path_q, body, true).await?)
    }

    // -----------------------------------------------------------------------------------------------
    // Vault and devices

    /// Unauthenticated server description (limits, key). Do not pin the key from here.
    pub async fn server_info(&self) -> Result<ServerInfo> {
        let resp = self.0.http.get(format!("{}/v1/server", self.0.base)).send().await.map_err(SyncError::network)?;
        decode(&Self::check(resp).await?)
    }

    /// Register a new vault for `identity` with this device as its first device. Pins the server key
    /// returned (trust on first use; show its fingerprint to the agent if the operator publishes it).
    pub async fn register(&self, identity: &SigningKey) -> Result<Registration> {
        self.register_invited(identity, None).await
    }

    /// [`SyncClient::register`] with an invitation code from a structure's agent (servers whose
    /// registration is by invitation).
    pub async fn register_invited(&self, identity: &SigningKey, invitation: Option<&str>) -> Result<Registration> {
        let identity_pk = identity.verifying_key().to_bytes();
        let device_pk = self.device_pk();
        let req = RegisterRequest {
            v: PROTOCOL_VERSION,
            identity_pk: b64(&identity_pk),
            device_pk: b64(&device_pk),
            identity_sig: b64(&proto::sign(identity, &proto::register_message(&identity_pk, &device_pk))),
            invitation: invitation.map(str::to_string),
        };
        let resp: RegisterResponse = self.post_json("/v1/vaults", &req).await?;
        let vault = proto::vault_id(&identity_pk);
        if VaultId::parse(&resp.vault).map_err(|_| SyncError::Protocol("bad hash in response".into()))?.as_bytes()
            != &vault
        {
            return Err(SyncError::Tampered { what: "vault id", seq: None });
        }
        let server_pk: PublicKey =
            unb64_array(&resp.server_pk, "server_pk").map_err(|_| SyncError::Protocol("bad server key".into()))?;
        let head = verify_head(&resp.head, &server_pk, &vault)?;
        let state = ChainState::genesis(vault);
        if head.seq == 0 && head.hash != state.point.hash {
            return Err(SyncError::Fork { seq: 0 });
        }
        self.attach(vault, server_pk);
        Ok(Registration { vault, server_pk, state })
    }

    pub async fn vault_info(&self) -> Result<VaultInfo> {
        let (p, path) = self.vault_path("")?;
        let info: VaultInfo = self.get_json(&path).await?;
        verify_head(&info.head, &p.server_pk, &p.vault)?;
        Ok(info)
    }

    /// Enroll another device (called from an enrolled device, e.g. during QR linking).
    pub async fn add_device(&self, device_pk: &PublicKey) -> Result<()> {
        let (_, path) = self.vault_path("/devices")?;
        let body = DeviceAddRequest { v: PROTOCOL_VERSION, device_pk: b64(device_pk) };
        let _: serde_json::Value = self.post_json(&path, &body).await?;
        Ok(())
    }

    /// Remove a device (lost phone); its requests are refused from now on.
    pub async fn remove_device(&self, device_pk: &PublicKey) -> Result<()> {
        let (_, path) = self.vault_path(&format!("/devices/{}", b64(device_pk)))?;
        self.send(reqwest::Method::DELETE, &path, Vec::new(), true).await?;
        Ok(())
    }

    pub async fn devices(&self) -> Result<DevicesResponse> {
        let (_, path) = self.vault_path("/devices")?;
        self.get_json(&path).await
    }

    // -----------------------------------------------------------------------------------------------
    // Op log

    /// Append ops written on top of `state` (the last verified state: it becomes each op's *seen* head).
    /// Retrying after a cut is safe: the server recognises ops it already has.
    pub async fn append(&self, state: &ChainState, drafts: &[OpDraft]) -> Result<Appended> {
        let (p, path) = self.vault_path("/ops")?;
        let mut ops = Vec::with_capacity(drafts.len());
        for d in drafts {
            let payload =
                proto::pad_payload(&d.ciphertext).map_err(|_| SyncError::Protocol("payload too large".into()))?;
            ops.push(Op::sign(&self.0.device, &p.vault, d.counter, state.point, payload).to_wire());
        }
        let resp: AppendResponse = self.post_json(&path, &AppendRequest { v: PROTOCOL_VERSION, ops }).await?;
        let head = verify_head(&resp.head, &p.server_pk, &p.vault)?;
        if head.seq < state.point.seq {
            return Err(SyncError::Rollback { known: state.point.seq, served: head.seq });
        }
        if resp.seqs.len() != drafts.len() {
            return Err(SyncError::Protocol("append answer has the wrong number of seqs".into()));
        }
        Ok(Appended { seqs: resp.seqs, head })
    }

    /// Pull every op after `state`, verifying as it goes (see [`crate::verify`]). On any error nothing is
    /// returned: the caller keeps its state and local data as they were.
    pub async fn pull(&self, state: &ChainState, view: &mut dyn LogView) -> Result<(Vec<VerifiedOp>, ChainState)> {
        let p = self.pinned()?;
        if state.vault != p.vault {
            return Err(SyncError::Protocol("chain state of another vault".into()));
        }
        let mut verifier = Verifier::new(state, p.server_pk, view);
        loop {
            let since = verifier.next_since();
            let (_, path) = self.vault_path(&format!("/ops?since={since}"))?;
            let page: PullResponse = self.get_json(&path).await?;
            let progressed = !page.ops.is_empty();
            verifier.page(&page)?;
            if !page.more || verifier.complete() {
                break;
            }
            if !progressed {
                return Err(SyncError::Gap { expected: since + 1, got: since });
            }
        }
        verifier.finish()
    }

    /// Push the outbox (if any) then pull and verify everything new, own ops included.
    pub async fn sync(&self, state: &ChainState, outbox: &[OpDraft], view: &mut dyn LogView) -> Result<SyncOutcome> {
        let appended = if outbox.is_empty() { None } else { Some(self.append(state, outbox).await?) };
        let (ops, new_state) = self.pull(state, view).await?;
        if let Some(a) = &appended {
            // Our own ops must be in the verified history at the seqs the server gave.
            for (d, seq) in outbox.iter().zip(&a.seqs) {
                let mine = ops.iter().any(|o| o.seq == *seq && o.writer == self.device_pk() && o.counter == d.counter)
                    || *seq <= state.point.seq;
                if !mine {
                    return Err(SyncError::Fork { seq: *seq });
                }
            }
        }
        Ok(SyncOutcome { appended, ops, state: new_state })
    }

    // -----------------------------------------------------------------------------------------------
    // Chunks and blobs

    /// Store one padded chunk; returns its hash. Idempotent.
    pub async fn put_chunk(&self, chunk: Vec<u8>) -> Result<Hash> {
        let hash = proto::chunk_address(&chunk);
        let (_, path) = self.vault_path(&format!("/chunks/{}", ChunkAddr::from(hash)))?;
        self.send(reqwest::Method::PUT, &path, chunk, false).await?;
        Ok(hash)
    }

    /// Fetch one chunk and check it against its address.
    pub async fn get_chunk(&self, hash: &Hash) -> Result<Bytes> {
        let (_, path) = self.vault_path(&format!("/chunks/{}", ChunkAddr::from(*hash)))?;
        let bytes = self.send(reqwest::Method::GET, &path, Vec::new(), false).await?;
        if proto::chunk_address(&bytes) != *hash {
            return Err(SyncError::Tampered { what: "chunk does not match its hash", seq: None });
        }
        Ok(bytes)
    }

    /// Which of `hashes` the server lacks.
    pub async fn missing(&self, hashes: &[Hash]) -> Result<Vec<Hash>> {
        let (_, path) = self.vault_path("/chunks/missing")?;
        let mut out = Vec::new();
        for batch in hashes.chunks(1024) {
            let body = ChunkList {
                v: PROTOCOL_VERSION,
                hashes: batch.iter().map(|h| ChunkAddr::from(*h).to_string()).collect(),
            };
            let resp: MissingResponse = self.post_json(&path, &body).await?;
            for h in &resp.missing {
                out.push(chunk_addr(h)?);
            }
        }
        Ok(out)
    }

    /// Upload a blob (its ciphertext, split by [`split_chunks`]) and commit it. Resumable: chunks the server
    /// already holds are not sent again, so calling it again after a cut sends only what is missing (a
    /// blob of a single chunk is sent again rather than asked about: the same one request).
    pub async fn upload_blob(
        &self,
        blob_id: &[u8],
        ciphertext: &[u8],
        progress: ProgressFn<'_>,
        cancel: &CancelToken,
    ) -> Result<UploadReport> {
        let chunks = split_chunks(ciphertext, DEFAULT_CHUNK_SIZE);
        let mut report = self.upload_chunks(blob_id, chunks, progress, cancel).await?;
        report.blob.len = ciphertext.len() as u64;
        Ok(report)
    }

    /// Upload already padded chunks and commit them as blob `blob_id` (16..=32 bytes).
    pub async fn upload_chunks(
        &self,
        blob_id: &[u8],
        chunks: Vec<Vec<u8>>,
        progress: ProgressFn<'_>,
        cancel: &CancelToken,
    ) -> Result<UploadReport> {
        if !(16..=32).contains(&blob_id.len()) {
            return Err(SyncError::Protocol("blob id must be 16 to 32 bytes".into()));
        }
        let hashes: Vec<Hash> = chunks.iter().map(|c| proto::chunk_address(c)).collect();
        let total_bytes: u64 = chunks.iter().map(|c| c.len() as u64).sum();
        let len = total_bytes;
        let mut prog = Progress { done_chunks: 0, total_chunks: chunks.len(), done_bytes: 0, total_bytes };
        let mut sent = 0usize;
        let mut bytes_sent = 0u64;
        // Two rounds at most: the commit lists what is still missing if a chunk vanished meanwhile.
        for round in 0..2 {
            if cancel.is_cancelled() {
                return Err(SyncError::Cancelled);
            }
            // A blob of one chunk (most pages) is sent without asking first: asking costs a request of
            // the device's rate budget, like sending it again (the server keeps one copy).
            let todo: Vec<usize> = if round == 0 && chunks.len() == 1 {
                vec![0]
            } else {
                let missing = self.missing(&hashes).await?;
                (0..chunks.len()).filter(|i| missing.contains(&hashes[*i])).collect()
            };
            prog.done_chunks = chunks.len() - todo.len();
            prog.done_bytes = total_bytes - todo.iter().map(|i| chunks[*i].len() as u64).sum::<u64>();
            progress(prog);
            let mut set = tokio::task::JoinSet::new();
            let mut queue = todo.into_iter();
            let mut failure: Option<SyncError> = None;
            loop {
                while set.len() < TRANSFER_CONCURRENCY && failure.is_none() && !cancel.is_cancelled() {
                    let Some(i) = queue.next() else { break };
                    let client = self.clone();
                    let chunk = chunks[i].clone();
                    set.spawn(async move {
                        let n = chunk.len() as u64;
                        client.put_chunk(chunk).await.map(|_| n)
                    });
                }
                let Some(joined) = set.join_next().await else { break };
                match joined {
                    Ok(Ok(n)) => {
                        sent += 1;
                        bytes_sent += n;
                        prog.done_chunks += 1;
                        prog.done_bytes += n;
                        progress(prog);
                    }
                    Ok(Err(e)) => {
                        failure.get_or_insert(e);
                    }
                    Err(_) => {
                        failure.get_or_insert(SyncError::Protocol("transfer task failed".into()));
                    }
                }
            }
            if let Some(e) = failure {
                return Err(e);
            }
            if cancel.is_cancelled() {
                return Err(SyncError::Cancelled);
            }
            let (_, path) = self.vault_path("/blobs")?;
            let body = BlobCommitRequest {
                v: PROTOCOL_VERSION,
                blob_id: hex::encode(blob_id),
                chunks: hashes.iter().map(|h| ChunkAddr::from(*h).to_string()).collect(),
            };
            match self.post_json::<_, BlobInfo>(&path, &body).await {
                Ok(_) => {
                    let blob = BlobRef { blob_id: body.blob_id.clone(), chunks: body.chunks, len };
                    return Ok(UploadReport {
                        blob,
                        chunks_sent: sent,
                        chunks_skipped: chunks.len().saturating_sub(sent),
                        bytes_sent,
                    });
                }
                Err(SyncError::Server { code: ErrorCode::MissingChunks, .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(SyncError::Protocol("the server keeps losing chunks".into()))
    }

    /// Fetch chunks with batched requests (`POST .../chunks/fetch`), each checked against its hash.
    /// Returns them in the order asked.
    pub async fn fetch_chunks(&self, hashes: &[Hash]) -> Result<Vec<Bytes>> {
        let (_, path) = self.vault_path("/chunks/fetch")?;
        let mut out = Vec::with_capacity(hashes.len());
        while out.len() < hashes.len() {
            let ask = &hashes[out.len()..hashes.len().min(out.len() + FETCH_BATCH)];
            let body = serde_json::to_vec(&ChunkList {
                v: PROTOCOL_VERSION,
                hashes: ask.iter().map(|h| ChunkAddr::from(*h).to_string()).collect(),
            })
            .map_err(|_| SyncError::Protocol("cannot encode body".into()))?;
            let framed = self.send(reqwest::Method::POST, &path, body, true).await?;
            let frames = split_frames(&framed).map_err(|_| SyncError::Tampered { what: "chunk framing", seq: None })?;
            if frames.is_empty() {
                return Err(SyncError::Protocol("the server returned no chunk".into()));
            }
            for (got, chunk) in frames.into_iter().enumerate() {
                let index = out.len();
                if got >= ask.len() || proto::chunk_address(chunk) != hashes[index] {
                    return Err(SyncError::ChunkCorrupt { index });
                }
                // A view into the response, not a copy.
                out.push(framed.slice_ref(chunk));
            }
        }
        Ok(out)
    }

    /// Download a blob from its [`BlobRef`]: every chunk is checked against the hash the uploader recorded,
    /// and the padding is cut to `len`.
    pub async fn download_blob(&self, blob: &BlobRef, progress: ProgressFn<'_>, cancel: &CancelToken) -> Result<Bytes> {
        let mut all = self.download_blobs(std::slice::from_ref(blob), progress, cancel).await?;
        all.pop().ok_or(SyncError::Cancelled)
    }

    /// Download several blobs (e.g. a new device catching up): chunks are fetched in batches of
    /// [`FETCH_BATCH`], [`DOWNLOAD_CONCURRENCY`] batches in flight, each chunk checked against its `BlobRef`
    /// hash (`ChunkCorrupt { index }` counts chunks across all the blobs, in order). A blob of one chunk
    /// is handed back without copying it out of the response.
    pub async fn download_blobs(
        &self,
        blobs: &[BlobRef],
        progress: ProgressFn<'_>,
        cancel: &CancelToken,
    ) -> Result<Vec<Bytes>> {
        let mut hashes: Vec<Hash> = Vec::new();
        for b in blobs {
            for h in &b.chunks {
                hashes.push(chunk_addr(h)?);
            }
        }
        let batches: Vec<(usize, Vec<Hash>)> =
            hashes.chunks(FETCH_BATCH).enumerate().map(|(i, c)| (i * FETCH_BATCH, c.to_vec())).collect();
        let mut parts: Vec<Option<Bytes>> = vec![None; hashes.len()];
        let mut prog = Progress { total_chunks: hashes.len(), ..Progress::default() };
        let mut set = tokio::task::JoinSet::new();
        let mut queue = batches.into_iter();
        let mut failure: Option<SyncError> = None;
        loop {
            while set.len() < DOWNLOAD_CONCURRENCY && failure.is_none() && !cancel.is_cancelled() {
                let Some((first, batch)) = queue.next() else { break };
                let client = self.clone();
                set.spawn(async move { (first, client.fetch_chunks(&batch).await) });
            }
            let Some(joined) = set.join_next().await else { break };
            match joined {
                Ok((first, Ok(chunks))) => {
                    for (k, c) in chunks.into_iter().enumerate() {
                        prog.done_chunks += 1;
                        prog.done_bytes += c.len() as u64;
                        parts[first + k] = Some(c);
                    }
                    progress(prog);
                }
                Ok((first, Err(SyncError::ChunkCorrupt { index }))) => {
                    failure.get_or_insert(SyncError::ChunkCorrupt { index: first + index });
                }
                Ok((_, Err(e))) => {
                    failure.get_or_insert(e);
                }
                Err(_) => {
                    failure.get_or_insert(SyncError::Protocol("transfer task failed".into()));
                }
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
        if cancel.is_cancelled() {
            return Err(SyncError::Cancelled);
        }
        let mut parts = parts.into_iter();
        let mut out = Vec::with_capacity(blobs.len());
        for b in blobs {
            let len = usize::try_from(b.len).map_err(|_| SyncError::Protocol("blob too large".into()))?;
            let data = join_chunks(&mut parts, b.chunks.len())?;
            if len > data.len() || data[len..].iter().any(|x| *x != 0) {
                return Err(SyncError::Tampered { what: "blob length or padding", seq: None });
            }
            out.push(data.slice(..len));
        }
        Ok(out)
    }

    // -----------------------------------------------------------------------------------------------
    // Mailbox (device linking); authenticated by the QR's one-time secret, not by a device key.

    fn mailbox_url(&self, secret: &[u8; 32]) -> (String, String) {
        let key = proto::mailbox_key(secret);
        (format!("{}/v1/mailbox/{}", self.0.base, MailboxId::from(proto::mailbox_id(&key))), b64(&key))
    }

    pub async fn mailbox_put(&self, secret: &[u8; 32], message: &[u8]) -> Result<()> {
        let (url, key) = self.mailbox_url(secret);
        let body = serde_json::to_vec(&MailboxMessage { v: PROTOCOL_VERSION, message: b64(message), expires_at: 0 })
            .map_err(|_| SyncError::Protocol("cannot encode body".into()))?;
        let resp = self
            .0
            .http
            .put(url)
            .header(HDR_MAILBOX_KEY, key)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(SyncError::network)?;
        Self::check(resp).await.map(|_| ())
    }

    /// The message, or `None` if the mailbox is still empty.
    pub async fn mailbox_get(&self, secret: &[u8; 32]) -> Result<Option<Vec<u8>>> {
        let (url, key) = self.mailbox_url(secret);
        let resp = self.0.http.get(url).header(HDR_MAILBOX_KEY, key).send().await.map_err(SyncError::network)?;
        match Self::check(resp).await {
            Ok(b) => {
                let m: MailboxMessage = decode(&b)?;
                Ok(Some(unb64(&m.message, "message").map_err(|_| SyncError::Protocol("bad mailbox message".into()))?))
            }
            Err(SyncError::Server { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn mailbox_delete(&self, secret: &[u8; 32]) -> Result<()> {
        let (url, key) = self.mailbox_url(secret);
        let resp = self.0.http.delete(url).header(HDR_MAILBOX_KEY, key).send().await.map_err(SyncError::network)?;
        Self::check(resp).await.map(|_| ())
    }
}
