//! XChaCha20-Poly1305 as draft-irtf-cfrg-xchacha specifies it: an HChaCha20 subkey from the key and
//! the nonce's first 16 bytes, then ChaCha20-Poly1305 (RFC 8439) under that subkey with the nonce
//! `0000 || nonce[16..24]`. The ChaCha20-Poly1305 is `ring`'s (BoringSSL's assembly: AVX2 on x86-64,
//! NEON on phones), about twice RustCrypto's portable code; HChaCha20 is RustCrypto's `chacha20`.
//! Same bytes as before (ADR 0008): the Wycheproof XChaCha20-Poly1305 vectors, the golden envelopes
//! and a cross-check against RustCrypto's `XChaCha20Poly1305` on random inputs test that.
//!
//! Keys: the subkey is wiped after use; `ring` does not zeroize its key objects, so the one holding
//! the subkey lives in a box that is overwritten with an all-zero key before it is freed.

use chacha20::hchacha;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{CryptoError, Result};

/// XChaCha20-Poly1305 nonce length.
pub(crate) const NONCE_LEN: usize = 24;
/// Poly1305 tag length.
pub(crate) const TAG_LEN: usize = 16;

/// A ChaCha20-Poly1305 key for one XChaCha nonce, wiped when dropped.
struct SubKey {
    key: Box<LessSafeKey>,
    nonce: [u8; 12],
}

impl SubKey {
    fn new(key: &[u8; 32], nonce: &[u8; NONCE_LEN]) -> Result<SubKey> {
        // U10: ten double rounds, i.e. HChaCha20.
        let mut derived = hchacha::<chacha20::cipher::consts::U10>(key.into(), nonce[..16].into());
        let subkey = Zeroizing::new(<[u8; 32]>::from(derived));
        derived.as_mut_slice().zeroize();
        let unbound =
            UnboundKey::new(&CHACHA20_POLY1305, &subkey[..]).map_err(|_| CryptoError::Malformed("AEAD key"))?;
        let mut short = [0u8; 12];
        short[4..].copy_from_slice(&nonce[16..]);
        Ok(SubKey { key: Box::new(LessSafeKey::new(unbound)), nonce: short })
    }

    fn nonce(&self) -> Nonce {
        Nonce::assume_unique_for_key(self.nonce)
    }
}

impl Drop for SubKey {
    fn drop(&mut self) {
        // Same type, same place: the subkey's words are overwritten by zeros. `black_box` keeps the
        // write from being dropped as dead before the box is freed.
        if let Ok(zero) = UnboundKey::new(&CHACHA20_POLY1305, &[0u8; 32]) {
            *self.key = LessSafeKey::new(zero);
            std::hint::black_box(&*self.key);
        }
    }
}

/// Encrypts `buf` in place and appends the tag.
pub(crate) fn seal_in_place(key: &[u8; 32], nonce: &[u8; NONCE_LEN], aad: &[u8], buf: &mut Vec<u8>) -> Result<()> {
    let sub = SubKey::new(key, nonce)?;
    sub.key
        .seal_in_place_append_tag(sub.nonce(), Aad::from(aad), buf)
        .map_err(|_| CryptoError::Malformed("message too long"))
}

/// Checks and decrypts `ct || tag` in place, leaving the plaintext in `buf`; [`CryptoError::Decrypt`]
/// (and `buf` wiped) if it does not authenticate.
pub(crate) fn open_in_place(key: &[u8; 32], nonce: &[u8; NONCE_LEN], aad: &[u8], buf: &mut Vec<u8>) -> Result<()> {
    let sub = SubKey::new(key, nonce)?;
    match sub.key.open_in_place(sub.nonce(), Aad::from(aad), buf) {
        Ok(plain) => {
            let len = plain.len();
            buf.truncate(len);
            Ok(())
        }
        Err(_) => {
            buf.zeroize();
            Err(CryptoError::Decrypt)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chacha20poly1305::aead::{AeadInPlace, KeyInit};
    use chacha20poly1305::{XChaCha20Poly1305, XNonce};

    /// The same bytes as RustCrypto's XChaCha20-Poly1305 (what every stored blob and envelope was
    /// written with), for lengths around the 64-byte block and the 16-byte Poly1305 boundaries.
    #[test]
    fn same_bytes_as_rustcrypto_xchacha() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as u8
        };
        for len in [0usize, 1, 15, 16, 17, 63, 64, 65, 255, 256, 1000, 65_536, 65_537] {
            let key: [u8; 32] = std::array::from_fn(|_| next());
            let nonce: [u8; NONCE_LEN] = std::array::from_fn(|_| next());
            let aad: Vec<u8> = (0..len % 40).map(|_| next()).collect();
            let plain: Vec<u8> = (0..len).map(|_| next()).collect();
            let mut ours = plain.clone();
            seal_in_place(&key, &nonce, &aad, &mut ours).expect("seal");
            let mut theirs = plain.clone();
            XChaCha20Poly1305::new(&key.into())
                .encrypt_in_place(&XNonce::from(nonce), &aad, &mut theirs)
                .expect("reference");
            assert_eq!(ours, theirs, "length {len}");
            open_in_place(&key, &nonce, &aad, &mut ours).expect("open");
            assert_eq!(ours, plain);
            theirs[len / 2] ^= 1;
            assert!(matches!(open_in_place(&key, &nonce, &aad, &mut theirs), Err(CryptoError::Decrypt)));
            assert!(theirs.iter().all(|&b| b == 0), "a refused message is wiped");
        }
    }
}
