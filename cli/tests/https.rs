//! The `coffre` CLI and the share viewer over HTTPS (issue 14): a server serving TLS itself with a
//! certificate issued by a CA made for the test. Without that CA the CLI refuses the server before
//! sending anything, with a message saying what to do; with `--ca-file` (or `COFFRE_CA_FILE`) it
//! syncs and makes a share; headless Chromium, whose NSS database trusts the CA, opens the share
//! over HTTPS and decrypts it, and refuses the page when the CA is not trusted.
//!
//! Needs Node, Chromium and `certutil` (`scripts/setup.sh` installs them); fails loudly without.
#![allow(clippy::unwrap_used)]

mod common;
use common::ok;

use std::path::Path;
use std::process::{Command, Output};

fn coffre(vault: &Path, lang: &str, args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = common::coffre_cmd(vault, "https 1234", lang);
    cmd.env_remove("COFFRE_CA_FILE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().unwrap()
}

fn png(path: &Path) {
    let img = image::RgbImage::from_fn(200, 140, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 77]));
    img.save(path).unwrap();
}

/// A HOME whose NSS database (Chromium's certificate store on Linux) trusts `ca` when given.
fn browser_home(dir: &Path, ca: Option<&Path>) -> std::path::PathBuf {
    let nss = dir.join(".pki/nssdb");
    std::fs::create_dir_all(&nss).unwrap();
    let db = format!("sql:{}", nss.display());
    let certutil = |args: &[&str]| {
        let out = Command::new("certutil").args(args).output().expect("certutil is needed: run scripts/setup.sh");
        assert!(out.status.success(), "certutil {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    certutil(&["-N", "-d", &db, "--empty-password"]);
    if let Some(ca) = ca {
        certutil(&["-A", "-d", &db, "-t", "C,,", "-n", "coffre-test-ca", "-i", ca.to_str().unwrap()]);
    }
    dir.to_path_buf()
}

#[test]
fn the_cli_trusts_the_operators_ca_only_when_told_and_chromium_opens_the_share_over_https() {
    let server = common::LocalServer::start_tls();
    let url = server.url.clone();
    assert!(url.starts_with("https://"));
    let tmp = tempfile::tempdir().unwrap();
    let ca = server.ca.as_ref().unwrap().write(tmp.path());
    let vault = tmp.path().join("v");
    ok(coffre(&vault, "C", &["init"], &[]));
    let page = tmp.path().join("caf.png");
    png(&page);
    ok(coffre(&vault, "C", &["import", page.to_str().unwrap(), "-c", "attestation_caf", "-t", "Attestation CAF"], &[]));

    // Not trusted: refused before anything is sent, in French by default.
    let out = coffre(&vault, "fr_FR.UTF-8", &["sync", "--server", &url], &[]);
    assert_eq!(out.status.code(), Some(12), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Le certificat HTTPS du serveur n'est pas reconnu") && err.contains("--ca-file"), "{err}");
    let out = coffre(&vault, "C", &["sync", "--server", &url], &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("HTTPS certificate is not recognised"));
    let vaults: i64 = server.db().query_row("SELECT COUNT(*) FROM vaults", [], |r| r.get(0)).unwrap();
    assert_eq!(vaults, 0, "nothing registered");

    // A CA file that is not one: a usage error that says so.
    let junk = tmp.path().join("junk.pem");
    std::fs::write(&junk, "bonjour").unwrap();
    let out = coffre(&vault, "fr_FR.UTF-8", &["--ca-file", junk.to_str().unwrap(), "sync", "--server", &url], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("autorité de certification"));

    // Trusted through --ca-file, then through COFFRE_CA_FILE.
    ok(coffre(&vault, "C", &["--ca-file", ca.to_str().unwrap(), "sync", "--server", &url], &[]));
    ok(coffre(&vault, "C", &["sync"], &[("COFFRE_CA_FILE", &ca)]));
    let docs: serde_json::Value = serde_json::from_str(&ok(coffre(&vault, "C", &["list", "--json"], &[]))).unwrap();
    let id = docs[0]["id"].as_str().unwrap().to_string();
    let share: serde_json::Value = serde_json::from_str(&ok(coffre(
        &vault,
        "C",
        &["share", "create", "--json", "--doc", &id, "--purpose", "Bailleur"],
        &[("COFFRE_CA_FILE", &ca)],
    )))
    .unwrap();
    let link = share["link"].as_str().unwrap();
    assert!(link.starts_with(&format!("{url}/s/")), "{link}");
    let sha: Vec<&str> = share["pages"].as_array().unwrap().iter().map(|p| p["sha256"].as_str().unwrap()).collect();

    let viewer = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sync-server/viewer");
    assert!(
        viewer.join("node_modules/playwright-core").exists(),
        "the viewer's npm packages are missing: run scripts/setup.sh (npm ci in sync-server/viewer)"
    );
    let trusting = browser_home(&tmp.path().join("home-trusting"), Some(&ca));
    let untrusting = browser_home(&tmp.path().join("home-untrusting"), None);
    let out = Command::new("node")
        .arg("test/https.test.mjs")
        .current_dir(&viewer)
        .env("SHARE_LINK", link)
        .env("SHA256", sha.join(","))
        .env("TRUSTING_HOME", &trusting)
        .env("UNTRUSTING_HOME", &untrusting)
        .output()
        .expect("node is needed for the browser test: run scripts/setup.sh");
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && report.contains("2 passed, 0 failed"), "browser test failed:\n{report}");
}
