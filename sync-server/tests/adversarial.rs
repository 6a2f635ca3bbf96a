//! An adversarial server: a proxy in front of the real server that rewrites what it answers. It holds the
//! real server's signing key, so it can re-chain and re-sign heads: detection must then rest on the
//! writers' signatures, counters and seen heads. Each attack must be caught within one sync, with the
//! right error, and the victim's verified state must still sync normally with the honest server after.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use coffre_crypto::SigningKey;
use coffre_sync::protocol::{self as proto, ChainPoint, Op, OpRecord, PullResponse, SignedHead};
use coffre_sync::{BlockingClient, CancelToken, ChainState, KnownWriters, OpDraft, SyncError};
use common::*;

type Hook = Box<dyn Fn(&str, &str, Vec<u8>) -> Vec<u8> + Send + Sync>;

struct ProxyState {
    upstream: String,
    http: reqwest::Client,
    hook: Mutex<Option<Hook>>,
}

async fn forward(State(p): State<Arc<ProxyState>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let pq = parts.uri.path_and_query().unwrap().as_str().to_string();
    let mut rb = p.http.request(parts.method.clone(), format!("{}{pq}", p.upstream));
    for (k, v) in &parts.headers {
        if k.as_str().starts_with("x-coffre") || k.as_str() == "content-type" {
            rb = rb.header(k.clone(), v.clone());
        }
    }
    let resp = rb.body(bytes).send().await.unwrap();
    let status = resp.status().as_u16();
    let mut body = resp.bytes().await.unwrap().to_vec();
    if status == 200
        && let Some(hook) = p.hook.lock().unwrap().as_ref()
    {
        body = hook(parts.method.as_str(), parts.uri.path(), body);
    }
    (StatusCode::from_u16(status).unwrap(), Body::from(body)).into_response()
}

struct World {
    s: TestServer,
    a: Holder,
    b_key: SigningKey,
    proxy: Arc<ProxyState>,
    proxy_url: String,
    server_key: SigningKey,
    writers: KnownWriters,
}

impl World {
    /// A vault with devices A and B; A wrote a1..a3, B wrote b1 on top. The victim is A's key talking
    /// to the proxy.
    fn new() -> World {
        let s = TestServer::start();
        let a = s.vault();
        let (b_key, b) = a.enroll(&s.url);
        let writers = KnownWriters::new([pk(&a.device), pk(&b_key)]);
        let g = a.genesis();
        let drafts: Vec<OpDraft> =
            (1..=3).map(|n| OpDraft { counter: n, ciphertext: format!("a{n}").into_bytes() }).collect();
        let out = a.client.sync(&g, &drafts, &mut writers.clone()).unwrap();
        b.sync(&out.state, &[OpDraft { counter: 1, ciphertext: b"b1".to_vec() }], &mut writers.clone()).unwrap();
        let proxy = Arc::new(ProxyState { upstream: s.url.clone(), http: s.http.clone(), hook: Mutex::new(None) });
        let app = axum::Router::new().fallback(forward).with_state(proxy.clone());
        let listener = s.rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let proxy_url = format!("http://{}", listener.local_addr().unwrap());
        s.rt.spawn(async move { axum::serve(listener, app).await });
        let server_key = s.server_key();
        World { s, a, b_key, proxy, proxy_url, server_key, writers }
    }

    fn victim(&self) -> BlockingClient {
        let c = BlockingClient::new(&self.proxy_url, self.a.device.clone()).unwrap();
        c.attach(self.a.reg.vault, self.a.reg.server_pk);
        c
    }

    fn set_hook(&self, h: impl Fn(&str, &str, Vec<u8>) -> Vec<u8> + Send + Sync + 'static) {
        *self.proxy.hook.lock().unwrap() = Some(Box::new(h));
    }

    /// Rewrite pull responses with `f(response, server key, vault)`.
    fn on_pull(&self, f: impl Fn(&mut PullResponse, &SigningKey, &proto::Hash) + Send + Sync + 'static) {
        let key = self.server_key.clone();
        let vault = self.a.reg.vault;
        self.set_hook(move |method, path, body| {
            if method == "GET" && path.ends_with("/ops") {
                let mut r: PullResponse = serde_json::from_slice(&body).unwrap();
                f(&mut r, &key, &vault);
                serde_json::to_vec(&r).unwrap()
            } else {
                body
            }
        });
    }

