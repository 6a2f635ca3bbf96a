//! The server's data directory and signing key are private to its account (issue 13, low): whatever
//! the umask, a data directory it creates is 0700 (the metadata database and chunks inside cannot be
//! listed or read by another account) and `server.key` is 0600.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use coffre_sync_server::{AppState, config::Config};
use std::os::unix::fs::PermissionsExt;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn data_dir_and_server_key_are_private_whatever_the_umask() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("coffre").join("data");
    let cfg = Config { data_dir: data.clone(), ..Config::default() };
    drop(AppState::open_embedded(cfg).unwrap());
    assert_eq!(mode(&data), 0o700, "data dir");
    assert_eq!(mode(&tmp.path().join("coffre")), 0o700, "created parent");
    assert_eq!(mode(&data.join("server.key")), 0o600, "server key");
}
