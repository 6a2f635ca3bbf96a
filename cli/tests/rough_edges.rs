//! Rough edges of the command line (issue 15): a closed pipe, a desk file named for another format,
//! the export zip's name and mode, deleting without a terminal, and `sync --server` naming another
//! server than the vault's. Key files and exports are private to their owner (issue 13, low).
#![allow(clippy::unwrap_used)]

mod common;
use common::ok;

use std::path::Path;
use std::process::{Command, Output, Stdio};

const PASS: &str = "mot de passe 2468";

fn cmd(vault: &Path) -> Command {
    common::coffre_cmd(vault, PASS, "fr_FR.UTF-8")
}

fn coffre(vault: &Path, args: &[&str]) -> Output {
    cmd(vault).args(args).stdin(Stdio::null()).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A vault holding one JPEG page (an ID card), pinned for the desk mode; returns its id.
fn vault_with_a_jpeg(dir: &Path) -> (std::path::PathBuf, String) {
    let v = dir.join("vault");
    let photo = dir.join("cni.jpg");
    let bytes: Vec<u8> = [vec![0xFF, 0xD8, 0xFF, 0xE0], (0..3000u32).map(|i| (i % 251) as u8).collect()].concat();
    std::fs::write(&photo, bytes).unwrap();
    ok(coffre(&v, &["init"]));
    let added =
        ok(coffre(&v, &["import", photo.to_str().unwrap(), "-c", "carte_identite", "--title", "Ma CNI", "--json"]));
    let added: serde_json::Value = serde_json::from_str(&added).unwrap();
    let id = added[0]["id"].as_str().unwrap().to_string();
    ok(coffre(&v, &["pin", &id]));
    (v, id)
}

#[test]
fn a_reader_that_closes_early_ends_the_listing_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let (v, _) = vault_with_a_jpeg(tmp.path());
    // `coffre list | head -0`: the reader is gone before anything is printed.
    let mut child =
        cmd(&v).arg("list").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(141), "stderr: {}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

#[test]
fn desk_refuses_a_name_that_says_another_format() {
    let tmp = tempfile::tempdir().unwrap();
    let (v, _) = vault_with_a_jpeg(tmp.path());
    let png = tmp.path().join("desk.png");
    let out = coffre(&v, &["desk", "--out", png.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("Choisissez un nom en .jpg"), "{}", stderr(&out));
    assert!(!png.exists(), "nothing written under a misleading name");
    let jpg = tmp.path().join("desk.JPEG");
    ok(coffre(&v, &["desk", "--out", jpg.to_str().unwrap()]));
    assert_eq!(&std::fs::read(&jpg).unwrap()[..3], &[0xFF, 0xD8, 0xFF], "JPEG magic bytes");
}

#[test]
fn delete_without_a_terminal_needs_yes() {
    let tmp = tempfile::tempdir().unwrap();
    let (v, id) = vault_with_a_jpeg(tmp.path());
    let out = coffre(&v, &["delete", &id]);
    assert_eq!(out.status.code(), Some(2), "a script must not hang waiting for an answer");
    assert!(stderr(&out).contains("Ajoutez --yes"), "{}", stderr(&out));
    assert!(ok(coffre(&v, &["list"])).contains("Ma CNI"), "nothing deleted");
    ok(coffre(&v, &["delete", &id, "--yes"]));
    assert!(!ok(coffre(&v, &["list"])).contains("Ma CNI"));
}

/// On a terminal (a pseudo-terminal made by util-linux `script`), `delete` asks in French first and
/// only "oui" deletes.
#[cfg(unix)]
#[test]
fn delete_on_a_terminal_asks_first() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let (v, id) = vault_with_a_jpeg(tmp.path());
    let answer = |text: &str| {
        let mut child = Command::new("script")
            .args(["-qec", &format!("\"{}\" delete {id}", env!("CARGO_BIN_EXE_coffre")), "/dev/null"])
            .env("COFFRE_VAULT", &v)
            .env("COFFRE_PASSPHRASE", PASS)
            .env("LANG", "fr_FR.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let no = answer("non\n");
    let shown = String::from_utf8_lossy(&no.stdout).into_owned();
    assert!(shown.contains("Supprimer définitivement « Ma CNI » ? [oui/non]"), "{shown}");
    assert!(shown.contains("Suppression annulée"), "{shown}");
    assert_eq!(no.status.code(), Some(1));
    assert!(ok(coffre(&v, &["list"])).contains("Ma CNI"), "kept after « non »");
    let yes = answer("oui\n");
    assert!(yes.status.success(), "{}", String::from_utf8_lossy(&yes.stdout));
    assert!(!ok(coffre(&v, &["list"])).contains("Ma CNI"), "deleted after « oui »");
}

#[test]
fn sync_refuses_another_server_and_exports_are_private_zips() {
    let s = common::local_server();
    let tmp = tempfile::tempdir().unwrap();
    let (v, _) = vault_with_a_jpeg(tmp.path());
    ok(coffre(&v, &["sync", "--server", &s.url]));
    ok(coffre(&v, &["sync", "--server", &format!("{}/", s.url)]));

    let out = coffre(&v, &["sync", "--server", "https://autre.example.org"]);
    assert_eq!(out.status.code(), Some(2));
    let msg = stderr(&out);
    assert!(msg.contains(&format!("ce coffre utilise le serveur {}", s.url)), "{msg}");
    assert!(msg.contains("coffre export --zip"), "says how to move: {msg}");

    // The zip gets its extension; it and the audit trail beside it are the owner's only.
    let dest = tmp.path().join("sauvegarde");
    ok(coffre(&v, &["export", "--zip", dest.to_str().unwrap()]));
    let zip = tmp.path().join("sauvegarde.zip");
    assert_eq!(&std::fs::read(&zip).unwrap()[..2], b"PK");
    assert!(!dest.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&zip), 0o600);
        assert_eq!(mode(&tmp.path().join("sauvegarde.audit.json")), 0o600);
    }
}

/// Key files (an agent's private key, wrapped) are created 0600 whatever the umask (022 here).
#[cfg(unix)]
#[test]
fn key_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("agent.json");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("umask 022; exec \"$0\" agent init --file '{}'", file.display()))
        .arg(env!("CARGO_BIN_EXE_coffre"))
        .env("COFFRE_KEYFILE_PASSPHRASE", "cle agent 5678")
        .env("LANG", "fr_FR.UTF-8")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    ok(out);
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
}

