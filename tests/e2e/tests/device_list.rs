//! `device list` (issue 15) against a real server: each device's name, the date it was added, who added
//! it, when it was last seen, which entry is the recovery kit, and a server member the log does not know
//! (a stray) shown as such until a sync removes it.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use coffre_core::crypto::SigningKey;
use coffre_core::recovery::make_kit;
use coffre_core::sync::protocol::{PROTOCOL_VERSION, b64};
use coffre_core::sync_engine::{self, DeviceRole};
use coffre_core::vault::Vault;

fn key_hex(v: &Vault) -> String {
    let raw: [u8; 32] = v.state_get("sync.device_sk").unwrap().unwrap().try_into().unwrap();
    hex::encode(SigningKey::from_bytes(raw).verifying_key().to_bytes())
}

#[test]
fn device_list_shows_both_views_who_added_whom_last_seen_and_the_kit() {
    let s = server();
    let tmp = tempfile::tempdir().unwrap();
    let mut laptop = Vault::create(&tmp.path().join("laptop"), PASS, None).unwrap();
    sync_engine::enroll(&mut laptop, &s.url).unwrap();
    sync_all(&mut laptop);
    let mut phone = common::link_named(&mut laptop, &tmp.path().join("phone"), &s.url, Some("Téléphone de Léa"));
    make_kit(&mut laptop).unwrap();
    sync_all(&mut phone);

    let (laptop_pk, phone_pk) = (key_hex(&laptop), key_hex(&phone));
    let list = sync_engine::devices(&mut phone).unwrap();
    assert_eq!(list.len(), 3, "{list:#?}");
    let find = |pk: &str| list.iter().find(|d| d.public_key == pk).unwrap();
    let first = find(&laptop_pk);
    let me = find(&phone_pk);
    let kit = list.iter().find(|d| d.role == DeviceRole::RecoveryKit).unwrap();
    assert!(me.this_device && !first.this_device);
    assert_eq!(me.name.as_deref(), Some("Téléphone de Léa"));
    assert_eq!(me.certified_by.as_deref(), Some(laptop_pk.as_str()));
    for d in [first, me, kit] {
        assert!(d.in_log && !d.removed, "{d:?}");
        let srv = d.server.as_ref().unwrap();
        assert!(srv.added_at > 0 && srv.removed_at.is_none());
    }
    assert_eq!(first.server.as_ref().unwrap().added_by, None, "the first device: the vault's creation");
    assert_eq!(me.server.as_ref().unwrap().added_by.as_deref(), Some(laptop_pk.as_str()));
    assert_eq!(kit.server.as_ref().unwrap().added_by.as_deref(), Some(laptop_pk.as_str()));
    // Both phones made requests; the kit's device never did.
    assert!(first.server.as_ref().unwrap().last_seen_at.is_some());
    assert!(me.server.as_ref().unwrap().last_seen_at.is_some());
    assert_eq!(kit.server.as_ref().unwrap().last_seen_at, None);

    // A key added on the server by hand shows as a stray, until a sync removes it.
    let hidden = SigningKey::generate();
    let hidden_pk = hex::encode(hidden.verifying_key().to_bytes());
    let body = serde_json::json!({ "v": PROTOCOL_VERSION, "device_pk": b64(&hidden.verifying_key().to_bytes()) });
    let raw: [u8; 32] = phone.state_get("sync.device_sk").unwrap().unwrap().try_into().unwrap();
    let vault = laptop.root_key().derive_identity(0).signing.verifying_key();
    let vault = hex::encode(coffre_core::sync::protocol::vault_id(vault.as_bytes()));
    let path = format!("/v1/vaults/{vault}/devices");
    let (status, _, _) =
        s.raw("POST", &path, serde_json::to_vec(&body).unwrap(), Some(&SigningKey::from_bytes(raw)), |_| {});
    assert_eq!(status, 201);
    let list = sync_engine::devices(&mut laptop).unwrap();
    let stray = list.iter().find(|d| d.public_key == hidden_pk).unwrap();
    assert!(!stray.in_log && stray.removed);
    assert_eq!(stray.server.as_ref().unwrap().added_by.as_deref(), Some(phone_pk.as_str()), "who added it");
    sync_all(&mut laptop);
    let list = sync_engine::devices(&mut laptop).unwrap();
    let stray = list.iter().find(|d| d.public_key == hidden_pk).unwrap();
    assert!(stray.server.as_ref().unwrap().removed_at.is_some());
}
