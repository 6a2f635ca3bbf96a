//! Replay after a server restart (issue 13, Low): signed requests captured on the wire are sent again
//! after the real server restarted (its in-memory nonce cache is gone). Each state-changing one is
//! refused: the start of an assisted recovery (it would clear the holder's cancel), the "keys rotated"
//! report (a second audit entry), and an assisted-recovery set-up (it would bring back an old PIN).
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use coffre_core::crypto::{ExchangeSecret, SigningKey};
use coffre_core::recovery::{cancel_assisted, setup_assisted};
use coffre_core::sync::protocol::{self as proto, PROTOCOL_VERSION, b64};
use coffre_core::sync_engine::{self, SyncOptions};
use coffre_core::vault::Vault;

/// A signed request as captured on the wire: method, path, body and the signature headers.
struct Captured {
    method: &'static str,
    path: String,
    body: Vec<u8>,
    headers: Vec<(String, String)>,
}

fn capture(signer: &SigningKey, method: &'static str, path: String, body: Vec<u8>) -> Captured {
    let nonce = coffre_crypto::random_bytes::<16>();
    let auth = proto::sign_request(signer, method, &path, &body, coffre_sync_server::now_secs(), &nonce);
    let headers = auth.headers().into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Captured { method, path, body, headers }
}

/// Sends the captured bytes as they are (to whatever address the server now listens on).
fn send(s: &Server, c: &Captured) -> (u16, Option<String>) {
    let mut req = s.http.request(c.method.parse().unwrap(), format!("{}{}", s.url, c.path));
    for (k, v) in &c.headers {
        req = req.header(k, v);
    }
    let (status, err, _) = s.send(req.body(c.body.clone()));
    (status, err.map(|e| e.code().to_string()))
}

fn device_key_of(v: &Vault) -> SigningKey {
    let raw: [u8; 32] = v.state_get("sync.device_sk").unwrap().unwrap().try_into().unwrap();
    SigningKey::from_bytes(raw)
}

#[test]
fn signed_requests_replayed_after_a_restart_are_refused() {
    let mut s = server_with(|c| c.recovery_delay_secs = 3600);
    let tmp = tempfile::tempdir().unwrap();
    let mut phone = Vault::create(&tmp.path().join("phone"), PASS, None).unwrap();
    sync_engine::enroll(&mut phone, &s.url).unwrap();
    sync_engine::sync(&mut phone, &SyncOptions::default(), &|_| {}, &Default::default()).unwrap();
    let identity = phone.root_key().derive_identity(0).signing.verifying_key();
    let vault = hex::encode(proto::vault_id(identity.as_bytes()));
    let agents: Vec<ExchangeSecret> = (0..2).map(|_| ExchangeSecret::generate()).collect();
    let pubs: Vec<_> = agents.iter().map(|a| a.public()).collect();
    setup_assisted(&mut phone, "2468", &[7u8; 32], &pubs).unwrap();
    let device = device_key_of(&phone);

    // 1. A stranger's start, which the holder then cancels.
    let stranger = SigningKey::generate();
    let start = capture(&stranger, "POST", format!("/v1/recovery/assisted/{vault}/start"), Vec::new());
    assert_eq!(send(&s, &start).0, 200);
    assert!(cancel_assisted(&mut phone).unwrap().cancelled);
    // 2. The holder's device reports rotated keys.
    let rotated = serde_json::json!({ "v": PROTOCOL_VERSION, "removed_device": b64(&[9u8; 32]), "collections": 3 });
    let rotated = capture(
        &device,
        "POST",
        format!("/v1/vaults/{vault}/recovery/keys-rotated"),
        serde_json::to_vec(&rotated).unwrap(),
    );
    assert_eq!(send(&s, &rotated).0, 204);
    // 3. An assisted-recovery set-up (a slot of the right kind, a PIN verifier), later replaced.
    let mut slot = vec![0u8; proto::recovery::SLOT_LEN];
    slot[0] = 1;
    slot[1] = 2;
    let setup = serde_json::json!({
        "v": PROTOCOL_VERSION,
        "device_pk": b64(&SigningKey::generate().verifying_key().to_bytes()),
        "slot": b64(&slot),
        "pin_verifier": b64(&[1u8; 32]),
        "provider_share": b64(&[2u8; 35]),
        "org": b64(&[7u8; 32]),
        "org_pieces": [{"agent": b64(&[3u8; 32]), "piece": b64(&[4u8; 8])}, {"agent": b64(&[5u8; 32]), "piece": b64(&[6u8; 8])}],
    });
    let setup =
        capture(&device, "PUT", format!("/v1/vaults/{vault}/recovery/assisted"), serde_json::to_vec(&setup).unwrap());
    assert_eq!(send(&s, &setup).0, 200);
    setup_assisted(&mut phone, "1357", &[7u8; 32], &pubs).unwrap();
    let pin_hash_before: Vec<u8> =
        s.db().query_row("SELECT pin_hash FROM recovery_assisted", [], |r| r.get(0)).unwrap();
    let audit_before: i64 = s.db().query_row("SELECT count(*) FROM audit", [], |r| r.get(0)).unwrap();

    // Before the restart the in-memory cache refuses them already.
    assert_eq!(send(&s, &start), (401, Some("replayed".into())));

    s.restart();
    for captured in [&start, &rotated, &setup] {
        assert_eq!(send(&s, captured), (401, Some("replayed".into())), "{} {}", captured.method, captured.path);
    }
    // No effect: the cancel holds, the set-up is the holder's latest, no audit entry was added.
    let cancelled: Option<i64> =
        s.db().query_row("SELECT cancelled_at FROM recovery_requests", [], |r| r.get(0)).unwrap();
    assert!(cancelled.is_some());
    let pin_hash_after: Vec<u8> = s.db().query_row("SELECT pin_hash FROM recovery_assisted", [], |r| r.get(0)).unwrap();
    assert_eq!(pin_hash_after, pin_hash_before);
    let audit_after: i64 = s.db().query_row("SELECT count(*) FROM audit", [], |r| r.get(0)).unwrap();
    assert_eq!(audit_after, audit_before);
    // A fresh request (new nonce) from the holder's device still goes through after the restart.
    let again = serde_json::json!({ "v": PROTOCOL_VERSION, "removed_device": b64(&[9u8; 32]), "collections": 3 });
    let again = capture(
        &device,
        "POST",
        format!("/v1/vaults/{vault}/recovery/keys-rotated"),
        serde_json::to_vec(&again).unwrap(),
    );
    assert_eq!(send(&s, &again).0, 204);
}
