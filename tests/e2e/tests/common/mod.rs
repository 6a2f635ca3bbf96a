//! What the end-to-end tests share: the real sync server of the shared harness (`tests/harness`) and a
//! second device linked by QR.
#![allow(dead_code, clippy::unwrap_used)] // each test binary uses a part of it

use coffre_core::sync::CancelToken;
use coffre_core::sync_engine::{self, PendingLink, SyncOptions, SyncReport};
use coffre_core::vault::Vault;
use coffre_sync_server::config::Config;
use std::path::Path;

/// A running server and what the tests look into: its state, its data directory, its runtime.
pub use coffre_test_harness::TestServer as Server;

/// The passphrase of every test vault.
pub const PASS: &[u8] = b"code 4321";

/// A server with the default configuration.
pub fn server() -> Server {
    Server::start()
}

/// A server whose configuration `tune` adjusts (e.g. a short assisted-recovery delay).
pub fn server_with(tune: impl FnOnce(&mut Config)) -> Server {
    Server::start_with(tune)
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
