//! A server restored from an older copy of its data directory (issue 13, low): the device that had
//! synced further is told, in French first, that the server shows a history different from the one it
//! saw, and what to do; its documents stay readable and exportable. Through the real server.
#![allow(clippy::unwrap_used)]

mod common;
use common::ok;

use std::path::Path;
use std::process::Output;

fn coffre(vault: &Path, lang: &str, args: &[&str]) -> Output {
    common::coffre_cmd(vault, "retour 2468", lang).args(args).output().unwrap()
}

#[test]
fn a_server_restored_from_an_old_copy_is_reported_with_the_way_forward() {
    let mut server = common::local_server();
    let url = server.url.clone();
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    ok(coffre(&a, "C", &["init"]));
    let first = tmp.path().join("avis.pdf");
    std::fs::write(&first, b"%PDF-1.4 avis 2025").unwrap();
    ok(coffre(&a, "C", &["import", first.to_str().unwrap(), "--title", "Avis 2025"]));
    ok(coffre(&a, "C", &["sync", "--server", &url]));

    // The operator's backup, taken with the server stopped.
    let backup = tmp.path().join("backup");
    server.stop();
    coffre_test_harness::copy_dir(&server.data_dir(), &backup);
    server.restart();

    // The phone goes on: a second document reaches the server.
    let second = tmp.path().join("caf.pdf");
    std::fs::write(&second, b"%PDF-1.4 attestation caf").unwrap();
    ok(coffre(&a, "C", &["import", second.to_str().unwrap(), "--title", "Attestation CAF"]));
    ok(coffre(&a, "C", &["sync"]));

    // The server is restored from the backup.
    server.stop();
    std::fs::remove_dir_all(server.data_dir()).unwrap();
    coffre_test_harness::copy_dir(&backup, &server.data_dir());
    server.restart();

    let fr = coffre(&a, "fr_FR.UTF-8", &["sync"]);
    assert_eq!(fr.status.code(), Some(13), "{fr:?}");
    let said = String::from_utf8_lossy(&fr.stderr);
    assert!(said.contains("Le serveur montre un historique différent de celui que cet appareil a vu"), "{said}");
    for way in ["coffre export", "coffre device link", "kit de secours", "rien n'a été effacé"] {
        assert!(said.contains(way), "{way}: {said}");
    }
    assert!(!said.contains("operations missing") && !said.contains("opérations manquantes"), "{said}");
    let en = coffre(&a, "C", &["sync"]);
    assert_eq!(en.status.code(), Some(13));
    assert!(
        String::from_utf8_lossy(&en.stderr)
            .contains("The server shows a history different from the one this device saw")
    );

    // Nothing local was lost: both documents list, open and export.
    let list = ok(coffre(&a, "C", &["list", "--json"]));
    let docs: serde_json::Value = serde_json::from_str(&list).unwrap();
    let titles: Vec<&str> = docs.as_array().unwrap().iter().map(|d| d["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"Avis 2025") && titles.contains(&"Attestation CAF"), "{titles:?}");
    let caf = docs.as_array().unwrap().iter().find(|d| d["title"] == "Attestation CAF").unwrap();
    let out = tmp.path().join("caf-out.pdf");
    ok(coffre(&a, "C", &["show", caf["id"].as_str().unwrap(), "--out", out.to_str().unwrap()]));
    assert_eq!(std::fs::read(&out).unwrap(), b"%PDF-1.4 attestation caf");
    ok(coffre(&a, "C", &["export", tmp.path().join("copie").to_str().unwrap()]));
    ok(coffre(&a, "C", &["verify"]));
}
