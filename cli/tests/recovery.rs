//! `coffre kit`, `coffre recover` and `coffre close` against a real server on 127.0.0.1.
#![allow(clippy::unwrap_used)]

mod common;
use common::ok;

use std::path::Path;
use std::process::{Command, Output};

fn coffre(vault: &Path, lang: &str, args: &[&str]) -> Output {
    common::coffre_cmd(vault, "kit 1234", lang).args(args).env_remove("COFFRE_RECOVERY_CODE").output().unwrap()
}

#[test]
fn kit_recover_and_close_from_the_command_line() {
    let server = common::local_server();
    let url = server.url.clone();
    let tmp = tempfile::tempdir().unwrap();
    let (phone, fresh) = (tmp.path().join("phone"), tmp.path().join("fresh"));
    ok(coffre(&phone, "C", &["init"]));
    let doc = tmp.path().join("cni.pdf");
    std::fs::write(&doc, b"%PDF-1.4 carte").unwrap();
    ok(coffre(&phone, "C", &["import", doc.to_str().unwrap(), "--title", "Carte d'identite"]));
    ok(coffre(&phone, "C", &["sync", "--server", &url]));

    let pdf = tmp.path().join("kit.pdf");
    let kit: serde_json::Value =
        serde_json::from_str(&ok(coffre(&phone, "C", &["kit", "--pdf", pdf.to_str().unwrap(), "--json"]))).unwrap();
    let words: Vec<String> = kit["words"].as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_string()).collect();
    assert_eq!(words.len(), 12);
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&pdf).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // English words on demand.
    let en = ok(coffre(&phone, "C", &["kit", "--words-lang", "en"]));
    assert!(en.contains("12. "));

    // A typing mistake is named, in French too, with its own exit code; nothing is created.
    let mut wrong = words.clone();
    wrong[2] = "zzzz".into();
    let out = coffre(&fresh, "fr_FR.UTF-8", &["recover", "--server", &url, "--code", &wrong.join(" ")]);
    assert_eq!(out.status.code(), Some(8));
    assert!(String::from_utf8_lossy(&out.stderr).contains("mot n° 3"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!fresh.join("vault.json").exists());
    // The first kit was replaced by the English one: it is refused.
    let out = coffre(&fresh, "C", &["recover", "--server", &url, "--code", &words.join(" ")]);
    assert_eq!(out.status.code(), Some(8), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no longer works"));

    let kit: serde_json::Value = serde_json::from_str(&ok(coffre(&phone, "C", &["kit", "--json"]))).unwrap();
    let words: Vec<String> = kit["words"].as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_string()).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_coffre"))
        .args(["recover", "--server", &url, "--json"])
        .env("COFFRE_VAULT", &fresh)
        .env("COFFRE_PASSPHRASE", "nouveau 5678")
        .env("COFFRE_RECOVERY_CODE", words.join(" "))
        .env("LANG", "C")
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_str(&ok(out)).unwrap();
    assert_eq!(report["documents"], 1);

    // Closing asks for an export choice and a confirmation first.
    assert_eq!(coffre(&phone, "C", &["close", "--yes"]).status.code(), Some(2));
    assert_eq!(coffre(&phone, "C", &["close", "--no-export"]).status.code(), Some(2));
    assert!(phone.join("vault.json").exists());
    let zip = tmp.path().join("final.zip");
    let out = ok(coffre(&phone, "C", &["close", "--export", zip.to_str().unwrap(), "--yes"]));
    assert!(out.contains("Vault closed"), "{out}");
    assert!(zip.exists());
    assert!(!phone.join("vault.json").exists() && !phone.join("vault.db").exists());
    // The recovered device is refused now: the vault no longer exists on the server.
    let out = Command::new(env!("CARGO_BIN_EXE_coffre"))
        .args(["sync"])
        .env("COFFRE_VAULT", &fresh)
        .env("COFFRE_PASSPHRASE", "nouveau 5678")
        .env("LANG", "C")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
