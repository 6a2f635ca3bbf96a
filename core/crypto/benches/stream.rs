//! STREAM blob encryption throughput, file in -> file out, against one-shot ChaCha20-Poly1305 over the
//! same bytes in memory (ring's assembly, what STREAM now runs on: ADR 0008). `cargo bench -p
//! coffre-crypto`; prints MB/s and the ratios (targets: STREAM >= 0.7x one-shot; the primitive >= 0.5x
//! OpenSSL's `openssl speed -evp chacha20-poly1305` on 64 KiB blocks, run before and after the rounds;
//! RustCrypto's portable ChaCha20-Poly1305, what STREAM ran on before, as a third line).
//!
//! The measurements are interleaved round by round (best of `ROUNDS` each), so that load from other
//! processes hits them alike. Two extra lines split the STREAM cost: the same encryption memory to
//! memory, and a plain file copy with the same chunking (the I/O alone).

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use coffre_crypto::{BlobContext, CHUNK_SIZE, SymmetricKey, decrypt_stream, encrypt_stream, encrypted_len};
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, UnboundKey};

const SIZE: usize = 64 * 1024 * 1024;
const ROUNDS: usize = 11;

/// `/proc/loadavg`'s first field, to judge how much other processes skewed a run.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

fn mb_per_s(d: Duration) -> f64 {
    SIZE as f64 / 1e6 / d.as_secs_f64()
}

fn timed<E>(best: &mut Duration, f: impl FnOnce() -> Result<(), E>) -> Result<(), E> {
    let t = Instant::now();
    f()?;
    *best = (*best).min(t.elapsed());
    Ok(())
}

fn copy_file(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut input = File::open(from)?;
    let mut output = File::create(to)?;
    let mut buf = vec![0u8; CHUNK_SIZE];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            return output.flush();
        }
        output.write_all(&buf[..n])?;
    }
}

/// OpenSSL's ChaCha20-Poly1305 on 64 KiB blocks, in MB/s (`None` without the `openssl` command); by
/// wall-clock time (`-elapsed`) like the rest of this bench: its default divides by CPU time, which
/// would flatter it on a loaded machine.
fn openssl_speed() -> Option<f64> {
    let out = std::process::Command::new("openssl")
        .args(["speed", "-evp", "chacha20-poly1305", "-bytes", "65536", "-seconds", "2", "-mr", "-elapsed"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "+F:<n>:ChaCha20-Poly1305:<bytes per second>"
    let line = text.lines().find(|l| l.starts_with("+F:"))?;
    line.rsplit(':').next()?.trim().parse::<f64>().ok().map(|b| b / 1e6)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::Builder::new().prefix("coffre-bench").tempdir_in("/tmp")?;
    let plain_path = dir.path().join("plain.bin");
    let enc_path = dir.path().join("blob.enc");
    let dec_path = dir.path().join("plain.out");
    let copy_path = dir.path().join("copy.bin");

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
    let ctx = BlobContext { doc_id: [1; 16], version: 1 };
    let cipher = ChaCha20Poly1305::new(key.as_bytes().into());
    let nonce = Nonce::from([0u8; 12]);
    let ring_key = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, key.as_bytes()).map_err(|_| "ring key")?);
    let mut in_place = data.clone();
    let mut in_place_ring = data.clone();
    let mut mem_out = Vec::with_capacity(encrypted_len(SIZE as u64) as usize);

    let load_before = load_average();
    let max = Duration::MAX;
    let openssl_before = openssl_speed();
    let (mut enc, mut dec, mut one_shot, mut mem, mut copy) = (max, max, max, max, max);
    let mut portable = max;
    for _ in 0..ROUNDS {
        // Each output is a new file, as in the vault: deleting last round's 64 MiB is not timed.
        for old in [&enc_path, &dec_path, &copy_path] {
            let _ = std::fs::remove_file(old);
        }
        timed(&mut enc, || -> coffre_crypto::Result<()> {
            encrypt_stream(&key, &ctx, File::open(&plain_path)?, File::create(&enc_path)?)?;
            Ok(())
        })?;
        timed(&mut dec, || -> coffre_crypto::Result<()> {
            decrypt_stream(&key, &ctx, File::open(&enc_path)?, File::create(&dec_path)?)?;
            Ok(())
        })?;
        // One call over the whole buffer, encrypted in place round after round.
        timed(&mut one_shot, || {
            let nonce = ring::aead::Nonce::assume_unique_for_key([0u8; 12]);
            ring_key.seal_in_place_separate_tag(nonce, Aad::empty(), &mut in_place_ring).map(|_| ())
        })
        .map_err(|_| "one-shot AEAD failed")?;
        timed(&mut portable, || cipher.encrypt_in_place_detached(&nonce, b"", &mut in_place).map(|_| ()))
            .map_err(|_| "one-shot AEAD failed")?;
        timed(&mut mem, || {
            mem_out.clear();
            encrypt_stream(&key, &ctx, &data[..], &mut mem_out).map(|_| ())
        })?;
        timed(&mut copy, || copy_file(&plain_path, &copy_path))?;
    }
    if std::fs::metadata(&enc_path)?.len() != encrypted_len(SIZE as u64) || std::fs::read(&dec_path)? != data {
        return Err("round trip failed".into());
    }

    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "coffre-crypto STREAM benchmark: {} MiB, best of {ROUNDS} interleaved runs, new files in /tmp (page cache, no fsync)",
        SIZE >> 20
    );
    println!("  {cpus} CPUs; load average before {load_before}, after {}", load_average());
    let line = |name: &str, d: Duration| {
        println!("  {name:<50} {:8.1} MB/s  ({:.3} s)", mb_per_s(d), d.as_secs_f64());
    };
    line("STREAM XChaCha20-Poly1305 encrypt, file -> file", enc);
    line("STREAM XChaCha20-Poly1305 decrypt, file -> file", dec);
    line("ChaCha20-Poly1305 (ring), one call, in memory", one_shot);
    line("ChaCha20-Poly1305 (RustCrypto, before), one call", portable);
    let openssl = [openssl_before, openssl_speed()]
        .into_iter()
        .flatten()
        .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
    if let Some(mbps) = openssl {
        println!("  {:<50} {mbps:8.1} MB/s  (best of 2 runs of 2 s)", "OpenSSL ChaCha20-Poly1305, 64 KiB blocks");
    }
    line("  (split) STREAM encrypt, memory -> memory", mem);
    line("  (split) file copy, 64 KiB chunks, no crypto", copy);
    let ratio = mb_per_s(enc) / mb_per_s(one_shot);
    println!(
        "  ratio STREAM encrypt (file -> file) / one-shot in memory: {ratio:.2}x (target >= 0.70x: {})",
        if ratio >= 0.7 { "met" } else { "NOT met" }
    );
    println!("  ratio STREAM decrypt (file -> file) / one-shot in memory: {:.2}x", mb_per_s(dec) / mb_per_s(one_shot));
    println!("  ratio STREAM encrypt (memory -> memory) / one-shot:       {:.2}x", mb_per_s(mem) / mb_per_s(one_shot));
    println!(
        "  ratio STREAM encrypt (file -> file) / RustCrypto one-shot: {:.2}x (the primitive STREAM ran on before)",
        mb_per_s(enc) / mb_per_s(portable)
    );
    if let Some(mbps) = openssl {
        let r = mb_per_s(one_shot) / mbps;
        println!(
            "  ratio ChaCha20-Poly1305 (ring) / OpenSSL:                 {r:.2}x (target >= 0.50x: {})",
            if r >= 0.5 { "met" } else { "NOT met" }
        );
    }
    Ok(())
}
