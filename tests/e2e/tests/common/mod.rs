//! What the end-to-end tests share: the real sync server of the shared harness (`tests/harness`) and a
//! second device linked by QR.
#![allow(dead_code, clippy::unwrap_used)] // each test binary uses a part of it

use coffre_core::mandate::{self, DeskOffer};
use coffre_core::sync::CancelToken;
use coffre_core::sync_engine::{self, LinkApproval, PendingLink, SyncOptions, SyncReport};
use coffre_core::vault::Vault;
use coffre_mandate::{AgentCertificate, AgentKeys, Mandate, Scope};
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

/// Links a new device in `dir` from the enrolled vault `from`: the whole QR flow (scan, contribution,
/// reveal), the person confirming the digits both screens show.
pub fn link(from: &mut Vault, dir: &Path, url: &str) -> Vault {
    link_named(from, dir, url, None)
}

/// [`link`], the enrolled device giving the new one a name (as `device approve --name` does).
pub fn link_named(from: &mut Vault, dir: &Path, url: &str, name: Option<&str>) -> Vault {
    let pending = PendingLink::new(url);
    let approval = LinkApproval::start(from, &pending.qr_text()).unwrap();
    let shown_new = pending.short_code().unwrap().unwrap();
    assert_eq!(approval.short_code().unwrap().unwrap(), shown_new);
    approval.approve_named(from, &shown_new, name).unwrap();
    pending.try_complete(dir, PASS, None).unwrap()
}

/// The desk flow: the agent shows a QR, the holder's phone scans it, both show the same digits and
/// the holder signs. Returns the mandate and the agent's desk session (to receive it).
pub fn desk_grant(
    vault: &mut Vault,
    cert: &AgentCertificate,
    keys: &AgentKeys,
    url: &str,
    scopes: &[Scope],
    collections: Vec<String>,
    days: u32,
) -> (Mandate, DeskOffer) {
    let offer = mandate::agent_offer(cert, keys, url).unwrap();
    let desk = mandate::HolderDesk::start(vault, &offer.to_qr_text()).unwrap();
    let agent_screen = offer.short_code(keys).unwrap().unwrap();
    assert_eq!(desk.short_code().unwrap().unwrap(), agent_screen);
    let m = desk.grant(vault, &agent_screen, scopes, collections, days).unwrap();
    (m, offer)
}

/// Syncs `v`, downloading every page.
pub fn sync_all(v: &mut Vault) -> SyncReport {
    sync_engine::sync(v, &SyncOptions { download_all: true, ..Default::default() }, &|_| {}, &CancelToken::new())
        .unwrap()
}
