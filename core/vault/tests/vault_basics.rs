#![allow(clippy::unwrap_used)]

mod common;

use coffre_vault::*;
use common::*;
use std::fs;

#[test]
fn create_add_reopen_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let page1 = jpeg_bytes(1, 200_000);
    let page2 = jpeg_bytes(2, 70_000);
    let id = {
        let mut v = new_vault(&dir);
        let mut m = meta("carte_identite", "Ma carte d'identité");
        m.tags = vec!["Identité".into(), " urgent ".into(), "identité".into()];
        m.expires_on = Some("2031-05-01".into());
        let thumb = PageInput { bytes: png_bytes(9, 500), mime: "image/png".into(), role: PageRole::Thumbnail };
        v.add_document(
            m,
            Origin::Camera,
            vec![page(page1.clone(), "image/jpeg"), page(page2.clone(), "image/jpeg"), thumb],
        )
        .unwrap()
    };
    let v = Vault::open(&dir, PASS, None).unwrap();
    let doc = v.get(&id).unwrap();
    assert_eq!(doc.title, "Ma carte d'identité");
    assert_eq!(doc.category, "carte_identite");
    assert_eq!(doc.collection, "identity");
    assert_eq!(doc.tags, vec!["identité".to_string(), "urgent".to_string()]);
    assert_eq!(doc.expires_on.as_deref(), Some("2031-05-01"));
    assert_eq!(doc.origin, Origin::Camera);
    assert_eq!(doc.page_count(), 2);
    assert_eq!(v.page_bytes(&id, 0).unwrap().as_slice(), page1.as_slice());
    assert_eq!(v.page_bytes(&id, 1).unwrap().as_slice(), page2.as_slice());
    assert_eq!(v.thumbnail(&id).unwrap().as_slice(), png_bytes(9, 500).as_slice());
    assert!(matches!(v.page_bytes(&id, 2), Err(VaultError::NotFound(_))));
    // Nothing of the plaintext is on disk.
    for f in blob_files(&dir) {
        let bytes = fs::read(f).unwrap();
        assert!(!bytes.windows(64).any(|w| w == &page1[1000..1064]));
    }
    let db = fs::read(dir.join("vault.db")).unwrap();
    assert!(!db.windows(10).any(|w| w == b"Ma carte d"), "title must not be readable in the database file");
}

#[test]
fn wrong_passphrase_and_platform_secret_are_reported_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let secret = [7u8; 32];
    drop(Vault::create(&dir, PASS, Some(&secret)).unwrap());
    assert!(matches!(Vault::open(&dir, b"wrong", Some(&secret)), Err(VaultError::WrongPassphrase)));
    assert!(matches!(Vault::open(&dir, PASS, None), Err(VaultError::WrongPassphrase)));
    // (Three wrong in a row would make the next try wait: tests/unlock_attempts.rs.)
    drop(Vault::open(&dir, PASS, Some(&secret)).unwrap());
    assert!(matches!(Vault::open(&dir, PASS, Some(&[8u8; 32])), Err(VaultError::WrongPassphrase)));
    Vault::open(&dir, PASS, Some(&secret)).unwrap();
    // And nothing was deleted along the way.
    assert!(dir.join("vault.db").exists() && dir.join("vault.json").exists());
}

#[test]
fn one_writer_at_a_time_and_no_vault_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let v = new_vault(&dir);
    assert!(matches!(Vault::open(&dir, PASS, None), Err(VaultError::Busy)));
    drop(v);
    assert!(matches!(Vault::create(&dir, PASS, None), Err(VaultError::AlreadyExists)));
    assert!(matches!(Vault::open(&tmp.path().join("nothing"), PASS, None), Err(VaultError::NoVault)));
}

