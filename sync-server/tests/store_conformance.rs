//! One conformance suite for the store traits (`MetaStore`, `ChunkStore`, `MandateStore`,
//! `RecoveryStore`, `ShareStore`): every case runs against the embedded pair (SQLite + files) and the
//! scale-out pair (PostgreSQL + S3-compatible bucket), real engines both. `scripts/storage-engines.sh`
//! starts PostgreSQL and the S3 server (scripts/test.sh sources it); without its variables the
//! PostgreSQL cases fail and say how to start them.
//!
//! Each PostgreSQL case gets a database of its own (a schema, named in the URL). "Two instances" are two stores opened on the
//! same database (two connection pools, as two server processes have); on SQLite it is one store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use coffre_crypto::SigningKey;
use coffre_sync_protocol::share::ShareRefusal;
use coffre_sync_protocol::{AuditKind, ChainPoint, Hash, Op, PublicKey};
use coffre_sync_server::Config;
use coffre_sync_server::store::enrolment::EnrolmentStore;
use coffre_sync_server::store::fs::FsChunks;
use coffre_sync_server::store::mandate::{DepositPutOutcome, DepositRow, MandateRow, MandateStore, PackageRow};
use coffre_sync_server::store::postgres::PgMeta;
use coffre_sync_server::store::recovery::{AssistedRow, Enrolment, PutSlotOutcome, RecoveryStore, SlotKind};
use coffre_sync_server::store::replay::ReplayStore;
use coffre_sync_server::store::s3::S3Chunks;
use coffre_sync_server::store::shares::{NewShare, ShareCreateOutcome, ShareId, ShareStore};
use coffre_sync_server::store::sqlite::SqliteMeta;
use coffre_sync_server::store::{
    AppendOutcome, ChunkRecordOutcome, ChunkStore, CommitOutcome, GenerationOutcome, MailboxPutOutcome, Membership,
    MetaStore, RegisterOutcome,
};

/// Every metadata trait on one value (both backends implement them all on one type).
trait Meta: MetaStore + MandateStore + RecoveryStore + ShareStore + EnrolmentStore + ReplayStore {}
impl<T: MetaStore + MandateStore + RecoveryStore + ShareStore + EnrolmentStore + ReplayStore> Meta for T {}

struct Backend {
    /// Instance A's stores.
    meta: Arc<dyn Meta>,
    chunks: Arc<dyn ChunkStore>,
    /// Instance B's metadata stores: another pool on the same database (SQLite: the same store).
    other: Arc<dyn Meta>,
    _dir: tempfile::TempDir,
}

async fn sqlite_files() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let meta: Arc<dyn Meta> = Arc::new(SqliteMeta::open(&dir.path().join("meta.sqlite3")).unwrap());
    let chunks = Arc::new(FsChunks::open(dir.path()).unwrap());
    Backend { other: meta.clone(), meta, chunks, _dir: dir }
}

/// The engines' addresses from `scripts/storage-engines.sh`, or a failure saying how to start them.
pub fn engines() -> (String, String, String) {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "{name} is not set: the PostgreSQL + S3 storage tests need the real engines. Start them with \
                 `source scripts/storage-engines.sh` (PostgreSQL via initdb on a free port, moto's S3 server), \
                 then run the tests from that shell; scripts/test.sh does this itself."
            )
        })
    };
    (var("COFFRE_TEST_POSTGRES_URL"), var("COFFRE_TEST_S3_ENDPOINT"), var("COFFRE_TEST_S3_BUCKET"))
}

/// A fresh, empty database on the test cluster (a schema of its own, named by `search_path` in the
/// URL); returns its URL.
pub async fn fresh_database(admin_url: &str) -> String {
    let (client, conn) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let mut b = [0u8; 8];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
    let name = format!("coffre_t_{}", hex::encode(b));
    client.batch_execute(&format!("CREATE SCHEMA {name}")).await.unwrap();
    format!("{admin_url}?options=-c%20search_path%3D{name}")
}

fn s3_config(endpoint: &str, bucket: &str) -> Config {
    Config {
        s3_endpoint: endpoint.into(),
        s3_bucket: bucket.into(),
        s3_access_key_id: "test".into(),
        s3_secret_access_key: "test".into(),
        ..Config::default()
    }
}

async fn postgres_s3() -> Backend {
    let (admin, endpoint, bucket) = engines();
    let url = fresh_database(&admin).await;
    let meta: Arc<dyn Meta> = Arc::new(PgMeta::connect(&url).await.unwrap());
    let other: Arc<dyn Meta> = Arc::new(PgMeta::connect(&url).await.unwrap());
    let chunks = Arc::new(S3Chunks::open(&s3_config(&endpoint, &bucket)).unwrap());
    Backend { meta, chunks, other, _dir: tempfile::tempdir().unwrap() }
}

/// The open check every test share is made with (what a link's holder proves at opening).
const CHECK: [u8; 32] = [7; 32];
/// How long a page token of an opening lasts, for the purges.
const TOKEN_TTL: u64 = 60;

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
    b
}

fn pk(k: &SigningKey) -> PublicKey {
    k.verifying_key().to_bytes()
}

