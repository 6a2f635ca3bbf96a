//! Closing the vault (droit de fermeture) and crypto-shredding the local copy: the server deletes
//! everything and signs a receipt; then the wrapped ARK is destroyed first, then the files.

use std::path::Path;

use coffre_crypto::random_bytes;
use coffre_sync::protocol::recovery::ClosureReceipt;
use coffre_vault::{Vault, VaultError};

use crate::error::Result;
use crate::session::{CONFIG, Config, get_json, session};

/// Closes the vault (droit de fermeture): the server deletes everything of it and signs a receipt
/// (checked against the pinned server key); then this device's copy is crypto-shredded. A vault
/// never connected to a server is only shredded. Offer an export before calling this.
pub fn close_vault(mut vault: Vault) -> Result<Option<ClosureReceipt>> {
    let receipt = if get_json::<Config>(&vault, CONFIG)?.is_some() {
        let s = session(&mut vault)?;
        Some(s.client.close_vault()?)
    } else {
        None
    };
    let dir = vault.dir().to_path_buf();
    drop(vault);
    shred_local(&dir)?;
    Ok(receipt)
}

/// Crypto-shredding of a local vault: the wrapped ARK (`vault.json`) is overwritten and removed
/// first — without it nothing else can be decrypted — then the database and the blobs are removed.
/// (Flash storage may keep old copies of overwritten blocks; it is the wrapped key's destruction,
/// not the overwrite, that makes them unreadable.)
pub fn shred_local(dir: &Path) -> Result<()> {
    use coffre_vault::layout::{BLOB_DIR, DB_FILE, HEADER_FILE, TMP_DIR};
    use std::io::Write as _;
    let header = dir.join(HEADER_FILE);
    if let Ok(meta) = std::fs::metadata(&header) {
        let len = usize::try_from(meta.len()).unwrap_or(0);
        let mut f = std::fs::OpenOptions::new().write(true).open(&header).map_err(VaultError::from)?;
        let noise: Vec<u8> = (0..len.div_ceil(32)).flat_map(|_| random_bytes::<32>()).take(len).collect();
        f.write_all(&noise).map_err(VaultError::from)?;
        f.sync_all().map_err(VaultError::from)?;
        drop(f);
        std::fs::remove_file(&header).map_err(VaultError::from)?;
    }
    for name in [DB_FILE.to_string(), format!("{DB_FILE}-wal"), format!("{DB_FILE}-shm"), "vault.lock".into()] {
        match std::fs::remove_file(dir.join(&name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(VaultError::from(e).into()),
            _ => {}
        }
    }
    for sub in [BLOB_DIR, TMP_DIR] {
        match std::fs::remove_dir_all(dir.join(sub)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(VaultError::from(e).into()),
            _ => {}
        }
    }
    // The folder itself goes if nothing else is in it (it may hold the person's own files).
    let _ = std::fs::remove_dir(dir);
    Ok(())
}
