//! A hostile share creator against the viewer's origin (issue 14): a device of its own vault, using
//! the core's share crypto, uploads shares whose manifest lies about the page type: an HTML page with
//! script ("tapez vos 12 mots de récupération"), an SVG with script, and a real PNG claimed to be
//! HTML. It also uploads raw JavaScript as the stored bytes of another share and points a
//! `<script src>` at that share's page route, the way to get past the viewer's `script-src 'self'`.
//! Headless Chromium opens the links and every `blob:` address the viewer made (as a person would
//! with "Ouvrir" or "open the image in a new tab"); no script of the creator may run on the
//! server's origin, and the page route must say `nosniff` and sandbox what it serves.
//!
//! Needs Node and Chromium (`scripts/setup.sh` installs both); fails loudly without them.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;

use coffre_core::share::format::{Manifest, ManifestDocument, ManifestPage, Part, ShareLink};
use coffre_core::sync::BlockingClient;
use coffre_core::sync::protocol::share::{SHARE_VERSION, ShareCreate};
use coffre_core::sync::protocol::{b64, pad_payload};

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// A registered vault of the attacker's own, with its device's client.
fn hostile_device(url: &str) -> BlockingClient {
    let device = coffre_core::crypto::SigningKey::generate();
    let identity = coffre_core::crypto::SigningKey::generate();
    let client = BlockingClient::new(url, device).unwrap();
    client.register(&identity).unwrap();
    client
}

fn header(link: &ShareLink, pages: u32) -> ShareCreate {
    let open_check = Some(link.open_check_text());
    ShareCreate { v: SHARE_VERSION, id: link.id_text(), expires_at: now() + 3600, max_opens: None, pages, open_check }
}

/// A well-formed share whose one page is `bytes`, announced in the manifest as `claimed_mime`.
fn lying_share(client: &BlockingClient, url: &str, bytes: &[u8], claimed_mime: &str) -> String {
    let link = ShareLink::generate(url);
    let manifest = Manifest {
        v: 1,
        purpose: Some("Dossier de logement".into()),
        created_at: now(),
        expires_at: now() + 3600,
        max_opens: None,
        dossier: None,
        documents: vec![ManifestDocument {
            title: "Avis d'imposition".into(),
            category: "avis_imposition".into(),
            category_label: "Avis d'imposition".into(),
            expires_on: None,
            watermarked: false,
            pages: vec![ManifestPage {
                index: 0,
                mime: claimed_mime.into(),
                size: bytes.len() as u64,
                sha256: hex(&coffre_core::crypto::sha256(bytes)),
            }],
        }],
    };
    let sealed_manifest = pad_payload(&link.seal(Part::Manifest, &serde_json::to_vec(&manifest).unwrap())).unwrap();
    let page = pad_payload(&link.seal(Part::Page(0), bytes)).unwrap();
    client.share_create(&header(&link, 1), &sealed_manifest, &[page]).unwrap();
    link.to_url().to_string()
}

/// A share whose stored page bytes are raw JavaScript (no encryption: the server cannot tell).
fn script_carrier(client: &BlockingClient, url: &str) -> ShareLink {
    let link = ShareLink::generate(url);
    let js = b"document.title='PWNED-EXTERNAL';fetch('/pwned/external');".to_vec();
    let padded = |mut b: Vec<u8>| {
        let target = pad_payload(&b).unwrap().len();
        b.resize(target, b' ');
        b
    };
    client.share_create(&header(&link, 1), &padded(vec![b' '; 64]), &[padded(js)]).unwrap();
    link
}

/// One plain HTTP/1.1 request; returns (status line + headers, body).
fn http(url: &str, method: &str, path: &str) -> (String, Vec<u8>) {
    http_with(url, method, path, "")
}

/// [`http`] with extra header lines (each ending in `\r\n`).
fn http_with(url: &str, method: &str, path: &str, headers: &str) -> (String, Vec<u8>) {
    let host = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{headers}Content-Length: 0\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    (String::from_utf8_lossy(&raw[..split]).to_lowercase(), raw[split + 4..].to_vec())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn a_hostile_share_runs_no_script_on_the_servers_origin() {
    let server = common::local_server();
    let url = server.url.clone();
    let attacker = hostile_device(&url);

    // The attacker opens its own carrier share to get a page token, then builds the page around it.
    let carrier = script_carrier(&attacker, &url);
    let proof = format!("x-coffre-share-proof: {}\r\n", b64(&carrier.open_proof()));
    let (head, body) = http_with(&url, "POST", &format!("/s/{}/open", carrier.id_text()), &proof);
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let token = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["token"].as_str().unwrap().to_string();
    let script_route = format!("/s/{}/pages/0?t={token}", carrier.id_text());

    let phishing = format!(
        "<!doctype html><html><head><meta charset=utf-8><title>Coffre</title></head><body>\
         <h1>Pour voir vos documents, tapez vos 12 mots de récupération</h1><input name=mots>\
         <script>document.title='PWNED-INLINE';fetch('/pwned/inline')</script>\
         <script src=\"{script_route}\"></script></body></html>"
    );
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"100\" \
         onload=\"document.title='PWNED-SVG';fetch('/pwned/svg')\">\
         <script href=\"{script_route}\"/><rect width=\"100\" height=\"100\"/></svg>"
    );
    let real_png = png();
    let cases = serde_json::json!({
        "html": lying_share(&attacker, &url, phishing.as_bytes(), "text/html"),
        "svg": lying_share(&attacker, &url, svg.as_bytes(), "image/svg+xml"),
        "html_as_png": lying_share(&attacker, &url, phishing.as_bytes(), "image/png"),
        "png_as_html": { "link": lying_share(&attacker, &url, &real_png, "text/html"), "sha256": hex(&coffre_core::crypto::sha256(&real_png)) },
    });

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sync-server/viewer");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "the viewer's npm packages are missing: run scripts/setup.sh (npm ci in sync-server/viewer)"
    );
    let out = Command::new("node")
        .arg("test/hostile.test.mjs")
        .current_dir(&dir)
        .env("HOSTILE_CASES", cases.to_string())
        .output()
        .expect("node is needed for the browser test: run scripts/setup.sh");
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{report}{}", String::from_utf8_lossy(&out.stderr));
    // The page route itself: never something a browser would render or run as the server's own.
    let (head, _) = http(&url, "GET", &script_route);
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("x-content-type-options: nosniff"), "page bytes without nosniff:\n{head}");
    let csp = head.lines().find(|l| l.starts_with("content-security-policy:")).unwrap_or("");
    assert!(csp.contains("sandbox") && csp.contains("default-src 'none'"), "page bytes without a sandbox CSP:\n{head}");
    assert!(head.contains("content-disposition: attachment"), "{head}");
    assert!(head.contains("content-type: application/octet-stream"), "{head}");

    assert!(out.status.success(), "browser test failed:\n{report}");
    assert!(report.contains("5 passed, 0 failed"), "{report}");
}