/// `http://` to another machine is refused before anything is sent (exit 12, "use https://"), unless
/// the person opts in; loopback stays allowed (tests, the demo).
#[test]
fn sync_refuses_plain_http_to_another_machine_unless_allowed() {
    let s = common::local_server();
    let tmp = tempfile::tempdir().unwrap();
    let (v, _) = vault_with_a_jpeg(tmp.path());
    let run = |lang: &str, args: &[&str]| {
        common::coffre_cmd(&v, PASS, lang).env_remove("COFFRE_ALLOW_HTTP").args(args).stdin(Stdio::null()).output()
    };

    let out = run("fr_FR.UTF-8", &["sync", "--server", "http://example.org"]).unwrap();
    assert_eq!(out.status.code(), Some(12), "{}", stderr(&out));
    let msg = stderr(&out);
    assert!(msg.contains("Cette adresse n'est pas sécurisée (http://)") && msg.contains("https://"), "{msg}");
    let out = run("en_US.UTF-8", &["sync", "--server", "HTTP://192.168.1.10:8787/"]).unwrap();
    assert_eq!(out.status.code(), Some(12));
    assert!(stderr(&out).contains("This address is not secure (http://)"), "{}", stderr(&out));
    let out = run("fr_FR.UTF-8", &["sync", "--server", "coffre.example.org"]).unwrap();
    assert_eq!(out.status.code(), Some(2), "not an address: {}", stderr(&out));
    // The new phone's side refuses before showing a QR that would carry the address.
    let new_phone = tmp.path().join("nouveau");
    let out = common::coffre_cmd(&new_phone, PASS, "fr_FR.UTF-8")
        .env_remove("COFFRE_ALLOW_HTTP")
        .args(["device", "link", "--server", "http://example.org", "--wait", "1"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(12), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "no QR shown");

    // Opted in, the address is used: 0.0.0.0 is not loopback, and nothing listens on its port 1.
    let out = run("fr_FR.UTF-8", &["sync", "--server", "http://0.0.0.0:1", "--allow-http"]).unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("serveur injoignable"), "{}", stderr(&out));
    // Refusals kept the vault unconnected: loopback over http:// still connects it.
    assert!(s.url.starts_with("http://127.0.0.1:"));
    ok(run("fr_FR.UTF-8", &["sync", "--server", &s.url]).unwrap());
}