    /// Pull through the adversary from `state`; then check the honest server still syncs from there.
    fn attack(&self, state: &ChainState) -> SyncError {
        let err = self.victim().pull(state, &mut self.writers.clone()).unwrap_err();
        let (ops, _) = self.a.client.pull(state, &mut self.writers.clone()).unwrap();
        assert!(ops.len() as u64 + state.point.seq == 4, "honest sync from the kept state still works");
        err
    }

    /// The verified state after `seq` ops, and a view that kept every op hash up to there.
    fn state_at(&self, seq: u64) -> (ChainState, KnownWriters) {
        let g = self.a.genesis();
        let mut view = self.writers.clone();
        let (ops, _) = self.a.client.pull(&g, &mut view).unwrap();
        let mut st = g;
        let mut kept = self.writers.clone();
        for op in ops.iter().take(seq as usize) {
            st.point = ChainPoint { seq: op.seq, hash: op.hash };
            st.writers.insert(proto::b64(&op.writer), op.counter);
            kept.hashes.insert(op.seq, op.hash);
        }
        (st, kept)
    }
}

async fn honest_page(w: &World, since: u64) -> PullResponse {
    let path = format!("/v1/vaults/{}/ops?since={since}", w.a.vault_hex());
    let auth = proto::sign_request(&w.a.device, "GET", &path, b"", now(), &rand_nonce());
    let mut rb = w.s.http.get(format!("{}{path}", w.s.url));
    for (k, v) in auth.headers() {
        rb = rb.header(k, v.to_string());
    }
    serde_json::from_slice(&rb.send().await.unwrap().bytes().await.unwrap()).unwrap()
}

fn rand_nonce() -> [u8; 16] {
    let mut n = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut n);
    n
}

fn rechain_points(ops: &[OpRecord], start: ChainPoint) -> Vec<ChainPoint> {
    let mut p = start;
    let mut out = Vec::new();
    for r in ops {
        let op = Op::from_wire(&r.op).unwrap();
        p = ChainPoint { seq: r.seq, hash: op.chain(&p.hash, r.seq) };
        out.push(p);
    }
    out
}

/// What a dishonest server with its key does to make a doctored list look consistent: renumber from the
/// client's `since`, recompute the chain, sign the new head.
fn rechain(r: &mut PullResponse, key: &SigningKey, vault: &proto::Hash, start: ChainPoint) {
    for (i, rec) in r.ops.iter_mut().enumerate() {
        rec.seq = start.seq + 1 + i as u64;
    }
    let end = rechain_points(&r.ops, start).last().copied().unwrap_or(start);
    r.head = SignedHead::sign(key, vault, end, now());
    r.more = false;
}

fn genesis_of(vault: &proto::Hash) -> ChainPoint {
    ChainPoint::genesis(vault)
}

#[test]
fn drop_is_detected() {
    let w = World::new();
    // Naive: an op removed from the middle.
    w.on_pull(|r, _, _| {
        r.ops.remove(1);
    });
    assert!(matches!(w.attack(&w.a.genesis()), SyncError::Gap { expected: 2, got: 3 }));
    // Re-chained and re-signed: A's counter jumps.
    w.on_pull(|r, k, v| {
        r.ops.remove(1);
        rechain(r, k, v, genesis_of(v));
    });
    assert!(matches!(w.attack(&w.a.genesis()), SyncError::Gap { expected: 2, got: 3 }));
    // Dropping A's last op, re-chained: B's op saw it, so B's seen head contradicts the chain.
    w.on_pull(|r, k, v| {
        r.ops.remove(2);
        rechain(r, k, v, genesis_of(v));
    });
    let e = w.attack(&w.a.genesis());
    assert!(matches!(e, SyncError::Reordered { .. } | SyncError::Fork { .. }), "{e:?}");
    // Tail drop: the head says 4, only 3 delivered.
    w.on_pull(|r, _, _| {
        r.ops.truncate(3);
    });
    assert!(matches!(w.attack(&w.a.genesis()), SyncError::Gap { expected: 4, got: 3 }));
}

#[test]
fn reorder_is_detected() {
    let w = World::new();
    w.on_pull(|r, _, _| r.ops.swap(0, 1));
    assert!(matches!(w.attack(&w.a.genesis()), SyncError::Gap { .. } | SyncError::Reordered { .. }));
    // Re-chained: A's counters out of order.
    w.on_pull(|r, k, v| {
        r.ops.swap(0, 1);
        rechain(r, k, v, genesis_of(v));
    });
    assert!(matches!(w.attack(&w.a.genesis()), SyncError::Gap { expected: 1, got: 2 }));
    // Re-chained: B's op moved before what B had seen.
    w.on_pull(|r, k, v| {
        r.ops.swap(2, 3);
        rechain(r, k, v, genesis_of(v));
    });
    assert!(matches!(w.attack(&w.a.genesis()), SyncError::Reordered { expected: 3, got: 3 }));
}

