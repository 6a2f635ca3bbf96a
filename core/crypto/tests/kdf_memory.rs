//! The local unlock really makes Argon2id use at least 64 MiB (`DESIGN.md` §3, §8.7).
//!
//! Its own test binary with a single test, so that the process's peak resident memory (`VmHWM`) moves
//! only because of the key derivation.

#[cfg(target_os = "linux")]
#[test]
fn passphrase_kdf_uses_at_least_64_mib() {
    use coffre_crypto::{AccountRootKey, KdfParams, unwrap_ark_with_passphrase, wrap_ark_with_passphrase};

    fn peak_rss_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM")
    }

    let ark = AccountRootKey::generate();
    let before = peak_rss_kib();
    let wrapped = wrap_ark_with_passphrase(&ark, b"0000", None, &KdfParams::recommended()).expect("wrap");
    let after = peak_rss_kib();
    let grew = after.saturating_sub(before);
    // 64 MiB = 65536 KiB of Argon2 blocks, all touched; allow 1 MiB for rounding of the accounting.
    assert!(grew >= 64 * 1024 - 1024, "peak RSS grew by only {grew} KiB");
    assert_eq!(unwrap_ark_with_passphrase(&wrapped, b"0000", None).expect("unwrap"), ark);
}
