//! Shared by the CLI tests that need a sync server: a real `coffre-server` on 127.0.0.1, in-process.
#![allow(dead_code, clippy::unwrap_used)]

/// A running server; dropping it stops the server and removes its data.
pub struct LocalServer {
    pub url: String,
    _server: coffre_sync_server::RunningServer,
    _rt: tokio::runtime::Runtime,
    _data: tempfile::TempDir,
}

pub fn local_server() -> LocalServer {
    let data = tempfile::tempdir().unwrap();
    let cfg = coffre_sync_server::config::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data.path().to_path_buf(),
        shutdown_grace_secs: 1,
        ..Default::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server =
        rt.block_on(coffre_sync_server::spawn(coffre_sync_server::AppState::open_embedded(cfg).unwrap())).unwrap();
    LocalServer { url: server.url(), _server: server, _rt: rt, _data: data }
}

/// `coffre` on `vault` with `passphrase`, speaking `lang` (LC_ALL and LC_MESSAGES removed, so LANG
/// decides); callers add the arguments and any other environment.
pub fn coffre_cmd(vault: &std::path::Path, passphrase: &str, lang: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_coffre"));
    cmd.env("COFFRE_VAULT", vault)
        .env("COFFRE_PASSPHRASE", passphrase)
        .env("LANG", lang)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES");
    cmd
}

/// The standard output of a run that must have succeeded (else the test fails showing stderr).
pub fn ok(out: std::process::Output) -> String {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}
