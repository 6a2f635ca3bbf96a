//! Bad input and faults: each gets a typed error and loses nothing already committed.
#![allow(clippy::unwrap_used)]

mod common;

use coffre_vault::*;
use common::*;
use std::fs;
use std::io::Write;

const CHUNK: usize = 64 * 1024;
const HEADER: usize = 1 + 19; // format version + nonce prefix
const SEALED_CHUNK: usize = CHUNK + 16;

fn vault_with_two_docs(dir: &std::path::Path) -> (DocId, DocId, Vec<u8>, Vec<u8>) {
    let mut v = new_vault(dir);
    let a = jpeg_bytes(1, 3 * CHUNK + 500);
    let b = jpeg_bytes(2, 3 * CHUNK + 500);
    let ia =
        v.add_document(meta("passeport", "Passeport"), Origin::Camera, vec![page(a.clone(), "image/jpeg")]).unwrap();
    let ib = v.add_document(meta("rib", "RIB"), Origin::Camera, vec![page(b.clone(), "image/jpeg")]).unwrap();
    (ia, ib, a, b)
}

fn blob_of(v: &Vault, _id: &DocId, other: &std::path::Path) -> std::path::PathBuf {
    // The blob files of the vault, minus `other`.
    blob_files(v.dir()).into_iter().find(|p| p != other).unwrap()
}

/// Applies `damage` to the blob of document `a` and checks that reading it fails with `Corrupt`,
/// that `verify` names it, and that document `b` is still intact.
fn check_damage(name: &str, damage: impl Fn(&mut Vec<u8>, &[u8])) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let (ia, ib, _a, b) = vault_with_two_docs(&dir);
    let v = Vault::open(&dir, PASS, None).unwrap();
    let files = blob_files(&dir);
    // Find which file belongs to `a` by damaging each in turn would be circular; use verify order.
    let (fa, fb) = {
        let original: Vec<Vec<u8>> = files.iter().map(|f| fs::read(f).unwrap()).collect();
        // Temporarily remove the first file to see which document loses its page.
        fs::remove_file(&files[0]).unwrap();
        let report = v.verify().unwrap();
        fs::write(&files[0], &original[0]).unwrap();
        if report.damaged[0].doc_id == ia {
            (files[0].clone(), files[1].clone())
        } else {
            (files[1].clone(), files[0].clone())
        }
    };
    let mut bytes = fs::read(&fa).unwrap();
    let other = fs::read(&fb).unwrap();
    damage(&mut bytes, &other);
    fs::write(&fa, &bytes).unwrap();
    let r = v.page_bytes(&ia, 0);
    assert!(matches!(r, Err(VaultError::Corrupt { .. })), "{name}: {r:?}");
    // Streaming to a file releases nothing either.
    let out = tmp.path().join("out.jpg");
    assert!(v.save_page(&ia, 0, &out).is_err(), "{name}");
    assert!(!out.exists(), "{name}: no partial plaintext file");
    let report = v.verify().unwrap();
    assert_eq!(report.damaged.len(), 1, "{name}");
    assert_eq!(report.damaged[0].doc_id, ia);
    assert_eq!(report.damaged[0].title, "Passeport");
    assert_eq!(v.page_bytes(&ib, 0).unwrap().as_slice(), b.as_slice(), "{name}: the other document is intact");
    let _ = blob_of(&v, &ia, &fa);
}

#[test]
fn truncated_blob() {
    check_damage("drop last chunk", |b, _| b.truncate(HEADER + 3 * SEALED_CHUNK));
    check_damage("cut mid-chunk", |b, _| b.truncate(HEADER + SEALED_CHUNK + 100));
    check_damage("header only", |b, _| b.truncate(HEADER));
    check_damage("empty", |b, _| b.clear());
}

