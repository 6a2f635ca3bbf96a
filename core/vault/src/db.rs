//! Opening the SQLCipher database: raw key from the ARK, WAL, durable commits, and the key canary.

use crate::error::corrupt;
use crate::{Result, VaultError, schema};
use coffre_crypto::{AccountRootKey, open_symmetric, seal_symmetric};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::Path;
use zeroize::Zeroizing;

pub const DB_FILE: &str = "vault.db";
const CANARY_PLAINTEXT: &[u8] = b"coffre vault key canary v1";

/// Opens (or, with `create`, creates) the database keyed from `ark` and migrates it.
pub fn open(dir: &Path, ark: &AccountRootKey, vault_id: &str, create: bool) -> Result<Connection> {
    let path = dir.join(DB_FILE);
    if !create && !path.exists() {
        // The header exists but the database does not: never recreate it silently.
        return Err(corrupt("database file is missing"));
    }
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
        // SQLite would create the file 0644 less the umask; its -wal and -shm files copy the mode of
        // the database, so an empty file made 0600 first keeps all three private.
        crate::fsutil::private_file_options().create(true).truncate(false).open(&path)?;
    }
    let mut conn = Connection::open_with_flags(&path, flags)?;
    // SQLCipher logs decryption failures to stderr by default; errors reach callers typed instead.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    apply_key(&conn, ark)?;
    // The first read authenticates page 1: with the right ARK, a failure here is damage.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
        .map_err(|_| corrupt("database header"))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON;
         PRAGMA busy_timeout = 5000;",
    )?;
    schema::migrate(&mut conn)?;
    check_canary(&conn, ark, vault_id, create)?;
    Ok(conn)
}

/// Hex of the raw SQLCipher key, as `PRAGMA key = "x'…'"` takes it. Secret: zeroized on drop.
pub fn raw_key_hex(ark: &AccountRootKey) -> Zeroizing<String> {
    let key = ark.derive_sqlcipher_key();
    Zeroizing::new(hex::encode(&key[..]))
}

fn apply_key(conn: &Connection, ark: &AccountRootKey) -> Result<()> {
    let hex = raw_key_hex(ark);
    let pragma = Zeroizing::new(format!("PRAGMA key = \"x'{}'\";", hex.as_str()));
    conn.execute_batch(&pragma)?;
    Ok(())
}

/// The canary proves the database belongs to this ARK (a header copied from another vault, or a
/// database swapped in, is reported as damage, not as a wrong passphrase).
fn check_canary(conn: &Connection, ark: &AccountRootKey, vault_id: &str, create: bool) -> Result<()> {
    let key = ark.derive_subkey("vault/canary");
    let stored: Option<Vec<u8>> =
        conn.query_row("SELECT value FROM meta WHERE key = 'canary'", [], |r| r.get(0)).optional()?;
    match stored {
        Some(envelope) => {
            let plain = open_symmetric(&key, &envelope, vault_id.as_bytes()).map_err(|_| corrupt("key canary"))?;
            if plain.as_slice() != CANARY_PLAINTEXT {
                return Err(corrupt("key canary"));
            }
            Ok(())
        }
        None if create => {
            let envelope = seal_symmetric(&key, CANARY_PLAINTEXT, vault_id.as_bytes());
            conn.execute("INSERT INTO meta (key, value) VALUES ('canary', ?1)", [envelope])?;
            Ok(())
        }
        None => Err(VaultError::Corrupt { what: "key canary is missing".into() }),
    }
}
