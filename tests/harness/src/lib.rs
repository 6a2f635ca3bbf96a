//! The one real sync server every test runs against: a `coffre-server` on 127.0.0.1 (in-process, on its
//! own runtime, port 0, SQLite and chunk files in a temporary directory) or, where a test needs a process
//! to kill, the real binary as a child; plus devices, and raw signed requests for the cases the client
//! would never send. Used by the server's, the CLI's and the end-to-end (`tests/e2e`) tests.
//!
//! With `COFFRE_TEST_STORAGE=postgres` (and the engines of `scripts/storage-engines.sh`), every
//! `TestServer` runs on PostgreSQL (a fresh database each) and the S3 test bucket instead: scripts/test.sh
//! runs the tests that do not look into SQLite a second time that way.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test harness: failing loudly is its job

pub mod tls;

use std::io::BufRead as _;
use std::path::{Path, PathBuf};

use coffre_crypto::SigningKey;
use coffre_sync::protocol::{self as proto, ErrorBody, PublicKey};
use coffre_sync::{BlockingClient, ChainState, Registration};
use coffre_sync_server::{AppState, Config, RunningServer};

pub fn key() -> SigningKey {
    SigningKey::generate()
}

pub fn now() -> u64 {
    coffre_sync_server::now_secs()
}

/// A running server and what the tests look into: its state, its data directory, its runtime. Dropping it
/// stops the server (graceful, bounded by a 1 s grace) and removes its data.
pub struct TestServer {
    pub url: String,
    /// The server's state (stores, key, metrics), also reachable after [`TestServer::stop`].
    pub state: AppState,
    pub dir: tempfile::TempDir,
    pub rt: tokio::runtime::Runtime,
    pub server: Option<RunningServer>,
    pub server_pk: PublicKey,
    pub http: reqwest::Client,
    /// The test CA that issued the server's certificate, for a server started with
    /// [`TestServer::start_tls`]; `None` for plain HTTP.
    pub ca: Option<tls::TestCa>,
    /// Where the certificate and key files are (TLS only): rewrite them to test a reload.
    pub tls_dir: Option<PathBuf>,
}

/// The configuration of test servers: the defaults, except what every test from 127.0.0.1 would trip
/// over (per-address limits on registrations, mailboxes and connections; the organisation allowlist,
/// since tests make organisation keys at run time). Tests of those limits set them back.
pub fn test_config(dir: &std::path::Path) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.to_path_buf(),
        shutdown_grace_secs: 1,
        registrations_per_address: 100_000,
        mailboxes_per_address: 100_000,
        max_connections_per_address: 4096,
        org_allowlist: "*".into(),
        // No free-space watermark: a test must not fail because the CI disk is nearly full
        // (sync-server/tests/hosting.rs tests the watermark with its own settings).
        min_free_disk_bytes: 0,
        ..Config::default()
    }
}

/// The environment variables that give the server binary [`test_config`]'s relaxed limits.
pub const TEST_SERVER_ENV: &[(&str, &str)] = &[
    ("COFFRE_SERVER_REGISTRATIONS_PER_ADDRESS", "100000"),
    ("COFFRE_SERVER_MAILBOXES_PER_ADDRESS", "100000"),
    ("COFFRE_SERVER_MAX_CONNECTIONS_PER_ADDRESS", "4096"),
    ("COFFRE_SERVER_ORG_ALLOWLIST", "*"),
];

impl TestServer {
    /// A server with the default configuration.
    pub fn start() -> TestServer {
        Self::start_with(|_| {})
    }

    /// A server whose configuration `f` adjusts (e.g. a short assisted-recovery delay).
    pub fn start_with(f: impl FnOnce(&mut Config)) -> TestServer {
        Self::start_inner(None, f)
    }

    /// A server serving HTTPS itself, with a certificate for 127.0.0.1 issued by a CA made for this
    /// test ([`TestServer::ca`]). Clients must trust that CA (nothing else does); the harness's own
    /// `http` client does.
    pub fn start_tls() -> TestServer {
        Self::start_tls_with(|_| {})
    }

    pub fn start_tls_with(f: impl FnOnce(&mut Config)) -> TestServer {
        Self::start_inner(Some(tls::TestCa::new("Coffre test CA")), f)
    }

