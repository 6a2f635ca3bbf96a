//! Recovery slots and closure at the HTTP level: the server stores only slots of high-entropy
//! kinds, hands a slot only to its recovery device, removes a replaced kit's device at once, and a
//! closure is refused to strangers and removes every trace of the vault from the database.
#![allow(clippy::unwrap_used)]

mod common;

use coffre_sync::SyncError;
use coffre_sync::protocol::recovery::{CodeSlotPut, SLOT_LEN};
use coffre_sync::protocol::{PROTOCOL_VERSION, b64};
use common::*;

fn slot(kind: u8) -> Vec<u8> {
    let mut s = vec![7u8; SLOT_LEN];
    s[0] = 1;
    s[1] = kind;
    s
}

#[test]
fn only_high_entropy_code_slots_are_stored() {
    let s = TestServer::start();
    let a = s.vault();
    let recovery = key();
    let path = format!("/v1/vaults/{}/recovery/code", a.vault_hex());
    for bad in [slot(0), slot(2), slot(3), slot(255), vec![1, 1, 0], {
        let mut v = slot(1);
        v[0] = 2;
        v
    }] {
        let body =
            serde_json::to_vec(&CodeSlotPut { v: PROTOCOL_VERSION, device_pk: b64(&pk(&recovery)), slot: b64(&bad) })
                .unwrap();
        let (status, err, _) = s.raw("PUT", &path, body, Some(&a.device), |_| {});
        assert_eq!((status, err.unwrap().error.as_str()), (400, "bad_slot"));
    }
    // A stranger cannot store a slot in this vault.
    let (status, _, _) = s.raw(
        "PUT",
        &path,
        serde_json::to_vec(&CodeSlotPut { v: PROTOCOL_VERSION, device_pk: b64(&pk(&recovery)), slot: b64(&slot(1)) })
            .unwrap(),
        Some(&key()),
        |_| {},
    );
    assert_eq!(status, 403);
    assert!(a.client.put_code_slot(&pk(&recovery), &slot(1)).unwrap().is_none());
    let state = &s.server.as_ref().unwrap().state;
    let all = s.rt.block_on(state.recovery.all_slots()).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].kind, "code");
    assert_eq!(all[0].slot, slot(1));
}

#[test]
fn the_slot_goes_only_to_its_recovery_device_and_a_new_kit_removes_the_old() {
    let s = TestServer::start();
    let a = s.vault();
    // Nobody's slot for an unknown key.
    let stranger = s.client(&key());
    assert!(matches!(stranger.get_code_slot().unwrap_err(), SyncError::Server { status: 404, .. }));
    let old = key();
    a.client.put_code_slot(&pk(&old), &slot(1)).unwrap();
    let got = s.client(&old).get_code_slot().unwrap();
    assert_eq!((got.vault, got.server_pk, got.slot), (a.reg.vault, s.server_pk, slot(1)));
    // The recovery device is enrolled: it can read the vault.
    let old_client = s.client(&old);
    old_client.attach(a.reg.vault, s.server_pk);
    assert!(old_client.vault_info().is_ok());
    // A new kit: the old device is removed at once and its slot is gone.
    let new = key();
    let mut other = slot(1);
    other[10] = 9;
    assert_eq!(a.client.put_code_slot(&pk(&new), &other).unwrap(), Some(pk(&old)));
    assert!(matches!(old_client.vault_info().unwrap_err(), SyncError::DeviceRevoked));
    assert!(matches!(s.client(&old).get_code_slot().unwrap_err(), SyncError::Server { status: 404, .. }));
    assert_eq!(s.client(&new).get_code_slot().unwrap().slot, other);
    // A removed key cannot come back as a kit.
    assert_eq!(a.client.put_code_slot(&pk(&old), &slot(1)).unwrap_err().code(), Some("device_was_removed"));
}

#[test]
fn closure_is_for_members_only_and_signed() {
    let s = TestServer::start();
    let a = s.vault();
    let b = s.vault();
    let outsider = s.client(&b.device);
    outsider.attach(a.reg.vault, s.server_pk);
    assert!(matches!(outsider.close_vault().unwrap_err(), SyncError::Server { status: 403, .. }));
    let receipt = a.client.close_vault().unwrap();
    assert_eq!(receipt.vault, a.vault_hex());
    receipt.verify(&s.server_pk, &a.reg.vault).unwrap();
    // Gone: the next request finds no vault; the other vault still works.
    assert!(matches!(a.client.vault_info().unwrap_err(), SyncError::Server { status: 404, .. }));
    assert!(b.client.vault_info().is_ok());
}
