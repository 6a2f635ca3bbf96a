//! The desk: the agent's app shows [`agent_offer`] as a QR; the holder's app shows [`scan`] (the short
//! code and the certified identity), then [`grant`] signs the mandate with the holder identity key,
//! stores it on the server and leaves it for the agent in a one-shot mailbox derived from the QR; the
//! agent's app picks it up with [`agent_receive`].

use coffre_crypto::sha256;
use coffre_mandate::wire::MandateBody;
use coffre_mandate::{
    AgentCertificate, AgentKeys, Mandate, MandateError, MandateOffer, MandateTerms, Scope, Scopes, b64, identity_line,
};
use coffre_vault::Vault;
use serde::Serialize;

use super::flow::{MandateFlowError, Result, agent_client, now};
use super::package::publish_package;
use crate::session::{server_url, session};

/// The one-shot mailbox secret for handing the mandate to the agent: only who saw the QR knows it.
fn mailbox_secret(offer: &MandateOffer) -> [u8; 32] {
    sha256(&[b"coffre-mandate-mailbox-v1".as_slice(), &offer.encode()].concat())
}

/// What the holder's screen shows after scanning the agent's QR.
#[derive(Debug, Clone, Serialize)]
pub struct ScannedOffer {
    pub short_code: String,
    /// "Mme X (rôle) — CCAS de Y, valide jusqu'au …"
    pub identity_fr: String,
    pub identity_en: String,
    pub org_key: String,
    pub server_url: String,
}

/// Parses and checks the agent's QR.
pub fn scan(qr_text: &str) -> Result<ScannedOffer> {
    let o = MandateOffer::parse(qr_text, now())?;
    Ok(ScannedOffer {
        short_code: o.short_code(),
        identity_fr: identity_line(&o.cert, true),
        identity_en: identity_line(&o.cert, false),
        org_key: b64(&o.cert.org_pk),
        server_url: o.server_url.clone(),
    })
}

/// Signs a mandate for the agent of `qr_text` (after the person compared the codes), stores it on the
/// server and leaves it in the agent's mailbox. `days` from now.
pub fn grant(
    vault: &mut Vault,
    qr_text: &str,
    scopes: &[Scope],
    collections: Vec<String>,
    days: u32,
) -> Result<Mandate> {
    let offer = MandateOffer::parse(qr_text, now())?;
    if server_url(vault)?.as_deref() != Some(offer.server_url.as_str()) {
        return Err(MandateFlowError::OtherServer);
    }
    let client = session(vault)?.client;
    let id = vault.root_key().derive_identity(0);
    let t = now();
    let terms = MandateTerms {
        scopes: Scopes::of(scopes),
        collections,
        not_before: t.saturating_sub(60),
        not_after: t + u64::from(days.max(1)) * 86_400,
    };
    let m = Mandate::sign(
        &id.signing,
        *id.exchange.public().as_bytes(),
        coffre_crypto::random_bytes(),
        offer.cert.clone(),
        offer.nonce,
        terms,
    )?;
    let body = MandateBody { v: 1, mandate: b64(&m.encode()), created_at: 0, revoked_at: None };
    client.store_mandate(&body)?;
    client.mailbox_put(&mailbox_secret(&offer), &m.encode())?;
    if m.scopes.contains(Scope::Consult) || m.scopes.contains(Scope::Extract) {
        publish_package(vault, &coffre_sync::protocol::MandateId::from(m.id).to_string())?;
    }
    Ok(m)
}

/// The agent's QR for the desk; keep it to receive the mandate.
pub fn agent_offer(cert: &AgentCertificate, keys: &AgentKeys, server_url: &str) -> Result<MandateOffer> {
    Ok(MandateOffer::new(cert.clone(), &keys.signing, server_url, coffre_crypto::random_bytes(), now())?)
}

/// Picks up the mandate the holder left for this offer; [`MandateFlowError::Pending`] if not yet.
pub fn agent_receive(offer: &MandateOffer, keys: &AgentKeys) -> Result<Mandate> {
    let client = agent_client(&offer.server_url, keys)?;
    let secret = mailbox_secret(offer);
    let Some(bytes) = client.mailbox_get(&secret)? else { return Err(MandateFlowError::Pending) };
    let m = Mandate::decode_verified(&bytes)?;
    if m.cert.device_pk != keys.device_pk() || m.offer_nonce != offer.nonce {
        return Err(MandateError::Mismatch("the mandate is for another desk session").into());
    }
    let _ = client.mailbox_delete(&secret);
    Ok(m)
}
