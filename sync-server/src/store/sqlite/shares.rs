//! [`ShareStore`] on the embedded SQLite database (migration 5). Page ciphertexts are
//! stored as rows, so creating, revoking and purging a share are each one transaction.

use async_trait::async_trait;
use coffre_sync_protocol::Hash;
use coffre_sync_protocol::share::{ShareInfo, ShareRefusal};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{SqliteMeta, i, u};
use crate::store::StoreResult;
use crate::store::shares::{ENDED_SHARE_RETENTION_SECS, NewShare, Opening, ShareCreateOutcome, ShareId, ShareStore};

/// Migration 5: share links (store/sqlite/shares.rs); pages in their own rowid table (large rows)
pub(super) const MIGRATION_5: &str = "CREATE TABLE shares (
        id BLOB PRIMARY KEY,
        vault BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        max_opens INTEGER,
        revoked_at INTEGER,
        pages INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        manifest BLOB
    ) WITHOUT ROWID;
    CREATE INDEX shares_by_vault ON shares (vault, created_at);
    CREATE INDEX shares_by_expiry ON shares (expires_at);
    CREATE TABLE share_pages (
        share BLOB NOT NULL,
        idx INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (share, idx)
    );
    CREATE TABLE share_opens (
        share BLOB NOT NULL,
        opened_at INTEGER NOT NULL,
        token BLOB NOT NULL UNIQUE
    );
    CREATE INDEX share_opens_by_share ON share_opens (share, opened_at);";

/// Migration 7: the open check (`sha256` of the link key's opening proof); NULL for shares made before.
pub(super) const MIGRATION_7: &str = "ALTER TABLE shares ADD COLUMN open_check BLOB;";

/// Shares opened as often as allowed whose last opening's page window is over (`?1` now, `?2` window).
const EXHAUSTED: &str = "SELECT s.id FROM shares s WHERE s.max_opens IS NOT NULL AND s.manifest IS NOT NULL
    AND (SELECT COUNT(*) FROM share_opens o WHERE o.share = s.id) >= s.max_opens
    AND (SELECT MAX(opened_at) FROM share_opens o WHERE o.share = s.id) + ?2 <= ?1";

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

