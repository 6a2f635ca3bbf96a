//! Faults: a connection cut in the middle of a chunk (a small TCP proxy), and the server process killed
//! (SIGKILL) during an upload, then restarted on the same data directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use coffre_sync::{BlockingClient, CancelToken, ChainState, KnownWriters, OpDraft, SyncError};
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn data(len: usize, seed: u64) -> Vec<u8> {
    test_bytes(len, seed)
}

/// Forwards TCP to `upstream`; while armed, kills the connection that carries the byte number `limit`
/// (counted over all client-to-server traffic).
struct CutProxy {
    armed: AtomicBool,
    sent: AtomicU64,
    limit: AtomicU64,
    cuts: AtomicUsize,
}

async fn pipe_conn(p: Arc<CutProxy>, mut client: tokio::net::TcpStream, upstream: std::net::SocketAddr) {
    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else { return };
    let (mut cr, mut cw) = client.split();
    let (mut sr, mut sw) = server.split();
    let up = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match cr.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let before = p.sent.fetch_add(n as u64, Ordering::SeqCst);
            if p.armed.load(Ordering::SeqCst) && before + n as u64 > p.limit.load(Ordering::SeqCst) {
                let keep = p.limit.load(Ordering::SeqCst).saturating_sub(before) as usize;
                let _ = sw.write_all(&buf[..keep.min(n)]).await;
                p.armed.store(false, Ordering::SeqCst);
                p.cuts.fetch_add(1, Ordering::SeqCst);
                return; // dropping both halves closes the connection mid-body
            }
            if sw.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    let down = async {
        let _ = tokio::io::copy(&mut sr, &mut cw).await;
    };
    tokio::select! {
        () = up => {},
        () = down => {},
    }
}

#[test]
fn upload_resumes_after_a_cut_mid_chunk_sending_only_missing_chunks() {
    let s = TestServer::start();
    let a = s.vault();
    let proxy = Arc::new(CutProxy {
        armed: AtomicBool::new(true),
        sent: AtomicU64::new(0),
        limit: AtomicU64::new(900_000),
        cuts: AtomicUsize::new(0),
    });
    let listener = s.rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let proxy_url = format!("http://{}", listener.local_addr().unwrap());
    let upstream = s.server.as_ref().unwrap().addr;
    let p2 = proxy.clone();
    s.rt.spawn(async move {
        while let Ok((c, _)) = listener.accept().await {
            tokio::spawn(pipe_conn(p2.clone(), c, upstream));
        }
    });
    let client = BlockingClient::new(&proxy_url, a.device.clone()).unwrap();
    client.attach(a.reg.vault, a.reg.server_pk);
    let blob = data(8 * coffre_sync::DEFAULT_CHUNK_SIZE - 1000, 1);
    let cancel = CancelToken::new();
    let err = client.upload_blob(&[3u8; 16], &blob, &|_| {}, &cancel).unwrap_err();
    assert!(matches!(err, SyncError::Network(_)), "{err:?}");
    assert_eq!(proxy.cuts.load(Ordering::SeqCst), 1);
    let stored_after_cut = s.server.as_ref().unwrap().state.metrics.chunks_stored.load(Ordering::SeqCst);
    assert!(stored_after_cut >= 2, "some chunks got through before the cut: {stored_after_cut}");
    // Resume through the same proxy (now passing everything): only the missing chunks are sent.
    let rep = client.upload_blob(&[3u8; 16], &blob, &|_| {}, &cancel).unwrap();
    assert_eq!(rep.chunks_sent + rep.chunks_skipped, 8);
    assert_eq!(rep.chunks_skipped as u64, stored_after_cut);
    assert_eq!(s.server.as_ref().unwrap().state.metrics.chunks_stored.load(Ordering::SeqCst), 8);
    assert_eq!(client.download_blob(&rep.blob, &|_| {}, &cancel).unwrap(), blob);
}

fn start_child(dir: &std::path::Path) -> ServerProcess {
    ServerProcess::start(std::path::Path::new(env!("CARGO_BIN_EXE_coffre-server")), dir)
}

