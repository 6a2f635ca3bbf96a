//! Key wrapping and small-message AEAD: `version(1) || nonce(24) || XChaCha20-Poly1305(ct || tag)`.
//!
//! The AEAD associated data is never the caller's `aad` alone: it is
//! `len(domain) || domain || header || aad`, where `domain` names the envelope kind (so a wrapped key
//! cannot be opened as a sealed message, nor the reverse) and `header` is the envelope's cleartext
//! prefix (its version byte, and for some formats more), so that it is authenticated too.

use zeroize::Zeroizing;

use crate::aead::{NONCE_LEN, TAG_LEN, bound_aad, xchacha_open, xchacha_seal};
use crate::error::{CryptoError, Result};
use crate::keys::SymmetricKey;
use crate::rng::random_bytes;

/// Version byte of the wrapped-key and sealed-message envelopes.
pub const ENVELOPE_VERSION: u8 = 1;
/// `version || nonce`.
const HEADER_LEN: usize = 1 + NONCE_LEN;

pub(crate) const DOMAIN_WRAP_KEY: &[u8] = b"coffre/v1/wrap-key";
pub(crate) const DOMAIN_SYMMETRIC: &[u8] = b"coffre/v1/symmetric";

/// Builds `version || nonce || ct` with the given nonce.
pub(crate) fn seal_with_nonce(
    domain: &[u8],
    key: &SymmetricKey,
    nonce: &[u8; NONCE_LEN],
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>> {
    let header = [ENVELOPE_VERSION];
    let ct = xchacha_seal(key.as_bytes(), nonce, &bound_aad(domain, &header, aad), plaintext)?;
    let mut out = Vec::with_capacity(HEADER_LEN + ct.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

fn open_envelope(
    domain: &[u8],
    what: &'static str,
    key: &SymmetricKey,
    envelope: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let (&version, rest) = envelope.split_first().ok_or(CryptoError::Truncated)?;
    if version != ENVELOPE_VERSION {
        return Err(CryptoError::UnsupportedVersion { what, version });
    }
    if rest.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Truncated);
    }
    let (nonce, ct) = rest.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Malformed("nonce"))?;
    xchacha_open(key.as_bytes(), &nonce, &bound_aad(domain, &[version], aad), ct)
}

/// Wraps `key` under `wrapping`: `version(1)=1 || nonce(24) || ct(32) || tag(16)`, 73 bytes.
/// `aad` should name what the key is for (e.g. the document id and version).
pub fn wrap_key(wrapping: &SymmetricKey, key: &SymmetricKey, aad: &[u8]) -> Vec<u8> {
    // Sealing 32 bytes cannot fail (the only AEAD error is a message over 256 GiB).
    seal_with_nonce(DOMAIN_WRAP_KEY, wrapping, &random_bytes(), key.as_bytes(), aad).unwrap_or_default()
}

/// Unwraps a key made by [`wrap_key`] with the same `aad`.
pub fn unwrap_key(wrapping: &SymmetricKey, envelope: &[u8], aad: &[u8]) -> Result<SymmetricKey> {
    let pt = open_envelope(DOMAIN_WRAP_KEY, "wrapped key", wrapping, envelope, aad)?;
    let bytes: [u8; 32] = pt.as_slice().try_into().map_err(|_| CryptoError::Malformed("wrapped key length"))?;
    Ok(SymmetricKey::from_bytes(bytes))
}

/// Encrypts a small message (metadata, op, canary): `version(1)=1 || nonce(24) || ct || tag(16)`.
///
/// The whole message is in memory; use [`crate::encrypt_stream`] for documents. A message longer than
/// the AEAD limit (256 GiB) cannot be encrypted and yields an empty vector, which every open rejects.
pub fn seal_symmetric(key: &SymmetricKey, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    seal_with_nonce(DOMAIN_SYMMETRIC, key, &random_bytes(), plaintext, aad).unwrap_or_default()
}

