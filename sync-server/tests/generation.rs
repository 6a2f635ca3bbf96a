//! `POST /v1/vaults/{vault}/generation` against the real server (docs/adr/0009): a switch signed by
//! the previous and the new identity moves the vault on and removes every unlisted member at once; a
//! retry is accepted and changes nothing; an old generation's signature, a skipped generation, a list without the sender
//! or naming a key twice are refused with their codes; the audit trail records the switch.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use coffre_sync::SyncError;
use coffre_sync::protocol::generation::{GenerationSwitch, generation_message};
use coffre_sync::protocol::{PROTOCOL_VERSION, PublicKey, b64};
use common::*;

fn switch(
    vault: &[u8; 32],
    generation: u32,
    previous: &coffre_crypto::SigningKey,
    new: &coffre_crypto::SigningKey,
    devices: &[PublicKey],
) -> GenerationSwitch {
    let msg = generation_message(vault, generation, &pk(new), devices);
    GenerationSwitch {
        v: PROTOCOL_VERSION,
        generation,
        identity_pk: b64(&pk(new)),
        devices: devices.iter().map(|d| b64(d)).collect(),
        previous_sig: b64(&previous.sign(&msg).to_bytes()),
        identity_sig: b64(&new.sign(&msg).to_bytes()),
    }
}

fn code_of(e: &SyncError) -> (u16, String) {
    match e {
        SyncError::Server { status, code, .. } => (*status, code.to_string()),
        other => panic!("not a server error: {other:?}"),
    }
}

#[test]
fn a_switch_keeps_only_the_listed_members_and_an_old_generation_cannot_switch_again() {
    let s = TestServer::start();
    let a = s.vault();
    let vault = a.reg.vault;
    let (tablet_key, tablet) = a.enroll(&s.url);
    let (_lost_key, lost) = a.enroll(&s.url);
    let (_hidden_key, hidden) = a.enroll(&s.url);
    let keep = [pk(&a.device), pk(&tablet_key)];
    let gen1 = key();

    // Refused: the sender not listed, a key twice, a skipped generation, signed by another identity.
    let e = a.client.switch_generation(&switch(&vault, 1, &a.identity, &gen1, &[pk(&tablet_key)])).unwrap_err();
    assert_eq!(code_of(&e), (400, "bad_generation_devices".into()));
    let twice = [pk(&a.device), pk(&a.device)];
    let e = a.client.switch_generation(&switch(&vault, 1, &a.identity, &gen1, &twice)).unwrap_err();
    assert_eq!(code_of(&e), (400, "bad_generation_devices".into()));
    let e = a.client.switch_generation(&switch(&vault, 2, &a.identity, &gen1, &keep)).unwrap_err();
    assert_eq!(code_of(&e), (409, "stale_generation".into()), "generation 1 does not exist yet");
    let e = a.client.switch_generation(&switch(&vault, 1, &key(), &gen1, &keep)).unwrap_err();
    assert_eq!(code_of(&e), (403, "bad_identity_signature".into()));
    let mut unproven = switch(&vault, 1, &a.identity, &gen1, &keep);
    unproven.identity_sig = b64(&key().sign(b"x").to_bytes());
    let e = a.client.switch_generation(&unproven).unwrap_err();
    assert_eq!(code_of(&e), (403, "bad_identity_signature".into()), "the new identity must sign too");
    assert!(lost.vault_info().is_ok() && hidden.vault_info().is_ok(), "nothing changed yet");

    // The switch: the unlisted members are refused at once, the listed ones keep working.
    let body = switch(&vault, 1, &a.identity, &gen1, &keep);
    let done = a.client.switch_generation(&body).unwrap();
    assert_eq!((done.generation, done.removed.len()), (1, 2));
    for gone in [&lost, &hidden] {
        assert!(matches!(gone.vault_info().unwrap_err(), SyncError::DeviceRevoked));
    }
    assert!(tablet.vault_info().is_ok());
    // The same switch again (a retry after a lost answer) is accepted and changes nothing: a device
    // added since stays.
    let (_later_key, later) = a.enroll(&s.url);
    assert!(tablet.switch_generation(&body).unwrap().removed.is_empty());
    assert!(later.vault_info().is_ok());

    // Generation 0's identity can no longer switch, to 1 again or to 2; generation 1's can.
    let other = key();
    let e = a.client.switch_generation(&switch(&vault, 1, &a.identity, &other, &keep)).unwrap_err();
    assert_eq!(code_of(&e), (409, "stale_generation".into()));
    let e = a.client.switch_generation(&switch(&vault, 2, &a.identity, &other, &keep)).unwrap_err();
    assert_eq!(code_of(&e), (403, "bad_identity_signature".into()));
    let e = a.client.switch_generation(&switch(&vault, 3, &gen1, &other, &keep)).unwrap_err();
    assert_eq!(code_of(&e), (409, "stale_generation".into()));
    assert_eq!(a.client.switch_generation(&switch(&vault, 2, &gen1, &other, &keep)).unwrap().generation, 2);

    // Each switch is in the holder's audit trail.
    let db = s.db();
    let n: i64 = db
        .query_row(
            "SELECT count(*) FROM audit WHERE vault = ?1 AND kind = 'key_generation_started'",
            [vault.as_slice()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 2, "two switches; the retry is not one");
}
