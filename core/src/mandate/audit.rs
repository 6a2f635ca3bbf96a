//! The vault's audit trail, verified against the pinned server key, and its export.

use coffre_mandate::audit::{AuditEntry, genesis};
use coffre_mandate::{DepositSummary, Mandate, MandateError, b64, identity_line, unb64};
use coffre_sync::protocol::AuditKind;
use coffre_vault::{Vault, VaultError};
use serde::{Deserialize, Serialize};

use super::deposits::{StoredDeposit, deposit_certificates};
use super::flow::{Result, json};
use crate::session::session;

/// One verified audit event.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    pub seq: u64,
    pub time: u64,
    pub kind: String,
    /// Who acted, as certified ("Mme X (rôle) — org") or a device key.
    pub actor: String,
    /// What the writer's own signature proves, when the entry carries one ("mandate signed by you",
    /// "deposit signed by the agent").
    pub writer_signed: bool,
    pub detail: serde_json::Value,
}

/// The whole audit trail, verified: chain and server signatures (pinned key) and, where an entry
/// carries the writer's signed object, that signature too. Returns the events and the raw entries
/// (for the export).
pub fn audit(vault: &mut Vault) -> Result<(Vec<AuditEvent>, Vec<AuditEntry>)> {
    let s = session(vault)?;
    let (client, vault_hash, server_pk) = (s.client, s.vault_hash, s.server_pk);
    let mut entries = Vec::new();
    let mut from = (0, genesis(&vault_hash));
    loop {
        let page = client.audit_page(from.0)?;
        from = coffre_mandate::verify_chain(&page.entries, &vault_hash, &server_pk, from)?;
        let done = !page.more || page.entries.is_empty();
        entries.extend(page.entries);
        if done {
            break;
        }
    }
    // The chain must extend the head this device verified last time: a server that drops the latest
    // entries (or rewrites history with its own key) is caught, not only one that edits an entry.
    if let Some(b) = vault.state_get(AUDIT_HEAD)? {
        let (seq, hash): (u64, String) =
            serde_json::from_slice(&b).map_err(|_| VaultError::Corrupt { what: "audit head".into() })?;
        let n = usize::try_from(seq).unwrap_or(usize::MAX);
        if entries.len() < n {
            return Err(MandateError::Mismatch("audit trail shorter than last time").into());
        }
        let (_, at) = coffre_mandate::verify_chain(&entries[..n], &vault_hash, &server_pk, (0, genesis(&vault_hash)))?;
        if hex::encode(at) != hash {
            return Err(MandateError::Mismatch("audit trail rewritten since last time").into());
        }
    }
    vault.state_set(AUDIT_HEAD, &json(&(from.0, hex::encode(from.1))))?;
    let me = *vault.root_key().derive_identity(0).signing.verifying_key().as_bytes();
    let events = entries.iter().map(|e| event(e, &me)).collect::<Result<Vec<_>>>()?;
    Ok((events, entries))
}

const AUDIT_HEAD: &str = "audit.head";

fn event(e: &AuditEntry, holder: &[u8; 32]) -> Result<AuditEvent> {
    let detail: serde_json::Value = serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null);
    let s = |k: &str| detail.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let big = coffre_mandate::mandate::MAX_MANDATE_LEN;
    let (actor, writer_signed) = match AuditKind::parse(&e.kind) {
        AuditKind::MandateGranted => {
            let m = Mandate::decode_verified(&unb64(&s("mandate"), big, "mandate")?)?;
            if &m.holder_pk != holder {
                return Err(MandateError::Mismatch("audit: mandate not signed by this holder").into());
            }
            (format!("{} → {}", s("by_device"), identity_line(&m.cert, true)), true)
        }
        AuditKind::DepositReceived => {
            let st = coffre_mandate::DepositStatement::decode_verified(&unb64(&s("statement"), big, "statement")?)?;
            (identity_line(&st.cert, true), true)
        }
        k if k.is_agent_action() => (format!("{} ({}) — {}", s("agent"), s("role"), s("org")), false),
        _ => (s("by_device"), false),
    };
    Ok(AuditEvent { seq: e.seq, time: e.time, kind: e.kind.clone(), actor, writer_signed, detail })
}

/// What goes into an export next to the documents: the audit trail (raw, verifiable entries) and the
/// deposit certificates, with the pinned server key and the vault id to check them offline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditExport {
    pub v: u32,
    pub vault: String,
    pub server_pk: String,
    pub entries: Vec<AuditEntry>,
    pub deposits: Vec<StoredDeposit>,
}

pub fn audit_export(vault: &mut Vault) -> Result<AuditExport> {
    let s = session(vault)?;
    let (vault_hash, server_pk) = (s.vault_hash, s.server_pk);
    drop(s);
    let (_, entries) = audit(vault)?;
    Ok(AuditExport {
        v: 1,
        vault: coffre_sync::protocol::VaultId::from(vault_hash).to_string(),
        server_pk: b64(&server_pk),
        entries,
        deposits: deposit_certificates(vault)?,
    })
}

/// Offline check of an exported `audit.json`: the chain, and every deposit certificate, against the
/// server key in the file or the one given (a verifier that knows the operator's key passes it).
pub fn verify_export(export: &AuditExport, server_pk: Option<[u8; 32]>) -> Result<Vec<DepositSummary>> {
    let pk: [u8; 32] = match server_pk {
        Some(k) => k,
        None => {
            unb64(&export.server_pk, 32, "server key")?.try_into().map_err(|_| MandateError::Malformed("server key"))?
        }
    };
    let mut vault = [0u8; 32];
    hex::decode_to_slice(&export.vault, &mut vault).map_err(|_| MandateError::Malformed("vault id"))?;
    coffre_mandate::verify_chain(&export.entries, &vault, &pk, (0, genesis(&vault)))?;
    export.deposits.iter().map(|d| d.verify(&pk).map_err(Into::into)).collect()
}
