//! Consult and extract: the per-mandate package.
//!
//! Deviation from DESIGN.md §5 (docs/agents.md): the agent never receives the vault's collection keys.
//! A holder device re-encrypts the pages of the mandated collections under a key of this mandate only
//! (HKDF(ARK, "mandate-package/<id>")), uploads them as blobs, and publishes an index sealed to the
//! agent's X25519 key; the server lets the agent fetch only the blobs listed for that mandate. So a
//! revocation needs no rotation of the vault's keys: the server drops the package and refuses the
//! agent, and later documents are only ever published to the packages of mandates still in force,
//! each under its own key. The cost is a second encrypted copy of the pages an agent may see.

use coffre_crypto::SymmetricKey;
use coffre_mandate::wire::PackageBody;
use coffre_mandate::{AgentKeys, Mandate, MandateError, Scope, b64, unb64};
use coffre_sync::{BlobRef, BlockingClient, CancelToken, SyncError};
use coffre_vault::{DocId, Vault, VaultError};
use serde::{Deserialize, Serialize};

use super::flow::{MandateFlowError, Result, agent_client, json, now};
use super::holder::holder_mandates;
use crate::session::session;
use crate::sync_engine::fetch_document;

const PACKAGE_STATE: &str = "mandate.package:";
const PACKAGE_AAD: &[u8] = b"coffre-mandate-package-v1";
const PAGE_AAD: &[u8] = b"coffre-mandate-page-v1";

/// One page of a document in a package.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PackagePage {
    pub index: u32,
    pub mime: String,
    pub blob: coffre_sync::BlobRef,
}

/// One document as the agent sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PackageDocument {
    pub id: String,
    pub title: String,
    pub category: String,
    pub collection: String,
    pub pages: Vec<PackagePage>,
}

/// What the agent opens: the mandate's page key and the index.
#[derive(Serialize, Deserialize)]
pub struct AgentPackage {
    pub v: u32,
    pub mandate: String,
    key: String,
    pub documents: Vec<PackageDocument>,
}

impl std::fmt::Debug for AgentPackage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentPackage")
            .field("mandate", &self.mandate)
            .field("documents", &self.documents.len())
            .finish()
    }
}

fn package_aad(mandate_id: &[u8; 16]) -> Vec<u8> {
    [PACKAGE_AAD, mandate_id].concat()
}

fn page_aad(mandate_id: &[u8; 16], blob_id: &str) -> Vec<u8> {
    [PAGE_AAD, mandate_id, blob_id.as_bytes()].concat()
}

/// (Re)publishes the package of every mandate in force with the consult or extract scope: pages not
/// published yet are encrypted and uploaded; the index is sealed again. Returns how many mandates.
pub fn publish_packages(vault: &mut Vault) -> Result<usize> {
    let t = now();
    let ids: Vec<[u8; 16]> = holder_mandates(vault)?
        .into_iter()
        .filter(|(m, revoked)| {
            revoked.is_none()
                && m.check_active(t).is_ok()
                && (m.scopes.contains(Scope::Consult) || m.scopes.contains(Scope::Extract))
        })
        .map(|(m, _)| m.id)
        .collect();
    for id in &ids {
        publish_package(vault, &coffre_sync::protocol::MandateId::from(*id).to_string())?;
    }
    Ok(ids.len())
}

