//! STREAM blob encryption throughput, file in -> file out, against one-shot ChaCha20-Poly1305 over the
//! same bytes in memory. `cargo bench -p coffre-crypto`; prints MB/s and the ratio (target >= 0.7x).

use std::fs::File;
use std::io::{BufReader, Write};
use std::time::{Duration, Instant};

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use coffre_crypto::{BlobContext, SymmetricKey, decrypt_stream, encrypt_stream, encrypted_len};

const SIZE: usize = 64 * 1024 * 1024;
const ROUNDS: usize = 5;

fn mb_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn best<F: FnMut()>(mut f: F) -> Duration {
    (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::Builder::new()
        .prefix("coffre-bench")
        .tempdir_in("/tmp")?;
    let plain_path = dir.path().join("plain.bin");
    let enc_path = dir.path().join("blob.enc");
    let dec_path = dir.path().join("plain.out");

    // Deterministic, incompressible-looking content (xorshift).
    let mut data = vec![0u8; SIZE];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for chunk in data.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    File::create(&plain_path)?.write_all(&data)?;

    let key = SymmetricKey::generate();
    let ctx = BlobContext {
        doc_id: [1; 16],
        version: 1,
    };

    let mut failure = None;
    let stream_enc = best(|| {
        let r = (|| -> coffre_crypto::Result<()> {
            let input = File::open(&plain_path)?;
            let output = File::create(&enc_path)?;
            encrypt_stream(&key, &ctx, input, output)?;
            Ok(())
        })();
        if let Err(e) = r {
            failure = Some(e);
        }
    });
    let stream_dec = best(|| {
        let r = (|| -> coffre_crypto::Result<()> {
            let input = BufReader::with_capacity(1 << 20, File::open(&enc_path)?);
            let output = File::create(&dec_path)?;
            decrypt_stream(&key, &ctx, input, output)?;
            Ok(())
        })();
        if let Err(e) = r {
            failure = Some(e);
        }
    });
    if let Some(e) = failure {
        return Err(e.into());
    }
    assert_eq!(
        std::fs::metadata(&enc_path)?.len(),
        encrypted_len(SIZE as u64)
    );
    assert!(std::fs::read(&dec_path)? == data, "round trip");

    let cipher = ChaCha20Poly1305::new(key.as_bytes().into());
    let nonce = Nonce::from([0u8; 12]);
    // Encrypted in place, round after round (the speed does not depend on the content).
    let mut buf = data.clone();
    let mut tag_ok = true;
    let plain = best(|| {
        tag_ok &= cipher
            .encrypt_in_place_detached(&nonce, b"", &mut buf)
            .is_ok();
    });
    assert!(tag_ok);

    let enc = mb_per_s(SIZE, stream_enc);
    let dec = mb_per_s(SIZE, stream_dec);
    let base = mb_per_s(SIZE, plain);
    println!(
        "coffre-crypto STREAM benchmark: {} MiB, best of {ROUNDS} runs, /tmp (page cache, no fsync)",
        SIZE >> 20
    );
    println!(
        "  STREAM XChaCha20-Poly1305 encrypt, file -> file : {enc:8.1} MB/s ({:.3} s)",
        stream_enc.as_secs_f64()
    );
    println!(
        "  STREAM XChaCha20-Poly1305 decrypt, file -> file : {dec:8.1} MB/s ({:.3} s)",
        stream_dec.as_secs_f64()
    );
    println!(
        "  ChaCha20-Poly1305 one call, in memory           : {base:8.1} MB/s ({:.3} s)",
        plain.as_secs_f64()
    );
    println!(
        "  ratio STREAM encrypt / one-shot                 : {:8.2}x (target >= 0.70x)",
        enc / base
    );
    println!(
        "  ratio STREAM decrypt / one-shot                 : {:8.2}x",
        dec / base
    );
    Ok(())
}
