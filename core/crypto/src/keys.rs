//! Key types: [`SymmetricKey`], [`AccountRootKey`], [`IdentityKeys`].
//!
//! Every secret type zeroizes its bytes on drop and prints `[redacted]` in `Debug`. Equality between
//! keys is constant time.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::kdf;
use crate::rng::random_bytes;
use crate::seal::ExchangeSecret;
use crate::sign::SigningKey;

/// A 256-bit symmetric key (XChaCha20-Poly1305, key wrapping, blob STREAM).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SymmetricKey([u8; 32]);

impl SymmetricKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        Self(random_bytes())
    }

    /// Takes ownership of raw key bytes. The caller should zeroize any copy it kept.
    pub fn from_bytes(b: [u8; 32]) -> Self {
        Self(b)
    }

    /// The raw key bytes. Do not store them unwrapped.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SymmetricKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SymmetricKey([redacted])")
    }
}

impl PartialEq for SymmetricKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}
impl Eq for SymmetricKey {}

/// The Account Root Key: 32 random bytes from which every other account key is derived or under which
/// it is wrapped. It never leaves a device in the clear.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct AccountRootKey([u8; 32]);

impl AccountRootKey {
    /// A fresh random ARK.
    pub fn generate() -> Self {
        Self(random_bytes())
    }

    /// Takes ownership of raw key bytes. The caller should zeroize any copy it kept.
    pub fn from_bytes(b: [u8; 32]) -> Self {
        Self(b)
    }

    /// The raw key bytes. Only for wrapping; never store them unwrapped.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Raw key of the local SQLCipher database (HKDF-SHA256, info `coffre/v1/sqlcipher`).
    pub fn derive_sqlcipher_key(&self) -> Zeroizing<[u8; 32]> {
        kdf::derive::<32>(&self.0, &[kdf::INFO_SQLCIPHER])
    }

    /// Key of the encrypted op log and metadata (info `coffre/v1/log`).
    pub fn derive_log_key(&self) -> SymmetricKey {
        symmetric(kdf::derive::<32>(&self.0, &[kdf::INFO_LOG]))
    }

    /// Key that wraps per-document keys locally (info `coffre/v1/blob`).
    pub fn derive_blob_root_key(&self) -> SymmetricKey {
        symmetric(kdf::derive::<32>(&self.0, &[kdf::INFO_BLOB]))
    }

    /// Holder identity of the given generation (info `coffre/v1/identity/gen=<n>`, decimal `n`):
    /// 64 bytes of output, the first 32 the Ed25519 seed, the last 32 the X25519 secret.
    pub fn derive_identity(&self, generation: u32) -> IdentityKeys {
        let gen_text = generation.to_string();
        let okm = kdf::derive::<64>(&self.0, &[kdf::INFO_IDENTITY_PREFIX, gen_text.as_bytes()]);
        let mut seed = Zeroizing::new([0u8; 32]);
        let mut exchange = Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(&okm[..32]);
        exchange.copy_from_slice(&okm[32..]);
        IdentityKeys { signing: SigningKey::from_bytes(*seed), exchange: ExchangeSecret::from_bytes(*exchange) }
    }

    /// A named application subkey (info `coffre/v1/subkey/` + `label`).
    ///
    /// Subkeys live in their own `subkey/` namespace so that no label can reproduce the SQLCipher, log,
    /// blob or identity keys above.
    pub fn derive_subkey(&self, label: &str) -> SymmetricKey {
        symmetric(kdf::derive::<32>(&self.0, &[kdf::INFO_SUBKEY_PREFIX, label.as_bytes()]))
    }
}

fn symmetric(okm: Zeroizing<[u8; 32]>) -> SymmetricKey {
    SymmetricKey::from_bytes(*okm)
}

impl fmt::Debug for AccountRootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccountRootKey([redacted])")
    }
}

impl PartialEq for AccountRootKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}
impl Eq for AccountRootKey {}

/// A holder (or device) identity: Ed25519 to sign, X25519 to receive sealed data.
#[derive(Clone)]
pub struct IdentityKeys {
    /// Signs ops, mandates and receipts.
    pub signing: SigningKey,
    /// Receives deposits sealed with [`crate::seal_to`].
    pub exchange: ExchangeSecret,
}

