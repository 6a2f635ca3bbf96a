//! `ChunkStore` on an S3-compatible bucket (AWS S3, MinIO, Garage, Scaleway, OVH...), through the
//! `object_store` crate: one object per chunk at `chunks/<vault hex>/<hash hex>`. Content-addressed,
//! so a put is idempotent (a retry writes the same bytes under the same key) and S3's atomic puts
//! mean a reader sees the whole chunk or nothing. Path-style addressing when an endpoint is given.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use coffre_sync_protocol::Hash;
use futures_util::{StreamExt as _, TryStreamExt as _};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ClientOptions, GetOptions, ObjectStore, PutOptions, RetryConfig};

use super::{ChunkStore, StoreError, StoreResult};
use crate::config::Config;

/// Chunks fetched at once by [`ChunkStore::get_many`] (each a round trip to the bucket).
const PARALLEL_GETS: usize = 16;

pub struct S3Chunks {
    store: Arc<dyn ObjectStore>,
}

impl From<object_store::Error> for StoreError {
    fn from(e: object_store::Error) -> Self {
        StoreError::Backend(format!("object storage: {e}"))
    }
}

impl S3Chunks {
    /// The bucket `cfg.s3_bucket` at `cfg.s3_endpoint` (AWS when empty). Credentials from the config,
    /// else from the usual `AWS_*` environment (instance roles included).
    pub fn open(cfg: &Config) -> StoreResult<S3Chunks> {
        // reqwest is built without a default TLS provider (workspace Cargo.toml): ring, as elsewhere.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(&cfg.s3_bucket)
            .with_region(&cfg.s3_region)
            .with_retry(RetryConfig {
                max_retries: 4,
                retry_timeout: Duration::from_secs(20),
                ..RetryConfig::default()
            })
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(60))
                    .with_allow_http(cfg.s3_endpoint.starts_with("http://")),
            );
        if !cfg.s3_endpoint.is_empty() {
            b = b.with_endpoint(&cfg.s3_endpoint).with_virtual_hosted_style_request(false);
        }
        if !cfg.s3_access_key_id.is_empty() {
            b = b.with_access_key_id(&cfg.s3_access_key_id).with_secret_access_key(&cfg.s3_secret_access_key);
        }
        Ok(S3Chunks { store: Arc::new(b.build()?) })
    }

    fn vault_prefix(vault: &Hash) -> Path {
        Path::from(format!("chunks/{}", hex::encode(vault)))
    }

    fn key(vault: &Hash, hash: &Hash) -> Path {
        Path::from(format!("chunks/{}/{}", hex::encode(vault), hex::encode(hash)))
    }

    /// Every object under `chunks/` with its key (tests' plaintext scans).
    pub async fn dump(&self) -> StoreResult<Vec<(String, bytes::Bytes)>> {
        let keys: Vec<Path> = self.store.list(Some(&Path::from("chunks"))).map_ok(|m| m.location).try_collect().await?;
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            let bytes = self.store.get_opts(&k, GetOptions::default()).await?.bytes().await?;
            out.push((k.to_string(), bytes));
        }
        Ok(out)
    }

    /// Every key under `chunks/` (operators' audits and the migration's check).
    pub async fn count_objects(&self) -> StoreResult<u64> {
        let n = self.store.list(Some(&Path::from("chunks"))).try_fold(0u64, |n, _| async move { Ok(n + 1) }).await?;
        Ok(n)
    }
}

#[async_trait]
impl ChunkStore for S3Chunks {
    async fn put(&self, vault: Hash, hash: Hash, bytes: bytes::Bytes) -> StoreResult<()> {
        self.store.put_opts(&Self::key(&vault, &hash), bytes.into(), PutOptions::default()).await?;
        Ok(())
    }

    async fn get(&self, vault: Hash, hash: Hash) -> StoreResult<Option<bytes::Bytes>> {
        match self.store.get_opts(&Self::key(&vault, &hash), GetOptions::default()).await {
            Ok(r) => Ok(Some(r.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete_vault(&self, vault: Hash) -> StoreResult<()> {
        let prefix = Self::vault_prefix(&vault);
        let keys = self.store.list(Some(&prefix)).map_ok(|m| m.location).boxed();
        self.store.delete_stream(keys).try_collect::<Vec<_>>().await?;
        Ok(())
    }

    /// Fetches up to [`PARALLEL_GETS`] chunks at once, in order, with the trait's budget rule.
    async fn get_many(&self, vault: Hash, hashes: &[Hash], budget: u64) -> StoreResult<Vec<Option<bytes::Bytes>>> {
        let mut out = Vec::with_capacity(hashes.len());
        let mut total = 0u64;
        let mut fetches =
            futures_util::stream::iter(hashes.iter().copied()).map(|h| self.get(vault, h)).buffered(PARALLEL_GETS);
        while let Some(got) = fetches.next().await {
            let got = got?;
            let missing = got.is_none();
            let len = got.as_ref().map_or(0, |b| b.len() as u64);
            if !out.is_empty() && total + len > budget {
                break;
            }
            total += len;
            out.push(got);
            if missing {
                break;
            }
        }
        Ok(out)
    }

    async fn ping(&self) -> StoreResult<()> {
        // A listing of one key proves the bucket answers and the credentials work.
        let mut l = self.store.list(Some(&Path::from("chunks")));
        if let Some(r) = l.next().await {
            r?;
        }
        Ok(())
    }
}
