//! HTTPS end to end (issue 14): `coffre-server` serves TLS itself with a certificate issued by a CA
//! made for the test, and the core's clients trust that CA the way an app does
//! (`trust_operator_ca`; the public roots stay, nothing installed on the machine is read). Sync, a
//! second device linked by QR, a recovery from the kit and a share all go through HTTPS; a server
//! whose CA is not trusted is refused before anything is sent; a renewed certificate is served
//! without a restart, and a broken renewal keeps the old one.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use coffre_core::recovery::{RecoveryCode, WordList, make_kit, recover_with_code};
use coffre_core::share::{self, ShareDuration, ShareRequest};
use coffre_core::sync::{CancelToken, SyncError};
use coffre_core::sync_engine::{self, EngineError, SyncOptions};
use coffre_core::vault::{ListQuery, NewDocument, Origin, PageInput, PageRole, Vault};
use coffre_test_harness::tls::TestCa;

fn add(v: &mut Vault, title: &str, bytes: Vec<u8>) {
    let meta = NewDocument { category: "attestation_caf".into(), title: title.into(), ..Default::default() };
    v.add_document(meta, Origin::Import, vec![PageInput { bytes, mime: "image/png".into(), role: PageRole::Page }])
        .unwrap();
}

fn png(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(160, 120, |x, y| image::Rgb([x as u8, y as u8, seed]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn titles(v: &Vault) -> Vec<String> {
    let mut t: Vec<String> = v.list(&ListQuery::default()).unwrap().into_iter().map(|d| d.title).collect();
    t.sort();
    t
}

fn vault_rows(s: &Server) -> i64 {
    s.db().query_row("SELECT COUNT(*) FROM vaults", [], |r| r.get(0)).unwrap()
}

#[test]
fn sync_linking_recovery_and_a_share_work_over_https_with_the_operators_ca() {
    let s = Server::start_tls();
    assert!(s.url.starts_with("https://127.0.0.1:"), "{}", s.url);
    coffre_core::sync::trust_operator_ca(s.ca.as_ref().unwrap().pem().as_bytes()).unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let mut phone = Vault::create(&tmp.path().join("phone"), PASS, None).unwrap();
    let page = png(7);
    add(&mut phone, "Attestation CAF", page.clone());
    sync_engine::enroll(&mut phone, &s.url).unwrap();
    sync_all(&mut phone);
    assert_eq!(vault_rows(&s), 1);

    // A second device, linked by QR over HTTPS, gets the document.
    let mut tablet = link(&mut phone, &tmp.path().join("tablet"), &s.url);
    sync_all(&mut tablet);
    assert_eq!(titles(&tablet), ["Attestation CAF"]);

    // A share made and opened over HTTPS.
    let docs: Vec<_> = phone.list(&ListQuery::default()).unwrap().into_iter().map(|d| d.id).collect();
    let made = share::create_share(
        &mut phone,
        &ShareRequest { documents: docs, lifetime_secs: ShareDuration::Day.secs(), ..Default::default() },
    )
    .unwrap();
    assert!(made.link.starts_with(&format!("{}/s/", s.url)), "{}", made.link);
    let opened = share::open_link(&made.link).unwrap();
    assert_eq!(opened.pages[0].as_slice(), page.as_slice());

    // The kit's words alone restore the vault over HTTPS.
    let kit = make_kit(&mut phone).unwrap();
    let words = kit.code.words(WordList::French).join(" ");
    let restored =
        recover_with_code(&s.url, &RecoveryCode::from_words(&words).unwrap(), &tmp.path().join("new"), PASS, None)
            .unwrap();
    assert_eq!(titles(&restored), ["Attestation CAF"]);

    // The tablet keeps syncing: what it adds reaches the phone.
    add(&mut tablet, "Quittance", png(9));
    sync_all(&mut tablet);
    sync_all(&mut phone);
    assert_eq!(titles(&phone), ["Attestation CAF", "Quittance"]);
}

#[test]
fn a_server_whose_certificate_is_not_trusted_is_refused_before_anything_is_sent() {
    // Its CA is made here and given to no client.
    let s = Server::start_tls();
    let tmp = tempfile::tempdir().unwrap();
    let mut phone = Vault::create(&tmp.path().join("phone"), PASS, None).unwrap();
    add(&mut phone, "Attestation CAF", png(1));
    let err = sync_engine::enroll(&mut phone, &s.url).unwrap_err();
    assert!(matches!(err, EngineError::Sync(SyncError::UntrustedServer)), "{err:?}");
    assert_eq!(
        err.kind(),
        coffre_core::error::ErrorKind::Sync { category: coffre_core::sync::ErrorKind::UntrustedServer, status: None }
    );
    assert_eq!(vault_rows(&s), 0, "nothing reached the server");
    // Still not enrolled: a later sync asks for a server again, nothing half-done.
    let again = sync_engine::sync(&mut phone, &SyncOptions::default(), &|_| {}, &CancelToken::new());
    assert!(matches!(again, Err(EngineError::NotEnrolled)), "{again:?}");
}

/// A client that trusts `ca` only: does a request to the server's `/v1/server` succeed?
fn handshake_ok(s: &Server, ca: &TestCa) -> bool {
    let client = {
        let _g = s.rt.enter();
        reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap()])
            .build()
            .unwrap()
    };
    s.rt.block_on(client.get(format!("{}/v1/server", s.url)).send()).is_ok_and(|r| r.status().is_success())
}

#[test]
fn a_renewed_certificate_is_served_without_a_restart_and_a_broken_one_is_not() {
    let s = Server::start_tls();
    let (first, tls_dir) = (s.ca.as_ref().unwrap(), s.tls_dir.clone().unwrap());
    let renewed = TestCa::new("Coffre renewed CA");
    assert!(handshake_ok(&s, first) && !handshake_ok(&s, &renewed));

    // The operator's renewal tool writes a new certificate and key (from another CA here, so the
    // test can tell which one is served).
    renewed.issue().write(&tls_dir);
    let deadline = std::time::Instant::now() + coffre_sync_server::tls::RELOAD_POLL * 5;
    while !handshake_ok(&s, &renewed) {
        assert!(std::time::Instant::now() < deadline, "the renewed certificate was not picked up");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(!handshake_ok(&s, first), "the old certificate is no longer served");

    // A half-written renewal (a key that does not go with the certificate) is not loaded.
    let other = renewed.issue();
    std::fs::write(tls_dir.join("key.pem"), &other.key_pem).unwrap();
    std::fs::write(tls_dir.join("cert.pem"), &first.issue().cert_pem).unwrap();
    std::thread::sleep(coffre_sync_server::tls::RELOAD_POLL * 2);
    assert!(handshake_ok(&s, &renewed), "the previous certificate is still served");
}