// Both fields zeroize themselves on drop.
impl ZeroizeOnDrop for IdentityKeys {}

impl fmt::Debug for IdentityKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentityKeys([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARK: [u8; 32] = [7u8; 32];

    #[test]
    fn generate_gives_distinct_keys() {
        assert_ne!(SymmetricKey::generate(), SymmetricKey::generate());
        assert_ne!(AccountRootKey::generate(), AccountRootKey::generate());
        assert_ne!(random_bytes::<32>(), random_bytes::<32>());
    }

    #[test]
    fn derivations_are_deterministic_and_distinct() {
        let ark = AccountRootKey::from_bytes(ARK);
        let again = AccountRootKey::from_bytes(ARK);
        let sql = ark.derive_sqlcipher_key();
        let log = ark.derive_log_key();
        let blob = ark.derive_blob_root_key();
        assert_eq!(*sql, *again.derive_sqlcipher_key());
        assert_eq!(log, again.derive_log_key());
        assert_eq!(blob, again.derive_blob_root_key());
        let all = [
            *sql,
            *log.as_bytes(),
            *blob.as_bytes(),
            *ark.derive_subkey("log").as_bytes(),
            *ark.derive_subkey("sqlcipher").as_bytes(),
            *ark.derive_subkey("identity/gen=0").as_bytes(),
            *ark.derive_identity(0).signing.to_bytes(),
            *ark.derive_identity(0).exchange.to_bytes(),
            *ark.derive_identity(1).signing.to_bytes(),
            ARK,
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn derivations_match_hkdf_with_documented_info() {
        // Recomputed here with `hkdf` directly, so a change of info string or of the split fails.
        use hkdf::Hkdf;
        use sha2::Sha256;
        let hk = Hkdf::<Sha256>::new(None, &ARK);
        let ark = AccountRootKey::from_bytes(ARK);
        let mut okm = [0u8; 32];
        hk.expand(b"coffre/v1/sqlcipher", &mut okm).expect("expand");
        assert_eq!(*ark.derive_sqlcipher_key(), okm);
        hk.expand(b"coffre/v1/log", &mut okm).expect("expand");
        assert_eq!(ark.derive_log_key().as_bytes(), &okm);
        hk.expand(b"coffre/v1/blob", &mut okm).expect("expand");
        assert_eq!(ark.derive_blob_root_key().as_bytes(), &okm);
        hk.expand(b"coffre/v1/subkey/collection/health", &mut okm).expect("expand");
        assert_eq!(ark.derive_subkey("collection/health").as_bytes(), &okm);
        let mut okm64 = [0u8; 64];
        hk.expand(b"coffre/v1/identity/gen=12", &mut okm64).expect("expand");
        let id = ark.derive_identity(12);
        assert_eq!(&*id.signing.to_bytes(), &okm64[..32]);
        assert_eq!(&*id.exchange.to_bytes(), &okm64[32..]);
    }

    #[test]
    fn identity_generations_differ_and_work() {
        let ark = AccountRootKey::from_bytes(ARK);
        let g0 = ark.derive_identity(0);
        let g1 = ark.derive_identity(1);
        assert_ne!(g0.signing.verifying_key(), g1.signing.verifying_key());
        assert_ne!(g0.exchange.public(), g1.exchange.public());
        let sig = g0.signing.sign(b"op");
        assert!(g0.signing.verifying_key().verify(b"op", &sig).is_ok());
        assert!(g1.signing.verifying_key().verify(b"op", &sig).is_err());
    }

    #[test]
    fn debug_is_redacted() {
        let sym = SymmetricKey::from_bytes([0xAB; 32]);
        let ark = AccountRootKey::from_bytes([0xAB; 32]);
        let id = ark.derive_identity(0);
        for shown in [
            format!("{sym:?}"),
            format!("{ark:?}"),
            format!("{id:?}"),
            format!("{:?}", id.signing),
            format!("{:?}", id.exchange),
        ] {
            assert!(shown.contains("[redacted]"), "{shown}");
            // No byte of any key can appear: the output holds no digit at all.
            assert!(!shown.chars().any(|c| c.is_ascii_digit()), "{shown}");
        }
    }
}
