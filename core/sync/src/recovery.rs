//! Client side of the recovery-code slot, of the vault's closure (`docs/recovery.md`) and of an account
//! key generation switch (docs/adr/0009).

use coffre_sync_protocol::generation::{GenerationSwitch, GenerationSwitched};
use coffre_sync_protocol::recovery::{
    AssistedPut, AssistedRelease, AssistedRequests, AssistedShares, AssistedStatus, ClosureReceipt, CodeSlotPut,
    CodeSlotPutResponse, CodeSlotResponse, KeysRotated,
};
use coffre_sync_protocol::{PROTOCOL_VERSION, PublicKey, VaultId, b64, unb64, unb64_array};

use crate::blocking::BlockingClient;
use crate::client::{SyncClient, decode};
use crate::error::{Result, SyncError};

/// What `GET /v1/recovery/code` says: the vault of the signing recovery device, the server key
/// (trusted on first use, like at registration) and the slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSlot {
    pub vault: [u8; 32],
    pub server_pk: PublicKey,
    pub slot: Vec<u8>,
}

impl SyncClient {
    /// Stores the recovery-code slot and enrols `device_pk` (the recovery device); returns the
    /// recovery device of the kit it replaced, if any.
    pub async fn put_code_slot(&self, device_pk: &PublicKey, slot: &[u8]) -> Result<Option<PublicKey>> {
        let (_, path) = self.vault_path("/recovery/code")?;
        let body = CodeSlotPut { v: PROTOCOL_VERSION, device_pk: b64(device_pk), slot: b64(slot) };
        let body = serde_json::to_vec(&body).map_err(|_| SyncError::Protocol("cannot encode body".into()))?;
        let resp: CodeSlotPutResponse = decode(&self.send(reqwest::Method::PUT, &path, body, true).await?)?;
        resp.replaced
            .map(|r| unb64_array(&r, "replaced").map_err(|_| SyncError::Protocol("bad replaced device".into())))
            .transpose()
    }

    /// Signed by the recovery device: the slot it unlocks. Attaches the client to that vault.
    pub async fn get_code_slot(&self) -> Result<CodeSlot> {
        self.get_slot("/v1/recovery/code").await
    }

    /// Signed by the assisted recovery device: the assisted slot, once the delay has passed.
    pub async fn get_assisted_slot(&self) -> Result<CodeSlot> {
        self.get_slot("/v1/recovery/assisted/slot").await
    }

    async fn get_slot(&self, path: &str) -> Result<CodeSlot> {
        let resp: CodeSlotResponse = self.get_json(path).await?;
        let bad = |what: &str| SyncError::Protocol(format!("bad {what} in recovery answer"));
        let vault = VaultId::parse(&resp.vault).map_err(|_| bad("vault"))?.to_bytes();
        let server_pk: PublicKey = unb64_array(&resp.server_pk, "server_pk").map_err(|_| bad("server key"))?;
        let slot = unb64(&resp.slot, "slot").map_err(|_| bad("slot"))?;
        self.attach(vault, server_pk);
        Ok(CodeSlot { vault, server_pk, slot })
    }

    /// Sets up assisted recovery (from an enrolled device); returns the replaced recovery device.
    pub async fn put_assisted(&self, body: &AssistedPut) -> Result<Option<PublicKey>> {
        let (_, path) = self.vault_path("/recovery/assisted")?;
        let body = serde_json::to_vec(body).map_err(|_| SyncError::Protocol("cannot encode body".into()))?;
        let resp: CodeSlotPutResponse = decode(&self.send(reqwest::Method::PUT, &path, body, true).await?)?;
        resp.replaced
            .map(|r| unb64_array(&r, "replaced").map_err(|_| SyncError::Protocol("bad replaced device".into())))
            .transpose()
    }

    /// Starts an assisted-recovery request for `vault` (signed by this new phone's temporary key).
    pub async fn start_assisted(&self, vault: &[u8; 32]) -> Result<AssistedStatus> {
        let path = format!("/v1/recovery/assisted/{}/start", VaultId::from(*vault));
        decode(&self.send(reqwest::Method::POST, &path, Vec::new(), true).await?)
    }

    /// Every assisted-recovery request of this vault, newest first (from an enrolled device, at sync).
    pub async fn assisted_requests(&self) -> Result<AssistedRequests> {
        let (_, path) = self.vault_path("/recovery/assisted")?;
        self.get_json(&path).await
    }

