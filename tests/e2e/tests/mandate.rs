//! The desk flow end to end against a real server on 127.0.0.1: the agent's QR, the same short code on
//! both sides, the holder's signed mandate reaching the server and the agent, a certified deposit
//! imported into the vault and verified offline from the export, the audit trail, and revocation.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use coffre_core::mandate::{self, MandateFlowError};
use coffre_core::sync_engine;
use coffre_core::vault::{ListQuery, Origin, Vault};
use coffre_mandate::{AgentFile, DepositContent, OrgKey, Scope};

#[test]
fn desk_mandate_certified_deposit_audit_and_revocation() {
    let s = server();
    // The organisation registers; the agent device is certified.
    let org = OrgKey::generate("CCAS de Villeurbanne").unwrap();
    let reg = org.registration(coffre_sync_server::now_secs());
    s.rt.block_on(s.state.mandates.register_org(reg.org_pk, reg.name.clone(), reg.encode(), 1)).unwrap();
    let (_, keys) = AgentFile::create(b"agent").unwrap();
    let t = coffre_sync_server::now_secs();
    let cert =
        org.certify(keys.device_pk(), keys.x25519_pk(), "Mme Benali", "Assistante sociale", t - 5, t + 86_400).unwrap();

    // The holder's vault, connected.
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::create(&dir.path().join("v"), b"code 1234", None).unwrap();
    sync_engine::enroll(&mut vault, &s.url).unwrap();

    // At the desk: the agent shows its QR, the holder scans and sees the certified identity; no
    // digits exist on either side until the holder's phone contributed and the agent's revealed.
    let offer = mandate::agent_offer(&cert, &keys, &s.url).unwrap();
    let scanned = mandate::scan(&offer.to_qr_text()).unwrap();
    assert!(scanned.identity_fr.starts_with("Mme Benali (Assistante sociale) — CCAS de Villeurbanne, valide jusqu'au"));
    assert_eq!(offer.short_code(&keys).unwrap(), None, "no digits before the holder's contribution");
    let desk = mandate::HolderDesk::start(&mut vault, &offer.to_qr_text()).unwrap();
    assert_eq!(desk.short_code().unwrap(), None, "no digits before the agent's reveal");
    let agent_screen = offer.short_code(&keys).unwrap().unwrap();
    assert_eq!(desk.short_code().unwrap().unwrap(), agent_screen);
    // Digits other than the agent's sign nothing.
    let wrong = if agent_screen == "000000" { "111111" } else { "000000" };
    assert!(matches!(
        desk.grant(&mut vault, wrong, &[Scope::Deposit], vec![], 30),
        Err(MandateFlowError::Engine(sync_engine::EngineError::LinkCodeMismatch))
    ));
    assert!(matches!(mandate::agent_receive(&offer.offer, &keys), Err(MandateFlowError::Pending)));
    let m = desk.grant(&mut vault, &agent_screen, &[Scope::Deposit], vec!["income".into()], 30).unwrap();
    let received = mandate::agent_receive(&offer.offer, &keys).unwrap();
    assert_eq!(received, m);
    let listed = mandate::list(&mut vault).unwrap();
    assert_eq!((listed.len(), listed[0].active, listed[0].scopes.clone()), (1, true, vec!["deposit"]));

    // The agent deposits; the holder imports a certified document.
    let content = DepositContent {
        title: "Attestation d'élection de domicile".into(),
        category: "attestation_domiciliation".into(),
        file_name: "domiciliation.pdf".into(),
        bytes: b"%PDF-1.4\n% attestation CCAS\n".to_vec(),
    };
    mandate::agent_deposit(&s.url, &keys, &received, &content).unwrap();
    let imported = mandate::import_deposits(&mut vault).unwrap();
    assert_eq!(imported.len(), 1);
    assert_eq!(imported[0].summary.org_name, "CCAS de Villeurbanne");
    let docs = vault.list(&ListQuery::default()).unwrap();
    assert_eq!(docs.len(), 1);
    let doc = &docs[0];
    assert_eq!(doc.origin, Origin::Deposit);
    assert!(
        doc.notes.starts_with("Déposé par Mme Benali (Assistante sociale) — CCAS de Villeurbanne, "),
        "{}",
        doc.notes
    );
    assert!(doc.notes.ends_with("— vérifié"));
    assert_eq!(vault.page_bytes(&doc.id, 0).unwrap().as_slice(), content.bytes.as_slice());
    // Imported once: the server dropped it.
    assert!(mandate::import_deposits(&mut vault).unwrap().is_empty());

    // Audit trail, and the export that verifies offline.
    let (events, _) = mandate::audit(&mut vault).unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["mandate_granted", "deposit_received"]);
    assert!(events.iter().all(|e| e.writer_signed));
    let export = mandate::audit_export(&mut vault).unwrap();
    let text = serde_json::to_vec(&export).unwrap();
    let back: mandate::AuditExport = serde_json::from_slice(&text).unwrap();
    let sums = mandate::verify_export(&back, None).unwrap();
    assert_eq!(sums.len(), 1);
    assert_eq!(sums[0].agent_name, "Mme Benali");
    let mut forged = back.clone();
    forged.entries[1].time += 1;
    assert!(mandate::verify_export(&forged, None).is_err());
    assert!(mandate::verify_export(&back, Some([9; 32])).is_err());

    // Revocation: the agent is refused at once.
    mandate::revoke(&mut vault, &hex::encode(m.id)).unwrap();
    assert!(mandate::agent_deposit(&s.url, &keys, &received, &content).is_err());
    let listed = mandate::list(&mut vault).unwrap();
    assert!(listed[0].revoked && !listed[0].active);
    let (events, _) = mandate::audit(&mut vault).unwrap();
    assert_eq!(events.last().unwrap().kind, "mandate_revoked");

    // A server that drops its latest audit entry is caught by the head this device verified...
    let db = rusqlite::Connection::open(s.dir.path().join("meta.sqlite3")).unwrap();
    db.execute("DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)", []).unwrap();
    let err = mandate::audit(&mut vault).unwrap_err().to_string();
    assert!(err.contains("shorter than last time"), "{err}");
    // ...and so is one that re-signs another history of the same length with its own key.
    let vault_id = coffre_mandate::vault_of(vault.root_key().derive_identity(0).signing.verifying_key().as_bytes());
    let key = s.state.server_key.clone();
    s.rt.block_on(s.state.mandates.append_audit(vault_id, "mandate_revoked".into(), "{}".into(), t + 5, key)).unwrap();
    let err = mandate::audit(&mut vault).unwrap_err().to_string();
    assert!(err.contains("rewritten since last time"), "{err}");
}

