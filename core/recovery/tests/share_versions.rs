//! Share format versions (docs/adr/0006-constant-time-shamir.md): version 1 shares, made by
//! `blahaj` and already on printed kits and on servers, still give their key; version 2 shares
//! (`vsss-rs`) are made now; the two never combine; bad shares fail with an error, not a panic.

use coffre_crypto::{AccountRootKey, ExchangeSecret};
use coffre_recovery::assisted::{
    AssistedError, AssistedSetup, SHARE_VERSION, ShareVersion, assisted_key, open_piece, org_share_from_pieces, setup,
};
use coffre_recovery::kit_share;
use coffre_recovery::{SlotError, unwrap_ark};

/// Made by the version-1 code (`setup` with `blahaj` 0.7, three agents) before it was removed;
/// the pieces are the agents' opened pieces, the organisation share is pieces 1 and 3 combined.
mod v1 {
    pub const KEY: &str = "1902cd2b8acdb520bd45c0e9eada3f75314c6f570efd951a0f726b9b6b3d89db";
    pub const PROVIDER: &str = "010101f86972cb272e1963a9122f6e9901a277ff8f0d5aec131dea7d0676f77af6d955";
    pub const ORG: &str = "010202c6d4aef6cd16f0a695eb03fa0c711871b0d7ab4dd73c98e7eb9a514349b629da";
    pub const KIT: &str = "01030327bf111660f55ce581bcec7d7faa85737e14c94035d2101799ee4c2f587d7954";
    pub const PIECES: [&str; 3] = [
        "0101605d98c167a3e84de228b1a4d53affc20a73831af58c8309058df4a5f654bad46990ff",
        "0102c3bc2bc8afb4cad0e35d88f79771f08d87ce88f993e5cc764eb2c177425bac6e154690",
        "0103a2e3b1cf1cb9d45017859fc6a948f543fca57a53b1c202a877a7d2392e5e55f3caffb5",
    ];
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex")
}

fn new_setup(agents: usize) -> (AssistedSetup, Vec<ExchangeSecret>, AccountRootKey) {
    let ark = AccountRootKey::generate();
    let team: Vec<ExchangeSecret> = (0..agents).map(|_| ExchangeSecret::generate()).collect();
    let pubs: Vec<_> = team.iter().map(|a| a.public()).collect();
    (setup(&ark, &VAULT, &pubs).expect("setup"), team, ark)
}

const VAULT: [u8; 32] = [7; 32];

/// Why these shares give no key.
fn refused(shares: &[&[u8]]) -> AssistedError {
    assisted_key(shares).err().expect("refused")
}

#[test]
fn version_1_shares_and_pieces_still_give_their_key() {
    let key = unhex(v1::KEY);
    let (provider, org, kit) = (unhex(v1::PROVIDER), unhex(v1::ORG), unhex(v1::KIT));
    for pair in [[&provider, &org], [&provider, &kit], [&org, &kit]] {
        assert_eq!(assisted_key(&[pair[0], pair[1]]).expect("two v1 shares").as_bytes().as_slice(), key);
    }
    assert_eq!(assisted_key(&[&provider, &org, &kit]).expect("three").as_bytes().as_slice(), key);
    let pieces: Vec<Vec<u8>> = v1::PIECES.iter().map(|p| unhex(p)).collect();
    for (a, b) in [(0, 1), (0, 2), (1, 2)] {
        assert_eq!(*org_share_from_pieces(&[&pieces[a], &pieces[b]]).expect("two v1 pieces"), org);
    }
    assert_eq!(org_share_from_pieces(&[&pieces[0]]), Err(AssistedError::NotEnough));
    // A printed version-1 kit, typed in groups as on the page, parses and restores.
    let typed = kit_share::groups(&kit).join(" ");
    assert_eq!(*kit_share::parse(&typed).expect("v1 kit"), kit);
    assert_eq!(*kit_share::parse(&kit_share::qr_text(&kit)).expect("v1 kit QR"), kit);
}

#[test]
fn new_shares_are_version_2_and_any_two_of_three_restore() {
    assert_eq!(SHARE_VERSION, ShareVersion::V2 as u8);
    let (set, team, ark) = new_setup(3);
    for share in [&set.provider_share, &set.kit_share] {
        assert_eq!(share[0], SHARE_VERSION);
    }
    let pieces: Vec<_> =
        team.iter().zip(&set.org_pieces).map(|(a, (_, s))| open_piece(a, &VAULT, s).expect("piece")).collect();
    assert!(pieces.iter().all(|p| p[0] == SHARE_VERSION && p.len() == 37));
    let org = org_share_from_pieces(&[&pieces[1], &pieces[2]]).expect("pieces");
    assert_eq!(org[..2], [SHARE_VERSION, 2]);
    let (provider, kit) = (set.provider_share.as_slice(), set.kit_share.as_slice());
    for pair in [[provider, org.as_slice()], [provider, kit], [org.as_slice(), kit]] {
        let key = assisted_key(&pair).expect("two v2 shares");
        assert_eq!(key.as_bytes(), set.key.as_bytes());
        assert_eq!(unwrap_ark(key.as_bytes(), &set.slot, &VAULT).expect("slot"), ark);
    }
    assert_eq!(assisted_key(&[provider, org.as_slice(), kit]).expect("three").as_bytes(), set.key.as_bytes());
    assert_eq!(*kit_share::parse(&kit_share::groups(kit).join(" ")).expect("typed v2 kit"), kit);
}

