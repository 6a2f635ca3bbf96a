//! The person next to you at the desk (issue 13 #3): a look-alike QR whose six digits equal the
//! genuine ones. Before, the digits were a function of the QR's bytes alone, so its maker ground its
//! own bytes until they matched and the enrolled phone sealed the ARK to it (or the holder signed a
//! mandate to another agent). Now the digits are a commit-then-reveal short code (docs/adr/0015): the
//! QR commits to its maker's nonce, the scanning phone contributes a random nonce only after the
//! scan, and the digits depend on both. Each test plays the hostile QR maker as a minimal client
//! written here (wire bytes built by hand, the real server's mailboxes), against the real product
//! code on the person's side.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use coffre_core::mandate::{self, MandateFlowError};
use coffre_core::sync::{BlockingClient, SyncError};
use coffre_core::sync_engine::{self, EngineError, LinkApproval, PendingLink};
use coffre_core::vault::Vault;
use coffre_crypto::sas::{self, SasNonce};
use coffre_crypto::{ExchangeSecret, SigningKey, sha256};
use coffre_mandate::{AgentFile, DeskSlot, MandateOffer, OrgKey, Scope};

/// How many candidates the attacker grinds: 10^6 is what found a match in 10 s against the old code.
const GRIND: u32 = 1_000_000;
/// Agent offers must be re-signed for each candidate (Ed25519 in a debug build): fewer of them.
const GRIND_SIGNED: u32 = 20_000;

/// The hostile QR maker's side of device linking, from the format in docs/sync-protocol.md.
struct HostileLinkQr {
    url: String,
    x25519: [u8; 32],
    device: [u8; 32],
    secret: [u8; 32],
}

impl HostileLinkQr {
    fn new(url: &str) -> Self {
        HostileLinkQr {
            url: url.to_string(),
            x25519: *ExchangeSecret::generate().public().as_bytes(),
            device: SigningKey::generate().verifying_key().to_bytes(),
            secret: coffre_crypto::random_bytes(),
        }
    }

    /// Payload v2 with the commitment to `nonce`.
    fn payload(&self, nonce: &SasNonce) -> Vec<u8> {
        let commitment = sas::commit(b"coffre-link-v2", nonce);
        [&[2u8][..], &self.x25519, &self.device, &self.secret, &commitment, self.url.as_bytes()].concat()
    }

    fn text(&self, nonce: &SasNonce) -> String {
        format!("COFFRE-LINK:{}", coffre_core::sync::protocol::b64(&self.payload(nonce)))
    }

    /// The digits the scanning phone would show for this QR under `contribution`.
    fn digits(&self, nonce: &SasNonce, contribution: &SasNonce) -> String {
        sas::digits(b"coffre-link-v2", &self.payload(nonce), contribution, nonce)
    }

    fn mailbox(&self, label: &[u8]) -> [u8; 32] {
        if label.is_empty() { self.secret } else { sha256(&[label, &self.secret].concat()) }
    }
}

fn nonce_msg(n: &SasNonce) -> Vec<u8> {
    [&[2u8][..], &n.0].concat()
}

/// Mailbox secrets of someone else's QR, as anyone who saw it derives them.
fn link_mailbox(qr_text: &str, label: &[u8]) -> [u8; 32] {
    let raw = coffre_core::sync::protocol::unb64(qr_text.strip_prefix("COFFRE-LINK:").unwrap(), "qr").unwrap();
    let secret: [u8; 32] = raw[65..97].try_into().unwrap();
    sha256(&[label, &secret].concat())
}

fn enrolled_phone(s: &Server, dir: &std::path::Path) -> Vault {
    let mut phone = Vault::create(&dir.join("phone"), PASS, None).unwrap();
    sync_engine::enroll(&mut phone, &s.url).unwrap();
    phone
}

