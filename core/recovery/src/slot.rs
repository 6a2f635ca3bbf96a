//! Server-side recovery slots: the ARK wrapped under a key derived from a HIGH-entropy secret only
//! (the 128-bit recovery code, or the 256-bit key rebuilt from Shamir shares), never a PIN.
//!
//! ```text
//! wrap key   = HKDF-SHA256(salt = none, ikm = secret, info = "coffre/v1/recovery/<kind>/wrap")
//! device key = HKDF-SHA256(salt = none, ikm = secret, info = "coffre/v1/recovery/<kind>/device")  (Ed25519 seed)
//! slot       = version(1)=1 || kind(1) || wrap_key(wrap key, ARK, aad)                          (75 bytes)
//! aad        = "coffre/v1/recovery-slot" || version || kind || vault id
//! ```
//!
//! After a lost phone was removed the vault has several account key generations (docs/adr/0009): the
//! slot must hold every one (the oldest opens the local database and the oldest documents, the newest
//! the log written since). Such a slot is version 2, and a vault with one generation keeps version 1:
//! ```text
//! slot v2 = version(1)=2 || kind(1) || n(1) || seal(wrap key, ARK_0 || … || ARK_n-1, aad2)   (44 + 32·n bytes)
//! aad2    = "coffre/v1/recovery-slot" || 2 || kind || n || vault id
//! ```
//! Why HKDF and no Argon2: the secret already has 128 bits or more of entropy, so stretching adds
//! nothing an attacker would notice (2^128 guesses either way) and would cost a cheap phone 64 MiB
//! and seconds. The device key lets the holder's new phone authenticate to the server as the
//! recovery device: knowing the code is what proves the right to fetch the slot.

use coffre_crypto::{AccountRootKey, SymmetricKey, open_symmetric, seal_symmetric, unwrap_key, wrap_key};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

/// Version byte of a slot.
pub const SLOT_VERSION: u8 = 1;
/// Length of a slot: version, kind, wrapped key envelope (73).
pub const SLOT_LEN: usize = 2 + 73;
/// Version byte of a slot holding several account key generations.
pub const SLOT_KEYRING_VERSION: u8 = 2;
/// Most generations a version-2 slot holds.
pub const MAX_GENERATIONS: usize = 64;

/// What the slot's wrapping key is derived from. Both are high-entropy secrets; there is no kind
/// for a PIN or a passphrase, and the server refuses any other kind byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum SlotKind {
    /// The 128-bit recovery code of the printed kit.
    Code = 1,
    /// The 256-bit assisted-recovery key rebuilt from two Shamir shares.
    Assisted = 2,
}

impl SlotKind {
    fn label(self) -> &'static str {
        match self {
            SlotKind::Code => "code",
            SlotKind::Assisted => "assisted",
        }
    }

    /// The kind named by a slot's second byte.
    pub fn of_slot(slot: &[u8]) -> Option<SlotKind> {
        match slot {
            [SLOT_VERSION | SLOT_KEYRING_VERSION, 1, ..] => Some(SlotKind::Code),
            [SLOT_VERSION | SLOT_KEYRING_VERSION, 2, ..] => Some(SlotKind::Assisted),
            _ => None,
        }
    }
}

/// Why a slot does not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    #[error("unsupported recovery slot (version or kind)")]
    Unsupported,
    /// Wrong secret, or a slot of another vault.
    #[error("this code does not open this vault's recovery slot")]
    WrongSecret,
}

fn derive(kind: SlotKind, secret: &[u8], what: &str) -> Zeroizing<[u8; 32]> {
    let hk = Hkdf::<Sha256>::new(None, secret);
    let info = format!("coffre/v1/recovery/{}/{what}", kind.label());
    let mut out = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's limit of 8160.
    let _ = hk.expand(info.as_bytes(), out.as_mut_slice());
    out
}

fn aad(kind: SlotKind, vault: &[u8; 32]) -> Vec<u8> {
    [b"coffre/v1/recovery-slot".as_slice(), &[SLOT_VERSION, kind as u8], vault].concat()
}

