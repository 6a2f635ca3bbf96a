//! The desk flow end to end against a real server on 127.0.0.1: the agent's QR, the same short code on
//! both sides, the holder's signed mandate reaching the server and the agent, a certified deposit
//! imported into the vault and verified offline from the export, the audit trail, and revocation.
#![allow(clippy::unwrap_used)]

use coffre_core::mandate::{self, MandateFlowError};
use coffre_core::sync_engine;
use coffre_core::vault::{ListQuery, Origin, Vault};
use coffre_mandate::{AgentFile, DepositContent, OrgKey, Scope};
use coffre_sync_server::{AppState, config::Config};

struct Server {
    url: String,
    state: AppState,
    _dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    _server: coffre_sync_server::RunningServer,
}

fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        shutdown_grace_secs: 1,
        ..Config::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let state = AppState::open_embedded(cfg).unwrap();
    let server = rt.block_on(coffre_sync_server::spawn(state.clone())).unwrap();
    Server { url: server.url(), state, _dir: dir, rt, _server: server }
}

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

    // At the desk: the agent shows its QR, the holder scans; both see the same code and identity.
    let offer = mandate::agent_offer(&cert, &keys, &s.url).unwrap();
    let scanned = mandate::scan(&offer.to_qr_text()).unwrap();
    assert_eq!(scanned.short_code, offer.short_code());
    assert!(scanned.identity_fr.starts_with("Mme Benali (Assistante sociale) — CCAS de Villeurbanne, valide jusqu'au"));
    assert!(matches!(mandate::agent_receive(&offer, &keys), Err(MandateFlowError::Pending)));
    let m = mandate::grant(&mut vault, &offer.to_qr_text(), &[Scope::Deposit], vec!["income".into()], 30).unwrap();
    let received = mandate::agent_receive(&offer, &keys).unwrap();
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
}