/// Publishes the package of one mandate (see [`publish_packages`]).
pub fn publish_package(vault: &mut Vault, mandate_hex: &str) -> Result<usize> {
    let (m, _) = holder_mandates(vault)?
        .into_iter()
        .find(|(m, _)| coffre_sync::protocol::MandateId::from(m.id).to_string() == mandate_hex)
        .ok_or(VaultError::NotFound("mandate"))?;
    let client = session(vault)?.client;
    let key = vault.root_key().derive_subkey(&format!("mandate-package/{mandate_hex}"));
    let state_key = format!("{PACKAGE_STATE}{mandate_hex}");
    let mut published: std::collections::BTreeMap<String, coffre_sync::BlobRef> = match vault.state_get(&state_key)? {
        Some(b) => serde_json::from_slice(&b).map_err(|_| VaultError::Corrupt { what: "mandate package".into() })?,
        None => Default::default(),
    };
    let mut documents = Vec::new();
    for doc in vault.list(&coffre_vault::ListQuery::default())? {
        if !m.collections.contains(&doc.collection) {
            continue;
        }
        let mut pages = Vec::new();
        for index in 0..u32::try_from(doc.page_count()).unwrap_or(0) {
            let slot = format!("{}/{index}", doc.id.to_hex());
            let blob = match published.get(&slot) {
                Some(b) => b.clone(),
                None => {
                    let blob = upload_page(vault, &client, &key, &m.id, &doc.id, index)?;
                    published.insert(slot, blob.clone());
                    blob
                }
            };
            pages.push(PackagePage { index, mime: vault.page_mime(&doc.id, index)?, blob });
        }
        documents.push(PackageDocument {
            id: doc.id.to_hex(),
            title: doc.title.clone(),
            category: doc.category.clone(),
            collection: doc.collection.clone(),
            pages,
        });
    }
    vault.state_set(&state_key, &json(&published))?;
    let n = documents.len();
    let package = AgentPackage { v: 1, mandate: mandate_hex.to_string(), key: b64(key.as_bytes()), documents };
    let plain = coffre_crypto::Zeroizing::new(json(&package));
    let sealed = coffre_crypto::seal_to(&m.cert.exchange_public(), &plain, &package_aad(&m.id))
        .map_err(|_| MandateError::BadKey("agent exchange key"))?;
    let blobs: Vec<String> =
        package.documents.iter().flat_map(|d| d.pages.iter().map(|p| p.blob.blob_id.clone())).collect();
    client.put_package(mandate_hex, &PackageBody { v: 1, sealed: b64(&sealed), blobs })?;
    Ok(n)
}

/// Encrypts one page under the mandate's package key and uploads it as a new blob (fetching the
/// document first when this device has not downloaded it yet).
fn upload_page(
    vault: &mut Vault,
    client: &BlockingClient,
    key: &SymmetricKey,
    mandate_id: &[u8; 16],
    doc: &DocId,
    index: u32,
) -> Result<BlobRef> {
    let bytes = match vault.page_bytes(doc, index) {
        Ok(b) => b,
        Err(_) => {
            // Not downloaded on this device yet.
            fetch_document(vault, doc, &CancelToken::new())?;
            vault.page_bytes(doc, index)?
        }
    };
    let blob_id: [u8; 16] = coffre_crypto::random_bytes();
    let ct = coffre_crypto::seal_symmetric(key, &bytes, &page_aad(mandate_id, &hex::encode(blob_id)));
    Ok(client.upload_blob(&blob_id, &ct, &|_| {}, &CancelToken::new())?.blob)
}

/// The agent opens the package of its mandate (consult scope).
pub fn agent_consult(server_url: &str, keys: &AgentKeys, mandate: &Mandate) -> Result<AgentPackage> {
    let client = agent_client(server_url, keys)?;
    let body = client.agent_package(&mandate.vault, &mandate.id)?;
    let sealed = unb64(&body.sealed, usize::MAX / 2, "package")?;
    let plain = coffre_crypto::open_sealed(&keys.exchange, &sealed, &package_aad(&mandate.id))
        .map_err(|_| MandateError::BadKey("package does not open with this agent's key"))?;
    let p: AgentPackage = serde_json::from_slice(&plain).map_err(|_| MandateError::Malformed("package"))?;
    if p.v != 1 || p.mandate != coffre_sync::protocol::MandateId::from(mandate.id).to_string() {
        return Err(MandateError::Mismatch("package of another mandate").into());
    }
    Ok(p)
}

/// Fetches and decrypts one page of the package; `extract` marks it a download to keep (extract scope).
pub fn agent_page(
    server_url: &str,
    keys: &AgentKeys,
    mandate: &Mandate,
    package: &AgentPackage,
    page: &PackagePage,
    extract: bool,
) -> Result<coffre_crypto::Zeroizing<Vec<u8>>> {
    let client = agent_client(server_url, keys)?;
    let data = client.agent_blob(&mandate.vault, &mandate.id, &page.blob, extract)?;
    let tampered = || MandateFlowError::from(SyncError::Tampered { what: "package page", seq: None });
    let raw: [u8; 32] = unb64(&package.key, 32, "package key")?.try_into().map_err(|_| tampered())?;
    let key = coffre_crypto::SymmetricKey::from_bytes(raw);
    coffre_crypto::open_symmetric(&key, &data, &page_aad(&mandate.id, &page.blob.blob_id)).map_err(|_| tampered())
}