#[test]
fn bit_flipped_blob() {
    check_damage("flip in chunk 2", |b, _| b[HEADER + SEALED_CHUNK + 7] ^= 1);
    check_damage("flip in nonce prefix", |b, _| b[3] ^= 0x80);
    check_damage("flip in version byte", |b, _| b[0] ^= 0xFF);
    check_damage("flip in last tag", |b, _| {
        let n = b.len();
        b[n - 1] ^= 1
    });
}

#[test]
fn reordered_and_swapped_chunks() {
    check_damage("swap chunks 0 and 1", |b, _| {
        let (c0, c1) = (HEADER, HEADER + SEALED_CHUNK);
        let first: Vec<u8> = b[c0..c1].to_vec();
        let second: Vec<u8> = b[c1..c1 + SEALED_CHUNK].to_vec();
        b[c0..c1].copy_from_slice(&second);
        b[c1..c1 + SEALED_CHUNK].copy_from_slice(&first);
    });
    check_damage("chunk from another blob", |b, other| {
        b[HEADER..HEADER + SEALED_CHUNK].copy_from_slice(&other[HEADER..HEADER + SEALED_CHUNK]);
    });
    check_damage("whole blob of another document", |b, other| {
        b.clear();
        b.extend_from_slice(other);
    });
    check_damage("duplicated chunk", |b, _| {
        let c: Vec<u8> = b[HEADER..HEADER + SEALED_CHUNK].to_vec();
        b.splice(HEADER + SEALED_CHUNK..HEADER + SEALED_CHUNK, c);
    });
}

#[test]
fn missing_blob_is_named_by_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let (ia, ib, ..) = vault_with_two_docs(&dir);
    let v = Vault::open(&dir, PASS, None).unwrap();
    for f in blob_files(&dir) {
        fs::remove_file(f).unwrap();
    }
    let report = v.verify().unwrap();
    assert!(!report.is_clean());
    let mut names: Vec<_> = report.damaged.iter().map(|d| (d.doc_id, d.problem)).collect();
    names.sort();
    let mut expected = vec![(ia, DamageKind::Missing), (ib, DamageKind::Missing)];
    expected.sort();
    assert_eq!(names, expected);
    assert!(matches!(v.page_bytes(&ia, 0), Err(VaultError::Corrupt { .. })));
}

#[test]
fn corrupted_database_page_is_corruption_not_wrong_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    {
        let mut v = new_vault(&dir);
        for i in 0..200 {
            let mut m = meta("autre", &format!("document {i}"));
            m.notes = "x".repeat(500);
            v.add_document(m, Origin::Import, vec![page(jpeg_bytes(i as u8, 10), "image/jpeg")]).unwrap();
        }
    }
    // Make sure everything is checkpointed into vault.db, then damage a page in the middle.
    let db_path = dir.join("vault.db");
    let mut bytes = fs::read(&db_path).unwrap();
    assert!(bytes.len() > 8 * 4096);
    let header_before = fs::read(dir.join("vault.json")).unwrap();
    for b in &mut bytes[5 * 4096 + 100..5 * 4096 + 200] {
        *b ^= 0x5A;
    }
    fs::write(&db_path, &bytes).unwrap();

    // A wrong passphrase is still reported as such.
    assert!(matches!(Vault::open(&dir, b"wrong", None), Err(VaultError::WrongPassphrase)));
    // The right one reports the damage, at open or when the damaged page is read.
    match Vault::open(&dir, PASS, None) {
        Err(VaultError::Corrupt { .. }) => {}
        Ok(v) => {
            let listing = v.list(&ListQuery::default());
            let check = v.verify().map(|r| r.database_ok);
            assert!(
                matches!(listing, Err(VaultError::Corrupt { .. })) || matches!(check, Ok(false)),
                "damage must be detected: {listing:?} {check:?}"
            );
        }
        Err(e) => panic!("expected Corrupt, got {e:?}"),
    }
    // Nothing deleted anything.
    assert_eq!(fs::read(&db_path).unwrap(), bytes);
    assert_eq!(fs::read(dir.join("vault.json")).unwrap(), header_before);
}

