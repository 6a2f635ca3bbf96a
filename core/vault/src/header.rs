//! `vault.json`: the only plaintext file of a vault. It holds the format version, the vault id and the
//! Account Root Key wrapped under the PIN/passphrase (+ platform secret). Nothing in it is readable
//! without the passphrase; it is replaced atomically (temp file, fsync, rename) so a crash during a
//! passphrase change leaves either the old or the new wrap, never neither. It also counts wrong
//! passphrases ([`UnlockAttempts`]), which a copy of the folder resets: see `pin.rs`.

use crate::fsutil::write_atomically;
use crate::pin::UnlockAttempts;
use crate::{Result, VaultError, error::corrupt};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The header format this code writes.
pub const HEADER_VERSION: u32 = 1;
pub const HEADER_FILE: &str = "vault.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    /// Format version of this file and of the vault layout.
    pub format: u32,
    /// Random id of the vault (hex), not secret.
    pub vault_id: String,
    /// Whether the ARK wrap also needs the platform keystore secret.
    pub uses_platform_secret: bool,
    /// The ARK wrapped under Argon2id(passphrase) (+ platform secret), hex of the versioned envelope.
    pub ark_wrap: String,
    /// Creation time, unix ms.
    pub created_at: i64,
    /// Wrong passphrases since the last right one (absent: none). An optional field, so format 1
    /// stays: older versions ignore it (they neither count nor wait).
    #[serde(default, skip_serializing_if = "UnlockAttempts::is_zero")]
    pub unlock_attempts: UnlockAttempts,
}

impl Header {
    pub fn read(dir: &Path) -> Result<Header> {
        let path = dir.join(HEADER_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(VaultError::NoVault),
            Err(e) => return Err(e.into()),
        };
        let header: Header = serde_json::from_slice(&bytes).map_err(|_| corrupt("vault header (vault.json)"))?;
        if header.format > HEADER_VERSION {
            return Err(VaultError::TooNew { found: header.format, supported: HEADER_VERSION });
        }
        Ok(header)
    }

    pub fn write(&self, dir: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(|_| corrupt("vault header serialisation"))?;
        write_atomically(&dir.join(HEADER_FILE), &json)
    }

    pub fn ark_wrap_bytes(&self) -> Result<Vec<u8>> {
        hex::decode(&self.ark_wrap).map_err(|_| corrupt("vault header key wrap"))
    }
}
