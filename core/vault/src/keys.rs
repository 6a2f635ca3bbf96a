//! The local key hierarchy below the ARK (DESIGN.md §3):
//! ARK → collection key (per collection and generation) → document key (per document version)
//! → page key (per blob) → STREAM encryption of the blob file.
//! Every wrap binds, as associated data, where the key belongs, so a wrapped key moved to another
//! row fails to unwrap.

use crate::category::Collection;
use crate::error::corrupt;
use crate::model::{DocId, PageRole};
use crate::{Result, date::now_ms};
use coffre_crypto::{AccountRootKey, SymmetricKey, unwrap_key, wrap_key};
use rusqlite::{Connection, OptionalExtension, params};

pub(crate) fn collection_aad(collection: Collection, generation: u32) -> Vec<u8> {
    format!("coffre/v1/collection/{}/{generation}", collection.code()).into_bytes()
}

pub fn doc_key_aad(doc: &DocId, version: u32, collection: Collection, generation: u32) -> Vec<u8> {
    format!("coffre/v1/doc/{doc}/{version}/{}/{generation}", collection.code()).into_bytes()
}

pub fn page_key_aad(blob_id: &[u8; 16], doc: &DocId, version: u32, role: PageRole, index: u32) -> Vec<u8> {
    format!("coffre/v1/blob/{}/{doc}/{version}/{}/{index}", hex::encode(blob_id), role.code()).into_bytes()
}

/// The current collection key (creating generation 1 on first use), with its generation.
pub fn current_collection_key(
    conn: &Connection,
    ark: &AccountRootKey,
    collection: Collection,
) -> Result<(SymmetricKey, u32)> {
    let row: Option<(u32, Vec<u8>)> = conn
        .query_row(
            "SELECT generation, wrapped FROM collection_keys WHERE collection = ?1
             ORDER BY generation DESC LIMIT 1",
            [collection.code()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let wrapping = ark.derive_blob_root_key();
    match row {
        Some((generation, wrapped)) => {
            let key = unwrap_key(&wrapping, &wrapped, &collection_aad(collection, generation))
                .map_err(|_| corrupt("collection key"))?;
            Ok((key, generation))
        }
        None => {
            // Generation 1 is derived from the ARK, so every device of the holder agrees on it
            // without exchanging it; later generations (rotation) are random and travel in ops.
            let key = ark.derive_subkey(&format!("collection/{}/1", collection.code()));
            let generation = 1;
            let wrapped = wrap_key(&wrapping, &key, &collection_aad(collection, generation));
            conn.execute(
                "INSERT INTO collection_keys (collection, generation, wrapped, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![collection.code(), generation, wrapped, now_ms()],
            )?;
            Ok((key, generation))
        }
    }
}

/// A given generation of a collection key.
pub fn collection_key(
    conn: &Connection,
    ark: &AccountRootKey,
    collection: Collection,
    generation: u32,
) -> Result<SymmetricKey> {
    let wrapped: Vec<u8> = conn
        .query_row(
            "SELECT wrapped FROM collection_keys WHERE collection = ?1 AND generation = ?2",
            params![collection.code(), generation],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| corrupt("collection key is missing"))?;
    unwrap_key(&ark.derive_blob_root_key(), &wrapped, &collection_aad(collection, generation))
        .map_err(|_| corrupt("collection key"))
}
