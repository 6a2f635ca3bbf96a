//! Recovery kit and closure, end to end against a real sync server on 127.0.0.1 (in-process, SQLite
//! and chunk files): the kit's words alone rebuild the vault on a fresh device; a re-made kit
//! replaces the old one; every stored slot is wrapped under a high-entropy secret; after closure the
//! server's data directory holds nothing of the vault and the local copy is shredded.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use coffre_core::recovery::{RecoveryCode, WordList};
use coffre_core::recovery::{close_vault, make_kit, recover_with_code};
use coffre_core::sync::{CancelToken, SyncError};
use coffre_core::sync_engine::{self, EngineError, SyncOptions};
use coffre_core::vault::{ListQuery, NewDocument, Origin, PageInput, PageRole, Vault};
use std::path::Path;

fn page(marker: &str, len: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.extend(marker.as_bytes());
    v.extend((0..len).map(|i| (i * 7 % 251) as u8));
    v
}

fn add(v: &mut Vault, title: &str, bytes: Vec<u8>) {
    let meta = NewDocument { category: "carte_identite".into(), title: title.into(), ..Default::default() };
    v.add_document(meta, Origin::Camera, vec![PageInput { bytes, mime: "image/jpeg".into(), role: PageRole::Page }])
        .unwrap();
}

fn sync(v: &mut Vault) {
    sync_engine::sync(v, &SyncOptions { download_all: true, ..Default::default() }, &|_| {}, &CancelToken::new())
        .unwrap();
}

fn titles(v: &Vault) -> Vec<String> {
    let mut t: Vec<String> = v.list(&ListQuery::default()).unwrap().into_iter().map(|d| d.title).collect();
    t.sort();
    t
}

fn first_page(v: &Vault, title: &str) -> Vec<u8> {
    let doc = v.list(&ListQuery::default()).unwrap().into_iter().find(|d| d.title == title).unwrap();
    v.page_bytes(&doc.id, 0).unwrap().to_vec()
}

