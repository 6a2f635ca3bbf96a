//! `coffre org|agent|mandate|deposits|audit|export|verify-deposit`: the desk flow from the command line
//! against a real server on 127.0.0.1.
#![allow(clippy::unwrap_used)]

mod common;
use common::ok;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn coffre(vault: &Path, args: &[&str]) -> Output {
    common::coffre_cmd(vault, "titulaire 1234", "C")
        .args(args)
        .env("COFFRE_KEYFILE_PASSPHRASE", "cle agent 5678")
        .output()
        .unwrap()
}

#[test]
fn desk_flow_from_the_command_line() {
    let server = common::local_server();
    let url = server.url.clone();
    let tmp = tempfile::tempdir().unwrap();
    let p = |n: &str| tmp.path().join(n);
    let s = |n: &str| p(n).to_str().unwrap().to_string();
    let vault = p("vault");

    // The organisation admin and the agent.
    ok(coffre(&vault, &["org", "create", "--file", &s("org.json"), "--name", "CCAS de Grenoble"]));
    ok(coffre(&vault, &["org", "register", "--file", &s("org.json"), "--server", &url]));
    let request = ok(coffre(&vault, &["agent", "init", "--file", &s("agent.json")]));
    assert!(request.trim().starts_with("COFFRE-AGENT-REQ:"));
    let cert = ok(coffre(
        &vault,
        &[
            "org",
            "enrol-agent",
            "--file",
            &s("org.json"),
            "--request",
            request.trim(),
            "--name",
            "M. Petit",
            "--role",
            "Conseiller",
            "--days",
            "30",
        ],
    ));
    let shown = ok(coffre(&vault, &["agent", "install-cert", "--file", &s("agent.json"), cert.trim()]));
    assert!(shown.starts_with("M. Petit (Conseiller) — CCAS de Grenoble, valid until"), "{shown}");

    // The holder's vault, connected.
    ok(coffre(&vault, &["init"]));
    ok(coffre(&vault, &["sync", "--server", &url]));

    // At the desk: the agent shows the QR and waits; the holder scans, compares, grants.
    let mut offer = Command::new(env!("CARGO_BIN_EXE_coffre"))
        .args([
            "agent",
            "offer",
            "--file",
            &s("agent.json"),
            "--server",
            &url,
            "--wait",
            "60",
            "--out",
            &s("mandate.txt"),
            "--png",
            &s("offer.png"),
        ])
        .env("COFFRE_KEYFILE_PASSPHRASE", "cle agent 5678")
        .env("LANG", "C")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(offer.stdout.take().unwrap()).lines();
    let qr = lines.next().unwrap().unwrap();
    let identity = lines.next().unwrap().unwrap();
    assert!(qr.starts_with("COFFRE-AGENT:") && identity.starts_with("M. Petit (Conseiller)"), "{qr} {identity}");
    // The holder's camera: the PNG of the QR (written before the text) reads back to the same offer;
    // scanning shows who the agent is, and no digits yet.
    let from_image = ok(coffre(&vault, &["mandate", "scan", &s("offer.png")]));
    assert!(from_image.contains("M. Petit (Conseiller) — CCAS de Grenoble"), "{from_image}");
    let scanned = ok(coffre(&vault, &["mandate", "scan", &qr]));
    assert_eq!(scanned, from_image);
    // Granting sends the holder's contribution; both screens then show the same digits; the holder
    // types the agent's. (A wrong answer would use up this QR: see the e2e desk tests.)
    let grant = common::spawn_asking({
        let mut c = common::coffre_cmd(&vault, "titulaire 1234", "C");
        c.args(["mandate", "grant", &qr, "--scope", "deposit", "--collection", "income", "--days", "7"]);
        c
    });
    let code_line = lines.next().unwrap().unwrap();
    let digits = code_line.rsplit(' ').next().unwrap().to_string();
    assert!(code_line.starts_with("Code to compare:") && digits.len() == 6, "{code_line}");
    let out = common::type_answer(grant, &digits);
    let granted = ok(out);
    assert!(granted.contains(&format!("Code to compare: {digits}")), "{granted}");
    assert!(granted.lines().last().unwrap().starts_with("Mandate signed"), "{granted}");
    assert!(offer.wait().unwrap().success());
    let received: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(received.iter().any(|l| l.starts_with("Mandate received: deposit documents (income)")), "{received:?}");

    // The agent deposits; the holder imports a certified document.
    std::fs::write(p("cmu.pdf"), b"%PDF-1.4 attestation complementaire sante solidaire").unwrap();
    ok(coffre(
        &vault,
        &[
            "agent",
            "deposit",
            "--file",
            &s("agent.json"),
            "--mandate",
            &s("mandate.txt"),
            "--server",
            &url,
            "--title",
            "Attestation C2S",
            &s("cmu.pdf"),
        ],
    ));
    let imported = ok(coffre(&vault, &["deposits"]));
    assert!(
        imported.contains("Deposited by M. Petit (CCAS de Grenoble)") && imported.contains("1 deposit(s) imported")
    );
    // A second deposit arrives with the next `coffre sync`.
    std::fs::write(p("rib.pdf"), b"%PDF-1.4 rib").unwrap();
    ok(coffre(
        &vault,
        &[
            "agent",
            "deposit",
            "--file",
            &s("agent.json"),
            "--mandate",
            &s("mandate.txt"),
            "--server",
            &url,
            "--title",
            "RIB",
            "--category",
            "rib",
            &s("rib.pdf"),
        ],
    ));
    let synced = ok(coffre(&vault, &["sync"]));
    assert!(synced.contains("1 certified deposit(s) received"), "{synced}");
    let docs: serde_json::Value = serde_json::from_str(&ok(coffre(&vault, &["list", "--json"]))).unwrap();
    assert_eq!(docs.as_array().unwrap().len(), 2);
    for d in docs.as_array().unwrap() {
        assert_eq!(d["origin"], "deposit");
        assert!(d["notes"].as_str().unwrap().ends_with("— vérifié"));
    }

    // The audit trail, printed and as JSON.
    let audit = ok(coffre(&vault, &["audit"]));
    assert!(audit.contains("mandate granted") && audit.contains("certified deposit"), "{audit}");
    let events: serde_json::Value = serde_json::from_str(&ok(coffre(&vault, &["audit", "--json"]))).unwrap();
    let kinds: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["mandate_granted", "deposit_received", "deposit_received"]);

    // The export carries audit.json; it verifies offline, and a tampered copy does not.
    ok(coffre(&vault, &["export", &s("export")]));
    let audit_json = p("export").join("audit.json");
    let verified = ok(coffre(&vault, &["verify-deposit", audit_json.to_str().unwrap()]));
    assert!(verified.contains("2 certified deposit(s) verified"), "{verified}");
    let tampered = std::fs::read_to_string(&audit_json).unwrap().replace("M. Petit", "M. Grand");
    std::fs::write(p("tampered.json"), tampered).unwrap();
    assert_eq!(coffre(&vault, &["verify-deposit", &s("tampered.json")]).status.code(), Some(5));

    // Nothing to consult under a deposit-only mandate.
    let consult = coffre(
        &vault,
        &["agent", "consult", "--file", &s("agent.json"), "--mandate", &s("mandate.txt"), "--server", &url],
    );
    assert_eq!(consult.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&consult.stderr).contains("scope_denied"));
    assert_eq!(ok(coffre(&vault, &["mandate", "publish"])).trim(), "0 mandate(s) updated");

    // Revocation: said plainly, and the agent is refused.
    let list: serde_json::Value = serde_json::from_str(&ok(coffre(&vault, &["mandate", "list", "--json"]))).unwrap();
    let id = list[0]["id"].as_str().unwrap().to_string();
    let revoked = ok(coffre(&vault, &["mandate", "revoke", &id]));
    assert!(revoked.contains("cannot be unread"), "{revoked}");
    let refused = coffre(
        &vault,
        &[
            "agent",
            "deposit",
            "--file",
            &s("agent.json"),
            "--mandate",
            &s("mandate.txt"),
            "--server",
            &url,
            "--title",
            "Encore",
            &s("cmu.pdf"),
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("mandate_revoked"));

    // The organisation revokes the agent device; the server records it.
    let agent_file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p("agent.json")).unwrap()).unwrap();
    let device = agent_file["device_pk"].as_str().unwrap();
    let out =
        ok(coffre(&vault, &["org", "revoke-agent", "--file", &s("org.json"), "--server", &url, "--device", device]));
    assert!(out.contains("Agent revoked"), "{out}");
}

