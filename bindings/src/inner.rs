//! [`Inner`], the state the entry object [`crate::Coffre`] shares with its sub-objects: the vault
//! directory, the platform secret's provider and the (optional) unlocked vault. Following
//! application-services' split, the public objects only convert types; `Inner` holds the vault
//! and returns `Result<_, CoffreError>`.

use crate::error::{CoffreError, Result};
use coffre_core::vault::{Vault, layout};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use zeroize::Zeroizing;

/// The secret mixed with the PIN/passphrase, kept by the platform (Android Keystore, iOS
/// Keychain): 32 random bytes created once per install and never exported. Implemented by the app.
#[uniffi::export(with_foreign)]
pub trait PlatformSecretProvider: Send + Sync {
    /// The 32 bytes. Throw (any exception) if the keystore is unavailable: the call fails with
    /// `CoffreError.Internal`, and nothing is created or unlocked.
    fn platform_secret(&self) -> Result<Vec<u8>>;
}

/// State shared by the entry object and its sub-objects. One vault connection per directory and
/// process: calls on it are serialised by the mutex (a long sync holds it; the app's other calls
/// wait, so run them on a background thread as for any blocking call).
pub(crate) struct Inner {
    pub(crate) dir: PathBuf,
    platform: Option<Arc<dyn PlatformSecretProvider>>,
    vault: Mutex<Option<Vault>>,
}

impl Inner {
    pub(crate) fn new(dir: PathBuf, platform: Option<Arc<dyn PlatformSecretProvider>>) -> Inner {
        Inner { dir, platform, vault: Mutex::new(None) }
    }

    /// The slot of the unlocked vault. A panic while it was held (a bug, turned into an exception
    /// at the boundary) does not make the vault unusable: SQLite rolled the transaction back.
    pub(crate) fn slot(&self) -> MutexGuard<'_, Option<Vault>> {
        self.vault.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the unlocked vault.
    pub(crate) fn with_vault<T>(&self, f: impl FnOnce(&mut Vault) -> Result<T>) -> Result<T> {
        let mut slot = self.slot();
        let vault =
            slot.as_mut().ok_or_else(|| CoffreError::Busy { detail: "the vault is locked: unlock it first".into() })?;
        f(vault)
    }

    /// Takes the unlocked vault out (closing it for good): the object is locked afterwards.
    pub(crate) fn take_vault(&self) -> Result<Vault> {
        self.slot().take().ok_or_else(|| CoffreError::Busy { detail: "the vault is locked: unlock it first".into() })
    }

    pub(crate) fn set_vault(&self, vault: Vault) {
        *self.slot() = Some(vault);
    }

    pub(crate) fn platform_secret(&self) -> Result<Option<Zeroizing<[u8; 32]>>> {
        let Some(provider) = &self.platform else { return Ok(None) };
        let bytes = Zeroizing::new(provider.platform_secret()?);
        let arr: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| CoffreError::invalid("the platform secret must be exactly 32 bytes"))?;
        Ok(Some(Zeroizing::new(arr)))
    }

    pub(crate) fn check_passphrase(passphrase: &str) -> Result<()> {
        if passphrase.is_empty() {
            return Err(CoffreError::invalid("the passphrase is empty"));
        }
        Ok(())
    }

    /// A new PIN or passphrase (create, link, recover, change): not empty, and not one of the first a
    /// thief tries (`InvalidInput` with the reason and what to pick instead).
    pub(crate) fn check_new_passphrase(passphrase: &str) -> Result<()> {
        Self::check_passphrase(passphrase)?;
        coffre_core::vault::check_new_secret(passphrase).map_err(|why| {
            CoffreError::invalid(&format!(
                "this PIN or passphrase is too easy to guess ({why}): pick 6 random digits (not a date) or a \
                 phrase of several words"
            ))
        })
    }

    pub(crate) fn vault_exists(&self) -> bool {
        self.dir.join(layout::HEADER_FILE).exists()
    }

    /// Refuses a folder that already holds a vault (a new phone's flows: create, link, recover).
    /// Checked first: the core would otherwise report our own open vault as `Busy`.
    pub(crate) fn ensure_no_vault(&self) -> Result<()> {
        if self.vault_exists() {
            return Err(CoffreError::Conflict { detail: "a vault already exists in this folder".into() });
        }
        Ok(())
    }

    /// Makes this folder's vault under `passphrase` (+ the platform secret) with `make` — a new vault,
    /// or one rebuilt from a recovery secret — and leaves it unlocked.
    pub(crate) fn make_vault(
        &self,
        passphrase: &str,
        make: impl FnOnce(&Path, &[u8], Option<&[u8; 32]>) -> Result<Vault>,
    ) -> Result<()> {
        Self::check_new_passphrase(passphrase)?;
        self.ensure_no_vault()?;
        let secret = self.platform_secret()?;
        let vault = make(&self.dir, passphrase.as_bytes(), secret.as_deref())?;
        self.set_vault(vault);
        Ok(())
    }

    pub(crate) fn open(&self, passphrase: &str) -> Result<Vault> {
        let secret = self.platform_secret()?;
        Ok(Vault::open(&self.dir, passphrase.as_bytes(), secret.as_deref())?)
    }
}
