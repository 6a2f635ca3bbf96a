//! `coffre sync` and `coffre device link|approve|list|remove` against a real server on 127.0.0.1.
#![allow(clippy::unwrap_used)]

mod common;
use common::ok;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn coffre(vault: &Path, args: &[&str]) -> Output {
    common::coffre_cmd(vault, "sync 1234", "C").args(args).output().unwrap()
}

/// base64url without padding, as in the QR texts.
fn coffre_core_b64(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

#[test]
fn two_devices_from_the_command_line() {
    let server = common::local_server();
    let url = server.url.clone();

    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    ok(coffre(&a, &["init"]));
    let pdf = tmp.path().join("avis.pdf");
    std::fs::write(&pdf, b"%PDF-1.4 avis").unwrap();
    ok(coffre(&a, &["import", pdf.to_str().unwrap(), "--title", "Avis 2025"]));
    assert_eq!(coffre(&a, &["sync"]).status.code(), Some(2), "not connected yet");
    let report: serde_json::Value =
        serde_json::from_str(&ok(coffre(&a, &["sync", "--server", &url, "--json"]))).unwrap();
    assert_eq!(report["pushed"], 1);

    // The new device shows its QR and waits; the enrolled one scans it. Both then show 6 digits
    // (not before: they depend on both devices' random contributions); typing other digits sends nothing.
    let new_device = || {
        let mut link = Command::new(env!("CARGO_BIN_EXE_coffre"))
            .args(["device", "link", "--server", &url, "--wait", "60"])
            .env("COFFRE_VAULT", &b)
            .env("COFFRE_PASSPHRASE", "nouveau 5678")
            .env("LANG", "C")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(link.stdout.take().unwrap()).lines();
        let qr = lines.next().unwrap().unwrap();
        assert!(qr.starts_with("COFFRE-LINK:"));
        (link, lines, qr)
    };
    let (mut first, mut lines, qr) = new_device();
    let approve = common::spawn_asking({
        let mut c = common::coffre_cmd(&a, "sync 1234", "C");
        c.args(["device", "approve", &qr, "--wait", "60"]);
        c
    });
    let digits = lines.next().unwrap().unwrap().rsplit(' ').next().unwrap().to_string();
    let out = common::type_answer(approve, common::other_digits(&digits));
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("Code to compare: {digits}")));
    assert!(String::from_utf8_lossy(&out.stderr).contains("do not match: nothing was sent"));
    // The same QR cannot be answered twice: start again from the new device.
    let again = coffre(&a, &["device", "approve", &qr, "--wait", "5"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already answered"), "{again:?}");
    first.kill().unwrap();
    first.wait().unwrap();

    let (mut link, mut lines, qr) = new_device();
    let approve = common::spawn_asking({
        let mut c = common::coffre_cmd(&a, "sync 1234", "C");
        c.args(["device", "approve", &qr, "--wait", "60", "--name", "Téléphone de Léa"]);
        c
    });
    let digits = lines.next().unwrap().unwrap().rsplit(' ').next().unwrap().to_string();
    ok(common::type_answer(approve, &digits));
    assert!(link.wait().unwrap().success());

    // A version-1 linking code (digits its maker could choose) is refused with a clear message.
    let v1 = format!("COFFRE-LINK:{}", coffre_core_b64(&[&[1u8][..], &[7; 96], url.as_bytes()].concat()));
    let old = common::coffre_cmd(&a, "sync 1234", "fr_FR.UTF-8").args(["device", "approve", &v1]).output().unwrap();
    assert_eq!(old.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&old.stderr).contains("ancienne version de Coffre"), "{old:?}");

    let on_b = Command::new(env!("CARGO_BIN_EXE_coffre"))
        .args(["list", "--json"])
        .env("COFFRE_VAULT", &b)
        .env("COFFRE_PASSPHRASE", "nouveau 5678")
        .output()
        .unwrap();
    let docs: serde_json::Value = serde_json::from_slice(&on_b.stdout).unwrap();
    assert_eq!(docs[0]["title"], "Avis 2025");

    let devices: serde_json::Value = serde_json::from_str(&ok(coffre(&a, &["device", "list", "--json"]))).unwrap();
    assert_eq!(devices.as_array().unwrap().len(), 2);
    // In French, for a person: names, who added whom, when, last seen (issue 15).
    let listed = ok(common::coffre_cmd(&a, "sync 1234", "fr_FR.UTF-8").args(["device", "list"]).output().unwrap());
    for expected in [
        "Appareil 1 (cet appareil)",
        "Téléphone de Léa",
        "par création du coffre",
        "par cet appareil",
        "vu pour la dernière fois le",
    ] {
        assert!(listed.contains(expected), "{expected:?} missing from:\n{listed}");
    }
    let other = devices.as_array().unwrap().iter().find(|d| d["this_device"] == false).unwrap();
    // Removing it moves the vault to a new key and makes a new kit: its 12 words are shown, and the
    // person is told the old paper no longer works.
    let removed = ok(coffre(&a, &["device", "remove", other["public_key"].as_str().unwrap()]));
    assert!(removed.contains(" 1. ") && removed.contains("12. "), "{removed}");
    assert!(removed.contains("ne marche plus") || removed.contains("no longer works"), "{removed}");
    let refused = Command::new(env!("CARGO_BIN_EXE_coffre"))
        .args(["sync"])
        .env("COFFRE_VAULT", &b)
        .env("COFFRE_PASSPHRASE", "nouveau 5678")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("removed"));
    drop(server);
}
