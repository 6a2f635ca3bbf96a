//! Assisted-recovery griefing (issue 13 #7), end to end against a real server: a stranger who knows the
//! vault id starts requests, sends wrong PINs and starts again after a cancel. The holder's own request
//! still releases with the right PIN, a cancel from an enrolled device sticks, re-running the set-up
//! with the same PIN does not wipe the wrong-PIN count, and the enrolled devices are told at sync.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use coffre_core::crypto::{ExchangeSecret, SigningKey};
use coffre_core::recovery::{AssistedRequest, cancel_assisted, setup_assisted};
use coffre_core::sync::protocol::recovery::AssistedStatus;
use coffre_core::sync::protocol::vault_id;
use coffre_core::sync_engine::{self, SyncOptions};
use coffre_core::vault::Vault;

const PIN: &str = "2468";

fn holder(s: &Server, dir: &std::path::Path) -> (Vault, String) {
    let mut phone = Vault::create(dir, PASS, None).unwrap();
    sync_engine::enroll(&mut phone, &s.url).unwrap();
    sync_engine::sync(&mut phone, &SyncOptions::default(), &|_| {}, &Default::default()).unwrap();
    let identity = phone.root_key().derive_identity(0).signing.verifying_key();
    let agents: Vec<ExchangeSecret> = (0..2).map(|_| ExchangeSecret::generate()).collect();
    let pubs: Vec<_> = agents.iter().map(|a| a.public()).collect();
    setup_assisted(&mut phone, PIN, &[7u8; 32], &pubs).unwrap();
    (phone, hex::encode(vault_id(identity.as_bytes())))
}

fn code(e: &coffre_core::sync_engine::EngineError) -> String {
    match e {
        coffre_core::sync_engine::EngineError::Sync(coffre_core::sync::SyncError::Server { status, code, .. }) => {
            format!("{status} {code}")
        }
        other => format!("{other:?}"),
    }
}

/// The stranger's client: a raw signed start with a key of its own.
fn start_as(s: &Server, vault: &str, key: &SigningKey) -> (u16, Option<AssistedStatus>) {
    let (status, _, body) =
        s.raw("POST", &format!("/v1/recovery/assisted/{vault}/start"), Vec::new(), Some(key), |_| {});
    (status, serde_json::from_slice(&body).ok())
}

#[test]
fn a_strangers_wrong_pins_never_lock_the_holders_own_request() {
    let s = server_with(|c| c.recovery_delay_secs = 0);
    let tmp = tempfile::tempdir().unwrap();
    let (_phone, vault) = holder(&s, &tmp.path().join("phone"));
    // The stranger waits out the delay and guesses ten times: its own request locks...
    let (stranger, _) = AssistedRequest::start(&s.url, &vault).unwrap();
    for _ in 0..10 {
        assert_eq!(code(&stranger.release("0000").unwrap_err()), "403 wrong_pin");
    }
    assert_eq!(code(&stranger.release(PIN).unwrap_err()), "423 locked");
    // ...and only its own: the holder, on a new phone, starts a request and gets the share.
    let (mine, status) = AssistedRequest::start(&s.url, &vault).unwrap();
    assert!(!status.locked && !status.cancelled, "{status:?}");
    assert!(mine.release(PIN).is_ok());
}

#[test]
fn a_cancel_from_an_enrolled_device_sticks_and_a_new_start_does_not_clear_it() {
    let s = server_with(|c| c.recovery_delay_secs = 0);
    let tmp = tempfile::tempdir().unwrap();
    let (mut phone, vault) = holder(&s, &tmp.path().join("phone"));
    let stranger = SigningKey::generate();
    assert_eq!(start_as(&s, &vault, &stranger).0, 200);
    assert!(cancel_assisted(&mut phone).unwrap().cancelled);
    // The stranger starts again (a new signed request, same key): still cancelled.
    let (status, again) = start_as(&s, &vault, &stranger);
    assert_eq!(status, 200);
    assert!(again.unwrap().cancelled, "a new start must not clear the holder's cancel");
    let body = serde_json::json!({ "v": coffre_core::sync::protocol::PROTOCOL_VERSION, "pin_verifier": coffre_core::sync::protocol::b64(&[0u8; 32]) });
    let (status, err, _) = s.raw(
        "POST",
        &format!("/v1/recovery/assisted/{vault}/release"),
        serde_json::to_vec(&body).unwrap(),
        Some(&stranger),
        |_| {},
    );
    assert_eq!((status, err.map(|e| e.code().to_string())), (403, Some("cancelled".into())));
}

#[test]
fn setting_up_again_with_the_same_pin_keeps_the_wrong_pin_count() {
    let s = server_with(|c| c.recovery_delay_secs = 0);
    let tmp = tempfile::tempdir().unwrap();
    let (mut phone, vault) = holder(&s, &tmp.path().join("phone"));
    let (stranger, _) = AssistedRequest::start(&s.url, &vault).unwrap();
    for _ in 0..10 {
        stranger.release("0000").unwrap_err();
    }
    let failures = || -> i64 { s.db().query_row("SELECT failures FROM recovery_assisted", [], |r| r.get(0)).unwrap() };
    assert_eq!(failures(), 10);
    // The same PIN again (a thief with an enrolled phone, or the holder): the count stays.
    let agents: Vec<ExchangeSecret> = (0..2).map(|_| ExchangeSecret::generate()).collect();
    let pubs: Vec<_> = agents.iter().map(|a| a.public()).collect();
    setup_assisted(&mut phone, PIN, &[7u8; 32], &pubs).unwrap();
    assert_eq!(failures(), 10);
    // A new PIN makes the old guesses meaningless: the count starts again.
    setup_assisted(&mut phone, "1357", &[7u8; 32], &pubs).unwrap();
    assert_eq!(failures(), 0);
}

#[test]
fn wrong_guesses_lengthen_later_delays_instead_of_locking() {
    let s = server_with(|c| c.recovery_delay_secs = 100);
    let tmp = tempfile::tempdir().unwrap();
    let (_phone, vault) = holder(&s, &tmp.path().join("phone"));
    let (_, first) = AssistedRequest::start(&s.url, &vault).unwrap();
    assert_eq!(first.ready_at - first.started_at, 100);
    // Ten wrong PINs on the vault (as if a stranger's request had waited out its delay).
    s.db().execute("UPDATE recovery_assisted SET failures = 10", []).unwrap();
    let (_, second) = AssistedRequest::start(&s.url, &vault).unwrap();
    assert_eq!(second.ready_at - second.started_at, 200, "twice the delay, not a lock");
    assert!(!second.locked);
}

#[test]
fn enrolled_devices_are_told_of_each_request_at_sync_until_it_is_cancelled() {
    let s = server_with(|c| c.recovery_delay_secs = 3600);
    let tmp = tempfile::tempdir().unwrap();
    let (mut phone, vault) = holder(&s, &tmp.path().join("phone"));
    let sync = |v: &mut Vault| sync_engine::sync(v, &SyncOptions::default(), &|_| {}, &Default::default()).unwrap();
    assert!(sync(&mut phone).recovery_requests.is_empty());
    let (_, status) = AssistedRequest::start(&s.url, &vault).unwrap();
    let alerts = sync(&mut phone).recovery_requests;
    assert_eq!(alerts.len(), 1);
    assert_eq!((alerts[0].started_at, alerts[0].ready_at), (status.started_at, status.ready_at));
    cancel_assisted(&mut phone).unwrap();
    assert!(sync(&mut phone).recovery_requests.is_empty());
}
