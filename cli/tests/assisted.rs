//! `coffre recover assisted setup|start|cancel|release|complete` against a real server on 127.0.0.1
//! whose waiting delay is a few seconds.
#![allow(clippy::unwrap_used)]

use coffre_core::crypto::ExchangeSecret;
use coffre_core::recovery::assisted::open_piece;
use coffre_core::sync::protocol::{b64, unb64, unb64_array};
use std::path::Path;
use std::process::{Command, Output};

struct Server {
    url: String,
    _server: coffre_sync_server::RunningServer,
    _rt: tokio::runtime::Runtime,
    _data: tempfile::TempDir,
}

fn server(delay_secs: u64) -> Server {
    let data = tempfile::tempdir().unwrap();
    let cfg = coffre_sync_server::config::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data.path().to_path_buf(),
        shutdown_grace_secs: 1,
        recovery_delay_secs: delay_secs,
        ..Default::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server =
        rt.block_on(coffre_sync_server::spawn(coffre_sync_server::AppState::open_embedded(cfg).unwrap())).unwrap();
    Server { url: server.url(), _server: server, _rt: rt, _data: data }
}

fn coffre(vault: &Path, pin: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coffre"))
        .args(args)
        .env("COFFRE_VAULT", vault)
        .env("COFFRE_PASSPHRASE", "assiste 1234")
        .env("COFFRE_RECOVERY_PIN", pin)
        .env("LANG", "C")
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn assisted_recovery_from_the_command_line() {
    let s = server(3);
    let tmp = tempfile::tempdir().unwrap();
    let (phone, fresh) = (tmp.path().join("phone"), tmp.path().join("fresh"));
    ok(coffre(&phone, "", &["init"]));
    let doc = tmp.path().join("avis.pdf");
    std::fs::write(&doc, b"%PDF-1.4 avis").unwrap();
    ok(coffre(&phone, "", &["import", doc.to_str().unwrap(), "--title", "Avis"]));
    ok(coffre(&phone, "", &["sync", "--server", &s.url]));
    let agents: Vec<ExchangeSecret> = (0..2).map(|_| ExchangeSecret::generate()).collect();
    let (a0, a1) = (b64(agents[0].public().as_bytes()), b64(agents[1].public().as_bytes()));
    let setup: serde_json::Value = serde_json::from_str(&ok(coffre(
        &phone,
        "2468",
        &["recover", "assisted", "setup", "--org", &b64(&[7; 32]), "--agent", &a0, "--agent", &a1, "--json"],
    )))
    .unwrap();
    assert!(setup["kit_share"].as_str().is_some());
    let vault_id = {
        let out = ok(coffre(&phone, "", &["device", "list", "--json"]));
        assert!(out.contains("public_key"));
        // The vault id is derived from the identity key; read it through the core.
        let v = coffre_core::vault::Vault::open(&phone, b"assiste 1234", None).unwrap();
        let id = v.root_key().derive_identity(0).signing.verifying_key();
        coffre_core::sync::protocol::vault_id(id.as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>()
    };

    // A request the holder did not make: cancelled from the phone.
    let req = tmp.path().join("req.json");
    let req_s = req.to_str().unwrap();
    ok(coffre(
        &fresh,
        "",
        &["recover", "assisted", "start", "--server", &s.url, "--vault-id", &vault_id, "--request", req_s],
    ));
    assert_eq!(coffre(&fresh, "2468", &["recover", "assisted", "release", "--request", req_s]).status.code(), Some(6));
    ok(coffre(&phone, "", &["recover", "assisted", "cancel"]));
    assert_eq!(coffre(&fresh, "2468", &["recover", "assisted", "release", "--request", req_s]).status.code(), Some(1));

    // The real one, after the delay.
    let status: serde_json::Value = serde_json::from_str(&ok(coffre(
        &fresh,
        "",
        &["recover", "assisted", "start", "--server", &s.url, "--vault-id", &vault_id, "--request", req_s, "--json"],
    )))
    .unwrap();
    let ready_at = status["ready_at"].as_u64().unwrap();
    while coffre_sync_server::now_secs() < ready_at {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(coffre(&fresh, "1111", &["recover", "assisted", "release", "--request", req_s]).status.code(), Some(3));
    let shares: serde_json::Value =
        serde_json::from_str(&ok(coffre(&fresh, "2468", &["recover", "assisted", "release", "--request", req_s])))
            .unwrap();
    let provider = shares["provider_share"].as_str().unwrap().to_string();
    let vault: [u8; 32] = coffre_core::sync::protocol::unhex32(&vault_id, "vault").unwrap();
    let opened: Vec<String> = shares["org_pieces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let agent: [u8; 32] = unb64_array(p["agent"].as_str().unwrap(), "agent").unwrap();
            let me = agents.iter().find(|a| *a.public().as_bytes() == agent).unwrap();
            b64(&open_piece(me, &vault, &unb64(p["piece"].as_str().unwrap(), "piece").unwrap()).unwrap())
        })
        .collect();
    // The provider's share alone is refused; with the organisation's two agents it restores.
    let out = coffre(&fresh, "", &["recover", "assisted", "complete", "--server", &s.url, "--share", &provider]);
    assert_eq!(out.status.code(), Some(8));
    let done: serde_json::Value = serde_json::from_str(&ok(coffre(
        &fresh,
        "",
        &[
            "recover", "assisted", "complete", "--server", &s.url, "--share", &provider, "--piece", &opened[0],
            "--piece", &opened[1], "--json",
        ],
    )))
    .unwrap();
    assert_eq!(done["documents"], 1);
}
