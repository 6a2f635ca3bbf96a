//! Two devices of one account (same ARK, two vault directories) exchange outbox ops and blobs, as
//! the sync client does: they converge, last writer wins per field, replays change nothing, and a
//! blob that does not match its announced hash is refused.
#![allow(clippy::unwrap_used)]

mod common;

use coffre_crypto::AccountRootKey;
use coffre_vault::*;
use common::*;

fn two_devices(tmp: &std::path::Path) -> (Vault, Vault) {
    let a = new_vault(&tmp.join("a"));
    let ark = AccountRootKey::from_bytes(*a.root_key().as_bytes());
    let b = Vault::create_with_root_key(&tmp.join("b"), ark, b"autre code", None, CreateOptions::default()).unwrap();
    assert_eq!(a.vault_id(), b.vault_id(), "one account, one vault id");
    assert_ne!(a.writer_id(), b.writer_id());
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

fn titles(v: &Vault) -> Vec<(DocId, String, Vec<String>, bool)> {
    let mut out: Vec<_> =
        v.list(&ListQuery::default()).unwrap().into_iter().map(|d| (d.id, d.title, d.tags, d.pinned)).collect();
    out.sort();
    out
}

#[test]
fn devices_converge_and_fetch_pages_lazily() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, mut b) = two_devices(tmp.path());
    let page_a = jpeg_bytes(1, 100_000);
    let id = a
        .add_document(meta("passeport", "Passeport"), Origin::Camera, vec![page(page_a.clone(), "image/jpeg")])
        .unwrap();
    a.set_pinned(&id, true).unwrap();
    assert_eq!(deliver(&mut a, &mut b), vec![Applied::Changed, Applied::Changed]);

    let on_b = b.get(&id).unwrap();
    assert_eq!(on_b.title, "Passeport");
    assert!(on_b.pinned);
    assert!(matches!(b.page_bytes(&id, 0), Err(VaultError::NotDownloaded)), "metadata first, pages later");
    let missing = b.missing_blobs().unwrap();
    assert_eq!(missing.len(), 1);
    assert!(missing[0].pinned);

    // A blob that does not match its announced hash is refused and nothing is written.
    let mut forged = std::fs::read(&a.local_blobs_of(&id).unwrap()[0].path).unwrap();
    forged[100] ^= 1;
    assert!(matches!(b.store_fetched_blob(&missing[0].id, &forged), Err(VaultError::Corrupt { .. })));
    assert!(matches!(b.page_bytes(&id, 0), Err(VaultError::NotDownloaded)));

    fetch_blobs(&a, &mut b);
    assert_eq!(b.page_bytes(&id, 0).unwrap().as_slice(), page_a.as_slice());
    assert!(b.missing_blobs().unwrap().is_empty());
    assert!(b.verify().unwrap().is_clean());
    // The pin is known on B, so the desk mode works there too.
    assert_eq!(b.first_pinned_page().unwrap().unwrap().0.id, id);
}

#[test]
fn offline_edits_converge_last_writer_wins_per_field() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, mut b) = two_devices(tmp.path());
    let id = a.add_document(meta("rib", "RIB"), Origin::Import, vec![page(jpeg_bytes(2, 10), "image/jpeg")]).unwrap();
    deliver(&mut a, &mut b);
    // Both offline: A renames, B retags then renames later.
    a.update_metadata(&id, MetadataPatch { title: Some("RIB banque A".into()), ..Default::default() }).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    b.update_metadata(&id, MetadataPatch { tags: Some(vec!["banque".into()]), ..Default::default() }).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    b.update_metadata(&id, MetadataPatch { title: Some("RIB compte courant".into()), ..Default::default() }).unwrap();
    let b_only = b
        .add_document(meta("autre", "Note de B"), Origin::Import, vec![page(jpeg_bytes(3, 10), "image/jpeg")])
        .unwrap();
    // Exchange in both orders.
    deliver(&mut a, &mut b);
    deliver(&mut b, &mut a);
    assert_eq!(titles(&a), titles(&b), "both devices converge");
    let doc = a.get(&id).unwrap();
    assert_eq!(doc.title, "RIB compte courant", "the later title wins");
    assert_eq!(doc.tags, vec!["banque".to_string()], "fields merge independently");
    assert!(a.get(&b_only).is_ok());
    assert_eq!(a.search("courant", None).unwrap().len(), 1, "search index follows remote edits");

    // Delete on one side, concurrent edit on the other: the tombstone stays.
    a.delete(&b_only).unwrap();
    b.update_metadata(&b_only, MetadataPatch { notes: Some("edited".into()), ..Default::default() }).unwrap();
    deliver(&mut a, &mut b);
    deliver(&mut b, &mut a);
    assert!(a.get(&b_only).is_err() && b.get(&b_only).is_err());
    assert_eq!(titles(&a), titles(&b));
}

