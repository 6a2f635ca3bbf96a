#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod aead;
mod error;
mod hash;
mod kdf;
mod keys;
pub mod passphrase;
mod rng;
pub mod sas;
pub mod seal;
pub mod sign;
pub mod stream;
mod wrap;
mod xchacha;

pub use error::{CryptoError, Result};
pub use hash::{Sha256Hasher, sha256};
pub use keys::{AccountRootKey, IdentityKeys, SymmetricKey};
pub use passphrase::{KdfParams, stored_kdf_params, unwrap_ark_with_passphrase, wrap_ark_with_passphrase};
pub use rng::random_bytes;
pub use seal::{ExchangePublic, ExchangeSecret, open_sealed, seal_to};
pub use sign::{Signature, SigningKey, VerifyingKey};
pub use stream::{BlobContext, CHUNK_SIZE, StreamStats, decrypt_stream, decrypt_to_vec, encrypt_stream, encrypted_len};
pub use wrap::{ENVELOPE_VERSION, open_symmetric, seal_symmetric, unwrap_key, wrap_key};
pub use zeroize::Zeroizing;

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::ZeroizeOnDrop;

    /// Static assertion: every secret-holding type zeroizes itself on drop.
    #[test]
    fn secret_types_are_zeroize_on_drop() {
        fn assert_zod<T: ZeroizeOnDrop>() {}
        assert_zod::<SymmetricKey>();
        assert_zod::<AccountRootKey>();
        assert_zod::<IdentityKeys>();
        assert_zod::<SigningKey>();
        assert_zod::<ExchangeSecret>();
        // and the dependency types we rely on for that
        assert_zod::<ed25519_dalek::SigningKey>();
        // (x25519-dalek's `StaticSecret`/`SharedSecret` wipe themselves in `Drop` without the marker
        // trait; `ExchangeSecret` derives `ZeroizeOnDrop`, which also wipes its `StaticSecret`.)
    }

    /// Dropping a key really wipes it: inspect the bytes of a `ManuallyDrop`-free copy through the
    /// `Zeroize` implementation the `ZeroizeOnDrop` derive calls.
    #[test]
    fn zeroize_clears_key_bytes() {
        use zeroize::Zeroize;
        let mut k = SymmetricKey::from_bytes([0xEE; 32]);
        k.zeroize();
        assert_eq!(k.as_bytes(), &[0u8; 32]);
        let mut a = AccountRootKey::from_bytes([0xEE; 32]);
        a.zeroize();
        assert_eq!(a.as_bytes(), &[0u8; 32]);
    }

    #[test]
    fn errors_never_show_data() {
        let key = SymmetricKey::from_bytes([0x41; 32]);
        let env = seal_symmetric(&key, b"SECRET-TITLE", b"");
        let err = open_symmetric(&SymmetricKey::generate(), &env, b"").expect_err("wrong key");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("SECRET") && !shown.contains("65"), "{shown}");
    }
}
