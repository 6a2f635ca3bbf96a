//! Shamir 2-of-n sharing of the assisted key and of the organisation share, by share format version
//! (docs/adr/0006-constant-time-shamir.md). Both versions lay a share out as `x(1) || y(n)` with
//! x = 1, 2, 3, …, but over different fields, so every share carries its version and shares of two
//! versions never combine:
//!
//! - **version 2**, made from now on: `vsss-rs` (audited) over GF(2^8) modulo 0x11b, the AES field,
//!   with constant-time arithmetic (no table indexed by a secret);
//! - **version 1**, read only: what `blahaj` made, GF(2^8) modulo 0x11d, combined by
//!   [`crate::shamir_v1`] (constant time too).

use std::convert::Infallible;

use coffre_crypto::random_bytes;
use rand_core::{TryCryptoRng, TryRng};
use subtle::ConstantTimeEq;
use vsss_rs::Gf256;
use zeroize::Zeroizing;

use crate::assisted_error::AssistedError;
use crate::shamir_v1;

/// Shares needed to rebuild a secret, for every split in Coffre.
const THRESHOLD: usize = 2;

/// The format version of a share or piece (its first byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ShareVersion {
    /// `blahaj`, GF(2^8) mod 0x11d: still combined, never made.
    V1 = 1,
    /// `vsss-rs`, GF(2^8) mod 0x11b.
    V2 = 2,
}

impl ShareVersion {
    /// The version new shares and pieces are made in.
    pub const CURRENT: ShareVersion = ShareVersion::V2;

    pub fn from_byte(byte: u8) -> Option<ShareVersion> {
        match byte {
            1 => Some(ShareVersion::V1),
            2 => Some(ShareVersion::V2),
            _ => None,
        }
    }
}

/// 2-of-`n` shares `x || y` of `secret`, x = 1..=n, in [`ShareVersion::CURRENT`].
pub(crate) fn split(secret: &[u8], n: usize) -> Result<Vec<Zeroizing<Vec<u8>>>, AssistedError> {
    let shares = Gf256::split_bytes(THRESHOLD, n, secret, SystemRandom).map_err(|_| AssistedError::Malformed)?;
    Ok(shares.into_iter().map(Zeroizing::new).collect())
}

/// The secret from shares `x || y`, each with its version. A share given twice counts once; two
/// different shares at one x, or shares of two versions, are refused.
pub(crate) fn combine(shares: &[(ShareVersion, &[u8])]) -> Result<Zeroizing<Vec<u8>>, AssistedError> {
    let Some(((version, first), rest)) = shares.split_first() else { return Err(AssistedError::NotEnough) };
    if rest.iter().any(|(v, _)| v != version) {
        return Err(AssistedError::MixedVersions);
    }
    let len = first.len();
    let mut distinct: Vec<&[u8]> = Vec::with_capacity(shares.len());
    for (_, share) in shares {
        let x = match share.first() {
            Some(&x) if x != 0 && share.len() == len && len >= 2 => x,
            _ => return Err(AssistedError::Malformed),
        };
        match distinct.iter().find(|seen| seen[0] == x) {
            None => distinct.push(share),
            Some(seen) if bool::from(seen.ct_eq(share)) => {}
            Some(_) => return Err(AssistedError::Malformed),
        }
    }
    if distinct.len() < THRESHOLD {
        return Err(AssistedError::NotEnough);
    }
    match version {
        ShareVersion::V1 => shamir_v1::combine(&distinct).ok_or(AssistedError::Malformed),
        ShareVersion::V2 => {
            let owned = Zeroizing::new(distinct.iter().map(|s| s.to_vec()).collect::<Vec<_>>());
            Gf256::combine_bytes(owned.as_slice()).map(Zeroizing::new).map_err(|_| AssistedError::Malformed)
        }
    }
}

/// The operating system's random numbers through coffre-crypto (the project's one source), in the
/// `rand_core` 0.10 shape `vsss-rs` asks for.
struct SystemRandom;

impl TryRng for SystemRandom {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(u32::from_le_bytes(random_bytes()))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(u64::from_le_bytes(random_bytes()))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(32) {
            let block = Zeroizing::new(random_bytes::<32>());
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

impl TryCryptoRng for SystemRandom {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each version's field is pinned: f(x) = 0x80·x has f(1) = 0x80 and f(2) = 0x80·2, which is
    /// 0x1b reduced by 0x11b (version 2) and 0x1d reduced by 0x11d (version 1); both give f(0) = 0.
    #[test]
    fn each_version_interpolates_in_its_own_field() {
        let at_zero = |version, y2: u8| {
            combine(&[(version, [1u8, 0x80].as_slice()), (version, [2u8, y2].as_slice())]).expect("combine")[0]
        };
        assert_eq!(at_zero(ShareVersion::V2, 0x1b), 0);
        assert_eq!(at_zero(ShareVersion::V1, 0x1d), 0);
        assert_ne!(at_zero(ShareVersion::V2, 0x1d), 0);
        assert_ne!(at_zero(ShareVersion::V1, 0x1b), 0);
    }

    #[test]
    fn split_gives_x_one_to_n_and_any_two_combine() {
        let secret = [0x5a; 35];
        for n in [2, 3, 10, 255] {
            let shares = split(&secret, n).expect("split");
            assert_eq!(shares.len(), n);
            for (i, share) in shares.iter().enumerate() {
                assert_eq!((share[0] as usize, share.len()), (i + 1, 36));
            }
            let (first, last) = (shares[0].as_slice(), shares[n - 1].as_slice());
            let v2 = ShareVersion::V2;
            assert_eq!(*combine(&[(v2, first), (v2, last)]).expect("two"), secret);
            assert_eq!(*combine(&[(v2, last), (v2, first), (v2, last)]).expect("one given twice"), secret);
            assert_eq!(combine(&[(v2, first), (v2, first)]), Err(AssistedError::NotEnough));
        }
        assert_eq!(split(&secret, 256), Err(AssistedError::Malformed));
    }
}