/// A registered vault and its first device.
async fn vault(b: &Backend) -> (Hash, SigningKey) {
    let vault: Hash = random();
    let device = SigningKey::generate();
    assert_eq!(b.meta.register_vault(vault, random(), pk(&device), 1000).await.unwrap(), RegisterOutcome::Created);
    (vault, device)
}

fn op(vault: &Hash, sk: &SigningKey, counter: u64, seen: ChainPoint, len: usize) -> Op {
    Op::sign(sk, vault, counter, seen, vec![counter as u8; len])
}

/// The chain from genesis over `ops`, checked seq by seq; returns the head.
async fn verified_head(meta: &dyn Meta, vault: Hash) -> (ChainPoint, u64) {
    let mut point = ChainPoint::genesis(&vault);
    let mut n = 0;
    loop {
        let (ops, head) = meta.ops_since(vault, point.seq, 7).await.unwrap();
        if ops.is_empty() {
            assert_eq!(head, point, "the stored head is the chain's end");
            return (point, n);
        }
        for s in ops {
            assert_eq!(s.seq, point.seq + 1, "seqs are contiguous, in order");
            point = ChainPoint { seq: s.seq, hash: s.op.chain(&point.hash, s.seq) };
            n += 1;
        }
    }
}

const QUOTA: u64 = 1 << 30;

async fn ordering(b: Backend) {
    let (v, d) = vault(&b).await;
    let g = ChainPoint::genesis(&v);
    let first: Vec<Op> = (1..=3).map(|c| op(&v, &d, c, g, 10)).collect();
    let AppendOutcome::Appended { seqs, head } = b.meta.append_ops(v, first, QUOTA).await.unwrap() else { panic!() };
    assert_eq!((seqs, head.seq), (vec![1, 2, 3], 3));
    // An op must have seen a point of this chain, not past the head.
    let future = ChainPoint { seq: 9, hash: [0; 32] };
    assert_eq!(b.meta.append_ops(v, vec![op(&v, &d, 4, future, 1)], QUOTA).await.unwrap(), AppendOutcome::SeenInFuture);
    let forged = ChainPoint { seq: 2, hash: [7; 32] };
    assert_eq!(b.meta.append_ops(v, vec![op(&v, &d, 4, forged, 1)], QUOTA).await.unwrap(), AppendOutcome::SeenInFuture);
    assert_eq!(
        b.meta.append_ops(v, vec![op(&v, &d, 6, head, 1)], QUOTA).await.unwrap(),
        AppendOutcome::CounterMismatch { expected: 4, got: 6 }
    );
    let AppendOutcome::Appended { seqs, .. } = b.meta.append_ops(v, vec![op(&v, &d, 4, head, 1)], QUOTA).await.unwrap()
    else {
        panic!()
    };
    assert_eq!(seqs, vec![4]);
    let (ops, _) = b.meta.ops_since(v, 1, 2).await.unwrap();
    assert_eq!(ops.iter().map(|s| (s.seq, s.op.counter)).collect::<Vec<_>>(), vec![(2, 2), (3, 3)], "limit and order");
    assert_eq!(verified_head(&*b.other, v).await.1, 4);
    // Devices are listed by the time they were added.
    let e = SigningKey::generate();
    assert!(b.meta.add_device(v, pk(&e), pk(&d), 2000).await.unwrap());
    let devices = b.meta.devices(v).await.unwrap();
    assert_eq!(devices.iter().map(|r| r.device).collect::<Vec<_>>(), vec![pk(&d), pk(&e)]);
    assert_eq!(devices[1].added_by, Some(pk(&d)));
}