/// The organisation's 2-of-n split, for every number of agents a set-up may have here: any two
/// agents' pieces give the share, one alone does not.
#[test]
fn any_two_agents_of_n_give_the_organisation_share() {
    for n in 2..=6 {
        let (set, team, _) = new_setup(n);
        let pieces: Vec<_> =
            team.iter().zip(&set.org_pieces).map(|(a, (_, s))| open_piece(a, &VAULT, s).expect("piece")).collect();
        let reference = org_share_from_pieces(&[&pieces[0], &pieces[1]]).expect("first two");
        assert_eq!(assisted_key(&[&reference, &set.kit_share]).expect("org + kit").as_bytes(), set.key.as_bytes());
        for i in 0..n {
            assert_eq!(org_share_from_pieces(&[&pieces[i]]), Err(AssistedError::NotEnough), "{n} agents, one piece");
            for j in i + 1..n {
                assert_eq!(org_share_from_pieces(&[&pieces[i], &pieces[j]]).expect("pair"), reference, "{n}: {i},{j}");
            }
        }
    }
}

#[test]
fn version_1_and_version_2_never_combine() {
    let (set, team, _) = new_setup(2);
    let (v1_kit, v1_org) = (unhex(v1::KIT), unhex(v1::ORG));
    assert_eq!(refused(&[&set.provider_share, &v1_kit]), AssistedError::MixedVersions);
    assert_eq!(refused(&[&v1_org, &set.kit_share]), AssistedError::MixedVersions);
    let v2_piece = open_piece(&team[0], &VAULT, &set.org_pieces[0].1).expect("piece");
    let v1_piece = unhex(v1::PIECES[1]);
    assert_eq!(org_share_from_pieces(&[&v2_piece, &v1_piece]), Err(AssistedError::MixedVersions));
    // Relabelled as version 1, a version-2 share is read in the other field and gives another key.
    let mut relabelled = set.kit_share.to_vec();
    relabelled[0] = ShareVersion::V1 as u8;
    let mut provider = set.provider_share.to_vec();
    provider[0] = ShareVersion::V1 as u8;
    assert_ne!(assisted_key(&[&provider, &relabelled]).expect("combines").as_bytes(), set.key.as_bytes());
}

#[test]
fn corrupted_or_short_shares_fail_with_an_error() {
    let (set, _, _) = new_setup(2);
    let (provider, kit) = (set.provider_share.to_vec(), set.kit_share.to_vec());
    let with = |i: usize, byte: u8| {
        let mut s = kit.clone();
        s[i] = byte;
        s
    };
    // Unknown version, wrong role, x = 0 (the secret's own place), cut short.
    assert_eq!(refused(&[&provider, &with(0, 3)]), AssistedError::Malformed);
    assert_eq!(refused(&[&provider, &with(1, 4)]), AssistedError::Malformed);
    assert_eq!(refused(&[&provider, &with(2, 0)]), AssistedError::Malformed);
    assert_eq!(refused(&[&provider, &kit[..20]]), AssistedError::Malformed);
    // Another share's x under the kit's role: two different shares at one point.
    assert_eq!(refused(&[&provider, &with(2, provider[2])]), AssistedError::Malformed);
    // A flipped y byte combines (Shamir has no integrity) but the slot's AEAD refuses the key.
    let key = assisted_key(&[&provider, &with(10, kit[10] ^ 0x80)]).expect("combines");
    assert_eq!(unwrap_ark(key.as_bytes(), &set.slot, &VAULT), Err(SlotError::WrongSecret));
    // Fewer than two shares, or one share given twice.
    assert_eq!(refused(&[&kit]), AssistedError::NotEnough);
    assert_eq!(refused(&[]), AssistedError::NotEnough);
    assert_eq!(org_share_from_pieces(&[]), Err(AssistedError::NotEnough));
    assert_eq!(org_share_from_pieces(&[&[], &[2, 1, 5]]), Err(AssistedError::Malformed));
    assert_eq!(org_share_from_pieces(&[&[2, 1, 5], &[2, 2]]), Err(AssistedError::Malformed));
}

/// Whatever bytes come in (a typed share, a piece from a request), the answer is a value or an
/// error, never a panic: every short input, and pseudo-random ones of the real lengths.
#[test]
fn arbitrary_bytes_never_panic() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as u8
    };
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for len in 0..4 {
        for round in 0..64 {
            inputs.push((0..len).map(|i| [0, 1, 2, 3, 255][(round + i) % 5] as u8).collect());
        }
    }
    for len in [35, 36, 37, 38] {
        for _ in 0..64 {
            let mut bytes: Vec<u8> = (0..len).map(|_| next()).collect();
            bytes[0] = 1 + bytes[0] % 2;
            inputs.push(bytes);
        }
    }
    for a in &inputs {
        for b in inputs.iter().step_by(7) {
            let _ = assisted_key(&[a, b]);
            let _ = org_share_from_pieces(&[a, b]);
        }
        let _ = kit_share::parse(&hex::encode(a));
    }
}
