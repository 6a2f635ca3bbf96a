//! Device linking by QR, with a short code neither phone can choose (docs/adr/0015).
//!
//! 1. The new phone makes a [`LinkOffer`]: an ephemeral X25519 key, its new device Ed25519 key, a
//!    one-time secret, the server URL and a *commitment* to a nonce it keeps, shown as a QR
//!    ([`LinkQr::encode`]). It shows no digits yet.
//! 2. The enrolled phone scans it ([`LinkQr::parse`]), draws its own nonce (its *contribution*) and
//!    leaves it in the contribution mailbox ([`MailboxSlot::Contribution`]).
//! 3. The new phone reads the contribution, reveals its nonce ([`MailboxSlot::Reveal`]) and shows
//!    [`LinkOffer::short_code`]; the enrolled phone checks the reveal against the QR's commitment and
//!    shows [`responder_code`]. Both are [`coffre_crypto::sas::digits`] of (QR, contribution, nonce).
//! 4. Only once the person confirms both screens match, the enrolled phone enrolls the new device key
//!    and puts [`seal_grant`] (vault id, pinned server key and the opaque secret, e.g. the ARK) in the
//!    grant mailbox; the new phone opens it with [`LinkOffer::open`].
//!
//! The maker of a look-alike QR is bound to its nonce before it sees the contribution, so whatever it
//! ground beforehand its digits equal the genuine ones with probability 10^-6. The grant is sealed to
//! the new phone's ephemeral key, bound to the whole QR and the contribution (AAD), and the mailboxes
//! are reachable only with the one-time secret.
//!
//! Formats: QR v2 = `COFFRE-LINK:` + base64url(2 || x25519(32) || device(32) || secret(32) ||
//! commitment(32) || url); nonce messages = 2 || nonce(32). A v1 QR (digits computed from the QR
//! alone) is refused with [`SyncError::LinkOutdated`].

use coffre_crypto::sas::{self, SasNonce};
use coffre_crypto::{ExchangePublic, ExchangeSecret, Zeroizing, open_sealed, seal_to};
use coffre_sync_protocol::{Hash, PublicKey, b64, sha256, unb64};
use rand_core::{OsRng, RngCore};

use crate::error::{Result, SyncError};

const QR_PREFIX: &str = "COFFRE-LINK:";
const QR_VERSION: u8 = 2;
const NONCE_MSG_VERSION: u8 = 2;
const GRANT_VERSION: u8 = 1;
/// Names this flow in the commitment and the digits.
const SAS_LABEL: &[u8] = b"coffre-link-v2";
const AAD_LABEL: &[u8] = b"coffre-link-grant-v2";
const SLOT_CONTRIBUTION: &[u8] = b"coffre-link-contribution-v2";
const SLOT_REVEAL: &[u8] = b"coffre-link-reveal-v2";
/// Fixed part of the QR payload, before the URL.
const FIXED_LEN: usize = 1 + 32 * 4;

/// What the new phone's QR carries.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkQr {
    pub server_url: String,
    pub x25519_pk: [u8; 32],
    pub device_pk: PublicKey,
    pub secret: [u8; 32],
    /// [`sas::commit`] of the new phone's nonce.
    pub commitment: [u8; 32],
}

impl std::fmt::Debug for LinkQr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkQr").field("server_url", &self.server_url).field("secret", &"[redacted]").finish()
    }
}

impl LinkQr {
    fn payload(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(FIXED_LEN + self.server_url.len());
        b.push(QR_VERSION);
        b.extend_from_slice(&self.x25519_pk);
        b.extend_from_slice(&self.device_pk);
        b.extend_from_slice(&self.secret);
        b.extend_from_slice(&self.commitment);
        b.extend_from_slice(self.server_url.as_bytes());
        b
    }

    /// `COFFRE-LINK:` + base64url(payload v2).
    pub fn encode(&self) -> String {
        format!("{QR_PREFIX}{}", b64(&self.payload()))
    }

    pub fn parse(s: &str) -> Result<LinkQr> {
        let body = s.trim().strip_prefix(QR_PREFIX).ok_or(SyncError::Link("not a Coffre linking code"))?;
        let b = unb64(body, "qr").map_err(|_| SyncError::Link("unreadable linking code"))?;
        match b.first() {
            Some(&QR_VERSION) => {}
            Some(&v) if v < QR_VERSION => return Err(SyncError::LinkOutdated { version: v }),
            _ => return Err(SyncError::Link("linking code from a newer app version")),
        }
        if b.len() < FIXED_LEN + 8 {
            return Err(SyncError::Link("linking code too short"));
        }
        let arr = |at: usize| -> Result<[u8; 32]> {
            b[at..at + 32].try_into().map_err(|_| SyncError::Link("linking code too short"))
        };
        let server_url = String::from_utf8(b[FIXED_LEN..].to_vec())
            .map_err(|_| SyncError::Link("bad server address in linking code"))?;
        if !(server_url.starts_with("https://") || server_url.starts_with("http://")) {
            return Err(SyncError::Link("bad server address in linking code"));
        }
        Ok(LinkQr { x25519_pk: arr(1)?, device_pk: arr(33)?, secret: arr(65)?, commitment: arr(97)?, server_url })
    }