    fn start_inner(ca: Option<tls::TestCa>, f: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = test_config(dir.path());
        let tls_dir = ca.as_ref().map(|ca| {
            let tls_dir = dir.path().join("tls");
            std::fs::create_dir(&tls_dir).unwrap();
            let (cert, key) = ca.issue().write(&tls_dir);
            cfg.tls_cert_file = cert.to_string_lossy().into_owned();
            cfg.tls_key_file = key.to_string_lossy().into_owned();
            tls_dir
        });
        scale_out_from_env(&mut cfg);
        f(&mut cfg);
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let state = rt.block_on(AppState::open(cfg)).unwrap();
        let server_pk = state.server_key.verifying_key().to_bytes();
        let server = rt.block_on(coffre_sync_server::spawn(state.clone())).unwrap();
        let url = server.url();
        let http = {
            let _g = rt.enter();
            coffre_sync::init_tls();
            match &ca {
                Some(ca) => reqwest::Client::builder()
                    .tls_certs_only([reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap()])
                    .build()
                    .unwrap(),
                None => reqwest::Client::new(),
            }
        };
        TestServer { url, state, dir, rt, server: Some(server), server_pk, http, ca, tls_dir }
    }

    /// Every byte the server stores: the files of its data directory and, on PostgreSQL + S3, a dump of
    /// its database and every object of the bucket (for plaintext scans).
    pub fn stored_bytes(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![self.dir.path().to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
                }
            }
        }
        let cfg = &self.state.cfg;
        if cfg.storage == "postgres" {
            let pg_dump = std::env::var("COFFRE_TEST_PG_BIN").map_or("pg_dump".into(), |b| format!("{b}/pg_dump"));
            let dump = std::process::Command::new(pg_dump).arg(&cfg.postgres_url).output().unwrap();
            assert!(dump.status.success(), "pg_dump: {}", String::from_utf8_lossy(&dump.stderr));
            out.push(("postgres dump".into(), dump.stdout));
        }
        if cfg.uses_s3() {
            let bucket = coffre_sync_server::store::s3::S3Chunks::open(cfg).unwrap();
            for (key, bytes) in self.rt.block_on(bucket.dump()).unwrap() {
                out.push((format!("s3:{key}"), bytes.to_vec()));
            }
        }
        out
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// The server's metadata database, to check what it stores or to age a record.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join("meta.sqlite3")).unwrap()
    }

    pub fn server_key(&self) -> SigningKey {
        self.server.as_ref().unwrap().state.server_key.clone()
    }

    /// A raw request, signed by `signer` unless `None`; returns status and parsed error body (if any).
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        body: Vec<u8>,
        signer: Option<&SigningKey>,
        tweak: impl FnOnce(&mut proto::RequestAuth),
    ) -> (u16, Option<ErrorBody>, Vec<u8>) {
        let mut nonce = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce);
        let mut req = self.http.request(method.parse().unwrap(), format!("{}{path}", self.url));
        if let Some(sk) = signer {
            let mut auth = proto::sign_request(sk, method, path, &body, now(), &nonce);
            tweak(&mut auth);
            for (k, v) in auth.headers() {
                req = req.header(k, v.to_string());
            }
        }
        self.send(req.body(body))
    }

    pub fn send(&self, req: reqwest::RequestBuilder) -> (u16, Option<ErrorBody>, Vec<u8>) {
        self.rt.block_on(async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let bytes = resp.bytes().await.unwrap().to_vec();
            (status, serde_json::from_slice::<ErrorBody>(&bytes).ok(), bytes)
        })
    }

    pub fn client(&self, device: &SigningKey) -> BlockingClient {
        BlockingClient::new(&self.url, device.clone()).unwrap()
    }

    /// A registered vault with its first device.
    pub fn vault(&self) -> Holder {
        let identity = key();
        let device = key();
        let client = self.client(&device);
        let reg = client.register(&identity).unwrap();
        assert_eq!(reg.server_pk, self.server_pk, "pinned key is the server's");
        Holder { identity, device, client, reg }
    }

    /// Stops the server (idempotent); its data directory stays until the `TestServer` is dropped.
    pub fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            self.rt.block_on(s.shutdown()).unwrap();
        }
    }

    /// Stops the server if it runs and starts it again, as an operator's restart would (what only lived
    /// in memory is gone), on its data directory as it is now (a test may have replaced it, e.g. with an
    /// older copy: a server restored from a backup) and at the same address, so that clients
    /// configured with its URL reach it.
    pub fn restart(&mut self) {
        self.stop();
        let mut cfg = self.state.cfg.clone();
        let addr = self.url.trim_start_matches("https://").trim_start_matches("http://");
        cfg.listen = addr.parse().unwrap();
        let state = AppState::open_embedded(cfg).unwrap();
        assert_eq!(state.server_key.verifying_key().to_bytes(), self.server_pk, "same key from the same data");
        self.server = Some(self.rt.block_on(coffre_sync_server::spawn(state.clone())).unwrap());
        self.state = state;
    }
}