async fn idempotency(b: Backend) {
    let (v, d) = vault(&b).await;
    let identity: PublicKey = random();
    let w: Hash = random();
    assert_eq!(b.meta.register_vault(w, identity, pk(&d), 1).await.unwrap(), RegisterOutcome::Created);
    assert_eq!(b.other.register_vault(w, identity, pk(&d), 2).await.unwrap(), RegisterOutcome::Existing);
    assert_eq!(b.other.register_vault(w, random(), pk(&d), 2).await.unwrap(), RegisterOutcome::Conflict);
    // The same op twice keeps its seq and the head.
    let o = op(&v, &d, 1, ChainPoint::genesis(&v), 5);
    let a1 = b.meta.append_ops(v, vec![o.clone()], QUOTA).await.unwrap();
    let a2 = b.other.append_ops(v, vec![o], QUOTA).await.unwrap();
    assert_eq!(a1, a2);
    assert_eq!(b.meta.vault_state(v).await.unwrap().unwrap().1, 5, "charged once");
    // Chunks: stored twice, recorded and charged once.
    let bytes = bytes::Bytes::from(vec![9u8; 1000]);
    let h: Hash = random();
    b.chunks.put(v, h, bytes.clone()).await.unwrap();
    b.chunks.put(v, h, bytes.clone()).await.unwrap();
    assert_eq!(b.meta.record_chunk(v, h, 1000, QUOTA).await.unwrap(), ChunkRecordOutcome::Created);
    assert_eq!(b.other.record_chunk(v, h, 1000, QUOTA).await.unwrap(), ChunkRecordOutcome::Existing);
    assert_eq!(b.meta.vault_state(v).await.unwrap().unwrap().1, 1005);
    assert_eq!(b.chunks.get(v, h).await.unwrap(), Some(bytes));
    assert!(b.meta.has_chunk(v, h).await.unwrap());
    // Blobs: same list again is the same commit; another list under the same id is refused.
    let id = b"blob-1".to_vec();
    let c1 = b.meta.commit_blob(v, id.clone(), vec![h, h], 50).await.unwrap();
    assert_eq!(c1, CommitOutcome::Committed { size: 2000, committed_at: 50 });
    assert_eq!(
        b.other.commit_blob(v, id.clone(), vec![h, h], 60).await.unwrap(),
        CommitOutcome::Existing { size: 2000, committed_at: 50 }
    );
    assert_eq!(b.meta.commit_blob(v, id.clone(), vec![h], 60).await.unwrap(), CommitOutcome::Conflict);
    let missing: Hash = random();
    assert_eq!(
        b.meta.commit_blob(v, b"b2".to_vec(), vec![h, missing], 1).await.unwrap(),
        CommitOutcome::Missing(vec![missing])
    );
    assert_eq!(b.meta.missing_chunks(v, vec![missing, h, missing]).await.unwrap(), vec![missing]);
    assert_eq!(b.meta.blob(v, id).await.unwrap().unwrap().chunks, vec![h, h]);
    // Devices: adding twice is fine; a removed device never comes back.
    let e = SigningKey::generate();
    assert!(b.meta.add_device(v, pk(&e), pk(&d), 1).await.unwrap());
    assert!(b.other.add_device(v, pk(&e), pk(&d), 1).await.unwrap());
    assert!(b.meta.remove_device(v, pk(&e), 5).await.unwrap());
    assert!(b.meta.remove_device(v, pk(&e), 9).await.unwrap());
    assert!(!b.other.add_device(v, pk(&e), pk(&d), 10).await.unwrap());
    assert_eq!(b.other.membership(v, pk(&e)).await.unwrap(), Membership::Revoked);
    assert_eq!(b.other.membership(v, pk(&d)).await.unwrap(), Membership::Enrolled);
    assert_eq!(b.other.membership(v, random()).await.unwrap(), Membership::NotMember);
    assert_eq!(b.other.membership(random(), pk(&d)).await.unwrap(), Membership::NoVault);
    let removed = b.meta.devices(v).await.unwrap().into_iter().find(|r| r.device == pk(&e)).unwrap();
    assert_eq!(removed.removed_at, Some(5), "the first removal time stays");
    // Mandates: the same body again is accepted, another one under the same id is not.
    let m =
        MandateRow { id: random(), vault: v, agent: random(), body: vec![1, 2, 3], created_at: 1, revoked_at: None };
    assert!(b.meta.put_mandate(m.clone()).await.unwrap());
    assert!(b.other.put_mandate(m.clone()).await.unwrap());
    assert!(!b.meta.put_mandate(MandateRow { body: vec![4], ..m.clone() }).await.unwrap());
    assert_eq!(b.other.mandate(m.id).await.unwrap(), Some(m));
}

async fn quotas(b: Backend) {
    let (v, d) = vault(&b).await;
    let quota = 3000;
    assert_eq!(b.meta.record_chunk(v, random(), 2000, quota).await.unwrap(), ChunkRecordOutcome::Created);
    assert_eq!(b.other.record_chunk(v, random(), 1001, quota).await.unwrap(), ChunkRecordOutcome::QuotaExceeded);
    // Ops count too; a refused append appends nothing.
    let g = ChainPoint::genesis(&v);
    let big = vec![op(&v, &d, 1, g, 600), op(&v, &d, 2, g, 600)];
    assert_eq!(b.meta.append_ops(v, big, quota).await.unwrap(), AppendOutcome::QuotaExceeded);
    assert_eq!(b.meta.vault_state(v).await.unwrap().unwrap(), (g, 2000));
    assert!(matches!(
        b.meta.append_ops(v, vec![op(&v, &d, 1, g, 600)], quota).await.unwrap(),
        AppendOutcome::Appended { .. }
    ));
    // Shares count against what is left (usage given by the caller, plus live shares).
    let share = |pages: usize| NewShare {
        vault: v,
        id: ShareId::from(random::<16>()),
        created_at: 1,
        expires_at: u64::MAX / 2,
        max_opens: None,
        open_check: CHECK,
        manifest: vec![0; 100],
        pages: vec![vec![1; 100]; pages],
    };
    assert_eq!(b.meta.create_share(share(2), 2600, quota).await.unwrap(), ShareCreateOutcome::Created);
    assert_eq!(b.other.create_share(share(2), 2600, quota).await.unwrap(), ShareCreateOutcome::QuotaExceeded);
    // Many concurrent chunk records through both instances never pass the quota.
    let (w, _) = vault(&b).await;
    let mut tasks = Vec::new();
    for n in 0..20 {
        let m = if n % 2 == 0 { b.meta.clone() } else { b.other.clone() };
        tasks.push(tokio::spawn(async move { m.record_chunk(w, random(), 1000, 10_500).await.unwrap() }));
    }
    let mut created = 0;
    for t in tasks {
        created += usize::from(t.await.unwrap() == ChunkRecordOutcome::Created);
    }
    assert_eq!(created, 10);
    assert_eq!(b.meta.vault_state(w).await.unwrap().unwrap().1, 10_000);
}