/// Decrypts a message made by [`seal_symmetric`] with the same `aad`.
pub fn open_symmetric(key: &SymmetricKey, envelope: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    open_envelope(DOMAIN_SYMMETRIC, "sealed message", key, envelope, aad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_round_trip_and_aad_binding() {
        let kek = SymmetricKey::generate();
        let dek = SymmetricKey::generate();
        let env = wrap_key(&kek, &dek, b"doc 1");
        assert_eq!(env.len(), 73);
        assert_eq!(env[0], ENVELOPE_VERSION);
        assert_eq!(unwrap_key(&kek, &env, b"doc 1").expect("unwrap"), dek);
        assert!(matches!(unwrap_key(&kek, &env, b"doc 2"), Err(CryptoError::Decrypt)));
        let other = SymmetricKey::generate();
        assert!(matches!(unwrap_key(&other, &env, b"doc 1"), Err(CryptoError::Decrypt)));
        // Two wraps of the same key differ (random nonce).
        assert_ne!(env, wrap_key(&kek, &dek, b"doc 1"));
    }

    #[test]
    fn every_flipped_bit_is_rejected() {
        let kek = SymmetricKey::generate();
        let env = wrap_key(&kek, &SymmetricKey::generate(), b"");
        for i in 0..env.len() * 8 {
            let mut bad = env.clone();
            bad[i / 8] ^= 1 << (i % 8);
            let err = unwrap_key(&kek, &bad, b"").expect_err("flipped bit accepted");
            if i < 8 {
                assert!(matches!(err, CryptoError::UnsupportedVersion { .. }), "{err:?}");
            } else {
                assert!(matches!(err, CryptoError::Decrypt), "{err:?}");
            }
        }
    }

    #[test]
    fn seal_symmetric_round_trip() {
        let key = SymmetricKey::generate();
        for len in [0usize, 1, 31, 32, 33, 1000] {
            let msg = vec![0x5a; len];
            let env = seal_symmetric(&key, &msg, b"ctx");
            assert_eq!(env.len(), 1 + 24 + len + 16);
            assert_eq!(open_symmetric(&key, &env, b"ctx").expect("open").as_slice(), &msg[..]);
            assert!(matches!(open_symmetric(&key, &env, b"ctX"), Err(CryptoError::Decrypt)));
        }
    }

    #[test]
    fn domains_do_not_mix() {
        // A wrapped key is not a sealed 32-byte message, and the reverse.
        let key = SymmetricKey::generate();
        let dek = SymmetricKey::generate();
        let wrapped = wrap_key(&key, &dek, b"");
        assert!(matches!(open_symmetric(&key, &wrapped, b""), Err(CryptoError::Decrypt)));
        let sealed = seal_symmetric(&key, dek.as_bytes(), b"");
        assert!(matches!(unwrap_key(&key, &sealed, b""), Err(CryptoError::Decrypt)));
    }

    #[test]
    fn short_and_versioned_inputs() {
        let key = SymmetricKey::generate();
        assert!(matches!(open_symmetric(&key, &[], b""), Err(CryptoError::Truncated)));
        assert!(matches!(open_symmetric(&key, &[1; 40], b""), Err(CryptoError::Truncated)));
        assert!(matches!(unwrap_key(&key, &[1], b""), Err(CryptoError::Truncated)));
        let mut env = seal_symmetric(&key, b"hello", b"");
        env[0] = 2;
        assert!(matches!(
            open_symmetric(&key, &env, b""),
            Err(CryptoError::UnsupportedVersion { what: "sealed message", version: 2 })
        ));
        env[0] = 0;
        assert!(matches!(
            unwrap_key(&key, &env, b""),
            Err(CryptoError::UnsupportedVersion { what: "wrapped key", version: 0 })
        ));
        // A sealed message that is not 32 bytes long cannot be a wrapped key.
        let not_a_key = seal_with_nonce(DOMAIN_WRAP_KEY, &key, &[0; 24], b"short", b"").expect("seal");
        assert!(matches!(unwrap_key(&key, &not_a_key, b""), Err(CryptoError::Malformed(_))));
    }

    /// Golden envelopes: any change to the layout, the version byte, the AAD binding or the domain
    /// labels breaks these.
    #[test]
    fn golden_envelopes() {
        let key = SymmetricKey::from_bytes([0x11; 32]);
        let dek = SymmetricKey::from_bytes([0x22; 32]);
        let nonce = [0x33; NONCE_LEN];
        let wrapped = seal_with_nonce(DOMAIN_WRAP_KEY, &key, &nonce, dek.as_bytes(), b"aad").expect("seal");
        let sealed = seal_with_nonce(DOMAIN_SYMMETRIC, &key, &nonce, b"coffre", b"aad").expect("seal");
        assert_eq!(&wrapped[..25], &[&[1u8][..], &nonce[..]].concat()[..]);
        assert_eq!(&sealed[..25], &[&[1u8][..], &nonce[..]].concat()[..]);
        // The body is plain XChaCha20-Poly1305 with the documented associated data.
        let aad = [&[18u8][..], b"coffre/v1/wrap-key", &[1], b"aad"].concat();
        assert_eq!(wrapped[25..], xchacha_seal(&[0x11; 32], &nonce, &aad, &[0x22; 32]).expect("seal"));
        let aad = [&[19u8][..], b"coffre/v1/symmetric", &[1], b"aad"].concat();
        assert_eq!(sealed[25..], xchacha_seal(&[0x11; 32], &nonce, &aad, b"coffre").expect("seal"));
        assert_eq!(unwrap_key(&key, &wrapped, b"aad").expect("unwrap"), dek);
        assert_eq!(open_symmetric(&key, &sealed, b"aad").expect("open").as_slice(), b"coffre");
        // Checked last: the snapshot is only meaningful once the recomputation above agrees.
        assert_eq!(hex::encode(&sealed), GOLDEN_SEALED);
        assert_eq!(hex::encode(&wrapped), GOLDEN_WRAPPED);
    }

    const GOLDEN_WRAPPED: &str = "01333333333333333333333333333333333333333333333333988655ab5a492115a0b60a86eccfdcf4a9655edc6e9156aec946b458b235dd6385d75e45ab89f9bb5a4cbd77605fd55e";
    const GOLDEN_SEALED: &str =
        "01333333333333333333333333333333333333333333333333d9cb11ef0a0e4eab78f544b6fc3055031f010d23f420";
}
