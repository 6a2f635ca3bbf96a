//! Embedded `ChunkStore`: one file per chunk under `<data>/chunks/<vault hex>/<hash[0..2]>/<hash hex>`,
//! written to `<data>/tmp/`, fsynced, renamed into place, and the directory fsynced.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use coffre_sync_protocol::Hash;

use super::{ChunkStore, StoreError, StoreResult};

pub struct FsChunks {
    root: PathBuf,
    tmp: PathBuf,
    counter: AtomicU64,
}

impl FsChunks {
    pub fn open(data_dir: &Path) -> StoreResult<FsChunks> {
        let root = data_dir.join("chunks");
        let tmp = data_dir.join("tmp");
        std::fs::create_dir_all(&root)?;
        std::fs::create_dir_all(&tmp)?;
        // Leftovers of writes cut by a crash are garbage: nothing references a temp file.
        for entry in std::fs::read_dir(&tmp)? {
            let _ = std::fs::remove_file(entry?.path());
        }
        Ok(FsChunks { root, tmp, counter: AtomicU64::new(0) })
    }

    fn path(&self, vault: &Hash, hash: &Hash) -> (PathBuf, PathBuf) {
        let h = hex::encode(hash);
        let dir = self.root.join(hex::encode(vault)).join(&h[..2]);
        let file = dir.join(h);
        (dir, file)
    }
}

fn fsync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[async_trait]
impl ChunkStore for FsChunks {
    async fn put(&self, vault: Hash, hash: Hash, bytes: bytes::Bytes) -> StoreResult<()> {
        let (dir, file) = self.path(&vault, &hash);
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let tmp = self.tmp.join(format!("{}-{}-{n}", hex::encode(&hash[..8]), std::process::id()));
        tokio::task::spawn_blocking(move || -> StoreResult<()> {
            let result = (|| -> std::io::Result<()> {
                std::fs::create_dir_all(&dir)?;
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(&bytes)?;
                f.sync_all()?;
                drop(f);
                std::fs::rename(&tmp, &file)?;
                fsync_dir(&dir)
            })();
            if result.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            Ok(result?)
        })
        .await
        .map_err(StoreError::Task)?
    }

    async fn get(&self, vault: Hash, hash: Hash) -> StoreResult<Option<bytes::Bytes>> {
        let (_, file) = self.path(&vault, &hash);
        match tokio::fs::read(&file).await {
            Ok(v) => Ok(Some(bytes::Bytes::from(v))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete_vault(&self, vault: Hash) -> StoreResult<()> {
        let dir = self.root.join(hex::encode(vault));
        match tokio::fs::remove_dir_all(&dir).await {
            Ok(()) => fsync_dir(&self.root).map_err(Into::into),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// One blocking task reads them all: a thread hand-off per chunk cost more than the reads.
    async fn get_many(&self, vault: Hash, hashes: &[Hash], budget: u64) -> StoreResult<Vec<Option<bytes::Bytes>>> {
        let files: Vec<PathBuf> = hashes.iter().map(|h| self.path(&vault, h).1).collect();
        tokio::task::spawn_blocking(move || -> StoreResult<Vec<Option<bytes::Bytes>>> {
            let mut out = Vec::with_capacity(files.len());
            let mut total = 0u64;
            for file in files {
                let got = match std::fs::read(&file) {
                    Ok(v) => Some(bytes::Bytes::from(v)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                    Err(e) => return Err(e.into()),
                };
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
        })
        .await
        .map_err(StoreError::Task)?
    }

    async fn ping(&self) -> StoreResult<()> {
        tokio::fs::metadata(&self.root).await?;
        Ok(())
    }
}