/// Every document's dates as a device shows them, in the order it lists them.
fn dates_in_list_order(v: &Vault) -> Vec<(DocId, i64, i64)> {
    v.list(&ListQuery::default()).unwrap().into_iter().map(|d| (d.id, d.created_at, d.modified_at)).collect()
}

#[test]
fn dates_come_from_the_ops_clock_so_every_device_shows_and_sorts_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, mut b) = two_devices(tmp.path());
    let first =
        a.add_document(meta("rib", "RIB"), Origin::Import, vec![page(jpeg_bytes(4, 10), "image/jpeg")]).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let second =
        a.add_document(meta("autre", "Facture"), Origin::Import, vec![page(jpeg_bytes(5, 10), "image/jpeg")]).unwrap();
    deliver(&mut a, &mut b);
    // The receiving device applies later than the writer wrote: its own clock must not leak in.
    std::thread::sleep(std::time::Duration::from_millis(20));
    a.update_metadata(&first, MetadataPatch { title: Some("RIB banque".into()), ..Default::default() }).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    deliver(&mut a, &mut b);
    std::thread::sleep(std::time::Duration::from_millis(20));
    b.update_metadata(&second, MetadataPatch { notes: Some("payée".into()), ..Default::default() }).unwrap();
    let third =
        b.add_document(meta("autre", "Note"), Origin::Import, vec![page(jpeg_bytes(6, 10), "image/jpeg")]).unwrap();
    b.delete(&third).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    deliver(&mut b, &mut a);

    let on_a = dates_in_list_order(&a);
    assert_eq!(on_a, dates_in_list_order(&b), "same dates, same order on both devices");
    assert_eq!(on_a.len(), 2);
    assert_eq!(on_a[0].0, second, "the last edited document comes first");
    let (_, created, modified) = on_a.iter().find(|d| d.0 == first).copied().unwrap();
    assert!(modified > created, "an edit moves the modified date, not the created one");
}

#[test]
fn replayed_and_malformed_ops() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, mut b) = two_devices(tmp.path());
    let id = a.add_document(meta("rib", "RIB"), Origin::Import, vec![page(jpeg_bytes(2, 10), "image/jpeg")]).unwrap();
    a.update_metadata(&id, MetadataPatch { title: Some("new".into()), ..Default::default() }).unwrap();
    let ops = a.outbox(10).unwrap();
    for (_, op) in &ops {
        b.apply_remote_op(op).unwrap();
    }
    for (_, op) in &ops {
        assert_eq!(b.apply_remote_op(op).unwrap(), Applied::Unchanged, "replay is a no-op");
    }
    // An old op replayed after a newer one does not roll the field back.
    let old_set = br#"{"v":1,"doc":"DOC","hlc":"0000000000001-00000-zz","kind":"set","fields":{"title":"ancien"}}"#;
    let old_set = String::from_utf8_lossy(old_set).replace("DOC", &id.to_hex());
    assert_eq!(b.apply_remote_op(old_set.as_bytes()).unwrap(), Applied::Unchanged);
    assert_eq!(b.get(&id).unwrap().title, "new");

    assert!(matches!(b.apply_remote_op(b"not json"), Err(VaultError::InvalidInput(_))));
    let future = old_set.replace("\"v\":1", "\"v\":99");
    assert!(matches!(b.apply_remote_op(future.as_bytes()), Err(VaultError::TooNew { .. })));
    // An op from another account (other ARK) has keys we cannot open: refused, nothing inserted.
    let mut other = new_vault(&tmp.path().join("other"));
    other.add_document(meta("autre", "x"), Origin::Import, vec![page(jpeg_bytes(9, 10), "image/jpeg")]).unwrap();
    let foreign = other.outbox(1).unwrap().remove(0).1;
    assert!(matches!(b.apply_remote_op(&foreign), Err(VaultError::Corrupt { .. })));
    assert_eq!(b.list(&ListQuery::default()).unwrap().len(), 1);
}
