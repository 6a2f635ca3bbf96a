//! Assisted recovery, the cryptographic part: a random 256-bit *assisted key* wraps the ARK (a slot
//! of kind [`SlotKind::Assisted`]) and is split 2-of-3 with Shamir over GF(256) ([`crate::shamir`]):
//!
//! - the **provider** share, kept by the server and released after a rate-limited PIN check;
//! - the **organisation** share, itself split 2-of-n among the organisation's agents, each piece
//!   sealed to one agent's X25519 key: "two agents approve" is enforced by cryptography, not by a
//!   server flag (one agent, or the server holding every sealed piece, learns nothing);
//! - the **kit** share, printed on the recovery kit.
//!
//! Any two shares give the assisted key; one share alone gives no information about it (Shamir).
//!
//! ```text
//! share  = version(1) || role(1) || Shamir share (x(1) || y(32))       role: 1 provider, 2 organisation, 3 kit
//! piece  = version(1) || Shamir share of the organisation share (x(1) || y(35))
//! sealed = seal_to(agent X25519, piece, aad = "coffre/v1/assisted-piece" || vault || agent key)
//! ```
//!
//! Version 2 shares are made with `vsss-rs`; version 1 shares (`blahaj`, another field) still
//! combine, but never with version 2 ones (docs/adr/0006-constant-time-shamir.md).

use coffre_crypto::{AccountRootKey, ExchangePublic, ExchangeSecret, open_sealed, random_bytes, seal_to};
use zeroize::Zeroizing;

pub use crate::assisted_error::AssistedError;
pub use crate::shamir::ShareVersion;
use crate::shamir::{combine, split};
use crate::slot::{SlotKind, device_seed, wrap_arks};

/// Version byte of the shares and pieces made now.
pub const SHARE_VERSION: u8 = ShareVersion::CURRENT as u8;

/// The PIN verifier the server checks before releasing its share: Argon2id (64 MiB, t=3) of the PIN,
/// salted with the vault id, computed on the phone. The server stores only its SHA-256. A PIN is
/// weak, so this verifier protects nothing by itself: it only gates the provider's share, which is
/// one share of three and useless alone; the rate limit (10 tries) stops guessing by outsiders.
pub fn pin_verifier(pin: &str, vault: &[u8; 32]) -> Result<Zeroizing<[u8; 32]>, AssistedError> {
    use argon2::{Algorithm, Argon2, Params, Version};
    let salt = [b"coffre/v1/assisted-pin".as_slice(), vault].concat();
    let params = Params::new(64 * 1024, 3, 1, Some(32)).map_err(|_| AssistedError::Malformed)?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(pin.as_bytes(), &salt, out.as_mut_slice())
        .map_err(|_| AssistedError::Malformed)?;
    Ok(out)
}

/// Who holds a share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Role {
    Provider = 1,
    Organisation = 2,
    Kit = 3,
}

/// The 256-bit assisted key. Zeroized on drop.
pub struct AssistedKey(Zeroizing<[u8; 32]>);

impl AssistedKey {
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The Ed25519 seed of the assisted recovery device (enrolled on the server with the slot).
    pub fn device_seed(&self) -> Zeroizing<[u8; 32]> {
        device_seed(SlotKind::Assisted, self.as_bytes())
    }
}

/// What set-up produces: the slot and the three shares, the organisation's already in sealed pieces.
pub struct AssistedSetup {
    pub key: AssistedKey,
    /// The ARK wrapped under the assisted key (kind 2), for the server.
    pub slot: Vec<u8>,
    /// For the server (released after the PIN check).
    pub provider_share: Zeroizing<Vec<u8>>,
    /// For the organisation: (agent X25519 key, sealed piece), one per agent.
    pub org_pieces: Vec<(ExchangePublic, Vec<u8>)>,
    /// For the printed kit.
    pub kit_share: Zeroizing<Vec<u8>>,
}

