//! Two real `coffre-server` instances on one PostgreSQL database and one S3 bucket (the engines of
//! `scripts/storage-engines.sh`; see docs/scale-out.md), and the move of an embedded installation onto
//! them. Without the engines' variables these tests fail and say how to start them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use coffre_sync::{
    CancelToken, ChainState, KnownWriters, LinkGrant, LinkOffer, LinkQr, MailboxSlot, OpDraft, SasNonce, decode_nonce,
    encode_nonce, responder_code, seal_grant,
};
use coffre_sync_server::Config;
use coffre_test_harness::{TestServer, engine_var, key, pk};

/// Settings of an instance on `db` and the test bucket.
fn scaled(c: &mut Config, db: &str) {
    coffre_test_harness::scale_out(c, db);
}

/// Instances A and B on one fresh database; B runs with a copy of A's `server.key`.
fn two_instances() -> (TestServer, TestServer) {
    let db = coffre_test_harness::fresh_database();
    let a = TestServer::start_with(|c| scaled(c, &db));
    let a_key = a.data_dir().join("server.key");
    let b = TestServer::start_with(|c| {
        scaled(c, &db);
        std::fs::copy(&a_key, c.data_dir.join("server.key")).unwrap();
    });
    assert_eq!(a.server_pk, b.server_pk);
    (a, b)
}

