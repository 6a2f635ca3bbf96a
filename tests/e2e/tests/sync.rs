//! End to end against a real sync server on 127.0.0.1 (in-process, SQLite + chunk files): devices
//! of one holder converge, a new phone linked by QR gets everything, the provider's storage holds
//! none of the plaintext, and a removed device is refused at once.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use base64::Engine as _;
use coffre_core::sync::{CancelToken, SyncError};
use coffre_core::sync_engine::{self, EngineError, LinkApproval, PendingLink, SyncOptions};
use coffre_core::vault::{ListQuery, MetadataPatch, NewDocument, Origin, PageInput, PageRole, Vault, VaultError};
use std::path::Path;

const MARKERS: [&str; 5] = [
    "MARQUEUR-TITRE-7f3a",
    "marqueur-etiquette-c41d",
    "MARQUEUR-NOTE-99b0",
    "MARQUEUR-PAGE-19c2",
    "MARQUEUR-RENOMME-5e1",
];

fn page_with(marker: &str, len: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.extend(marker.as_bytes());
    v.extend((0..len).map(|i| (i % 249) as u8));
    v.extend(marker.as_bytes());
    v
}

fn add(v: &mut Vault, title: &str, tags: &[&str], notes: &str, page: Vec<u8>) -> coffre_core::vault::DocId {
    let meta = NewDocument {
        category: "carte_identite".into(),
        title: title.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        notes: notes.into(),
        ..Default::default()
    };
    v.add_document(
        meta,
        Origin::Camera,
        vec![PageInput { bytes: page, mime: "image/jpeg".into(), role: PageRole::Page }],
    )
    .unwrap()
}

fn sync(v: &mut Vault, all: bool) -> sync_engine::SyncReport {
    sync_engine::sync(v, &SyncOptions { download_all: all, ..Default::default() }, &|_| {}, &CancelToken::new())
        .unwrap()
}

fn link(from: &mut Vault, dir: &Path, url: &str) -> Vault {
    let pending = PendingLink::new(url);
    let qr = pending.qr_text();
    // No digits on the new phone before the enrolled one scanned and contributed.
    assert_eq!(pending.short_code().unwrap(), None);
    assert!(matches!(pending.try_complete(dir, PASS, None), Err(EngineError::LinkPending)));
    let approval = LinkApproval::start(from, &qr).unwrap();
    assert_eq!(approval.short_code().unwrap(), None, "no digits before the new phone revealed");
    // Both screens show the same code before the holder approves; other digits send nothing.
    let shown_new = pending.short_code().unwrap().unwrap();
    assert_eq!(approval.short_code().unwrap().unwrap(), shown_new);
    let wrong = if shown_new == "000000" { "111111" } else { "000000" };
    assert!(matches!(approval.approve(from, wrong), Err(EngineError::LinkCodeMismatch)));
    assert!(matches!(pending.try_complete(dir, PASS, None), Err(EngineError::LinkPending)));
    approval.approve(from, &shown_new).unwrap();
    pending.try_complete(dir, PASS, None).unwrap()
}

fn snapshot(v: &Vault) -> Vec<(String, String, Vec<String>, String, bool)> {
    let mut out: Vec<_> = v
        .list(&ListQuery::default())
        .unwrap()
        .into_iter()
        .map(|d| (d.id.to_hex(), d.title, d.tags, d.notes, d.pinned))
        .collect();
    out.sort();
    out
}