    /// The one-time secret of one of this linking's mailboxes.
    pub fn mailbox(&self, slot: MailboxSlot) -> [u8; 32] {
        match slot {
            MailboxSlot::Contribution => sha256(&[SLOT_CONTRIBUTION, &self.secret].concat()),
            MailboxSlot::Reveal => sha256(&[SLOT_REVEAL, &self.secret].concat()),
            MailboxSlot::Grant => self.secret,
        }
    }

    fn aad(&self, contribution: &SasNonce) -> Vec<u8> {
        [
            AAD_LABEL,
            &self.x25519_pk,
            &self.device_pk,
            &sha256(&self.secret),
            &self.commitment,
            &contribution.0,
            self.server_url.as_bytes(),
        ]
        .concat()
    }
}

/// The three one-shot mailboxes of a linking, in the order they are filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailboxSlot {
    /// Enrolled phone -> new phone: its nonce, drawn after scanning.
    Contribution,
    /// New phone -> enrolled phone: the nonce its QR committed to.
    Reveal,
    /// Enrolled phone -> new phone: the sealed grant, after the person compared the digits.
    Grant,
}

/// A nonce message (contribution or reveal): `2 || nonce(32)`.
pub fn encode_nonce(n: &SasNonce) -> Vec<u8> {
    [&[NONCE_MSG_VERSION][..], &n.0].concat()
}

/// Parses a nonce message; anything else than 33 bytes of version 2 is refused.
pub fn decode_nonce(b: &[u8]) -> Result<SasNonce> {
    match b.split_first() {
        Some((&NONCE_MSG_VERSION, rest)) => {
            Ok(SasNonce(rest.try_into().map_err(|_| SyncError::Link("malformed linking answer"))?))
        }
        Some((&v, _)) if v < NONCE_MSG_VERSION => Err(SyncError::LinkOutdated { version: v }),
        _ => Err(SyncError::Link("malformed linking answer")),
    }
}

/// The enrolled phone's digits, once the new phone revealed its nonce: refused if the reveal is not
/// the nonce the QR committed to (a swapped QR, or someone else answering).
pub fn responder_code(qr: &LinkQr, contribution: &SasNonce, revealed: &SasNonce) -> Result<String> {
    if !sas::check_reveal(SAS_LABEL, &qr.commitment, revealed) {
        return Err(SyncError::LinkRevealMismatch);
    }
    Ok(sas::digits(SAS_LABEL, &qr.payload(), contribution, revealed))
}

/// What the enrolled phone hands over.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkGrant {
    pub vault: Hash,
    pub server_pk: PublicKey,
    /// Opaque to this crate (the ARK, possibly with more): zeroized on drop.
    pub secret: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for LinkGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkGrant").field("vault", &hex::encode(self.vault)).field("secret", &"[redacted]").finish()
    }
}

/// Seal a grant to the new phone of `qr` (enrolled side), bound to this linking's `contribution`.
pub fn seal_grant(qr: &LinkQr, contribution: &SasNonce, grant: &LinkGrant) -> Result<Vec<u8>> {
    let mut plain = Zeroizing::new(Vec::with_capacity(65 + grant.secret.len()));
    plain.push(GRANT_VERSION);
    plain.extend_from_slice(&grant.vault);
    plain.extend_from_slice(&grant.server_pk);
    plain.extend_from_slice(&grant.secret);
    seal_to(&ExchangePublic::from_bytes(qr.x25519_pk), &plain, &qr.aad(contribution))
        .map_err(|_| SyncError::Link("cannot seal to this key"))
}

/// The new phone's side of a linking.
pub struct LinkOffer {
    qr: LinkQr,
    nonce: SasNonce,
    exchange: ExchangeSecret,
}

impl LinkOffer {
    /// A fresh offer for the new device key `device_pk` on `server_url`.
    pub fn new(server_url: &str, device_pk: PublicKey) -> LinkOffer {
        let exchange = ExchangeSecret::generate();
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        let nonce = SasNonce::generate();
        let qr = LinkQr {
            server_url: server_url.trim_end_matches('/').to_string(),
            x25519_pk: *exchange.public().as_bytes(),
            device_pk,
            secret,
            commitment: sas::commit(SAS_LABEL, &nonce),
        };
        LinkOffer { qr, nonce, exchange }
    }

    pub fn qr(&self) -> &LinkQr {
        &self.qr
    }

    /// The reveal message to post once the contribution arrived (never before: that is the point).
    pub fn reveal(&self) -> Vec<u8> {
        encode_nonce(&self.nonce)
    }

    /// The 6 digits to show, from the enrolled phone's contribution.
    pub fn short_code(&self, contribution: &SasNonce) -> String {
        sas::digits(SAS_LABEL, &self.qr.payload(), contribution, &self.nonce)
    }

