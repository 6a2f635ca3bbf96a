//! Share links end to end: a real server on 127.0.0.1 (its log captured), shares made with the
//! `coffre` CLI, and the viewer page in headless Chromium (Playwright, `sync-server/viewer/test/`):
//! it decrypts the pages (their SHA-256 must be the core's copies), and says clearly when a link is
//! expired, revoked or used up. The server's log and storage never contain a link key.
//!
//! Needs Node and Chromium (`scripts/setup.sh` installs both); fails loudly without them.
#![allow(clippy::unwrap_used)]

mod common;
use common::ok;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use base64::Engine as _;

#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn coffre(vault: &Path, args: &[&str]) -> Output {
    common::coffre_cmd(vault, "partage 1234", "C").args(args).output().unwrap()
}

fn png(path: &Path, w: u32, h: u32, seed: u8) {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, seed]));
    img.save(path).unwrap();
}

fn key_of(link: &str) -> String {
    link.split_once("#v1.").unwrap().1.to_string()
}

fn viewer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sync-server/viewer")
}

#[test]
fn viewer_decrypts_in_chromium_and_refuses_ended_links() {
    let log = LogBuffer::default();
    let writer = log.clone();
    tracing_subscriber::fmt().with_env_filter("trace").with_ansi(false).with_writer(move || writer.clone()).init();

    let mut server = common::local_server();
    let url = server.url.clone();

    let tmp = tempfile::tempdir().unwrap();
    let vault = tmp.path().join("v");
    ok(coffre(&vault, &["init"]));
    let (id_png, caf_png) = (tmp.path().join("cni.png"), tmp.path().join("caf.png"));
    png(&id_png, 480, 300, 40);
    png(&caf_png, 300, 420, 200);
    ok(coffre(&vault, &["import", id_png.to_str().unwrap(), "-c", "carte_identite", "-t", "Carte d'identité"]));
    ok(coffre(&vault, &["import", caf_png.to_str().unwrap(), "-c", "attestation_caf", "-t", "Attestation CAF"]));
    ok(coffre(&vault, &["sync", "--server", &url]));
    let docs: serde_json::Value = serde_json::from_str(&ok(coffre(&vault, &["list", "--json"]))).unwrap();
    let ids: Vec<String> = docs.as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_string()).collect();

    let create = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["share", "create", "--json", "--purpose", "Bailleur social"];
        for id in &ids {
            args.extend(["--doc", id]);
        }
        args.extend(extra);
        serde_json::from_str(&ok(coffre(&vault, &args))).unwrap()
    };
    let good = create(&["--duration", "1w"]);
    let exhausted = create(&["--max-opens", "1"]);
    let revoked = create(&[]);
    let expired = create(&["--duration", "1h"]);
    let link = |v: &serde_json::Value| v["link"].as_str().unwrap().to_string();

    // Identity copy watermarked, the attestation not.
    let marks: Vec<bool> =
        good["pages"].as_array().unwrap().iter().map(|p| p["watermarked"].as_bool().unwrap()).collect();
    assert_eq!(marks.iter().filter(|m| **m).count(), 1, "{marks:?}");

    // Use up the one opening; revoke; move the last one's expiry into the past in the server's database.
    ok(coffre(&vault, &["share", "open", &link(&exhausted)]));
    ok(coffre(&vault, &["share", "revoke", revoked["id"].as_str().unwrap()]));
    let id_bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(expired["id"].as_str().unwrap()).unwrap();
    let db = rusqlite::Connection::open(server.dir.path().join("meta.sqlite3")).unwrap();
    assert_eq!(db.execute("UPDATE shares SET expires_at = 1 WHERE id = ?1", [&id_bytes]).unwrap(), 1);

    // A link whose key was changed: opens on the server, decrypts nothing.
    let broken = format!("{}#v1.{}", link(&good).split('#').next().unwrap(), "A".repeat(43));
    let cases = serde_json::json!({
        "ok": { "link": link(&good), "sha256": good["pages"].as_array().unwrap().iter().map(|p| p["sha256"].clone()).collect::<Vec<_>>() },
        "expired": link(&expired),
        "revoked": link(&revoked),
        "exhausted": link(&exhausted),
        "broken": broken,
    });

    let dir = viewer_dir();
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "the viewer's npm packages are missing: run scripts/setup.sh (npm ci in sync-server/viewer)"
    );
    let out = Command::new("node")
        .arg("test/viewer.test.mjs")
        .current_dir(&dir)
        .env("SHARE_CASES", cases.to_string())
        .output()
        .expect("node is needed for the browser test: run scripts/setup.sh");
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "browser test failed:\n{report}");
    assert!(report.contains("10 passed, 0 failed"), "{report}");

    // The holder sees the openings counted by the server.
    let listed: serde_json::Value =
        serde_json::from_str(&ok(coffre(&vault, &["share", "list", "--all", "--json"]))).unwrap();
    let state_of = |id: &serde_json::Value| {
        listed.as_array().unwrap().iter().find(|s| s["record"]["id"] == *id).map(|s| s["state"].clone()).unwrap()
    };
    assert_eq!(state_of(&good["id"]), "active");
    assert_eq!(state_of(&revoked["id"]), "revoked");
    assert_eq!(state_of(&exhausted["id"]), "exhausted");
    assert_eq!(state_of(&expired["id"]), "expired");
    let good_opens = listed.as_array().unwrap().iter().find(|s| s["record"]["id"] == good["id"]).unwrap();
    // The viewer opened it once: the broken key has no proof of the link key, so it counted nothing.
    assert_eq!(good_opens["opened_at"].as_array().unwrap().len(), 1);

    // No link key in the server's log or anywhere in its storage.
    server.stop();
    let logged = String::from_utf8_lossy(&log.0.lock().unwrap()).to_string();
    assert!(logged.contains("/s/{id}/open"), "the log did capture the viewer's requests");
    let mut stored = Vec::new();
    for entry in walk(server.dir.path()) {
        stored.extend(std::fs::read(entry).unwrap());
    }
    for l in [link(&good), link(&exhausted), link(&revoked), link(&expired)] {
        let key = key_of(&l);
        assert!(!logged.contains(&key), "link key in the server log");
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&key).unwrap();
        assert!(!contains(&stored, key.as_bytes()) && !contains(&stored, &raw), "link key in server storage");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