#[test]
fn server_killed_during_upload_then_restarted_is_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = start_child(dir.path());
    let device = key();
    let identity = key();
    let client = BlockingClient::new(&child.url, device.clone()).unwrap();
    let reg = client.register(&identity).unwrap();
    let mut writers = KnownWriters::new([pk(&device)]);
    let g = ChainState::genesis(reg.vault);
    let drafts: Vec<OpDraft> = (1..=3).map(|n| OpDraft { counter: n, ciphertext: vec![n as u8; 100] }).collect();
    let synced = client.sync(&g, &drafts, &mut writers).unwrap();
    assert_eq!(synced.state.point.seq, 3);

    // Upload 40 chunks from another thread; kill -9 the server once a few are stored.
    let blob = Arc::new(data(40 * coffre_sync::DEFAULT_CHUNK_SIZE, 7));
    let done = Arc::new(AtomicUsize::new(0));
    let uploader = {
        let (url, device, blob, done) = (child.url.clone(), device.clone(), blob.clone(), done.clone());
        std::thread::spawn(move || {
            let c = BlockingClient::new(&url, device).unwrap();
            c.attach(reg.vault, reg.server_pk);
            c.upload_blob(&[9u8; 16], &blob, &|p| done.store(p.done_chunks, Ordering::SeqCst), &CancelToken::new())
        })
    };
    let t0 = Instant::now();
    while done.load(Ordering::SeqCst) < 4 && t0.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.proc.kill().unwrap(); // SIGKILL
    child.proc.wait().unwrap();
    let res = uploader.join().unwrap();
    assert!(res.is_err(), "the upload was cut by the kill");
    let before_kill = done.load(Ordering::SeqCst);
    assert!(before_kill < 40);

    // Restart on the same data directory: same server key, ops intact, upload resumes.
    let child2 = start_child(dir.path());
    let c2 = BlockingClient::new(&child2.url, device.clone()).unwrap();
    c2.attach(reg.vault, reg.server_pk);
    let info = c2.server_info().unwrap();
    assert_eq!(info.server_pk, coffre_sync::protocol::b64(&reg.server_pk));
    let (ops, st) = c2.pull(&g, &mut KnownWriters::new([pk(&device)])).unwrap();
    assert_eq!(ops.len(), 3);
    assert_eq!(st, synced.state);
    let rep = c2.upload_blob(&[9u8; 16], &blob, &|_| {}, &CancelToken::new()).unwrap();
    assert!(
        rep.chunks_skipped >= before_kill.min(4),
        "{} skipped, {before_kill} done before the kill",
        rep.chunks_skipped
    );
    assert_eq!(rep.chunks_sent + rep.chunks_skipped, 40);
    assert_eq!(c2.download_blob(&rep.blob, &|_| {}, &CancelToken::new()).unwrap(), *blob);
    // The log still appends after the restart.
    let out = c2
        .sync(&st, &[OpDraft { counter: 4, ciphertext: vec![4; 10] }], &mut KnownWriters::new([pk(&device)]))
        .unwrap();
    assert_eq!(out.state.point.seq, 4);
    let mut child2 = child2;
    // Graceful stop on SIGTERM.
    let pid = child2.proc.id().to_string();
    let _ = std::process::Command::new("kill").args(["-TERM", &pid]).status();
    let status = child2.proc.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

/// The real binary, listening on `listen`: what it wrote on stderr once it was listening.
fn startup_stderr(listen: &str) -> String {
    use std::io::{BufRead as _, Read as _};
    let dir = tempfile::tempdir().unwrap();
    let mut proc = std::process::Command::new(env!("CARGO_BIN_EXE_coffre-server"))
        .env("COFFRE_SERVER_LISTEN", listen)
        .env("COFFRE_SERVER_DATA_DIR", dir.path())
        .env("COFFRE_SERVER_LOG_LEVEL", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(proc.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("listening on "), "{line}");
    proc.kill().unwrap();
    proc.wait().unwrap();
    let mut err = String::new();
    proc.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    err
}

/// The server has no TLS: listening beyond loopback is allowed (a proxy in front) but said loudly.
#[test]
fn a_listener_off_loopback_warns_that_it_has_no_tls() {
    let warned = startup_stderr("0.0.0.0:0");
    assert!(warned.contains("WARNING") && warned.contains("without TLS"), "{warned}");
    let quiet = startup_stderr("127.0.0.1:0");
    assert!(!quiet.contains("without TLS"), "{quiet}");
}
