//! An organisation agent's approval of an assisted recovery (docs/recovery.md §3).
//!
//! After the delay, the new phone holds the organisation's pieces, each sealed to one agent. It shows
//! an agent an [`ApprovalRequest`]: the vault, its own X25519 key (a fresh one per request) and the
//! sealed pieces. The agent, having checked the person at the desk, opens its own piece and seals it
//! again to the phone ([`approve`]). Two approvals from two agents give the organisation share
//! ([`org_share_from_approvals`]); neither the agent nor anyone relaying the approval learns it.
//!
//! ```text
//! request  = version(1)=1 || vault(32) || requester X25519(32) || n(1) || n × (agent X25519(32) || len(u16 BE) || sealed piece)
//! approval = version(1)=1 || agent X25519(32) || seal_to(requester, piece, aad)
//! aad      = "coffre/v1/assisted-approval" || vault || requester X25519 || agent X25519
//! ```

use coffre_crypto::{ExchangePublic, ExchangeSecret, open_sealed, seal_to};
use zeroize::Zeroizing;

use crate::assisted::{AssistedError, open_piece, org_share_from_pieces};

/// Version byte of requests and approvals.
pub const APPROVAL_VERSION: u8 = 1;
/// Most pieces a request may carry (the server accepts 2..=64 agents).
pub const MAX_PIECES: usize = 64;
/// Largest sealed piece accepted (a piece is ~40 bytes; sealing adds a key, a nonce and a tag).
const MAX_SEALED: usize = 512;

/// What the new phone shows the agents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRequest {
    pub vault: [u8; 32],
    /// Where the agents seal their approvals.
    pub requester: ExchangePublic,
    /// (agent X25519 key, piece sealed to it), as the server released them.
    pub pieces: Vec<(ExchangePublic, Vec<u8>)>,
}

impl ApprovalRequest {
    pub fn encode(&self) -> Result<Vec<u8>, AssistedError> {
        let n = u8::try_from(self.pieces.len()).map_err(|_| AssistedError::Malformed)?;
        if self.pieces.len() > MAX_PIECES {
            return Err(AssistedError::Malformed);
        }
        let mut out = vec![APPROVAL_VERSION];
        out.extend_from_slice(&self.vault);
        out.extend_from_slice(self.requester.as_bytes());
        out.push(n);
        for (agent, sealed) in &self.pieces {
            let len = u16::try_from(sealed.len()).ok().filter(|l| usize::from(*l) <= MAX_SEALED);
            let len = len.ok_or(AssistedError::Malformed)?;
            out.extend_from_slice(agent.as_bytes());
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(sealed);
        }
        Ok(out)
    }

