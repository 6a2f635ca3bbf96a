//! A first sync of a thousand documents on a server with its DEFAULT configuration (the per-device
//! token bucket of 300 requests, refilled at 100 a second, is smaller than the whole job) finishes
//! in one engine call, and every document is on the server and on a second device afterwards.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use coffre_core::sync::CancelToken;
use coffre_core::sync_engine::{self, SyncOptions};
use coffre_core::vault::{ListQuery, NewDocument, Origin, PageInput, PageRole, Vault};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

const DOCUMENTS: usize = 1_000;

fn small_page(i: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.extend(format!("page {i}").as_bytes());
    v
}

#[test]
fn a_first_sync_of_a_thousand_documents_finishes_in_one_call_on_default_limits() {
    let srv = server();
    let tmp = tempfile::tempdir().unwrap();
    let mut v = Vault::create(&tmp.path().join("v"), PASS, None).unwrap();
    for i in 0..DOCUMENTS {
        let meta = NewDocument { category: "autre".into(), title: format!("papier {i}"), ..Default::default() };
        let page = PageInput { bytes: small_page(i), mime: "image/jpeg".into(), role: PageRole::Page };
        v.add_document(meta, Origin::Import, vec![page]).unwrap();
    }
    sync_engine::enroll(&mut v, &srv.url).unwrap();

    let notices = Arc::new(AtomicU64::new(0));
    let told = notices.clone();
    let options = SyncOptions {
        on_busy: Some(Arc::new(move |secs| {
            assert!(secs >= 1);
            told.fetch_add(1, Ordering::SeqCst);
        })),
        ..Default::default()
    };
    let seen = Mutex::new(Vec::new());
    let started = Instant::now();
    let report = sync_engine::sync(&mut v, &options, &|p| seen.lock().unwrap().push(p), &CancelToken::new());
    let elapsed = started.elapsed();
    eprintln!(
        "first sync of {DOCUMENTS} documents on default limits: {:.1} s, {} busy answers (429) met, {} waits announced",
        elapsed.as_secs_f64(),
        report.as_ref().map(|r| r.server_busy).unwrap_or_default(),
        notices.load(Ordering::SeqCst),
    );
    let report = report.unwrap();
    assert_eq!(report.pushed, DOCUMENTS as u64);
    assert_eq!(v.outbox_len().unwrap(), 0);
    // Progress covers the whole job: it never goes back, and ends with every op and page counted.
    let seen = seen.into_inner().unwrap();
    for w in seen.windows(2) {
        assert!(w[1].done_items >= w[0].done_items && w[1].done_bytes >= w[0].done_bytes, "{w:?}");
        assert!(w[1].total_items >= w[0].total_items && w[1].total_bytes >= w[0].total_bytes, "{w:?}");
    }
    let last = *seen.last().unwrap();
    assert_eq!((last.done_items, last.total_items), (DOCUMENTS as u64, DOCUMENTS as u64));
    assert_eq!(last.done_bytes, last.total_bytes);
    assert!(last.total_bytes >= DOCUMENTS as u64 * 10, "{last:?}");
    assert!(seen.len() > DOCUMENTS, "one bar for the whole job, moved by every op and page");
    let on_server: i64 = srv.db().query_row("SELECT count(*) FROM ops", [], |r| r.get(0)).unwrap();
    assert_eq!(on_server, DOCUMENTS as i64);

    // A second device linked afterwards sees every document.
    let b = link(&mut v, &tmp.path().join("b"), &srv.url);
    assert_eq!(b.list(&ListQuery::default()).unwrap().len(), DOCUMENTS);
}