#[test]
fn an_agent_hands_out_an_invitation_that_creates_one_vault() {
    let server = common::LocalServer::start_with(|c| c.registration = "invitation".into());
    let url = server.url.clone();
    let tmp = tempfile::tempdir().unwrap();
    let s = |n: &str| tmp.path().join(n).to_str().unwrap().to_string();
    let admin = tmp.path().join("admin");
    ok(coffre(&admin, &["org", "create", "--file", &s("org.json"), "--name", "CCAS de Grenoble"]));
    ok(coffre(&admin, &["org", "register", "--file", &s("org.json"), "--server", &url]));
    let request = ok(coffre(&admin, &["agent", "init", "--file", &s("agent.json")]));
    let cert = ok(coffre(
        &admin,
        &[
            "org",
            "enrol-agent",
            "--file",
            &s("org.json"),
            "--request",
            request.trim(),
            "--name",
            "M. Petit",
            "--role",
            "ASS",
        ],
    ));
    ok(coffre(&admin, &["agent", "install-cert", "--file", &s("agent.json"), cert.trim()]));

    let shown = ok(coffre(&admin, &["agent", "invite", "--file", &s("agent.json"), "--server", &url, "--json"]));
    let code = serde_json::from_str::<serde_json::Value>(&shown).unwrap()["code"].as_str().unwrap().to_string();
    // The person creates a vault with it; a second person with the same code is refused.
    let first = tmp.path().join("first");
    ok(coffre(&first, &["init"]));
    ok(coffre(&first, &["sync", "--server", &url, "--invitation", &code]));
    let second = tmp.path().join("second");
    ok(coffre(&second, &["init"]));
    let out = coffre(&second, &["sync", "--server", &url, "--invitation", &code]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("This invitation code does not work"));
}
