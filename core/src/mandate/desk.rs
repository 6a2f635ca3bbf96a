//! The desk: the agent's app shows [`agent_offer`] as a QR; the holder's app scans it with
//! [`HolderDesk::start`] (the certified identity, and this phone's random contribution sent at once);
//! the agent's app reads the contribution and reveals its nonce ([`DeskOffer::short_code`]); both show
//! the same six digits, which neither side could choose (docs/adr/0015). Then [`HolderDesk::grant`],
//! with the digits the person read on the agent's screen, signs the mandate with the holder identity
//! key, stores it on the server and leaves it for the agent in a one-shot mailbox derived from the QR;
//! the agent's app picks it up with [`agent_receive`].

use std::sync::OnceLock;

use coffre_crypto::sas::SasNonce;
use coffre_mandate::wire::MandateBody;
use coffre_mandate::{
    AgentCertificate, AgentKeys, DeskSlot, Mandate, MandateError, MandateOffer, MandateTerms, Scope, Scopes, b64,
    decode_desk_nonce, encode_desk_nonce, identity_line,
};
use coffre_sync::{BlockingClient, SyncError};
use coffre_vault::Vault;
use serde::Serialize;

use super::flow::{MandateFlowError, Result, agent_client, now};
use super::package::publish_package;
use crate::error::EngineError;
use crate::session::{server_url, session};

/// What the holder's screen shows after scanning the agent's QR (the digits come later, from
/// [`HolderDesk::short_code`]).
#[derive(Debug, Clone, Serialize)]
pub struct ScannedOffer {
    /// "Mme X (rôle) — CCAS de Y, valide jusqu'au …"
    pub identity_fr: String,
    pub identity_en: String,
    pub org_key: String,
    pub server_url: String,
}

/// Parses and checks the agent's QR (no network): who it is, before anything is sent.
pub fn scan(qr_text: &str) -> Result<ScannedOffer> {
    let o = MandateOffer::parse(qr_text, now())?;
    Ok(scanned(&o))
}

fn scanned(o: &MandateOffer) -> ScannedOffer {
    ScannedOffer {
        identity_fr: identity_line(&o.cert, true),
        identity_en: identity_line(&o.cert, false),
        org_key: b64(&o.cert.org_pk),
        server_url: o.server_url.clone(),
    }
}

/// The holder's side of one desk session, from the scan to the signature.
pub struct HolderDesk {
    offer: MandateOffer,
    contribution: SasNonce,
    client: BlockingClient,
    code: OnceLock<String>,
}

impl HolderDesk {
    /// After scanning the agent's QR: checks it (certificate, signature, same server as this vault)
    /// and sends this phone's contribution. A QR another phone already answered is
    /// [`SyncError::LinkAnswered`]: someone else saw it, start again.
    pub fn start(vault: &mut Vault, qr_text: &str) -> Result<HolderDesk> {
        let offer = MandateOffer::parse(qr_text, now())?;
        if server_url(vault)?.as_deref() != Some(offer.server_url.as_str()) {
            return Err(MandateFlowError::OtherServer);
        }
        let client = session(vault)?.client;
        let contribution = SasNonce::generate();
        match client.mailbox_put(&offer.mailbox(DeskSlot::Contribution), &encode_desk_nonce(&contribution)) {
            Ok(()) => {}
            Err(SyncError::Server { status: 409, .. }) => return Err(SyncError::LinkAnswered.into()),
            Err(e) => return Err(e.into()),
        }
        Ok(HolderDesk { offer, contribution, client, code: OnceLock::new() })
    }

    /// Who the agent is, as certified.
    pub fn scanned(&self) -> ScannedOffer {
        scanned(&self.offer)
    }

    /// The six digits, once the agent's device revealed its nonce; `None` until then. A reveal that
    /// is not the nonce the QR committed to is refused: another QR was shown.
    pub fn short_code(&self) -> Result<Option<String>> {
        if let Some(c) = self.code.get() {
            return Ok(Some(c.clone()));
        }
        let Some(msg) = self.client.mailbox_get(&self.offer.mailbox(DeskSlot::Reveal))? else { return Ok(None) };
        let code = self
            .offer
            .short_code(&self.contribution, &decode_desk_nonce(&msg)?)
            .map_err(|_| MandateFlowError::from(SyncError::LinkRevealMismatch))?;
        Ok(Some(self.code.get_or_init(|| code).clone()))
    }