#[test]
fn swapped_database_is_corruption() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    drop(new_vault(&a));
    drop(new_vault(&b));
    fs::copy(b.join("vault.db"), a.join("vault.db")).unwrap();
    assert!(matches!(Vault::open(&a, PASS, None), Err(VaultError::Corrupt { .. })));
    fs::remove_file(a.join("vault.db")).unwrap();
    assert!(matches!(Vault::open(&a, PASS, None), Err(VaultError::Corrupt { .. })), "missing db is not recreated");
    assert!(!a.join("vault.db").exists());
}

/// A writer that fails with ENOSPC after a few bytes, like a full disk.
struct FullDisk {
    left: usize,
}

impl Write for FullDisk {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::from_raw_os_error(28));
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn disk_full_during_import_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let mut v = new_vault(&dir);
    let keep =
        v.add_document(meta("rib", "RIB"), Origin::Import, vec![page(jpeg_bytes(1, 5000), "image/jpeg")]).unwrap();
    v.set_blob_writer_wrap_for_tests(Some(|_file| Box::new(FullDisk { left: 100_000 })));
    let r = v.add_document(meta("autre", "big"), Origin::Camera, vec![page(jpeg_bytes(2, 400_000), "image/jpeg")]);
    assert!(matches!(r, Err(VaultError::StorageFull)), "{r:?}");
    v.set_blob_writer_wrap_for_tests(None);
    assert_eq!(v.list(&ListQuery::default()).unwrap().len(), 1);
    assert_eq!(blob_files(&dir).len(), 1, "no partial blob left");
    assert!(fs::read_dir(dir.join("tmp")).unwrap().next().is_none(), "no temp file left");
    assert_eq!(v.page_bytes(&keep, 0).unwrap().as_slice(), jpeg_bytes(1, 5000).as_slice());
    assert!(v.verify().unwrap().is_clean());
    // And the vault keeps working once space is back.
    v.add_document(meta("autre", "after"), Origin::Camera, vec![page(jpeg_bytes(3, 10), "image/jpeg")]).unwrap();
}

/// A real full file system: a small tmpfs, when this process may mount one (root in CI).
#[test]
fn disk_full_on_a_real_small_filesystem() {
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("mnt");
    fs::create_dir(&mnt).unwrap();
    let status = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=3m", "tmpfs"])
        .arg(&mnt)
        .stderr(std::process::Stdio::null())
        .status();
    if !status.is_ok_and(|s| s.success()) {
        // Not permitted here: the injected-writer test above covers the same path.
        eprintln!("tmpfs mount not permitted; covered by disk_full_during_import_loses_nothing");
        return;
    }
    let dir = mnt.join("v");
    let result = std::panic::catch_unwind(|| {
        let mut v = new_vault(&dir);
        let mut kept = Vec::new();
        let mut full = None;
        for i in 0..100u8 {
            match v.add_document(
                meta("autre", &format!("doc {i}")),
                Origin::Camera,
                vec![page(jpeg_bytes(i, 200_000), "image/jpeg")],
            ) {
                Ok(id) => kept.push((id, i)),
                Err(e) => {
                    full = Some(e);
                    break;
                }
            }
        }
        assert!(matches!(full, Some(VaultError::StorageFull)), "{full:?}");
        drop(v);
        let v = Vault::open(&dir, PASS, None).unwrap();
        assert_eq!(v.list(&ListQuery::default()).unwrap().len(), kept.len());
        for (id, i) in &kept {
            assert_eq!(v.page_bytes(id, 0).unwrap().as_slice(), jpeg_bytes(*i, 200_000).as_slice());
        }
        assert!(v.verify().unwrap().is_clean());
    });
    let _ = std::process::Command::new("umount").arg(&mnt).status();
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}