/// Four writers append one op at a time, at once, half through each instance: one linear chain.
async fn concurrent_appends(b: Backend) {
    let (v, first) = vault(&b).await;
    let mut writers = vec![first];
    for _ in 0..3 {
        let k = SigningKey::generate();
        assert!(b.meta.add_device(v, pk(&k), pk(&writers[0]), 1).await.unwrap());
        writers.push(k);
    }
    let per_writer = 25u64;
    let mut tasks = Vec::new();
    for (n, k) in writers.into_iter().enumerate() {
        let m = if n % 2 == 0 { b.meta.clone() } else { b.other.clone() };
        tasks.push(tokio::spawn(async move {
            for c in 1..=per_writer {
                // Each op has seen the head as this writer last read it.
                let (_, head) = m.ops_since(v, u64::MAX >> 2, 1).await.unwrap();
                let out = m.append_ops(v, vec![op(&v, &k, c, head, 3)], QUOTA).await.unwrap();
                assert!(matches!(out, AppendOutcome::Appended { .. }), "{out:?}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let (head, n) = verified_head(&*b.other, v).await;
    assert_eq!((head.seq, n), (4 * per_writer, 4 * per_writer));
    assert_eq!(b.meta.vault_state(v).await.unwrap().unwrap(), (head, 4 * per_writer * 3));
}

/// Closure deletes every row of the vault in every store, its chunks and share copies; another
/// vault keeps all of its own.
async fn closure(b: Backend) {
    let server = SigningKey::generate();
    let mut filled = Vec::new();
    for _ in 0..2 {
        let (v, d) = vault(&b).await;
        let g = ChainPoint::genesis(&v);
        b.meta.append_ops(v, vec![op(&v, &d, 1, g, 10)], QUOTA).await.unwrap();
        let bytes = bytes::Bytes::from(random::<64>().to_vec());
        let h: Hash = random();
        b.chunks.put(v, h, bytes).await.unwrap();
        b.meta.record_chunk(v, h, 64, QUOTA).await.unwrap();
        b.meta.commit_blob(v, b"blob".to_vec(), vec![h], 1).await.unwrap();
        let m = MandateRow { id: random(), vault: v, agent: random(), body: vec![1], created_at: 1, revoked_at: None };
        b.meta.put_mandate(m.clone()).await.unwrap();
        b.meta
            .put_package(m.id, PackageRow { sealed: vec![2], blobs: vec![b"blob".to_vec()], updated_at: 1 })
            .await
            .unwrap();
        let dep = DepositRow {
            id: random(),
            mandate: m.id,
            statement: vec![1],
            receipt: vec![2],
            ciphertext: vec![3],
            received_at: 1,
        };
        assert_eq!(b.meta.put_deposit(v, dep, 10).await.unwrap(), DepositPutOutcome::Stored);
        b.meta.append_audit(v, AuditKind::DeviceAdded, "x".into(), 1, server.clone()).await.unwrap();
        let slot_device = SigningKey::generate();
        let put = b.meta.put_slot(v, SlotKind::Code, pk(&slot_device), vec![5; 32], pk(&d), 1, Enrolment::Now).await;
        assert_eq!(put.unwrap(), PutSlotOutcome::Stored { replaced: None });
        let sid = ShareId::from(random::<16>());
        let share = NewShare {
            vault: v,
            id: sid,
            created_at: 1,
            expires_at: u64::MAX / 2,
            max_opens: None,
            open_check: CHECK,
            manifest: vec![1; 10],
            pages: vec![vec![2; 10]],
        };
        b.meta.create_share(share, 0, QUOTA).await.unwrap();
        b.meta.open_share(sid, Some(CHECK), random(), 5).await.unwrap().unwrap();
        filled.push((v, d, h, m.id, sid));
    }
    let (w, e, hw, mw, sw) = filled.pop().unwrap();
    let (v, d, h, mandate, sid) = filled.pop().unwrap();
    assert!(b.other.close_vault(v).await.unwrap());
    b.chunks.delete_vault(v).await.unwrap();
    assert!(!b.meta.close_vault(v).await.unwrap(), "closing twice finds nothing");
    assert_eq!(b.meta.vault_state(v).await.unwrap(), None);
    assert_eq!(b.meta.membership(v, pk(&d)).await.unwrap(), Membership::NoVault);
    assert!(b.meta.devices(v).await.unwrap().is_empty());
    assert!(!b.meta.has_chunk(v, h).await.unwrap());
    assert_eq!(b.chunks.get(v, h).await.unwrap(), None);
    assert_eq!(b.meta.blob(v, b"blob".to_vec()).await.unwrap(), None);
    assert!(b.meta.mandates_of(v).await.unwrap().is_empty());
    assert_eq!(b.meta.mandate(mandate).await.unwrap(), None);
    assert_eq!(b.meta.package(mandate).await.unwrap(), None);
    assert!(b.meta.deposits(v).await.unwrap().is_empty());
    assert!(b.meta.audit_since(v, 0, 10).await.unwrap().is_empty());
    assert!(b.meta.all_slots().await.unwrap().iter().all(|s| s.vault != v));
    assert!(b.meta.list_shares(v).await.unwrap().is_empty());
    assert_eq!(b.meta.open_share(sid, Some(CHECK), random(), 6).await.unwrap(), Err(ShareRefusal::NotFound));
    // The other vault is whole.
    assert_eq!(verified_head(&*b.meta, w).await.1, 1);
    assert_eq!(b.meta.membership(w, pk(&e)).await.unwrap(), Membership::Enrolled);
    assert_eq!(b.chunks.get(w, hw).await.unwrap().map(|b| b.len()), Some(64));
    assert!(b.meta.blob(w, b"blob".to_vec()).await.unwrap().is_some());
    assert!(b.meta.package(mw).await.unwrap().is_some());
    assert_eq!(b.meta.deposits(w).await.unwrap().len(), 1);
    assert_eq!(b.meta.audit_since(w, 0, 10).await.unwrap().len(), 1);
    assert_eq!(b.meta.all_slots().await.unwrap().iter().filter(|s| s.vault == w).count(), 1);
    assert_eq!(b.meta.list_shares(w).await.unwrap()[0].opened_at, vec![5]);
    assert!(b.meta.open_share(sw, Some(CHECK), random(), 6).await.unwrap().is_ok());
}

/// Mailboxes and shares end when they should, through either instance.
async fn expiry(b: Backend) {
    let id: Hash = random();
    let now = 10_000;
    assert_eq!(
        b.meta.mailbox_put(id, b"hi".to_vec(), now, 60, 100).await.unwrap(),
        MailboxPutOutcome::Stored { expires_at: now + 60 }
    );
    assert_eq!(b.other.mailbox_put(id, b"again".to_vec(), now, 60, 100).await.unwrap(), MailboxPutOutcome::Occupied);
    assert_eq!(b.other.mailbox_get(id, now + 59).await.unwrap(), Some((b"hi".to_vec(), now + 60)));
    assert_eq!(b.other.mailbox_get(id, now + 60).await.unwrap(), None, "expired");
    assert_eq!(b.meta.purge_expired(now + 60).await.unwrap(), 1);
    assert!(!b.meta.mailbox_delete(id).await.unwrap());
    // The box limit is one count for every instance, and expired boxes free their place.
    assert!(matches!(
        b.meta.mailbox_put(random(), vec![1], now, 10, 2).await.unwrap(),
        MailboxPutOutcome::Stored { .. }
    ));
    assert!(matches!(
        b.other.mailbox_put(random(), vec![1], now, 100, 2).await.unwrap(),
        MailboxPutOutcome::Stored { .. }
    ));
    assert_eq!(b.meta.mailbox_put(random(), vec![1], now, 10, 2).await.unwrap(), MailboxPutOutcome::Full);
    assert!(matches!(
        b.other.mailbox_put(random(), vec![1], now + 10, 10, 2).await.unwrap(),
        MailboxPutOutcome::Stored { .. }
    ));
    // Shares: expiry, revocation, page tokens, purge.
    let (v, _) = vault(&b).await;
    let mk = |expires_at| NewShare {
        vault: v,
        id: ShareId::from(random::<16>()),
        created_at: now,
        expires_at,
        max_opens: None,
        open_check: CHECK,
        manifest: vec![1; 10],
        pages: vec![vec![2; 10], vec![3; 10]],
    };
    let s = mk(now + 100);
    let sid = s.id;
    b.meta.create_share(s, 0, QUOTA).await.unwrap();
    let token = random();
    let opening = b.other.open_share(sid, Some(CHECK), token, now).await.unwrap().unwrap();
    assert_eq!((opening.pages, opening.opening, opening.vault), (2, 1, v));
    assert_eq!(b.meta.share_page(sid, 1, token, now + 5, 10).await.unwrap(), Ok(vec![3; 10]));
    assert_eq!(
        b.meta.share_page(sid, 1, token, now + 10, 10).await.unwrap(),
        Err(ShareRefusal::NotFound),
        "token aged"
    );
    assert_eq!(b.meta.share_page(sid, 0, random(), now + 5, 10).await.unwrap(), Err(ShareRefusal::NotFound));
    assert_eq!(b.meta.open_share(sid, Some(CHECK), random(), now + 100).await.unwrap(), Err(ShareRefusal::Expired));
    let r = mk(now + 1000);
    let rid = r.id;
    b.meta.create_share(r, 0, QUOTA).await.unwrap();
    assert!(b.other.revoke_share(v, rid, now + 1).await.unwrap());
    assert!(!b.other.revoke_share(random(), rid, now + 1).await.unwrap(), "another vault's share");
    assert_eq!(b.meta.open_share(rid, Some(CHECK), random(), now + 2).await.unwrap(), Err(ShareRefusal::Revoked));
    assert_eq!(b.meta.purge_shares(now + 100, TOKEN_TTL).await.unwrap(), 1, "the expired one loses its copies");
    let listed = b.meta.list_shares(v).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|s| s.bytes == 0));
    b.meta.purge_shares(now + 100 + 31 * 24 * 3600, TOKEN_TTL).await.unwrap();
    assert!(b.meta.list_shares(v).await.unwrap().is_empty(), "ended long ago: forgotten");
}

/// The opening limit of a share holds when its openings reach both instances at once.
async fn share_opening_limit(b: Backend) {
    let (v, _) = vault(&b).await;
    let sid = ShareId::from(random::<16>());
    let share = NewShare {
        vault: v,
        id: sid,
        created_at: 1,
        expires_at: u64::MAX / 2,
        max_opens: Some(5),
        open_check: CHECK,
        manifest: vec![1; 10],
        pages: vec![vec![2; 10]],
    };
    assert_eq!(b.meta.create_share(share.clone(), 0, QUOTA).await.unwrap(), ShareCreateOutcome::Created);
    assert_eq!(b.other.create_share(share, 0, QUOTA).await.unwrap(), ShareCreateOutcome::IdTaken);
    let mut tasks = Vec::new();
    for n in 0..20 {
        let m = if n % 2 == 0 { b.meta.clone() } else { b.other.clone() };
        tasks.push(tokio::spawn(async move { m.open_share(sid, Some(CHECK), random(), 10).await.unwrap() }));
    }
    let mut openings = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(o) => openings.push(o.opening),
            Err(r) => assert_eq!(r, ShareRefusal::Exhausted),
        }
    }
    openings.sort_unstable();
    assert_eq!(openings, vec![1, 2, 3, 4, 5]);
}

/// The audit chain and pending deposits stay exact with concurrent writers on both instances.
async fn audit_and_deposits(b: Backend) {
    let (v, _) = vault(&b).await;
    let server = SigningKey::generate();
    let mut tasks = Vec::new();
    for n in 0..12u64 {
        let m = if n % 2 == 0 { b.meta.clone() } else { b.other.clone() };
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            m.append_audit(v, AuditKind::DeviceAdded, format!("{n}"), 100 + n, server).await.unwrap();
            let dep = DepositRow {
                id: random(),
                mandate: random(),
                statement: vec![],
                receipt: vec![],
                ciphertext: vec![n as u8],
                received_at: n,
            };
            m.put_deposit(v, dep, 8).await.unwrap()
        }));
    }
    let mut stored = 0;
    for t in tasks {
        stored += usize::from(t.await.unwrap() == DepositPutOutcome::Stored);
    }
    assert_eq!(stored, 8, "the pending limit holds across instances");
    let entries = b.meta.audit_since(v, 0, 100).await.unwrap();
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=12).collect::<Vec<_>>());
    coffre_mandate::audit::verify_chain(&entries, &v, &pk(&server), (0, coffre_mandate::audit::genesis(&v)))
        .expect("one verified audit chain");
}

