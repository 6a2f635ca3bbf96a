//! Wrong passphrases are counted in `vault.json`, survive closing and reopening, and make each further
//! try wait longer; the right one resets the count. A copy of the folder made earlier carries the old
//! count: the counter slows guessing through Coffre, it is no limit against a copy (docs/threat-model.md).
#![allow(clippy::unwrap_used)]

use coffre_vault::{FREE_ATTEMPTS, UnlockAttempts, Vault, VaultError, layout};
use std::path::Path;

const PIN: &[u8] = b"482915";

/// Moves the last failure `secs` into the past, as if that time had gone by.
fn let_time_pass(dir: &Path, secs: i64) {
    let path = dir.join(layout::HEADER_FILE);
    let mut h: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let at = h["unlock_attempts"]["last_failed_at"].as_i64().unwrap();
    h["unlock_attempts"]["last_failed_at"] = (at - secs * 1000).into();
    std::fs::write(&path, serde_json::to_vec(&h).unwrap()).unwrap();
}

fn attempts(dir: &Path) -> UnlockAttempts {
    Vault::unlock_attempts(dir).unwrap()
}

#[test]
fn wrong_attempts_make_growing_waits_that_survive_reopening() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    drop(Vault::create(&dir, PIN, None).unwrap());
    let copy_before = tmp.path().join("copy");
    std::fs::create_dir_all(&copy_before).unwrap();
    std::fs::copy(dir.join(layout::HEADER_FILE), copy_before.join(layout::HEADER_FILE)).unwrap();

    // The free tries: wrong, counted, no wait.
    for n in 1..=FREE_ATTEMPTS {
        assert!(matches!(Vault::open(&dir, b"111111", None), Err(VaultError::WrongPassphrase)));
        assert_eq!(attempts(&dir).failed, n);
    }
    // Now every try waits 30 s, even the right PIN, and a refused try does not count.
    let e = Vault::open(&dir, PIN, None).err().unwrap();
    assert!(matches!(e, VaultError::TooManyAttempts { failed: 3, wait_secs: 26..=30 }), "{e:?}");
    assert_eq!(attempts(&dir).failed, 3);
    // After the wait, a wrong one doubles it (60 s), then 120 s.
    let_time_pass(&dir, 30);
    assert!(matches!(Vault::open(&dir, b"222222", None), Err(VaultError::WrongPassphrase)));
    let e = Vault::open(&dir, PIN, None).err().unwrap();
    assert!(matches!(e, VaultError::TooManyAttempts { failed: 4, wait_secs: 56..=60 }), "{e:?}");
    let_time_pass(&dir, 60);
    assert!(matches!(Vault::open(&dir, b"333333", None), Err(VaultError::WrongPassphrase)));
    assert_eq!(attempts(&dir).delay_secs(), 120);
    // The count is in the file: nothing in memory; a new process sees it as well.
    let e = Vault::open(&dir, PIN, None).err().unwrap();
    assert!(matches!(e, VaultError::TooManyAttempts { failed: 5, wait_secs: 116..=120 }), "{e:?}");
    // The right PIN after the wait opens and resets the count.
    let_time_pass(&dir, 120);
    let v = Vault::open(&dir, PIN, None).unwrap();
    drop(v);
    assert_eq!(attempts(&dir), UnlockAttempts::default());
    assert!(Vault::open(&dir, PIN, None).is_ok());

    // What the count cannot do: a copy taken before the failures knows none of them.
    assert_eq!(Vault::unlock_attempts(&copy_before).unwrap().failed, 0);
}

#[test]
fn a_header_without_the_count_reads_as_none() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    drop(Vault::create(&dir, PIN, None).unwrap());
    let text = std::fs::read_to_string(dir.join(layout::HEADER_FILE)).unwrap();
    assert!(!text.contains("unlock_attempts"), "untouched vaults keep the format-1 header as it was");
    assert_eq!(attempts(&dir), UnlockAttempts::default());
}
