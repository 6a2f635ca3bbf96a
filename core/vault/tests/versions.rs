//! Document versions: a re-capture becomes the current version while the older ones stay listed and
//! readable; two devices that add a version of one document offline both keep both after exchanging
//! ops, agree on which is current (newest clock), and mark the other as concurrent.
#![allow(clippy::unwrap_used)]

mod common;

use coffre_crypto::AccountRootKey;
use coffre_vault::*;
use common::*;

fn two_devices(tmp: &std::path::Path) -> (Vault, Vault) {
    let a = new_vault(&tmp.join("a"));
    let ark = AccountRootKey::from_bytes(*a.root_key().as_bytes());
    let b = Vault::create_with_root_key(&tmp.join("b"), ark, b"autre code", None, CreateOptions::default()).unwrap();
    (a, b)
}

/// Delivers every pending op of `from` to `to` (and acks them), like one push + pull.
fn deliver(from: &mut Vault, to: &mut Vault) -> Vec<Applied> {
    let ops = from.outbox(1000).unwrap();
    let applied = ops.iter().map(|(_, op)| to.apply_remote_op(op).unwrap()).collect();
    if let Some((last, _)) = ops.last() {
        from.outbox_ack(*last).unwrap();
    }
    applied
}

fn fetch_blobs(from: &Vault, to: &mut Vault) {
    for m in to.missing_blobs().unwrap() {
        let blob = from.local_blobs_of(&m.doc_id).unwrap().into_iter().find(|b| b.id == m.id).unwrap();
        to.store_fetched_blob(&m.id, &std::fs::read(blob.path).unwrap()).unwrap();
    }
}

/// (version, number, parent, current, concurrent) of each version.
fn shape(v: &Vault, id: &DocId) -> Vec<(u32, u32, Option<u32>, bool, bool)> {
    v.versions(id).unwrap().into_iter().map(|d| (d.version, d.number, d.parent, d.current, d.concurrent)).collect()
}

#[test]
fn a_new_version_becomes_current_and_the_old_one_stays_readable() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = new_vault(&tmp.path().join("v"));
    let first = jpeg_bytes(1, 40_000);
    let second = jpeg_bytes(2, 50_000);
    let id = v
        .add_document(
            meta("carte_identite", "Carte d'identité"),
            Origin::Camera,
            vec![page(first.clone(), "image/jpeg")],
        )
        .unwrap();
    v.outbox_ack(i64::MAX).unwrap();

    let version = v.add_version(&id, Origin::Camera, vec![page(second.clone(), "image/jpeg")]).unwrap();
    assert_ne!(version, 1);
    let doc = v.get(&id).unwrap();
    assert_eq!(doc.version, version);
    assert_eq!(doc.title, "Carte d'identité", "metadata belongs to the document, not the version");
    assert_eq!(doc.page_count(), 1);
    assert_eq!(v.page_bytes(&id, 0).unwrap().as_slice(), second.as_slice());

    let versions = v.versions(&id).unwrap();
    assert_eq!(shape(&v, &id), vec![(1, 1, None, false, false), (version, 2, Some(1), true, false)]);
    assert!(versions.iter().all(|x| x.local && x.pages.len() == 1));
    assert_eq!(v.version_page_bytes(&id, 1, 0).unwrap().as_slice(), first.as_slice());
    assert_eq!(v.version_page_bytes(&id, version, 0).unwrap().as_slice(), second.as_slice());
    assert!(matches!(v.version_page_bytes(&id, 7, 0), Err(VaultError::NotFound(_))));

    // Queued for sync as one op of the newer format; the files of both versions are kept.
    let ops = v.outbox(10).unwrap();
    assert_eq!(ops.len(), 1);
    let op: serde_json::Value = serde_json::from_slice(&ops[0].1).unwrap();
    assert_eq!(op["kind"], "add_version");
    assert_eq!(op["v"], 2);
    assert_eq!(op["parent"], 1);
    assert_eq!(blob_files(&tmp.path().join("v")).len(), 2);
    assert!(v.verify().unwrap().is_clean());
    let mut v = v;
    assert_eq!(v.collect_garbage().unwrap(), 0, "an older version's pages are not garbage");

    // A third version is made on top of the second: a chain, no conflict.
    let third = v.add_version(&id, Origin::Import, vec![page(png_bytes(3, 1000), "image/png")]).unwrap();
    assert_eq!(
        shape(&v, &id),
        vec![(1, 1, None, false, false), (version, 2, Some(1), false, false), (third, 3, Some(version), true, false)]
    );
}

