//! Faults under the scale-out backend: PostgreSQL restarted while devices sync through a real server
//! on PostgreSQL + S3. The client retries; everything acknowledged before is still there, every op
//! ends in the one verified chain exactly once, and a blob uploaded across the restart downloads
//! whole. Its own test binary: restarting the shared cluster must not disturb other tests (cargo runs
//! test binaries one after the other). Needs `scripts/storage-engines.sh` (fails and says so without).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use coffre_sync::{CancelToken, ChainState, KnownWriters, OpDraft};
use coffre_test_harness::{TestServer, engine_var, pk};

/// Runs `f` until it succeeds, for at most 60 s (the server answers 500 while the database is down).
fn retry<T, E: std::fmt::Debug>(mut f: impl FnMut() -> Result<T, E>) -> T {
    let start = Instant::now();
    loop {
        match f() {
            Ok(v) => return v,
            Err(e) if start.elapsed() < Duration::from_secs(60) => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("still failing after 60 s: {e:?}"),
        }
    }
}

#[test]
fn postgres_restarted_during_sync_loses_nothing() {
    let restart = engine_var("COFFRE_TEST_PG_RESTART");
    let db = coffre_test_harness::fresh_database();
    let s = TestServer::start_with(|c| coffre_test_harness::scale_out(c, &db));
    let holder = s.vault();
    let mut w = KnownWriters::new([pk(&holder.device)]);
    let mut state = holder.genesis();
    let data = coffre_test_harness::test_bytes(700_000, 11);
    let cancel = CancelToken::new();
    let total: u64 = 60;
    let mut acknowledged = Vec::new();
    let mut restarter = None;
    let mut errors = 0;
    for n in 1..=total {
        if n == 20 {
            // Restart PostgreSQL (fast shutdown: open transactions are rolled back) while we go on.
            let cmd = restart.clone();
            restarter = Some(std::thread::spawn(move || {
                // (Not `output()`: the restarted postmaster would hold the pipes open.)
                let status = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(&cmd)
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()
                    .unwrap();
                assert!(status.success(), "restart failed: {cmd}");
            }));
        }
        let draft = OpDraft { counter: n, ciphertext: vec![n as u8; 64] };
        state = retry(|| {
            let r = holder.client.sync(&state, std::slice::from_ref(&draft), &mut w);
            errors += usize::from(r.is_err());
            r
        })
        .state;
        acknowledged.push(state.point);
        if n == 25 {
            let rep = retry(|| holder.client.upload_blob(&[9u8; 16], &data, &|_| {}, &cancel));
            assert_eq!(retry(|| holder.client.download_blob(&rep.blob, &|_| {}, &cancel)), data);
        }
    }
    restarter.unwrap().join().unwrap();
    // A fresh read of the whole chain from genesis: every op once, in order, each acknowledged point on it.
    let (ops, end) = retry(|| {
        holder.client.pull(&ChainState::genesis(holder.reg.vault), &mut KnownWriters::new([pk(&holder.device)]))
    });
    assert_eq!(end.point.seq, total);
    assert_eq!(ops.iter().map(|o| o.counter).collect::<Vec<_>>(), (1..=total).collect::<Vec<_>>());
    for p in acknowledged {
        assert_eq!(ops[p.seq as usize - 1].hash, p.hash, "acknowledged op {} kept", p.seq);
    }
    eprintln!("requests that failed during the restart (then retried): {errors}");
}
