//! Local unlock: the Account Root Key wrapped under a PIN/passphrase on this device only.
//!
//! ```text
//! wrapped = version(1)=1 || m_cost_kib(u32 LE) || t_cost(u32 LE) || parallelism(u32 LE)
//!           || salt(16) || nonce(24) || ct(32) || tag(16)                          (101 bytes)
//! stretched = Argon2id v0x13(passphrase, salt, m, t, p) -> 32 bytes
//! kek       = HKDF-SHA256(salt = none, ikm = stretched || platform_secret?,
//!                         info = "coffre/v1/local-unlock" || flag)     flag = 0 without, 1 with a secret
//! ct        = XChaCha20-Poly1305(kek, nonce, ARK,
//!                                aad = len || "coffre/v1/local-unlock" || version || params || salt)
//! ```
//! The parameters travel with the blob, so unwrapping first checks them against
//! [`KdfParams::FLOOR`] (refused with [`CryptoError::WeakParameters`] before any work) and against
//! [`KdfParams::CEILING`] (so a corrupted blob cannot make the phone allocate gigabytes). They are also
//! authenticated, so raising them fails like a wrong passphrase.

use argon2::{Algorithm, Argon2, AssociatedData, Block, ParamsBuilder, Version};
use zeroize::Zeroizing;

use crate::aead::{NONCE_LEN, TAG_LEN, bound_aad, xchacha_open, xchacha_seal};
use crate::error::{CryptoError, Result};
use crate::kdf;
use crate::keys::AccountRootKey;
use crate::rng::random_bytes;

/// Version byte of a passphrase-wrapped ARK.
pub const PASSPHRASE_WRAP_VERSION: u8 = 1;
const SALT_LEN: usize = 16;
/// `version || m || t || p || salt`: authenticated as associated data.
const HEADER_LEN: usize = 1 + 4 + 4 + 4 + SALT_LEN;
/// Total length of a wrapped ARK.
pub const PASSPHRASE_WRAP_LEN: usize = HEADER_LEN + NONCE_LEN + 32 + TAG_LEN;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_cost_kib: u32,
    /// Passes over memory.
    pub t_cost: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl KdfParams {
    /// The least we accept anywhere: 64 MiB, 3 passes, 1 lane.
    pub const FLOOR: KdfParams = KdfParams { m_cost_kib: 64 * 1024, t_cost: 3, parallelism: 1 };

    /// The most we accept from a stored blob: 1 GiB, 16 passes, 8 lanes. A blob asking for more is
    /// corrupt (or hostile) and is refused rather than allowed to exhaust the phone.
    pub const CEILING: KdfParams = KdfParams { m_cost_kib: 1024 * 1024, t_cost: 16, parallelism: 8 };

    /// What new wraps use: [`Self::FLOOR`], sized for 2 GB phones.
    pub fn recommended() -> Self {
        Self::FLOOR
    }

    /// `Ok` if within `FLOOR..=CEILING` (each component).
    pub fn check(&self) -> Result<()> {
        let (f, c) = (Self::FLOOR, Self::CEILING);
        if self.m_cost_kib < f.m_cost_kib || self.t_cost < f.t_cost || self.parallelism < f.parallelism {
            return Err(CryptoError::WeakParameters);
        }
        if self.m_cost_kib > c.m_cost_kib || self.t_cost > c.t_cost || self.parallelism > c.parallelism {
            return Err(CryptoError::Malformed("key derivation parameters above the ceiling"));
        }
        Ok(())
    }
}

/// Argon2id (version 0x13) with an optional Argon2 secret and associated data, 32-byte output. The
/// memory is zeroized afterwards. Parameters are not checked against the floor here (the RFC 9106 test
/// vector uses 32 KiB); callers check first.
pub(crate) fn argon2id(
    params: &KdfParams,
    password: &[u8],
    salt: &[u8],
    secret: Option<&[u8]>,
    data: &[u8],
) -> Result<Zeroizing<[u8; 32]>> {
    let bad = |_| CryptoError::Malformed("argon2 parameters");
    let ad = AssociatedData::new(data).map_err(bad)?;
    let p = ParamsBuilder::new()
        .m_cost(params.m_cost_kib)
        .t_cost(params.t_cost)
        .p_cost(params.parallelism)
        .data(ad)
        .output_len(32)
        .build()
        .map_err(bad)?;
    let blocks = p.block_count();
    let argon = match secret {
        Some(s) => Argon2::new_with_secret(s, Algorithm::Argon2id, Version::V0x13, p).map_err(bad)?,
        None => Argon2::new(Algorithm::Argon2id, Version::V0x13, p),
    };
    let mut memory = Zeroizing::new(vec![Block::new(); blocks]);
    let mut out = Zeroizing::new([0u8; 32]);
    argon.hash_password_into_with_memory(password, salt, out.as_mut_slice(), memory.as_mut_slice()).map_err(bad)?;
    Ok(out)
}

