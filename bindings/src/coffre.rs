//! The entry object [`Coffre`], opened on a vault directory, and the sub-objects it hands out. Their
//! shared state is [`crate::inner::Inner`].

use crate::capture::CaptureApi;
use crate::error::Result;
use crate::inner::{Inner, PlatformSecretProvider};
use crate::mandate::MandateApi;
use crate::recovery::{AssistedRecovery, RecoveryApi};
use crate::share::ShareApi;
use crate::sync::{DeviceLink, SyncApi};
use crate::types::{DeskPage, Document};
use crate::vault::VaultApi;
use coffre_core::recovery::AssistedRequest;
use coffre_core::vault::Vault;
use std::path::PathBuf;
use std::sync::Arc;
use zeroize::Zeroizing;

/// One vault directory on this phone. Cheap to construct; `create` or `unlock` before using the
/// vault, sync or capture-and-save. Sub-objects share its state: closing them never locks the
/// vault, `lock()` (or closing this object and every sub-object) does.
#[derive(uniffi::Object)]
pub struct Coffre {
    inner: Arc<Inner>,
}

/// Wrong PINs in a row, and the seconds before the next try is allowed (0: now).
#[derive(Debug, Clone, Copy, uniffi::Record)]
pub struct UnlockAttempts {
    pub failed: u32,
    pub wait_secs: u64,
}

#[uniffi::export]
impl Coffre {
    /// `dir`: the app's private directory for this vault. `platform_secret`: the keystore hook
    /// (pass `null` only on platforms without a keystore, e.g. desktop tests).
    #[uniffi::constructor]
    pub fn new(dir: String, platform_secret: Option<Arc<dyn PlatformSecretProvider>>) -> Arc<Self> {
        Arc::new(Coffre { inner: Arc::new(Inner::new(PathBuf::from(dir), platform_secret)) })
    }

    /// Whether a vault exists in the directory (to choose between onboarding and unlock).
    pub fn vault_exists(&self) -> bool {
        self.inner.vault_exists()
    }

    /// Creates a new vault under this PIN/passphrase (mixed with the platform secret) and leaves it
    /// unlocked. Takes about a second (Argon2id, 64 MiB). `Conflict` if one already exists.
    pub fn create(&self, passphrase: String) -> Result<()> {
        let passphrase = Zeroizing::new(passphrase);
        self.inner.make_vault(&passphrase, |dir, pass, secret| Ok(Vault::create(dir, pass, secret)?))
    }

    /// Wrong PINs in a row and the seconds before the next try (0: now), kept in the vault's header:
    /// show them on the PIN screen, and from the second wrong PIN offer the recovery kit ("PIN oublié ?").
    pub fn unlock_attempts(&self) -> Result<UnlockAttempts> {
        let a = Vault::unlock_attempts(&self.inner.dir)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Ok(UnlockAttempts { failed: a.failed, wait_secs: a.wait_secs(now) })
    }

    /// Unlocks with the PIN/passphrase. `WrongPassphrase` never means damage (each one is counted);
    /// `Busy` if another process holds the vault, or while too many wrong PINs make the next try wait
    /// (see `unlock_attempts`). Unlocking an unlocked vault re-checks the passphrase.
    pub fn unlock(&self, passphrase: String) -> Result<()> {
        let passphrase = Zeroizing::new(passphrase);
        Inner::check_passphrase(&passphrase)?;
        // Release our own lock first so re-unlocking does not report Busy against ourselves.
        self.lock();
        let vault = self.inner.open(&passphrase)?;
        self.inner.set_vault(vault);
        Ok(())
    }

    /// Desk mode: unlocks and returns the first pinned document's first page (identity documents
    /// first), or `null` when nothing is pinned. One call, for the counter of a public office.
    pub fn desk_mode(&self, passphrase: String) -> Result<Option<DeskPage>> {
        self.unlock(passphrase)?;
        self.inner.with_vault(|v| {
            Ok(v.first_pinned_page()?.map(|(doc, bytes)| {
                let mime = doc
                    .pages
                    .iter()
                    .find(|p| p.role == coffre_core::vault::PageRole::Page && p.index == 0)
                    .map(|p| p.mime.clone())
                    .unwrap_or_default();
                DeskPage { document: Document::from(doc), mime, bytes: bytes.to_vec() }
            }))
        })
    }

    /// Locks: closes the database and forgets the keys. Sub-objects stay valid and fail with
    /// `Busy` until the next unlock.
    pub fn lock(&self) {
        let vault = self.inner.slot().take();
        drop(vault);
    }

