//! Hidden device keys (issue 13 #1 a), end to end against a real server: a phone enrols extra keys on the
//! server, one by a raw signed request (never certified in the log) and one through the app's own
//! linking (certified with the ARK it holds). The holder removes the phone from another device: every
//! key the phone enrolled is refused at once on pull, chunk and deposit-box routes. A key the log never
//! certified is removed by the next sync of any device even when nobody removes the phone.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use coffre_core::crypto::SigningKey;
use coffre_core::sync::protocol::{PROTOCOL_VERSION, b64};
use coffre_core::sync_engine;
use coffre_core::vault::{NewDocument, Origin, PageInput, PageRole, Vault};

fn add(v: &mut Vault, title: &str, marker: u8) {
    let meta = NewDocument { category: "autre".into(), title: title.into(), ..Default::default() };
    let bytes: Vec<u8> =
        [0xFF, 0xD8, 0xFF, 0xE0].into_iter().chain((0..40_000).map(|i| (i % 251) as u8 ^ marker)).collect();
    v.add_document(meta, Origin::Camera, vec![PageInput { bytes, mime: "image/jpeg".into(), role: PageRole::Page }])
        .unwrap();
}

/// The device key a vault signs with: what a thief holding the unlocked phone has.
fn device_key_of(v: &Vault) -> SigningKey {
    let raw: [u8; 32] = v.state_get("sync.device_sk").unwrap().unwrap().try_into().unwrap();
    SigningKey::from_bytes(raw)
}

fn vault_hex(v: &Vault) -> String {
    let identity = v.root_key().derive_identity(0).signing.verifying_key();
    hex::encode(coffre_core::sync::protocol::vault_id(identity.as_bytes()))
}

/// The hostile client: a raw signed `POST /devices` from the phone's key, no `device_add` op in the log.
fn hide_key(s: &Server, vault: &str, signer: &SigningKey) -> SigningKey {
    let hidden = SigningKey::generate();
    let body = serde_json::json!({ "v": PROTOCOL_VERSION, "device_pk": b64(&hidden.verifying_key().to_bytes()) });
    let path = format!("/v1/vaults/{vault}/devices");
    let (status, err, _) = s.raw("POST", &path, serde_json::to_vec(&body).unwrap(), Some(signer), |_| {});
    assert_eq!(status, 201, "{err:?}");
    hidden
}

/// Status of the key's reads: the log, a chunk, the deposit box.
fn reads(s: &Server, vault: &str, key: &SigningKey) -> [u16; 3] {
    let chunk: Vec<u8> = s.db().query_row("SELECT hash FROM chunks LIMIT 1", [], |r| r.get(0)).unwrap();
    [
        format!("/v1/vaults/{vault}/ops?since=0"),
        format!("/v1/vaults/{vault}/chunks/{}", hex::encode(chunk)),
        format!("/v1/vaults/{vault}/deposits"),
    ]
    .map(|path| s.raw("GET", &path, Vec::new(), Some(key), |_| {}).0)
}

#[test]
fn removing_a_phone_revokes_every_key_it_enrolled_hidden_or_certified() {
    let s = server();
    let tmp = tempfile::tempdir().unwrap();
    let mut laptop = Vault::create(&tmp.path().join("laptop"), PASS, None).unwrap();
    add(&mut laptop, "Avis d'imposition", 1);
    sync_engine::enroll(&mut laptop, &s.url).unwrap();
    sync_all(&mut laptop);
    let mut phone = link(&mut laptop, &tmp.path().join("phone"), &s.url);
    let vault = vault_hex(&laptop);

    // The phone is stolen unlocked. The thief enrols a key by hand, and links a device through the app
    // (certified in the log with the ARK the phone holds), which enrols a second one.
    let thief = device_key_of(&phone);
    let certified_vault = link(&mut phone, &tmp.path().join("thief"), &s.url);
    let certified = device_key_of(&certified_vault);
    let hidden = hide_key(&s, &vault, &thief);
    assert_eq!(reads(&s, &vault, &hidden), [200, 200, 200], "before the removal the hidden key reads");
    assert_eq!(reads(&s, &vault, &certified), [200, 200, 200]);

    // The holder removes the phone from the laptop: both keys the phone enrolled go with it, at once.
    let phone_pk = hex::encode(thief.verifying_key().to_bytes());
    sync_engine::remove_device(&mut laptop, &phone_pk).unwrap();
    add(&mut laptop, "Document après le vol", 2);
    sync_all(&mut laptop);
    for key in [&thief, &hidden, &certified] {
        assert_eq!(reads(&s, &vault, key), [403, 403, 403], "pull, chunk and deposits refused");
    }
    // Nobody can bring them back: a removed key cannot be added again.
    let again = serde_json::json!({ "v": PROTOCOL_VERSION, "device_pk": b64(&hidden.verifying_key().to_bytes()) });
    let path = format!("/v1/vaults/{vault}/devices");
    let (status, _, _) =
        s.raw("POST", &path, serde_json::to_vec(&again).unwrap(), Some(&device_key_of(&laptop)), |_| {});
    assert_eq!(status, 409);
}

#[test]
fn a_key_the_log_never_certified_is_removed_at_the_next_sync() {
    let s = server();
    let tmp = tempfile::tempdir().unwrap();
    let mut laptop = Vault::create(&tmp.path().join("laptop"), PASS, None).unwrap();
    add(&mut laptop, "Attestation CAF", 3);
    sync_engine::enroll(&mut laptop, &s.url).unwrap();
    sync_all(&mut laptop);
    let phone = link(&mut laptop, &tmp.path().join("phone"), &s.url);
    let vault = vault_hex(&laptop);
    // Nobody removes the phone: its holder does not know. The key it hid reads for now...
    let hidden = hide_key(&s, &vault, &device_key_of(&phone));
    assert_eq!(reads(&s, &vault, &hidden), [200, 200, 200]);
    // ...until any device syncs: the server lists a member the log does not certify.
    let report = sync_all(&mut laptop);
    assert_eq!(reads(&s, &vault, &hidden), [403, 403, 403]);
    assert_eq!(report.strays.removed, vec![hex::encode(hidden.verifying_key().to_bytes())]);
    assert!(report.strays.left.is_empty());
    // The honest devices are untouched.
    assert_eq!(reads(&s, &vault, &device_key_of(&phone)), [200, 200, 200]);
    assert!(sync_all(&mut laptop).strays.removed.is_empty(), "nothing more to remove");
}