/// The Ed25519 seed of the recovery device of `secret`.
pub fn device_seed(kind: SlotKind, secret: &[u8]) -> Zeroizing<[u8; 32]> {
    derive(kind, secret, "device")
}

/// Wraps the ARK for the server.
pub fn wrap_ark(kind: SlotKind, secret: &[u8], ark: &AccountRootKey, vault: &[u8; 32]) -> Vec<u8> {
    let wrapping = SymmetricKey::from_bytes(*derive(kind, secret, "wrap"));
    let ark_as_key = SymmetricKey::from_bytes(*ark.as_bytes());
    let mut out = vec![SLOT_VERSION, kind as u8];
    out.extend_from_slice(&wrap_key(&wrapping, &ark_as_key, &aad(kind, vault)));
    out
}

fn keyring_aad(kind: SlotKind, n: u8, vault: &[u8; 32]) -> Vec<u8> {
    [b"coffre/v1/recovery-slot".as_slice(), &[SLOT_KEYRING_VERSION, kind as u8, n], vault].concat()
}

/// Wraps every account key generation, oldest first, for the server: a version-1 slot when there is
/// one generation (what every server reads), version 2 otherwise. More than [`MAX_GENERATIONS`] is
/// refused ([`SlotError::Unsupported`]).
pub fn wrap_arks(
    kind: SlotKind,
    secret: &[u8],
    arks: &[AccountRootKey],
    vault: &[u8; 32],
) -> Result<Vec<u8>, SlotError> {
    match arks {
        [] => Err(SlotError::Unsupported),
        [only] => Ok(wrap_ark(kind, secret, only, vault)),
        _ if arks.len() > MAX_GENERATIONS => Err(SlotError::Unsupported),
        _ => {
            let n = u8::try_from(arks.len()).map_err(|_| SlotError::Unsupported)?;
            let wrapping = SymmetricKey::from_bytes(*derive(kind, secret, "wrap"));
            let mut plain = Zeroizing::new(Vec::with_capacity(32 * arks.len()));
            for ark in arks {
                plain.extend_from_slice(ark.as_bytes());
            }
            let mut out = vec![SLOT_KEYRING_VERSION, kind as u8, n];
            out.extend_from_slice(&seal_symmetric(&wrapping, &plain, &keyring_aad(kind, n, vault)));
            Ok(out)
        }
    }
}

/// Opens a slot of either version: every account key generation, oldest first.
pub fn unwrap_arks(secret: &[u8], slot: &[u8], vault: &[u8; 32]) -> Result<Vec<AccountRootKey>, SlotError> {
    let kind = SlotKind::of_slot(slot).ok_or(SlotError::Unsupported)?;
    if slot[0] == SLOT_VERSION {
        return unwrap_ark(secret, slot, vault).map(|ark| vec![ark]);
    }
    let n = *slot.get(2).ok_or(SlotError::Unsupported)?;
    if !(2..=MAX_GENERATIONS).contains(&usize::from(n)) || slot.len() != 44 + 32 * usize::from(n) {
        return Err(SlotError::Unsupported);
    }
    let wrapping = SymmetricKey::from_bytes(*derive(kind, secret, "wrap"));
    let plain =
        open_symmetric(&wrapping, &slot[3..], &keyring_aad(kind, n, vault)).map_err(|_| SlotError::WrongSecret)?;
    Ok(plain
        .chunks_exact(32)
        .map(|c| {
            let mut b = Zeroizing::new([0u8; 32]);
            b.copy_from_slice(c);
            AccountRootKey::from_bytes(*b)
        })
        .collect())
}