/// The old attack as it was done: a version-1 look-alike QR (digits = HKDF of its own bytes). The
/// enrolled phone refuses the format before sending anything.
#[test]
fn version_1_look_alike_link_qr_is_refused_before_anything_is_sent() {
    let s = server();
    let tmp = tempfile::tempdir().unwrap();
    let mut phone = enrolled_phone(&s, tmp.path());
    let hostile = HostileLinkQr::new(&s.url);
    let v1 = [&[1u8][..], &hostile.x25519, &hostile.device, &hostile.secret, s.url.as_bytes()].concat();
    let err = LinkApproval::start(&mut phone, &format!("COFFRE-LINK:{}", coffre_core::sync::protocol::b64(&v1)))
        .err()
        .unwrap();
    assert!(matches!(err, EngineError::Sync(SyncError::LinkOutdated { version: 1 })), "{err:?}");
    // Nothing reached the attacker's mailbox (the v1 grant box was keyed by the QR's secret).
    let mallory = s.client(&coffre_test_harness::key());
    assert_eq!(mallory.mailbox_get(&hostile.secret).unwrap(), None);
    assert_eq!(sync_engine::devices(&mut phone).unwrap().len(), 1);
}

/// The attacker stands between the person's new phone and enrolled phone. It answers the genuine QR
/// itself, so the new phone shows digits; then grinds 10^6 look-alike QRs for one whose digits equal
/// those under any contribution it can guess, and shows it to the enrolled phone. The enrolled phone's
/// real contribution, drawn after the scan, gives other digits: the person's check refuses, and
/// nothing is sealed to the attacker. A reveal changed after seeing the contribution is refused too.
#[test]
fn look_alike_link_qr_cannot_force_the_digits_through_the_real_server() {
    let s = server();
    let tmp = tempfile::tempdir().unwrap();
    let mut phone = enrolled_phone(&s, tmp.path());
    let mallory: BlockingClient = s.client(&coffre_test_harness::key());

    // The person's new phone shows its QR; the attacker sees it and answers it first.
    let victim = PendingLink::new(&s.url);
    let victim_qr = victim.qr_text();
    assert_eq!(victim.short_code().unwrap(), None, "no digits before a contribution");
    let mallory_contribution = SasNonce::generate();
    mallory
        .mailbox_put(&link_mailbox(&victim_qr, b"coffre-link-contribution-v2"), &nonce_msg(&mallory_contribution))
        .unwrap();
    let victim_digits = victim.short_code().unwrap().unwrap();

    // Grinding before the contribution exists: it works against a guessed contribution...
    let hostile = HostileLinkQr::new(&s.url);
    let guess = SasNonce([0; 32]);
    let mut tried = 0;
    let mut nonce = SasNonce::generate();
    for _ in 0..GRIND {
        tried += 1;
        if hostile.digits(&nonce, &guess) == victim_digits {
            break;
        }
        nonce = SasNonce::generate();
    }
    let ground = hostile.digits(&nonce, &guess) == victim_digits;
    eprintln!("grinding: {tried} candidates, matched under the guessed contribution: {ground}");

    // ...but the enrolled phone contributes its own random nonce only after scanning.
    let approval = LinkApproval::start(&mut phone, &hostile.text(&nonce)).unwrap();
    let real = mallory.mailbox_get(&hostile.mailbox(b"coffre-link-contribution-v2")).unwrap().unwrap();
    assert_eq!(real.len(), 33);
    assert_ne!(&real[1..], &guess.0, "the contribution is not the attacker's guess");
    mallory.mailbox_put(&hostile.mailbox(b"coffre-link-reveal-v2"), &nonce_msg(&nonce)).unwrap();
    let phone_digits = approval.short_code().unwrap().unwrap();
    // Equal with probability 10^-6: the one chance the short code leaves, whatever was ground.
    assert_ne!(phone_digits, victim_digits);
    // The person types the new phone's digits: refused, nothing is sent.
    assert!(matches!(approval.approve(&mut phone, &victim_digits), Err(EngineError::LinkCodeMismatch)));
    assert_eq!(mallory.mailbox_get(&hostile.mailbox(b"")).unwrap(), None, "no grant for the attacker");
    assert_eq!(sync_engine::devices(&mut phone).unwrap().len(), 1, "no device added");

    // A second try where the attacker, having seen the contribution, reveals a nonce other than the
    // committed one (one it could have picked to match): the enrolled phone refuses the reveal.
    let hostile = HostileLinkQr::new(&s.url);
    let committed = SasNonce::generate();
    let approval = LinkApproval::start(&mut phone, &hostile.text(&committed)).unwrap();
    assert!(mallory.mailbox_get(&hostile.mailbox(b"coffre-link-contribution-v2")).unwrap().is_some());
    mallory.mailbox_put(&hostile.mailbox(b"coffre-link-reveal-v2"), &nonce_msg(&SasNonce::generate())).unwrap();
    let err = approval.short_code().err().unwrap();
    assert!(matches!(err, EngineError::Sync(SyncError::LinkRevealMismatch)), "{err:?}");
    assert!(approval.approve(&mut phone, &victim_digits).is_err());
    assert_eq!(mallory.mailbox_get(&hostile.mailbox(b"")).unwrap(), None);
}

