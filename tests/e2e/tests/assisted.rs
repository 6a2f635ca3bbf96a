//! Assisted recovery (2 of 3 Shamir shares) end to end against a real server on 127.0.0.1, with the
//! waiting delay configured in seconds: provider (PIN) + organisation (two agents) restore after the
//! delay; the provider alone, the organisation alone, one agent alone, a cancelled request, a request
//! before its delay, and ten wrong PINs are each refused.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use coffre_core::crypto::ExchangeSecret;
use coffre_core::recovery::assisted::{AssistedError, assisted_key, open_piece, org_share_from_pieces};
use coffre_core::recovery::{AssistedRequest, cancel_assisted, recover_with_assisted_key, setup_assisted};
use coffre_core::sync::SyncError;
use coffre_core::sync::protocol::{unb64, unb64_array, vault_id};
use coffre_core::sync_engine::{self, EngineError, SyncOptions};
use coffre_core::vault::{ListQuery, NewDocument, Origin, PageInput, PageRole, Vault};

const PIN: &str = "2468";

fn holder(s: &Server, dir: &std::path::Path) -> (Vault, String) {
    let mut phone = Vault::create(dir, PASS, None).unwrap();
    let meta = NewDocument { category: "carte_identite".into(), title: "Récépissé".into(), ..Default::default() };
    let page =
        PageInput { bytes: vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3], mime: "image/jpeg".into(), role: PageRole::Page };
    phone.add_document(meta, Origin::Camera, vec![page]).unwrap();
    sync_engine::enroll(&mut phone, &s.url).unwrap();
    sync_engine::sync(&mut phone, &SyncOptions::default(), &|_| {}, &Default::default()).unwrap();
    let identity = phone.root_key().derive_identity(0).signing.verifying_key();
    (phone, hex::encode(vault_id(identity.as_bytes())))
}

