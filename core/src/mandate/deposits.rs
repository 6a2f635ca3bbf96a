//! Certified deposits: the agent deposits a sealed document under its mandate; the holder's device
//! verifies each one, imports it as a certified document and keeps its certificate.

use coffre_crypto::sha256;
use coffre_mandate::wire::DepositRequest;
use coffre_mandate::{
    AgentKeys, CertifiedDeposit, DepositContent, DepositReceipt, DepositSummary, Mandate, MandateError, b64,
    make_deposit, open_deposit, unb64,
};
use coffre_vault::{DocId, FileKind, NewDocument, Origin, PageInput, PageRole, Vault, VaultError};
use serde::{Deserialize, Serialize};

use super::flow::{Result, agent_client, json, now};
use super::holder::holder_mandates;
use crate::session::session;

const DEPOSIT_CERT: &str = "deposit.cert:";

/// The certificate of an imported deposit, as kept in the vault and exported.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredDeposit {
    pub v: u32,
    pub document: String,
    pub statement: String,
    pub receipt: String,
    pub mandate: String,
    /// The server key pinned at enrolment, which countersigned.
    pub server_pk: String,
}

impl StoredDeposit {
    /// Verifies offline against `server_pk` (the pinned key).
    pub fn verify(&self, server_pk: &[u8; 32]) -> std::result::Result<DepositSummary, MandateError> {
        let big = coffre_mandate::mandate::MAX_MANDATE_LEN;
        CertifiedDeposit::decode(
            &unb64(&self.statement, big, "statement")?,
            &unb64(&self.receipt, coffre_mandate::deposit::RECEIPT_LEN, "receipt")?,
            &unb64(&self.mandate, big, "mandate")?,
        )?
        .verify(server_pk, None)
    }
}

/// One imported deposit.
#[derive(Debug, Clone, Serialize)]
pub struct ImportedDeposit {
    pub document: String,
    pub summary: DepositSummary,
}

/// Imports pending deposits: each is verified (mandate signed by this holder with the deposit scope,
/// agent certified, statement signed, server receipt under the pinned key, bytes matching), opened with
/// the holder's X25519 key, added to the vault as a certified deposit, and dropped from the server.
/// A deposit that fails a check is left on the server and not imported.
pub fn import_deposits(vault: &mut Vault) -> Result<Vec<ImportedDeposit>> {
    let s = session(vault)?;
    let (client, server_pk) = (s.client, s.server_pk);
    let list = client.deposits()?;
    if list.deposits.is_empty() {
        return Ok(Vec::new());
    }
    let mandates = holder_mandates(vault)?;
    let id = vault.root_key().derive_identity(0);
    let mut out = Vec::new();
    for d in list.deposits {
        let Ok(st) = coffre_mandate::DepositStatement::decode_verified(&unb64(
            &d.statement,
            coffre_mandate::deposit::MAX_STATEMENT_LEN,
            "statement",
        )?) else {
            continue;
        };
        let Some((m, _)) = mandates.iter().find(|(m, _)| m.id == st.mandate_id) else { continue };
        let ct = unb64(&d.ciphertext, usize::MAX / 2, "deposit")?;
        let stored = StoredDeposit {
            v: 1,
            document: String::new(),
            statement: d.statement.clone(),
            receipt: d.receipt.clone(),
            mandate: b64(&m.encode()),
            server_pk: b64(&server_pk),
        };
        let Ok(summary) = stored.verify(&server_pk) else { continue };
        if sha256(&ct) != st.ct_hash {
            continue;
        }
        let content: DepositContent = open_deposit(&id.exchange, &st, &ct)?;
        let doc = file_deposit(vault, content, &summary)?;
        let stored = StoredDeposit { document: doc.to_hex(), ..stored };
        vault.state_set(&format!("{DEPOSIT_CERT}{}", doc.to_hex()), &json(&stored))?;
        client.delete_deposit(&d.id)?;
        out.push(ImportedDeposit { document: doc.to_hex(), summary });
    }
    Ok(out)
}

/// Files an opened, verified deposit in the vault as a certified document, its notes naming who
/// deposited it.
fn file_deposit(vault: &mut Vault, content: DepositContent, summary: &DepositSummary) -> Result<DocId> {
    let mime = FileKind::claimed_by_name(&content.file_name).map(FileKind::mime).unwrap_or("application/pdf");
    let notes = format!(
        "Déposé par {} ({}) — {}, {} — vérifié",
        summary.agent_name,
        summary.role,
        summary.org_name,
        coffre_mandate::date_of(summary.deposited_at)
    );
    let category = if coffre_vault::category(&content.category).is_some() { content.category } else { "autre".into() };
    let meta = NewDocument { category, title: content.title, notes, ..NewDocument::default() };
    let page = PageInput { bytes: content.bytes, mime: mime.into(), role: PageRole::Page };
    Ok(vault.add_document(meta, Origin::Deposit, vec![page])?)
}

/// The certificate of a deposited document, if it is one.
pub fn deposit_certificate(vault: &Vault, doc_hex: &str) -> Result<Option<StoredDeposit>> {
    match vault.state_get(&format!("{DEPOSIT_CERT}{doc_hex}"))? {
        Some(b) => Ok(Some(serde_json::from_slice(&b).map_err(|_| VaultError::Corrupt { what: "deposit".into() })?)),
        None => Ok(None),
    }
}

/// Certificates of every imported deposit still in the vault.
pub fn deposit_certificates(vault: &Vault) -> Result<Vec<StoredDeposit>> {
    let mut out = Vec::new();
    for d in vault.list(&coffre_vault::ListQuery::default())? {
        if d.origin == Origin::Deposit
            && let Some(c) = deposit_certificate(vault, &d.id.to_hex())?
        {
            out.push(c);
        }
    }
    Ok(out)
}

/// Deposits a document under `mandate` (deposit scope); returns the server's receipt. The agent keeps
/// nothing that could open it again.
pub fn agent_deposit(
    server_url: &str,
    keys: &AgentKeys,
    mandate: &Mandate,
    content: &DepositContent,
) -> Result<DepositReceipt> {
    let client = agent_client(server_url, keys)?;
    let (st, sealed) = make_deposit(mandate, &keys.signing, content, coffre_crypto::random_bytes(), now())?;
    let body = DepositRequest { v: 1, statement: b64(&st.encode()), ciphertext: b64(&sealed) };
    let resp = client.agent_deposit(&mandate.vault, &mandate.id, &body)?;
    Ok(DepositReceipt::decode_verified(&unb64(&resp.receipt, coffre_mandate::deposit::RECEIPT_LEN, "receipt")?)?)
}