/// The desk: another certified agent (a rogue colleague, or a stolen agent phone) shows a look-alike
/// offer while the genuine agent's screen shows its digits. It answers the genuine offer itself, grinds
/// signed offers of its own before the holder's contribution until three digits match under its guess
/// (all six would take 10^6 signatures, too slow for a debug test; the outcome is the same), and the
/// holder's phone still shows other digits: typing the genuine agent's digits signs nothing.
#[test]
fn look_alike_agent_offer_cannot_force_the_digits_through_the_real_server() {
    let s = server();
    let tmp = tempfile::tempdir().unwrap();
    let mut vault = enrolled_phone(&s, tmp.path());
    let org = OrgKey::generate("CCAS de Villeurbanne").unwrap();
    let reg = org.registration(coffre_sync_server::now_secs());
    s.rt.block_on(s.state.mandates.register_org(reg.org_pk, reg.name.clone(), reg.encode(), 1)).unwrap();
    let t = coffre_sync_server::now_secs();
    let certify = |name: &str| {
        let (_, keys) = AgentFile::create(b"agent").unwrap();
        let cert = org.certify(keys.device_pk(), keys.x25519_pk(), name, "Conseiller", t - 5, t + 86_400).unwrap();
        (cert, keys)
    };
    let (cert, keys) = certify("Mme Benali");
    let (rogue_cert, rogue_keys) = certify("M. Faux");
    let mallory = s.client(&coffre_test_harness::key());

    // The genuine agent's QR; the rogue answers it so the genuine screen shows digits.
    let genuine = mandate::agent_offer(&cert, &keys, &s.url).unwrap();
    let genuine_box = |slot| genuine.offer.mailbox(slot);
    mallory.mailbox_put(&genuine_box(DeskSlot::Contribution), &nonce_msg(&SasNonce::generate())).unwrap();
    let genuine_digits = genuine.short_code(&keys).unwrap().unwrap();

    // The rogue grinds its own signed offers (each a valid offer) against a guessed contribution, and
    // keeps the best: one whose digits match under the guess if it found one.
    let guess = SasNonce([0; 32]);
    let nonce_16: [u8; 16] = coffre_crypto::random_bytes();
    let make =
        |n: &SasNonce| MandateOffer::new(rogue_cert.clone(), &rogue_keys.signing, &s.url, nonce_16, n, t).unwrap();
    let (rogue, nonce) = (0..GRIND_SIGNED)
        .map(|_| {
            let n = SasNonce::generate();
            (make(&n), n)
        })
        .find(|(o, n)| o.short_code(&guess, n).unwrap().ends_with(&genuine_digits[3..]))
        .unwrap_or_else(|| {
            let n = SasNonce::generate();
            (make(&n), n)
        });
    assert!(rogue.short_code(&guess, &nonce).unwrap().ends_with(&genuine_digits[3..]), "3 digits ground");

    // The holder's phone scans the rogue QR and contributes; the rogue reveals.
    let desk = mandate::HolderDesk::start(&mut vault, &rogue.to_qr_text()).unwrap();
    assert!(desk.scanned().identity_fr.starts_with("M. Faux"), "the certified name is shown, not the genuine one");
    mallory.mailbox_put(&rogue.mailbox(DeskSlot::Reveal), &nonce_msg(&nonce)).unwrap();
    let holder_digits = desk.short_code().unwrap().unwrap();
    assert_ne!(holder_digits, genuine_digits, "equal with probability 10^-6");
    let err = desk.grant(&mut vault, &genuine_digits, &[Scope::Consult], vec!["income".into()], 30).err().unwrap();
    assert!(matches!(err, MandateFlowError::Engine(EngineError::LinkCodeMismatch)), "{err:?}");
    assert!(matches!(mandate::agent_receive(&rogue, &rogue_keys), Err(MandateFlowError::Pending)));
    assert!(mandate::list(&mut vault).unwrap().is_empty(), "no mandate signed");
}