#[test]
fn replay_is_detected() {
    let w = World::new();
    let (s2, _) = w.state_at(2);
    // Ops the client already has, served again.
    let old = w.s.rt.block_on(honest_page(&w, 0));
    w.on_pull(move |r, _, _| {
        r.ops = old.ops.clone();
    });
    assert!(matches!(w.attack(&s2), SyncError::Replayed { seq: 1 }));
    // An old op re-served at a new seq, re-chained and re-signed.
    w.on_pull(move |r, k, v| {
        let first = r.ops[0].clone();
        r.ops.insert(1, first);
        rechain(r, k, v, genesis_of(v));
    });
    assert!(matches!(w.attack(&w.a.genesis()), SyncError::Replayed { seq: 2 }));
}

#[test]
fn rollback_is_detected() {
    let w = World::new();
    let (s4, _) = w.state_at(4);
    // A genuine, older signed head (seq 2) replayed to a client that verified seq 4.
    let mut old = w.s.rt.block_on(honest_page(&w, 0));
    old.ops.truncate(2);
    let p2 = rechain_points(&old.ops, genesis_of(&w.a.reg.vault))[1];
    old.head = SignedHead::sign(&w.server_key, &w.a.reg.vault, p2, now() - 100);
    old.ops.clear();
    old.more = false;
    w.on_pull(move |r, _, _| *r = old.clone());
    assert!(matches!(w.attack(&s4), SyncError::Rollback { known: 4, served: 2 }));
}

#[test]
fn fork_is_detected() {
    let w = World::new();
    let (s3, kept) = w.state_at(3);
    // Same length, another history: the head at seq 3 contradicts what the client verified.
    w.on_pull(|r, k, v| {
        r.ops.clear();
        r.head = SignedHead::sign(k, v, ChainPoint { seq: 3, hash: [9; 32] }, now());
    });
    assert!(matches!(w.attack(&s3), SyncError::Fork { seq: 3 }));
    // Per-device fork: B was shown another history and wrote on top of it; the server then shows B's op
    // to A, re-chained and re-signed. B's seen head contradicts A's chain.
    for seen_seq in [3u64, 2] {
        let b_key = w.b_key.clone();
        let start = s3.point;
        w.on_pull(move |r, k, v| {
            let seen = ChainPoint { seq: seen_seq, hash: [7; 32] };
            let forked = Op::sign(&b_key, v, 1, seen, proto::pad_payload(b"b1 in another world").unwrap());
            r.ops = vec![OpRecord { seq: 4, op: forked.to_wire() }];
            rechain(r, k, v, start);
        });
        let err = w.victim().pull(&s3, &mut kept.clone()).unwrap_err();
        assert!(matches!(err, SyncError::Fork { seq: 4 }), "{err:?}");
    }
}

#[test]
fn bit_flips_metadata_edits_and_injections_are_detected() {
    let w = World::new();
    let g = w.a.genesis();
    // A flipped bit in an op payload.
    w.on_pull(|r, _, _| {
        let mut p = proto::unb64(&r.ops[1].op.payload, "p").unwrap();
        p[5] ^= 1;
        r.ops[1].op.payload = proto::b64(&p);
    });
    assert!(matches!(w.attack(&g), SyncError::Tampered { what: "op signature", seq: Some(2) }));
    // Edited op metadata (counter), re-chained and re-signed.
    w.on_pull(|r, k, v| {
        r.ops[3].op.counter = 2;
        rechain(r, k, v, genesis_of(v));
    });
    assert!(matches!(w.attack(&g), SyncError::Tampered { seq: Some(4), .. }));
    // An op signed by a key that is not a device of the vault, re-chained and re-signed.
    w.on_pull(|r, k, v| {
        let intruder = key();
        let op = Op::sign(&intruder, v, 1, genesis_of(v), proto::pad_payload(b"evil").unwrap());
        r.ops.insert(0, OpRecord { seq: 1, op: op.to_wire() });
        rechain(r, k, v, genesis_of(v));
    });
    assert!(matches!(w.attack(&g), SyncError::UnknownWriter { seq: 1 }));
}

