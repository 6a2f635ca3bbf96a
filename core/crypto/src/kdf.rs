//! HKDF-SHA256 derivations, with every `info` string of the crate in one place.
//!
//! All derivations from the Account Root Key use HKDF-SHA256 (RFC 5869) with no salt (the ARK is
//! already uniformly random) and a domain-separated `info`, always starting with `coffre/v1/`.

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

pub(crate) const INFO_SQLCIPHER: &[u8] = b"coffre/v1/sqlcipher";
pub(crate) const INFO_LOG: &[u8] = b"coffre/v1/log";
pub(crate) const INFO_BLOB: &[u8] = b"coffre/v1/blob";
/// Followed by the generation in decimal ASCII.
pub(crate) const INFO_IDENTITY_PREFIX: &[u8] = b"coffre/v1/identity/gen=";
/// Followed by the caller's label.
pub(crate) const INFO_SUBKEY_PREFIX: &[u8] = b"coffre/v1/subkey/";
/// Key that seals to an X25519 recipient; salt = `eph_pub || recipient_pub`.
pub(crate) const INFO_SEAL: &[u8] = b"coffre/v1/seal";
/// Key that wraps the ARK on this device, from Argon2id output (and the platform secret).
pub(crate) const INFO_LOCAL_UNLOCK: &[u8] = b"coffre/v1/local-unlock";

/// HKDF-SHA256 can produce at most 255 blocks of 32 bytes.
const MAX_OKM: usize = 255 * 32;

/// HKDF-SHA256 extract-then-expand of `N` bytes; `info` is the concatenation of the given parts.
pub(crate) fn hkdf_sha256<const N: usize>(salt: Option<&[u8]>, ikm: &[u8], info: &[&[u8]]) -> Zeroizing<[u8; N]> {
    const { assert!(N <= MAX_OKM, "HKDF-SHA256 output too long") };
    let hk = Hkdf::<Sha256>::new(salt, ikm);
    let mut okm = Zeroizing::new([0u8; N]);
    // The only error `expand` can return is an output longer than 255 * 32 bytes, which the
    // compile-time assertion above rules out.
    let _ = hk.expand_multi_info(info, okm.as_mut_slice());
    okm
}

/// Derivation from the Account Root Key (no salt).
pub(crate) fn derive<const N: usize>(ark: &[u8; 32], info: &[&[u8]]) -> Zeroizing<[u8; N]> {
    hkdf_sha256::<N>(None, ark, info)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 5869, Appendix A.1 (test case 1, SHA-256).
    #[test]
    fn rfc5869_test_case_1() {
        let ikm = [0x0bu8; 22];
        let salt = hex::decode("000102030405060708090a0b0c").expect("hex");
        let info = hex::decode("f0f1f2f3f4f5f6f7f8f9").expect("hex");
        // Split the info in two parts to also cover the multi-part concatenation.
        let okm = hkdf_sha256::<42>(Some(&salt), &ikm, &[&info[..3], &info[3..]]);
        assert_eq!(
            hex::encode(*okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
    }

    #[test]
    fn info_strings_are_distinct_and_prefixed() {
        let all = [
            INFO_SQLCIPHER,
            INFO_LOG,
            INFO_BLOB,
            INFO_IDENTITY_PREFIX,
            INFO_SUBKEY_PREFIX,
            INFO_SEAL,
            INFO_LOCAL_UNLOCK,
        ];
        for (i, a) in all.iter().enumerate() {
            assert!(a.starts_with(b"coffre/v1/"));
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
