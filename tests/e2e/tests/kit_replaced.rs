//! Issue 13 #2: a replaced kit must not restore the vault, in any recovery path, against a real
//! server. Someone holds the old paper (its 12 words and its assisted-recovery kit share), knows the
//! PIN, and even started an assisted request (past its delay) before the holder made a new kit. After
//! the new kit: the old words, the old kit share with the old provider share, with the organisation's
//! old pieces, or with a new provider share, and the old request all fail; the new kit restores.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use coffre_core::crypto::ExchangeSecret;
use coffre_core::crypto::Zeroizing;
use coffre_core::recovery::assisted::{assisted_key, open_piece, org_share_from_pieces};
use coffre_core::recovery::{AssistedRequest, make_kit, recover_with_assisted_key, recover_with_code, setup_assisted};
use coffre_core::sync::protocol::recovery::AssistedShares;
use coffre_core::sync::protocol::{unb64, unb64_array, vault_id};
use coffre_core::sync_engine::{self, SyncOptions};
use coffre_core::vault::{ListQuery, NewDocument, Origin, PageInput, PageRole, Vault};

const PIN: &str = "2468";

fn wait_until(ready_at: u64) {
    while coffre_sync_server::now_secs() < ready_at {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Past the delay, with the PIN: the provider share and the organisation's sealed pieces.
fn released(server: &Server, vault_hex: &str) -> (AssistedRequest, AssistedShares) {
    let (req, status) = AssistedRequest::start(&server.url, vault_hex).unwrap();
    wait_until(status.ready_at);
    let shares = req.release(PIN).unwrap();
    (req, shares)
}

/// The organisation share two agents (0 and 2) give from `shares`' pieces.
fn org_share(agents: &[ExchangeSecret], vault: &[u8; 32], shares: &AssistedShares) -> Zeroizing<Vec<u8>> {
    let piece_of = |i: usize| {
        let sealed = shares
            .org_pieces
            .iter()
            .find(|p| unb64_array::<32>(&p.agent, "agent").unwrap() == *agents[i].public().as_bytes())
            .unwrap();
        open_piece(&agents[i], vault, &unb64(&sealed.piece, "piece").unwrap()).unwrap()
    };
    org_share_from_pieces(&[&piece_of(0), &piece_of(2)]).unwrap()
}

fn restores(server: &Server, shares: &[&[u8]], dir: &std::path::Path) -> bool {
    match assisted_key(shares) {
        Ok(key) => recover_with_assisted_key(&server.url, &key, dir, PASS, None).is_ok(),
        Err(_) => false,
    }
}

#[test]
fn old_kit_words_and_old_kit_share_fail_in_every_recovery_path_after_a_new_kit() {
    let s = server_with(|c| c.recovery_delay_secs = 2);
    let tmp = tempfile::tempdir().unwrap();
    let mut phone = Vault::create(&tmp.path().join("phone"), PASS, None).unwrap();
    let meta = NewDocument { category: "carte_identite".into(), title: "Récépissé".into(), ..Default::default() };
    let page =
        PageInput { bytes: vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3], mime: "image/jpeg".into(), role: PageRole::Page };
    phone.add_document(meta, Origin::Camera, vec![page]).unwrap();
    sync_engine::enroll(&mut phone, &s.url).unwrap();
    sync_engine::sync(&mut phone, &SyncOptions::default(), &|_| {}, &Default::default()).unwrap();
    let vault = vault_id(phone.root_key().derive_identity(0).signing.verifying_key().as_bytes());
    let vault_hex = hex::encode(vault);
    let agents: Vec<ExchangeSecret> = (0..3).map(|_| ExchangeSecret::generate()).collect();
    let pubs: Vec<_> = agents.iter().map(|a| a.public()).collect();
    setup_assisted(&mut phone, PIN, &[7u8; 32], &pubs).unwrap();

    // The old paper, and what its finder gathered before the holder replaced it.
    let old_kit = make_kit(&mut phone).unwrap();
    let old_share = old_kit.assisted_share.clone().unwrap();
    let (old_request, old_shares) = released(&s, &vault_hex);
    let old_provider = unb64(&old_shares.provider_share, "share").unwrap();
    let old_org = org_share(&agents, &vault, &old_shares);

    // The holder makes a new kit ("I lost my kit").
    let new_kit = make_kit(&mut phone).unwrap();
    let new_share = new_kit.assisted_share.clone().unwrap();
    assert_ne!(*new_share, *old_share, "a new kit carries a new kit share");
    assert!(!new_kit.assisted_needs_setup);

    // The old words.
    assert!(recover_with_code(&s.url, &old_kit.code, &tmp.path().join("words"), PASS, None).is_err());
    // The old kit share with the old provider share, or with the organisation's old pieces.
    assert!(!restores(&s, &[&old_share, &old_provider], &tmp.path().join("kit+provider")));
    assert!(!restores(&s, &[&old_share, &old_org], &tmp.path().join("kit+org")));
    // The old request gives nothing more.
    assert!(old_request.release(PIN).is_err(), "the old request was dropped with the old set-up");
    // A new request, past its delay with the PIN: its provider share and pieces do not go with the
    // old kit share either.
    let (_, new_shares) = released(&s, &vault_hex);
    let new_provider = unb64(&new_shares.provider_share, "share").unwrap();
    let new_org = org_share(&agents, &vault, &new_shares);
    assert!(!restores(&s, &[&old_share, &new_provider], &tmp.path().join("kit+new-provider")));
    assert!(!restores(&s, &[&old_share, &new_org], &tmp.path().join("kit+new-org")));
    for dir in ["words", "kit+provider", "kit+org", "kit+new-provider", "kit+new-org"] {
        assert!(!tmp.path().join(dir).join("vault.json").exists(), "{dir}");
    }

    // The new paper works: its share with the provider's, and its words.
    assert!(restores(&s, &[&new_share, &new_provider], &tmp.path().join("new-share")));
    let back = recover_with_code(&s.url, &new_kit.code, &tmp.path().join("new-words"), PASS, None).unwrap();
    let titles: Vec<String> = back.list(&ListQuery::default()).unwrap().into_iter().map(|d| d.title).collect();
    assert_eq!(titles, vec!["Récépissé".to_string()]);
}