fn header(params: &KdfParams, salt: &[u8; SALT_LEN]) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[0] = PASSPHRASE_WRAP_VERSION;
    h[1..5].copy_from_slice(&params.m_cost_kib.to_le_bytes());
    h[5..9].copy_from_slice(&params.t_cost.to_le_bytes());
    h[9..13].copy_from_slice(&params.parallelism.to_le_bytes());
    h[13..].copy_from_slice(salt);
    h
}

fn wrapping_key(
    params: &KdfParams,
    salt: &[u8; SALT_LEN],
    passphrase: &[u8],
    platform_secret: Option<&[u8; 32]>,
) -> Result<Zeroizing<[u8; 32]>> {
    let stretched = argon2id(params, passphrase, salt, None, &[])?;
    let mut ikm = Zeroizing::new([0u8; 64]);
    ikm[..32].copy_from_slice(stretched.as_slice());
    let (ikm, flag): (&[u8], u8) = match platform_secret {
        Some(s) => {
            ikm[32..].copy_from_slice(s);
            (&ikm[..], 1)
        }
        None => (&ikm[..32], 0),
    };
    Ok(kdf::hkdf_sha256::<32>(None, ikm, &[kdf::INFO_LOCAL_UNLOCK, &[flag]]))
}

pub(crate) fn wrap_with(
    ark: &AccountRootKey,
    passphrase: &[u8],
    platform_secret: Option<&[u8; 32]>,
    params: &KdfParams,
    salt: &[u8; SALT_LEN],
    nonce: &[u8; NONCE_LEN],
) -> Result<Vec<u8>> {
    params.check()?;
    let header = header(params, salt);
    let kek = wrapping_key(params, salt, passphrase, platform_secret)?;
    let aad = bound_aad(kdf::INFO_LOCAL_UNLOCK, &header, &[]);
    let ct = xchacha_seal(&kek, nonce, &aad, ark.as_bytes())?;
    let mut out = Vec::with_capacity(PASSPHRASE_WRAP_LEN);
    out.extend_from_slice(&header);
    out.extend_from_slice(nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Wraps the ARK under Argon2id(`passphrase`) mixed with the optional platform-keystore secret.
/// Refuses parameters outside `FLOOR..=CEILING`. Takes about as long as one unlock.
pub fn wrap_ark_with_passphrase(
    ark: &AccountRootKey,
    passphrase: &[u8],
    platform_secret: Option<&[u8; 32]>,
    params: &KdfParams,
) -> Result<Vec<u8>> {
    wrap_with(ark, passphrase, platform_secret, params, &random_bytes(), &random_bytes())
}

/// The parameters stored in a wrapped ARK, after checking the version and length (not the floor).
pub fn stored_kdf_params(wrapped: &[u8]) -> Result<KdfParams> {
    let (&version, _) = wrapped.split_first().ok_or(CryptoError::Truncated)?;
    if version != PASSPHRASE_WRAP_VERSION {
        return Err(CryptoError::UnsupportedVersion { what: "passphrase-wrapped key", version });
    }
    if wrapped.len() < PASSPHRASE_WRAP_LEN {
        return Err(CryptoError::Truncated);
    }
    if wrapped.len() > PASSPHRASE_WRAP_LEN {
        return Err(CryptoError::Malformed("passphrase-wrapped key length"));
    }
    let u32_at = |i: usize| {
        wrapped
            .get(i..i + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_le_bytes)
            .ok_or(CryptoError::Truncated)
    };
    Ok(KdfParams { m_cost_kib: u32_at(1)?, t_cost: u32_at(5)?, parallelism: u32_at(9)? })
}

/// Unwraps the ARK. [`CryptoError::WrongPassphrase`] if the passphrase or platform secret is wrong
/// (or the blob was modified); [`CryptoError::WeakParameters`] if the stored parameters are below
/// the floor, checked before running Argon2.
pub fn unwrap_ark_with_passphrase(
    wrapped: &[u8],
    passphrase: &[u8],
    platform_secret: Option<&[u8; 32]>,
) -> Result<AccountRootKey> {
    let params = stored_kdf_params(wrapped)?;
    params.check()?;
    let (header, rest) = wrapped.split_at(HEADER_LEN);
    let (nonce, ct) = rest.split_at(NONCE_LEN);
    let salt: [u8; SALT_LEN] = header[13..].try_into().map_err(|_| CryptoError::Malformed("salt"))?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Malformed("nonce"))?;
    let kek = wrapping_key(&params, &salt, passphrase, platform_secret)?;
    let aad = bound_aad(kdf::INFO_LOCAL_UNLOCK, header, &[]);
    let pt = xchacha_open(&kek, &nonce, &aad, ct).map_err(|e| match e {
        CryptoError::Decrypt => CryptoError::WrongPassphrase,
        other => other,
    })?;
    let bytes: [u8; 32] = pt.as_slice().try_into().map_err(|_| CryptoError::Malformed("wrapped key length"))?;
    Ok(AccountRootKey::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    const SECRET: [u8; 32] = [0x42; 32];

    /// One real (64 MiB) wrap shared by the tests below: `(ark, wrapped with SECRET)`.
    fn fixture() -> &'static (AccountRootKey, Vec<u8>) {
        static F: OnceLock<(AccountRootKey, Vec<u8>)> = OnceLock::new();
        F.get_or_init(|| {
            let ark = AccountRootKey::generate();
            let w =
                wrap_ark_with_passphrase(&ark, b"1234 cafe", Some(&SECRET), &KdfParams::recommended()).expect("wrap");
            (ark, w)
        })
    }

    /// RFC 9106, section 5.3 (Argon2id, with secret and associated data).
    #[test]
    fn argon2id_rfc9106_vector() {
        let params = KdfParams { m_cost_kib: 32, t_cost: 3, parallelism: 4 };
        let out = argon2id(&params, &[0x01; 32], &[0x02; 16], Some(&[0x03; 8]), &[0x04; 12]).expect("argon2");
        assert_eq!(hex::encode(*out), "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
    }

    #[test]
    fn floor_and_recommended() {
        assert_eq!(KdfParams::FLOOR, KdfParams { m_cost_kib: 65536, t_cost: 3, parallelism: 1 });
        assert_eq!(KdfParams::recommended(), KdfParams::FLOOR);
        assert!(u64::from(KdfParams::recommended().m_cost_kib) * 1024 >= 64 * 1024 * 1024);
        assert!(KdfParams::FLOOR.check().is_ok());
        assert!(KdfParams::CEILING.check().is_ok());
    }

    #[test]
    fn round_trip_and_layout() {
        let (ark, w) = fixture();
        assert_eq!(w.len(), PASSPHRASE_WRAP_LEN);
        assert_eq!(w.len(), 101);
        assert_eq!(w[0], PASSPHRASE_WRAP_VERSION);
        // The stored parameters are the 64 MiB / t=3 / p=1 that the KDF really ran with.
        assert_eq!(&w[1..13], &[0, 0, 1, 0, 3, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(stored_kdf_params(w).expect("params"), KdfParams::FLOOR);
        let back = unwrap_ark_with_passphrase(w, b"1234 cafe", Some(&SECRET)).expect("unwrap");
        assert_eq!(&back, ark);
    }

    #[test]
    fn wrong_passphrase() {
        let (_, w) = fixture();
        assert!(matches!(
            unwrap_ark_with_passphrase(w, b"1234 cafd", Some(&SECRET)),
            Err(CryptoError::WrongPassphrase)
        ));
    }

    #[test]
    fn missing_platform_secret() {
        let (_, w) = fixture();
        assert!(matches!(unwrap_ark_with_passphrase(w, b"1234 cafe", None), Err(CryptoError::WrongPassphrase)));
    }

    #[test]
    fn other_platform_secret() {
        let (_, w) = fixture();
        assert!(matches!(
            unwrap_ark_with_passphrase(w, b"1234 cafe", Some(&[0x43; 32])),
            Err(CryptoError::WrongPassphrase)
        ));
    }

    #[test]
    fn without_platform_secret_round_trip_and_secret_is_not_ignored() {
        let ark = AccountRootKey::generate();
        let w = wrap_ark_with_passphrase(&ark, b"pass", None, &KdfParams::FLOOR).expect("wrap");
        assert_eq!(unwrap_ark_with_passphrase(&w, b"pass", None).expect("unwrap"), ark);
        assert!(matches!(unwrap_ark_with_passphrase(&w, b"pass", Some(&[0; 32])), Err(CryptoError::WrongPassphrase)));
    }

    #[test]
    fn params_below_floor_are_refused_without_running() {
        let (_, w) = fixture();
        let cases: [(usize, u32); 3] = [(1, 65535), (5, 2), (9, 0)];
        for (offset, value) in cases {
            let mut bad = w.clone();
            bad[offset..offset + 4].copy_from_slice(&value.to_le_bytes());
            let started = std::time::Instant::now();
            let r = unwrap_ark_with_passphrase(&bad, b"1234 cafe", Some(&SECRET));
            assert!(matches!(r, Err(CryptoError::WeakParameters)), "offset {offset}: {r:?}");
            // Refused before Argon2: far below the cost of one 64 MiB run.
            assert!(started.elapsed() < std::time::Duration::from_millis(50));
        }
        // And creating a weak wrap is refused too.
        let weak = KdfParams { m_cost_kib: 1024, t_cost: 1, parallelism: 1 };
        assert!(matches!(
            wrap_ark_with_passphrase(&AccountRootKey::generate(), b"x", None, &weak),
            Err(CryptoError::WeakParameters)
        ));
    }

    #[test]
    fn params_above_ceiling_are_refused() {
        let (_, w) = fixture();
        let mut bad = w.clone();
        bad[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            unwrap_ark_with_passphrase(&bad, b"1234 cafe", Some(&SECRET)),
            Err(CryptoError::Malformed(_))
        ));
    }

    #[test]
    fn raised_params_are_authenticated() {
        let (_, w) = fixture();
        let mut bad = w.clone();
        bad[5..9].copy_from_slice(&4u32.to_le_bytes());
        assert!(matches!(
            unwrap_ark_with_passphrase(&bad, b"1234 cafe", Some(&SECRET)),
            Err(CryptoError::WrongPassphrase)
        ));
    }

    #[test]
    fn version_and_length() {
        let (_, w) = fixture();
        let mut bad = w.clone();
        bad[0] = 2;
        assert!(matches!(
            unwrap_ark_with_passphrase(&bad, b"1234 cafe", Some(&SECRET)),
            Err(CryptoError::UnsupportedVersion { what: "passphrase-wrapped key", version: 2 })
        ));
        for len in [0, 1, 13, 100] {
            assert!(matches!(
                unwrap_ark_with_passphrase(&w[..len], b"1234 cafe", Some(&SECRET)),
                Err(CryptoError::Truncated)
            ));
        }
        let mut long = w.clone();
        long.push(0);
        assert!(matches!(
            unwrap_ark_with_passphrase(&long, b"1234 cafe", Some(&SECRET)),
            Err(CryptoError::Malformed(_))
        ));
    }

    /// Golden wrapped ARK: fixed ARK, passphrase, secret, salt and nonce at the floor parameters.
    #[test]
    fn golden_wrapped_ark() {
        let ark = AccountRootKey::from_bytes([0x01; 32]);
        let w = wrap_with(&ark, b"correct horse", Some(&SECRET), &KdfParams::FLOOR, &[0x02; 16], &[0x03; 24])
            .expect("wrap");

        // Recomputed from the bare crates: Argon2id, then HKDF, then the AEAD.
        let params = argon2::Params::new(65536, 3, 1, Some(32)).expect("params");
        let mut stretched = [0u8; 32];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(b"correct horse", &[0x02; 16], &mut stretched)
            .expect("argon2");
        let ikm = [stretched, SECRET].concat();
        let mut kek = [0u8; 32];
        hkdf::Hkdf::<sha2::Sha256>::new(None, &ikm).expand(b"coffre/v1/local-unlock\x01", &mut kek).expect("hkdf");
        let header = &w[..29];
        assert_eq!(header, [&[1u8, 0, 0, 1, 0, 3, 0, 0, 0, 1, 0, 0, 0][..], &[0x02; 16]].concat());
        let aad = [&[22u8][..], b"coffre/v1/local-unlock", header].concat();
        let ct = xchacha_seal(&kek, &[0x03; 24], &aad, &[0x01; 32]).expect("aead");
        assert_eq!(w[29..53], [0x03; 24]);
        assert_eq!(w[53..], ct[..]);
        assert_eq!(unwrap_ark_with_passphrase(&w, b"correct horse", Some(&SECRET)).expect("unwrap"), ark);
        assert_eq!(hex::encode(&w), GOLDEN_WRAPPED_ARK);
    }

    const GOLDEN_WRAPPED_ARK: &str = "0100000100030000000100000002020202020202020202020202020202030303030303030303030303030303030303030303030303148615d0aa04563a07c461217c506bbd103b4a9e4d8fa302c30a82d0713e84ed0ee669f9b564b93eca50f20d16be8c64";
}
