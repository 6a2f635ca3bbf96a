//! Encrypted blob files: `blobs/<first two hex digits>/<blob id>.cb`. A blob is written to `tmp/`,
//! fsynced, renamed into place and its directory fsynced *before* the database row that points to
//! it is committed; so a committed row never points to a missing or partial file. A crash in between
//! leaves only an orphan file, which `verify` counts and `collect_garbage` removes.
//!
//! A batch of documents (an import of many files) writes every blob to `tmp/` first and makes them
//! durable together ([`make_durable`]): each file fsynced, renamed, each shard directory fsynced,
//! then one transaction for all rows. The same steps and the same order per file, but the file
//! system commits its journal once for the batch instead of twice per file (issue 18).

use crate::fsutil::{create_private_dir_all, private_file_options, sync_dir};
use crate::{Result, VaultError};
use coffre_crypto::{BlobContext, StreamStats, SymmetricKey, encrypt_stream};
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

pub const BLOB_DIR: &str = "blobs";
pub const TMP_DIR: &str = "tmp";
const BLOB_EXT: &str = "cb";

/// A blob file written, not yet referenced by the database: durable at `path`, or still in `tmp/`
/// (`pending`) until [`make_durable`] moves it there.
pub struct WrittenBlob {
    pub id: [u8; 16],
    pub path: PathBuf,
    pub stats: StreamStats,
    pub cipher_sha256: [u8; 32],
    pub pending: Option<PathBuf>,
}

/// When a blob becomes durable: at once (one document), or with its batch ([`make_durable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    Now,
    WithBatch,
}

pub fn blob_path(dir: &Path, id: &[u8; 16]) -> PathBuf {
    let hex = hex::encode(id);
    dir.join(BLOB_DIR).join(&hex[..2]).join(format!("{hex}.{BLOB_EXT}"))
}

/// Hook for tests to inject write failures (e.g. a full disk) into blob writes.
pub type WriterWrap = fn(File) -> Box<dyn Write>;

/// Encrypts `plaintext` into a new durable blob file.
pub fn write_blob(
    dir: &Path,
    key: &SymmetricKey,
    ctx: &BlobContext,
    plaintext: impl Read,
    wrap: Option<WriterWrap>,
    durability: Durability,
) -> Result<WrittenBlob> {
    let id = coffre_crypto::random_bytes::<16>();
    let tmp_dir = dir.join(TMP_DIR);
    create_private_dir_all(&tmp_dir)?;
    let tmp = tmp_dir.join(format!("{}.part", hex::encode(id)));
    let result = (|| -> Result<WrittenBlob> {
        let file = private_file_options().create_new(true).open(&tmp)?;
        let sink: Box<dyn Write> = match wrap {
            Some(w) => w(file.try_clone()?),
            None => Box::new(file.try_clone()?),
        };
        let mut hashing = HashingWriter { inner: BufWriter::with_capacity(256 * 1024, sink), hasher: Sha256::new() };
        let stats = encrypt_stream(key, ctx, plaintext, &mut hashing)?;
        hashing.inner.flush()?;
        let HashingWriter { inner, hasher } = hashing;
        drop(inner);
        let cipher_sha256: [u8; 32] = hasher.finalize().into();
        let path = blob_path(dir, &id);
        if durability == Durability::WithBatch {
            return Ok(WrittenBlob { id, path, stats, cipher_sha256, pending: Some(tmp.clone()) });
        }
        file.sync_all()?;
        drop(file);
        place(&tmp, &path)?;
        sync_dir(shard_of(&path)?)?;
        Ok(WrittenBlob { id, path, stats, cipher_sha256, pending: None })
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn shard_of(path: &Path) -> Result<&Path> {
    path.parent().ok_or_else(|| VaultError::InvalidInput("blob path".into()))
}

/// Renames a fsynced temp file to its place in its shard.
fn place(tmp: &Path, path: &Path) -> Result<()> {
    create_private_dir_all(shard_of(path)?)?;
    fs::rename(tmp, path)?;
    Ok(())
}

/// Makes a batch of blobs written [`Durability::WithBatch`] durable at their place: every file
/// fsynced, then renamed, then every shard directory fsynced — before any row refers to them. On
/// error, the caller removes the batch's files (`pending` or `path`, whichever exists).
pub fn make_durable<'a>(blobs: impl IntoIterator<Item = &'a mut WrittenBlob>) -> Result<()> {
    let mut blobs: Vec<&mut WrittenBlob> = blobs.into_iter().filter(|b| b.pending.is_some()).collect();
    for b in &blobs {
        if let Some(tmp) = &b.pending {
            File::open(tmp)?.sync_all()?;
        }
    }
    let mut shards = std::collections::BTreeSet::new();
    for b in &mut blobs {
        if let Some(tmp) = b.pending.take() {
            place(&tmp, &b.path)?;
            shards.insert(shard_of(&b.path)?.to_path_buf());
        }
    }
    for shard in shards {
        sync_dir(&shard)?;
    }
    Ok(())
}

/// SHA-256 of a file's bytes, streamed.
pub fn hash_file(path: &Path) -> io::Result<([u8; 32], u64)> {
    let mut f = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((hasher.finalize().into(), total))
}

/// Every blob id present on disk.
pub fn list_blob_ids(dir: &Path) -> io::Result<Vec<[u8; 16]>> {
    let mut out = Vec::new();
    let root = dir.join(BLOB_DIR);
    if !root.exists() {
        return Ok(out);
    }
    for shard in fs::read_dir(root)? {
        let shard = shard?;
        if !shard.file_type()?.is_dir() {
            continue;
        }
        for entry in fs::read_dir(shard.path())? {
            let name = entry?.file_name();
            let name = name.to_string_lossy();
            if let Some(stem) = name.strip_suffix(".cb") {
                let mut id = [0u8; 16];
                if hex::decode_to_slice(stem, &mut id).is_ok() {
                    out.push(id);
                }
            }
        }
    }
    Ok(out)
}

/// Removes leftovers of interrupted writes in `tmp/` (never a committed blob).
pub fn clear_temp(dir: &Path) -> io::Result<()> {
    let tmp = dir.join(TMP_DIR);
    if tmp.exists() {
        for entry in fs::read_dir(tmp)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "part") {
                fs::remove_file(path)?;
            }
        }
    }
    Ok(())
}

/// A writer that hashes what passes through it.
pub struct HashingWriter<W: Write> {
    pub inner: W,
    pub hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
