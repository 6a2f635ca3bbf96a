//! Server schema migrations from every older version, with data kept (see docs/NOTES-migrations.md
//! for the vault's; the same rules hold here).

use rusqlite::params;

use super::*;

fn at_version(path: &Path, version: usize) -> Connection {
    let mut c = Connection::open(path).expect("open");
    for (n, sql) in MIGRATIONS.iter().enumerate().take(version) {
        let tx = c.transaction().expect("tx");
        tx.execute_batch(sql).expect("step");
        tx.pragma_update(None, "user_version", n as i64 + 1).expect("version");
        tx.commit().expect("commit");
    }
    c
}

#[test]
fn migrates_from_every_older_version_keeping_vaults() {
    for version in 1..MIGRATIONS.len() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("meta.sqlite3");
        {
            let c = at_version(&path, version);
            c.execute(
                "INSERT INTO vaults (id, identity_pk, first_device, created_at, head_seq, head_hash) \
                 VALUES (?1, ?2, ?3, 1, 0, ?4)",
                params![[1u8; 32], [2u8; 32], [3u8; 32], [4u8; 32]],
            )
            .expect("vault row");
        }
        SqliteMeta::open(&path).expect("migrate");
        let c = Connection::open(&path).expect("reopen");
        let v: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("version");
        assert_eq!(v as usize, MIGRATIONS.len(), "from {version}");
        let n: i64 = c.query_row("SELECT count(*) FROM vaults", [], |r| r.get(0)).expect("count");
        assert_eq!(n, 1, "from {version}");
        for table in [
            "recovery_slots",
            "recovery_assisted",
            "shares",
            "share_pages",
            "share_opens",
            "seen_nonces",
            "recovery_requests",
        ] {
            c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get::<_, i64>(0)).expect(table);
        }
    }
}

#[test]
fn a_newer_database_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("meta.sqlite3");
    let c = at_version(&path, MIGRATIONS.len());
    c.pragma_update(None, "user_version", MIGRATIONS.len() as i64 + 1).expect("bump");
    drop(c);
    assert!(SqliteMeta::open(&path).is_err());
}
