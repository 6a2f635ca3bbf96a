//! `coffre-server migrate`: moves an embedded installation (SQLite + chunk files) to PostgreSQL and,
//! optionally, an S3-compatible bucket, then checks the move. The server must be stopped.
//!
//! Rows are copied table by table, column by column, in one PostgreSQL transaction (a failure leaves
//! the target empty); a SQLite table without a PostgreSQL migration stops the move before anything is
//! written. Chunks are copied file by file. The check compares the row count of every table and the
//! chain head and usage of every vault, and counts the objects in the bucket. The server key's public
//! half is recorded in the database: instances must run with a copy of the same `server.key`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use deadpool_postgres::GenericClient;
use rusqlite::types::Value;
use tokio_postgres::types::{ToSql, Type};

use crate::config::Config;
use crate::state::load_or_create_key;
use crate::store::postgres::PgMeta;
use crate::store::s3::S3Chunks;
use crate::store::sqlite::SqliteMeta;
use crate::store::{ChunkStore, MetaStore, StoreError};

/// What was moved, for the operator.
#[derive(Debug, Default)]
pub struct Report {
    /// (table, rows), in table order.
    pub tables: Vec<(String, u64)>,
    pub vaults: u64,
    /// Chunk files copied to the bucket (0 without `--s3`).
    pub chunks: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("no meta.sqlite3 or server.key in {0}: not a Coffre data directory")]
    NotADataDir(PathBuf),
    #[error("the PostgreSQL database already holds vaults: migrate into an empty database")]
    TargetNotEmpty,
    #[error("table {0} has no PostgreSQL migration in this server version: nothing was moved")]
    UnknownTable(String),
    #[error("column {1} of table {0} has an unexpected type in PostgreSQL ({2})")]
    ColumnType(String, String, String),
    #[error("check failed after the move: {0}")]
    Check(String),
    #[error("{0}")]
    Key(#[from] crate::state::ServerError),
}

/// Moves `from` (a data directory) to the database at `to_url`, and its chunks to the bucket `s3`
/// names (a config with `s3_*` set) if given.
pub async fn migrate(from: &Path, to_url: &str, s3: Option<&Config>) -> Result<Report, MigrateError> {
    let db_path = from.join("meta.sqlite3");
    if !db_path.is_file() || !from.join("server.key").is_file() {
        return Err(MigrateError::NotADataDir(from.to_path_buf()));
    }
    let key = load_or_create_key(&from.join("server.key"))?;
    // Opening runs the SQLite migrations, so both schemas are at this server's version.
    let source = SqliteMeta::open(&db_path)?;
    drop(source);
    let target = PgMeta::connect(to_url).await?;
    if target.row_counts().await?.iter().any(|(t, n)| t == "vaults" && *n > 0) {
        return Err(MigrateError::TargetNotEmpty);
    }
    if !target.claim_server_key(key.verifying_key().to_bytes()).await? {
        return Err(MigrateError::Key(crate::state::ServerError::OtherServerKey));
    }
    let mut report = copy_rows(&db_path, &target).await?;
    if let Some(cfg) = s3 {
        let bucket = S3Chunks::open(cfg)?;
        report.chunks = copy_chunks(&from.join("chunks"), &bucket).await?;
        let stored = bucket.count_objects().await?;
        if stored < report.chunks {
            return Err(MigrateError::Check(format!("{} chunk files, {stored} objects in the bucket", report.chunks)));
        }
    }
    check(&db_path, &target, &mut report).await?;
    Ok(report)
}

