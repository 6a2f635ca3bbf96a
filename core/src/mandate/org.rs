//! The organisation's admin: registering its key, revoking agent devices, and the texts that carry a
//! certificate or a mandate from one person to another.

use coffre_mandate::wire::{OrgRegisterRequest, RevocationRequest};
use coffre_mandate::{AgentCertificate, Mandate, MandateError, b64, unb64};
use coffre_sync::BlockingClient;

use super::flow::{Result, now};

/// A client for endpoints that authenticate by their signed body, not by the request signature
/// (organisation registration and revocations): requests are signed by a throwaway key.
fn anonymous(server_url: &str) -> Result<BlockingClient> {
    Ok(BlockingClient::new(server_url, coffre_crypto::SigningKey::generate())?)
}

/// Registers the organisation's public key with a server (idempotent).
pub fn register_org(server_url: &str, org: &coffre_mandate::OrgKey) -> Result<()> {
    let body = OrgRegisterRequest { v: 1, registration: b64(&org.registration(now()).encode()) };
    Ok(anonymous(server_url)?.register_org(&body)?)
}

/// Publishes the revocation of an agent device; the server refuses its requests from now on.
pub fn revoke_agent(server_url: &str, org: &coffre_mandate::OrgKey, device_pk: [u8; 32]) -> Result<()> {
    let body = RevocationRequest { v: 1, revocation: b64(&org.revoke(device_pk, now()).encode()) };
    Ok(anonymous(server_url)?.revoke_agent(&org.public(), &body)?)
}

const CERT_PREFIX: &str = "COFFRE-AGENT-CERT:";
const MANDATE_PREFIX: &str = "COFFRE-MANDATE:";

/// A certificate as text, to hand from the admin to the agent.
/// An agent asks the server for a one-use invitation code that lets one person create a vault (servers
/// that create vaults only by invitation); the agent's certificate proves it speaks for its structure.
pub fn agent_invitation(
    server_url: &str,
    keys: &coffre_mandate::AgentKeys,
    cert: &AgentCertificate,
) -> Result<coffre_sync::protocol::InvitationResponse> {
    let client = super::flow::agent_client(server_url, keys)?;
    Ok(client.create_invitation(&cert.org_pk, &cert.encode())?)
}

pub fn cert_to_text(cert: &AgentCertificate) -> String {
    format!("{CERT_PREFIX}{}", b64(&cert.encode()))
}

pub fn cert_from_text(s: &str) -> Result<AgentCertificate> {
    let body = s.trim().strip_prefix(CERT_PREFIX).ok_or(MandateError::Malformed("certificate text"))?;
    Ok(AgentCertificate::decode(&unb64(body, coffre_mandate::org::MAX_CERT_LEN, "certificate text")?)?)
}

/// A mandate as text (the agent keeps it to act under it).
pub fn mandate_to_text(m: &Mandate) -> String {
    format!("{MANDATE_PREFIX}{}", b64(&m.encode()))
}

pub fn mandate_from_text(s: &str) -> Result<Mandate> {
    let body = s.trim().strip_prefix(MANDATE_PREFIX).ok_or(MandateError::Malformed("mandate text"))?;
    Ok(Mandate::decode_verified(&unb64(body, coffre_mandate::mandate::MAX_MANDATE_LEN, "mandate text")?)?)
}