    /// Signs a mandate for this agent once the person compared the digits: `confirmed_code` is what
    /// the agent's screen shows, else [`EngineError::LinkCodeMismatch`] and nothing is signed. Stores
    /// it on the server and leaves it in the agent's mailbox. `days` from now.
    pub fn grant(
        &self,
        vault: &mut Vault,
        confirmed_code: &str,
        scopes: &[Scope],
        collections: Vec<String>,
        days: u32,
    ) -> Result<Mandate> {
        let Some(code) = self.short_code()? else { return Err(MandateFlowError::Pending) };
        if code != confirmed_code.trim() {
            return Err(EngineError::LinkCodeMismatch.into());
        }
        let offer = &self.offer;
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
        client.mailbox_put(&offer.mailbox(DeskSlot::Mandate), &m.encode())?;
        if m.scopes.contains(Scope::Consult) || m.scopes.contains(Scope::Extract) {
            publish_package(vault, &coffre_sync::protocol::MandateId::from(m.id).to_string())?;
        }
        Ok(m)
    }
}

/// The agent's side of one desk session: the QR and the nonce it committed to.
pub struct DeskOffer {
    pub offer: MandateOffer,
    nonce: SasNonce,
    contribution: OnceLock<SasNonce>,
}

impl DeskOffer {
    /// The text to render as a QR code.
    pub fn to_qr_text(&self) -> String {
        self.offer.to_qr_text()
    }

    /// The six digits, once the holder's phone scanned the QR and contributed; `None` until then.
    /// The first time, reveals this session's nonce to the holder's phone.
    pub fn short_code(&self, keys: &AgentKeys) -> Result<Option<String>> {
        if let Some(c) = self.contribution.get() {
            return Ok(Some(self.offer.short_code(c, &self.nonce)?));
        }
        let client = agent_client(&self.offer.server_url, keys)?;
        let Some(msg) = client.mailbox_get(&self.offer.mailbox(DeskSlot::Contribution))? else { return Ok(None) };
        let contribution = decode_desk_nonce(&msg)?;
        match client.mailbox_put(&self.offer.mailbox(DeskSlot::Reveal), &encode_desk_nonce(&self.nonce)) {
            // Already there: this device's own reveal whose answer was lost, or someone else's (the
            // holder's phone then refuses it and nothing is signed).
            Ok(()) | Err(SyncError::Server { status: 409, .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let c = self.contribution.get_or_init(|| contribution);
        Ok(Some(self.offer.short_code(c, &self.nonce)?))
    }
}

/// The agent's QR for the desk; keep it to show the digits and receive the mandate.
pub fn agent_offer(cert: &AgentCertificate, keys: &AgentKeys, server_url: &str) -> Result<DeskOffer> {
    let nonce = SasNonce::generate();
    let offer =
        MandateOffer::new(cert.clone(), &keys.signing, server_url, coffre_crypto::random_bytes(), &nonce, now())?;
    Ok(DeskOffer { offer, nonce, contribution: OnceLock::new() })
}

/// Picks up the mandate the holder left for this offer; [`MandateFlowError::Pending`] if not yet.
pub fn agent_receive(offer: &MandateOffer, keys: &AgentKeys) -> Result<Mandate> {
    let client = agent_client(&offer.server_url, keys)?;
    let secret = offer.mailbox(DeskSlot::Mandate);
    let Some(bytes) = client.mailbox_get(&secret)? else { return Err(MandateFlowError::Pending) };
    let m = Mandate::decode_verified(&bytes)?;
    if m.cert.device_pk != keys.device_pk() || m.offer_nonce != offer.nonce {
        return Err(MandateError::Mismatch("the mandate is for another desk session").into());
    }
    let _ = client.mailbox_delete(&secret);
    Ok(m)
}