/// SQLite tables, in creation order, with their columns.
fn source_tables(c: &rusqlite::Connection) -> Result<Vec<(String, Vec<String>)>, MigrateError> {
    let names: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for t in names {
        let cols: Vec<String> = c
            .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?
            .query_map([&t], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        out.push((t, cols));
    }
    Ok(out)
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// One SQLite value as the PostgreSQL column's type wants it (the schemas differ only in type names).
fn pg_value(v: Value, ty: &Type, table: &str, col: &str) -> Result<Box<dyn ToSql + Sync + Send>, MigrateError> {
    let bad = || MigrateError::ColumnType(table.into(), col.into(), ty.name().into());
    Ok(match v {
        Value::Null if *ty == Type::INT8 => Box::new(None::<i64>),
        Value::Null if *ty == Type::INT4 => Box::new(None::<i32>),
        Value::Null if *ty == Type::BYTEA => Box::new(None::<Vec<u8>>),
        Value::Null if *ty == Type::TEXT => Box::new(None::<String>),
        Value::Integer(n) if *ty == Type::INT8 => Box::new(n),
        Value::Integer(n) if *ty == Type::INT4 => Box::new(i32::try_from(n).map_err(|_| bad())?),
        Value::Blob(b) if *ty == Type::BYTEA => Box::new(b),
        Value::Text(t) if *ty == Type::TEXT => Box::new(t),
        _ => return Err(bad()),
    })
}

async fn copy_rows(db_path: &Path, target: &PgMeta) -> Result<Report, MigrateError> {
    let src = rusqlite::Connection::open_with_flags(db_path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let tables = source_tables(&src)?;
    let pg_tables: Vec<String> = target.row_counts().await?.into_iter().map(|(t, _)| t).collect();
    if let Some((t, _)) = tables.iter().find(|(t, _)| !pg_tables.contains(t)) {
        return Err(MigrateError::UnknownTable(t.clone()));
    }
    let mut c = target.conn().await?;
    let tx = c.transaction().await?;
    let mut report = Report::default();
    for (table, cols) in &tables {
        let list = cols.iter().map(|c| quoted(c)).collect::<Vec<_>>().join(", ");
        let marks = (1..=cols.len()).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ");
        let insert = tx.prepare(&format!("INSERT INTO {} ({list}) VALUES ({marks})", quoted(table))).await?;
        let types = insert.params().to_vec();
        let mut st = src.prepare(&format!("SELECT {list} FROM {}", quoted(table)))?;
        let mut rows = st.query([])?;
        let mut n = 0u64;
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(cols.len());
            for (i, (col, ty)) in cols.iter().zip(&types).enumerate() {
                values.push(pg_value(row.get::<_, Value>(i)?, ty, table, col)?);
            }
            let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| &**v as &(dyn ToSql + Sync)).collect();
            tx.execute(&insert, &params).await?;
            n += 1;
        }
        report.tables.push((table.clone(), n));
    }
    tx.commit().await?;
    Ok(report)
}

/// Every `chunks/<vault hex>/<xx>/<hash hex>` file into the bucket.
async fn copy_chunks(root: &Path, bucket: &S3Chunks) -> Result<u64, MigrateError> {
    let mut n = 0;
    let Ok(vaults) = std::fs::read_dir(root) else { return Ok(0) };
    for vault_dir in vaults {
        let vault_dir = vault_dir?.path();
        let Some(vault) = hex32(&vault_dir) else { continue };
        for shard in std::fs::read_dir(&vault_dir)? {
            for file in std::fs::read_dir(shard?.path())? {
                let file = file?.path();
                let Some(hash) = hex32(&file) else { continue };
                let bytes = tokio::fs::read(&file).await?;
                bucket.put(vault, hash, bytes.into()).await?;
                n += 1;
            }
        }
    }
    Ok(n)
}

fn hex32(p: &Path) -> Option<[u8; 32]> {
    let name = p.file_name()?.to_str()?;
    hex::decode(name).ok()?.try_into().ok()
}

/// Row counts of every table, and each vault's head and usage, the same on both sides.
async fn check(db_path: &Path, target: &PgMeta, report: &mut Report) -> Result<(), MigrateError> {
    let counts = target.row_counts().await?;
    for (table, n) in &report.tables {
        let src: i64 = rusqlite::Connection::open_with_flags(db_path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?
            .query_row(&format!("SELECT COUNT(*) FROM {}", quoted(table)), [], |r| r.get(0))?;
        let dst = counts.iter().find(|(t, _)| t == table).map_or(-1, |(_, n)| *n);
        if src != dst || u64::try_from(dst).ok() != Some(*n) {
            return Err(MigrateError::Check(format!("table {table}: {src} rows in SQLite, {dst} in PostgreSQL")));
        }
    }
    let source = Arc::new(SqliteMeta::open(db_path)?);
    let vaults: Vec<Vec<u8>> = {
        let src = rusqlite::Connection::open_with_flags(db_path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let mut st = src.prepare("SELECT id FROM vaults ORDER BY id")?;
        st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
    };
    for id in vaults {
        let vault: [u8; 32] = id.try_into().map_err(|_| MigrateError::Check("corrupt vault id".into()))?;
        let a = source.vault_state(vault).await?;
        let b = target.vault_state(vault).await?;
        if a != b || a.is_none() {
            return Err(MigrateError::Check(format!(
                "vault {}: head {a:?} in SQLite, {b:?} in PostgreSQL",
                hex::encode(vault)
            )));
        }
        report.vaults += 1;
    }
    // The database answers through the same queries the server runs.
    let c = target.conn().await?;
    c.query_one("SELECT 1", &[]).await?;
    Ok(())
}
