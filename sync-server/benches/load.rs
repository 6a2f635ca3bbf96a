//! `cargo bench -p coffre-sync-server --bench load` — two measurements against a real `coffre-server`
//! child process on 127.0.0.1, printed as figures:
//!
//! (a) A new device syncing N documents × 200 KB (pull + verify the N ops announcing them, then download
//!     and hash-check every chunk), against a plain HTTP GET of the same bytes from a trivial static
//!     handler in this process, same concurrency, same run → ratio (target ≥ 0.8).
//! (b) D simulated devices (each its own vault, key and connection pool) concurrently appending ops and
//!     putting small chunks → throughput, p50/p99 latency, errors, server peak RSS (VmHWM).
//!
//! (c) `COFFRE_BENCH_ONLY=storage`: (a) on SQLite + files, then on PostgreSQL + S3 (the engines of
//!     `scripts/storage-engines.sh`, a fresh database), same run → ratio of the new device's sync times.
//!
//! Sizes: `COFFRE_BENCH_DOCS` (1000), `COFFRE_BENCH_DEVICES` (500), `COFFRE_BENCH_ROUNDS` (10).
//! The server runs with its default configuration, rate limits included: the clients pace themselves
//! to the limits it announces (as the apps do), so the figures include that pacing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use coffre_crypto::SigningKey;
use coffre_sync::{BlobRef, CancelToken, ChainState, KnownWriters, OpDraft, SyncClient};
use coffre_test_harness::ServerProcess;

const DOC_BYTES: usize = 200 * 1024;
const CONCURRENCY: usize = 8;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn key() -> SigningKey {
    SigningKey::generate()
}

fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (x >> 56) as u8
        })
        .collect()
}

/// The real server binary, as the harness starts it, with its data in a folder of its own.
struct Server {
    process: ServerProcess,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        Self::start_with_env(&[])
    }

    /// With more `COFFRE_SERVER_*` settings (the storage backend).
    fn start_with_env(env: &[(String, String)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let process = ServerProcess::start_with_env(Path::new(env!("CARGO_BIN_EXE_coffre-server")), dir.path(), env);
        Server { process, _dir: dir }
    }

    fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.process.proc.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.process.proc.kill();
        let _ = self.process.proc.wait();
    }
}

/// User + system CPU seconds of a process so far (`/proc/<pid>/stat`, clock ticks of 10 ms).
fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = [11, 12].iter().filter_map(|i| fields.get(*i)?.parse::<u64>().ok()).sum();
    ticks as f64 / 100.0
}

fn mib_s(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / (1024.0 * 1024.0)
}

