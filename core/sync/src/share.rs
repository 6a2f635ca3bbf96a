//! Share links on the wire (`docs/sharing.md`): the holder's device creates, lists and revokes its
//! shares with signed requests; [`fetch_share`] is the recipient's side (unsigned, what the viewer page
//! does), used by the core's tests and tools. Encryption is the core's business: here, only bytes.

use coffre_sync_protocol::share::{HDR_SHARE_PROOF, ShareCreate, ShareList, ShareOpened, join_frames};
use coffre_sync_protocol::unpad_payload;

use crate::blocking::BlockingClient;
use crate::client::{SyncClient, decode};
use crate::error::{Result, SyncError};

impl SyncClient {
    /// Uploads a share: the header, the padded manifest ciphertext and the padded page ciphertexts.
    pub async fn share_create(&self, header: &ShareCreate, manifest: &[u8], pages: &[Vec<u8>]) -> Result<()> {
        let (_, path) = self.vault_path("/shares")?;
        let head = serde_json::to_vec(header).map_err(|_| SyncError::Protocol("cannot encode body".into()))?;
        let mut frames: Vec<&[u8]> = vec![&head, manifest];
        frames.extend(pages.iter().map(Vec::as_slice));
        let body = join_frames(&frames).map_err(|_| SyncError::Protocol("share too large".into()))?;
        self.send(reqwest::Method::POST, &path, body, false).await?;
        Ok(())
    }

    /// The vault's shares as the server knows them (with opening times).
    pub async fn share_list(&self) -> Result<ShareList> {
        let (_, path) = self.vault_path("/shares")?;
        self.get_json(&path).await
    }

    /// Revokes a share: the server deletes its material at once.
    pub async fn share_revoke(&self, id: &str) -> Result<()> {
        let (_, path) = self.vault_path(&format!("/shares/{id}"))?;
        self.send(reqwest::Method::DELETE, &path, Vec::new(), true).await?;
        Ok(())
    }
}

impl BlockingClient {
    pub fn share_create(&self, header: &ShareCreate, manifest: &[u8], pages: &[Vec<u8>]) -> Result<()> {
        self.rt.block_on(self.inner.share_create(header, manifest, pages))
    }
    pub fn share_list(&self) -> Result<ShareList> {
        self.rt.block_on(self.inner.share_list())
    }
    pub fn share_revoke(&self, id: &str) -> Result<()> {
        self.rt.block_on(self.inner.share_revoke(id))
    }
}

/// What a recipient fetched: the opening and each page's ciphertext (padding removed).
#[derive(Debug, Clone)]
pub struct FetchedShare {
    pub opened: ShareOpened,
    pub manifest: Vec<u8>,
    pub pages: Vec<Vec<u8>>,
}

/// The recipient's side, as the viewer page does it: open `id` on `base_url` with the link key's
/// `proof` (`coffre_sync_protocol::share::open_proof`; counts an opening) and download every page. Refusals come back as `SyncError::Server` with the share's code
/// (`share_expired`, `share_revoked`, `share_exhausted`, `share_not_found`).
pub fn fetch_share(base_url: &str, id: &str, proof: &[u8; 32]) -> Result<FetchedShare> {
    crate::init_tls();
    crate::blocking::runtime()?.block_on(async {
        let http = crate::tls::http_client_builder()?
            .connect_timeout(std::time::Duration::from_secs(15))
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .map_err(SyncError::network)?;
        let base = base_url.trim_end_matches('/');
        let resp = http
            .post(format!("{base}/s/{id}/open"))
            .header(HDR_SHARE_PROOF, coffre_sync_protocol::b64(proof))
            .send()
            .await
            .map_err(SyncError::network)?;
        let opened: ShareOpened = decode(&SyncClient::check(resp).await?)?;
        let framed = coffre_sync_protocol::unb64(&opened.manifest, "manifest")
            .map_err(|_| SyncError::Protocol("bad manifest encoding".into()))?;
        let manifest = unpad(&framed)?;
        let mut pages = Vec::with_capacity(opened.pages as usize);
        for n in 0..opened.pages {
            let url = format!("{base}/s/{id}/pages/{n}?t={}", opened.token);
            let resp = http.get(url).send().await.map_err(SyncError::network)?;
            pages.push(unpad(&SyncClient::check(resp).await?)?);
        }
        Ok(FetchedShare { opened, manifest, pages })
    })
}

fn unpad(framed: &[u8]) -> Result<Vec<u8>> {
    unpad_payload(framed).map(<[u8]>::to_vec).map_err(|_| SyncError::Tampered { what: "share padding", seq: None })
}
