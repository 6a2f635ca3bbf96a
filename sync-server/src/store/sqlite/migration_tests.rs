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
            "key_generations",
            "invitations",
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

#[test]
fn an_assisted_request_in_progress_moves_to_its_requester_s_row() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("meta.sqlite3");
    {
        let c = at_version(&path, 7);
        c.execute(
            "INSERT INTO recovery_assisted (vault, pin_hash, provider_share, org, pieces, failures, requester, \
             started_at, cancelled_at) VALUES (?1, ?2, ?3, ?4, ?5, 4, ?6, 1000, 1500)",
            params![[1u8; 32], [2u8; 32], [3u8; 35], [4u8; 32], b"[]".to_vec(), [5u8; 32]],
        )
        .expect("assisted row");
    }
    SqliteMeta::open(&path).expect("migrate");
    let c = Connection::open(&path).expect("reopen");
    let (requester, started, ready, cancelled, failures): (Vec<u8>, i64, i64, Option<i64>, i64) = c
        .query_row("SELECT requester, started_at, ready_at, cancelled_at, failures FROM recovery_requests", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .expect("moved");
    assert_eq!((requester, started, ready, cancelled, failures), (vec![5u8; 32], 1000, 1000 + 259_200, Some(1500), 4));
    // The vault's count stays (it lengthens later delays); the old request columns are emptied.
    let (vault_failures, old): (i64, Option<Vec<u8>>) = c
        .query_row("SELECT failures, requester FROM recovery_assisted", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("assisted");
    assert_eq!((vault_failures, old), (4, None));
}
