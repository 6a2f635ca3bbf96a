//! `coffre sync` meets a busy server: behind a proxy that answers the next signed requests with
//! `429 Retry-After`, it says so in the person's language, waits and finishes (exit 0); when the
//! wait asked is longer than it accepts, it stops with its own exit code (10) and loses nothing.
#![allow(clippy::unwrap_used)]

mod common;
use common::ok;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// How many of the next signed requests to refuse as busy, and the Retry-After they carry.
#[derive(Default)]
struct Busy {
    refuse: AtomicU64,
    retry_after: AtomicU64,
    refused: AtomicU64,
}

struct Proxy {
    upstream: String,
    http: reqwest::Client,
    busy: Arc<Busy>,
}

async fn forward(State(p): State<Arc<Proxy>>, req: Request) -> Response {
    let signed = req.headers().contains_key(coffre_core::sync::protocol::HDR_SIGNATURE);
    if signed && p.busy.refuse.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
        p.busy.refused.fetch_add(1, Ordering::SeqCst);
        let mut resp = Response::new(Body::from(r#"{"v":1,"error":"rate_limited","message":"busy"}"#));
        *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        let secs = p.busy.retry_after.load(Ordering::SeqCst).to_string();
        resp.headers_mut().insert("retry-after", HeaderValue::from_str(&secs).unwrap());
        return resp;
    }
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let url = format!("{}{}", p.upstream, parts.uri.path_and_query().map(|q| q.as_str()).unwrap_or("/"));
    let mut out = p.http.request(parts.method, url).body(body);
    for (k, v) in &parts.headers {
        if k != "host" {
            out = out.header(k, v);
        }
    }
    let got = out.send().await.unwrap();
    let mut resp = Response::builder().status(got.status());
    for (k, v) in got.headers() {
        if k == "content-type" || k == "retry-after" {
            resp = resp.header(k, v);
        }
    }
    resp.body(Body::from(got.bytes().await.unwrap())).unwrap()
}

fn coffre(vault: &Path, args: &[&str]) -> Output {
    common::coffre_cmd(vault, "occupe 1234", "fr_FR.UTF-8").args(args).output().unwrap()
}

fn import(vault: &Path, dir: &Path, name: &str) {
    let pdf = dir.join(name);
    std::fs::write(&pdf, format!("%PDF-1.4 {name}")).unwrap();
    ok(coffre(vault, &["import", pdf.to_str().unwrap(), "--title", name]));
}

/// A real server behind a busy proxy, and a vault enrolled through the proxy.
struct Setup {
    _server: common::LocalServer,
    _rt: tokio::runtime::Runtime,
    busy: Arc<Busy>,
    tmp: tempfile::TempDir,
    v: std::path::PathBuf,
}

fn enrolled_behind_a_busy_proxy() -> Setup {
    let server = common::local_server();
    coffre_core::sync::init_tls();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let busy = Arc::new(Busy::default());
    let url = busy_proxy(&rt, &server.url, busy.clone());
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("v");
    ok(coffre(&v, &["init"]));
    import(&v, tmp.path(), "avis.pdf");
    ok(coffre(&v, &["sync", "--server", &url]));
    Setup { _server: server, _rt: rt, busy, tmp, v }
}

#[test]
fn a_busy_server_is_waited_out_and_said_so_then_a_long_wait_stops_with_exit_11() {
    let Setup { busy, tmp, v, _server, _rt } = enrolled_behind_a_busy_proxy();

    // Busy for two requests, one second each: said in French, waited out, finished.
    import(&v, tmp.path(), "bail.pdf");
    busy.retry_after.store(1, Ordering::SeqCst);
    busy.refuse.store(2, Ordering::SeqCst);
    let out = coffre(&v, &["sync", "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stderr: {stderr}");
    assert!(stderr.contains("Le serveur est occupé, nouvel essai dans 1 s."), "stderr: {stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["pushed"], 1);
    assert!(report["server_busy"].as_u64().unwrap() >= 1, "{report}");
    assert_eq!(busy.refused.load(Ordering::SeqCst), 2);

    // Busy for an hour: the sync stops at once with its own exit code, and the change waits.
    import(&v, tmp.path(), "caf.pdf");
    busy.retry_after.store(3600, Ordering::SeqCst);
    busy.refuse.store(1, Ordering::SeqCst);
    let out = coffre(&v, &["sync"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(11), "stderr: {stderr}");
    assert!(stderr.contains("Le serveur est occupé"), "stderr: {stderr}");
    assert!(stderr.contains("réessayez dans 3600 s"), "stderr: {stderr}");
    assert!(stderr.contains("rien n'est perdu"), "stderr: {stderr}");
    // Once the server is free again, the same command sends it.
    let report: serde_json::Value = serde_json::from_str(&ok(coffre(&v, &["sync", "--json"]))).unwrap();
    assert_eq!(report["pushed"], 1);
}

/// Starts the real server behind a proxy that can answer "busy"; returns the proxy's address.
fn busy_proxy(rt: &tokio::runtime::Runtime, upstream: &str, busy: Arc<Busy>) -> String {
    let proxy = Arc::new(Proxy { upstream: upstream.to_string(), http: reqwest::Client::new(), busy });
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move {
        let app = axum::Router::new().fallback(forward).with_state(proxy);
        axum::serve(listener, app).await.unwrap();
    });
    url
}

#[test]
fn ctrl_c_stops_a_waiting_sync_at_once_with_exit_130_and_the_next_sync_finishes_with_progress() {
    use std::io::Read;
    let Setup { busy, tmp, v, _server, _rt } = enrolled_behind_a_busy_proxy();
    for name in ["a.pdf", "b.pdf", "c.pdf"] {
        import(&v, tmp.path(), name);
    }

    // The server asks to wait 5 minutes: the sync waits (and says so) until Ctrl-C.
    busy.retry_after.store(300, Ordering::SeqCst);
    busy.refuse.store(1_000, Ordering::SeqCst);
    let mut child = common::coffre_cmd(&v, "occupe 1234", "fr_FR.UTF-8")
        .arg("sync")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 256];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
            let _ = tx.send(String::from_utf8_lossy(&seen).into_owned());
        }
    });
    let waiting = std::time::Instant::now();
    let mut said = String::new();
    while !said.contains("nouvel essai dans 300 s") {
        said = rx.recv_timeout(std::time::Duration::from_secs(60)).expect("the sync says it waits");
    }
    let pressed = std::time::Instant::now();
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let code = child.wait().unwrap().code();
    let stopped_in = pressed.elapsed();
    while let Ok(more) = rx.recv_timeout(std::time::Duration::from_secs(5)) {
        said = more;
    }
    assert_eq!(code, Some(130), "stderr: {said}");
    assert!(said.contains("Synchronisation interrompue"), "stderr: {said}");
    assert!(said.contains("relancez « coffre sync »"), "stderr: {said}");
    assert!(stopped_in < std::time::Duration::from_secs(10), "stopped {stopped_in:?} after Ctrl-C");
    assert!(waiting.elapsed() < std::time::Duration::from_secs(120));

    // The server is free again: the same command sends the three documents, with its progress.
    busy.refuse.store(0, Ordering::SeqCst);
    let out = coffre(&v, &["sync", "--json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stderr: {err}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["pushed"], 3, "{report}");
    assert!(err.contains("Synchronisation : 100 %"), "plain progress lines off a terminal: {err}");
}
