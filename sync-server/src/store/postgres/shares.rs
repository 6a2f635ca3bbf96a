//! [`ShareStore`] on PostgreSQL (migration 5). An opening locks the share's row, so the opening limit
//! holds when the openings of one link reach several instances at once.

use async_trait::async_trait;
use coffre_sync_protocol::Hash;
use coffre_sync_protocol::share::{ShareInfo, ShareRefusal};
use deadpool_postgres::GenericClient;

use super::{PgMeta, i, u};
use crate::store::StoreResult;
use crate::store::shares::{ENDED_SHARE_RETENTION_SECS, NewShare, Opening, ShareCreateOutcome, ShareId, ShareStore};

/// Migration 5: share links (store/postgres/shares.rs)
pub(super) const MIGRATION_5: &str = "CREATE TABLE shares (
        id BYTEA PRIMARY KEY,
        vault BYTEA NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        max_opens BIGINT,
        revoked_at BIGINT,
        pages BIGINT NOT NULL,
        bytes BIGINT NOT NULL,
        manifest BYTEA
    );
    CREATE INDEX shares_by_vault ON shares (vault, created_at);
    CREATE INDEX shares_by_expiry ON shares (expires_at);
    CREATE TABLE share_pages (
        share BYTEA NOT NULL,
        idx BIGINT NOT NULL,
        bytes BYTEA NOT NULL,
        PRIMARY KEY (share, idx)
    );
    CREATE TABLE share_opens (
        share BYTEA NOT NULL,
        opened_at BIGINT NOT NULL,
        token BYTEA NOT NULL UNIQUE
    );
    CREATE INDEX share_opens_by_share ON share_opens (share, opened_at);";

/// Migration 7: the open check (`sha256` of the link key's opening proof); NULL for shares made before
/// (as SQLite's migration 7).
pub(super) const MIGRATION_7: &str = "ALTER TABLE shares ADD COLUMN open_check BYTEA;";

/// Shares opened as often as allowed whose last opening's page window is over (`$1` now, `$2` window).
const EXHAUSTED: &str = "SELECT s.id FROM shares s WHERE s.max_opens IS NOT NULL AND s.manifest IS NOT NULL
    AND (SELECT COUNT(*) FROM share_opens o WHERE o.share = s.id) >= s.max_opens
    AND (SELECT MAX(opened_at) FROM share_opens o WHERE o.share = s.id) + $2 <= $1";

/// The share's row as the checks need it.
struct Row {
    vault: [u8; 32],
    expires_at: u64,
    max_opens: Option<u32>,
    revoked_at: Option<u64>,
    pages: u32,
    manifest: Option<Vec<u8>>,
    open_check: Option<Vec<u8>>,
}

async fn row(c: &impl GenericClient, id: &[u8], lock: bool) -> StoreResult<Option<Row>> {
    let sql = if lock {
        "SELECT expires_at, max_opens, revoked_at, pages, manifest, vault, open_check FROM shares WHERE id = $1 \
         FOR UPDATE"
    } else {
        "SELECT expires_at, max_opens, revoked_at, pages, manifest, vault, open_check FROM shares WHERE id = $1"
    };
    let Some(r) = c.query_opt(sql, &[&id]).await? else { return Ok(None) };
    Ok(Some(Row {
        expires_at: u(r.get(0)),
        max_opens: r.get::<_, Option<i64>>(1).map(|m| u32::try_from(m).unwrap_or(u32::MAX)),
        revoked_at: r.get::<_, Option<i64>>(2).map(u),
        pages: u32::try_from(r.get::<_, i64>(3)).unwrap_or(0),
        manifest: r.get(4),
        vault: super::arr32(r.get(5))?,
        open_check: r.get(6),
    }))
}

/// Why a share cannot be read now, if it cannot (revocation first: it is the holder's explicit act).
fn refusal(row: &Row, now: u64) -> Option<ShareRefusal> {
    if row.revoked_at.is_some() {
        Some(ShareRefusal::Revoked)
    } else if row.expires_at <= now {
        Some(ShareRefusal::Expired)
    } else if row.manifest.is_none() {
        Some(ShareRefusal::NotFound)
    } else {
        None
    }
}