/// Waits (polling the same clock as the server) until a request's delay has passed.
fn wait_until(ready_at: u64) {
    while coffre_sync_server::now_secs() < ready_at {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn status_code(e: &EngineError) -> Option<(u16, String)> {
    match e {
        EngineError::Sync(SyncError::Server { status, code, .. }) => Some((*status, code.to_string())),
        _ => None,
    }
}

#[test]
fn provider_and_two_agents_restore_after_the_delay_and_each_shortcut_is_refused() {
    // Long enough for the PIN's Argon2id to run before the "too early" checks; waited once.
    let s = server_with(|c| c.recovery_delay_secs = 4);
    let tmp = tempfile::tempdir().unwrap();
    let (mut phone, vault_hex) = holder(&s, &tmp.path().join("phone"));
    let agents: Vec<ExchangeSecret> = (0..3).map(|_| ExchangeSecret::generate()).collect();
    let pubs: Vec<_> = agents.iter().map(|a| a.public()).collect();
    let kit_share = setup_assisted(&mut phone, PIN, &[7u8; 32], &pubs).unwrap();

    // Every stored slot is of a high-entropy kind; none is under the PIN.
    for slot in s.rt.block_on(s.state.recovery.all_slots()).unwrap() {
        assert!(["code", "assisted"].contains(&slot.kind.as_str()), "{}", slot.kind);
        assert_eq!(coffre_core::sync::protocol::recovery::slot_kind(&slot.slot), Some(slot.kind.as_str()));
    }

    // A request the holder did not make: cancelled from the enrolled phone, it never releases.
    let (req, _) = AssistedRequest::start(&s.url, &vault_hex).unwrap();
    let early = req.release(PIN).unwrap_err();
    assert_eq!(status_code(&early), Some((425, "too_early".into())), "{early:?}");
    assert!(cancel_assisted(&mut phone).unwrap().cancelled);
    let cancelled = req.release(PIN).unwrap_err();
    assert_eq!(status_code(&cancelled), Some((403, "cancelled".into())), "{cancelled:?}");

    // The real one: after the delay, with the PIN (one typo first), the provider share and pieces.
    let (req, status) = AssistedRequest::start(&s.url, &vault_hex).unwrap();
    // Kept across an app restart: the saved text brings back the vault and the end of the delay.
    let req = AssistedRequest::resume(&req.save()).unwrap();
    assert_eq!((req.ready_at(), req.vault_hex(), req.server_url()), (status.ready_at, vault_hex.clone(), &*s.url));
    assert!(status.ready_at > status.started_at);
    wait_until(req.ready_at());
    let typo = req.release("2469").unwrap_err();
    assert_eq!(status_code(&typo), Some((403, "wrong_pin".into())), "{typo:?}");
    let shares = req.release(PIN).unwrap();
    let provider = unb64(&shares.provider_share, "share").unwrap();
    let vault: [u8; 32] = hex::decode(&vault_hex).unwrap().try_into().unwrap();
    // Two agents open their own pieces (at their desk, after checking the person's identity).
    let piece_of = |i: usize| {
        let sealed = shares
            .org_pieces
            .iter()
            .find(|p| unb64_array::<32>(&p.agent, "agent").unwrap() == *agents[i].public().as_bytes())
            .unwrap();
        open_piece(&agents[i], &vault, &unb64(&sealed.piece, "piece").unwrap()).unwrap()
    };
    let (p0, p2) = (piece_of(0), piece_of(2));
    assert!(matches!(org_share_from_pieces(&[&p0]), Err(AssistedError::NotEnough)), "one agent alone");
    let org = org_share_from_pieces(&[&p0, &p2]).unwrap();
    assert!(matches!(assisted_key(&[&provider]), Err(AssistedError::NotEnough)), "provider alone");
    assert!(matches!(assisted_key(&[&org]), Err(AssistedError::NotEnough)), "organisation alone");
    let key = assisted_key(&[&provider, &org]).unwrap();
    // The kit share with either other share gives the same key.
    assert_eq!(assisted_key(&[&kit_share, &org]).unwrap().as_bytes(), key.as_bytes());

    // Holding the key is not membership: until its slot is fetched (past the delay, not cancelled),
    // the assisted recovery device can neither read nor close the vault.
    let device = coffre_crypto::SigningKey::from_bytes(*key.device_seed());
    let as_device = coffre_core::sync::BlockingClient::new(&s.url, device).unwrap();
    as_device.attach(vault, s.state.server_key.verifying_key().to_bytes());
    for err in [as_device.vault_info().unwrap_err(), as_device.close_vault().unwrap_err()] {
        assert!(matches!(&err, SyncError::Server { status: 403, .. }), "{err:?}");
    }

    let fresh = recover_with_assisted_key(&s.url, &key, &tmp.path().join("fresh"), PASS, None).unwrap();
    let titles: Vec<String> = fresh.list(&ListQuery::default()).unwrap().into_iter().map(|d| d.title).collect();
    assert_eq!(titles, vec!["Récépissé".to_string()]);
    drop(fresh);

    // Holding two shares is not enough either: a new request waits its delay again, and a cancel
    // from an enrolled device stops it.
    AssistedRequest::start(&s.url, &vault_hex).unwrap();
    let err = recover_with_assisted_key(&s.url, &key, &tmp.path().join("again"), PASS, None).unwrap_err();
    assert_eq!(status_code(&err), Some((425, "too_early".into())), "{err:?}");
    assert!(!tmp.path().join("again").join("vault.json").exists());
    cancel_assisted(&mut phone).unwrap();
    let err = recover_with_assisted_key(&s.url, &key, &tmp.path().join("again"), PASS, None).unwrap_err();
    assert_eq!(status_code(&err), Some((403, "cancelled".into())), "{err:?}");
}

#[test]
fn ten_wrong_pins_lock_the_request_that_sent_them() {
    let s = server_with(|c| c.recovery_delay_secs = 0);
    let tmp = tempfile::tempdir().unwrap();
    let (mut phone, vault_hex) = holder(&s, &tmp.path().join("phone"));
    let agents: Vec<ExchangeSecret> = (0..2).map(|_| ExchangeSecret::generate()).collect();
    let pubs: Vec<_> = agents.iter().map(|a| a.public()).collect();
    setup_assisted(&mut phone, PIN, &[7u8; 32], &pubs).unwrap();
    let (req, _) = AssistedRequest::start(&s.url, &vault_hex).unwrap();
    for _ in 0..10 {
        let e = req.release("0000").unwrap_err();
        assert_eq!(status_code(&e), Some((403, "wrong_pin".into())), "{e:?}");
    }
    // Locked: the right PIN is refused too on this request (another requester's is not locked:
    // assisted_griefing.rs).
    let e = req.release(PIN).unwrap_err();
    assert_eq!(status_code(&e), Some((423, "locked".into())), "{e:?}");
    // A new set-up with a new PIN: a new request releases with it.
    setup_assisted(&mut phone, "1357", &[7u8; 32], &pubs).unwrap();
    let (req, _) = AssistedRequest::start(&s.url, &vault_hex).unwrap();
    assert!(req.release("1357").is_ok());
}