/// Returns the new device's sync time of each round.
async fn bench_transfer(docs: usize, in_process: bool, server_env: &[(String, String)]) -> Vec<Duration> {
    // The server as a child process, or on this process's runtime like the plain baselines.
    let child = if in_process { None } else { Some(Server::start_with_env(server_env)) };
    let _dir = tempfile::tempdir().unwrap();
    let embedded = if in_process {
        let cfg = coffre_sync_server::Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: _dir.path().to_path_buf(),
            ..coffre_sync_server::Config::default()
        };
        let state = coffre_sync_server::AppState::open_embedded(cfg).unwrap();
        Some(coffre_sync_server::spawn(state).await.unwrap())
    } else {
        None
    };
    let url = match (&child, &embedded) {
        (Some(c), _) => c.process.url.clone(),
        (None, Some(e)) => e.url(),
        (None, None) => unreachable!(),
    };
    let identity = key();
    let writer_key = key();
    let writer = SyncClient::new(&url, writer_key.clone()).unwrap();
    // The server's default limits (its per-device token bucket included): the clients keep to the
    // rate it announces, as the apps do, and wait out any 429.
    let limits = writer.server_info().await.unwrap().limits;
    writer.pace(Some(&limits), &CancelToken::new(), None);
    let reg = writer.register(&identity).await.unwrap();
    let contents: Arc<Vec<Vec<u8>>> = Arc::new((0..docs).map(|i| bytes(DOC_BYTES, i as u64 + 1)).collect());

    // Upload: each document is one blob, announced by one op carrying its BlobRef.
    let t = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    let mut refs: Vec<Option<BlobRef>> = vec![None; docs];
    for i in 0..docs {
        if set.len() >= CONCURRENCY
            && let Some(r) = set.join_next().await
        {
            let (j, b): (usize, BlobRef) = r.unwrap();
            refs[j] = Some(b);
        }
        let (c, contents) = (writer.clone(), contents.clone());
        set.spawn(async move {
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&(i as u64).to_be_bytes());
            let rep = c.upload_blob(&id, &contents[i], &|_| {}, &CancelToken::new()).await.unwrap();
            (i, rep.blob)
        });
    }
    while let Some(r) = set.join_next().await {
        let (j, b) = r.unwrap();
        refs[j] = Some(b);
    }
    let mut state = reg.state.clone();
    let mut writers = KnownWriters::new([writer_key.verifying_key().to_bytes()]);
    for (n, batch) in refs.chunks(200).enumerate() {
        let drafts: Vec<OpDraft> = batch
            .iter()
            .enumerate()
            .map(|(k, b)| OpDraft {
                counter: (n * 200 + k + 1) as u64,
                ciphertext: serde_json::to_vec(b.as_ref().unwrap()).unwrap(),
            })
            .collect();
        state = writer.sync(&state, &drafts, &mut writers).await.unwrap().state;
    }
    let upload = t.elapsed();

    // The new device: enrolled, then in each round it pulls and verifies the whole log from genesis and
    // downloads every document, and the plain baselines fetch the same bytes. Rounds alternate so that
    // the load of the other processes on this shared machine hits both sides alike.
    let new_key = key();
    writer.add_device(&new_key.verifying_key().to_bytes()).await.unwrap();
    let fresh = SyncClient::new(&url, new_key).unwrap();
    fresh.pace(Some(&limits), &CancelToken::new(), None);
    fresh.attach(reg.vault, reg.server_pk);
    let total = (docs * DOC_BYTES) as u64;
    let files = tempfile::tempdir().unwrap();
    for (i, c) in contents.iter().enumerate() {
        std::fs::write(files.path().join(i.to_string()), c).unwrap();
    }
    let (plain_url, plain_task) = plain_server(contents.clone(), files.path().to_path_buf()).await;
    coffre_sync::init_tls();
    let http = reqwest::Client::new();
    let rounds = env_usize("COFFRE_BENCH_TRANSFER_ROUNDS", 3);
    println!(
        "(a) new device sync, {docs} documents x {} KB, loopback, {rounds} rounds, default server limits \
         (per device: burst {}, {}/s)",
        DOC_BYTES / 1024,
        limits.rate_burst.unwrap_or_default(),
        limits.rate_per_sec.unwrap_or_default()
    );
    println!(
        "    upload by first device (incl. {docs} ops): {:.2} s, {:.1} MiB/s, {} busy answers (429) met",
        upload.as_secs_f64(),
        mib_s(total, upload),
        writer.busy_answers()
    );
    println!(
        "    sync: pull+verify {docs} ops, then chunks by batched signed requests ({} chunks per request, {} in flight), each hash-checked",
        coffre_sync::FETCH_BATCH,
        coffre_sync::DOWNLOAD_CONCURRENCY
    );
    println!("    plain: {docs} unsigned GETs of the same bytes ({CONCURRENCY} in flight), from memory / from files");
    let mut ratios = Vec::new();
    let mut sync_times = Vec::new();
    let server_pid = child.as_ref().map(|c| c.process.proc.id().to_string());
    let cpu_now = || cpu_secs("self") + server_pid.as_deref().map(cpu_secs).unwrap_or(0.0);
    for round in 1..=rounds {
        let cpu0 = cpu_now();
        let t = Instant::now();
        let mut view = KnownWriters::new([writer_key.verifying_key().to_bytes()]);
        let (ops, st) = fresh.pull(&ChainState::genesis(reg.vault), &mut view).await.unwrap();
        assert_eq!(st.point.seq, docs as u64);
        let pull_time = t.elapsed();
        let blob_refs: Vec<BlobRef> = ops.iter().map(|o| serde_json::from_slice(&o.ciphertext).unwrap()).collect();
        let docs_back = fresh.download_blobs(&blob_refs, &|_| {}, &CancelToken::new()).await.unwrap();
        let sync_time = t.elapsed();
        sync_times.push(sync_time);
        // CPU read before the bench's own check of the bytes (a 200 MB comparison is not sync's work).
        let sync_cpu = cpu_now() - cpu0;
        assert_eq!(docs_back.iter().map(|d| d.len() as u64).sum::<u64>(), total);
        assert!(docs_back.iter().zip(contents.iter()).all(|(a, b)| a == b));
        drop(docs_back);

        let mem = plain_get(&http, &plain_url, "m", docs, total, false).await;
        let cpu0 = cpu_now();
        let file = plain_get(&http, &plain_url, "f", docs, total, false).await;
        let file_cpu = cpu_now() - cpu0;
        let hashed = plain_get(&http, &plain_url, "f", docs, total, true).await;
        let ratio = |d: Duration| d.as_secs_f64() / sync_time.as_secs_f64();
        println!(
            "    round {round}: sync {:.3} s = {:.0} MiB/s (pull+verify {:.3} s); plain from memory {:.3} s -> {:.2}x; \
             from files {:.3} s -> {:.2}x; from files + SHA-256 {:.3} s -> {:.2}x; \
             CPU s (client+server) sync {sync_cpu:.2} vs plain from files {file_cpu:.2}",
            sync_time.as_secs_f64(),
            mib_s(total, sync_time),
            pull_time.as_secs_f64(),
            mem.as_secs_f64(),
            ratio(mem),
            file.as_secs_f64(),
            ratio(file),
            hashed.as_secs_f64(),
            ratio(hashed),
        );
        ratios.push((ratio(mem), ratio(file), ratio(hashed)));
    }
    plain_task.abort();
    println!("    busy answers (429) met by the new device over all rounds: {}", fresh.busy_answers());
    let range = |f: fn(&(f64, f64, f64)) -> f64| {
        let v: Vec<f64> = ratios.iter().map(f).collect();
        (v.iter().copied().fold(f64::INFINITY, f64::min), v.iter().copied().fold(0.0, f64::max))
    };
    let (m, f, h) = (range(|r| r.0), range(|r| r.1), range(|r| r.2));
    println!(
        "    ratio sync/plain (target >= 0.8): vs memory {:.2}-{:.2}x, vs files {:.2}-{:.2}x, vs files + SHA-256 {:.2}-{:.2}x",
        m.0, m.1, f.0, f.1, h.0, h.1
    );
    match &child {
        Some(c) => println!("    server: child process, peak RSS {} MiB", c.peak_rss_kib() / 1024),
        None => println!("    server: in this process (same runtime as the baselines)"),
    }
    sync_times
}