    /// Open the sealed grant found in the mailbox.
    pub fn open(&self, sealed: &[u8], contribution: &SasNonce) -> Result<LinkGrant> {
        let plain = open_sealed(&self.exchange, sealed, &self.qr.aad(contribution))
            .map_err(|_| SyncError::Link("the grant does not open"))?;
        if plain.len() < 65 || plain[0] != GRANT_VERSION {
            return Err(SyncError::Link("malformed grant"));
        }
        let vault: Hash = plain[1..33].try_into().map_err(|_| SyncError::Link("malformed grant"))?;
        let server_pk: PublicKey = plain[33..65].try_into().map_err(|_| SyncError::Link("malformed grant"))?;
        Ok(LinkGrant { vault, server_pk, secret: Zeroizing::new(plain[65..].to_vec()) })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn qr_roundtrip_code_and_grant() {
        let offer = LinkOffer::new("https://coffre.example.org/", [7; 32]);
        let text = offer.qr().encode();
        let scanned = LinkQr::parse(&text).unwrap();
        assert_eq!(&scanned, offer.qr());
        let contribution = SasNonce::generate();
        let revealed = decode_nonce(&offer.reveal()).unwrap();
        let code = responder_code(&scanned, &contribution, &revealed).unwrap();
        assert_eq!(code, offer.short_code(&contribution));
        assert_eq!(code.len(), 6);
        let grant = LinkGrant { vault: [1; 32], server_pk: [2; 32], secret: Zeroizing::new(vec![3; 32]) };
        let sealed = seal_grant(&scanned, &contribution, &grant).unwrap();
        assert_eq!(offer.open(&sealed, &contribution).unwrap(), grant);
        // Bound to the contribution and to the offer.
        assert!(offer.open(&sealed, &SasNonce::generate()).is_err());
        let other = LinkOffer::new("https://coffre.example.org", [7; 32]);
        assert!(other.open(&sealed, &contribution).is_err());
        assert!(!format!("{:?}", offer.qr()).contains(&hex::encode(offer.qr().secret)));
        // The three mailboxes are distinct.
        let slots = [MailboxSlot::Contribution, MailboxSlot::Reveal, MailboxSlot::Grant].map(|s| scanned.mailbox(s));
        assert!(slots[0] != slots[1] && slots[1] != slots[2] && slots[0] != slots[2]);
    }

    /// A reveal that is not the committed nonce (another offer's, or one chosen after seeing the
    /// contribution) is refused: the QR's maker cannot change its nonce once the QR is shown.
    #[test]
    fn reveal_other_than_the_committed_nonce_is_refused() {
        let offer = LinkOffer::new("https://coffre.example.org", [7; 32]);
        let other = LinkOffer::new("https://coffre.example.org", [7; 32]);
        let c = SasNonce::generate();
        let wrong = decode_nonce(&other.reveal()).unwrap();
        assert!(matches!(responder_code(offer.qr(), &c, &wrong), Err(SyncError::LinkRevealMismatch)));
    }

    /// The look-alike QR attack, as a hostile maker does it: it grinds its own QRs (fresh nonce and
    /// commitment each time) *before* the contribution, keeps the one whose digits end in the target
    /// under the contribution it guesses, and then the real contribution arrives. Over 2 000 runs with
    /// a 2-digit target (so the rate is measurable), its hit rate stays at the uniform 1 %.
    #[test]
    fn grinding_before_the_contribution_does_not_raise_the_match_rate() {
        let target = "00";
        let runs = 2_000;
        let base = LinkOffer::new("https://coffre.example.org", [7; 32]).qr().clone();
        let hostile = |nonce: &SasNonce| LinkQr { commitment: sas::commit(SAS_LABEL, nonce), ..base.clone() };
        let mut hits = 0;
        for _ in 0..runs {
            let guess = SasNonce([0; 32]);
            let nonce = (0..100_000)
                .map(|_| SasNonce::generate())
                .find(|n| responder_code(&hostile(n), &guess, n).unwrap().ends_with(target))
                .unwrap();
            let real = SasNonce::generate();
            if responder_code(&hostile(&nonce), &real, &nonce).unwrap().ends_with(target) {
                hits += 1;
            }
        }
        // Binomial(2000, 0.01): mean 20, sd 4.5; grinding that helped would give ~2000.
        assert!(hits < 45, "{hits} of {runs}");
    }

    #[test]
    fn bad_and_old_qr_refused() {
        assert!(LinkQr::parse("hello").is_err());
        assert!(LinkQr::parse("COFFRE-LINK:AAAA").is_err());
        let offer = LinkOffer::new("ftp://x.example", [1; 32]);
        assert!(LinkQr::parse(&offer.qr().encode()).is_err());
        // A version-1 QR (the format whose digits its maker could grind) gets a typed error.
        let mut v1 = vec![1u8];
        v1.extend_from_slice(&[5; 96]);
        v1.extend_from_slice(b"https://coffre.example.org");
        assert!(matches!(
            LinkQr::parse(&format!("{QR_PREFIX}{}", b64(&v1))),
            Err(SyncError::LinkOutdated { version: 1 })
        ));
        assert!(decode_nonce(&[2; 10]).is_err());
        assert!(matches!(decode_nonce(&[1; 33]), Err(SyncError::LinkOutdated { version: 1 })));
    }
}
