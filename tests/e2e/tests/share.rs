//! Share links end to end against a real server on 127.0.0.1: identity copies watermarked and the
//! originals untouched, expiry, opening limit, revocation, purge, refused durations, tampered data and
//! forged links as typed errors, the QR round trip, and whole-dossier shares.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use base64::Engine as _;
use coffre_core::share::dossiers::{self, PieceStatus};
use coffre_core::share::{self, ShareDuration, ShareError, ShareRequest, ShareState};
use coffre_core::sync::protocol::share::ShareRefusal;
use coffre_core::sync::{CancelToken, protocol::sha256};
use coffre_core::sync_engine::{self, SyncOptions};
use coffre_core::vault::{DocId, NewDocument, Origin, PageInput, PageRole, Vault};

fn png(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 200) as u8 + 40, (y % 200) as u8 + 40, seed]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn add(v: &mut Vault, category: &str, title: &str, expires: Option<&str>, page: Vec<u8>, mime: &str) -> DocId {
    let meta = NewDocument {
        category: category.into(),
        title: title.into(),
        expires_on: expires.map(str::to_string),
        ..Default::default()
    };
    v.add_document(meta, Origin::Import, vec![PageInput { bytes: page, mime: mime.into(), role: PageRole::Page }])
        .unwrap()
}

fn request(docs: &[DocId]) -> ShareRequest {
    ShareRequest {
        documents: docs.to_vec(),
        lifetime_secs: ShareDuration::Day.secs(),
        purpose: Some("pour le bailleur".into()),
        ..Default::default()
    }
}

fn refused(r: Result<share::OpenedShare, ShareError>) -> ShareRefusal {
    match r {
        Err(ShareError::Refused(r)) => r,
        Err(e) => panic!("expected a refusal, got {e}"),
        Ok(_) => panic!("expected a refusal, the share opened"),
    }
}

fn id_bytes(id: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(id).unwrap()
}