/// Two devices write at once, one through each instance, for a while; both end on the same verified
/// chain holding every op, and a third device reading through either instance agrees.
#[test]
fn devices_on_two_instances_append_concurrently_to_one_chain() {
    let (a, b) = two_instances();
    let holder = a.vault();
    let (dev_b, client_b) = holder.enroll(&b.url);
    let writers = KnownWriters::new([pk(&holder.device), pk(&dev_b)]);
    let rounds: u64 = std::env::var("COFFRE_SCALE_OUT_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(40);
    let g = holder.genesis();
    let run = |client: coffre_sync::BlockingClient, tag: u8| {
        let mut w = writers.clone();
        let g = g.clone();
        std::thread::spawn(move || {
            let mut state = g;
            for n in 1..=rounds {
                let draft = OpDraft { counter: n, ciphertext: vec![tag; 40 + n as usize] };
                state = client.sync(&state, &[draft], &mut w).unwrap().state;
            }
            let (_, state) = client.pull(&state, &mut w).unwrap();
            state
        })
    };
    let client_a = a.client(&holder.device);
    client_a.attach(holder.reg.vault, holder.reg.server_pk);
    let ta = run(client_a, 0xA);
    let tb = run(client_b, 0xB);
    let (sa, sb) = (ta.join().unwrap(), tb.join().unwrap());
    // Whoever finished first pulls again to see the other's last ops.
    let mut w = writers.clone();
    let reader = b.client(&holder.device);
    reader.attach(holder.reg.vault, holder.reg.server_pk);
    let (ops, end) = reader.pull(&ChainState::genesis(holder.reg.vault), &mut w).unwrap();
    assert_eq!(end.point.seq, 2 * rounds, "every op of both devices, once");
    assert_eq!(ops.iter().filter(|o| o.writer == pk(&dev_b)).count() as u64, rounds);
    for s in [sa, sb] {
        let (_, caught_up) = reader.pull(&s, &mut writers.clone()).unwrap();
        assert_eq!(caught_up, end, "each device's verified state is a prefix of the one chain");
    }
    let via_a = a.client(&holder.device);
    via_a.attach(holder.reg.vault, holder.reg.server_pk);
    let (_, end_a) = via_a.pull(&ChainState::genesis(holder.reg.vault), &mut writers.clone()).unwrap();
    assert_eq!(end_a, end, "both instances serve the same chain");
}

/// A new phone shows its QR; the enrolled phone (talking to instance B) approves it and leaves the
/// sealed grant in the mailbox; the new phone (talking to instance A) opens it and syncs.
#[test]
fn device_linked_through_one_instance_approved_through_the_other() {
    let (a, b) = two_instances();
    let holder = b.vault();
    let new_key = key();
    let offer = LinkOffer::new(&a.url, pk(&new_key));
    let new_client = a.client(&new_key);
    let slot = |s| offer.qr().mailbox(s);
    assert_eq!(new_client.mailbox_get(&slot(MailboxSlot::Grant)).unwrap(), None);
    let qr = LinkQr::parse(&offer.qr().encode()).unwrap();
    // Commit-then-reveal through the two instances: contribution via B, reveal via A, same digits.
    let contribution = SasNonce::generate();
    holder.client.mailbox_put(&qr.mailbox(MailboxSlot::Contribution), &encode_nonce(&contribution)).unwrap();
    let got_contribution = new_client.mailbox_get(&slot(MailboxSlot::Contribution)).unwrap().expect("via A");
    assert_eq!(decode_nonce(&got_contribution).unwrap(), contribution);
    new_client.mailbox_put(&slot(MailboxSlot::Reveal), &offer.reveal()).unwrap();
    let revealed = holder.client.mailbox_get(&qr.mailbox(MailboxSlot::Reveal)).unwrap().expect("via B");
    let code = responder_code(&qr, &contribution, &decode_nonce(&revealed).unwrap()).unwrap();
    assert_eq!(code, offer.short_code(&contribution), "both phones show the same digits");
    holder.client.add_device(&qr.device_pk).unwrap();
    let grant = LinkGrant { vault: holder.reg.vault, server_pk: holder.reg.server_pk, secret: vec![42u8; 32].into() };
    holder
        .client
        .mailbox_put(&qr.mailbox(MailboxSlot::Grant), &seal_grant(&qr, &contribution, &grant).unwrap())
        .unwrap();
    let sealed =
        new_client.mailbox_get(&slot(MailboxSlot::Grant)).unwrap().expect("the grant, through the other instance");
    let got = offer.open(&sealed, &contribution).unwrap();
    new_client.mailbox_delete(&slot(MailboxSlot::Grant)).unwrap();
    assert_eq!(
        holder.client.mailbox_put(&qr.mailbox(MailboxSlot::Grant), b"x").map_err(|e| e.code().map(str::to_string)),
        Ok(())
    );
    new_client.attach(got.vault, got.server_pk);
    let mut w = KnownWriters::new([pk(&holder.device), pk(&new_key)]);
    let out = new_client
        .sync(&ChainState::genesis(got.vault), &[OpDraft { counter: 1, ciphertext: b"hi".to_vec() }], &mut w)
        .unwrap();
    assert_eq!(out.state.point.seq, 1);
    let (ops, _) = holder.client.pull(&holder.genesis(), &mut w.clone()).unwrap();
    assert_eq!(ops[0].ciphertext, b"hi");
}

/// A blob uploaded through one instance is downloaded through the other (chunks in the bucket).
#[test]
fn blob_uploaded_through_one_instance_downloads_through_the_other() {
    let (a, b) = two_instances();
    let holder = a.vault();
    let data = coffre_test_harness::test_bytes(600_000, 7);
    let cancel = CancelToken::new();
    let rep = holder.client.upload_blob(&[1u8; 16], &data, &|_| {}, &cancel).unwrap();
    let via_b = b.client(&holder.device);
    via_b.attach(holder.reg.vault, holder.reg.server_pk);
    assert_eq!(via_b.download_blob(&rep.blob, &|_| {}, &cancel).unwrap(), data);
}

/// An instance started with another server key than the database's is refused.
#[test]
fn instance_with_another_server_key_is_refused() {
    let db = coffre_test_harness::fresh_database();
    let _a = TestServer::start_with(|c| scaled(c, &db));
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = coffre_test_harness::test_config(dir.path());
    scaled(&mut cfg, &db);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let err = rt.block_on(coffre_sync_server::AppState::open(cfg)).err().expect("refused");
    assert!(err.to_string().contains("copy server.key"), "{err}");
}

fn migrate_bin(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_coffre-server"));
    cmd.arg("migrate").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// `coffre-server migrate` moves an embedded installation (its rows, chunks and key) onto PostgreSQL +
/// S3; a server started there serves the same vault to the same devices; a second move is refused.
#[test]
fn migrate_moves_everything_and_checks() {
    let (endpoint, bucket) = (engine_var("COFFRE_TEST_S3_ENDPOINT"), engine_var("COFFRE_TEST_S3_BUCKET"));
    let old = TestServer::start_with(|c| *c = coffre_test_harness::test_config(&c.data_dir));
    let holder = old.vault();
    let data = coffre_test_harness::test_bytes(300_000, 3);
    let cancel = CancelToken::new();
    let blob = holder.client.upload_blob(&[2u8; 16], &data, &|_| {}, &cancel).unwrap().blob;
    let mut w = KnownWriters::new([pk(&holder.device)]);
    let drafts: Vec<OpDraft> = (1..=3).map(|n| OpDraft { counter: n, ciphertext: vec![n as u8; 30] }).collect();
    let before = holder.client.sync(&holder.genesis(), &drafts, &mut w).unwrap().state;
    let mut old = old;
    old.stop();
    let db = coffre_test_harness::fresh_database();
    let from = format!("sqlite:{}", old.data_dir().display());
    let s3 = format!("{endpoint}/{bucket}");
    let creds = [("COFFRE_SERVER_S3_ACCESS_KEY_ID", "test"), ("COFFRE_SERVER_S3_SECRET_ACCESS_KEY", "test")];
    let out = migrate_bin(&["--from", &from, "--to", &db, "--s3", &s3], &creds);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("ops: 3 rows"), "{stdout}");
    assert!(stdout.contains("head and usage of 1 vaults"), "{stdout}");
    // The new instance, with the old key, serves the same chain and blob.
    let key_file = old.data_dir().join("server.key");
    let new = TestServer::start_with(|c| {
        scaled(c, &db);
        std::fs::copy(&key_file, c.data_dir.join("server.key")).unwrap();
    });
    assert_eq!(new.server_pk, holder.reg.server_pk, "devices keep the pinned key");
    let client = new.client(&holder.device);
    client.attach(holder.reg.vault, holder.reg.server_pk);
    let (ops, after) = client.pull(&holder.genesis(), &mut KnownWriters::new([pk(&holder.device)])).unwrap();
    assert_eq!((ops.len(), &after), (3, &before));
    assert_eq!(client.download_blob(&blob, &|_| {}, &cancel).unwrap(), data);
    // Into a database that already holds vaults: refused, nothing changed.
    let again = migrate_bin(&["--from", &from, "--to", &db], &[]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds vaults"));
    // Not a data directory: refused with what to check.
    let empty = tempfile::tempdir().unwrap();
    let bad = migrate_bin(&["--from", &format!("sqlite:{}", empty.path().display()), "--to", &db], &[]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a Coffre data directory"));
}

/// The two halves apart: SQLite with chunks in the bucket, and PostgreSQL with chunks in the data
/// directory (`s3_bucket` empty), each serving a blob round trip from where it should.
#[test]
fn each_half_works_alone() {
    let cancel = CancelToken::new();
    let data = coffre_test_harness::test_bytes(250_000, 5);
    let sqlite_s3 = TestServer::start_with(|c| {
        *c = coffre_test_harness::test_config(&c.data_dir);
        c.s3_endpoint = engine_var("COFFRE_TEST_S3_ENDPOINT");
        c.s3_bucket = engine_var("COFFRE_TEST_S3_BUCKET");
        (c.s3_access_key_id, c.s3_secret_access_key) = ("test".into(), "test".into());
    });
    let pg_files = TestServer::start_with(|c| {
        scaled(c, &coffre_test_harness::fresh_database());
        (c.s3_endpoint, c.s3_bucket) = (String::new(), String::new());
    });
    for (s, chunks_in_dir) in [(&sqlite_s3, false), (&pg_files, true)] {
        let holder = s.vault();
        let rep = holder.client.upload_blob(&[3u8; 16], &data, &|_| {}, &cancel).unwrap();
        assert_eq!(holder.client.download_blob(&rep.blob, &|_| {}, &cancel).unwrap(), data);
        let files = std::fs::read_dir(s.data_dir().join("chunks")).map_or(0, |d| d.count());
        assert_eq!(files > 0, chunks_in_dir, "chunk files in the data directory: {files}");
        assert_eq!(s.data_dir().join("meta.sqlite3").exists(), !chunks_in_dir);
    }
}
