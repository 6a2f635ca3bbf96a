//! [`MandateApi`]: the holder's side of mandates (scan the agent's QR, compare the short code, sign),
//! certified deposits and the audit trail. Thin wrappers over `coffre_core::mandate` (docs/agents.md).

use crate::error::{CoffreError, Result};
use crate::inner::Inner;
use crate::types::MandateInfo;
use coffre_core::mandate::formats::{MandateError, Scope};
use coffre_core::mandate::{self as m, MandateFlowError};
use std::sync::Arc;

/// What the holder's screen shows after scanning an agent's QR: the certified identity, to read
/// before granting anything (the digits to compare come from [`MandateGrant::short_code`]).
#[derive(Debug, Clone, uniffi::Record)]
pub struct ScannedOffer {
    /// "Mme X (rôle) — CCAS de Y, valide jusqu'au …"
    pub identity_fr: String,
    pub identity_en: String,
}

/// What an agent may do, ticked by the holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum MandateScope {
    /// Send documents into the vault (write-only: the agent cannot read them back).
    Deposit,
    /// See the documents of the chosen collections.
    Consult,
    /// Download copies of them.
    Extract,
    /// Pass them on to a third party on the holder's behalf.
    Transmit,
}

impl From<MandateScope> for Scope {
    fn from(s: MandateScope) -> Self {
        match s {
            MandateScope::Deposit => Scope::Deposit,
            MandateScope::Consult => Scope::Consult,
            MandateScope::Extract => Scope::Extract,
            MandateScope::Transmit => Scope::Transmit,
        }
    }
}

/// A document an agent deposited, verified: "Déposé par … (organisation), date — vérifié".
#[derive(Debug, Clone, uniffi::Record)]
pub struct DepositInfo {
    pub document_id: String,
    pub agent: String,
    pub role: String,
    pub organisation: String,
    /// Unix seconds: when the agent signed, when the server countersigned.
    pub deposited_at: u64,
    pub received_at: u64,
}

impl From<m::ImportedDeposit> for DepositInfo {
    fn from(d: m::ImportedDeposit) -> Self {
        DepositInfo {
            document_id: d.document,
            agent: d.summary.agent_name,
            role: d.summary.role,
            organisation: d.summary.org_name,
            deposited_at: d.summary.deposited_at,
            received_at: d.summary.received_at,
        }
    }
}

/// One verified event of the audit trail.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AuditEvent {
    pub seq: u64,
    /// Unix seconds.
    pub time: u64,
    /// e.g. "mandate_granted", "deposit", "device_added", "share_opened".
    pub kind: String,
    /// Who acted, as certified, or a device key.
    pub actor: String,
    /// The entry also carries the writer's own signature (not only the server's).
    pub writer_signed: bool,
    /// The event's details as JSON, for a detail screen.
    pub detail_json: String,
}

#[derive(uniffi::Object)]
pub struct MandateApi {
    pub(crate) inner: Arc<Inner>,
}

#[uniffi::export]
impl MandateApi {
    /// Reads an agent's QR (from `qr_decode_frame`): checks its organisation certificate and shows
    /// who it is, without sending anything. Forged, truncated or expired offers are `InvalidInput` /
    /// `Expired`; an offer of an older app version is `InvalidInput` ("update both devices").
    pub fn scan_offer(&self, qr_text: String) -> Result<ScannedOffer> {
        let o = m::scan(&qr_text)?;
        Ok(ScannedOffer { identity_fr: o.identity_fr, identity_en: o.identity_en })
    }

    /// Starts granting a mandate to the agent of `qr_text`: sends this phone's random contribution.
    /// Then call `short_code()` on the result until it gives the digits, have the person compare them
    /// with the agent's screen, and `grant`. A QR another phone already answered is `Forbidden`.
    pub fn start_grant(&self, qr_text: String) -> Result<Arc<MandateGrant>> {
        let desk = self.inner.with_vault(|vault| Ok(m::HolderDesk::start(vault, &qr_text)?))?;
        Ok(Arc::new(MandateGrant { inner: self.inner.clone(), desk }))
    }

