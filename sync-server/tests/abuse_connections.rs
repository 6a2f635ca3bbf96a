//! Attacks on the server before authentication, replayed from outside by minimal hostile clients on raw
//! sockets against the real server (the binary, where its memory is measured): 32 MiB bodies from a key
//! no vault knows, stalled and trickled bodies, too many connections from one address, too many
//! requests at once, the old signing format, and a body that is not the one signed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use coffre_crypto::SigningKey;
use coffre_sync::protocol::{self as proto, BodyCommitment};
use common::{ServerProcess, TEST_SERVER_ENV, TestServer, key, now};

/// The resident memory of a process, in KiB (`VmRSS` of `/proc/<pid>/status`).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// The request head of a signed request whose body commits to `commitment` (signing format v2).
fn signed_head(host: &str, sk: &SigningKey, method: &str, path: &str, commitment: &BodyCommitment) -> String {
    let mut nonce = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce);
    let nonce = proto::b64(&nonce);
    let ts = now();
    let msg = proto::canonical_request(method, path, commitment, ts, &nonce);
    let sig = proto::b64(&proto::sign(sk, &msg));
    format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {len}\r\n{dev}: {pk}\r\n{ts_h}: {ts}\r\n{n_h}: {nonce}\r\n{s_h}: {sig}\r\n\
         {l_h}: {len}\r\n{h_h}: {hash}\r\n\r\n",
        len = commitment.length,
        dev = proto::HDR_DEVICE,
        pk = proto::b64(sk.verifying_key().as_bytes()),
        ts_h = proto::HDR_TIMESTAMP,
        n_h = proto::HDR_NONCE,
        s_h = proto::HDR_SIGNATURE,
        l_h = proto::HDR_BODY_LENGTH,
        h_h = proto::HDR_BODY_SHA256,
        hash = hex::encode(commitment.sha256),
    )
}

/// What became of one hostile upload: how long until the server cut it, the body bytes it took, and
/// the first line of its answer (empty if it only closed the connection).
struct Outcome {
    cut_after: Option<Duration>,
    sent: u64,
    status_line: String,
}

/// Sends `head`, then up to `stop_at` body bytes as fast as the server takes them, then stalls until the
/// server answers or closes (or `give_up` passes: not cut).
fn hostile_upload(host: &str, head: &str, stop_at: u64, give_up: Duration) -> Outcome {
    let start = Instant::now();
    let mut s = TcpStream::connect(host).unwrap();
    s.set_write_timeout(Some(give_up)).unwrap();
    s.set_read_timeout(Some(give_up)).unwrap();
    let mut sent = 0u64;
    let chunk = vec![0u8; 64 << 10];
    if s.write_all(head.as_bytes()).is_ok() {
        while sent < stop_at {
            let n = usize::try_from((stop_at - sent).min(chunk.len() as u64)).unwrap();
            match s.write(&chunk[..n]) {
                Ok(0) | Err(_) => break,
                Ok(n) => sent += n as u64,
            }
        }
    }
    let mut answer = Vec::new();
    let cut = match s.read_to_end(&mut answer) {
        Ok(_) => true,
        Err(e) => !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
    };
    let status_line = String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_string();
    Outcome { cut_after: cut.then(|| start.elapsed()), sent, status_line }
}

fn server_binary(extra: &[(&str, &str)]) -> (tempfile::TempDir, ServerProcess) {
    let dir = tempfile::tempdir().unwrap();
    let env: Vec<(String, String)> =
        TEST_SERVER_ENV.iter().chain(extra).map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let p = ServerProcess::start_with_env(Path::new(env!("CARGO_BIN_EXE_coffre-server")), dir.path(), &env);
    (dir, p)
}