/// Opens a slot made by [`wrap_ark`].
pub fn unwrap_ark(secret: &[u8], slot: &[u8], vault: &[u8; 32]) -> Result<AccountRootKey, SlotError> {
    let kind = SlotKind::of_slot(slot).ok_or(SlotError::Unsupported)?;
    if slot.len() != SLOT_LEN || slot[0] != SLOT_VERSION {
        return Err(SlotError::Unsupported);
    }
    let wrapping = SymmetricKey::from_bytes(*derive(kind, secret, "wrap"));
    let key = unwrap_key(&wrapping, &slot[2..], &aad(kind, vault)).map_err(|_| SlotError::WrongSecret)?;
    Ok(AccountRootKey::from_bytes(*key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let ark = AccountRootKey::generate();
        let vault = [9u8; 32];
        let code = [1u8; 16];
        let slot = wrap_ark(SlotKind::Code, &code, &ark, &vault);
        assert_eq!(slot.len(), SLOT_LEN);
        assert_eq!(SlotKind::of_slot(&slot), Some(SlotKind::Code));
        assert_eq!(unwrap_ark(&code, &slot, &vault).expect("open"), ark);
        assert_eq!(unwrap_ark(&[2u8; 16], &slot, &vault), Err(SlotError::WrongSecret));
        assert_eq!(unwrap_ark(&code, &slot, &[8u8; 32]), Err(SlotError::WrongSecret));
        // Relabelling the kind breaks the associated data.
        let mut relabelled = slot.clone();
        relabelled[1] = 2;
        assert_eq!(unwrap_ark(&code, &relabelled, &vault), Err(SlotError::WrongSecret));
        relabelled[1] = 3;
        assert_eq!(unwrap_ark(&code, &relabelled, &vault), Err(SlotError::Unsupported));
        assert_eq!(unwrap_ark(&code, &slot[..40], &vault), Err(SlotError::Unsupported));
    }

    #[test]
    fn every_generation_round_trips_and_one_generation_stays_version_1() {
        let vault = [9u8; 32];
        let code = [1u8; 16];
        let arks = [AccountRootKey::generate(), AccountRootKey::generate(), AccountRootKey::generate()];
        let one = wrap_arks(SlotKind::Code, &code, &arks[..1], &vault).expect("wrap");
        assert_eq!((one[0], one.len()), (SLOT_VERSION, SLOT_LEN));
        assert_eq!(unwrap_arks(&code, &one, &vault).expect("open"), arks[..1].to_vec());
        let three = wrap_arks(SlotKind::Assisted, &code, &arks, &vault).expect("wrap");
        assert_eq!((three[0], three[1], three[2], three.len()), (SLOT_KEYRING_VERSION, 2, 3, 44 + 96));
        assert_eq!(unwrap_arks(&code, &three, &vault).expect("open"), arks.to_vec());
        assert_eq!(unwrap_arks(&[2u8; 16], &three, &vault), Err(SlotError::WrongSecret));
        assert_eq!(unwrap_arks(&code, &three, &[8u8; 32]), Err(SlotError::WrongSecret));
        // The count and the kind are bound; a version-2 slot is not a version-1 one.
        let mut relabelled = three.clone();
        relabelled[1] = 1;
        assert_eq!(unwrap_arks(&code, &relabelled, &vault), Err(SlotError::WrongSecret));
        assert_eq!(unwrap_ark(&code, &three, &vault), Err(SlotError::Unsupported));
        assert_eq!(unwrap_arks(&code, &three[..100], &vault), Err(SlotError::Unsupported));
        assert!(wrap_arks(SlotKind::Code, &code, &[], &vault).is_err());
    }

    #[test]
    fn derivations_are_separated() {
        let s = [5u8; 32];
        let all = [
            *device_seed(SlotKind::Code, &s),
            *device_seed(SlotKind::Assisted, &s),
            *derive(SlotKind::Code, &s, "wrap"),
            *derive(SlotKind::Assisted, &s, "wrap"),
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
        // Pinned: changing a label or the HKDF layout fails here.
        let hk = Hkdf::<Sha256>::new(None, &s);
        let mut okm = [0u8; 32];
        hk.expand(b"coffre/v1/recovery/code/device", &mut okm).expect("expand");
        assert_eq!(*device_seed(SlotKind::Code, &s), okm);
    }
}
