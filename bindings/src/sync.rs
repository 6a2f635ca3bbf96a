//! [`SyncApi`] (enrol, sync, devices, approving a new phone through [`LinkApproval`]) and
//! [`DeviceLink`] (the new phone's side). Calls block; the engine owns its runtime; long ones take a [`ProgressListener`] and a
//! [`CancelHandle`].

use crate::error::Result;
use crate::inner::Inner;
use crate::progress::{CancelHandle, ProgressListener};
use crate::types::{Device, LinkStatus, SyncOptions, SyncReport};
use coffre_core::sync_engine::{self as engine, EngineError, PendingLink};
use coffre_core::vault::DocId;
use std::sync::Arc;
use zeroize::Zeroizing;

#[derive(uniffi::Object)]
pub struct SyncApi {
    pub(crate) inner: Arc<Inner>,
}

#[uniffi::export]
impl SyncApi {
    /// The server this vault syncs with, if any.
    pub fn server_url(&self) -> Result<Option<String>> {
        self.inner.with_vault(|vault| Ok(engine::server_url(vault)?))
    }

    /// Connects this vault to a server as its first device (no e-mail, no phone number). An `http://`
    /// address on another machine than this one is refused (`InvalidInput`, "use https://").
    pub fn enroll(&self, server_url: String) -> Result<()> {
        self.inner.with_vault(|vault| Ok(engine::enroll(vault, &server_url)?))
    }

    /// [`SyncApi::enroll`], accepting `http://` to another machine when `allow_plain_http` (a debug
    /// build talking to a test server on the LAN or the emulator's host; never a release build).
    pub fn enroll_allowing_http(&self, server_url: String, allow_plain_http: bool) -> Result<()> {
        self.inner.with_vault(|vault| Ok(engine::enroll_allowing_http(vault, &server_url, allow_plain_http)?))
    }

    /// Pushes local changes, pulls and verifies the others', fetches pinned pages (or all with
    /// `download_all`). Blocks for the whole transfer; cancel through `cancel`.
    pub fn sync(
        &self,
        options: SyncOptions,
        listener: Option<Arc<dyn ProgressListener>>,
        cancel: Arc<CancelHandle>,
    ) -> Result<SyncReport> {
        let progress = move |p: engine::SyncProgress| {
            if let Some(l) = &listener {
                l.on_progress(p.into());
            }
        };
        let opts = engine::SyncOptions { download_all: options.download_all, ..Default::default() };
        self.inner.with_vault(|vault| Ok(engine::sync(vault, &opts, &progress, &cancel.token)?.into()))
    }

    /// Downloads one document's pages now (when the person opens it); returns how many.
    pub fn fetch_document(&self, id: String, cancel: Arc<CancelHandle>) -> Result<u64> {
        let id = DocId::parse(&id)?;
        self.inner.with_vault(|vault| Ok(engine::fetch_document(vault, &id, &cancel.token)?))
    }

    pub fn devices(&self) -> Result<Vec<Device>> {
        self.inner.with_vault(|vault| Ok(engine::devices(vault)?.into_iter().map(Device::from).collect()))
    }

    /// Removes a lost device: the server refuses it at once, with every device it added (directly or
    /// through others); every device stops trusting them. List the devices again to show which went.
    pub fn remove_device(&self, public_key: String) -> Result<()> {
        self.inner.with_vault(|vault| Ok(engine::remove_device(vault, &public_key)?))
    }

    /// After scanning a new phone's QR: sends this phone's random contribution and returns the
    /// approval to follow (digits, then `approve`). An old-format QR is `InvalidInput` ("update both
    /// phones"); a QR another device already answered is `Forbidden` (start again).
    pub fn start_link_approval(&self, qr_text: String) -> Result<Arc<LinkApproval>> {
        let approval = self.inner.with_vault(|vault| Ok(engine::LinkApproval::start(vault, &qr_text)?))?;
        Ok(Arc::new(LinkApproval { inner: self.inner.clone(), approval }))
    }
}

/// The enrolled phone's side of linking, after the scan. Call `short_code()` every second or so until
/// it gives the digits, show them, and let the person type (or confirm) the new phone's digits.
#[derive(uniffi::Object)]
pub struct LinkApproval {
    inner: Arc<Inner>,
    approval: engine::LinkApproval,
}

#[uniffi::export]
impl LinkApproval {
    /// The 6 digits, once the new phone answered; `None` until then. `Corrupt`-free: an answer that
    /// does not match the scanned QR is `Forbidden` ("someone may have shown another QR code").
    pub fn short_code(&self) -> Result<Option<String>> {
        Ok(self.approval.short_code()?)
    }

    /// Approves the new phone: `confirmed_code` must be the digits it shows (as typed or confirmed),
    /// else `Forbidden` and nothing is sent.
    pub fn approve(&self, confirmed_code: String) -> Result<()> {
        self.inner.with_vault(|vault| Ok(self.approval.approve(vault, &confirmed_code)?))
    }

    /// [`LinkApproval::approve`], with a name for the new phone that every device's list shows.
    pub fn approve_named(&self, confirmed_code: String, name: String) -> Result<()> {
        self.inner.with_vault(|vault| Ok(self.approval.approve_named(vault, &confirmed_code, Some(&name))?))
    }
}

/// The new phone's side of linking. Show `qr_text()` as a QR code; call `short_code()` every second
/// or so until it gives the digits and show them; then call `try_complete` until it says `Linked`.
#[derive(uniffi::Object)]
pub struct DeviceLink {
    inner: Arc<Inner>,
    pending: PendingLink,
}

impl DeviceLink {
    pub(crate) fn new(inner: Arc<Inner>, server_url: &str) -> Arc<Self> {
        Arc::new(DeviceLink { inner, pending: PendingLink::new(server_url) })
    }
}

#[uniffi::export]
impl DeviceLink {
    pub fn qr_text(&self) -> String {
        self.pending.qr_text()
    }

    /// The 6 digits to show, once the enrolled phone scanned the QR and answered; `None` until then
    /// (ask again in a second). Show the QR until they come, then the digits.
    pub fn short_code(&self) -> Result<Option<String>> {
        Ok(self.pending.short_code()?)
    }

    /// Checks once. On approval, creates this phone's vault under `passphrase` (+ the platform
    /// secret), runs a first sync and leaves the vault unlocked on the `Coffre` that started this.
    pub fn try_complete(&self, passphrase: String) -> Result<LinkStatus> {
        let passphrase = Zeroizing::new(passphrase);
        Inner::check_new_passphrase(&passphrase)?;
        let secret = self.inner.platform_secret()?;
        match self.pending.try_complete(&self.inner.dir, passphrase.as_bytes(), secret.as_deref()) {
            Ok(vault) => {
                self.inner.set_vault(vault);
                Ok(LinkStatus::Linked)
            }
            Err(EngineError::LinkPending) => Ok(LinkStatus::Pending),
            Err(e) => Err(e.into()),
        }
    }
}