#[test]
fn sixteen_32_mib_uploads_from_an_unknown_key_keep_rss_flat_and_are_cut() {
    const BODY: u64 = 32 << 20;
    const TIMEOUT_SECS: u64 = 10;
    let (_dir, mut server) =
        server_binary(&[("COFFRE_SERVER_REQUEST_TIMEOUT_SECS", "10"), ("COFFRE_SERVER_IDLE_TIMEOUT_SECS", "5")]);
    let host = server.url.trim_start_matches("http://").to_string();
    let pid = server.proc.id();
    // A real vault, so the path is one the server serves; the attacker's key is enrolled nowhere.
    let holder = coffre_sync::BlockingClient::new(&server.url, key()).unwrap();
    let reg = holder.register(&key()).unwrap();
    let vault = hex::encode(reg.vault);
    let commitment = BodyCommitment::of(&vec![0u8; BODY as usize]);
    std::thread::sleep(Duration::from_millis(300));
    let before = rss_kib(pid);

    let attackers: Vec<_> = (0..16)
        .map(|_| {
            let head = signed_head(&host, &key(), "POST", &format!("/v1/vaults/{vault}/shares"), &commitment);
            let host = host.clone();
            // All but the last byte: the body never completes, the connection stays open if allowed.
            std::thread::spawn(move || hostile_upload(&host, &head, BODY - 1, Duration::from_secs(TIMEOUT_SECS + 20)))
        })
        .collect();
    let mut peak = before;
    while attackers.iter().any(|t| !t.is_finished()) {
        peak = peak.max(rss_kib(pid));
        std::thread::sleep(Duration::from_millis(20));
    }
    let outcomes: Vec<Outcome> = attackers.into_iter().map(|t| t.join().unwrap()).collect();
    let grew_mib = peak.saturating_sub(before) as f64 / 1024.0;
    let sent_mib = outcomes.iter().map(|o| o.sent).sum::<u64>() as f64 / f64::from(1 << 20);
    let slowest = outcomes.iter().filter_map(|o| o.cut_after).max();
    eprintln!(
        "16 x 32 MiB from an unknown key: RSS {before} KiB -> peak {peak} KiB (+{grew_mib:.1} MiB); \
         {sent_mib:.1} MiB accepted by the kernel; slowest cut after {slowest:?}; answers {:?}",
        outcomes.iter().map(|o| o.status_line.as_str()).collect::<std::collections::BTreeSet<_>>()
    );
    assert!(grew_mib < 64.0, "RSS grew by {grew_mib:.1} MiB");
    for o in &outcomes {
        let cut = o.cut_after.expect("the server kept a stalled upload open");
        assert!(cut < Duration::from_secs(TIMEOUT_SECS + 2), "cut after {cut:?}");
        assert!(o.status_line.is_empty() || o.status_line.contains(" 403 "), "{}", o.status_line);
    }
    server.proc.kill().unwrap();
    server.proc.wait().unwrap();
}

#[test]
fn a_stalled_body_is_cut_by_the_idle_timeout_and_a_trickle_by_the_request_timeout() {
    let s = TestServer::start_with(|c| {
        c.idle_timeout_secs = 2;
        c.request_timeout_secs = 4;
    });
    let h = s.vault();
    let host = s.url.trim_start_matches("http://").to_string();
    let body = proto::pad_payload(&vec![3u8; 500_000]).unwrap();
    let hash = hex::encode(proto::chunk_address(&body));
    let path = format!("/v1/vaults/{}/chunks/{hash}", h.vault_hex());
    let head = signed_head(&host, &h.device, "PUT", &path, &BodyCommitment::of(&body));

    // Half the body, then silence: an enrolled device's stalled upload holds its slot for 2 s, not forever.
    let stalled = hostile_upload(&host, &head, body.len() as u64 / 2, Duration::from_secs(30));
    let cut = stalled.cut_after.expect("a stalled body was kept open");
    assert!(cut >= Duration::from_secs(2) && cut < Duration::from_secs(4), "cut after {cut:?}");

    // One byte every 0.5 s never trips the idle timeout; the request timeout ends it with a 408.
    let start = Instant::now();
    let mut c = TcpStream::connect(&host).unwrap();
    c.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    c.write_all(signed_head(&host, &h.device, "PUT", &path, &BodyCommitment::of(&body)).as_bytes()).unwrap();
    let mut answer = Vec::new();
    loop {
        if c.write_all(&[0u8]).is_err() {
            break;
        }
        let mut buf = [0u8; 512];
        match c.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
        if !answer.is_empty() || start.elapsed() > Duration::from_secs(30) {
            break;
        }
    }
    let took = start.elapsed();
    let answer = String::from_utf8_lossy(&answer).to_string();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?} after {took:?}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(took < Duration::from_secs(6), "{took:?}");
}

#[test]
fn headers_trickled_a_byte_at_a_time_are_cut() {
    let s = TestServer::start_with(|c| {
        c.idle_timeout_secs = 2;
        c.request_timeout_secs = 2;
    });
    let host = s.url.trim_start_matches("http://").to_string();
    let start = Instant::now();
    let mut c = TcpStream::connect(&host).unwrap();
    c.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").unwrap();
    // One header byte every 0.5 s: never idle for 2 s, never a complete request.
    let cut = loop {
        if c.write_all(b"a").is_err() {
            break true;
        }
        let mut buf = [0u8; 64];
        match c.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => panic!("answered a request whose headers never ended"),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => {}
        }
        if start.elapsed() > Duration::from_secs(20) {
            break false;
        }
    };
    let took = start.elapsed();
    assert!(cut && took < Duration::from_secs(7), "cut {cut} after {took:?}");
}

