//! The hosting kit through the real `coffre-server` binary (issue 14): `--version`; `backup DIR`
//! while it runs, `check`, `restore DIR`, and the restored directory served with the same key; a
//! certificate that does not load stops it before it says it listens; and the free-space watermark:
//! below it, new vaults and new chunks get `507 server_full` while pulls and known chunks still work.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use coffre_sync::{CancelToken, SyncError};
use coffre_sync_server::watermark::free_bytes;
use coffre_test_harness::{ServerProcess, TestServer, key, test_bytes};

const BIN: &str = env!("CARGO_BIN_EXE_coffre-server");

fn admin(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).env("COFFRE_SERVER_DATA_DIR", data).env("LANG", "C").output().unwrap()
}

#[test]
fn version_backup_check_and_restore_through_the_binary() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        format!("coffre-server {} (protocol 2)", env!("CARGO_PKG_VERSION"))
    );

    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut running = ServerProcess::start(std::path::Path::new(BIN), &data);
    let device = key();
    let client = coffre_sync::BlockingClient::new(&running.url, device.clone()).unwrap();
    let reg = client.register(&key()).unwrap();
    client.upload_blob(&[7u8; 16], &test_bytes(300_000, 1), &|_| {}, &CancelToken::new()).unwrap();

    // Online backup and check, beside the running server.
    let backup = tmp.path().join("backup");
    let out = admin(&data, &["backup", backup.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let pk = coffre_sync::protocol::b64(&reg.server_pk);
    assert!(text.contains(&pk) && text.contains("server.key") && text.contains("1 vault(s)"), "{text}");
    let out = admin(&data, &["check", "--json"]);
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((report["vaults"].as_u64(), report["server_key"].as_str()), (Some(1), Some(pk.as_str())));
    assert!(report["chunks"].as_u64().unwrap() >= 1 && report["problems"].as_array().unwrap().is_empty());
    let _ = running.proc.kill();
    let _ = running.proc.wait();

    // A damaged chunk is found by `check` and refused by `restore`.
    let damaged = tmp.path().join("damaged");
    std::fs::create_dir(&damaged).unwrap();
    let chunk = first_file(&backup.join("chunks"));
    let saved = std::fs::read(&chunk).unwrap();
    let mut bad = saved.clone();
    bad[10] ^= 1;
    std::fs::write(&chunk, &bad).unwrap();
    let out = admin(&backup, &["check", "--deep"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("does not hash to its address"));
    let out = admin(&damaged, &["restore", backup.to_str().unwrap()]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("ne sont pas cohérentes"));
    std::fs::write(&chunk, &saved).unwrap();

    // Restored into a new directory, the binary serves the same vault with the same key.
    let restored = tmp.path().join("restored");
    let out = admin(&restored, &["restore", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut again = ServerProcess::start(std::path::Path::new(BIN), &restored);
    let client = coffre_sync::BlockingClient::new(&again.url, device).unwrap();
    client.attach(reg.vault, reg.server_pk);
    assert_eq!(client.vault_info().unwrap().head.seq, 0);
    let _ = again.proc.kill();
    let _ = again.proc.wait();
}

fn first_file(dir: &std::path::Path) -> std::path::PathBuf {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    let first = entries.into_iter().next().unwrap_or_else(|| panic!("nothing under {}", dir.display()));
    if first.is_dir() { first_file(&first) } else { first }
}

#[test]
fn a_certificate_that_does_not_load_stops_the_server_before_it_listens() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("cert.pem"), "not a certificate").unwrap();
    std::fs::write(tmp.path().join("key.pem"), "not a key").unwrap();
    let out = Command::new(BIN)
        .env("COFFRE_SERVER_LISTEN", "127.0.0.1:0")
        .env("COFFRE_SERVER_DATA_DIR", tmp.path().join("data"))
        .env("COFFRE_SERVER_TLS_CERT_FILE", tmp.path().join("cert.pem"))
        .env("COFFRE_SERVER_TLS_KEY_FILE", tmp.path().join("key.pem"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening on"));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no PEM certificate"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn below_the_free_space_watermark_uploads_are_refused_and_reads_still_work() {
    // A small watermark: this disk has far more free space, everything is accepted.
    let mut roomy = TestServer::start_with(|c| c.min_free_disk_bytes = 1 << 20);
    let free = free_bytes(&roomy.data_dir()).unwrap();
    assert!(free > 1 << 20, "the test needs more than 1 MiB free");
    let h = roomy.vault();
    h.client.upload_blob(&[1u8; 16], &test_bytes(100_000, 2), &|_| {}, &CancelToken::new()).unwrap();
    let url = roomy.url.clone();
    roomy.stop();

    // The same data served with a watermark above the free space: the disk counts as full.
    let data = roomy.data_dir();
    let listen = url.trim_start_matches("http://").parse().unwrap();
    let full = TestServer::start_with(move |c| {
        c.data_dir = data;
        c.listen = listen;
        c.min_free_disk_bytes = free + (1 << 40);
    });
    let err = h.client.upload_blob(&[2u8; 16], &test_bytes(100_000, 3), &|_| {}, &CancelToken::new()).unwrap_err();
    assert!(matches!(err, SyncError::ServerFull), "{err:?}");
    assert_eq!(err.kind(), coffre_sync::ErrorKind::ServerFull);
    // The wire answer: 507 with its own code (not the vault's quota).
    let newcomer = key();
    let err = full.client(&newcomer).register(&key()).unwrap_err();
    assert!(matches!(err, SyncError::ServerFull), "{err:?}");
    // Reads and known chunks still work, so people can sync down and free space.
    assert_eq!(h.client.vault_info().unwrap().head.seq, 0);
    h.client.upload_blob(&[1u8; 16], &test_bytes(100_000, 2), &|_| {}, &CancelToken::new()).unwrap();
}
