//! The client is killed (SIGKILL) at random moments while syncing: afterwards a sync completes, the
//! server holds every document exactly once, and a newly linked device gets them all, intact.
#![allow(clippy::unwrap_used)]

mod common;
use common::ok;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn coffre(vault: &Path, pass: &str, args: &[&str]) -> Output {
    common::coffre_cmd(vault, pass, "C").args(args).output().unwrap()
}

fn ids(json: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut out: Vec<String> = v.as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_string()).collect();
    out.sort();
    out
}

#[test]
fn killed_mid_sync_loses_and_duplicates_nothing() {
    let server = common::local_server();
    let url = server.url.clone();

    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    ok(coffre(&a, "passe a 4812", &["init"]));
    let mut files = Vec::new();
    for i in 0..24u32 {
        let f = tmp.path().join(format!("doc{i}.pdf"));
        let mut bytes = b"%PDF-1.4\n".to_vec();
        bytes.extend((0..200_000u32).map(|j| (j.wrapping_mul(2654435761).wrapping_add(i) >> 13) as u8));
        std::fs::write(&f, &bytes).unwrap();
        files.push(f);
    }
    let args: Vec<&str> = ["import"].into_iter().chain(files.iter().map(|f| f.to_str().unwrap())).collect();
    ok(coffre(&a, "passe a 4812", &args));

    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    for round in 0..15 {
        if round == 7 {
            // Changes made between interrupted syncs are queued too.
            let list = ok(coffre(&a, "passe a 4812", &["list", "--json"]));
            let first = &ids(&list)[0];
            ok(coffre(&a, "passe a 4812", &["edit", first, "--title", "renamed while syncing"]));
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_coffre"))
            .args(["sync", "--server", &url])
            .env("COFFRE_VAULT", &a)
            .env("COFFRE_PASSPHRASE", "passe a 4812")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        std::thread::sleep(Duration::from_millis(150 + rng % 400));
        let _ = child.kill();
        child.wait().unwrap();
    }
    let report: serde_json::Value =
        serde_json::from_str(&ok(coffre(&a, "passe a 4812", &["sync", "--server", &url, "--json"]))).unwrap();
    let again: serde_json::Value = serde_json::from_str(&ok(coffre(&a, "passe a 4812", &["sync", "--json"]))).unwrap();
    assert_eq!(again["pushed"], 0, "outbox empty after a complete sync ({report})");
    ok(coffre(&a, "passe a 4812", &["verify"]));

    // A new device sees exactly A's documents: none lost, none twice.
    let b = tmp.path().join("b");
    let mut link = Command::new(env!("CARGO_BIN_EXE_coffre"))
        .args(["device", "link", "--server", &url, "--wait", "60"])
        .env("COFFRE_VAULT", &b)
        .env("COFFRE_PASSPHRASE", "passe b 4812")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(link.stdout.take().unwrap()).lines();
    let qr = lines.next().unwrap().unwrap();
    let approve = common::spawn_asking({
        let mut c = common::coffre_cmd(&a, "passe a 4812", "C");
        c.args(["device", "approve", &qr]);
        c
    });
    let digits = lines.next().unwrap().unwrap().rsplit(' ').next().unwrap().to_string();
    ok(common::type_answer(approve, &digits));
    assert!(link.wait().unwrap().success());
    ok(coffre(&b, "passe b 4812", &["sync", "--all"]));
    let list_a = ok(coffre(&a, "passe a 4812", &["list", "--json"]));
    let list_b = ok(coffre(&b, "passe b 4812", &["list", "--json"]));
    assert_eq!(ids(&list_a), ids(&list_b));
    assert_eq!(ids(&list_b).len(), 24);
    assert!(list_b.contains("renamed while syncing"));
    ok(coffre(&b, "passe b 4812", &["verify"]));
    // `verify` above re-hashed every page on B; compare a few byte for byte with A's.
    for id in ids(&list_b).into_iter().step_by(6) {
        let out = tmp.path().join(format!("{id}.pdf"));
        ok(coffre(&b, "passe b 4812", &["show", &id, "--out", out.to_str().unwrap()]));
        let from_a = tmp.path().join(format!("{id}-a.pdf"));
        ok(coffre(&a, "passe a 4812", &["show", &id, "--out", from_a.to_str().unwrap()]));
        assert_eq!(std::fs::read(out).unwrap(), std::fs::read(from_a).unwrap());
    }
    drop(server);
}