fn add_doc(vault: &mut Vault, category: &str, title: &str, page: &[u8]) {
    use coffre_core::vault::{NewDocument, PageInput, PageRole};
    let meta = NewDocument { category: category.into(), title: title.into(), ..Default::default() };
    let page = PageInput { bytes: page.to_vec(), mime: "application/pdf".into(), role: PageRole::Page };
    vault.add_document(meta, Origin::Import, vec![page]).unwrap();
}

#[test]
fn consult_extract_revocation_and_a_new_key_for_later_documents() {
    let s = server();
    let org = OrgKey::generate("Secours Catholique Lyon").unwrap();
    let reg = org.registration(coffre_sync_server::now_secs());
    s.rt.block_on(s.state.mandates.register_org(reg.org_pk, reg.name.clone(), reg.encode(), 1)).unwrap();
    let (_, keys) = AgentFile::create(b"agent").unwrap();
    let t = coffre_sync_server::now_secs();
    let cert = org.certify(keys.device_pk(), keys.x25519_pk(), "M. Nguyen", "Bénévole", t - 5, t + 86_400).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::create(&dir.path().join("v"), b"code 1234", None).unwrap();
    sync_engine::enroll(&mut vault, &s.url).unwrap();
    add_doc(&mut vault, "avis_imposition", "Avis 2025", b"%PDF-1.4 avis d'imposition 2025");
    add_doc(&mut vault, "carte_vitale", "Carte Vitale", b"%PDF-1.4 carte vitale");

    let (m, _) =
        desk_grant(&mut vault, &cert, &keys, &s.url, &[Scope::Consult, Scope::Extract], vec!["income".into()], 7);
    // Only the mandated collection is visible, and its page decrypts for the agent.
    let p = mandate::agent_consult(&s.url, &keys, &m).unwrap();
    let titles: Vec<&str> = p.documents.iter().map(|d| d.title.as_str()).collect();
    assert_eq!(titles, ["Avis 2025"]);
    let page = &p.documents[0].pages[0];
    assert_eq!(
        mandate::agent_page(&s.url, &keys, &m, &p, page, false).unwrap().as_slice(),
        b"%PDF-1.4 avis d'imposition 2025"
    );
    assert!(mandate::agent_page(&s.url, &keys, &m, &p, page, true).is_ok());
    // Another agent's keys open nothing.
    let (_, stranger) = AgentFile::create(b"x").unwrap();
    assert!(mandate::agent_consult(&s.url, &stranger, &m).is_err());

    // A later document of the collection reaches the package when the holder's device publishes.
    add_doc(&mut vault, "bulletin_salaire", "Bulletin mars", b"%PDF-1.4 bulletin");
    assert_eq!(mandate::publish_packages(&mut vault).unwrap(), 1);
    assert_eq!(mandate::agent_consult(&s.url, &keys, &m).unwrap().documents.len(), 2);
    let (events, _) = mandate::audit(&mut vault).unwrap();
    assert!(events.iter().any(|e| e.kind == "agent_consulted"));
    assert!(events.iter().any(|e| e.kind == "agent_downloaded"));

    // Revocation: refused at once; nothing is published to it any more.
    mandate::revoke(&mut vault, &hex::encode(m.id)).unwrap();
    assert!(mandate::agent_consult(&s.url, &keys, &m).is_err());
    assert!(mandate::agent_page(&s.url, &keys, &m, &p, page, false).is_err());
    add_doc(&mut vault, "rib", "RIB", b"%PDF-1.4 rib");
    assert_eq!(mandate::publish_packages(&mut vault).unwrap(), 0);
    assert!(mandate::publish_package(&mut vault, &hex::encode(m.id)).is_err());

    // A new mandate for the same agent: a new package key; the old one opens none of its pages.
    let (m2, _) = desk_grant(&mut vault, &cert, &keys, &s.url, &[Scope::Consult], vec!["income".into()], 7);
    let p2 = mandate::agent_consult(&s.url, &keys, &m2).unwrap();
    assert_eq!(p2.documents.len(), 3);
    let rib = p2.documents.iter().find(|d| d.title == "RIB").unwrap();
    assert_eq!(mandate::agent_page(&s.url, &keys, &m2, &p2, &rib.pages[0], false).unwrap().as_slice(), b"%PDF-1.4 rib");
    let mut with_old_key: serde_json::Value = serde_json::to_value(&p2).unwrap();
    with_old_key["key"] = serde_json::to_value(&p).unwrap()["key"].clone();
    let with_old_key: mandate::AgentPackage = serde_json::from_value(with_old_key).unwrap();
    assert!(mandate::agent_page(&s.url, &keys, &m2, &with_old_key, &rib.pages[0], false).is_err());
    // Consult only: downloads to keep are refused.
    assert!(mandate::agent_page(&s.url, &keys, &m2, &p2, &rib.pages[0], true).is_err());
}