#[test]
fn shares_from_creation_to_purge() {
    let s = server();
    let dir = tempfile::tempdir().unwrap();
    let mut v = Vault::create(&dir.path().join("v"), b"code 4321", None).unwrap();
    let cni_png = png(320, 200, 90);
    let cni = add(&mut v, "carte_identite", "CNI", None, cni_png.clone(), "image/png");
    let caf_png = png(200, 280, 10);
    let caf = add(&mut v, "attestation_caf", "Attestation CAF", None, caf_png.clone(), "image/png");
    let pdf_id = add(&mut v, "passeport", "Passeport scanné", None, b"%PDF-1.7 passeport".to_vec(), "application/pdf");

    // Not connected to a server yet.
    assert!(matches!(share::create_share(&mut v, &request(&[caf])), Err(ShareError::Engine(_))));
    sync_engine::enroll(&mut v, &s.url).unwrap();
    sync_engine::sync(&mut v, &SyncOptions::default(), &|_| {}, &CancelToken::new()).unwrap();

    // Refused before anything is uploaded.
    for bad in [0, 3599, 31 * 24 * 3600 + 1, u64::MAX] {
        let r = ShareRequest { lifetime_secs: bad, ..request(&[caf]) };
        assert!(matches!(share::create_share(&mut v, &r), Err(ShareError::BadDuration)), "{bad}");
    }
    for bad in ["", "2d", "1y", "31d", "-1h"] {
        assert!(matches!(ShareDuration::parse(bad), Err(ShareError::BadDuration)), "{bad}");
    }
    let r = ShareRequest { max_opens: Some(0), ..request(&[caf]) };
    assert!(matches!(share::create_share(&mut v, &r), Err(ShareError::BadMaxOpens)));
    assert!(matches!(share::create_share(&mut v, &request(&[])), Err(ShareError::Empty)));
    assert!(matches!(share::create_share(&mut v, &request(&[pdf_id])), Err(ShareError::CannotWatermark)));
    let shares_rows =
        |s: &Server| -> i64 { s.db().query_row("SELECT COUNT(*) FROM shares", [], |r| r.get(0)).unwrap() };
    assert_eq!(shares_rows(&s), 0);

    // The identity copy is watermarked, the attestation shared as is, the originals untouched.
    let made = share::create_share(&mut v, &request(&[cni, caf])).unwrap();
    assert!(made.link.starts_with(&format!("{}/s/{}#v1.", s.url, made.id)));
    let opened = share::open_link(&made.link).unwrap();
    assert_eq!(opened.manifest.purpose.as_deref(), Some("pour le bailleur"));
    assert_eq!(opened.manifest.documents.len(), 2);
    assert!(opened.manifest.documents[0].watermarked && !opened.manifest.documents[1].watermarked);
    assert_ne!(opened.pages[0].as_slice(), cni_png.as_slice(), "identity copy must differ from the original");
    let copy = image::load_from_memory(&opened.pages[0]).unwrap();
    assert_eq!((copy.width(), copy.height()), (320, 200));
    assert_eq!(opened.pages[1].as_slice(), caf_png.as_slice());
    assert_eq!(v.page_bytes(&cni, 0).unwrap().as_slice(), cni_png.as_slice(), "original stays clean");
    assert_eq!(hex(&sha256(&opened.pages[0])), made.pages[0].sha256);

    // The holder's audit trail shows the opening as a server-signed observation, verified.
    let (events, _) = coffre_core::mandate::audit(&mut v).unwrap();
    let opened_events: Vec<_> = events.iter().filter(|e| e.kind == "share_opened").collect();
    assert_eq!(opened_events.len(), 1, "{events:?}");
    assert!(!opened_events[0].detail.to_string().contains(made.link.rsplit('#').next().unwrap()), "no link key");

    // The link is also a QR code that reads back.
    let qr_png = share::link_qr(&made.link).unwrap().to_png(6).unwrap();
    assert_eq!(share::link_from_qr_image(&qr_png).unwrap(), made.link);

    // Opening limit.
    let two = share::create_share(&mut v, &ShareRequest { max_opens: Some(2), ..request(&[caf]) }).unwrap();
    share::open_link(&two.link).unwrap();
    share::open_link(&two.link).unwrap();
    assert_eq!(refused(share::open_link(&two.link)), ShareRefusal::Exhausted);

    // Revocation: at once, and the copies are deleted.
    let gone = share::create_share(&mut v, &request(&[caf])).unwrap();
    share::revoke_share(&mut v, &gone.id).unwrap();
    assert_eq!(refused(share::open_link(&gone.link)), ShareRefusal::Revoked);
    let left: i64 = s
        .db()
        .query_row("SELECT COUNT(*) FROM share_pages WHERE share = ?1", [id_bytes(&gone.id)], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
    assert!(matches!(share::revoke_share(&mut v, "nope"), Err(ShareError::UnknownShare)));

    // Expiry (the server's clock moved past it).
    let old = share::create_share(&mut v, &request(&[caf])).unwrap();
    s.db().execute("UPDATE shares SET expires_at = 1 WHERE id = ?1", [id_bytes(&old.id)]).unwrap();
    assert_eq!(refused(share::open_link(&old.link)), ShareRefusal::Expired);

    // The holder's list: states and opening counts.
    let all = share::list_shares(&mut v, true).unwrap();
    let state = |id: &str| all.iter().find(|x| x.record.id == id).unwrap();
    assert_eq!(state(&made.id).state, ShareState::Active);
    assert_eq!(state(&made.id).opened_at.as_ref().unwrap().len(), 1);
    assert_eq!(state(&two.id).state, ShareState::Exhausted);
    assert_eq!(state(&gone.id).state, ShareState::Revoked);
    assert_eq!(state(&old.id).state, ShareState::Expired);
    let active = share::list_shares(&mut v, false).unwrap();
    assert_eq!(active.iter().map(|x| x.record.id.as_str()).collect::<Vec<_>>(), vec![made.id.as_str()]);
    assert_eq!(share::share_link(&v, &made.id).unwrap(), made.link);

    // Tampered page on the server: nothing is released.
    let db = s.db();
    let mut page: Vec<u8> = db
        .query_row("SELECT bytes FROM share_pages WHERE share = ?1 AND idx = 0", [id_bytes(&made.id)], |r| r.get(0))
        .unwrap();
    page[40] ^= 1;
    db.execute("UPDATE share_pages SET bytes = ?2 WHERE share = ?1 AND idx = 0", (id_bytes(&made.id), page)).unwrap();
    assert!(matches!(share::open_link(&made.link), Err(ShareError::Decrypt)));

    // Forged links.
    let (base, _) = made.link.split_once('#').unwrap();
    // A wrong key has no proof of the link key: the server opens nothing (and counts nothing).
    assert_eq!(refused(share::open_link(&format!("{base}#v1.{}", "A".repeat(43)))), ShareRefusal::NotFound);
    assert!(matches!(share::open_link(base), Err(ShareError::BadLink(_))));
    assert!(matches!(share::open_link(&made.link.replace("#v1.", "#v9.")), Err(ShareError::UnsupportedVersion)));
    assert_eq!(
        refused(share::open_link(&format!("{}/s/AAAAAAAAAAAAAAAAAAAAAA#v1.{}", s.url, "A".repeat(43)))),
        ShareRefusal::NotFound
    );

    // Purge: once every share has ended, no copy is left on the server.
    let later = coffre_sync_server::now_secs() + 32 * 24 * 3600;
    let purged = s.rt.block_on(s.state.shares.purge_shares(later, 3600)).unwrap();
    assert!(purged >= 1, "{purged}");
    let pages: i64 = s.db().query_row("SELECT COUNT(*) FROM share_pages", [], |r| r.get(0)).unwrap();
    let manifests: i64 =
        s.db().query_row("SELECT COUNT(*) FROM shares WHERE manifest IS NOT NULL", [], |r| r.get(0)).unwrap();
    assert_eq!((pages, manifests), (0, 0));
    // Much later, the ended shares themselves are forgotten.
    s.rt.block_on(s.state.shares.purge_shares(later + 60 * 24 * 3600, 3600)).unwrap();
    assert_eq!(shares_rows(&s), 0);
}

#[test]
fn dossiers_report_missing_and_expired_pieces_and_share_in_one_link() {
    let s = server();
    let dir = tempfile::tempdir().unwrap();
    let mut v = Vault::create(&dir.path().join("v"), b"code 4321", None).unwrap();
    let titre = add(&mut v, "titre_sejour", "Titre de séjour", Some("2020-01-31"), png(120, 80, 1), "image/png");
    add(&mut v, "passeport", "Passeport", Some("2031-05-01"), png(120, 80, 2), "image/png");
    add(&mut v, "rib", "RIB", None, png(100, 60, 3), "image/png");
    let today = time::macros::date!(2026 - 11 - 23);
    let docs = v.list(&Default::default()).unwrap();

    let check = dossiers::check_documents(&dossiers::dossier("titre_sejour").unwrap(), &docs, today);
    let status = |libelle: &str| check.pieces.iter().find(|p| p.libelle.starts_with(libelle)).unwrap().status;
    assert_eq!(status("Titre de séjour actuel"), PieceStatus::Expired);
    assert_eq!(status("Passeport"), PieceStatus::Present);
    assert_eq!(status("Justificatif de domicile"), PieceStatus::Missing);
    assert_eq!(status("Acte de naissance"), PieceStatus::Missing);
    assert!(!check.complete);
    assert_eq!(check.pieces[0].document.as_ref().map(|d| d.id), Some(titre));

    // A valid titre de séjour wins over the expired one.
    add(&mut v, "titre_sejour", "Nouveau titre", Some("2027-06-30"), png(120, 80, 4), "image/png");
    let docs = v.list(&Default::default()).unwrap();
    let check = dossiers::check_documents(&dossiers::dossier("titre_sejour").unwrap(), &docs, today);
    assert_eq!(check.pieces[0].status, PieceStatus::Present);
    assert_eq!(check.pieces[0].document.as_ref().map(|d| d.title.as_str()), Some("Nouveau titre"));

    // A recent-paper rule: a payslip issued too long ago is "too old".
    let mut old_pay = NewDocument { category: "bulletin_salaire".into(), title: "Paie".into(), ..Default::default() };
    old_pay.issued_on = Some("2026-01-31".into());
    v.add_document(
        old_pay,
        Origin::Import,
        vec![PageInput { bytes: png(50, 50, 5), mime: "image/png".into(), role: PageRole::Page }],
    )
    .unwrap();
    let docs = v.list(&Default::default()).unwrap();
    let prime = dossiers::check_documents(&dossiers::dossier("prime_activite").unwrap(), &docs, today);
    assert_eq!(prime.pieces[1].status, PieceStatus::TooOld);

    // One link for the whole dossier: every piece found, once each.
    sync_engine::enroll(&mut v, &s.url).unwrap();
    let made =
        share::create_dossier_share(&mut v, "titre_sejour", ShareRequest { lifetime_secs: 3600, ..Default::default() })
            .unwrap();
    let opened = share::open_link(&made.link).unwrap();
    assert_eq!(opened.manifest.dossier.as_deref(), Some("Renouvellement de titre de séjour"));
    let titles: Vec<&str> = opened.manifest.documents.iter().map(|d| d.title.as_str()).collect();
    // The payslip fills the optional "ressources" piece (no age rule there).
    assert_eq!(titles, vec!["Nouveau titre", "Passeport", "Paie"]);
    let marks: Vec<bool> = opened.manifest.documents.iter().map(|d| d.watermarked).collect();
    assert_eq!(marks, vec![true, true, false]);
    assert!(matches!(
        share::create_dossier_share(&mut v, "inconnu", ShareRequest::default()),
        Err(ShareError::UnknownDossier)
    ));
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