#[test]
fn list_search_update_pin_delete() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = new_vault(&tmp.path().join("v"));
    let cni = v
        .add_document(
            meta("carte_identite", "CNI recto verso"),
            Origin::Camera,
            vec![page(jpeg_bytes(1, 100), "image/jpeg")],
        )
        .unwrap();
    let mut caf = meta("attestation_caf", "Attestation de paiement");
    caf.notes = "montant du RSA de mars".into();
    caf.tags = vec!["rsa".into()];
    let caf = v.add_document(caf, Origin::Import, vec![page(b"%PDF-1.4 fake".to_vec(), "application/pdf")]).unwrap();
    let sejour = v
        .add_document(
            meta("titre_sejour", "Titre de séjour"),
            Origin::Camera,
            vec![page(jpeg_bytes(2, 100), "image/jpeg")],
        )
        .unwrap();

    let all = v.list(&ListQuery::default()).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].id, sejour, "newest first");
    let by_cat = v.list(&ListQuery { category: Some("attestation_caf".into()), ..Default::default() }).unwrap();
    assert_eq!(by_cat.iter().map(|d| d.id).collect::<Vec<_>>(), vec![caf]);
    let by_tag = v.list(&ListQuery { tag: Some("RSA".into()), ..Default::default() }).unwrap();
    assert_eq!(by_tag.len(), 1);

    let ids = |docs: Vec<Document>| docs.into_iter().map(|d| d.id).collect::<Vec<_>>();
    assert_eq!(ids(v.search("sejour", None).unwrap()), vec![sejour], "accents folded");
    assert_eq!(ids(v.search("RSA mars", None).unwrap()), vec![caf], "notes and tags indexed");
    assert_eq!(ids(v.search("attest", None).unwrap()), vec![caf], "prefix match");
    assert_eq!(ids(v.search("identity card", None).unwrap()), vec![cni], "category labels indexed (en)");
    assert!(v.search("passeport", None).unwrap().is_empty());
    assert_eq!(v.search("\"*) (", None).unwrap().len(), 3, "punctuation alone lists everything");
    assert!(v.search("\"*) OR NEAR( carte", None).unwrap().is_empty(), "FTS syntax in user input is only words");

    let patch = MetadataPatch {
        title: Some("Carte d'identité".into()),
        expires_on: Some(Some("2030-01-02".into())),
        ..Default::default()
    };
    let updated = v.update_metadata(&cni, patch).unwrap();
    assert_eq!(updated.title, "Carte d'identité");
    assert_eq!(ids(v.search("carte identite", None).unwrap()), vec![cni]);
    assert!(v.search("recto", None).unwrap().is_empty(), "old title no longer indexed");
    assert!(matches!(
        v.update_metadata(&cni, MetadataPatch { issued_on: Some(Some("31/12/2020".into())), ..Default::default() }),
        Err(VaultError::InvalidInput(_))
    ));
    assert!(matches!(
        v.update_metadata(&cni, MetadataPatch { category: Some("not-a-category".into()), ..Default::default() }),
        Err(VaultError::InvalidInput(_))
    ));

    assert!(v.first_pinned_page().unwrap().is_none());
    v.set_pinned(&caf, true).unwrap();
    v.set_pinned(&cni, true).unwrap();
    let (doc, bytes) = v.first_pinned_page().unwrap().unwrap();
    assert_eq!(doc.id, cni, "identity documents come first in desk mode");
    assert_eq!(bytes.as_slice(), jpeg_bytes(1, 100).as_slice());
    assert_eq!(v.pinned().unwrap().len(), 2);

    v.delete(&cni).unwrap();
    assert!(matches!(v.get(&cni), Err(VaultError::NotFound(_))));
    assert_eq!(v.list(&ListQuery::default()).unwrap().len(), 2);
    assert!(v.search("carte", None).unwrap().is_empty());
    assert_eq!(v.first_pinned_page().unwrap().unwrap().0.id, caf);
    // Every change went to the outbox, in order.
    let outbox = v.outbox(100).unwrap();
    let kinds: Vec<String> = outbox
        .iter()
        .map(|(_, op)| serde_json::from_slice::<serde_json::Value>(op).unwrap()["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["create", "create", "create", "set", "pin", "pin", "delete"]);
}

#[test]
fn expiring_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = new_vault(&tmp.path().join("v"));
    let today = time::OffsetDateTime::now_utc().date();
    let fmt = |d: time::Date| format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day());
    let mut add = |title: &str, exp: Option<time::Date>| {
        let mut m = meta("titre_sejour", title);
        m.expires_on = exp.map(fmt);
        v.add_document(m, Origin::Camera, vec![page(jpeg_bytes(1, 10), "image/jpeg")]).unwrap()
    };
    let expired = add("expired", Some(today - time::Duration::days(3)));
    let soon = add("soon", Some(today + time::Duration::days(20)));
    add("later", Some(today + time::Duration::days(200)));
    add("never", None);
    let exp = v.expiring_within(30).unwrap();
    assert_eq!(exp.iter().map(|e| e.document.id).collect::<Vec<_>>(), vec![expired, soon]);
    assert_eq!(exp[0].days_left, -3);
    assert_eq!(exp[1].days_left, 20);
}

