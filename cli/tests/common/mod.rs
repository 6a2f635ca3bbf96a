//! Shared by the CLI tests: `coffre` runs, and a real `coffre-server` on 127.0.0.1, in-process.
#![allow(dead_code, clippy::unwrap_used)]

/// A running server (the shared harness, `tests/harness`); dropping it stops the server and removes its
/// data.
pub use coffre_test_harness::TestServer as LocalServer;

pub fn local_server() -> LocalServer {
    LocalServer::start()
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
