//! `coffre recover assisted setup|start|cancel|release|complete` and `coffre agent recovery-approve`
//! against a real server on 127.0.0.1 whose waiting delay is a few seconds, with real agents made by
//! `coffre org create|register|enrol-agent` and `coffre agent init|install-cert`.
#![allow(clippy::unwrap_used)]

mod common;
use common::ok;

use std::path::Path;
use std::process::Output;

fn server(delay_secs: u64) -> common::LocalServer {
    common::LocalServer::start_with(|cfg| cfg.recovery_delay_secs = delay_secs)
}

fn coffre(vault: &Path, pin: &str, args: &[&str]) -> Output {
    common::coffre_cmd(vault, "assiste 1234", "C")
        .args(args)
        .env("COFFRE_RECOVERY_PIN", pin)
        .env("COFFRE_KEYFILE_PASSPHRASE", "cle agent 5678")
        .output()
        .unwrap()
}

/// A certified agent of the organisation in `org.json`: its key file and certificate text.
fn agent(dir: &Path, vault: &Path, name: &str) -> (String, String) {
    let file = dir.join(format!("{name}.json")).to_str().unwrap().to_string();
    let org = dir.join("org.json").to_str().unwrap().to_string();
    let request = ok(coffre(vault, "", &["agent", "init", "--file", &file]));
    let cert = ok(coffre(
        vault,
        "",
        &[
            "org",
            "enrol-agent",
            "--file",
            &org,
            "--request",
            request.trim(),
            "--name",
            name,
            "--role",
            "Assistante sociale",
        ],
    ));
    ok(coffre(vault, "", &["agent", "install-cert", "--file", &file, cert.trim()]));
    (file, cert.trim().to_string())
}

fn device_pk(agent_file: &str) -> String {
    let f: serde_json::Value = serde_json::from_slice(&std::fs::read(agent_file).unwrap()).unwrap();
    f["device_pk"].as_str().unwrap().to_string()
}

#[test]
fn assisted_recovery_from_the_command_line() {
    let s = server(3);
    let tmp = tempfile::tempdir().unwrap();
    let (phone, fresh) = (tmp.path().join("phone"), tmp.path().join("fresh"));
    let at = |n: &str| tmp.path().join(n).to_str().unwrap().to_string();
    ok(coffre(&phone, "", &["init"]));
    let doc = tmp.path().join("avis.pdf");
    std::fs::write(&doc, b"%PDF-1.4 avis").unwrap();
    ok(coffre(&phone, "", &["import", doc.to_str().unwrap(), "--title", "Avis"]));
    ok(coffre(&phone, "", &["sync", "--server", &s.url]));

    // The organisation and three certified agents; the third is revoked.
    ok(coffre(&phone, "", &["org", "create", "--file", &at("org.json"), "--name", "CCAS de Grenoble"]));
    let (a0, cert0) = agent(tmp.path(), &phone, "Mme Martin");
    let (a1, cert1) = agent(tmp.path(), &phone, "M. Bernard");
    let (a2, cert2) = agent(tmp.path(), &phone, "Mme Petit");
    let setup_with = |certs: &[&str]| {
        let mut args = vec!["recover", "assisted", "setup", "--json"];
        for c in certs {
            args.extend(["--agent-cert", c]);
        }
        coffre(&phone, "2468", &args)
    };
    // Not registered yet: refused.
    assert_eq!(setup_with(&[&cert0, &cert1]).status.code(), Some(2));
    ok(coffre(&phone, "", &["org", "register", "--file", &at("org.json"), "--server", &s.url]));
    ok(coffre(
        &phone,
        "",
        &["org", "revoke-agent", "--file", &at("org.json"), "--server", &s.url, "--device", &device_pk(&a2)],
    ));
    // A revoked agent, one agent alone, an agent twice, an agent of another organisation: refused.
    let out = setup_with(&[&cert0, &cert2]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("revoked"));
    assert_eq!(setup_with(&[&cert0]).status.code(), Some(2));
    assert_eq!(setup_with(&[&cert0, &cert0]).status.code(), Some(2));
    ok(coffre(&phone, "", &["org", "create", "--file", &at("org2.json"), "--name", "Autre"]));
    let other_req = ok(coffre(&phone, "", &["agent", "init", "--file", &at("other.json")]));
    let other_cert = ok(coffre(
        &phone,
        "",
        &[
            "org",
            "enrol-agent",
            "--file",
            &at("org2.json"),
            "--request",
            other_req.trim(),
            "--name",
            "X",
            "--role",
            "Y",
        ],
    ));
    assert_eq!(setup_with(&[&cert0, other_cert.trim()]).status.code(), Some(2));
    let setup: serde_json::Value = serde_json::from_str(&ok(setup_with(&[&cert0, &cert1]))).unwrap();
    assert!(setup["kit_share"].as_str().is_some());
    // A kit printed from now on carries the kit share (second QR and digits, labelled).
    ok(coffre(&phone, "", &["kit", "--pdf", &at("kit.pdf")]));
    let pdf = std::fs::read(at("kit.pdf")).unwrap();
    // In the person's language (LANG=C here: English), from the catalogue's `kit-assisted-title`.
    assert!(pdf.windows(14).any(|w| w == b"Kit share for "), "the kit share's title in English");
    let vault_id = {
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
    while coffre_test_harness::now() < ready_at {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(coffre(&fresh, "1111", &["recover", "assisted", "release", "--request", req_s]).status.code(), Some(3));
    let shares: serde_json::Value = serde_json::from_str(&ok(coffre(
        &fresh,
        "2468",
        &["recover", "assisted", "release", "--request", req_s, "--json"],
    )))
    .unwrap();
    let provider = shares["provider_share"].as_str().unwrap().to_string();
    let request = shares["approval_request"].as_str().unwrap().to_string();
    assert!(request.starts_with("COFFRE-ASSIST-REQ:"));

    // Two agents approve with their key files; the revoked agent holds no piece.
    let approve = |file: &str| {
        coffre(&fresh, "", &["agent", "recovery-approve", "--file", file, "--request", &request, "--json"])
    };
    let approval = |file: &str| -> String {
        let v: serde_json::Value = serde_json::from_str(&ok(approve(file))).unwrap();
        assert_eq!(v["vault"], vault_id.as_str());
        v["approval"].as_str().unwrap().to_string()
    };
    let (ok0, ok1) = (approval(&a0), approval(&a1));
    assert_eq!(approve(&a2).status.code(), Some(8));

    let complete = |extra: &[&str]| {
        let mut args =
            vec!["recover", "assisted", "complete", "--server", s.url.as_str(), "--share", provider.as_str()];
        args.extend_from_slice(extra);
        coffre(&fresh, "", &args)
    };
    // The provider's share alone, or with one agent's approval (even twice), is refused.
    assert_eq!(complete(&[]).status.code(), Some(8));
    assert_eq!(complete(&["--kit-share", "0103 abcd"]).status.code(), Some(8));
    assert_eq!(complete(&["--request", req_s, "--approval", &ok0, "--approval", &ok0]).status.code(), Some(8));
    let done: serde_json::Value =
        serde_json::from_str(&ok(complete(&["--request", req_s, "--approval", &ok0, "--approval", &ok1, "--json"])))
            .unwrap();
    assert_eq!(done["documents"], 1);
}
