//! The holder's mandates: listed (only those this holder signed count) and revoked.

use coffre_mandate::{Mandate, Scope, unb64};
use coffre_vault::Vault;
use serde::Serialize;

use super::flow::{Result, now};
use crate::session::session;

/// A mandate as the holder lists it.
#[derive(Debug, Clone, Serialize)]
pub struct MandateInfo {
    pub id: String,
    pub agent: String,
    pub role: String,
    pub org: String,
    pub scopes: Vec<&'static str>,
    pub collections: Vec<String>,
    pub not_after: u64,
    pub revoked: bool,
    pub active: bool,
}

pub(super) fn holder_mandates(vault: &mut Vault) -> Result<Vec<(Mandate, Option<u64>)>> {
    let list = session(vault)?.client.mandates()?;
    let me = *vault.root_key().derive_identity(0).signing.verifying_key().as_bytes();
    let mut out = Vec::new();
    for b in list.mandates {
        let m = Mandate::decode_verified(&unb64(&b.mandate, coffre_mandate::mandate::MAX_MANDATE_LEN, "mandate")?)?;
        // Only mandates this holder signed count, whatever the server lists.
        if m.holder_pk == me {
            out.push((m, b.revoked_at));
        }
    }
    Ok(out)
}

/// The vault's mandates (verified: signed by this holder).
pub fn list(vault: &mut Vault) -> Result<Vec<MandateInfo>> {
    let t = now();
    Ok(holder_mandates(vault)?
        .into_iter()
        .map(|(m, revoked)| MandateInfo {
            id: coffre_sync::protocol::MandateId::from(m.id).to_string(),
            agent: m.cert.agent_name.clone(),
            role: m.cert.role.clone(),
            org: m.cert.org_name.clone(),
            scopes: m.scopes.list().into_iter().map(Scope::code).collect(),
            collections: m.collections.clone(),
            not_after: m.not_after,
            revoked: revoked.is_some(),
            active: revoked.is_none() && m.check_active(t).is_ok(),
        })
        .collect())
}

/// Revokes a mandate: the server refuses the agent at once. What the agent already read cannot be
/// unread (the apps say so).
pub fn revoke(vault: &mut Vault, id_hex: &str) -> Result<()> {
    Ok(session(vault)?.client.revoke_mandate(id_hex)?)
}