    pub fn list(&self) -> Result<Vec<MandateInfo>> {
        self.inner.with_vault(|vault| Ok(m::list(vault)?.into_iter().map(Into::into).collect()))
    }

    /// Revokes at once on the server; later documents use new collection keys.
    pub fn revoke(&self, mandate_id: String) -> Result<()> {
        self.inner.with_vault(|vault| Ok(m::revoke(vault, &mandate_id)?))
    }

    /// After a sync: imports the certified deposits waiting on the server and publishes new
    /// documents to the agents' packages. Returns the deposits imported now.
    pub fn after_sync(&self) -> Result<Vec<DepositInfo>> {
        self.inner.with_vault(|vault| Ok(m::after_sync(vault)?.deposits.into_iter().map(Into::into).collect()))
    }

    /// Every event on the vault, verified (server signatures, chain, writers' signatures).
    pub fn audit(&self) -> Result<Vec<AuditEvent>> {
        self.inner.with_vault(|vault| {
            let (events, _) = m::audit(vault)?;
            Ok(events
                .into_iter()
                .map(|e| AuditEvent {
                    seq: e.seq,
                    time: e.time,
                    kind: e.kind,
                    actor: e.actor,
                    writer_signed: e.writer_signed,
                    detail_json: e.detail.to_string(),
                })
                .collect())
        })
    }
}

/// One desk session on the holder's phone, after the scan (see [`MandateApi::start_grant`]).
#[derive(uniffi::Object)]
pub struct MandateGrant {
    inner: Arc<Inner>,
    desk: m::HolderDesk,
}

#[uniffi::export]
impl MandateGrant {
    /// The six digits, once the agent's device answered; `None` until then (ask again in a second).
    /// An answer that does not match the scanned QR is `Forbidden`: someone showed another QR code.
    pub fn short_code(&self) -> Result<Option<String>> {
        Ok(self.desk.short_code()?)
    }

    /// Signs the mandate for `days` days: `confirmed_code` is the digits on the agent's screen (as
    /// typed or confirmed), else `Forbidden` and nothing is signed. Consult/extract hand the agent
    /// the keys of `collections`: what the agent has read cannot be unread after a revocation (say so
    /// on screen).
    pub fn grant(
        &self,
        confirmed_code: String,
        scopes: Vec<MandateScope>,
        collections: Vec<String>,
        days: u32,
    ) -> Result<MandateInfo> {
        if scopes.is_empty() {
            return Err(CoffreError::invalid("tick at least one thing the agent may do"));
        }
        let scopes: Vec<Scope> = scopes.into_iter().map(Scope::from).collect();
        self.inner.with_vault(|vault| {
            let granted = self.desk.grant(vault, &confirmed_code, &scopes, collections, days)?;
            let id = coffre_core::sync::protocol::MandateId::from(granted.id).to_string();
            m::list(vault)?
                .into_iter()
                .find(|i| i.id == id)
                .map(MandateInfo::from)
                .ok_or_else(|| CoffreError::Internal { detail: "the granted mandate is not listed".into() })
        })
    }
}

impl From<MandateError> for CoffreError {
    fn from(e: MandateError) -> Self {
        match e {
            MandateError::Expired(_) | MandateError::NotYetValid(_) => CoffreError::Expired { detail: e.to_string() },
            MandateError::KeyFile => CoffreError::WrongPassphrase { detail: e.to_string() },
            e @ (MandateError::BadSignature(_) | MandateError::BadKey(_) | MandateError::Mismatch(_)) => {
                CoffreError::Forbidden { detail: format!("not genuine: {e}") }
            }
            e => CoffreError::InvalidInput { detail: e.to_string() },
        }
    }
}

impl From<MandateFlowError> for CoffreError {
    fn from(e: MandateFlowError) -> Self {
        match e {
            MandateFlowError::Engine(e) => e.into(),
            MandateFlowError::Format(e) => e.into(),
            MandateFlowError::OtherServer => CoffreError::Conflict { detail: "the agent uses another server".into() },
            MandateFlowError::Pending => CoffreError::Busy { detail: "the mandate has not arrived yet".into() },
            _ => CoffreError::Internal { detail: "unexpected mandate error".into() },
        }
    }
}
