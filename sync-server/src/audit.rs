//! The holder's audit trail (`GET /v1/vaults/{vault}/audit`): server-signed, hash-chained observations
//! of what happened to a vault. Handlers record after the action; the kinds are
//! [`coffre_sync_protocol::AuditKind`], shared with the apps that show them.

use coffre_mandate::{Mandate, b64};
use coffre_sync_protocol::{AuditKind, Hash};

use crate::state::AppState;

/// Records an observation in a vault's audit chain. A failure is logged, never shown to the caller:
/// the action it observes already happened.
pub async fn record(state: &AppState, vault: Hash, kind: AuditKind, detail: serde_json::Value) {
    let detail = detail.to_string();
    let now = crate::clock::now_secs();
    if let Err(e) = state.mandates.append_audit(vault, kind.clone(), detail, now, state.server_key.clone()).await {
        tracing::error!(error = %e, kind = kind.as_str(), "audit append failed");
    }
}

/// Who acted for an agent's action: the mandate and the agent's certified identity.
pub fn agent_detail(m: &Mandate) -> serde_json::Value {
    serde_json::json!({
        "mandate_id": coffre_sync_protocol::MandateId::from(m.id).to_string(),
        "agent": m.cert.agent_name,
        "role": m.cert.role,
        "org": m.cert.org_name,
        "org_pk": b64(&m.cert.org_pk),
        "device": b64(&m.cert.device_pk),
    })
}
