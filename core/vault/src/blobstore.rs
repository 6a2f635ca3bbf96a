//! Encrypted blob files: `blobs/<first two hex digits>/<blob id>.cb`. A blob is written to `tmp/`,
//! fsynced, renamed into place and its directory fsynced *before* the database row that points to
//! it is committed; so a committed row never points to a missing or partial file. A crash in between
//! leaves only an orphan file, which `verify` counts and `collect_garbage` removes.

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

/// A blob file written and durable, not yet referenced by the database.
pub struct WrittenBlob {
    pub id: [u8; 16],
    pub path: PathBuf,
    pub stats: StreamStats,
    pub cipher_sha256: [u8; 32],
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
        file.sync_all()?;
        drop(file);
        let path = blob_path(dir, &id);
        let shard = path.parent().ok_or_else(|| VaultError::InvalidInput("blob path".into()))?;
        create_private_dir_all(shard)?;
        fs::rename(&tmp, &path)?;
        sync_dir(shard)?;
        Ok(WrittenBlob { id, path, stats, cipher_sha256 })
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
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