#[test]
fn bad_versions_are_refused_and_leave_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = new_vault(&tmp.path().join("v"));
    let id =
        v.add_document(meta("autre", "Quittance"), Origin::Import, vec![page(png_bytes(1, 100), "image/png")]).unwrap();
    let thumb_only = vec![PageInput { bytes: png_bytes(2, 100), mime: "image/png".into(), role: PageRole::Thumbnail }];
    assert!(matches!(v.add_version(&id, Origin::Camera, thumb_only), Err(VaultError::InvalidInput(_))));
    assert!(matches!(
        v.add_version(&DocId([9; 16]), Origin::Camera, vec![page(png_bytes(2, 100), "image/png")]),
        Err(VaultError::NotFound(_))
    ));
    v.delete(&id).unwrap();
    assert!(matches!(
        v.add_version(&id, Origin::Camera, vec![page(png_bytes(2, 100), "image/png")]),
        Err(VaultError::NotFound(_))
    ));
    assert_eq!(blob_files(&tmp.path().join("v")).len(), 1);
}

#[test]
fn concurrent_versions_from_two_offline_devices_are_both_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, mut b) = two_devices(tmp.path());
    let id = a
        .add_document(
            meta("titre_sejour", "Titre de séjour"),
            Origin::Camera,
            vec![page(jpeg_bytes(1, 30_000), "image/jpeg")],
        )
        .unwrap();
    deliver(&mut a, &mut b);
    fetch_blobs(&a, &mut b);

    // Both renew the card offline.
    let page_a = jpeg_bytes(10, 31_000);
    let page_b = jpeg_bytes(20, 32_000);
    let va = a.add_version(&id, Origin::Camera, vec![page(page_a.clone(), "image/jpeg")]).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let vb = b.add_version(&id, Origin::Camera, vec![page(page_b.clone(), "image/jpeg")]).unwrap();

    assert_eq!(deliver(&mut a, &mut b), vec![Applied::Changed]);
    assert_eq!(deliver(&mut b, &mut a), vec![Applied::Changed]);
    fetch_blobs(&a, &mut b);
    fetch_blobs(&b, &mut a);

    // Same picture on both devices: B's clock is newer, so B's version is current; A's is kept and
    // marked concurrent (both were made on top of version 1).
    let expected = vec![(1, 1, None, false, false), (va, 2, Some(1), false, true), (vb, 3, Some(1), true, false)];
    assert_eq!(shape(&a, &id), expected);
    assert_eq!(shape(&b, &id), expected);
    for v in [&a, &b] {
        assert_eq!(v.get(&id).unwrap().version, vb);
        assert_eq!(v.page_bytes(&id, 0).unwrap().as_slice(), page_b.as_slice());
        assert_eq!(v.version_page_bytes(&id, va, 0).unwrap().as_slice(), page_a.as_slice());
        assert!(v.versions(&id).unwrap().iter().all(|x| x.local));
        assert!(v.verify().unwrap().is_clean());
    }

    // Resolving the conflict = adding a version on top of the current one: the chain then holds
    // every version but A's, which stays listed as concurrent.
    let vr = a.add_version(&id, Origin::Camera, vec![page(page_a.clone(), "image/jpeg")]).unwrap();
    deliver(&mut a, &mut b);
    let after = shape(&b, &id);
    assert_eq!(after.last(), Some(&(vr, 4, Some(vb), true, false)));
    assert_eq!(after[1], (va, 2, Some(1), false, true));
}

#[test]
fn version_ops_replay_and_old_formats() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, mut b) = two_devices(tmp.path());
    let id =
        a.add_document(meta("autre", "Facture"), Origin::Import, vec![page(png_bytes(1, 500), "image/png")]).unwrap();
    deliver(&mut a, &mut b);
    a.add_version(&id, Origin::Import, vec![page(png_bytes(2, 500), "image/png")]).unwrap();
    let ops = a.outbox(10).unwrap();
    let op = &ops[0].1;
    assert_eq!(b.apply_remote_op(op).unwrap(), Applied::Changed);
    assert_eq!(b.apply_remote_op(op).unwrap(), Applied::Unchanged, "a replay changes nothing");
    assert_eq!(b.versions(&id).unwrap().len(), 2);
    // The page is announced, not yet here: the version lists it as missing.
    assert!(!b.versions(&id).unwrap()[1].local);
    assert!(matches!(b.page_bytes(&id, 0), Err(VaultError::NotDownloaded)));

    // A version op claiming the first op format is malformed; a future format is too new.
    let mut value: serde_json::Value = serde_json::from_slice(op).unwrap();
    value["v"] = 1.into();
    assert!(matches!(b.apply_remote_op(&serde_json::to_vec(&value).unwrap()), Err(VaultError::InvalidInput(_))));
    value["v"] = 3.into();
    assert!(matches!(b.apply_remote_op(&serde_json::to_vec(&value).unwrap()), Err(VaultError::TooNew { .. })));
    // A version whose document key does not open with this account's keys is refused.
    value["v"] = 2.into();
    value["version"] = 77.into();
    assert!(matches!(b.apply_remote_op(&serde_json::to_vec(&value).unwrap()), Err(VaultError::Corrupt { .. })));
    assert_eq!(b.versions(&id).unwrap().len(), 2);
}