#[test]
fn a_refused_registration_says_why_in_french_and_english() {
    let tmp = tempfile::tempdir().unwrap();
    let (v, _) = vault_with_a_jpeg(tmp.path());
    let run = |s: &common::LocalServer, lang: &str, extra: &[&str]| {
        let mut args = vec!["sync", "--server", s.url.as_str()];
        args.extend_from_slice(extra);
        common::coffre_cmd(&v, PASS, lang).args(&args).stdin(Stdio::null()).output().unwrap()
    };
    let closed = common::LocalServer::start_with(|c| c.registration = "closed".into());
    let out = run(&closed, "fr_FR.UTF-8", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("Ce serveur n'accepte pas de nouveau coffre"), "{}", stderr(&out));
    let out = run(&closed, "en_US.UTF-8", &[]);
    assert!(stderr(&out).contains("This server does not take new vaults"), "{}", stderr(&out));

    let invited = common::LocalServer::start_with(|c| c.registration = "invitation".into());
    let out = run(&invited, "fr_FR.UTF-8", &[]);
    assert!(stderr(&out).contains("seulement avec un code d'invitation"), "{}", stderr(&out));
    let out = run(&invited, "en_US.UTF-8", &["--invitation", "AAAAAAAAAAAAAAAAAAAAAA"]);
    assert!(stderr(&out).contains("This invitation code does not work"), "{}", stderr(&out));

    let flooded = common::LocalServer::start_with(|c| {
        c.registrations_per_address = 1;
        c.registration_refill_secs = 3600;
    });
    flooded.vault();
    let out = run(&flooded, "fr_FR.UTF-8", &[]);
    assert!(stderr(&out).contains("Trop de coffres ont été créés depuis ce réseau"), "{}", stderr(&out));
    // Nothing was connected: the vault still syncs with a server that takes it.
    let open = common::local_server();
    ok(run(&open, "fr_FR.UTF-8", &[]));
}

/// The server's disk below its operator's free-space watermark (issue 14): a sync that has pages to
/// send stops with "le serveur est plein" (in English with LANG=C), and nothing local is lost.
#[test]
fn a_full_server_says_so_in_french_and_english() {
    let tmp = tempfile::tempdir().unwrap();
    let mut roomy = common::local_server();
    let url = roomy.url.clone();
    let (v, _) = vault_with_a_jpeg(tmp.path());
    ok(coffre(&v, &["sync", "--server", &url]));
    roomy.stop();
    // The same data served again, with a watermark above this disk's free space.
    let data = roomy.data_dir();
    let listen = url.trim_start_matches("http://").parse().unwrap();
    let _full = common::LocalServer::start_with(move |c| {
        c.data_dir = data;
        c.listen = listen;
        c.min_free_disk_bytes = u64::MAX;
    });
    let page = tmp.path().join("caf.jpg");
    std::fs::write(&page, [vec![0xFF, 0xD8, 0xFF, 0xE0], (0..5000u32).map(|i| (i % 13) as u8).collect()].concat())
        .unwrap();
    ok(coffre(&v, &["import", page.to_str().unwrap(), "-c", "attestation_caf", "-t", "CAF"]));
    let out = coffre(&v, &["sync"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("Le serveur est plein"), "{}", stderr(&out));
    let out = common::coffre_cmd(&v, PASS, "C").arg("sync").stdin(Stdio::null()).output().unwrap();
    assert!(stderr(&out).contains("The server is full"), "{}", stderr(&out));
    let listed = ok(coffre(&v, &["list", "--json"]));
    assert!(listed.contains("\"CAF\""), "the new document stays on this device: {listed}");
}
