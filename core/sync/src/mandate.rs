//! Client side of the organisation, mandate, deposit and audit endpoints (`docs/agents.md`; bodies in
//! `coffre_mandate::wire`, server checks in `sync-server/src/mandate.rs`). Here only the requests:
//! what the bodies mean, and every signature in them, is the core's business (`coffre_core::mandate`).
//!
//! Three kinds of callers sign these requests: the holder's enrolled device (client attached to the
//! vault), an agent's certified device (the vault and mandate named in the path), and anyone for the
//! organisation endpoints, whose bodies carry their own signature.

use coffre_mandate::wire::{
    AuditPage, DepositList, DepositReceiptBody, DepositRequest, MandateBody, MandateList, OrgInfo, OrgRegisterRequest,
    PackageBody, RevocationRequest,
};
use coffre_sync_protocol::frame::split_frames;
use coffre_sync_protocol::{
    ChunkAddr, Hash, InvitationRequest, InvitationResponse, MandateId, PROTOCOL_VERSION, PublicKey, VaultId, b64,
};
use serde::Serialize;

use crate::blocking::BlockingClient;
use crate::client::{BlobRef, SyncClient, decode};
use crate::error::{Result, SyncError};

/// JSON with its keys in sorted order: the deposit and package bodies were always sent that way
/// (built as `serde_json::Value`s), and the wire stays byte for byte what it was.
fn sorted_json<T: Serialize>(body: &T) -> Result<Vec<u8>> {
    serde_json::to_value(body)
        .and_then(|v| serde_json::to_vec(&v))
        .map_err(|_| SyncError::Protocol("cannot encode body".into()))
}

fn json<T: Serialize>(body: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(body).map_err(|_| SyncError::Protocol("cannot encode body".into()))
}

fn agent_path(vault: &Hash, mandate: &[u8; 16], rest: &str) -> String {
    format!("/v1/agent/vaults/{}/mandates/{}{rest}", VaultId::from(*vault), MandateId::from(*mandate))
}

impl SyncClient {
    // ----- an agent's certified device -----

    /// An invitation code for one new vault, asked with this (agent) device's certificate from `org`.
    pub async fn create_invitation(&self, org: &PublicKey, certificate: &[u8]) -> Result<InvitationResponse> {
        let body = InvitationRequest { v: PROTOCOL_VERSION, certificate: b64(certificate) };
        let path = format!("/v1/orgs/{}/invitations", coffre_sync_protocol::OrgKey::from(*org));
        decode(&self.send(reqwest::Method::POST, &path, json(&body)?, true).await?)
    }

    // ----- the holder's device (attached) -----

    /// Stores a signed mandate for the attached vault.
    pub async fn store_mandate(&self, body: &MandateBody) -> Result<()> {
        let (_, path) = self.vault_path("/mandates")?;
        self.send(reqwest::Method::POST, &path, json(body)?, true).await?;
        Ok(())
    }

    /// The vault's mandates as the server lists them (unverified).
    pub async fn mandates(&self) -> Result<MandateList> {
        let (_, path) = self.vault_path("/mandates")?;
        self.get_json(&path).await
    }

    /// Revokes the mandate `id_hex`: the server refuses its agent at once.
    pub async fn revoke_mandate(&self, id_hex: &str) -> Result<()> {
        let (_, path) = self.vault_path(&format!("/mandates/{id_hex}"))?;
        self.send(reqwest::Method::DELETE, &path, Vec::new(), true).await?;
        Ok(())
    }

    /// Publishes (replaces) the package of mandate `id_hex`: the sealed index and the blobs its agent
    /// may fetch.
    pub async fn put_package(&self, id_hex: &str, body: &PackageBody) -> Result<()> {
        let (_, path) = self.vault_path(&format!("/mandates/{id_hex}/package"))?;
        self.send(reqwest::Method::PUT, &path, sorted_json(body)?, true).await?;
        Ok(())
    }

    /// Deposits waiting for the holder (unverified).
    pub async fn deposits(&self) -> Result<DepositList> {
        let (_, path) = self.vault_path("/deposits")?;
        self.get_json(&path).await
    }

    /// Drops an imported deposit from the server.
    pub async fn delete_deposit(&self, id: &str) -> Result<()> {
        let (_, path) = self.vault_path(&format!("/deposits/{id}"))?;
        self.send(reqwest::Method::DELETE, &path, Vec::new(), true).await?;
        Ok(())
    }

    /// One page of the audit trail, from entry `since` on (unverified: the core checks the chain).
    pub async fn audit_page(&self, since: u64) -> Result<AuditPage> {
        let (_, path) = self.vault_path(&format!("/audit?since={since}"))?;
        self.get_json(&path).await
    }

    // ----- an agent's device -----

    /// The package of `mandate` on `vault` (consult scope).
    pub async fn agent_package(&self, vault: &Hash, mandate: &[u8; 16]) -> Result<PackageBody> {
        self.get_json(&agent_path(vault, mandate, "/package")).await
    }

    /// Deposits a sealed document under `mandate` (deposit scope); the server's receipt, unverified.
    pub async fn agent_deposit(
        &self,
        vault: &Hash,
        mandate: &[u8; 16],
        body: &DepositRequest,
    ) -> Result<DepositReceiptBody> {
        let path = agent_path(vault, mandate, "/deposits");
        decode(&self.send(reqwest::Method::POST, &path, sorted_json(body)?, true).await?)
    }