    pub fn decode(b: &[u8]) -> Result<Self, AssistedError> {
        let mut r = Cursor(b);
        if r.take(1)? != [APPROVAL_VERSION] {
            return Err(AssistedError::Malformed);
        }
        let vault = r.arr()?;
        let requester = ExchangePublic::from_bytes(r.arr()?);
        let n = usize::from(r.take(1)?[0]);
        if n > MAX_PIECES {
            return Err(AssistedError::Malformed);
        }
        let mut pieces = Vec::with_capacity(n);
        for _ in 0..n {
            let agent = ExchangePublic::from_bytes(r.arr()?);
            let len = u16::from_be_bytes(r.arr()?);
            if usize::from(len) > MAX_SEALED {
                return Err(AssistedError::Malformed);
            }
            pieces.push((agent, r.take(usize::from(len))?.to_vec()));
        }
        if !r.0.is_empty() {
            return Err(AssistedError::Malformed);
        }
        Ok(ApprovalRequest { vault, requester, pieces })
    }
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], AssistedError> {
        if self.0.len() < n {
            return Err(AssistedError::Malformed);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn arr<const N: usize>(&mut self) -> Result<[u8; N], AssistedError> {
        self.take(N)?.try_into().map_err(|_| AssistedError::Malformed)
    }
}

fn approval_aad(vault: &[u8; 32], requester: &ExchangePublic, agent: &ExchangePublic) -> Vec<u8> {
    [b"coffre/v1/assisted-approval".as_slice(), vault, requester.as_bytes(), agent.as_bytes()].concat()
}

/// The agent's side: opens the piece sealed to `agent` and seals it again to the requester.
/// [`AssistedError::NotForThisAgent`] if the request holds no piece for this agent (another
/// organisation, or an agent enrolled after the holder's set-up).
pub fn approve(agent: &ExchangeSecret, request: &ApprovalRequest) -> Result<Vec<u8>, AssistedError> {
    let me = agent.public();
    let (_, sealed) =
        request.pieces.iter().find(|(a, _)| a.as_bytes() == me.as_bytes()).ok_or(AssistedError::NotForThisAgent)?;
    let piece = open_piece(agent, &request.vault, sealed)?;
    let resealed = seal_to(&request.requester, &piece, &approval_aad(&request.vault, &request.requester, &me))
        .map_err(|_| AssistedError::Malformed)?;
    let mut out = vec![APPROVAL_VERSION];
    out.extend_from_slice(me.as_bytes());
    out.extend_from_slice(&resealed);
    Ok(out)
}

/// The new phone's side: two approvals of two different agents give the organisation share.
pub fn org_share_from_approvals(
    requester: &ExchangeSecret,
    vault: &[u8; 32],
    approvals: &[&[u8]],
) -> Result<Zeroizing<Vec<u8>>, AssistedError> {
    let me = requester.public();
    let mut agents: Vec<[u8; 32]> = Vec::new();
    let mut pieces = Vec::new();
    for a in approvals {
        let (head, sealed) = match a.split_first() {
            Some((&APPROVAL_VERSION, rest)) if rest.len() > 32 => rest.split_at(32),
            _ => return Err(AssistedError::Malformed),
        };
        let agent: [u8; 32] = head.try_into().map_err(|_| AssistedError::Malformed)?;
        if agents.contains(&agent) {
            continue;
        }
        let aad = approval_aad(vault, &me, &ExchangePublic::from_bytes(agent));
        pieces.push(open_sealed(requester, sealed, &aad).map_err(|_| AssistedError::NotForThisAgent)?);
        agents.push(agent);
    }
    if pieces.len() < 2 {
        return Err(AssistedError::NotEnough);
    }
    let refs: Vec<&[u8]> = pieces.iter().map(|p| p.as_slice()).collect();
    org_share_from_pieces(&refs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assisted::{assisted_key, setup};
    use coffre_crypto::AccountRootKey;

    #[test]
    fn two_agents_approve_and_the_phone_rebuilds_the_key() {
        let ark = AccountRootKey::generate();
        let vault = [5u8; 32];
        let team: Vec<ExchangeSecret> = (0..3).map(|_| ExchangeSecret::generate()).collect();
        let pubs: Vec<_> = team.iter().map(|a| a.public()).collect();
        let set = setup(&ark, &vault, &pubs).expect("setup");
        let phone = ExchangeSecret::generate();
        let req = ApprovalRequest { vault, requester: phone.public(), pieces: set.org_pieces.clone() };
        let req = ApprovalRequest::decode(&req.encode().expect("encode")).expect("decode");
        let a0 = approve(&team[0], &req).expect("agent 0");
        let a2 = approve(&team[2], &req).expect("agent 2");
        // One agent, even twice, is not enough.
        assert_eq!(org_share_from_approvals(&phone, &vault, &[&a0, &a0]).err(), Some(AssistedError::NotEnough));
        let org = org_share_from_approvals(&phone, &vault, &[&a0, &a2]).expect("two agents");
        let key = assisted_key(&[&org, &set.provider_share]).expect("key");
        assert_eq!(key.as_bytes(), set.key.as_bytes());
        // Another phone (or whoever relays the approvals) cannot open them.
        let other = ExchangeSecret::generate();
        assert_eq!(org_share_from_approvals(&other, &vault, &[&a0, &a2]).err(), Some(AssistedError::NotForThisAgent));
        // An agent of another organisation has no piece here.
        assert_eq!(approve(&ExchangeSecret::generate(), &req).err(), Some(AssistedError::NotForThisAgent));
        // A request that lies about which piece is whose does not open.
        let mut swapped = req.clone();
        swapped.pieces[0].1 = req.pieces[1].1.clone();
        assert_eq!(approve(&team[0], &swapped).err(), Some(AssistedError::NotForThisAgent));
    }

    #[test]
    fn malformed_requests_are_refused() {
        assert_eq!(ApprovalRequest::decode(&[]).err(), Some(AssistedError::Malformed));
        assert_eq!(ApprovalRequest::decode(&[2; 66]).err(), Some(AssistedError::Malformed));
        let mut b = vec![1u8];
        b.extend_from_slice(&[0; 64]);
        b.push(1);
        b.extend_from_slice(&[0; 32]);
        b.extend_from_slice(&600u16.to_be_bytes());
        assert_eq!(ApprovalRequest::decode(&b).err(), Some(AssistedError::Malformed));
        assert_eq!(
            org_share_from_approvals(&ExchangeSecret::generate(), &[0; 32], &[&[1, 2]]).err(),
            Some(AssistedError::Malformed)
        );
    }
}