#[test]
fn the_kit_alone_restores_every_document_on_a_fresh_device() {
    let s = server();
    let tmp = tempfile::tempdir().unwrap();
    let mut phone = Vault::create(&tmp.path().join("phone"), PASS, None).unwrap();
    add(&mut phone, "Carte d'identité", page("PAGE-ID", 90_000));
    add(&mut phone, "Attestation CAF", page("PAGE-CAF", 300_000));
    sync_engine::enroll(&mut phone, &s.url).unwrap();
    sync(&mut phone);
    let mut tablet = link(&mut phone, &tmp.path().join("tablet"), &s.url);

    let kit = make_kit(&mut phone).unwrap();
    let words = kit.code.words(WordList::French);
    assert_eq!(words.len(), 12);
    let expected_titles = titles(&phone);
    let expected_page = first_page(&phone, "Attestation CAF");
    // Lose the phone: nothing left of it but the printed words.
    let phone_dir = phone.dir().to_path_buf();
    drop(phone);
    std::fs::remove_dir_all(&phone_dir).unwrap();

    let typed = RecoveryCode::from_words(&words.join(" ")).unwrap();
    let mut fresh = recover_with_code(&s.url, &typed, &tmp.path().join("fresh"), b"nouveau 9876", None).unwrap();
    assert_eq!(titles(&fresh), expected_titles);
    assert_eq!(first_page(&fresh, "Attestation CAF"), expected_page);
    // The audit trail comes back too, verified (chain and server signatures), kit events included.
    let (events, _) = coffre_core::mandate::audit(&mut fresh).unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    for kind in ["device_added", "recovery_kit_made", "recovery_kit_used"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    // It opens with its own new passphrase.
    let dir = fresh.dir().to_path_buf();
    drop(fresh);
    fresh = Vault::open(&dir, b"nouveau 9876", None).unwrap();

    // The fresh device is a full writer: the tablet accepts its ops.
    add(&mut fresh, "Quittance de loyer", page("PAGE-LOYER", 5_000));
    sync(&mut fresh);
    sync(&mut tablet);
    assert!(titles(&tablet).contains(&"Quittance de loyer".to_string()));

    // Every slot on the server is of a high-entropy kind, and well-formed for it.
    let slots = s.rt.block_on(s.state.recovery.all_slots()).unwrap();
    assert_eq!(slots.len(), 1);
    for slot in &slots {
        assert!(["code", "assisted"].contains(&slot.kind.as_str()), "slot kind {}", slot.kind);
        assert_eq!(coffre_core::sync::protocol::recovery::slot_kind(&slot.slot), Some(slot.kind.as_str()));
    }

    // A new kit replaces the old one: the old words no longer open anything.
    let new_kit = make_kit(&mut fresh).unwrap();
    let err = recover_with_code(&s.url, &typed, &tmp.path().join("again"), PASS, None).expect_err("old kit");
    assert!(matches!(err, EngineError::Sync(SyncError::Server { status: 404, .. })), "{err:?}");
    assert!(!tmp.path().join("again").join("vault.json").exists());
    // ... and the new one does, through its QR text this time.
    let (code, url) = RecoveryCode::from_qr_text(&new_kit.code.qr_text(&s.url)).unwrap();
    let again = recover_with_code(&url, &code, &tmp.path().join("again"), PASS, None).unwrap();
    assert_eq!(titles(&again).len(), 3);
    // The tablet still syncs: the removal of the old kit's device is in its log.
    sync(&mut tablet);
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn closure_leaves_nothing_of_the_vault_on_the_server_and_shreds_the_phone() {
    let s = server();
    let tmp = tempfile::tempdir().unwrap();
    let mut phone = Vault::create(&tmp.path().join("phone"), PASS, None).unwrap();
    add(&mut phone, "Titre de séjour", page("PAGE-SEJOUR", 200_000));
    sync_engine::enroll(&mut phone, &s.url).unwrap();
    sync(&mut phone);
    let kit = make_kit(&mut phone).unwrap();
    // Assisted recovery too, so its rows (provider share, sealed pieces) must go as well.
    let agents: Vec<_> = (0..2).map(|_| coffre_core::crypto::ExchangeSecret::generate().public()).collect();
    coffre_core::recovery::setup_assisted(&mut phone, "2468", &[7; 32], &agents).unwrap();
    assert_eq!(s.rt.block_on(s.state.recovery.all_slots()).unwrap().len(), 2);
    // A share link too: its pages and openings are keyed by the share, not by the vault.
    let facture = {
        let meta = NewDocument { category: "autre".into(), title: "Facture".into(), ..Default::default() };
        let mut pdf = b"%PDF-1.4 facture ".to_vec();
        pdf.extend((0..4_000).map(|i| (i % 97) as u8));
        let page = PageInput { bytes: pdf, mime: "application/pdf".into(), role: PageRole::Page };
        phone.add_document(meta, Origin::Import, vec![page]).unwrap()
    };
    sync(&mut phone);
    let request = coffre_core::share::ShareRequest {
        documents: vec![facture],
        lifetime_secs: 3600,
        max_opens: None,
        purpose: None,
        dossier: None,
    };
    coffre_core::share::create_share(&mut phone, &request).unwrap();
    let share_sample: Vec<u8> = {
        let db = rusqlite::Connection::open(s.dir.path().join("meta.sqlite3")).unwrap();
        let bytes: Vec<u8> = db.query_row("SELECT bytes FROM share_pages", [], |r| r.get(0)).unwrap();
        assert!(bytes.len() >= 64, "{}", bytes.len());
        bytes[bytes.len() / 2 - 32..bytes.len() / 2 + 32].to_vec()
    };
    // Another holder's vault on the same server must survive.
    let mut other = Vault::create(&tmp.path().join("other"), PASS, None).unwrap();
    add(&mut other, "Autre", page("PAGE-AUTRE", 1_000));
    sync_engine::enroll(&mut other, &s.url).unwrap();
    sync(&mut other);

    let identity = phone.root_key().derive_identity(0).signing.verifying_key();
    let vault_raw = coffre_core::sync::protocol::vault_id(identity.as_bytes());
    let vault_hex = hex::encode(vault_raw);
    // Known ciphertext of this vault: 64 bytes from the middle of each of its chunk files.
    let mine: Vec<_> = files_under(&s.dir.path().join("chunks"))
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(&vault_hex))
        .collect();
    assert!(!mine.is_empty());
    let samples: Vec<Vec<u8>> = mine
        .iter()
        .map(|p| {
            let b = std::fs::read(p).unwrap();
            b[b.len() / 2 - 32..b.len() / 2 + 32].to_vec()
        })
        .collect();

    // The scan below can fail: before closure the database does hold the vault id.
    let everything: Vec<u8> = files_under(s.dir.path()).iter().flat_map(|f| std::fs::read(f).unwrap()).collect();
    assert!(contains(&everything, &vault_raw));

    let receipt = close_vault(phone).unwrap().expect("an enrolled vault gets a receipt");
    assert_eq!(receipt.vault, vault_hex);
    assert!(s.rt.block_on(s.state.recovery.all_slots()).unwrap().is_empty());
    assert!(s.rt.block_on(s.state.recovery.assisted(vault_raw)).unwrap().is_none());
    for f in files_under(s.dir.path()) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(!contains(&bytes, &vault_raw), "vault id in {f:?}");
        assert!(!contains(&bytes, vault_hex.as_bytes()), "vault id (hex) in {f:?}");
        for sample in &samples {
            assert!(!contains(&bytes, sample), "ciphertext of the vault in {f:?}");
        }
        assert!(!contains(&bytes, &share_sample), "a shared page in {f:?}");
    }
    let db = rusqlite::Connection::open(s.dir.path().join("meta.sqlite3")).unwrap();
    for table in ["shares", "share_pages", "share_opens"] {
        let n: i64 = db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0, "{table}");
    }
    drop(db);
    // The phone's copy is gone, wrapped key first.
    assert!(!tmp.path().join("phone").join("vault.json").exists());
    assert!(!tmp.path().join("phone").join("vault.db").exists());
    // The kit no longer opens anything; the other holder is untouched.
    let err = recover_with_code(&s.url, &kit.code, &tmp.path().join("back"), PASS, None).expect_err("closed");
    assert!(matches!(err, EngineError::Sync(SyncError::Server { status: 404, .. })), "{err:?}");
    sync(&mut other);
    assert_eq!(titles(&other), vec!["Autre".to_string()]);
}

