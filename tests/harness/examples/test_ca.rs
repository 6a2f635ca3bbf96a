//! `test_ca DIR`: writes a CA made for one test run (`ca.pem`) and a server certificate it issued for
//! 127.0.0.1, ::1 and localhost (`cert.pem`, `key.pem`) into DIR. For the tests that are not in Rust
//! (the JVM and Python bindings over HTTPS, scripts/test-bindings.sh).
#![allow(clippy::unwrap_used)]

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: test_ca DIR");
        std::process::exit(2);
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ca = coffre_test_harness::tls::TestCa::new("Coffre bindings test CA");
    ca.write(&dir);
    ca.issue().write(&dir);
}
