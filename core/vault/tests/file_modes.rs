//! Files holding secrets or plaintext are private to their owner (issue 13, low): whatever the
//! umask, the vault's database (and its -wal), header, lock, pages and every export are created
//! 0600 and their directories 0700, so another account on the computer reads none of them.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use coffre_vault::{ExportFormat, NewDocument, Origin, PageInput, PageRole, Vault};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Every file under `root` (and `root` itself) with its mode, directories included.
fn modes(root: &Path) -> Vec<(String, bool, u32)> {
    let mut out = Vec::new();
    let meta = std::fs::metadata(root).unwrap();
    out.push((root.display().to_string(), meta.is_dir(), meta.permissions().mode() & 0o777));
    if meta.is_dir() {
        for entry in std::fs::read_dir(root).unwrap() {
            out.extend(modes(&entry.unwrap().path()));
        }
    }
    out
}

fn assert_private(root: &Path) {
    for (path, dir, mode) in modes(root) {
        let want = if dir { 0o700 } else { 0o600 };
        assert_eq!(mode, want, "{path} is {mode:o}, should be {want:o}");
    }
}

#[test]
fn vault_files_and_exports_are_private_whatever_the_umask() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested").join("vault");
    let mut v = Vault::create(&dir, b"code 4321", None).unwrap();
    let page = PageInput {
        bytes: b"%PDF-1.7 avis d'imposition".to_vec(),
        mime: "application/pdf".into(),
        role: PageRole::Page,
    };
    let meta = NewDocument { category: "attestation_caf".into(), title: "Avis".into(), ..Default::default() };
    let id = v.add_document(meta, Origin::Import, vec![page]).unwrap();

    let names: Vec<String> = modes(&dir).into_iter().map(|(p, _, _)| p).collect();
    for expected in ["vault.db", "vault.json", "blobs"] {
        assert!(names.iter().any(|p| p.ends_with(expected)), "{expected} missing from {names:?}");
    }
    assert!(names.iter().filter(|p| p.contains("blobs")).count() >= 3, "no page file: {names:?}");
    assert_private(&dir);
    assert_private(&tmp.path().join("nested"));

    let folder = tmp.path().join("export");
    v.export(&folder, ExportFormat::Folder).unwrap();
    assert!(modes(&folder).len() > 2, "the export holds files");
    assert_private(&folder);
    let zip = tmp.path().join("export.zip");
    v.export(&zip, ExportFormat::Zip).unwrap();
    assert_private(&zip);
    let saved = tmp.path().join("page.pdf");
    v.save_page(&id, 0, &saved).unwrap();
    assert_private(&saved);
}