#[test]
fn devices_converge_link_by_qr_and_the_provider_sees_no_plaintext() {
    let srv = server();
    let tmp = tempfile::tempdir().unwrap();
    let mut a = Vault::create(&tmp.path().join("a"), PASS, None).unwrap();
    let id_card = add(&mut a, MARKERS[0], &[MARKERS[1]], MARKERS[2], page_with(MARKERS[3], 300_000));
    let other = add(&mut a, "Attestation CAF", &["caf"], "", page_with("caf", 50_000));
    a.set_pinned(&id_card, true).unwrap();
    sync_engine::enroll(&mut a, &srv.url).unwrap();
    let r = sync(&mut a, false);
    assert_eq!(r.pushed, 3);
    assert_eq!(r.blobs_uploaded, 2);
    assert_eq!(a.outbox_len().unwrap(), 0);

    // A new phone, linked by QR, gets the metadata and the pinned ID card page at once.
    let mut b = link(&mut a, &tmp.path().join("b"), &srv.url);
    assert_eq!(snapshot(&a), snapshot(&b));
    assert_eq!(b.first_pinned_page().unwrap().unwrap().1.as_slice(), page_with(MARKERS[3], 300_000).as_slice());
    assert!(matches!(b.page_bytes(&other, 0), Err(VaultError::NotDownloaded)), "others are fetched lazily");
    assert_eq!(sync_engine::fetch_document(&mut b, &other, &CancelToken::new()).unwrap(), 1);
    assert_eq!(b.page_bytes(&other, 0).unwrap().as_slice(), page_with("caf", 50_000).as_slice());

    // Both edit offline, then sync in turn: they converge, last writer wins per field.
    a.update_metadata(&other, MetadataPatch { notes: Some("note de A".into()), ..Default::default() }).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    b.update_metadata(&other, MetadataPatch { title: Some(MARKERS[4].into()), ..Default::default() }).unwrap();
    let from_b = add(&mut b, "Ajouté sur B", &[], "", page_with("b", 20_000));
    sync(&mut a, false);
    sync(&mut b, false);
    sync(&mut a, true);
    assert_eq!(snapshot(&a), snapshot(&b));
    let merged = a.get(&other).unwrap();
    assert_eq!((merged.title.as_str(), merged.notes.as_str()), (MARKERS[4], "note de A"));
    assert_eq!(a.page_bytes(&from_b, 0).unwrap().as_slice(), page_with("b", 20_000).as_slice());

    // A third device linked from B gets everything.
    let mut c = link(&mut b, &tmp.path().join("c"), &srv.url);
    sync(&mut c, true);
    assert_eq!(snapshot(&c), snapshot(&a));
    assert!(c.missing_blobs().unwrap().is_empty());
    assert!(c.verify().unwrap().is_clean());
    sync(&mut a, false);
    assert_eq!(sync_engine::devices(&mut a).unwrap().len(), 3, "A learnt B and C from the log");

    // Lost phone: A removes C; the server refuses C at once and every device drops it.
    let c_pk = sync_engine::devices(&mut c).unwrap().into_iter().find(|d| d.this_device).unwrap().public_key;
    sync_engine::remove_device(&mut a, &c_pk).unwrap();
    let refused = sync_engine::sync(&mut c, &SyncOptions::default(), &|_| {}, &CancelToken::new());
    assert!(matches!(refused, Err(EngineError::Sync(SyncError::DeviceRevoked))), "{refused:?}");
    sync(&mut b, false);
    assert!(sync_engine::devices(&mut b).unwrap().iter().any(|d| d.public_key == c_pk && d.removed));

    // The provider never sees plaintext: no marker, in UTF-8, UTF-16 or base64, anywhere it stores.
    // (Its database and WAL and chunk files; on PostgreSQL + S3, a dump and every object of the bucket.)
    let stored = srv.stored_bytes();
    assert!(stored.iter().any(|(p, _)| p.contains("chunks")), "the scan covers chunk files");
    for marker in MARKERS {
        let utf16: Vec<u8> = marker.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(marker.as_bytes());
        let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(marker.as_bytes());
        for (path, bytes) in &stored {
            for needle in [marker.as_bytes(), utf16.as_slice(), b64.as_bytes(), b64url.as_bytes()] {
                assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{marker} found in {path}");
            }
        }
    }
}

#[test]
fn network_failures_back_off_and_keep_the_outbox() {
    let srv = server();
    let tmp = tempfile::tempdir().unwrap();
    let mut v = Vault::create(&tmp.path().join("v"), PASS, None).unwrap();
    sync_engine::enroll(&mut v, &srv.url).unwrap();
    add(&mut v, "hors ligne", &[], "", page_with("x", 100));
    drop(srv); // the server goes away
    let mut last = 0;
    for _ in 0..3 {
        let r = sync_engine::sync(&mut v, &SyncOptions::default(), &|_| {}, &CancelToken::new());
        assert!(matches!(&r, Err(EngineError::Sync(e)) if e.kind() == coffre_core::sync::ErrorKind::Network), "{r:?}");
        let at = sync_engine::retry_at_ms(&v).unwrap().unwrap();
        assert!(at > last, "the delay grows");
        last = at;
    }
    assert_eq!(v.outbox_len().unwrap(), 1, "the change waits in the outbox");
}

#[test]
fn sync_needs_enrolment_and_linking_codes_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = Vault::create(&tmp.path().join("v"), PASS, None).unwrap();
    assert!(matches!(
        sync_engine::sync(&mut v, &SyncOptions::default(), &|_| {}, &CancelToken::new()),
        Err(EngineError::NotEnrolled)
    ));
    assert!(LinkApproval::start(&mut v, "COFFRE-LINK:garbage").is_err());
    // An unreachable server: the change stays queued and the retry delay grows.
    sync_engine::enroll(&mut v, "http://127.0.0.1:9").unwrap_err();
    assert_eq!(sync_engine::retry_at_ms(&v).unwrap(), None);
    assert!(LinkApproval::start(&mut v, "https://example.org").is_err());
}