async fn opens(c: &impl GenericClient, id: &[u8]) -> StoreResult<u64> {
    let n: i64 = c.query_one("SELECT COUNT(*) FROM share_opens WHERE share = $1", &[&id]).await?.get(0);
    Ok(u(n))
}

#[async_trait]
impl ShareStore for PgMeta {
    async fn create_share(&self, share: NewShare, vault_usage: u64, quota: u64) -> StoreResult<ShareCreateOutcome> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let id: &[u8] = share.id.as_ref();
        let v: &[u8] = &share.vault;
        // The vault's row lock: its live share bytes are summed and raised by one instance at a time.
        tx.query_opt("SELECT 1 FROM vaults WHERE id = $1 FOR UPDATE", &[&v]).await?;
        if tx.query_opt("SELECT 1 FROM shares WHERE id = $1", &[&id]).await?.is_some() {
            return Ok(ShareCreateOutcome::IdTaken);
        }
        let live: i64 =
            tx.query_one("SELECT COALESCE(SUM(bytes), 0)::BIGINT FROM shares WHERE vault = $1", &[&v]).await?.get(0);
        let bytes = share.manifest.len() as u64 + share.pages.iter().map(|p| p.len() as u64).sum::<u64>();
        if vault_usage.saturating_add(u(live)).saturating_add(bytes) > quota {
            return Ok(ShareCreateOutcome::QuotaExceeded);
        }
        let n = tx
            .execute(
                "INSERT INTO shares (id, vault, created_at, expires_at, max_opens, pages, bytes, manifest, open_check)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
                &[
                    &id,
                    &v,
                    &i(share.created_at)?,
                    &i(share.expires_at)?,
                    &share.max_opens.map(i64::from),
                    &(share.pages.len() as i64),
                    &i(bytes)?,
                    &share.manifest,
                    &&share.open_check[..],
                ],
            )
            .await?;
        if n == 0 {
            return Ok(ShareCreateOutcome::IdTaken);
        }
        let ins = tx.prepare_cached("INSERT INTO share_pages (share, idx, bytes) VALUES ($1, $2, $3)").await?;
        for (n, page) in share.pages.iter().enumerate() {
            tx.execute(&ins, &[&id, &(n as i64), page]).await?;
        }
        tx.commit().await?;
        Ok(ShareCreateOutcome::Created)
    }

    async fn list_shares(&self, vault: Hash) -> StoreResult<Vec<ShareInfo>> {
        let c = self.conn().await?;
        let rows = c
            .query(
                "SELECT id, created_at, expires_at, max_opens, revoked_at, pages, bytes FROM shares
                 WHERE vault = $1 ORDER BY created_at DESC, id",
                &[&&vault[..]],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: Vec<u8> = r.get(0);
            let opened_at = c
                .query("SELECT opened_at FROM share_opens WHERE share = $1 ORDER BY opened_at", &[&id])
                .await?
                .into_iter()
                .map(|t| u(t.get(0)))
                .collect();
            out.push(ShareInfo {
                id: coffre_sync_protocol::b64(&id),
                created_at: u(r.get(1)),
                expires_at: u(r.get(2)),
                max_opens: r.get::<_, Option<i64>>(3).and_then(|m| u32::try_from(m).ok()),
                opened_at,
                revoked_at: r.get::<_, Option<i64>>(4).map(u),
                pages: u32::try_from(r.get::<_, i64>(5)).unwrap_or(0),
                bytes: u(r.get(6)),
            });
        }
        Ok(out)
    }

    async fn revoke_share(&self, vault: Hash, id: ShareId, now: u64) -> StoreResult<bool> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let id: &[u8] = id.as_ref();
        let n = tx
            .execute(
                "UPDATE shares SET revoked_at = COALESCE(revoked_at, $3), manifest = NULL, bytes = 0
                 WHERE id = $1 AND vault = $2",
                &[&id, &&vault[..], &i(now)?],
            )
            .await?;
        if n > 0 {
            tx.execute("DELETE FROM share_pages WHERE share = $1", &[&id]).await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn open_share(
        &self,
        id: ShareId,
        check: Option<[u8; 32]>,
        token: [u8; 16],
        now: u64,
    ) -> StoreResult<Result<Opening, ShareRefusal>> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let id: &[u8] = id.as_ref();
        // The row lock: the count below is the count every instance sees.
        let Some(row) = row(&tx, id, true).await? else { return Ok(Err(ShareRefusal::NotFound)) };
        // Without the link key's proof, nothing: no opening counted, no time recorded, no status
        // told (an id alone does not say whether the share exists).
        if let Some(expected) = &row.open_check
            && check.is_none_or(|c| c.as_slice() != expected.as_slice())
        {
            return Ok(Err(ShareRefusal::NotFound));
        }
        let exhausted = match row.max_opens {
            Some(max) => opens(&tx, id).await? >= u64::from(max),
            None => false,
        };
        // An exhausted share whose material is purged still says "exhausted", not "not found".
        match refusal(&row, now) {
            Some(ShareRefusal::NotFound) | None if exhausted => return Ok(Err(ShareRefusal::Exhausted)),
            Some(r) => return Ok(Err(r)),
            None => {}
        }
        tx.execute(
            "INSERT INTO share_opens (share, opened_at, token) VALUES ($1, $2, $3)",
            &[&id, &i(now)?, &&token[..]],
        )
        .await?;
        let opening = u32::try_from(opens(&tx, id).await?).unwrap_or(u32::MAX);
        tx.commit().await?;
        let manifest = row.manifest.unwrap_or_default();
        Ok(Ok(Opening { manifest, pages: row.pages, expires_at: row.expires_at, vault: row.vault, opening }))
    }

    async fn share_page(
        &self,
        id: ShareId,
        index: u32,
        token: [u8; 16],
        now: u64,
        token_ttl: u64,
    ) -> StoreResult<Result<Vec<u8>, ShareRefusal>> {
        let c = self.conn().await?;
        let id: &[u8] = id.as_ref();
        let Some(row) = row(&c, id, false).await? else { return Ok(Err(ShareRefusal::NotFound)) };
        if let Some(r) = refusal(&row, now) {
            return Ok(Err(r));
        }
        let opened: Option<i64> = c
            .query_opt("SELECT opened_at FROM share_opens WHERE share = $1 AND token = $2", &[&id, &&token[..]])
            .await?
            .map(|r| r.get(0));
        if opened.is_none_or(|t| u(t).saturating_add(token_ttl) <= now) {
            return Ok(Err(ShareRefusal::NotFound));
        }
        let page: Option<Vec<u8>> = c
            .query_opt("SELECT bytes FROM share_pages WHERE share = $1 AND idx = $2", &[&id, &i64::from(index)])
            .await?
            .map(|r| r.get(0));
        Ok(page.ok_or(ShareRefusal::NotFound))
    }

    async fn purge_shares(&self, now: u64, opening_ttl: u64) -> StoreResult<u64> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let exhausted: Vec<Vec<u8>> =
            tx.query(EXHAUSTED, &[&i(now)?, &i(opening_ttl)?]).await?.into_iter().map(|r| r.get(0)).collect();
        for id in &exhausted {
            tx.execute("DELETE FROM share_pages WHERE share = $1", &[id]).await?;
            tx.execute("UPDATE shares SET manifest = NULL, bytes = 0 WHERE id = $1", &[id]).await?;
        }
        let ended = "SELECT id FROM shares WHERE (expires_at <= $1 OR revoked_at IS NOT NULL)";
        tx.execute(&format!("DELETE FROM share_pages WHERE share IN ({ended})"), &[&i(now)?]).await?;
        let purged = exhausted.len() as u64
            + tx.execute(
                "UPDATE shares SET manifest = NULL, bytes = 0
                 WHERE (expires_at <= $1 OR revoked_at IS NOT NULL) AND manifest IS NOT NULL",
                &[&i(now)?],
            )
            .await?;
        let forget = i(now.saturating_sub(ENDED_SHARE_RETENTION_SECS))?;
        let old = "SELECT id FROM shares WHERE GREATEST(expires_at, COALESCE(revoked_at, 0)) <= $1";
        tx.execute(&format!("DELETE FROM share_opens WHERE share IN ({old})"), &[&forget]).await?;
        tx.execute(&format!("DELETE FROM shares WHERE id IN ({old})"), &[&forget]).await?;
        tx.commit().await?;
        Ok(purged)
    }
}