    /// Cancels every open request, for good (from an enrolled device); the newest one's status.
    pub async fn cancel_assisted(&self) -> Result<AssistedStatus> {
        let (_, path) = self.vault_path("/recovery/assisted")?;
        decode(&self.send(reqwest::Method::DELETE, &path, Vec::new(), true).await?)
    }

    /// After the delay, with the PIN verifier: the provider share and the organisation's pieces.
    pub async fn release_assisted(&self, vault: &[u8; 32], pin_verifier: &[u8; 32]) -> Result<AssistedShares> {
        let path = format!("/v1/recovery/assisted/{}/release", VaultId::from(*vault));
        self.post_json(&path, &AssistedRelease { v: PROTOCOL_VERSION, pin_verifier: b64(pin_verifier) }).await
    }

    /// Tells the audit trail that a lost device was removed and the collection keys rotated (the keys
    /// themselves travel in the log, never here).
    pub async fn report_keys_rotated(&self, body: &KeysRotated) -> Result<()> {
        let (_, path) = self.vault_path("/recovery/keys-rotated")?;
        let body = serde_json::to_vec(body).map_err(|_| SyncError::Protocol("cannot encode body".into()))?;
        self.send(reqwest::Method::POST, &path, body, true).await?;
        Ok(())
    }

    /// Moves the vault to a new account key generation (docs/adr/0009): the server keeps exactly the
    /// listed devices as members. `409 stale_generation` if it does not follow the current one.
    pub async fn switch_generation(&self, body: &GenerationSwitch) -> Result<GenerationSwitched> {
        let (_, path) = self.vault_path("/generation")?;
        let body = serde_json::to_vec(body).map_err(|_| SyncError::Protocol("cannot encode body".into()))?;
        decode(&self.send(reqwest::Method::POST, &path, body, true).await?)
    }

    /// Closes the vault on the server; the receipt is checked against the pinned server key.
    pub async fn close_vault(&self) -> Result<ClosureReceipt> {
        let (p, path) = self.vault_path("")?;
        let receipt: ClosureReceipt = decode(&self.send(reqwest::Method::DELETE, &path, Vec::new(), true).await?)?;
        receipt
            .verify(&p.server_pk, &p.vault)
            .map_err(|_| SyncError::Tampered { what: "closure receipt", seq: None })?;
        Ok(receipt)
    }
}

impl BlockingClient {
    pub fn put_code_slot(&self, device_pk: &PublicKey, slot: &[u8]) -> Result<Option<PublicKey>> {
        self.rt.block_on(self.inner.put_code_slot(device_pk, slot))
    }
    pub fn get_code_slot(&self) -> Result<CodeSlot> {
        self.rt.block_on(self.inner.get_code_slot())
    }
    pub fn get_assisted_slot(&self) -> Result<CodeSlot> {
        self.rt.block_on(self.inner.get_assisted_slot())
    }
    pub fn put_assisted(&self, body: &AssistedPut) -> Result<Option<PublicKey>> {
        self.rt.block_on(self.inner.put_assisted(body))
    }
    pub fn start_assisted(&self, vault: &[u8; 32]) -> Result<AssistedStatus> {
        self.rt.block_on(self.inner.start_assisted(vault))
    }
    pub fn cancel_assisted(&self) -> Result<AssistedStatus> {
        self.rt.block_on(self.inner.cancel_assisted())
    }
    pub fn assisted_requests(&self) -> Result<AssistedRequests> {
        self.rt.block_on(self.inner.assisted_requests())
    }
    pub fn release_assisted(&self, vault: &[u8; 32], pin_verifier: &[u8; 32]) -> Result<AssistedShares> {
        self.rt.block_on(self.inner.release_assisted(vault, pin_verifier))
    }
    pub fn report_keys_rotated(&self, body: &KeysRotated) -> Result<()> {
        self.rt.block_on(self.inner.report_keys_rotated(body))
    }
    pub fn switch_generation(&self, body: &GenerationSwitch) -> Result<GenerationSwitched> {
        self.rt.block_on(self.inner.switch_generation(body))
    }
    pub fn close_vault(&self) -> Result<ClosureReceipt> {
        self.rt.block_on(self.inner.close_vault())
    }
}