#[test]
fn connections_beyond_the_per_address_cap_are_closed_and_other_addresses_still_served() {
    let s = TestServer::start_with(|c| {
        c.max_connections_per_address = 3;
        // 127.0.0.1 is a trusted proxy by default (exempt from the per-address cap); not here.
        c.trusted_proxies = String::new();
    });
    let host = s.url.trim_start_matches("http://").to_string();
    let held: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(&host).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    // The fourth from 127.0.0.1 is accepted by the kernel, then closed by the server without a word.
    let mut fourth = TcpStream::connect(&host).unwrap();
    fourth.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = fourth.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes());
    let mut answer = Vec::new();
    let closed = match fourth.read_to_end(&mut answer) {
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    };
    assert!(closed && answer.is_empty(), "{:?}", String::from_utf8_lossy(&answer));
    // Another address is served meanwhile.
    let other = reqwest::Client::builder().local_address(IpAddr::from([127, 0, 0, 2])).build().unwrap();
    let status = s.rt.block_on(async { other.get(format!("{}/healthz", s.url)).send().await.unwrap().status() });
    assert_eq!(status, 200);
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let (status, _, _) = s.raw("GET", "/healthz", vec![], None, |_| {});
    assert_eq!(status, 200, "slots come back when connections close");
}

#[test]
fn requests_beyond_max_in_flight_get_server_busy() {
    let s = TestServer::start_with(|c| {
        c.max_in_flight = 2;
        c.idle_timeout_secs = 20;
    });
    let h = s.vault();
    let host = s.url.trim_start_matches("http://").to_string();
    let body = proto::pad_payload(&vec![4u8; 200_000]).unwrap();
    let path = format!("/v1/vaults/{}/chunks/{}", h.vault_hex(), hex::encode(proto::chunk_address(&body)));
    // Two uploads stall half-way: both slots are taken.
    let stalled: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut c = TcpStream::connect(&host).unwrap();
            c.write_all(signed_head(&host, &h.device, "PUT", &path, &BodyCommitment::of(&body)).as_bytes()).unwrap();
            c.write_all(&body[..body.len() / 2]).unwrap();
            c
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let (status, err, _) = s.raw("GET", "/healthz", vec![], None, |_| {});
    assert_eq!((status, err.map(|e| e.error)), (503, Some("server_busy".to_string())));
    drop(stalled);
    std::thread::sleep(Duration::from_millis(300));
    let (status, _, _) = s.raw("GET", "/healthz", vec![], None, |_| {});
    assert_eq!(status, 200);
}

#[test]
fn the_old_signing_format_and_a_body_that_is_not_the_signed_one_are_refused() {
    let s = TestServer::start();
    let h = s.vault();
    let path = format!("/v1/vaults/{}", h.vault_hex());
    // Format v1: the four headers, no body commitment (what an app from before this server sends).
    let auth = proto::sign_request(&h.device, "GET", &path, b"", now(), &[7; 16]);
    let mut req = s.http.get(format!("{}{path}", s.url));
    for (k, v) in &auth.headers()[..4] {
        req = req.header(*k, *v);
    }
    let (status, err, _) = s.send(req);
    assert_eq!((status, err.unwrap().error), (401, "old_signature_format".to_string()));

    // A body of the signed length but other bytes: refused once read, nothing stored.
    let body = proto::pad_payload(&vec![5u8; 1000]).unwrap();
    let hash = proto::chunk_address(&body);
    let chunk_path = format!("/v1/vaults/{}/chunks/{}", h.vault_hex(), hex::encode(hash));
    let auth = proto::sign_request(&h.device, "PUT", &chunk_path, &body, now(), &[8; 16]);
    let mut other = body.clone();
    other[10] ^= 1;
    let mut req = s.http.put(format!("{}{chunk_path}", s.url)).body(other);
    for (k, v) in auth.headers() {
        req = req.header(k, v);
    }
    let (status, err, _) = s.send(req);
    assert_eq!((status, err.unwrap().error), (400, "body_mismatch".to_string()));
    // A signed length above the route's limit is refused before any body is read.
    let huge = BodyCommitment { length: 1 << 40, sha256: [0; 32] };
    let host = s.url.trim_start_matches("http://").to_string();
    let o =
        hostile_upload(&host, &signed_head(&host, &h.device, "PUT", &chunk_path, &huge), 0, Duration::from_secs(10));
    assert!(o.status_line.contains(" 413 "), "{}", o.status_line);
}