fn row(c: &rusqlite::Connection, id: &ShareId) -> StoreResult<Option<Row>> {
    Ok(c.query_row(
        "SELECT expires_at, max_opens, revoked_at, pages, manifest, vault, open_check FROM shares WHERE id = ?1",
        params![id],
        |r| {
            Ok(Row {
                expires_at: u(r.get(0)?),
                max_opens: r.get::<_, Option<i64>>(1)?.map(|m| u32::try_from(m).unwrap_or(u32::MAX)),
                revoked_at: r.get::<_, Option<i64>>(2)?.map(u),
                pages: u32::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                manifest: r.get(4)?,
                vault: r.get(5)?,
                open_check: r.get(6)?,
            })
        },
    )
    .optional()?)
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

/// After copies are deleted: `secure_delete` zeroed the freed pages in the database, but the WAL still
/// holds the frames written when they were stored; truncating it leaves the copies nowhere on disk.
fn forget_freed_pages(c: &rusqlite::Connection) -> StoreResult<()> {
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

fn opens(c: &rusqlite::Connection, id: &ShareId) -> StoreResult<u64> {
    let n: i64 = c.query_row("SELECT COUNT(*) FROM share_opens WHERE share = ?1", params![id], |r| r.get(0))?;
    Ok(u(n))
}

#[async_trait]
impl ShareStore for SqliteMeta {
    async fn create_share(&self, share: NewShare, vault_usage: u64, quota: u64) -> StoreResult<ShareCreateOutcome> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if tx.query_row("SELECT 1 FROM shares WHERE id = ?1", params![share.id], |_| Ok(())).optional()?.is_some() {
                return Ok(ShareCreateOutcome::IdTaken);
            }
            let live: i64 = tx.query_row(
                "SELECT COALESCE(SUM(bytes), 0) FROM shares WHERE vault = ?1",
                params![share.vault],
                |r| r.get(0),
            )?;
            let bytes = share.manifest.len() as u64 + share.pages.iter().map(|p| p.len() as u64).sum::<u64>();
            if vault_usage.saturating_add(u(live)).saturating_add(bytes) > quota {
                return Ok(ShareCreateOutcome::QuotaExceeded);
            }
            tx.execute(
                "INSERT INTO shares (id, vault, created_at, expires_at, max_opens, pages, bytes, manifest, open_check)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    share.id,
                    share.vault,
                    i(share.created_at)?,
                    i(share.expires_at)?,
                    share.max_opens.map(i64::from),
                    share.pages.len() as i64,
                    i(bytes)?,
                    share.manifest,
                    share.open_check,
                ],
            )?;
            for (n, page) in share.pages.iter().enumerate() {
                tx.execute(
                    "INSERT INTO share_pages (share, idx, bytes) VALUES (?1, ?2, ?3)",
                    params![share.id, n as i64, page],
                )?;
            }
            tx.commit()?;
            Ok(ShareCreateOutcome::Created)
        })
        .await
    }

    async fn list_shares(&self, vault: Hash) -> StoreResult<Vec<ShareInfo>> {
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, created_at, expires_at, max_opens, revoked_at, pages, bytes FROM shares
                 WHERE vault = ?1 ORDER BY created_at DESC, id",
            )?;
            let rows = stmt
                .query_map(params![vault], |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<i64>>(3)?,
                        r.get::<_, Option<i64>>(4)?,
                        r.get::<_, i64>(5)?,
                        r.get::<_, i64>(6)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut times = c.prepare("SELECT opened_at FROM share_opens WHERE share = ?1 ORDER BY opened_at")?;
            let mut out = Vec::with_capacity(rows.len());
            for (id, created, expires, max_opens, revoked, pages, bytes) in rows {
                let opened_at = times
                    .query_map(params![id], |r| r.get::<_, i64>(0))?
                    .map(|t| t.map(u))
                    .collect::<Result<_, _>>()?;
                out.push(ShareInfo {
                    id: coffre_sync_protocol::b64(&id),
                    created_at: u(created),
                    expires_at: u(expires),
                    max_opens: max_opens.and_then(|m| u32::try_from(m).ok()),
                    opened_at,
                    revoked_at: revoked.map(u),
                    pages: u32::try_from(pages).unwrap_or(0),
                    bytes: u(bytes),
                });
            }
            Ok(out)
        })
        .await
    }

    async fn revoke_share(&self, vault: Hash, id: ShareId, now: u64) -> StoreResult<bool> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "UPDATE shares SET revoked_at = COALESCE(revoked_at, ?3), manifest = NULL, bytes = 0
                 WHERE id = ?1 AND vault = ?2",
                params![id, vault, i(now)?],
            )?;
            if n > 0 {
                tx.execute("DELETE FROM share_pages WHERE share = ?1", params![id])?;
            }
            tx.commit()?;
            if n > 0 {
                forget_freed_pages(c)?;
            }
            Ok(n > 0)
        })
        .await
    }

    async fn open_share(
        &self,
        id: ShareId,
        check: Option<[u8; 32]>,
        token: [u8; 16],
        now: u64,
    ) -> StoreResult<Result<Opening, ShareRefusal>> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some(row) = row(&tx, &id)? else { return Ok(Err(ShareRefusal::NotFound)) };
            // Without the link key's proof, nothing: no opening counted, no time recorded, no status
            // told (an id alone does not say whether the share exists).
            if let Some(expected) = &row.open_check
                && check.is_none_or(|c| c.as_slice() != expected.as_slice())
            {
                return Ok(Err(ShareRefusal::NotFound));
            }
            let exhausted = match row.max_opens {
                Some(max) => opens(&tx, &id)? >= u64::from(max),
                None => false,
            };
            // An exhausted share whose material is purged still says "exhausted", not "not found".
            match refusal(&row, now) {
                Some(ShareRefusal::NotFound) | None if exhausted => return Ok(Err(ShareRefusal::Exhausted)),
                Some(r) => return Ok(Err(r)),
                None => {}
            }
            tx.execute(
                "INSERT INTO share_opens (share, opened_at, token) VALUES (?1, ?2, ?3)",
                params![id, i(now)?, token],
            )?;
            let opening = u32::try_from(opens(&tx, &id)?).unwrap_or(u32::MAX);
            tx.commit()?;
            let manifest = row.manifest.unwrap_or_default();
            Ok(Ok(Opening { manifest, pages: row.pages, expires_at: row.expires_at, vault: row.vault, opening }))
        })
        .await
    }

    async fn share_page(
        &self,
        id: ShareId,
        index: u32,
        token: [u8; 16],
        now: u64,
        token_ttl: u64,
    ) -> StoreResult<Result<Vec<u8>, ShareRefusal>> {
        self.read(move |c| {
            let Some(row) = row(c, &id)? else { return Ok(Err(ShareRefusal::NotFound)) };
            if let Some(r) = refusal(&row, now) {
                return Ok(Err(r));
            }
            let opened: Option<i64> = c
                .query_row(
                    "SELECT opened_at FROM share_opens WHERE share = ?1 AND token = ?2",
                    params![id, token],
                    |r| r.get(0),
                )
                .optional()?;
            if opened.is_none_or(|t| u(t).saturating_add(token_ttl) <= now) {
                return Ok(Err(ShareRefusal::NotFound));
            }
            let page: Option<Vec<u8>> = c
                .query_row("SELECT bytes FROM share_pages WHERE share = ?1 AND idx = ?2", params![id, index], |r| {
                    r.get(0)
                })
                .optional()?;
            Ok(page.ok_or(ShareRefusal::NotFound))
        })
        .await
    }

    async fn purge_shares(&self, now: u64, opening_ttl: u64) -> StoreResult<u64> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let exhausted: Vec<Vec<u8>> = tx
                .prepare(EXHAUSTED)?
                .query_map(params![i(now)?, i(opening_ttl)?], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for id in &exhausted {
                tx.execute("DELETE FROM share_pages WHERE share = ?1", params![id])?;
                tx.execute("UPDATE shares SET manifest = NULL, bytes = 0 WHERE id = ?1", params![id])?;
            }
            let ended = "SELECT id FROM shares WHERE (expires_at <= ?1 OR revoked_at IS NOT NULL)";
            tx.execute(&format!("DELETE FROM share_pages WHERE share IN ({ended})"), params![i(now)?])?;
            let purged = exhausted.len()
                + tx.execute(
                    "UPDATE shares SET manifest = NULL, bytes = 0
                 WHERE (expires_at <= ?1 OR revoked_at IS NOT NULL) AND manifest IS NOT NULL",
                    params![i(now)?],
                )?;
            let forget = i(now.saturating_sub(ENDED_SHARE_RETENTION_SECS))?;
            let old = "SELECT id FROM shares WHERE MAX(expires_at, COALESCE(revoked_at, 0)) <= ?1";
            tx.execute(&format!("DELETE FROM share_opens WHERE share IN ({old})"), params![forget])?;
            tx.execute(&format!("DELETE FROM shares WHERE id IN ({old})"), params![forget])?;
            tx.commit()?;
            if purged > 0 {
                forget_freed_pages(c)?;
            }
            Ok(purged as u64)
        })
        .await
    }
}
