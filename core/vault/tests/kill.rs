//! Kill test: a child process imports in a loop (one document at a time, and every third round four
//! files as one batch) and is killed with SIGKILL at random moments. After
//! each kill the vault opens, `verify` is clean, and every document whose import returned is there.
//! The child is this same test binary (a `harness = false` test) re-executed with `COFFRE_KILL_CHILD` set.
#![allow(clippy::unwrap_used)]

mod common;

use coffre_crypto::AccountRootKey;
use coffre_vault::*;
use common::*;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KILLS: usize = 200;

fn main() {
    match (std::env::var("COFFRE_KILL_CHILD"), std::env::var("COFFRE_KILL_KEY")) {
        (Ok(dir), Ok(key)) => child(&dir, &key),
        _ => {
            // `cargo test -- --list` and filters: behave like a one-test harness.
            let args: Vec<String> = std::env::args().collect();
            if args.iter().any(|a| a == "--list") {
                println!("imports_survive_sigkill: test");
                return;
            }
            imports_survive_sigkill();
            println!("test imports_survive_sigkill ... ok");
        }
    }
}

/// Child side: open the vault with the root key from the environment and import forever,
/// printing each id once `add_document` has returned.
fn child(dir: &str, key: &str) {
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(key, &mut bytes).unwrap();
    let mut v = Vault::open_with_root_key(std::path::Path::new(dir), AccountRootKey::from_bytes(bytes)).unwrap();
    let out = std::io::stdout();
    println!("ready");
    let scratch = std::path::PathBuf::from(format!("{dir}-files"));
    std::fs::create_dir_all(&scratch).unwrap();
    for i in 0u64.. {
        let seed = (i % 251) as u8;
        let size = 1_000 + (i as usize * 7919) % 150_000;
        if i % 3 == 2 {
            // Every third round, an import of four files as one batch (made durable together).
            let files: Vec<_> = (0..4u64)
                .map(|k| {
                    let (seed, size) = (((i + k) % 251) as u8, 1_000 + ((i + k) as usize * 7919) % 150_000);
                    let path = scratch.join(format!("{i}-{k}-{seed}-{size}.jpg"));
                    std::fs::write(&path, jpeg_bytes(seed, size)).unwrap();
                    (path, meta("autre", ""))
                })
                .collect();
            let outcome = v.import_files(&files);
            assert!(outcome.failed.is_none(), "{:?}", outcome.failed);
            let mut lock = out.lock();
            for (id, k) in outcome.added.iter().zip(0..4u64) {
                let (seed, size) = (((i + k) % 251) as u8, 1_000 + ((i + k) as usize * 7919) % 150_000);
                writeln!(lock, "{id} {seed} {size}").unwrap();
            }
            lock.flush().unwrap();
            continue;
        }
        let id = v
            .add_document(
                meta("autre", &format!("kill {i}")),
                Origin::Camera,
                vec![page(jpeg_bytes(seed, size), "image/jpeg")],
            )
            .unwrap();
        if i % 5 == 0 {
            v.update_metadata(&id, MetadataPatch { notes: Some(format!("note {i}")), ..Default::default() }).unwrap();
        }
        let mut lock = out.lock();
        writeln!(lock, "{id} {seed} {size}").unwrap();
        lock.flush().unwrap();
    }
}

/// A small deterministic PRNG for kill timings (xorshift).
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn imports_survive_sigkill() {
    let kills: usize = std::env::var("COFFRE_KILLS").ok().and_then(|s| s.parse().ok()).unwrap_or(KILLS);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("v");
    let ark_hex = {
        let v = new_vault(&dir);
        hex::encode(v.root_key().as_bytes())
    };
    let exe = std::env::current_exe().unwrap();
    let mut committed: Vec<(DocId, u8, usize)> = Vec::new();
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let started = Instant::now();
    for round in 0..kills {
        let mut child = Command::new(&exe)
            .env("COFFRE_KILL_CHILD", &dir)
            .env("COFFRE_KILL_KEY", &ark_hex)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait until the child has the vault open, then let it run a random while.
        loop {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(l) if l == "ready" => break,
                Ok(_) => continue,
                Err(_) => panic!("child did not start (round {round})"),
            }
        }
        std::thread::sleep(Duration::from_micros(next(&mut rng) % 60_000));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        for line in rx.try_iter() {
            let mut parts = line.split_whitespace();
            if let (Some(id), Some(seed), Some(size)) = (parts.next(), parts.next(), parts.next()) {
                committed.push((DocId::parse(id).unwrap(), seed.parse().unwrap(), size.parse().unwrap()));
            }
        }
        // After every kill: opens, verify clean, every returned import present.
        let v = Vault::open_with_root_key(&dir, AccountRootKey::from_bytes(hex_key(&ark_hex))).unwrap();
        let report = v.verify().unwrap();
        assert!(report.is_clean(), "round {round}: {report:?}");
        let listed = v.list(&ListQuery::default()).unwrap().len();
        assert!(listed >= committed.len(), "round {round}: {listed} listed < {} committed", committed.len());
        if round % 20 == 0 || round + 1 == kills {
            for (id, seed, size) in &committed {
                assert_eq!(v.page_bytes(id, 0).unwrap().as_slice(), jpeg_bytes(*seed, *size).as_slice());
            }
        } else if let Some((id, seed, size)) = committed.last() {
            assert_eq!(v.page_bytes(id, 0).unwrap().as_slice(), jpeg_bytes(*seed, *size).as_slice());
        }
    }
    eprintln!("{kills} kills, {} committed documents, {:.1?}", committed.len(), started.elapsed());
    assert!(committed.len() > kills / 4, "the child made progress between kills");
}

fn hex_key(s: &str) -> [u8; 32] {
    let mut b = [0u8; 32];
    hex::decode_to_slice(s, &mut b).unwrap();
    b
}
