//! Collection-key rotation (docs/recovery.md §4): after a lost phone is removed, every collection
//! gets a new, random generation, so documents added afterwards are wrapped under keys the lost
//! phone's database never held. Earlier generations are kept: earlier documents still open. The new
//! keys reach the holder's other devices in the op log (see the sync engine), and a device applies
//! them with [`Vault::import_collection_key`].

use coffre_crypto::{SymmetricKey, random_bytes, wrap_key};
use rusqlite::{OptionalExtension, params};
use zeroize::Zeroizing;

use crate::category::Collection;
use crate::date::now_ms;
use crate::keys::{collection_aad, current_collection_key};
use crate::{Result, Vault, VaultError};

/// A collection key of a given generation, to hand to the holder's other devices.
pub struct RotatedKey {
    pub collection: String,
    pub generation: u32,
    pub key: Zeroizing<[u8; 32]>,
}

impl Vault {
    /// Starts a new random generation of every collection key (also of collections not used yet,
    /// whose first generation the ARK alone gives). Returns the new keys, to send to other devices.
    pub fn rotate_collection_keys(&mut self) -> Result<Vec<RotatedKey>> {
        let tx = self.conn.transaction()?;
        let mut out = Vec::with_capacity(Collection::ALL.len());
        for c in Collection::ALL {
            let (_, current) = current_collection_key(&tx, &self.ark, c)?;
            let generation = current.checked_add(1).ok_or_else(|| VaultError::InvalidInput("generation".into()))?;
            let key = Zeroizing::new(random_bytes::<32>());
            let wrapped = wrap_key(
                &self.ark.derive_blob_root_key(),
                &SymmetricKey::from_bytes(*key),
                &collection_aad(c, generation),
            );
            tx.execute(
                "INSERT INTO collection_keys (collection, generation, wrapped, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![c.code(), generation, wrapped, now_ms()],
            )?;
            out.push(RotatedKey { collection: c.code().to_string(), generation, key });
        }
        tx.commit()?;
        Ok(out)
    }

    /// Records a collection key generation made by another device of the holder. A generation this
    /// device already has is left as it is (two devices rotating at once is a known limit).
    pub fn import_collection_key(&mut self, collection: &str, generation: u32, key: &[u8; 32]) -> Result<()> {
        let c =
            Collection::from_code(collection).ok_or_else(|| VaultError::InvalidInput("unknown collection".into()))?;
        if generation < 2 {
            return Err(VaultError::InvalidInput("generation 1 comes from the ARK".into()));
        }
        let tx = self.conn.transaction()?;
        current_collection_key(&tx, &self.ark, c)?;
        let wrapped =
            wrap_key(&self.ark.derive_blob_root_key(), &SymmetricKey::from_bytes(*key), &collection_aad(c, generation));
        tx.execute(
            "INSERT OR IGNORE INTO collection_keys (collection, generation, wrapped, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![c.code(), generation, wrapped, now_ms()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The generation new documents of `collection` are wrapped under (none if never used here).
    pub fn collection_generation(&self, collection: &str) -> Result<Option<u32>> {
        Ok(self
            .conn
            .query_row("SELECT max(generation) FROM collection_keys WHERE collection = ?1", [collection], |r| {
                r.get::<_, Option<u32>>(0)
            })
            .optional()?
            .flatten())
    }

    /// The key generation a document's current version is wrapped under.
    pub fn document_key_generation(&self, doc: &crate::DocId) -> Result<u32> {
        self.conn
            .query_row("SELECT key_generation FROM documents WHERE id = ?1", [doc.0], |r| r.get(0))
            .optional()?
            .ok_or(VaultError::NotFound("document"))
    }
}
