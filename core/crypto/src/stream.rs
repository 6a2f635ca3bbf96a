//! Blob encryption: XChaCha20-Poly1305 in the STREAM construction (Hoang, Reyhanitabar, Rogaway,
//! Vizár 2015), with the nonce layout of RustCrypto's `aead::stream::StreamBE32` (which wrote every
//! blob before ADR 0008; the tests check the bytes are the same): a 19-byte prefix, a 32-bit
//! big-endian chunk counter and a last-chunk flag. Each chunk goes through [`crate::xchacha`].
//!
//! ```text
//! file  = FORMAT_VERSION(1)=1 || nonce_prefix(19) || chunk_0 || ... || chunk_n
//! chunk = XChaCha20-Poly1305(key, nonce = nonce_prefix || counter(u32 BE) || last(1),
//!                            aad = FORMAT_VERSION || doc_id(16) || doc_version(u32 LE)
//!                                  || chunk_index(u64 LE) || last(1),
//!                            plaintext chunk) -> ct || tag(16)
//! ```
//! Every plaintext chunk is [`CHUNK_SIZE`] bytes except the last, which holds 0..=`CHUNK_SIZE` bytes;
//! an empty file is one empty last chunk. Readers look one byte ahead to know which chunk is last, so
//! neither side ever holds more than one chunk in memory.

use std::io::{self, Read, Write};

use zeroize::{Zeroize, Zeroizing};

use crate::aead::TAG_LEN;
use crate::error::{CryptoError, Result};
use crate::keys::SymmetricKey;
use crate::rng::random_bytes;
use crate::xchacha;

/// Plaintext bytes per chunk.
pub const CHUNK_SIZE: usize = 64 * 1024;
/// Version byte at the start of every encrypted blob.
pub const FORMAT_VERSION: u8 = 1;
/// Nonce prefix length (24-byte XChaCha nonce minus the 5 bytes of STREAM counter and flag).
pub const NONCE_PREFIX_LEN: usize = 19;
/// `FORMAT_VERSION || nonce_prefix`.
pub const HEADER_LEN: usize = 1 + NONCE_PREFIX_LEN;
const CT_CHUNK: usize = CHUNK_SIZE + TAG_LEN;

/// Which document version a blob belongs to; bound into every chunk, so a blob (or a chunk) cannot be
/// passed off as another document's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobContext {
    /// Document id.
    pub doc_id: [u8; 16],
    /// Document version.
    pub version: u32,
}

/// Sizes seen by one encryption or decryption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamStats {
    /// Plaintext bytes.
    pub plaintext_len: u64,
    /// Ciphertext bytes, header included.
    pub ciphertext_len: u64,
}

/// Size of the encrypted blob for a plaintext of `plaintext_len` bytes (saturates at `u64::MAX`).
pub fn encrypted_len(plaintext_len: u64) -> u64 {
    let chunk = CHUNK_SIZE as u64;
    let chunks = plaintext_len.div_ceil(chunk).max(1);
    (HEADER_LEN as u64).saturating_add(plaintext_len).saturating_add(chunks.saturating_mul(TAG_LEN as u64))
}

fn chunk_aad(ctx: &BlobContext, index: u64, last: bool) -> [u8; 30] {
    let mut aad = [0u8; 30];
    aad[0] = FORMAT_VERSION;
    aad[1..17].copy_from_slice(&ctx.doc_id);
    aad[17..21].copy_from_slice(&ctx.version.to_le_bytes());
    aad[21..29].copy_from_slice(&index.to_le_bytes());
    aad[29] = u8::from(last);
    aad
}