#[test]
fn import_sniffs_and_refuses_lies_and_oversize() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = new_vault(&tmp.path().join("v"));
    let fake = tmp.path().join("photo.jpg");
    fs::write(&fake, b"this is just text pretending").unwrap();
    assert!(matches!(v.import_file(&fake, meta("autre", "")), Err(VaultError::TypeMismatch { .. })));

    let pdf = tmp.path().join("avis.bin");
    fs::write(&pdf, b"%PDF-1.7\n% content").unwrap();
    let id = v.import_file(&pdf, meta("avis_imposition", "")).unwrap();
    let doc = v.get(&id).unwrap();
    assert_eq!(doc.pages[0].mime, "application/pdf", "type comes from content, not the name");
    assert_eq!(doc.title, "avis");

    let any = tmp.path().join("notes.txt");
    fs::write(&any, b"plain notes").unwrap();
    let id = v.import_file(&any, meta("autre", "")).unwrap();
    assert_eq!(v.get(&id).unwrap().pages[0].mime, "application/octet-stream");

    v.set_limits(Limits { max_file_bytes: 1000 });
    let big = tmp.path().join("big.png");
    fs::write(&big, png_bytes(0, 5000)).unwrap();
    assert!(matches!(v.import_file(&big, meta("autre", "")), Err(VaultError::TooLarge { size: 5016, limit: 1000 })));
    // A stream that grows past the limit is stopped too, and leaves no file behind.
    let before = blob_files(v.dir()).len();
    let r = v.import_reader(std::io::Cursor::new(png_bytes(0, 5000)), "stream.png", meta("autre", ""));
    assert!(matches!(r, Err(VaultError::TooLarge { .. })), "{r:?}");
    assert_eq!(blob_files(v.dir()).len(), before);
    assert_eq!(v.list(&ListQuery::default()).unwrap().len(), 2);
    assert!(v.verify().unwrap().is_clean());
}

#[test]
fn change_passphrase_keeps_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let id = {
        let mut v = new_vault(&dir);
        let id =
            v.add_document(meta("rib", "RIB"), Origin::Import, vec![page(jpeg_bytes(3, 1000), "image/jpeg")]).unwrap();
        let before: Vec<_> = blob_files(&dir).into_iter().map(|p| fs::read(p).unwrap()).collect();
        v.change_passphrase(b"nouveau code 9876", None).unwrap();
        let after: Vec<_> = blob_files(&dir).into_iter().map(|p| fs::read(p).unwrap()).collect();
        assert_eq!(before, after, "documents are not re-encrypted");
        id
    };
    assert!(matches!(Vault::open(&dir, PASS, None), Err(VaultError::WrongPassphrase)));
    let v = Vault::open(&dir, b"nouveau code 9876", None).unwrap();
    assert_eq!(v.page_bytes(&id, 0).unwrap().as_slice(), jpeg_bytes(3, 1000).as_slice());
}

