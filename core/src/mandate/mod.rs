//! Mandates, certified deposits and the audit trail from the holder's and the agent's devices, over the
//! sync server (formats in `coffre-mandate`, server checks in `sync-server/src/mandate.rs`,
//! docs/agents.md). Blocking, like the sync engine.
//!
//! - `desk`: the agent's QR, the holder's scan and grant, the agent picking the mandate up.
//! - `holder`: the holder's mandates, listed and revoked.
//! - `deposits`: certified deposits, from the agent to the holder's vault.
//! - `audit`: the verified audit trail and its export.
//! - `package`: what an agent may consult or extract, re-encrypted per mandate.
//! - `org`: the organisation's registration and revocations.

mod audit;
mod deposits;
mod desk;
mod flow;
mod holder;
mod org;
mod package;

use coffre_vault::Vault;
use serde::Serialize;

pub use audit::{AuditEvent, AuditExport, audit, audit_export, verify_export};
pub use coffre_mandate as formats;
pub use deposits::{
    ImportedDeposit, StoredDeposit, agent_deposit, deposit_certificate, deposit_certificates, import_deposits,
};
pub use desk::{DeskOffer, HolderDesk, ScannedOffer, agent_offer, agent_receive, scan};
pub use flow::{MandateFlowError, Result};
pub use holder::{MandateInfo, list, revoke};
pub use org::{
    agent_invitation, cert_from_text, cert_to_text, mandate_from_text, mandate_to_text, register_org, revoke_agent,
};
pub use package::{
    AgentPackage, PackageDocument, PackagePage, agent_consult, agent_page, publish_package, publish_packages,
};

/// What [`after_sync`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AfterSync {
    pub deposits: Vec<ImportedDeposit>,
    pub packages_published: usize,
}

/// To run after each successful sync (the CLI's `coffre sync` does): imports certified deposits and
/// publishes new documents to the agents' packages of mandates in force.
pub fn after_sync(vault: &mut Vault) -> Result<AfterSync> {
    let deposits = import_deposits(vault)?;
    let packages_published = publish_packages(vault)?;
    Ok(AfterSync { deposits, packages_published })
}