/// (c) The new device's sync on SQLite + files, then on PostgreSQL + S3, in one run.
async fn bench_storage(docs: usize, database: String) {
    println!("(c) storage backends: SQLite + files");
    let sqlite = bench_transfer(docs, false, &[]).await;
    let mut cfg = coffre_sync_server::Config::default();
    coffre_test_harness::scale_out(&mut cfg, &database);
    let env: Vec<(String, String)> = [
        ("STORAGE", cfg.storage),
        ("POSTGRES_URL", cfg.postgres_url),
        ("S3_ENDPOINT", cfg.s3_endpoint),
        ("S3_BUCKET", cfg.s3_bucket),
        ("S3_ACCESS_KEY_ID", cfg.s3_access_key_id),
        ("S3_SECRET_ACCESS_KEY", cfg.s3_secret_access_key),
    ]
    .into_iter()
    .map(|(k, v)| (format!("COFFRE_SERVER_{k}"), v))
    .collect();
    println!("(c) storage backends: PostgreSQL + S3 (moto)");
    let pg = bench_transfer(docs, false, &env).await;
    let secs = |v: &[Duration]| v.iter().map(|d| format!("{:.2}", d.as_secs_f64())).collect::<Vec<_>>().join(", ");
    let best = |v: &[Duration]| v.iter().min().copied().unwrap_or_default().as_secs_f64();
    println!(
        "(c) new device sync, {docs} x 200 KB: SQLite + files {} s; PostgreSQL + S3 {} s; best-round ratio \
         PostgreSQL+S3 / SQLite {:.2}x",
        secs(&sqlite),
        secs(&pg),
        best(&pg) / best(&sqlite)
    );
}

