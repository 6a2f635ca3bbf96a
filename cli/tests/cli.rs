//! The `coffre` binary driven as a script would: exit codes, JSON, French and English messages.
#![allow(clippy::unwrap_used)]

mod common;
use common::ok;

use std::path::Path;
use std::process::{Command, Output};

const PASS: &str = "mot de passe 2468";

fn coffre(vault: &Path, args: &[&str]) -> Output {
    common::coffre_cmd(vault, PASS, "en_GB.UTF-8").args(args).output().unwrap()
}

fn json(out: Output) -> serde_json::Value {
    serde_json::from_str(&ok(out)).unwrap()
}

#[test]
fn a_whole_session() {
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("vault");
    let photo = tmp.path().join("cni.jpg");
    let photo_bytes: Vec<u8> = [vec![0xFF, 0xD8, 0xFF, 0xE0], (0..5000u32).map(|i| (i % 251) as u8).collect()].concat();
    std::fs::write(&photo, &photo_bytes).unwrap();

    ok(coffre(&v, &["init"]));
    let added = json(coffre(
        &v,
        &[
            "import",
            photo.to_str().unwrap(),
            "-c",
            "carte_identite",
            "--title",
            "Ma CNI",
            "--expires",
            "2020-01-01",
            "--json",
        ],
    ));
    let id = added[0]["id"].as_str().unwrap().to_string();
    assert_eq!(added[0]["pages"][0]["mime"], "image/jpeg");

    let list = json(coffre(&v, &["list", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 1);
    let found = json(coffre(&v, &["search", "cni", "--json"]));
    assert_eq!(found[0]["id"], id.as_str());
    let exp = json(coffre(&v, &["expiring", "--days", "30", "--json"]));
    assert!(exp[0]["days_left"].as_i64().unwrap() < 0);

    let out = tmp.path().join("page.jpg");
    ok(coffre(&v, &["show", &id[..8], "--out", out.to_str().unwrap()]));
    assert_eq!(std::fs::read(&out).unwrap(), photo_bytes);

    ok(coffre(&v, &["pin", &id[..8]]));
    let desk = tmp.path().join("desk.jpg");
    ok(coffre(&v, &["desk", "--out", desk.to_str().unwrap()]));
    assert_eq!(std::fs::read(&desk).unwrap(), photo_bytes);

    let export = tmp.path().join("export");
    ok(coffre(&v, &["export", export.to_str().unwrap()]));
    assert!(export.join("manifest.json").exists());

    let report = coffre(&v, &["verify", "--json"]);
    assert_eq!(report.status.code(), Some(0));
    let key = ok(coffre(&v, &["db-key"]));
    assert_eq!(key.trim().len(), 64);

    // Damage a blob: verify names the document and exits 5.
    let blobs = v.join("blobs");
    let shard = std::fs::read_dir(&blobs).unwrap().next().unwrap().unwrap().path();
    let blob = std::fs::read_dir(shard).unwrap().next().unwrap().unwrap().path();
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[40] ^= 1;
    std::fs::write(&blob, bytes).unwrap();
    let report = coffre(&v, &["verify"]);
    assert_eq!(report.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&report.stdout).contains("Ma CNI"));
}

#[test]
fn errors_speak_the_persons_language_with_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("vault");
    let nothing = coffre(&v, &["list"]);
    assert_eq!(nothing.status.code(), Some(4));
    ok(coffre(&v, &["init"]));

    let wrong = Command::new(env!("CARGO_BIN_EXE_coffre"))
        .args(["list"])
        .env("COFFRE_VAULT", &v)
        .env("COFFRE_PASSPHRASE", "pas le bon")
        .env("LANG", "fr_FR.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("Code secret incorrect"));

    let fake = tmp.path().join("faux.jpg");
    std::fs::write(&fake, "du texte").unwrap();
    let lie = coffre(&v, &["import", fake.to_str().unwrap()]);
    assert_eq!(lie.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&lie.stderr).contains("not a real JPEG"));

    let bad_date = tmp.path().join("doc.pdf");
    std::fs::write(&bad_date, "%PDF-1.4").unwrap();
    let r = coffre(&v, &["import", bad_date.to_str().unwrap(), "--expires", "31/12/2030"]);
    assert_eq!(r.status.code(), Some(2));

    let missing = coffre(&v, &["show", "abcdef"]);
    assert_eq!(missing.status.code(), Some(4));
}

#[test]
fn passwd_changes_the_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("vault");
    ok(coffre(&v, &["init"]));
    let out = Command::new(env!("CARGO_BIN_EXE_coffre"))
        .args(["passwd"])
        .env("COFFRE_VAULT", &v)
        .env("COFFRE_PASSPHRASE", PASS)
        .env("COFFRE_NEW_PASSPHRASE", "nouveau 1357")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(coffre(&v, &["list"]).status.code(), Some(3));
    let again = Command::new(env!("CARGO_BIN_EXE_coffre"))
        .args(["list"])
        .env("COFFRE_VAULT", &v)
        .env("COFFRE_PASSPHRASE", "nouveau 1357")
        .output()
        .unwrap();
    assert!(again.status.success());
}
