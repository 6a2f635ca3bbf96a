//! Removing a device takes, on the server and at once, every device it enrolled, directly or through
//! others (issue 13 #1 a, docs/adr/0011) — but never the device asking for the removal, nor what that
//! one enrolled, even when the remover itself was enrolled by the removed device.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use coffre_sync::SyncError;
use common::*;

#[test]
fn removal_takes_the_enrolment_tree_but_never_the_remover_nor_its_own() {
    let s = TestServer::start();
    let a = s.vault();
    // A enrolled B and D; B enrolled C; D enrolled E.
    let (b_key, b) = a.enroll(&s.url);
    let (c_key, d_key, e_key) = (key(), key(), key());
    b.add_device(&pk(&c_key)).unwrap();
    a.client.add_device(&pk(&d_key)).unwrap();
    let d = s.client(&d_key);
    d.attach(a.reg.vault, a.reg.server_pk);
    d.add_device(&pk(&e_key)).unwrap();
    let e = s.client(&e_key);
    e.attach(a.reg.vault, a.reg.server_pk);
    e.vault_info().unwrap();

    // B (enrolled by A) removes A: A, D and E go; B and C stay.
    b.remove_device(&pk(&a.device)).unwrap();
    let removed = |k: &coffre_crypto::SigningKey| {
        let listed = b.devices().unwrap().devices;
        let me = coffre_sync::protocol::b64(&pk(k));
        listed.into_iter().find(|d| d.device_pk == me).unwrap().removed_at.is_some()
    };
    assert!(removed(&a.device) && removed(&d_key) && removed(&e_key));
    assert!(!removed(&b_key) && !removed(&c_key));
    // Refused at once (the membership cache of this process was told).
    assert!(matches!(e.vault_info().unwrap_err(), SyncError::DeviceRevoked));
    assert!(matches!(d.vault_info().unwrap_err(), SyncError::DeviceRevoked));
    let c = s.client(&c_key);
    c.attach(a.reg.vault, a.reg.server_pk);
    c.vault_info().unwrap();
    // Idempotent: removing A again changes nothing more.
    b.remove_device(&pk(&a.device)).unwrap();
    assert!(!removed(&c_key));
    // The holder's audit trail says which were removed along with A.
    let n: i64 = s
        .db()
        .query_row(
            "SELECT count(*) FROM audit WHERE kind = 'device_removed' AND detail LIKE '%enrolled_under%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 2);
}