/// Reads until `buf[filled..]` is full or the reader ends; returns the new fill level.
fn fill<R: Read>(reader: &mut R, buf: &mut [u8], mut filled: usize) -> Result<usize> {
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            // `min` only matters for a reader that claims more than it was given (a bug, but not ours
            // to panic on).
            Ok(n) => filled = filled.saturating_add(n).min(buf.len()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(filled)
}

/// The nonce of chunk `index`: `prefix || index (u32 big-endian) || last (0 or 1)`.
fn chunk_nonce(prefix: &[u8; NONCE_PREFIX_LEN], index: u64, last: bool) -> Result<[u8; xchacha::NONCE_LEN]> {
    let counter = u32::try_from(index).map_err(|_| CryptoError::Malformed("blob too long"))?;
    let mut nonce = [0u8; xchacha::NONCE_LEN];
    nonce[..NONCE_PREFIX_LEN].copy_from_slice(prefix);
    nonce[NONCE_PREFIX_LEN..NONCE_PREFIX_LEN + 4].copy_from_slice(&counter.to_be_bytes());
    nonce[NONCE_PREFIX_LEN + 4] = u8::from(last);
    Ok(nonce)
}

/// One chunk: plaintext then ciphertext (or the reverse), transformed in place.
struct Chunk {
    index: u64,
    last: bool,
    buf: Zeroizing<Vec<u8>>,
}

/// Cuts a reader into chunks of `len` bytes, looking one byte ahead to flag the last one (which holds
/// `0..=len` bytes).
struct Chunker<R> {
    reader: R,
    len: usize,
    carry: Option<u8>,
    next_index: u64,
    finished: bool,
    bytes: u64,
}

impl<R: Read> Chunker<R> {
    fn new(reader: R, len: usize) -> Self {
        Self { reader, len, carry: None, next_index: 0, finished: false, bytes: 0 }
    }

    fn new_buf(&self) -> Zeroizing<Vec<u8>> {
        // Room for the look-ahead byte and for the tag that encryption appends in place.
        Zeroizing::new(Vec::with_capacity(self.len + TAG_LEN + 1))
    }

    fn next(&mut self, mut buf: Zeroizing<Vec<u8>>) -> Result<Chunk> {
        // A recycled buffer is at least `len` long, so this rarely writes more than a few bytes.
        buf.resize(self.len + 1, 0);
        let mut filled = 0;
        if let Some(b) = self.carry.take() {
            buf[0] = b;
            filled = 1;
        }
        let filled = fill(&mut self.reader, &mut buf, filled)?;
        buf.truncate(filled);
        let last = filled <= self.len;
        if !last {
            self.carry = buf.pop();
        }
        self.finished = last;
        self.bytes += buf.len() as u64;
        let index = self.next_index;
        self.next_index += 1;
        Ok(Chunk { index, last, buf })
    }
}

/// Cuts `reader` into chunks of `chunk_len`, applies `transform` to each in order, and writes each
/// result once `transform` returned `Ok`. Stops at the first error: nothing from a failed chunk (or
/// after it) is written. Returns the bytes read and written. One buffer serves every chunk.
fn run_chunks<R, W, F>(reader: R, writer: &mut W, chunk_len: usize, mut transform: F) -> Result<(u64, u64)>
where
    R: Read,
    W: Write,
    F: FnMut(&mut Chunk) -> Result<()>,
{
    let mut chunker = Chunker::new(reader, chunk_len);
    let mut buf = chunker.new_buf();
    let mut written = 0u64;
    loop {
        let mut chunk = chunker.next(buf)?;
        transform(&mut chunk)?;
        writer.write_all(&chunk.buf)?;
        written += chunk.buf.len() as u64;
        if chunk.last {
            return Ok((chunker.bytes, written));
        }
        buf = chunk.buf;
    }
}

/// Encrypts `reader` into `writer`. Memory use is one chunk whatever the size.
pub fn encrypt_stream<R: Read, W: Write>(
    key: &SymmetricKey,
    ctx: &BlobContext,
    reader: R,
    writer: W,
) -> Result<StreamStats> {
    encrypt_with_prefix(key, ctx, &random_bytes(), reader, writer)
}

pub(crate) fn encrypt_with_prefix<R: Read, W: Write>(
    key: &SymmetricKey,
    ctx: &BlobContext,
    prefix: &[u8; NONCE_PREFIX_LEN],
    reader: R,
    mut writer: W,
) -> Result<StreamStats> {
    let mut header = [0u8; HEADER_LEN];
    header[0] = FORMAT_VERSION;
    header[1..].copy_from_slice(prefix);
    writer.write_all(&header)?;

    let (read, written) = run_chunks(reader, &mut writer, CHUNK_SIZE, |chunk| {
        let aad = chunk_aad(ctx, chunk.index, chunk.last);
        let nonce = chunk_nonce(prefix, chunk.index, chunk.last)?;
        xchacha::seal_in_place(key.as_bytes(), &nonce, &aad, &mut chunk.buf)
    })?;
    writer.flush()?;
    Ok(StreamStats { plaintext_len: read, ciphertext_len: HEADER_LEN as u64 + written })
}

/// Decrypts `reader` into `writer`, writing each chunk only after it authenticated.
///
/// Writes only authenticated chunks; on error the caller MUST discard what was written (truncation is
/// detected at the end). Use [`decrypt_to_vec`] when the plaintext fits in memory.
pub fn decrypt_stream<R: Read, W: Write>(
    key: &SymmetricKey,
    ctx: &BlobContext,
    mut reader: R,
    mut writer: W,
) -> Result<StreamStats> {
    let mut header = [0u8; HEADER_LEN];
    let got = fill(&mut reader, &mut header, 0)?;
    if got == 0 {
        return Err(CryptoError::Truncated);
    }
    if header[0] != FORMAT_VERSION {
        return Err(CryptoError::UnsupportedVersion { what: "blob stream", version: header[0] });
    }
    if got < HEADER_LEN {
        return Err(CryptoError::Truncated);
    }
    let mut prefix = [0u8; NONCE_PREFIX_LEN];
    prefix.copy_from_slice(&header[1..]);

    let (read, written) = run_chunks(reader, &mut writer, CT_CHUNK, |chunk| {
        if chunk.buf.len() < TAG_LEN {
            return Err(CryptoError::Truncated);
        }
        let aad = chunk_aad(ctx, chunk.index, chunk.last);
        let nonce = chunk_nonce(&prefix, chunk.index, chunk.last)?;
        if chunk.last {
            // A failed open wipes the buffer: keep the ciphertext to tell truncation from tampering.
            let mut kept = chunk.buf.to_vec();
            if xchacha::open_in_place(key.as_bytes(), &nonce, &aad, &mut chunk.buf).is_err() {
                return Err(diagnose_last(key, ctx, &prefix, chunk.index, &mut kept));
            }
            Ok(())
        } else {
            xchacha::open_in_place(key.as_bytes(), &nonce, &aad, &mut chunk.buf)
        }
    })?;
    writer.flush()?;
    Ok(StreamStats { plaintext_len: written, ciphertext_len: HEADER_LEN as u64 + read })
}

/// The final chunk failed as a last chunk. If it authenticates as a *middle* chunk, the stream was cut
/// after a chunk boundary: [`CryptoError::Truncated`]. Otherwise it is a wrong key or modified data.
/// Nothing is written either way.
fn diagnose_last(
    key: &SymmetricKey,
    ctx: &BlobContext,
    prefix: &[u8; NONCE_PREFIX_LEN],
    index: u64,
    buf: &mut Vec<u8>,
) -> CryptoError {
    let Ok(nonce) = chunk_nonce(prefix, index, false) else {
        return CryptoError::Decrypt;
    };
    if buf.len() != CT_CHUNK {
        return CryptoError::Decrypt;
    }
    let aad = chunk_aad(ctx, index, false);
    let verdict = match xchacha::open_in_place(key.as_bytes(), &nonce, &aad, buf) {
        Ok(()) => CryptoError::Truncated,
        Err(_) => CryptoError::Decrypt,
    };
    buf.zeroize();
    verdict
}

/// A `Write` that keeps everything in zeroizing memory, growing without leaving stale copies behind.
struct ZeroizingSink(Zeroizing<Vec<u8>>);

impl Write for ZeroizingSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let needed = self.0.len().saturating_add(data.len());
        if needed > self.0.capacity() {
            let mut bigger = Zeroizing::new(Vec::with_capacity(needed.max(self.0.capacity().saturating_mul(2))));
            bigger.extend_from_slice(&self.0);
            self.0 = bigger; // the old buffer is zeroized as it drops
        }
        self.0.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Decrypts a whole blob into memory; returns the plaintext only if every chunk, and the end of the
/// stream, verified. On error the partial plaintext is zeroized and nothing is released.
pub fn decrypt_to_vec<R: Read>(key: &SymmetricKey, ctx: &BlobContext, reader: R) -> Result<Zeroizing<Vec<u8>>> {
    let mut sink = ZeroizingSink(Zeroizing::new(Vec::new()));
    decrypt_stream(key, ctx, reader, &mut sink)?;
    Ok(sink.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    // RustCrypto's XChaCha20-Poly1305: the reference the chunks are checked against.
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    use chacha20poly1305::{XChaCha20Poly1305, XNonce};

    const CTX: BlobContext = BlobContext { doc_id: [9; 16], version: 3 };

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8 ^ (i >> 8) as u8).collect()
    }

    fn encrypt(key: &SymmetricKey, ctx: &BlobContext, pt: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let stats = encrypt_stream(key, ctx, pt, &mut out).expect("encrypt");
        assert_eq!(stats.plaintext_len, pt.len() as u64);
        assert_eq!(stats.ciphertext_len, out.len() as u64);
        out
    }

    /// Decrypts with both entry points; returns the error (asserting they agree and nothing leaked).
    fn must_fail(key: &SymmetricKey, ctx: &BlobContext, blob: &[u8]) -> CryptoError {
        let all = decrypt_to_vec(key, ctx, blob);
        let err = match all {
            Ok(_) => panic!("tampered blob accepted"),
            Err(e) => e,
        };
        let mut written = Vec::new();
        let again = decrypt_stream(key, ctx, blob, &mut written).expect_err("stream accepted it");
        assert_eq!(format!("{err:?}"), format!("{again:?}"));
        err
    }

    /// Offsets of each ciphertext chunk in a blob of `pt_len` plaintext bytes.
    fn chunk_ranges(pt_len: usize) -> Vec<std::ops::Range<usize>> {
        let n = pt_len.div_ceil(CHUNK_SIZE).max(1);
        (0..n)
            .map(|i| {
                let start = HEADER_LEN + i * CT_CHUNK;
                let len = if i + 1 == n { pt_len - i * CHUNK_SIZE + TAG_LEN } else { CT_CHUNK };
                start..start + len
            })
            .collect()
    }

    #[test]
    fn round_trip_sizes() {
        let key = SymmetricKey::generate();
        for len in [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 7] {
            let pt = data(len);
            let blob = encrypt(&key, &CTX, &pt);
            assert_eq!(blob.len() as u64, encrypted_len(len as u64), "len {len}");
            assert_eq!(chunk_ranges(len).last().map(|r| r.end), Some(blob.len()));
            assert_eq!(blob[0], FORMAT_VERSION);
            let back = decrypt_to_vec(&key, &CTX, &blob[..]).expect("decrypt");
            assert_eq!(back.as_slice(), &pt[..], "len {len}");
            let mut out = Vec::new();
            let stats = decrypt_stream(&key, &CTX, &blob[..], &mut out).expect("decrypt");
            assert_eq!(out, pt);
            assert_eq!(stats, StreamStats { plaintext_len: len as u64, ciphertext_len: blob.len() as u64 });
        }
    }

    #[test]
    fn encrypted_len_values() {
        assert_eq!(encrypted_len(0), 36);
        assert_eq!(encrypted_len(1), 37);
        assert_eq!(encrypted_len(CHUNK_SIZE as u64), 20 + 65536 + 16);
        assert_eq!(encrypted_len(CHUNK_SIZE as u64 + 1), 20 + 65537 + 32);
        assert_eq!(encrypted_len(u64::MAX), u64::MAX);
    }

    /// A reader that returns one byte at a time, and `Interrupted` now and then.
    struct Trickle<'a> {
        data: &'a [u8],
        calls: usize,
    }
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls.is_multiple_of(7) {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(self.data.len()).min(1 + self.calls % 3000);
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn short_reads_do_not_change_the_chunking() {
        let key = SymmetricKey::generate();
        let pt = data(2 * CHUNK_SIZE + 5);
        let prefix = [4u8; NONCE_PREFIX_LEN];
        let mut a = Vec::new();
        let mut b = Vec::new();
        encrypt_with_prefix(&key, &CTX, &prefix, &pt[..], &mut a).expect("encrypt");
        encrypt_with_prefix(&key, &CTX, &prefix, Trickle { data: &pt, calls: 0 }, &mut b).expect("encrypt");
        assert_eq!(a, b);
        let back = decrypt_to_vec(&key, &CTX, Trickle { data: &a, calls: 0 }).expect("decrypt");
        assert_eq!(back.as_slice(), &pt[..]);
    }

    #[test]
    fn dropped_last_chunk_is_truncated() {
        let key = SymmetricKey::generate();
        let pt = data(3 * CHUNK_SIZE + 7);
        let blob = encrypt(&key, &CTX, &pt);
        let ranges = chunk_ranges(pt.len());
        for r in &ranges[..ranges.len() - 1] {
            // Cut exactly after chunk i: every prefix of whole chunks is detected as truncated.
            assert!(matches!(must_fail(&key, &CTX, &blob[..r.end]), CryptoError::Truncated));
        }
        assert!(matches!(must_fail(&key, &CTX, &blob[..HEADER_LEN]), CryptoError::Truncated));
        assert!(matches!(must_fail(&key, &CTX, &blob[..HEADER_LEN - 1]), CryptoError::Truncated));
        assert!(matches!(must_fail(&key, &CTX, &blob[..HEADER_LEN + 10]), CryptoError::Truncated));
        assert!(matches!(must_fail(&key, &CTX, &[]), CryptoError::Truncated));
    }

    #[test]
    fn exact_multiple_dropped_last_chunk() {
        // With a plaintext of exactly 2 chunks, the last chunk is full-size; dropping it must still fail.
        let key = SymmetricKey::generate();
        let blob = encrypt(&key, &CTX, &data(2 * CHUNK_SIZE));
        assert!(matches!(must_fail(&key, &CTX, &blob[..HEADER_LEN + CT_CHUNK]), CryptoError::Truncated));
    }

    #[test]
    fn cut_mid_chunk_fails() {
        let key = SymmetricKey::generate();
        let pt = data(3 * CHUNK_SIZE + 7);
        let blob = encrypt(&key, &CTX, &pt);
        for cut in [HEADER_LEN + 100, HEADER_LEN + CT_CHUNK + 1, blob.len() - 1, blob.len() - 17] {
            let err = must_fail(&key, &CTX, &blob[..cut]);
            assert!(matches!(err, CryptoError::Decrypt | CryptoError::Truncated), "{cut}: {err:?}");
        }
    }

    #[test]
    fn bit_flips_fail() {
        let key = SymmetricKey::generate();
        let pt = data(CHUNK_SIZE + 100);
        let blob = encrypt(&key, &CTX, &pt);
        for pos in [
            1,
            10,
            HEADER_LEN - 1,
            HEADER_LEN,
            HEADER_LEN + 5000,
            HEADER_LEN + CT_CHUNK - 1,
            HEADER_LEN + CT_CHUNK,
            blob.len() - 1,
        ] {
            let mut bad = blob.clone();
            bad[pos] ^= 0x20;
            assert!(matches!(must_fail(&key, &CTX, &bad), CryptoError::Decrypt), "pos {pos}");
        }
        let mut bad = blob.clone();
        bad[0] = 2;
        assert!(matches!(
            must_fail(&key, &CTX, &bad),
            CryptoError::UnsupportedVersion { what: "blob stream", version: 2 }
        ));
    }

    #[test]
    fn reordered_chunks_fail() {
        let key = SymmetricKey::generate();
        let pt = data(3 * CHUNK_SIZE + 7);
        let blob = encrypt(&key, &CTX, &pt);
        let r = chunk_ranges(pt.len());
        let mut bad = blob[..HEADER_LEN].to_vec();
        for i in [1, 0, 2, 3] {
            bad.extend_from_slice(&blob[r[i].clone()]);
        }
        assert!(matches!(must_fail(&key, &CTX, &bad), CryptoError::Decrypt));
        // A middle chunk moved to the end (and the real last one dropped).
        let mut bad = blob[..r[2].end].to_vec();
        bad.extend_from_slice(&blob[r[1].clone()]);
        assert!(matches!(must_fail(&key, &CTX, &bad), CryptoError::Decrypt));
        // A duplicated chunk.
        let mut bad = blob[..r[1].end].to_vec();
        bad.extend_from_slice(&blob[r[1].start..]);
        assert!(matches!(must_fail(&key, &CTX, &bad), CryptoError::Decrypt));
    }

    #[test]
    fn chunk_from_another_blob_fails() {
        let key = SymmetricKey::generate();
        let pt = data(2 * CHUNK_SIZE + 1);
        let a = encrypt(&key, &CTX, &pt);
        let b = encrypt(&key, &CTX, &pt);
        let r = chunk_ranges(pt.len());
        let mut bad = a.clone();
        bad[r[1].clone()].copy_from_slice(&b[r[1].clone()]);
        assert!(matches!(must_fail(&key, &CTX, &bad), CryptoError::Decrypt));
        // Same nonce prefix grafted on too: still bound to its own blob by the header.
        let mut bad = b.clone();
        bad[..HEADER_LEN].copy_from_slice(&a[..HEADER_LEN]);
        assert!(matches!(must_fail(&key, &CTX, &bad), CryptoError::Decrypt));
    }

    #[test]
    fn other_context_or_key_fails() {
        let key = SymmetricKey::generate();
        let blob = encrypt(&key, &CTX, &data(CHUNK_SIZE + 3));
        let other_doc = BlobContext { doc_id: [8; 16], ..CTX };
        let other_version = BlobContext { version: 4, ..CTX };
        assert!(matches!(must_fail(&key, &other_doc, &blob), CryptoError::Decrypt));
        assert!(matches!(must_fail(&key, &other_version, &blob), CryptoError::Decrypt));
        assert!(matches!(must_fail(&SymmetricKey::generate(), &CTX, &blob), CryptoError::Decrypt));
        // The empty file too.
        let empty = encrypt(&key, &CTX, &[]);
        assert!(matches!(must_fail(&SymmetricKey::generate(), &CTX, &empty), CryptoError::Decrypt));
    }

    #[test]
    fn stream_writes_nothing_from_a_bad_first_chunk() {
        let key = SymmetricKey::generate();
        let blob = encrypt(&key, &CTX, &data(2 * CHUNK_SIZE));
        let mut bad = blob.clone();
        bad[HEADER_LEN + 3] ^= 1;
        let mut written = Vec::new();
        assert!(decrypt_stream(&key, &CTX, &bad[..], &mut written).is_err());
        assert!(written.is_empty());
        // A bad second chunk: only the first (authenticated) chunk was written.
        let mut bad = blob.clone();
        bad[HEADER_LEN + CT_CHUNK + 3] ^= 1;
        let mut written = Vec::new();
        assert!(decrypt_stream(&key, &CTX, &bad[..], &mut written).is_err());
        assert_eq!(written.len(), CHUNK_SIZE);
    }

    struct FullDisk {
        room: usize,
    }
    impl Write for FullDisk {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::ErrorKind::StorageFull.into());
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    struct FailingReader;
    impl Read for FailingReader {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::ErrorKind::PermissionDenied.into())
        }
    }

    #[test]
    fn io_errors_keep_their_kind() {
        let key = SymmetricKey::generate();
        let pt = data(3 * CHUNK_SIZE);
        for room in [0, 10, CHUNK_SIZE * 2] {
            let err = encrypt_stream(&key, &CTX, &pt[..], FullDisk { room }).expect_err("disk full");
            assert!(matches!(err, CryptoError::Io(ref e) if e.kind() == io::ErrorKind::StorageFull), "{err:?}");
        }
        let blob = encrypt(&key, &CTX, &pt);
        let err = decrypt_stream(&key, &CTX, &blob[..], FullDisk { room: 100 }).expect_err("disk full");
        assert!(matches!(err, CryptoError::Io(ref e) if e.kind() == io::ErrorKind::StorageFull));
        let err = encrypt_stream(&key, &CTX, FailingReader, Vec::new()).expect_err("reader");
        assert!(matches!(err, CryptoError::Io(ref e) if e.kind() == io::ErrorKind::PermissionDenied));
        let err = decrypt_to_vec(&key, &CTX, FailingReader).expect_err("reader");
        assert!(matches!(err, CryptoError::Io(ref e) if e.kind() == io::ErrorKind::PermissionDenied));
    }

    /// Reads `data`, then fails with `PermissionDenied` instead of ending.
    struct FailsAfter<'a>(&'a [u8]);
    impl Read for FailsAfter<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::ErrorKind::PermissionDenied.into());
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// Failures deep into a long stream.
    #[test]
    fn errors_mid_stream() {
        let key = SymmetricKey::generate();
        let pt = data(17 * CHUNK_SIZE + 3);
        let blob = encrypt(&key, &CTX, &pt);
        assert_eq!(decrypt_to_vec(&key, &CTX, &blob[..]).expect("decrypt").as_slice(), &pt[..]);

        // Chunk 9 modified: exactly chunks 0..9 were written, and they are the right plaintext.
        let mut bad = blob.clone();
        bad[HEADER_LEN + 9 * CT_CHUNK + 100] ^= 0x80;
        let mut written = Vec::new();
        let err = decrypt_stream(&key, &CTX, &bad[..], &mut written).expect_err("tampered");
        assert!(matches!(err, CryptoError::Decrypt));
        assert_eq!(written, pt[..9 * CHUNK_SIZE]);
        assert!(matches!(decrypt_to_vec(&key, &CTX, &bad[..]), Err(CryptoError::Decrypt)));

        // The reader fails after 5.5 chunks, on both sides.
        let cut = 5 * CHUNK_SIZE + CHUNK_SIZE / 2;
        let err = encrypt_stream(&key, &CTX, FailsAfter(&pt[..cut]), Vec::new()).expect_err("reader");
        assert!(matches!(err, CryptoError::Io(ref e) if e.kind() == io::ErrorKind::PermissionDenied));
        let err = decrypt_to_vec(&key, &CTX, FailsAfter(&blob[..cut])).expect_err("reader");
        assert!(matches!(err, CryptoError::Io(ref e) if e.kind() == io::ErrorKind::PermissionDenied));

        // The disk fills up after 7 chunks.
        let err = decrypt_stream(&key, &CTX, &blob[..], FullDisk { room: 7 * CHUNK_SIZE + 10 }).expect_err("disk full");
        assert!(matches!(err, CryptoError::Io(ref e) if e.kind() == io::ErrorKind::StorageFull));
    }

    /// Golden blob, and an independent re-computation of the first chunk with the plain AEAD: any
    /// change to the header, the nonce layout or the chunk AAD breaks this.
    #[test]
    fn golden_blob_layout() {
        let key = SymmetricKey::from_bytes([0x5c; 32]);
        let ctx = BlobContext { doc_id: *b"0123456789abcdef", version: 0x0102_0304 };
        let prefix = [0xa5; NONCE_PREFIX_LEN];
        let mut blob = Vec::new();
        encrypt_with_prefix(&key, &ctx, &prefix, &b"hello coffre"[..], &mut blob).expect("encrypt");
        let golden = hex::encode(&blob);

        let mut nonce = [0u8; 24];
        nonce[..19].copy_from_slice(&prefix);
        nonce[23] = 1; // counter 0 (big endian), last-chunk flag
        let aad = [&[1u8][..], b"0123456789abcdef", &[4, 3, 2, 1], &[0; 8], &[1]].concat();
        let expected = XChaCha20Poly1305::new((&[0x5c; 32]).into())
            .encrypt(&XNonce::from(nonce), Payload { msg: b"hello coffre", aad: &aad })
            .expect("aead");
        assert_eq!(blob[..20], [&[1u8][..], &prefix[..]].concat()[..]);
        assert_eq!(blob[20..], expected[..]);

        // Two chunks: chunk 0 carries counter 0, flag 0, index 0 in the AAD.
        let pt = data(CHUNK_SIZE + 1);
        let mut blob = Vec::new();
        encrypt_with_prefix(&key, &ctx, &prefix, &pt[..], &mut blob).expect("encrypt");
        nonce[23] = 0;
        let aad0 = [&[1u8][..], b"0123456789abcdef", &[4, 3, 2, 1], &[0; 8], &[0]].concat();
        let c0 = XChaCha20Poly1305::new((&[0x5c; 32]).into())
            .encrypt(&XNonce::from(nonce), Payload { msg: &pt[..CHUNK_SIZE], aad: &aad0 })
            .expect("aead");
        assert_eq!(blob[20..20 + CT_CHUNK], c0[..]);
        nonce[22] = 1;
        nonce[23] = 1;
        let aad1 = [&[1u8][..], b"0123456789abcdef", &[4, 3, 2, 1], &[1, 0, 0, 0, 0, 0, 0, 0], &[1]].concat();
        let c1 = XChaCha20Poly1305::new((&[0x5c; 32]).into())
            .encrypt(&XNonce::from(nonce), Payload { msg: &pt[CHUNK_SIZE..], aad: &aad1 })
            .expect("aead");
        assert_eq!(blob[20 + CT_CHUNK..], c1[..]);
        assert_eq!(golden, GOLDEN_BLOB);
    }

    const GOLDEN_BLOB: &str =
        "01a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5db4633194bcea6504301d21227afbcd029167f16c7ca6f85aff60d1b";
}
