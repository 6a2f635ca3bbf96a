//! Account key generations of a vault on PostgreSQL (migration 6, as SQLite's): the identity key of
//! each generation after the registered one (docs/adr/0009-account-key-generations.md). A switch locks
//! the vault's row, so two instances switching at once move the vault one generation, not two.

use coffre_sync_protocol::{Hash, PublicKey};
use deadpool_postgres::GenericClient;

use super::{PgMeta, arr32, i};
use crate::store::{GenerationOutcome, StoreResult};

/// Migration 6: account key generations (store/postgres/generations.rs). Generation 0 is
/// `vaults.identity_pk`; the `vault` column lets a closure find the rows.
pub(super) const MIGRATION_6: &str = "CREATE TABLE key_generations (
        vault BYTEA NOT NULL,
        generation BIGINT NOT NULL,
        identity_pk BYTEA NOT NULL,
        switched_at BIGINT NOT NULL,
        PRIMARY KEY (vault, generation)
    );";

/// Identity keys by generation; empty for an unknown vault. `lock` takes the vault's row lock for the
/// rest of the transaction.
pub(super) async fn generations(c: &impl GenericClient, vault: &[u8], lock: bool) -> StoreResult<Vec<PublicKey>> {
    let sql = if lock {
        "SELECT identity_pk FROM vaults WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT identity_pk FROM vaults WHERE id = $1"
    };
    let Some(first) = c.query_opt(sql, &[&vault]).await? else { return Ok(Vec::new()) };
    let mut out = vec![arr32(first.get(0))?];
    let st = c.prepare_cached("SELECT identity_pk FROM key_generations WHERE vault = $1 ORDER BY generation").await?;
    for r in c.query(&st, &[&vault]).await? {
        out.push(arr32(r.get(0))?);
    }
    Ok(out)
}

impl PgMeta {
    pub(super) async fn switch(
        &self,
        vault: &Hash,
        generation: u32,
        identity: &PublicKey,
        keep: &[PublicKey],
        now: u64,
    ) -> StoreResult<GenerationOutcome> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let v: &[u8] = vault;
        let known = generations(&tx, v, true).await?;
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
            "INSERT INTO key_generations (vault, generation, identity_pk, switched_at) VALUES ($1, $2, $3, $4)",
            &[&v, &i64::from(generation), &&identity[..], &i(now)?],
        )
        .await?;
        let members: Vec<Vec<u8>> = tx
            .query("SELECT pk FROM devices WHERE vault = $1 AND removed_at IS NULL", &[&v])
            .await?
            .into_iter()
            .map(|r| r.get(0))
            .collect();
        let mut removed = Vec::new();
        for pk in members {
            let pk = arr32(pk)?;
            if !keep.contains(&pk) {
                tx.execute(
                    "UPDATE devices SET removed_at = $3 WHERE vault = $1 AND pk = $2",
                    &[&v, &&pk[..], &i(now)?],
                )
                .await?;
                removed.push(pk);
            }
        }
        tx.commit().await?;
        Ok(GenerationOutcome::Switched { removed })
    }
}