fn encode_share(role: Role, share: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(share.len() + 2));
    out.extend_from_slice(&[SHARE_VERSION, role as u8]);
    out.extend_from_slice(share);
    out
}

/// A piece's version and its Shamir share.
fn versioned(piece: &[u8]) -> Result<(ShareVersion, &[u8]), AssistedError> {
    match piece.split_first() {
        Some((version, share)) => Ok((ShareVersion::from_byte(*version).ok_or(AssistedError::Malformed)?, share)),
        None => Err(AssistedError::Malformed),
    }
}

fn piece_aad(vault: &[u8; 32], agent: &ExchangePublic) -> Vec<u8> {
    [b"coffre/v1/assisted-piece".as_slice(), vault, agent.as_bytes()].concat()
}

/// Makes the assisted key, its slot and its shares. `agents` are the X25519 keys of the chosen
/// organisation's agents (at least two).
pub fn setup(
    ark: &AccountRootKey,
    vault: &[u8; 32],
    agents: &[ExchangePublic],
) -> Result<AssistedSetup, AssistedError> {
    setup_arks(std::slice::from_ref(ark), vault, agents)
}

/// [`setup`] for a vault with several account key generations (oldest first): the slot holds them
/// all (`wrap_arks`, version 2 when there are several).
pub fn setup_arks(
    arks: &[AccountRootKey],
    vault: &[u8; 32],
    agents: &[ExchangePublic],
) -> Result<AssistedSetup, AssistedError> {
    if agents.len() < 2 {
        return Err(AssistedError::TooFewAgents);
    }
    let key = AssistedKey(Zeroizing::new(random_bytes()));
    let slot = wrap_arks(SlotKind::Assisted, key.as_bytes(), arks, vault).map_err(|_| AssistedError::Malformed)?;
    let shares = split(key.as_bytes(), 3)?;
    let [provider, org, kit] = shares.as_slice() else { return Err(AssistedError::Malformed) };
    let org_bytes = encode_share(Role::Organisation, org);
    let pieces = split(&org_bytes, agents.len())?;
    let mut org_pieces = Vec::with_capacity(agents.len());
    for (agent, piece) in agents.iter().zip(&pieces) {
        let mut plain = Zeroizing::new(Vec::with_capacity(piece.len() + 1));
        plain.push(SHARE_VERSION);
        plain.extend_from_slice(piece);
        let sealed = seal_to(agent, &plain, &piece_aad(vault, agent)).map_err(|_| AssistedError::Malformed)?;
        org_pieces.push((*agent, sealed));
    }
    Ok(AssistedSetup {
        key,
        slot,
        provider_share: encode_share(Role::Provider, provider),
        org_pieces,
        kit_share: encode_share(Role::Kit, kit),
    })
}

