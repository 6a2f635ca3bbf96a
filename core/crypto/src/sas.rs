//! Short authentication strings by commit-then-reveal (docs/adr/0015-commit-reveal-short-codes.md).
//!
//! Two devices that met through a QR code compare six digits before one hands the other a secret.
//! The digits must be something neither side can choose, else the maker of a look-alike QR grinds
//! its own bytes until its digits equal the genuine ones. As in Bluetooth numeric comparison or ZRTP:
//!
//! 1. the QR's maker (*offerer*) draws a [`SasNonce`] and puts [`commit`] of it in the QR;
//! 2. the scanner (*responder*) draws its own [`SasNonce`] only after scanning, and sends it;
//! 3. the offerer reveals its nonce; the responder checks it against the QR with [`check_reveal`];
//! 4. both show [`digits`] of (QR, responder nonce, offerer nonce).
//!
//! The offerer's nonce is fixed by the commitment before it sees the responder's, and the responder's
//! is random: whatever the offerer ground beforehand, the digits match a target with probability
//! 10^-6 per attempt. Built only from SHA-256 and HKDF-SHA256.

use hkdf::Hkdf;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::hash::sha256;
use crate::rng::random_bytes;

/// Length of each side's nonce.
pub const SAS_NONCE_LEN: usize = 32;
/// Number of digits shown.
pub const SAS_DIGITS: usize = 6;

const COMMIT_INFO: &[u8] = b"coffre/v1/sas/commit";
const DIGITS_INFO: &[u8] = b"coffre/v1/sas/digits";

/// One side's random contribution.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SasNonce(pub [u8; SAS_NONCE_LEN]);

impl SasNonce {
    /// A fresh random nonce.
    pub fn generate() -> SasNonce {
        SasNonce(random_bytes())
    }
}

impl std::fmt::Debug for SasNonce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SasNonce(..)")
    }
}

/// The commitment the offerer puts in its QR: SHA-256(info || len(label) || label || nonce).
/// `label` names the protocol (e.g. `b"coffre-link-v2"`), so a commitment of one flow is not one of another.
pub fn commit(label: &[u8], offerer: &SasNonce) -> [u8; 32] {
    sha256(&[COMMIT_INFO, &(label.len() as u64).to_be_bytes(), label, &offerer.0].concat())
}

/// Whether the revealed `offerer` nonce is the one committed to (constant time).
pub fn check_reveal(label: &[u8], commitment: &[u8; 32], offerer: &SasNonce) -> bool {
    commit(label, offerer).ct_eq(commitment).into()
}

/// The six digits both screens show: HKDF-SHA256(salt = SHA-256(transcript), ikm = responder || offerer,
/// info = label), first 8 bytes big-endian mod 10^6. `transcript` is everything the QR carried (it
/// includes the commitment), so the digits bind the keys the QR names. The bias of a 64-bit value mod
/// 10^6 is below 10^-13.
pub fn digits(label: &[u8], transcript: &[u8], responder: &SasNonce, offerer: &SasNonce) -> String {
    let salt = sha256(transcript);
    let hk = Hkdf::<Sha256>::new(Some(&salt), &[responder.0, offerer.0].concat());
    let mut out = [0u8; 8];
    // 8 bytes is far below HKDF-SHA256's 8160-byte limit: `expand` cannot fail here.
    let _ = hk.expand_multi_info(&[DIGITS_INFO, label], &mut out);
    format!("{:0width$}", u64::from_be_bytes(out) % 1_000_000, width = SAS_DIGITS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reveal_checks_and_digits_depend_on_both_sides() {
        let (a, b) = (SasNonce::generate(), SasNonce::generate());
        let c = commit(b"t", &b);
        assert!(check_reveal(b"t", &c, &b));
        assert!(!check_reveal(b"t", &c, &a));
        assert!(!check_reveal(b"u", &c, &b), "label separates flows");
        let d = digits(b"t", b"qr", &a, &b);
        assert_eq!(d.len(), 6);
        assert!(d.bytes().all(|c| c.is_ascii_digit()));
        assert_eq!(d, digits(b"t", b"qr", &a, &b));
        // Any input changed gives other digits (with 10^-6 odds of a tie per pair; fixed inputs here).
        let a2 = SasNonce([1; 32]);
        let b2 = SasNonce([2; 32]);
        let base = digits(b"t", b"qr", &a2, &b2);
        assert_ne!(base, digits(b"t", b"qr", &SasNonce([3; 32]), &b2));
        assert_ne!(base, digits(b"t", b"qr", &a2, &SasNonce([3; 32])));
        assert_ne!(base, digits(b"t", b"qs", &a2, &b2));
        assert_ne!(base, digits(b"u", b"qr", &a2, &b2));
        assert_eq!(format!("{a:?}"), "SasNonce(..)");
    }

    /// The digits are uniform over the responder's nonce: over 20 000 responder nonces the last two
    /// digits hit a fixed target about 200 times (1 %), whatever the offerer fixed beforehand.
    #[test]
    fn digits_are_uniform_over_the_responders_nonce() {
        let offerer = SasNonce([9; 32]);
        let runs = 20_000;
        let hits = (0..runs).filter(|_| digits(b"t", b"qr", &SasNonce::generate(), &offerer).ends_with("42")).count();
        // Binomial(20000, 0.01): mean 200, sd 14; 120..280 is beyond 5.6 sd either way.
        assert!((120..280).contains(&hits), "{hits}");
    }
}
