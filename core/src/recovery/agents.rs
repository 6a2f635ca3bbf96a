//! Assisted recovery with an organisation's *certified* agents (docs/recovery.md §3, docs/agents.md).
//!
//! - Set-up ([`setup_assisted_with_agents`]): the holder names agents by their organisation
//!   certificates (`coffre org enrol-agent`). Each must verify under the organisation key, be inside
//!   its validity window and not be revoked in the organisation's signed list published on the server;
//!   the organisation must be registered there. Only then are the organisation's pieces sealed to the
//!   agents' X25519 keys.
//! - Approval: after the delay the new phone shows an agent an approval request
//!   ([`AssistedRequest::approval_request`]); the agent ([`agent_approve`], with its key file) opens
//!   its piece and seals it again to the phone; two approvals give the organisation share
//!   ([`AssistedRequest::org_share_from_approvals`]).

use coffre_crypto::{ExchangePublic, ExchangeSecret};
use coffre_mandate::{AgentCertificate, AgentKeys, AgentRevocation, MandateError, OrgRegistration};
use coffre_recovery::approval::{ApprovalRequest, approve, org_share_from_approvals};
use coffre_recovery::assisted::AssistedError;
use coffre_sync::protocol::recovery::AssistedShares;
use coffre_sync::protocol::{b64, unb64, unb64_array};
use coffre_sync::{BlockingClient, SyncError};
use coffre_vault::Vault;
use zeroize::Zeroizing;

use super::assisted_request::{AssistedRequest, setup_assisted};
use crate::error::{AgentCheckError, Result};
use crate::session::session;

const REQUEST_PREFIX: &str = "COFFRE-ASSIST-REQ:";
const APPROVAL_PREFIX: &str = "COFFRE-ASSIST-OK:";

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Checks `certs` as the holder's agents at `now`: same organisation (`org`, when given), valid
/// signatures and windows, distinct devices, organisation registered on the server and none revoked in
/// its signed list. Returns the organisation key and the agents' X25519 keys.
pub fn certified_agents(
    client: &BlockingClient,
    org: Option<&[u8; 32]>,
    certs: &[AgentCertificate],
    now: u64,
) -> Result<([u8; 32], Vec<ExchangePublic>)> {
    let org = *org.or(certs.first().map(|c| &c.org_pk)).ok_or(AssistedError::TooFewAgents)?;
    let mut seen: Vec<[u8; 32]> = Vec::new();
    for c in certs {
        c.verify(now).map_err(AgentCheckError::from)?;
        if c.org_pk != org {
            return Err(AgentCheckError::OtherOrganisation.into());
        }
        if seen.contains(&c.device_pk) || seen.contains(&c.x25519_pk) {
            return Err(AgentCheckError::Duplicate.into());
        }
        seen.extend([c.device_pk, c.x25519_pk]);
    }
    let info = client.org_info(&org)?.ok_or(AgentCheckError::UnknownOrganisation)?;
    let bad = |_| SyncError::Protocol("malformed organisation info".into());
    let reg = OrgRegistration::decode_verified(&unb64(&info.registration, "registration").map_err(bad)?)
        .map_err(AgentCheckError::from)?;
    if reg.org_pk != org {
        return Err(SyncError::Tampered { what: "organisation registration", seq: None }.into());
    }
    for r in &info.revocations {
        let rev =
            AgentRevocation::decode_verified(&unb64(r, "revocation").map_err(bad)?).map_err(AgentCheckError::from)?;
        if rev.org_pk == org && certs.iter().any(|c| c.device_pk == rev.device_pk) {
            return Err(AgentCheckError::Revoked.into());
        }
    }
    Ok((org, certs.iter().map(AgentCertificate::exchange_public).collect()))
}

/// Sets up assisted recovery with the organisation's certified agents (at least two; any two of them
/// approve). `org`, when given, is the organisation the holder chose (its published key). Returns the
/// kit share, to print with the kit.
pub fn setup_assisted_with_agents(
    vault: &mut Vault,
    pin: &str,
    org: Option<&[u8; 32]>,
    certs: &[AgentCertificate],
) -> Result<Zeroizing<Vec<u8>>> {
    let client = session(vault)?.client;
    let (org, agents) = certified_agents(&client, org, certs, now())?;
    drop(client);
    setup_assisted(vault, pin, &org, &agents)
}

impl AssistedRequest {
    /// What to show the organisation's agents once the server released the shares: the vault, this
    /// phone's X25519 key and the sealed pieces.
    pub fn approval_request(&self, shares: &AssistedShares) -> Result<String> {
        let bad = || SyncError::Protocol("malformed organisation pieces".into());
        let mut pieces = Vec::with_capacity(shares.org_pieces.len());
        for p in &shares.org_pieces {
            let agent: [u8; 32] = unb64_array(&p.agent, "agent").map_err(|_| bad())?;
            pieces.push((ExchangePublic::from_bytes(agent), unb64(&p.piece, "piece").map_err(|_| bad())?));
        }
        let requester = ExchangeSecret::from_bytes(*self.exchange).public();
        let req = ApprovalRequest { vault: self.vault, requester, pieces };
        Ok(format!("{REQUEST_PREFIX}{}", b64(&req.encode()?)))
    }

    /// Two agents' approvals (texts from [`agent_approve`]) give the organisation share.
    pub fn org_share_from_approvals(&self, approvals: &[&str]) -> Result<Zeroizing<Vec<u8>>> {
        let mut raw = Vec::with_capacity(approvals.len());
        for a in approvals {
            let body = a.trim().strip_prefix(APPROVAL_PREFIX).ok_or(AgentCheckError::NotARequest)?;
            raw.push(unb64(body, "approval").map_err(|_| AgentCheckError::NotARequest)?);
        }
        let refs: Vec<&[u8]> = raw.iter().map(Vec::as_slice).collect();
        Ok(org_share_from_approvals(&ExchangeSecret::from_bytes(*self.exchange), &self.vault, &refs)?)
    }
}

/// What an agent's approval gives: the text to hand back to the phone, and the vault (hex) to note.
pub struct Approval {
    pub text: String,
    pub vault: String,
}

/// The agent's side: with its certificate (still valid) and keys, opens its piece of the request
/// and seals it again to the requesting phone. The agent checks the person at the desk first.
pub fn agent_approve(cert: &AgentCertificate, keys: &AgentKeys, request: &str) -> Result<Approval> {
    cert.verify(now()).map_err(AgentCheckError::from)?;
    if cert.x25519_pk != keys.x25519_pk() {
        return Err(AgentCheckError::Certificate(MandateError::Mismatch("certificate of another agent")).into());
    }
    let body = request.trim().strip_prefix(REQUEST_PREFIX).ok_or(AgentCheckError::NotARequest)?;
    let req = ApprovalRequest::decode(&unb64(body, "request").map_err(|_| AgentCheckError::NotARequest)?)?;
    let approval = approve(&keys.exchange, &req)?;
    Ok(Approval {
        text: format!("{APPROVAL_PREFIX}{}", b64(&approval)),
        vault: coffre_sync::protocol::VaultId::from(req.vault).to_string(),
    })
}
