//! File-system steps that make writes crash-safe: write a temp file, fsync it, rename it into place,
//! fsync the directory. After a crash the destination holds the old or the new content, never a mix.
//! And the modes of what the vault creates: files 0600, directories 0700 on unix, whatever the umask,
//! so another account on the computer cannot read the database, the header, pages or exports.

use crate::Result;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Replaces `path` with `bytes` atomically.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = temp_sibling(path);
    let result = (|| {
        let mut f = private_file_options().create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A unique temp name next to `path` (same file system, so `rename` is atomic).
pub fn temp_sibling(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let nonce = hex::encode(coffre_crypto::random_bytes::<6>());
    path.with_file_name(format!(".{name}.{nonce}.tmp"))
}

/// Makes a rename or a new entry in `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// Options to create a file only its owner can read and write (0600 on unix; the umask can only
/// remove permissions, so this holds whatever it is). Add `create`, `create_new` or `truncate`.
pub fn private_file_options() -> OpenOptions {
    let mut opts = OpenOptions::new();
    opts.write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts
}

/// Creates (or truncates) `path` as a file only its owner can read (see [`private_file_options`]).
pub fn create_private_file(path: &Path) -> std::io::Result<File> {
    private_file_options().create(true).truncate(true).open(path)
}

/// Creates `path` and its missing parents as directories only their owner can enter (0700 on unix).
/// Directories that already exist keep their mode.
pub fn create_private_dir_all(path: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}