    pub fn is_unlocked(&self) -> bool {
        self.inner.slot().is_some()
    }

    /// Re-wraps the vault key under a new PIN/passphrase (documents are not re-encrypted).
    pub fn change_passphrase(&self, new_passphrase: String) -> Result<()> {
        let new_passphrase = Zeroizing::new(new_passphrase);
        Inner::check_new_passphrase(&new_passphrase)?;
        let secret = self.inner.platform_secret()?;
        self.inner.with_vault(|v| Ok(v.change_passphrase(new_passphrase.as_bytes(), secret.as_deref())?))
    }

    /// Documents: import, list, search, expiry, pins, pages, export.
    pub fn vault(&self) -> Arc<VaultApi> {
        Arc::new(VaultApi { inner: self.inner.clone() })
    }

    /// The camera pipeline: detection, auto-capture hint, deskew, save.
    pub fn capture(&self) -> Arc<CaptureApi> {
        Arc::new(CaptureApi { inner: self.inner.clone() })
    }

    /// Sync with a server and device management (the enrolled phone's side of linking).
    pub fn sync(&self) -> Arc<SyncApi> {
        Arc::new(SyncApi { inner: self.inner.clone() })
    }

    /// The new phone's side of device linking: shows a QR and a short code, then creates this
    /// phone's vault (under `passphrase`) once the enrolled phone approves.
    pub fn start_device_link(&self, server_url: String) -> Result<Arc<DeviceLink>> {
        self.inner.ensure_no_vault()?;
        Ok(DeviceLink::new(self.inner.clone(), &server_url))
    }

    /// A new phone, everything lost but the recovery kit: `code` is the kit's scanned QR text, or its
    /// 12 words typed (then `server_url` is needed). Rebuilds the vault in this folder under a new
    /// PIN/passphrase, downloads every document, and leaves it unlocked. A typing mistake is
    /// `InvalidInput` naming the word; a code that does not open the vault is `WrongPassphrase`.
    pub fn recover_with_code(&self, code: String, server_url: Option<String>, passphrase: String) -> Result<()> {
        let passphrase = Zeroizing::new(passphrase);
        self.inner.make_vault(&passphrase, |dir, pass, secret| {
            let (code, url) = crate::recovery::parse_code(&code, server_url)?;
            Ok(coffre_core::recovery::recover_with_code(&url, &code, dir, pass, secret)?)
        })
    }

    /// A new phone, everything lost (kit words too), assisted recovery set up before: starts the
    /// request for `vault_id` (an agent of the organisation reads it from the person's mandate) on
    /// `server_url`. The server releases nothing before its delay (72 h by default); any phone of
    /// the vault can cancel meanwhile. Keep the returned object's `saved_text()` until it is finished.
    pub fn start_assisted_recovery(&self, server_url: String, vault_id: String) -> Result<Arc<AssistedRecovery>> {
        self.inner.ensure_no_vault()?;
        let (request, _) = AssistedRequest::start(&server_url, vault_id.trim())?;
        Ok(AssistedRecovery::new(self.inner.clone(), request))
    }

    /// An assisted recovery started earlier (after an app restart), from its `saved_text()`.
    pub fn resume_assisted_recovery(&self, saved_text: String) -> Result<Arc<AssistedRecovery>> {
        let saved_text = Zeroizing::new(saved_text);
        Ok(AssistedRecovery::new(self.inner.clone(), AssistedRequest::resume(&saved_text)?))
    }

    /// The recovery kit, a lost phone, closing the vault.
    pub fn recovery(&self) -> Arc<RecoveryApi> {
        Arc::new(RecoveryApi { inner: self.inner.clone() })
    }

    /// Share links by QR, dossiers.
    pub fn share(&self) -> Arc<ShareApi> {
        Arc::new(ShareApi { inner: self.inner.clone() })
    }

    /// Mandates given to agents, certified deposits, the audit trail.
    pub fn mandates(&self) -> Arc<MandateApi> {
        Arc::new(MandateApi { inner: self.inner.clone() })
    }

    /// Test hook (hidden from app code by convention): panics while holding the vault state, to
    /// check that a panic becomes an exception at the boundary and leaves the object usable.
    #[doc(hidden)]
    pub fn debug_panic(&self) -> Result<()> {
        let _slot = self.inner.slot();
        crate::test_hooks::debug_panic_inside_core();
        Ok(())
    }
}