/// Runs a poppler tool (installed by scripts/setup.sh).
fn poppler(tool: &str, args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let out = std::process::Command::new(tool).args(args).output().unwrap_or_else(|e| panic!("{tool}: {e}"));
    assert!(out.status.success(), "{tool}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn the_printed_kit_opens_its_qr_decodes_and_its_printed_words_restore_the_vault() {
    let s = server();
    let tmp = tempfile::tempdir().unwrap();
    let mut phone = Vault::create(&tmp.path().join("phone"), PASS, None).unwrap();
    add(&mut phone, "Avis d'imposition", page("PAGE-IMPOTS", 40_000));
    sync_engine::enroll(&mut phone, &s.url).unwrap();
    sync(&mut phone);
    // Assisted recovery is on: the kit also carries its share, as a second QR and as digits.
    let agents: Vec<_> = (0..2).map(|_| coffre_core::crypto::ExchangeSecret::generate().public()).collect();
    let first_share = coffre_core::recovery::setup_assisted(&mut phone, "2468", &[7; 32], &agents).unwrap();
    let kit = make_kit(&mut phone).unwrap();
    // Making the kit set assisted recovery up again: it prints a new share, not the first one.
    let kit_share = kit.assisted_share.clone().unwrap();
    assert_ne!(*kit_share, *first_share);
    let pdf = kit.pdf(WordList::French, "23/11/2026").unwrap();
    let pdf_path = tmp.path().join("kit.pdf");
    std::fs::write(&pdf_path, &*pdf).unwrap();

    // It opens and rasterises (as a printer would), and the QR in the picture decodes.
    let png_base = tmp.path().join("kit");
    poppler(
        "pdftoppm",
        &[
            "-r".as_ref(),
            "150".as_ref(),
            "-png".as_ref(),
            "-singlefile".as_ref(),
            pdf_path.as_os_str(),
            png_base.as_os_str(),
        ],
    );
    let png = std::fs::read(tmp.path().join("kit.png")).unwrap();
    // The kit's QR is in the top half of the page, the kit share's in the bottom half.
    let luma = image::load_from_memory(&png).unwrap().to_luma8();
    let (w, h) = luma.dimensions();
    let half = |top: bool| {
        let part = image::imageops::crop_imm(&luma, 0, if top { 0 } else { h / 2 }, w, h / 2).to_image();
        coffre_core::qr::decode_luma(part.as_raw(), w, h / 2, w).unwrap()
    };
    let (from_qr, url) = RecoveryCode::from_qr_text(&half(true)).unwrap();
    assert_eq!(from_qr, kit.code);
    assert_eq!(url, s.url);
    let share_qr = half(false);
    assert!(share_qr.starts_with("coffre-kit-share:1:"));
    assert_eq!(*coffre_core::recovery::kit_share::parse(&share_qr).unwrap(), *kit_share);

    // The words as printed, read back from the page: "1. mot   7. mot" ...
    let printed =
        String::from_utf8(poppler("pdftotext", &["-layout".as_ref(), pdf_path.as_os_str(), "-".as_ref()])).unwrap();
    assert!(printed.contains("Mon kit de secours Coffre"));
    assert!(printed.contains("Ne le montrez à personne."));
    let tokens: Vec<&str> = printed.split_whitespace().collect();
    let mut words = vec![String::new(); 12];
    for pair in tokens.windows(2) {
        if let Some(n) = pair[0].strip_suffix('.').and_then(|n| n.parse::<usize>().ok())
            && (1..=12).contains(&n)
            && words[n - 1].is_empty()
        {
            words[n - 1] = pair[1].to_string();
        }
    }
    assert_eq!(words, kit.words(WordList::French));
    // The kit share's digits as printed, under their label, give the share back.
    let label = "Part du kit pour le secours avec l'organisme :";
    assert!(printed.contains(label));
    let after = &printed[printed.find(label).unwrap()..];
    let digits: Vec<&str> =
        after.split_whitespace().filter(|t| t.len() == 5 && t.bytes().all(|b| b.is_ascii_hexdigit())).collect();
    assert_eq!(*coffre_core::recovery::kit_share::parse(&digits.join(" ")).unwrap(), *kit_share);
    let typed = RecoveryCode::from_words(&words.join(" ")).unwrap();
    drop(phone);
    let fresh = recover_with_code(&s.url, &typed, &tmp.path().join("fresh"), PASS, None).unwrap();
    assert_eq!(titles(&fresh), vec!["Avis d'imposition".to_string()]);
}

#[test]
fn a_lost_phone_is_refused_at_once_and_the_holder_is_shown_the_mandates_to_confirm() {
    use coffre_mandate::{AgentFile, OrgKey, Scope};
    let s = server();
    let tmp = tempfile::tempdir().unwrap();
    let mut phone = Vault::create(&tmp.path().join("phone"), PASS, None).unwrap();
    sync_engine::enroll(&mut phone, &s.url).unwrap();
    let mut lost = link(&mut phone, &tmp.path().join("lost"), &s.url);
    let mut tablet = link(&mut phone, &tmp.path().join("tablet"), &s.url);
    let before = add_id(&mut phone, "Avant", page("PAGE-AVANT", 5_000));
    sync(&mut phone);
    sync(&mut lost);
    // A mandate granted earlier at the CCAS desk.
    let org = OrgKey::generate("CCAS de Lyon").unwrap();
    let reg = org.registration(coffre_sync_server::now_secs());
    s.rt.block_on(s.state.mandates.register_org(reg.org_pk, reg.name.clone(), reg.encode(), 1)).unwrap();
    let (_, keys) = AgentFile::create(b"agent").unwrap();
    let t = coffre_sync_server::now_secs();
    let cert = org.certify(keys.device_pk(), keys.x25519_pk(), "M. Petit", "Conseiller", t - 5, t + 86_400).unwrap();
    desk_grant(&mut phone, &cert, &keys, &s.url, &[Scope::Deposit], vec!["income".into()], 30);

    let lost_pk = sync_engine::devices(&mut lost).unwrap().into_iter().find(|d| d.this_device).unwrap().public_key;
    let to_confirm = coffre_core::recovery::remove_lost_device(&mut phone, &lost_pk).unwrap().mandates;
    assert_eq!(to_confirm.len(), 1);
    assert_eq!((to_confirm[0].agent.as_str(), to_confirm[0].org.as_str()), ("M. Petit", "CCAS de Lyon"));
    let err = sync_engine::sync(&mut lost, &SyncOptions::default(), &|_| {}, &CancelToken::new()).unwrap_err();
    assert!(matches!(err, EngineError::Sync(SyncError::DeviceRevoked)), "{err:?}");

    // Every collection key got a new generation: a document added afterwards uses it, and the other
    // device receives it through the log and opens both; the lost phone never held it.
    assert_eq!(phone.document_key_generation(&before).unwrap(), 1);
    let after = add_id(&mut phone, "Après", page("PAGE-APRES", 5_000));
    assert_eq!(phone.document_key_generation(&after).unwrap(), 2);
    sync(&mut phone);
    sync(&mut tablet);
    assert_eq!(tablet.document_key_generation(&after).unwrap(), 2);
    assert!(contains(&tablet.page_bytes(&after, 0).unwrap(), b"PAGE-APRES"));
    assert!(contains(&tablet.page_bytes(&before, 0).unwrap(), b"PAGE-AVANT"));
    assert!(contains(&phone.page_bytes(&before, 0).unwrap(), b"PAGE-AVANT"));
    for c in ["identity", "income", "housing", "health"] {
        assert_eq!(tablet.collection_generation(c).unwrap(), Some(2), "{c}");
    }
    assert_eq!(lost.collection_generation("identity").unwrap(), Some(1));
    // The rotation is in the holder's audit trail, after the removal.
    let (events, _) = coffre_core::mandate::audit(&mut phone).unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let removed = kinds.iter().position(|k| *k == "device_removed").unwrap();
    let rotated = kinds.iter().position(|k| *k == "collection_keys_rotated").unwrap();
    assert!(removed < rotated, "{kinds:?}");
    assert_eq!(events[rotated].detail["collections"], 7);
    // A phone restored from the log later gets the new generation too.
    let kit = make_kit(&mut phone).unwrap();
    let back = recover_with_code(&s.url, &kit.code, &tmp.path().join("back"), PASS, None).unwrap();
    assert!(contains(&back.page_bytes(&after, 0).unwrap(), b"PAGE-APRES"));
}

fn add_id(v: &mut Vault, title: &str, bytes: Vec<u8>) -> coffre_core::vault::DocId {
    let meta = NewDocument { category: "carte_identite".into(), title: title.into(), ..Default::default() };
    v.add_document(meta, Origin::Camera, vec![PageInput { bytes, mime: "image/jpeg".into(), role: PageRole::Page }])
        .unwrap()
}
