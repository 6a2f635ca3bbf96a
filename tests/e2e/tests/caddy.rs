//! The shipped Caddy site file in front of a real server (issue 14): `sync-server/deploy/Caddyfile`,
//! with its name replaced by 127.0.0.1 on a free port and a certificate from a CA made for the test
//! instead of Let's Encrypt, runs Debian's `caddy` as the TLS reverse proxy. Two devices sync and a
//! share opens through it over HTTPS, and `/metrics` is not reachable through it.
//!
//! Needs `caddy` (`scripts/setup.sh` installs it); fails loudly without.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use coffre_core::share::{self, ShareDuration, ShareRequest};
use coffre_core::sync_engine;
use coffre_core::vault::{ListQuery, NewDocument, Origin, PageInput, PageRole, Vault};
use coffre_test_harness::tls::TestCa;

struct Caddy(std::process::Child);

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The deploy Caddyfile, made to run here: a local address and the test's certificate.
fn test_caddyfile(port: u16, upstream: &str, cert: &std::path::Path, key: &std::path::Path) -> String {
    let shipped = include_str!("../../../sync-server/deploy/Caddyfile");
    assert!(shipped.contains("coffre.exemple.fr {") && shipped.contains("reverse_proxy 127.0.0.1:8443"));
    let site = shipped
        .replace(
            "coffre.exemple.fr {",
            &format!("https://127.0.0.1:{port} {{\n\ttls {} {}", cert.display(), key.display()),
        )
        .replace("reverse_proxy 127.0.0.1:8443", &format!("reverse_proxy {upstream}"));
    format!("{{\n\tadmin off\n\tauto_https disable_redirects\n}}\n{site}")
}

#[test]
fn two_devices_sync_and_a_share_opens_through_the_shipped_caddyfile() {
    let s = server();
    let tmp = tempfile::tempdir().unwrap();
    let ca = TestCa::new("Coffre Caddy test CA");
    let (cert, key) = ca.issue().write(tmp.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let conf = tmp.path().join("Caddyfile");
    std::fs::write(&conf, test_caddyfile(port, s.url.trim_start_matches("http://"), &cert, &key)).unwrap();
    let out = std::process::Command::new("caddy")
        .args(["validate", "--adapter", "caddyfile", "--config"])
        .arg(&conf)
        .env("HOME", tmp.path())
        .output()
        .expect("caddy is needed: run scripts/setup.sh");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let _caddy = Caddy(
        std::process::Command::new("caddy")
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&conf)
            .env("HOME", tmp.path())
            .env("XDG_DATA_HOME", tmp.path().join("data"))
            .env("XDG_CONFIG_HOME", tmp.path().join("config"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let url = format!("https://127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "caddy did not start");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    coffre_core::sync::trust_operator_ca(ca.pem().as_bytes()).unwrap();

    let mut phone = Vault::create(&tmp.path().join("phone"), PASS, None).unwrap();
    let page: Vec<u8> = [0x89, b'P', b'N', b'G'].into_iter().chain((0..60_000u32).map(|i| i as u8)).collect();
    let meta =
        NewDocument { category: "attestation_caf".into(), title: "Attestation CAF".into(), ..Default::default() };
    phone
        .add_document(
            meta,
            Origin::Import,
            vec![PageInput { bytes: page.clone(), mime: "image/png".into(), role: PageRole::Page }],
        )
        .unwrap();
    sync_engine::enroll(&mut phone, &url).unwrap();
    sync_all(&mut phone);
    let mut tablet = link(&mut phone, &tmp.path().join("tablet"), &url);
    sync_all(&mut tablet);
    let docs = tablet.list(&ListQuery::default()).unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(tablet.page_bytes(&docs[0].id, 0).unwrap().as_slice(), page.as_slice());

    let made = share::create_share(
        &mut phone,
        &ShareRequest { documents: vec![docs[0].id], lifetime_secs: ShareDuration::Day.secs(), ..Default::default() },
    )
    .unwrap();
    assert!(made.link.starts_with(&format!("{url}/s/")), "{}", made.link);
    assert_eq!(share::open_link(&made.link).unwrap().pages[0].as_slice(), page.as_slice());

    // /metrics is not served through the proxy, whatever the server would say.
    let client = {
        let _g = s.rt.enter();
        reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap()])
            .build()
            .unwrap()
    };
    let status = s.rt.block_on(client.get(format!("{url}/metrics")).send()).unwrap().status().as_u16();
    assert_eq!(status, 404);
}
