//! The embedded stores: one SQLite file (through the workspace's rusqlite; an unkeyed SQLCipher database
//! is plain SQLite) behind every metadata trait, one file per store with its migrations beside it:
//! [`meta`] (vaults, devices, ops, chunk records, blobs, mailboxes), [`mandates`], [`recovery`],
//! [`shares`], [`enrolment`] (who enrolled whom, last seen), [`replay`] (nonces kept across restarts). One writer connection and a few reader connections (WAL), each behind a mutex, used from
//! `spawn_blocking`, so the async workers never block on the disk.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use super::{StoreError, StoreResult};

mod enrolment;
mod generations;
mod mandates;
mod meta;
mod recovery;
mod replay;
mod shares;

/// Numbered migrations; `PRAGMA user_version` holds how many ran. Append only, never edit one. Each
/// store's tables are created beside its code.
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

#[cfg(test)]
mod migration_tests;

/// Reader connections (WAL lets them read while the writer writes).
const READERS: usize = 4;

pub struct SqliteMeta {
    writer: Arc<Mutex<Connection>>,
    readers: Vec<Arc<Mutex<Connection>>>,
    next_reader: std::sync::atomic::AtomicUsize,
}

pub(crate) fn i(v: u64) -> StoreResult<i64> {
    i64::try_from(v).map_err(|_| StoreError::Backend("integer out of range".into()))
}

pub(crate) fn u(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

pub(crate) fn arr32(v: Vec<u8>) -> StoreResult<[u8; 32]> {
    v.try_into().map_err(|_| StoreError::Backend("corrupt 32-byte column".into()))
}

pub(crate) fn arr64(v: Vec<u8>) -> StoreResult<[u8; 64]> {
    v.try_into().map_err(|_| StoreError::Backend("corrupt 64-byte column".into()))
}

pub(crate) fn arr<const N: usize>(v: Vec<u8>) -> StoreResult<[u8; N]> {
    v.try_into().map_err(|_| StoreError::Backend("corrupt fixed-size column".into()))
}

fn open_conn(path: &Path) -> StoreResult<Connection> {
    let c = Connection::open(path)?;
    c.busy_timeout(std::time::Duration::from_secs(10))?;
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "NORMAL")?;
    c.pragma_update(None, "foreign_keys", "ON")?;
    // Deleted rows are overwritten, so a closed vault leaves nothing in free pages (docs/recovery.md).
    c.pragma_update(None, "secure_delete", "ON")?;
    Ok(c)
}

fn migrate(c: &mut Connection) -> StoreResult<()> {
    let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let done = usize::try_from(version).unwrap_or(0);
    if done > MIGRATIONS.len() {
        return Err(StoreError::Backend(format!("database schema {done} is newer than this server")));
    }
    for (n, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        let tx = c.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", n as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

impl SqliteMeta {
    pub fn open(path: &Path) -> StoreResult<SqliteMeta> {
        let mut w = open_conn(path)?;
        migrate(&mut w)?;
        let readers =
            (0..READERS).map(|_| open_conn(path).map(|c| Arc::new(Mutex::new(c)))).collect::<StoreResult<Vec<_>>>()?;
        Ok(SqliteMeta { writer: Arc::new(Mutex::new(w)), readers, next_reader: std::sync::atomic::AtomicUsize::new(0) })
    }

    async fn with<T, F>(conn: &Arc<Mutex<Connection>>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let conn = conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| StoreError::Backend("connection mutex poisoned".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(StoreError::Task)?
    }

    pub(crate) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        Self::with(&self.writer, f).await
    }

    pub(crate) async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let i = self.next_reader.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.readers.len();
        Self::with(&self.readers[i], f).await
    }
}