/// Chunk reads: batched in order, stopping at the first missing one or at the byte budget.
async fn chunk_reads(b: Backend) {
    let v: Hash = random();
    let w: Hash = random();
    let mut hashes = Vec::new();
    for n in 0..5u8 {
        let bytes = bytes::Bytes::from(vec![n; 100]);
        let h: Hash = random();
        b.chunks.put(v, h, bytes.clone()).await.unwrap();
        b.chunks.put(w, h, bytes).await.unwrap();
        hashes.push(h);
    }
    let got = b.chunks.get_many(v, &hashes, 10_000).await.unwrap();
    assert_eq!(got.iter().map(|c| c.as_ref().unwrap()[0]).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
    assert_eq!(b.chunks.get_many(v, &hashes, 250).await.unwrap().len(), 2, "budget");
    assert_eq!(b.chunks.get_many(v, &hashes, 1).await.unwrap().len(), 1, "always one");
    let gap = [hashes[0], random(), hashes[1]];
    let got = b.chunks.get_many(v, &gap, 10_000).await.unwrap();
    assert_eq!((got.len(), got[1].is_none()), (2, true), "stops after the first missing");
    b.chunks.delete_vault(v).await.unwrap();
    assert_eq!(b.chunks.get(v, hashes[0]).await.unwrap(), None);
    assert!(b.chunks.get(w, hashes[0]).await.unwrap().is_some(), "another vault's chunks stay");
    b.chunks.delete_vault(v).await.unwrap();
    b.chunks.ping().await.unwrap();
    b.meta.ping().await.unwrap();
}

/// Account key generations: a switch keeps only the listed members, a retry changes nothing, a
/// skipped generation is refused; the creation time is kept.
async fn generations(b: Backend) {
    let (v, first) = vault(&b).await;
    assert_eq!(b.meta.vault_created_at(v).await.unwrap(), Some(1000));
    assert_eq!(b.meta.vault_created_at(random()).await.unwrap(), None);
    assert_eq!(b.meta.generations(v).await.unwrap().len(), 1);
    assert!(b.meta.generations(random()).await.unwrap().is_empty());
    let kept = SigningKey::generate();
    let dropped = SigningKey::generate();
    for k in [&kept, &dropped] {
        assert!(b.meta.add_device(v, pk(k), pk(&first), 2).await.unwrap());
    }
    let id1: PublicKey = random();
    let keep = vec![pk(&first), pk(&kept)];
    assert_eq!(
        b.other.switch_generation(v, 1, id1, keep.clone(), 3).await.unwrap(),
        GenerationOutcome::Switched { removed: vec![pk(&dropped)] }
    );
    assert_eq!(b.meta.membership(v, pk(&dropped)).await.unwrap(), Membership::Revoked);
    assert_eq!(b.meta.membership(v, pk(&kept)).await.unwrap(), Membership::Enrolled);
    // A device added since is not removed by a replayed switch.
    let later = SigningKey::generate();
    assert!(b.meta.add_device(v, pk(&later), pk(&first), 4).await.unwrap());
    assert_eq!(b.meta.switch_generation(v, 1, id1, keep.clone(), 5).await.unwrap(), GenerationOutcome::AlreadyThere);
    assert_eq!(b.meta.membership(v, pk(&later)).await.unwrap(), Membership::Enrolled);
    assert_eq!(
        b.meta.switch_generation(v, 3, random(), keep.clone(), 5).await.unwrap(),
        GenerationOutcome::Stale { current: 1 }
    );
    assert_eq!(b.meta.switch_generation(random(), 1, id1, keep, 5).await.unwrap(), GenerationOutcome::NoVault);
    let gens = b.meta.generations(v).await.unwrap();
    assert_eq!((gens.len(), gens[1]), (2, id1));
    // Two instances switching to the same next generation at once: one switch, one stale or retry.
    let id2: PublicKey = random();
    let (x, y) = tokio::join!(
        b.meta.switch_generation(v, 2, id2, vec![pk(&first)], 6),
        b.other.switch_generation(v, 2, id2, vec![pk(&first)], 6)
    );
    let outs = [x.unwrap(), y.unwrap()];
    assert_eq!(outs.iter().filter(|o| matches!(o, GenerationOutcome::Switched { .. })).count(), 1, "{outs:?}");
    assert_eq!(b.meta.generations(v).await.unwrap().len(), 3);
}

/// Removing a device removes what it enrolled, transitively, except the asking device; last seen.
async fn enrolment_tree(b: Backend) {
    let (v, first) = vault(&b).await;
    let phone = SigningKey::generate();
    let child = SigningKey::generate();
    let grandchild = SigningKey::generate();
    assert!(b.meta.add_device(v, pk(&phone), pk(&first), 2).await.unwrap());
    assert!(b.meta.add_device(v, pk(&child), pk(&phone), 3).await.unwrap());
    assert!(b.meta.add_device(v, pk(&grandchild), pk(&child), 4).await.unwrap());
    assert_eq!(b.meta.remove_with_enrolled(v, random(), pk(&first), 5).await.unwrap(), None);
    let mut removed = b.other.remove_with_enrolled(v, pk(&phone), pk(&first), 5).await.unwrap().unwrap();
    removed.sort_unstable();
    let mut expected = vec![pk(&child), pk(&grandchild)];
    expected.sort_unstable();
    assert_eq!(removed, expected);
    assert_eq!(b.meta.membership(v, pk(&grandchild)).await.unwrap(), Membership::Revoked);
    assert_eq!(b.meta.membership(v, pk(&first)).await.unwrap(), Membership::Enrolled);
    assert_eq!(b.meta.remove_with_enrolled(v, pk(&phone), pk(&first), 6).await.unwrap(), Some(vec![]));
    assert!(b.meta.last_seen(v).await.unwrap().is_empty());
    b.meta.record_seen(v, pk(&first), 7).await.unwrap();
    b.other.record_seen(v, pk(&first), 9).await.unwrap();
    assert_eq!(b.meta.last_seen(v).await.unwrap(), vec![(pk(&first), 9)]);
}

/// A nonce is used once, through either instance, until it expires.
async fn replay(b: Backend) {
    let key: Hash = random();
    assert!(b.meta.first_use(key, 100, 10).await.unwrap());
    assert!(!b.other.first_use(key, 100, 20).await.unwrap(), "seen by the other instance");
    assert!(!b.meta.first_use(key, 100, 99).await.unwrap());
    assert!(b.other.first_use(key, 300, 100).await.unwrap(), "expired: usable again");
    // At once on both instances: exactly one first use.
    let other: Hash = random();
    let (x, y) = tokio::join!(b.meta.first_use(other, 100, 10), b.other.first_use(other, 100, 10));
    assert_eq!(u8::from(x.unwrap()) + u8::from(y.unwrap()), 1);
}

/// Assisted recovery requests: one per requester, wrong PINs counted per request and per vault, the
/// vault's count kept while the PIN stays, cancels sticking, ready requests closed.
async fn assisted_requests(b: Backend) {
    let (v, _) = vault(&b).await;
    let requester: PublicKey = random();
    assert_eq!(b.meta.start_request(v, requester, 10, 100).await.unwrap(), None, "not set up");
    let row = |pin: u8| AssistedRow {
        pin_hash: [pin; 32],
        provider_share: vec![1],
        org: vec![2],
        pieces: vec![3],
        failures: 0,
    };
    b.meta.put_assisted(v, row(1)).await.unwrap();
    let (req, new) = b.meta.start_request(v, requester, 10, 100).await.unwrap().unwrap();
    assert!(new);
    assert_eq!((req.started_at, req.ready_at, req.cancelled_at, req.failures), (10, 100, None, 0));
    let (again, new) = b.other.start_request(v, requester, 20, 200).await.unwrap().unwrap();
    assert!(!new);
    assert_eq!(again, req, "a repeated start restarts nothing");
    let stranger: PublicKey = random();
    b.other.start_request(v, stranger, 30, 300).await.unwrap().unwrap();
    assert_eq!(b.meta.request_pin_failed(v, stranger).await.unwrap(), (1, 1));
    assert_eq!(b.other.request_pin_failed(v, stranger).await.unwrap(), (2, 2));
    assert_eq!(b.meta.request_pin_failed(v, requester).await.unwrap(), (1, 3));
    assert_eq!(b.meta.request(v, requester).await.unwrap().unwrap().failures, 1);
    // The same PIN set up again keeps the vault's count; a new PIN clears it.
    b.meta.put_assisted(v, row(1)).await.unwrap();
    assert_eq!(b.meta.assisted(v).await.unwrap().unwrap().failures, 3);
    b.meta.put_assisted(v, row(2)).await.unwrap();
    assert_eq!(b.meta.assisted(v).await.unwrap().unwrap().failures, 0);
    let all = b.meta.requests(v).await.unwrap();
    assert_eq!(all.iter().map(|r| r.requester).collect::<Vec<_>>(), vec![stranger, requester], "newest first");
    // Ready requests close after a fetch; the stranger's, not ready, stays.
    b.meta.close_ready_requests(v, 150).await.unwrap();
    assert_eq!(b.meta.request(v, requester).await.unwrap(), None);
    assert!(b.meta.request(v, stranger).await.unwrap().is_some());
    assert_eq!(b.other.cancel_requests(v, 160).await.unwrap(), 1);
    assert_eq!(b.meta.request(v, stranger).await.unwrap().unwrap().cancelled_at, Some(160));
    let (kept, new) = b.meta.start_request(v, stranger, 170, 400).await.unwrap().unwrap();
    assert_eq!((kept.cancelled_at, new), (Some(160), false), "a cancel sticks");
    b.meta.close_ready_requests(v, 1000).await.unwrap();
    assert!(b.meta.request(v, stranger).await.unwrap().is_some(), "a cancelled request is not used up");
}

/// Invitation codes: used once, by one vault (a retry of that vault still passes), until they expire;
/// shares with an open check open only with it, and exhausted ones lose their material.
async fn invitations_and_share_checks(b: Backend) {
    let code: Hash = random();
    b.meta.create_invitation(code, random(), random(), 10, 100).await.unwrap();
    let (v, w): (Hash, Hash) = (random(), random());
    assert!(b.other.redeem_invitation(code, v, 20).await.unwrap());
    assert!(b.meta.redeem_invitation(code, v, 21).await.unwrap(), "a retry of the same vault");
    assert!(!b.meta.redeem_invitation(code, w, 22).await.unwrap(), "used");
    let late: Hash = random();
    b.meta.create_invitation(late, random(), random(), 10, 100).await.unwrap();
    assert!(!b.meta.redeem_invitation(late, w, 100).await.unwrap(), "expired");
    assert!(!b.meta.redeem_invitation(random(), w, 20).await.unwrap(), "unknown");

    let (v, _) = vault(&b).await;
    let sid = ShareId::from(random::<16>());
    let share = NewShare {
        vault: v,
        id: sid,
        created_at: 1,
        expires_at: 10_000,
        max_opens: Some(1),
        open_check: CHECK,
        manifest: vec![1; 10],
        pages: vec![vec![2; 10]],
    };
    b.meta.create_share(share, 0, QUOTA).await.unwrap();
    assert_eq!(b.meta.open_share(sid, None, random(), 5).await.unwrap(), Err(ShareRefusal::NotFound));
    assert_eq!(b.meta.open_share(sid, Some([8; 32]), random(), 5).await.unwrap(), Err(ShareRefusal::NotFound));
    assert!(b.meta.list_shares(v).await.unwrap()[0].opened_at.is_empty(), "a wrong check counts nothing");
    assert!(b.other.open_share(sid, Some(CHECK), random(), 5).await.unwrap().is_ok());
    assert_eq!(b.meta.open_share(sid, Some(CHECK), random(), 6).await.unwrap(), Err(ShareRefusal::Exhausted));
    assert_eq!(b.meta.purge_shares(5 + TOKEN_TTL - 1, TOKEN_TTL).await.unwrap(), 0, "page window still open");
    assert_eq!(b.meta.purge_shares(5 + TOKEN_TTL, TOKEN_TTL).await.unwrap(), 1);
    assert_eq!(b.meta.list_shares(v).await.unwrap()[0].bytes, 0);
    assert_eq!(b.meta.open_share(sid, Some(CHECK), random(), 70).await.unwrap(), Err(ShareRefusal::Exhausted));
}

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        /// The embedded pair: SQLite + chunk files.
        mod sqlite_files {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(super::sqlite_files().await).await;
                }
            )*
        }
        /// The scale-out pair: PostgreSQL + S3-compatible bucket.
        mod postgres_s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(super::postgres_s3().await).await;
                }
            )*
        }
    };
}

conformance!(
    ordering,
    idempotency,
    quotas,
    concurrent_appends,
    closure,
    expiry,
    share_opening_limit,
    audit_and_deposits,
    chunk_reads,
    generations,
    enrolment_tree,
    replay,
    assisted_requests,
    invitations_and_share_checks,
);
