//! Account key generations of a vault on the embedded SQLite database (migration 6): the identity
//! key of each generation after the registered one (docs/adr/0009-account-key-generations.md). The
//! [`crate::store::MetaStore`] methods call these inside its connections.

use coffre_sync_protocol::{Hash, PublicKey};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{arr32, i};
use crate::store::{GenerationOutcome, StoreResult};

/// Migration 6: account key generations (store/sqlite/generations.rs). Generation 0 is
/// `vaults.identity_pk`; the `vault` column lets a closure find the rows.
pub(super) const MIGRATION_6: &str = "CREATE TABLE key_generations (
        vault BLOB NOT NULL,
        generation INTEGER NOT NULL,
        identity_pk BLOB NOT NULL,
        switched_at INTEGER NOT NULL,
        PRIMARY KEY (vault, generation)
    ) WITHOUT ROWID;";

/// Identity keys by generation; empty for an unknown vault.
pub(super) fn generations(c: &Connection, vault: &Hash) -> StoreResult<Vec<PublicKey>> {
    let first: Option<Vec<u8>> = c
        .prepare_cached("SELECT identity_pk FROM vaults WHERE id = ?1")?
        .query_row(params![vault], |r| r.get(0))
        .optional()?;
    let Some(first) = first else { return Ok(Vec::new()) };
    let mut out = vec![arr32(first)?];
    let mut st = c.prepare_cached("SELECT identity_pk FROM key_generations WHERE vault = ?1 ORDER BY generation")?;
    for row in st.query_map(params![vault], |r| r.get::<_, Vec<u8>>(0))? {
        out.push(arr32(row?)?);
    }
    Ok(out)
}

pub(super) fn switch(
    c: &mut Connection,
    vault: &Hash,
    generation: u32,
    identity: &PublicKey,
    keep: &[PublicKey],
    now: u64,
) -> StoreResult<GenerationOutcome> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let known = generations(&tx, vault)?;
    if known.is_empty() {
        return Ok(GenerationOutcome::NoVault);
    }
    let current = u32::try_from(known.len() - 1).unwrap_or(u32::MAX);
    let retry = generation == current && known.last() == Some(identity) && generation > 0;
    if retry {
        return Ok(GenerationOutcome::AlreadyThere);
    }
    if generation != current.saturating_add(1) {
        return Ok(GenerationOutcome::Stale { current });
    }
    tx.execute(
        "INSERT INTO key_generations (vault, generation, identity_pk, switched_at) VALUES (?1, ?2, ?3, ?4)",
        params![vault, generation, identity, i(now)?],
    )?;
    let members: Vec<Vec<u8>> = tx
        .prepare_cached("SELECT pk FROM devices WHERE vault = ?1 AND removed_at IS NULL")?
        .query_map(params![vault], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut removed = Vec::new();
    for pk in members {
        let pk = arr32(pk)?;
        if !keep.contains(&pk) {
            tx.execute("UPDATE devices SET removed_at = ?3 WHERE vault = ?1 AND pk = ?2", params![vault, pk, i(now)?])?;
            removed.push(pk);
        }
    }
    tx.commit()?;
    Ok(GenerationOutcome::Switched { removed })
}
