//! The one random source of the crate: the operating system's CSPRNG.

use rand_core::{OsRng, RngCore};

/// `N` bytes from the operating system's CSPRNG (`getrandom`).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    OsRng.fill_bytes(&mut out);
    out
}
