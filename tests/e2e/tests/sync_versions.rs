//! Document versions through a real sync server on 127.0.0.1: two devices that each add a version of
//! the same document offline both keep both versions after syncing, agree on the current one (newest
//! clock) and show the other as concurrent; a newly linked device sees the same, pages included.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use coffre_core::sync_engine;
use coffre_core::vault::{DocId, NewDocument, Origin, PageInput, PageRole, Vault};

fn jpeg(seed: u8, len: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.extend((0..len).map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed)));
    v
}

fn pages(bytes: Vec<u8>) -> Vec<PageInput> {
    vec![PageInput { bytes, mime: "image/jpeg".into(), role: PageRole::Page }]
}

/// What a UI shows of the versions: (version, number, current, concurrent, first page bytes).
fn versions(v: &Vault, id: &DocId) -> Vec<(u32, u32, bool, bool, Vec<u8>)> {
    v.versions(id)
        .unwrap()
        .into_iter()
        .map(|d| {
            (d.version, d.number, d.current, d.concurrent, v.version_page_bytes(id, d.version, 0).unwrap().to_vec())
        })
        .collect()
}

#[test]
fn concurrent_versions_made_offline_are_both_kept_after_sync() {
    let srv = server();
    let tmp = tempfile::tempdir().unwrap();
    let mut a = Vault::create(&tmp.path().join("a"), PASS, None).unwrap();
    let meta = NewDocument { category: "titre_sejour".into(), title: "Titre de séjour".into(), ..Default::default() };
    let id = a.add_document(meta, Origin::Camera, pages(jpeg(1, 60_000))).unwrap();
    sync_engine::enroll(&mut a, &srv.url).unwrap();
    sync_all(&mut a);
    let mut b = link(&mut a, &tmp.path().join("b"), &srv.url);
    sync_all(&mut b);

    // Both phones re-capture the renewed card while offline.
    let va = a.add_version(&id, Origin::Camera, pages(jpeg(2, 61_000))).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let vb = b.add_version(&id, Origin::Camera, pages(jpeg(3, 62_000))).unwrap();
    let pushed = sync_all(&mut a);
    assert_eq!((pushed.pushed, pushed.blobs_uploaded), (1, 1), "only the new version's page is uploaded");
    sync_all(&mut b);
    sync_all(&mut a);

    let expected = vec![
        (1, 1, false, false, jpeg(1, 60_000)),
        (va, 2, false, true, jpeg(2, 61_000)),
        (vb, 3, true, false, jpeg(3, 62_000)),
    ];
    assert_eq!(versions(&a, &id), expected);
    assert_eq!(versions(&b, &id), expected);
    assert_eq!(a.page_bytes(&id, 0).unwrap().as_slice(), jpeg(3, 62_000).as_slice());

    // A third phone linked afterwards sees the same versions and the same conflict.
    let mut c = link(&mut b, &tmp.path().join("c"), &srv.url);
    sync_all(&mut c);
    assert_eq!(versions(&c, &id), expected);
    assert!(c.verify().unwrap().is_clean());
}
