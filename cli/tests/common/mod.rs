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

/// Spawns `cmd` with its standard input, output and error piped: for a command that asks the person
/// something (the digits of a linking or desk code), answered with [`type_answer`].
pub fn spawn_asking(mut cmd: std::process::Command) -> std::process::Child {
    use std::process::Stdio;
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

/// Types `line` (and Enter) into a child from [`spawn_asking`] and waits for it.
pub fn type_answer(mut child: std::process::Child, line: &str) -> std::process::Output {
    use std::io::Write;
    let mut stdin = child.stdin.take().unwrap();
    // The child may already have exited (refused before asking): a closed pipe is its answer.
    let _ = writeln!(stdin, "{line}");
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// Six digits other than `digits`.
pub fn other_digits(digits: &str) -> &'static str {
    if digits == "000000" { "111111" } else { "000000" }
}