#[test]
fn export_folder_and_zip_with_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = new_vault(&tmp.path().join("v"));
    let p1 = jpeg_bytes(5, 150_000);
    v.add_document(meta("passeport", "Passeport"), Origin::Camera, vec![page(p1.clone(), "image/jpeg")]).unwrap();
    let gone =
        v.add_document(meta("autre", "Supprimé"), Origin::Camera, vec![page(jpeg_bytes(6, 10), "image/jpeg")]).unwrap();
    v.delete(&gone).unwrap();

    let out = tmp.path().join("export");
    let summary = v.export(&out, ExportFormat::Folder).unwrap();
    assert_eq!((summary.documents, summary.files), (1, 1));
    let manifest: serde_json::Value = serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["version"], 1);
    let file = &manifest["documents"][0]["files"][0];
    let exported = fs::read(out.join(file["path"].as_str().unwrap())).unwrap();
    assert_eq!(exported, p1);
    assert_eq!(file["sha256"].as_str().unwrap(), hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&p1)));
    assert!(matches!(v.export(&out, ExportFormat::Folder), Err(VaultError::AlreadyExists)));

    let zip_path = tmp.path().join("export.zip");
    v.export(&zip_path, ExportFormat::Zip).unwrap();
    let mut zip = zip::ZipArchive::new(fs::File::open(&zip_path).unwrap()).unwrap();
    let mut names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"manifest.json".to_string()));
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut zip.by_name(file["path"].as_str().unwrap()).unwrap(), &mut bytes).unwrap();
    assert_eq!(bytes, p1);
}

#[test]
fn raw_key_opens_the_database_with_plain_sqlcipher() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let key = {
        let mut v = new_vault(&dir);
        v.add_document(meta("autre", "x"), Origin::Import, vec![page(jpeg_bytes(1, 10), "image/jpeg")]).unwrap();
        v.sqlcipher_key_hex().to_string()
    };
    let conn = rusqlite::Connection::open(dir.join("vault.db")).unwrap();
    conn.execute_batch(&format!("PRAGMA key = \"x'{key}'\";")).unwrap();
    let n: i64 = conn.query_row("SELECT count(*) FROM documents", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
    let wrong = rusqlite::Connection::open(dir.join("vault.db")).unwrap();
    wrong.execute_batch(&format!("PRAGMA key = \"x'{}'\";", "00".repeat(32))).unwrap();
    assert!(wrong.query_row("SELECT count(*) FROM documents", [], |r| r.get::<_, i64>(0)).is_err());
}

#[test]
fn an_import_of_many_files_adds_them_in_one_batch_and_stops_at_the_first_refused_one() {
    let tmp = tempfile::tempdir().unwrap();
    let mut v = new_vault(&tmp.path().join("v"));
    let mut files = Vec::new();
    for k in 0..5u8 {
        let path = tmp.path().join(format!("photo-{k}.jpg"));
        std::fs::write(&path, jpeg_bytes(k, 20_000 + usize::from(k))).unwrap();
        files.push((path, meta("autre", "")));
    }
    // The fourth "photo" is text: refused, and the fifth is not tried.
    std::fs::write(&files[3].0, b"pas une image").unwrap();
    let outcome = v.import_files(&files);
    assert_eq!(outcome.added.len(), 3);
    assert!(matches!(outcome.failed, Some((3, VaultError::TypeMismatch { .. }))), "{:?}", outcome.failed);
    for (k, id) in outcome.added.iter().enumerate() {
        let doc = v.get(id).unwrap();
        assert_eq!(doc.title, format!("photo-{k}"), "each file keeps its name as title");
        assert_eq!(v.page_bytes(id, 0).unwrap().as_slice(), jpeg_bytes(k as u8, 20_000 + k).as_slice());
    }
    assert_eq!(v.list(&ListQuery::default()).unwrap().len(), 3);
    assert_eq!(v.outbox(100).unwrap().len(), 3, "one create op per document, for the sync");
    let report = v.verify().unwrap();
    assert!(report.is_clean(), "no orphan file, nothing left in tmp/: {report:?}");
    assert_eq!(std::fs::read_dir(tmp.path().join("v/tmp")).map(|d| d.count()).unwrap_or(0), 0);
}
