//! Blocking facade for the apps (they call from their own threads). Every blocking client of the
//! process runs its network code on one shared tokio runtime, built on first use: a flow that makes a
//! client per call (the core's sessions, an agent reading page after page) no longer starts worker
//! threads each time. Do not call these methods from inside another tokio runtime.

use std::sync::OnceLock;

use coffre_crypto::SigningKey;
use coffre_sync_protocol::{DevicesResponse, Hash, PublicKey, ServerInfo, VaultInfo};

use crate::client::{
    Appended, BlobRef, CancelToken, OpDraft, Pinned, ProgressFn, Registration, SyncClient, SyncOutcome, UploadReport,
};
use crate::error::{Result, SyncError};
use crate::pacing::BusyFn;
use crate::verify::{ChainState, LogView, VerifiedOp};

/// The runtime all blocking clients share (two workers: the transfers are I/O-bound). Never dropped,
/// so connections a client leaves in the pool stay valid for the next one.
static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

/// The shared runtime, built on first use.
pub(crate) fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("coffre-sync")
        .enable_all()
        .build()
        .map_err(|e| SyncError::Io(e.kind().to_string()))?;
    // Two threads may race to build it: one runtime wins, the other is dropped unused.
    Ok(RUNTIME.get_or_init(|| rt))
}

pub struct BlockingClient {
    pub(crate) rt: &'static tokio::runtime::Runtime,
    pub(crate) inner: SyncClient,
}

impl BlockingClient {
    /// A client for `base_url` signing as `device`, on the shared runtime (cheap: no thread is started
    /// after the first client).
    pub fn new(base_url: &str, device: SigningKey) -> Result<BlockingClient> {
        let rt = runtime()?;
        let inner = {
            let _guard = rt.enter();
            SyncClient::new(base_url, device)?
        };
        Ok(BlockingClient { rt, inner })
    }

    /// The async client underneath (shares the connection pool).
    pub fn async_client(&self) -> &SyncClient {
        &self.inner
    }

    pub fn attach(&self, vault: Hash, server_pk: PublicKey) {
        self.inner.attach(vault, server_pk)
    }
    pub fn pinned(&self) -> Result<Pinned> {
        self.inner.pinned()
    }
    pub fn device_pk(&self) -> PublicKey {
        self.inner.device_pk()
    }
    /// See [`SyncClient::pace`].
    pub fn pace(&self, limits: Option<&coffre_sync_protocol::Limits>, cancel: &CancelToken, on_busy: Option<BusyFn>) {
        self.inner.pace(limits, cancel, on_busy)
    }
    pub fn busy_answers(&self) -> u64 {
        self.inner.busy_answers()
    }
    pub fn server_info(&self) -> Result<ServerInfo> {
        self.rt.block_on(self.inner.server_info())
    }
    pub fn register(&self, identity: &SigningKey) -> Result<Registration> {
        self.rt.block_on(self.inner.register(identity))
    }
    pub fn vault_info(&self) -> Result<VaultInfo> {
        self.rt.block_on(self.inner.vault_info())
    }
    pub fn add_device(&self, device_pk: &PublicKey) -> Result<()> {
        self.rt.block_on(self.inner.add_device(device_pk))
    }
    pub fn remove_device(&self, device_pk: &PublicKey) -> Result<()> {
        self.rt.block_on(self.inner.remove_device(device_pk))
    }
    pub fn devices(&self) -> Result<DevicesResponse> {
        self.rt.block_on(self.inner.devices())
    }
    pub fn append(&self, state: &ChainState, drafts: &[OpDraft]) -> Result<Appended> {
        self.rt.block_on(self.inner.append(state, drafts))
    }
    pub fn pull(&self, state: &ChainState, view: &mut dyn LogView) -> Result<(Vec<VerifiedOp>, ChainState)> {
        self.rt.block_on(self.inner.pull(state, view))
    }
    pub fn sync(&self, state: &ChainState, outbox: &[OpDraft], view: &mut dyn LogView) -> Result<SyncOutcome> {
        self.rt.block_on(self.inner.sync(state, outbox, view))
    }
    pub fn upload_blob(
        &self,
        blob_id: &[u8],
        ciphertext: &[u8],
        progress: ProgressFn<'_>,
        cancel: &CancelToken,
    ) -> Result<UploadReport> {
        self.rt.block_on(self.inner.upload_blob(blob_id, ciphertext, progress, cancel))
    }
    pub fn download_blob(
        &self,
        blob: &BlobRef,
        progress: ProgressFn<'_>,
        cancel: &CancelToken,
    ) -> Result<bytes::Bytes> {
        self.rt.block_on(self.inner.download_blob(blob, progress, cancel))
    }
    pub fn download_blobs(
        &self,
        blobs: &[BlobRef],
        progress: ProgressFn<'_>,
        cancel: &CancelToken,
    ) -> Result<Vec<bytes::Bytes>> {
        self.rt.block_on(self.inner.download_blobs(blobs, progress, cancel))
    }
    pub fn mailbox_put(&self, secret: &[u8; 32], message: &[u8]) -> Result<()> {
        self.rt.block_on(self.inner.mailbox_put(secret, message))
    }
    pub fn mailbox_get(&self, secret: &[u8; 32]) -> Result<Option<Vec<u8>>> {
        self.rt.block_on(self.inner.mailbox_get(secret))
    }
    pub fn mailbox_delete(&self, secret: &[u8; 32]) -> Result<()> {
        self.rt.block_on(self.inner.mailbox_delete(secret))
    }
}
