//! Wire types of an account key generation switch (docs/adr/0009-account-key-generations.md): after
//! a lost phone is removed, an enrolled device moves the vault to a new account root key. The server
//! accepts the switch only when the vault's current generation identity signed it (and the new one,
//! proving it is held), then keeps exactly the listed devices as members.

use serde::{Deserialize, Serialize};

use crate::{Hash, PublicKey};

const GENERATION_LABEL: &[u8] = b"coffre-generation-v1";

/// `POST /v1/vaults/{vault}/generation`, from an enrolled device that is in `devices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationSwitch {
    pub v: u32,
    /// The new generation: the vault's current one plus one (generation 0 is the registered identity).
    pub generation: u32,
    /// The new generation's identity public key, base64url.
    pub identity_pk: String,
    /// The devices that stay members (base64url public keys); every other member is removed.
    pub devices: Vec<String>,
    /// Signature of [`generation_message`] by the current generation's identity key, base64url.
    pub previous_sig: String,
    /// Signature of [`generation_message`] by the new identity key (it is held), base64url.
    pub identity_sig: String,
}

/// Answer to [`GenerationSwitch`]: the members it removed (base64url), for the audit and the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationSwitched {
    pub v: u32,
    pub generation: u32,
    pub removed: Vec<String>,
}

/// What both identities sign: `"coffre-generation-v1" || vault || generation (u32 BE) ||
/// new identity || n (u32 BE) || the n devices, sorted`. The device list is bound, so a relayed
/// switch cannot keep another key as a member.
pub fn generation_message(vault: &Hash, generation: u32, identity: &PublicKey, devices: &[PublicKey]) -> Vec<u8> {
    let mut sorted = devices.to_vec();
    sorted.sort_unstable();
    let n = u32::try_from(sorted.len()).unwrap_or(u32::MAX);
    let mut out = [GENERATION_LABEL, vault, &generation.to_be_bytes(), identity, &n.to_be_bytes()].concat();
    for d in &sorted {
        out.extend_from_slice(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_binds_every_field_and_not_the_order_of_devices() {
        let base = generation_message(&[1; 32], 1, &[2; 32], &[[3; 32], [4; 32]]);
        assert_eq!(base, generation_message(&[1; 32], 1, &[2; 32], &[[4; 32], [3; 32]]));
        assert_eq!(&base[..20], GENERATION_LABEL);
        assert_eq!(base.len(), 20 + 32 + 4 + 32 + 4 + 64);
        for other in [
            generation_message(&[9; 32], 1, &[2; 32], &[[3; 32], [4; 32]]),
            generation_message(&[1; 32], 2, &[2; 32], &[[3; 32], [4; 32]]),
            generation_message(&[1; 32], 1, &[9; 32], &[[3; 32], [4; 32]]),
            generation_message(&[1; 32], 1, &[2; 32], &[[3; 32]]),
        ] {
            assert_ne!(base, other);
        }
    }
}