    /// One blob of a package, every chunk checked against `blob` (from the sealed index, not from the
    /// server) and the padding cut. `extract` marks it a download to keep (extract scope). Any
    /// mismatch is `Tampered { what: "package page" }`.
    pub async fn agent_blob(&self, vault: &Hash, mandate: &[u8; 16], blob: &BlobRef, extract: bool) -> Result<Vec<u8>> {
        let q = if extract { "?purpose=extract" } else { "" };
        let path = agent_path(vault, mandate, &format!("/blobs/{}{q}", blob.blob_id));
        let framed = self.send(reqwest::Method::GET, &path, Vec::new(), true).await?;
        let tampered = || SyncError::Tampered { what: "package page", seq: None };
        let chunks = split_frames(&framed).map_err(|_| tampered())?;
        if chunks.len() != blob.chunks.len() {
            return Err(tampered());
        }
        let mut data = Vec::with_capacity(chunks.iter().map(|c| c.len()).sum());
        for (chunk, want) in chunks.into_iter().zip(&blob.chunks) {
            if ChunkAddr::from(coffre_sync_protocol::chunk_address(chunk)).to_string() != *want {
                return Err(tampered());
            }
            data.extend_from_slice(chunk);
        }
        let len = usize::try_from(blob.len).map_err(|_| tampered())?;
        if len > data.len() || data[len..].iter().any(|b| *b != 0) {
            return Err(tampered());
        }
        data.truncate(len);
        Ok(data)
    }

    // ----- organisations (the bodies are signed by the organisation key) -----

    /// Registers an organisation (idempotent).
    pub async fn register_org(&self, body: &OrgRegisterRequest) -> Result<()> {
        self.send(reqwest::Method::POST, "/v1/orgs", json(body)?, true).await?;
        Ok(())
    }

    /// Publishes the revocation of one of `org`'s agent devices.
    pub async fn revoke_agent(&self, org: &PublicKey, body: &RevocationRequest) -> Result<()> {
        let path = format!("/v1/orgs/{}/revocations", b64(org));
        self.send(reqwest::Method::POST, &path, json(body)?, true).await?;
        Ok(())
    }

    /// What the server publishes about `org` (registration and revocations, unverified), or `None`
    /// when it does not know the organisation.
    pub async fn org_info(&self, org: &PublicKey) -> Result<Option<OrgInfo>> {
        match self.send(reqwest::Method::GET, &format!("/v1/orgs/{}", b64(org)), Vec::new(), true).await {
            Ok(body) => serde_json::from_slice(&body)
                .map(Some)
                .map_err(|_| SyncError::Protocol("malformed organisation info".into())),
            Err(SyncError::Server { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl BlockingClient {
    pub fn create_invitation(&self, org: &PublicKey, certificate: &[u8]) -> Result<InvitationResponse> {
        self.rt.block_on(self.inner.create_invitation(org, certificate))
    }
    pub fn register_invited(
        &self,
        identity: &coffre_crypto::SigningKey,
        invitation: &str,
    ) -> Result<crate::Registration> {
        self.rt.block_on(self.inner.register_invited(identity, Some(invitation)))
    }
    pub fn store_mandate(&self, body: &MandateBody) -> Result<()> {
        self.rt.block_on(self.inner.store_mandate(body))
    }
    pub fn mandates(&self) -> Result<MandateList> {
        self.rt.block_on(self.inner.mandates())
    }
    pub fn revoke_mandate(&self, id_hex: &str) -> Result<()> {
        self.rt.block_on(self.inner.revoke_mandate(id_hex))
    }
    pub fn put_package(&self, id_hex: &str, body: &PackageBody) -> Result<()> {
        self.rt.block_on(self.inner.put_package(id_hex, body))
    }
    pub fn deposits(&self) -> Result<DepositList> {
        self.rt.block_on(self.inner.deposits())
    }
    pub fn delete_deposit(&self, id: &str) -> Result<()> {
        self.rt.block_on(self.inner.delete_deposit(id))
    }
    pub fn audit_page(&self, since: u64) -> Result<AuditPage> {
        self.rt.block_on(self.inner.audit_page(since))
    }
    pub fn agent_package(&self, vault: &Hash, mandate: &[u8; 16]) -> Result<PackageBody> {
        self.rt.block_on(self.inner.agent_package(vault, mandate))
    }
    pub fn agent_deposit(&self, vault: &Hash, mandate: &[u8; 16], body: &DepositRequest) -> Result<DepositReceiptBody> {
        self.rt.block_on(self.inner.agent_deposit(vault, mandate, body))
    }
    pub fn agent_blob(&self, vault: &Hash, mandate: &[u8; 16], blob: &BlobRef, extract: bool) -> Result<Vec<u8>> {
        self.rt.block_on(self.inner.agent_blob(vault, mandate, blob, extract))
    }
    pub fn register_org(&self, body: &OrgRegisterRequest) -> Result<()> {
        self.rt.block_on(self.inner.register_org(body))
    }
    pub fn revoke_agent(&self, org: &PublicKey, body: &RevocationRequest) -> Result<()> {
        self.rt.block_on(self.inner.revoke_agent(org, body))
    }
    pub fn org_info(&self, org: &PublicKey) -> Result<Option<OrgInfo>> {
        self.rt.block_on(self.inner.org_info(org))
    }
}