/// A trivial static handler: `/m/{i}` from memory, `/f/{i}` from a file (what a static file server does).
async fn plain_server(
    contents: Arc<Vec<Vec<u8>>>,
    dir: std::path::PathBuf,
) -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
    let app = axum::Router::new()
        .route(
            "/m/{i}",
            axum::routing::get(move |axum::extract::Path(i): axum::extract::Path<usize>| {
                let contents = contents.clone();
                async move { bytes::Bytes::from(contents[i].clone()) }
            }),
        )
        .route(
            "/f/{i}",
            axum::routing::get(move |axum::extract::Path(i): axum::extract::Path<usize>| {
                let path = dir.join(i.to_string());
                async move { tokio::fs::read(path).await.unwrap() }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    (url, tokio::spawn(async move { axum::serve(listener, app).await }))
}

/// GET every document, `CONCURRENCY` in flight; with `hash`, each body is also SHA-256 hashed (what any
/// download checked against a known digest must do; SHA-256 as `sha256sum` lists or most signed
/// manifests carry).
async fn plain_get(http: &reqwest::Client, base: &str, kind: &str, docs: usize, total: u64, hash: bool) -> Duration {
    let t = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    let mut got = 0u64;
    for i in 0..docs {
        if set.len() >= CONCURRENCY
            && let Some(r) = set.join_next().await
        {
            got += r.unwrap();
        }
        let (http, url) = (http.clone(), format!("{base}/{kind}/{i}"));
        set.spawn(async move {
            let body = http.get(url).send().await.unwrap().bytes().await.unwrap();
            if hash {
                std::hint::black_box(coffre_sync::protocol::sha256(&body));
            }
            body.len() as u64
        });
    }
    while let Some(r) = set.join_next().await {
        got += r.unwrap();
    }
    assert_eq!(got, total);
    t.elapsed()
}

async fn bench_devices(devices: usize, rounds: usize) {
    let server = Server::start();
    let url = server.process.url.clone();
    let t0 = Instant::now();
    // Register every device's vault first (counted separately).
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..devices {
        let url = url.clone();
        set.spawn(async move {
            let dev = key();
            let c = SyncClient::new(&url, dev.clone()).unwrap();
            let reg = c.register(&key()).await;
            (c, dev, reg)
        });
    }
    let mut clients = Vec::new();
    let mut reg_errors = 0usize;
    while let Some(r) = set.join_next().await {
        let (c, dev, reg) = r.unwrap();
        match reg {
            Ok(reg) => clients.push((c, dev, reg)),
            Err(_) => reg_errors += 1,
        }
    }
    let register_time = t0.elapsed();

    let t = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for (i, (c, dev, reg)) in clients.into_iter().enumerate() {
        set.spawn(async move {
            let mut lat = Vec::with_capacity(rounds * 3);
            let mut errors = 0usize;
            let mut state = reg.state.clone();
            let mut writers = KnownWriters::new([dev.verifying_key().to_bytes()]);
            for r in 0..rounds {
                let s = Instant::now();
                match c
                    .append(&state, &[OpDraft { counter: r as u64 + 1, ciphertext: bytes(200, (i * 1000 + r) as u64) }])
                    .await
                {
                    Ok(_) => lat.push(s.elapsed()),
                    Err(_) => errors += 1,
                }
                let s = Instant::now();
                let chunk = coffre_sync::protocol::pad_chunk(bytes(2000, (i * 7919 + r) as u64));
                match c.put_chunk(chunk).await {
                    Ok(_) => lat.push(s.elapsed()),
                    Err(_) => errors += 1,
                }
                let s = Instant::now();
                match c.pull(&state, &mut writers).await {
                    Ok((_, st)) => {
                        state = st;
                        lat.push(s.elapsed());
                    }
                    Err(_) => errors += 1,
                }
            }
            (lat, errors)
        });
    }
    let mut lat = Vec::new();
    let mut errors = reg_errors;
    while let Some(r) = set.join_next().await {
        let (l, e) = r.unwrap();
        lat.extend(l);
        errors += e;
    }
    let wall = t.elapsed();
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1))).copied().unwrap_or_default()
    };
    println!("(b) {devices} devices concurrently, {rounds} rounds of (append op, put 2 KB chunk, pull+verify)");
    println!("    registration of {devices} vaults: {:.2} s", register_time.as_secs_f64());
    println!(
        "    {} requests in {:.2} s = {:.0} req/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; errors {errors}",
        lat.len(),
        wall.as_secs_f64(),
        lat.len() as f64 / wall.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    println!("    server peak RSS (VmHWM): {} MiB", server.peak_rss_kib() / 1024);
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing useful: run small then.
    let quick = !std::env::args().any(|a| a == "--bench");
    let docs = env_usize("COFFRE_BENCH_DOCS", if quick { 20 } else { 1000 });
    if std::env::var("COFFRE_BENCH_ONLY").is_ok_and(|v| v == "transfer") {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(bench_transfer(docs, false, &[]));
        return;
    }
    if std::env::var("COFFRE_BENCH_ONLY").is_ok_and(|v| v == "storage") {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let database = coffre_test_harness::fresh_database(); // (its own runtime: before entering ours)
        rt.block_on(bench_storage(docs, database));
        return;
    }
    let devices = env_usize("COFFRE_BENCH_DEVICES", if quick { 10 } else { 500 });
    let rounds = env_usize("COFFRE_BENCH_ROUNDS", if quick { 2 } else { 10 });
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(bench_transfer(docs, false, &[]));
    rt.block_on(bench_transfer(docs, true, &[]));
    rt.block_on(bench_devices(devices, rounds));
}
