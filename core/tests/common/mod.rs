//! What the end-to-end tests of core share: a real sync server on 127.0.0.1 (in-process, SQLite and
//! chunk files in a temporary directory) and a second device linked by QR.
#![allow(dead_code, clippy::unwrap_used)] // each test binary uses a part of it

use coffre_core::sync::CancelToken;
use coffre_core::sync_engine::{self, PendingLink, SyncOptions, SyncReport};
use coffre_core::vault::Vault;
use coffre_sync_server::{AppState, RunningServer, config::Config};
use std::path::Path;

/// The passphrase of every test vault.
pub const PASS: &[u8] = b"code 4321";

/// A running server and what the tests look into: its state, its data directory, its runtime.
pub struct Server {
    pub url: String,
    pub state: AppState,
    pub dir: tempfile::TempDir,
    pub rt: tokio::runtime::Runtime,
    pub server: RunningServer,
}

/// A server with the default configuration.
pub fn server() -> Server {
    server_with(|_| {})
}

/// A server whose configuration `tune` adjusts (e.g. a short assisted-recovery delay).
pub fn server_with(tune: impl FnOnce(&mut Config)) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        shutdown_grace_secs: 1,
        ..Config::default()
    };
    tune(&mut cfg);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let state = AppState::open_embedded(cfg).unwrap();
    let server = rt.block_on(coffre_sync_server::spawn(state.clone())).unwrap();
    Server { url: server.url(), state, dir, rt, server }
}

impl Server {
    /// The server's metadata database, to check what it stores or to age a record.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join("meta.sqlite3")).unwrap()
    }
}

/// Links a new device in `dir` from the enrolled vault `from` (the QR flow, approved at once).
pub fn link(from: &mut Vault, dir: &Path, url: &str) -> Vault {
    let pending = PendingLink::new(url);
    sync_engine::link_approve(from, &pending.qr_text()).unwrap();
    pending.try_complete(dir, PASS, None).unwrap()
}

/// Syncs `v`, downloading every page.
pub fn sync_all(v: &mut Vault) -> SyncReport {
    sync_engine::sync(v, &SyncOptions { download_all: true, ..Default::default() }, &|_| {}, &CancelToken::new())
        .unwrap()
}