#[test]
fn head_signature_tampering_is_detected() {
    let w = World::new();
    let g = w.a.genesis();
    w.on_pull(|r, _, _| {
        let mut sig = proto::unb64(&r.head.sig, "s").unwrap();
        sig[0] ^= 1;
        r.head.sig = proto::b64(&sig);
    });
    assert!(matches!(w.attack(&g), SyncError::BadServerSignature));
    // Head edited (time) without re-signing.
    w.on_pull(|r, _, _| r.head.time += 1);
    assert!(matches!(w.attack(&g), SyncError::BadServerSignature));
    // Everything re-signed by a key other than the pinned one.
    w.on_pull(|r, _, v| {
        let other = key();
        rechain(r, &other, v, genesis_of(v));
    });
    assert!(matches!(w.attack(&g), SyncError::BadServerSignature));
}

#[test]
fn swapped_or_flipped_chunks_are_detected() {
    let w = World::new();
    let data = test_bytes(600_000, 3);
    let cancel = CancelToken::new();
    let rep = w.a.client.upload_blob(&[1u8; 16], &data, &|_| {}, &cancel).unwrap();
    let victim = w.victim();
    assert_eq!(victim.download_blob(&rep.blob, &|_| {}, &cancel).unwrap(), data);
    // Swap: the server answers chunk 0 with chunk 1's bytes (batched fetch: frames `len || bytes`).
    fn frames(body: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < body.len() {
            let len = u32::from_be_bytes(body[at..at + 4].try_into().unwrap()) as usize;
            out.push(body[at + 4..at + 4 + len].to_vec());
            at += 4 + len;
        }
        out
    }
    fn unframe(frames: &[Vec<u8>]) -> Vec<u8> {
        frames.iter().flat_map(|f| [(f.len() as u32).to_be_bytes().to_vec(), f.clone()].concat()).collect()
    }
    w.set_hook(|_, path, body| {
        if path.ends_with("/chunks/fetch") {
            let mut f = frames(&body);
            f[0] = f[1].clone();
            unframe(&f)
        } else {
            body
        }
    });
    let e = victim.download_blob(&rep.blob, &|_| {}, &cancel);
    assert!(matches!(e, Err(SyncError::ChunkCorrupt { index: 0 })), "{:?}", e.map(|d| d.len()));
    // Flip: one bit of the last chunk.
    w.set_hook(|_, path, body| {
        if path.ends_with("/chunks/fetch") {
            let mut f = frames(&body);
            f[2][10] ^= 0x80;
            unframe(&f)
        } else {
            body
        }
    });
    assert!(matches!(victim.download_blob(&rep.blob, &|_| {}, &cancel), Err(SyncError::ChunkCorrupt { index: 2 })));
    // Truncated framing.
    w.set_hook(|_, path, mut body| {
        if path.ends_with("/chunks/fetch") {
            body.truncate(body.len() - 1);
        }
        body
    });
    assert!(victim.download_blob(&rep.blob, &|_| {}, &cancel).is_err());
    // Single-chunk GET is checked too.
    let c0 = rep.blob.chunks[0].clone();
    let c1 = rep.blob.chunks[1].clone();
    let chunk1 =
        w.s.rt
            .block_on(w.a.client.async_client().get_chunk(&proto::ChunkAddr::parse(&c1).unwrap().to_bytes()))
            .unwrap();
    w.set_hook(move |_, path, body| if path.ends_with(&c0) { chunk1.to_vec() } else { body });
    let h0 = proto::ChunkAddr::parse(&rep.blob.chunks[0]).unwrap().to_bytes();
    assert!(matches!(w.s.rt.block_on(victim.async_client().get_chunk(&h0)), Err(SyncError::Tampered { .. })));
    // A reordered chunk list in a doctored BlobRef is caught by the hashes too (the app takes BlobRef from a
    // verified op, never from the server).
    let mut doctored = rep.blob.clone();
    doctored.chunks.swap(0, 1);
    w.set_hook(|_, _, b| b);
    let got = victim.download_blob(&doctored, &|_| {}, &cancel);
    assert!(got.map(|d| d != data).unwrap_or(true));
}

#[test]
fn an_honest_pull_through_the_proxy_verifies() {
    let w = World::new();
    w.set_hook(|_, _, b| b);
    let (ops, st) = w.victim().pull(&w.a.genesis(), &mut w.writers.clone()).unwrap();
    assert_eq!(ops.len(), 4);
    assert_eq!(st.point.seq, 4);
    assert_eq!(ops[3].ciphertext, b"b1");
}