/// An agent opens its sealed piece (to hand it, sealed again, to the holder's new phone).
pub fn open_piece(
    agent: &ExchangeSecret,
    vault: &[u8; 32],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, AssistedError> {
    open_sealed(agent, sealed, &piece_aad(vault, &agent.public())).map_err(|_| AssistedError::NotForThisAgent)
}

/// Two agents' pieces give the organisation share.
pub fn org_share_from_pieces(pieces: &[&[u8]]) -> Result<Zeroizing<Vec<u8>>, AssistedError> {
    let shares = pieces.iter().map(|p| versioned(p)).collect::<Result<Vec<_>, _>>()?;
    combine(&shares)
}

/// Two shares of different holders give the assisted key.
pub fn assisted_key(shares: &[&[u8]]) -> Result<AssistedKey, AssistedError> {
    let mut roles = Vec::new();
    let mut parsed = Vec::new();
    for s in shares {
        let (version, role, body) = match s {
            [v, r, body @ ..] => (ShareVersion::from_byte(*v), *r, body),
            _ => return Err(AssistedError::Malformed),
        };
        let Some(version) = version else { return Err(AssistedError::Malformed) };
        if !(1..=3).contains(&role) || body.len() != 33 {
            return Err(AssistedError::Malformed);
        }
        roles.push(role);
        parsed.push((version, body));
    }
    roles.sort_unstable();
    roles.dedup();
    if roles.len() < 2 {
        return Err(AssistedError::NotEnough);
    }
    let secret = combine(&parsed)?;
    let bytes: [u8; 32] = secret.as_slice().try_into().map_err(|_| AssistedError::Malformed)?;
    Ok(AssistedKey(Zeroizing::new(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slot::{SlotError, unwrap_ark};

    fn agents(n: usize) -> Vec<ExchangeSecret> {
        (0..n).map(|_| ExchangeSecret::generate()).collect()
    }

    #[test]
    fn any_two_holders_restore_and_no_one_alone() {
        let ark = AccountRootKey::generate();
        let vault = [3u8; 32];
        let team = agents(3);
        let pubs: Vec<_> = team.iter().map(|a| a.public()).collect();
        let set = setup(&ark, &vault, &pubs).expect("setup");
        let piece = |i: usize| open_piece(&team[i], &vault, &set.org_pieces[i].1).expect("piece");
        let (p0, p2) = (piece(0), piece(2));
        let org = org_share_from_pieces(&[&p0, &p2]).expect("two agents");
        let (prov, kit) = (set.provider_share.as_slice(), set.kit_share.as_slice());
        for pair in [[prov, org.as_slice()], [prov, kit], [org.as_slice(), kit]] {
            let key = assisted_key(&pair).expect("two shares");
            assert_eq!(key.as_bytes(), set.key.as_bytes());
            assert_eq!(unwrap_ark(key.as_bytes(), &set.slot, &vault).expect("slot"), ark);
        }
        // One holder alone, or one share twice: refused.
        for alone in [prov, org.as_slice(), kit] {
            assert!(matches!(assisted_key(&[alone]), Err(AssistedError::NotEnough)));
            assert!(matches!(assisted_key(&[alone, alone]), Err(AssistedError::NotEnough)));
        }
        // One agent alone cannot make the organisation share.
        assert!(matches!(org_share_from_pieces(&[&p0]), Err(AssistedError::NotEnough)));
        // A piece opens only for its agent.
        assert!(matches!(open_piece(&team[1], &vault, &set.org_pieces[0].1), Err(AssistedError::NotForThisAgent)));
        // A forged share does not open the slot: the AEAD says so.
        let mut forged = set.kit_share.to_vec();
        forged[5] ^= 1;
        let key = assisted_key(&[prov, &forged]).expect("combines");
        assert_eq!(unwrap_ark(key.as_bytes(), &set.slot, &vault), Err(SlotError::WrongSecret));
    }

    /// One share alone says nothing: for a fixed share, every candidate secret is still possible
    /// (checked on one byte: some second share maps it to each of the 256 values).
    #[test]
    fn one_share_reveals_nothing_about_a_byte() {
        for version in [ShareVersion::V1, ShareVersion::V2] {
            let share = [1u8, 0x42];
            let mut seen = [false; 256];
            for y in 0..=255u8 {
                let secret = combine(&[(version, share.as_slice()), (version, [2u8, y].as_slice())]).expect("recover");
                seen[secret[0] as usize] = true;
            }
            assert!(seen.iter().all(|s| *s));
        }
    }

    #[test]
    fn too_few_agents_and_bad_shares() {
        let ark = AccountRootKey::generate();
        let one = agents(1);
        assert!(matches!(setup(&ark, &[0; 32], &[one[0].public()]), Err(AssistedError::TooFewAgents)));
        assert!(matches!(assisted_key(&[&[1, 1], &[1, 2]]), Err(AssistedError::Malformed)));
        assert!(matches!(assisted_key(&[&[9; 35], &[9; 35]]), Err(AssistedError::Malformed)));
    }
}
