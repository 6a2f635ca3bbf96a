//! The scale-out metadata stores: PostgreSQL behind every metadata trait, one file per store with its
//! migrations beside it, as in [`super::sqlite`]: [`meta`] (vaults, devices, ops, chunk records,
//! blobs, mailboxes; [`generations`] beside it), [`mandates`], [`recovery`], [`shares`], [`enrolment`]
//! (who enrolled whom, last seen), [`replay`] (nonces shared by every instance). Several server instances may share one
//! database (docs/scale-out.md): every read-check-write runs in one transaction that first locks what
//! it depends on (the vault's row `FOR UPDATE`, or a transaction-scoped advisory lock when there is no
//! row to lock), so two instances serialise exactly where one SQLite writer would have.
//!
//! Adding a store method: write it in the store's file here as in `sqlite/`; a new table goes in a
//! new migration appended to [`MIGRATIONS`] (same number as the SQLite one) and, if it holds
//! per-vault rows, names its vault column `vault` so closure deletes it.

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use super::{StoreError, StoreResult};

mod enrolment;
mod generations;
mod mandates;
mod meta;
mod recovery;
mod replay;
mod shares;

pub(crate) use super::sqlite::{arr, arr32, arr64, i, u};

/// Numbered migrations, the same numbers as `sqlite::MIGRATIONS`; `schema_version` holds how many ran.
/// Append only, never edit one.
const MIGRATIONS: &[&str] = &[
    meta::MIGRATION_1,
    mandates::MIGRATION_2,
    recovery::MIGRATION_3,
    recovery::MIGRATION_4,
    shares::MIGRATION_5,
    generations::MIGRATION_6,
    shares::MIGRATION_7,
    mandates::MIGRATION_8,
    enrolment::MIGRATION_9,
    replay::MIGRATION_10,
    recovery::MIGRATION_11,
];

/// Connections per instance. PostgreSQL's default `max_connections` is 100: room for several instances.
const POOL_SIZE: usize = 16;

/// Advisory lock namespaces (first argument of `pg_advisory_xact_lock(int, int)`).
pub(crate) mod lock {
    pub const MIGRATIONS: i32 = 0x436f_0001;
    pub const MAILBOXES: i32 = 0x436f_0002;
    pub const AUDIT: i32 = 0x436f_0003;
    pub const DEPOSITS: i32 = 0x436f_0004;
}

/// The metadata stores on one PostgreSQL database, through a pool of connections.
pub struct PgMeta {
    pool: Pool,
}

pub(crate) type Client = deadpool_postgres::Object;

fn pool_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("postgres pool: {e}"))
}

/// A 32-bit key for an advisory lock on a byte string (a vault id): its first four bytes.
pub(crate) fn lock_key(bytes: &[u8]) -> i32 {
    let mut b = [0u8; 4];
    for (d, s) in b.iter_mut().zip(bytes) {
        *d = *s;
    }
    i32::from_be_bytes(b)
}

impl PgMeta {
    /// Connects (`postgres://user:password@host:port/db`) and runs the migrations this server knows,
    /// under an advisory lock so instances starting together migrate once.
    pub async fn connect(url: &str) -> StoreResult<PgMeta> {
        let cfg: tokio_postgres::Config = url.parse()?;
        let mgr = Manager::from_config(cfg, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(mgr)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(std::time::Duration::from_secs(10)))
            .create_timeout(Some(std::time::Duration::from_secs(5)))
            .recycle_timeout(Some(std::time::Duration::from_secs(5)))
            .build()
            .map_err(pool_error)?;
        let me = PgMeta { pool };
        me.migrate().await?;
        Ok(me)
    }

    pub(crate) async fn conn(&self) -> StoreResult<Client> {
        self.pool.get().await.map_err(pool_error)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1, 0)", &[&lock::MIGRATIONS]).await?;
        // Bookkeeping beside the numbered migrations: how many ran, and the public server key.
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL);
             CREATE TABLE IF NOT EXISTS server_identity (id INT PRIMARY KEY CHECK (id = 1), server_pk BYTEA NOT NULL);",
        )
        .await?;
        let done: i64 = match tx.query_opt("SELECT version FROM schema_version", &[]).await? {
            Some(r) => r.get(0),
            None => {
                tx.execute("INSERT INTO schema_version (version) VALUES (0)", &[]).await?;
                0
            }
        };
        let done = usize::try_from(done).unwrap_or(0);
        if done > MIGRATIONS.len() {
            return Err(StoreError::Backend(format!("database schema {done} is newer than this server")));
        }
        for (n, sql) in MIGRATIONS.iter().enumerate().skip(done) {
            tx.batch_execute(sql).await?;
            tx.execute("UPDATE schema_version SET version = $1", &[&(n as i64 + 1)]).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records `server_pk` as the server key of this database if none is; false if another is.
    /// (Every instance signs with the same key: devices pin it at registration.)
    pub async fn claim_server_key(&self, server_pk: [u8; 32]) -> StoreResult<bool> {
        let c = self.conn().await?;
        c.execute(
            "INSERT INTO server_identity (id, server_pk) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
            &[&&server_pk[..]],
        )
        .await?;
        let stored: Vec<u8> = c.query_one("SELECT server_pk FROM server_identity WHERE id = 1", &[]).await?.get(0);
        Ok(stored == server_pk)
    }

    /// How many rows each table holds (the migration's check and operators' audits).
    pub async fn row_counts(&self) -> StoreResult<Vec<(String, i64)>> {
        let c = self.conn().await?;
        let tables = c
            .query(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
                &[],
            )
            .await?;
        let mut out = Vec::new();
        for t in tables {
            let name: String = t.get(0);
            let n: i64 =
                c.query_one(&format!("SELECT COUNT(*) FROM \"{}\"", name.replace('"', "\"\"")), &[]).await?.get(0);
            out.push((name, n));
        }
        Ok(out)
    }
}