/// Copies the directory `from` (files and subdirectories) into `to`, created if missing: a backup of a
/// stopped server's data directory, or its restoration.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

pub struct Holder {
    pub identity: SigningKey,
    pub device: SigningKey,
    pub client: BlockingClient,
    pub reg: Registration,
}

impl Holder {
    pub fn vault_hex(&self) -> String {
        hex::encode(self.reg.vault)
    }
    pub fn genesis(&self) -> ChainState {
        ChainState::genesis(self.reg.vault)
    }
    /// A second device enrolled by the first, with its own client.
    pub fn enroll(&self, url: &str) -> (SigningKey, BlockingClient) {
        let k = key();
        self.client.add_device(&k.verifying_key().to_bytes()).unwrap();
        let c = BlockingClient::new(url, k.clone()).unwrap();
        c.attach(self.reg.vault, self.reg.server_pk);
        (k, c)
    }
}

pub fn pk(k: &SigningKey) -> PublicKey {
    k.verifying_key().to_bytes()
}

/// Pseudo-random, non-repeating test bytes (64-bit LCG, high bits).
pub fn test_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (x >> 56) as u8
        })
        .collect()
}

/// `COFFRE_TEST_STORAGE=postgres`: `cfg` on a fresh database of the test cluster and the test bucket.
pub fn scale_out_from_env(cfg: &mut Config) {
    match std::env::var("COFFRE_TEST_STORAGE").as_deref() {
        Err(_) | Ok("" | "sqlite") => {}
        Ok("postgres") => scale_out(cfg, &fresh_database()),
        Ok(other) => panic!("COFFRE_TEST_STORAGE={other}: expected sqlite or postgres"),
    }
}

/// The engines' variables from `scripts/storage-engines.sh`, or a failure saying how to start them.
pub fn engine_var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: the PostgreSQL + S3 tests need the real engines. Start them with \
             `source scripts/storage-engines.sh`, then run the tests from that shell; scripts/test.sh does \
             this itself."
        )
    })
}

/// A fresh, empty database for one server on the test cluster; returns its URL. (A schema of its own,
/// named by `search_path` in the URL: a whole database per test would cost 7 MB of disk each.)
pub fn fresh_database() -> String {
    let admin = engine_var("COFFRE_TEST_POSTGRES_URL");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        let mut b = [0u8; 8];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
        let name = format!("coffre_t_{}", hex::encode(b));
        client.batch_execute(&format!("CREATE SCHEMA {name}")).await.unwrap();
        format!("{admin}?options=-c%20search_path%3D{name}")
    })
}

/// `cfg` on the database at `db` and the test bucket.
pub fn scale_out(cfg: &mut Config, db: &str) {
    cfg.storage = "postgres".into();
    cfg.postgres_url = db.into();
    cfg.s3_endpoint = engine_var("COFFRE_TEST_S3_ENDPOINT");
    cfg.s3_bucket = engine_var("COFFRE_TEST_S3_BUCKET");
    cfg.s3_access_key_id = "test".into();
    cfg.s3_secret_access_key = "test".into();
}

/// The real `coffre-server` binary running as a child process (for tests that kill it). `bin` is the
/// binary's path, `env!("CARGO_BIN_EXE_coffre-server")` in the server's own tests.
pub struct ServerProcess {
    pub proc: std::process::Child,
    pub url: String,
}

impl ServerProcess {
    /// Starts `bin` on 127.0.0.1 (port 0) with its data in `dir`; returns once it listens.
    pub fn start(bin: &Path, dir: &Path) -> ServerProcess {
        let env: Vec<(String, String)> = TEST_SERVER_ENV.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Self::start_with_env(bin, dir, &env)
    }

    /// [`ServerProcess::start`] with these `COFFRE_SERVER_*` settings (e.g. PostgreSQL + S3); pass
    /// [`TEST_SERVER_ENV`]'s too to keep the tests' relaxed per-address limits.
    pub fn start_with_env(bin: &Path, dir: &Path, env: &[(String, String)]) -> ServerProcess {
        let mut proc = std::process::Command::new(bin)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("COFFRE_SERVER_LISTEN", "127.0.0.1:0")
            .env("COFFRE_SERVER_DATA_DIR", dir)
            .env("COFFRE_SERVER_LOG_LEVEL", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(proc.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.trim().strip_prefix("listening on ").unwrap().to_string();
        ServerProcess { proc, url: format!("http://{addr}") }
    }
}
