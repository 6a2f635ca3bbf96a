//! The server's API against a real server on 127.0.0.1: bad requests, quotas, devices, ops, blobs,
//! linking, OpenAPI.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use coffre_sync::protocol::{self as proto, PROTOCOL_VERSION};
use coffre_sync::{
    CancelToken, ChainState, ErrorKind, KnownWriters, LinkGrant, LinkOffer, LinkQr, MailboxSlot, OpDraft, SasNonce,
    SyncError, decode_nonce, encode_nonce, responder_code, seal_grant,
};
use common::*;

fn code(r: &(u16, Option<proto::ErrorBody>, Vec<u8>)) -> (u16, String) {
    (r.0, r.1.as_ref().map(|e| e.error.clone()).unwrap_or_default())
}

fn chunk(fill: u8, len: usize) -> Vec<u8> {
    proto::pad_chunk(vec![fill; len])
}

#[test]
fn bad_request_matrix_is_refused_and_server_keeps_serving() {
    let s = TestServer::start_with(|c| {
        c.max_chunk_bytes = 64 * 1024;
        c.max_json_bytes = 16 * 1024;
    });
    let a = s.vault();
    let b = s.vault();
    let va = format!("/v1/vaults/{}", a.vault_hex());
    let vb = format!("/v1/vaults/{}", b.vault_hex());
    let cb = chunk(9, 1000);
    let hb = b.client.async_client().clone();
    s.rt.block_on(hb.put_chunk(cb.clone())).unwrap();
    let hb_hex = hex::encode(proto::chunk_address(&cb));

    // Unsigned.
    assert_eq!(code(&s.raw("GET", &va, vec![], None, |_| {})), (401, "unsigned".into()));
    // Signature by another key than the announced device.
    let other = key();
    let r = s.raw("GET", &va, vec![], Some(&other), |auth| auth.device = proto::b64(&pk(&a.device)));
    assert_eq!(code(&r), (401, "bad_signature".into()));
    // Garbage signature.
    let r = s.raw("GET", &va, vec![], Some(&a.device), |auth| auth.signature = "AAAA".into());
    assert_eq!(code(&r), (401, "bad_signature".into()));
    // Body changed after signing: sign an empty body, send another (the headers verify; the body does
    // not match the signed length and hash).
    let sig = proto::sign_request(&a.device, "POST", &format!("{va}/chunks/missing"), b"", now(), &[1; 16]);
    let mut req = s.http.post(format!("{}{va}/chunks/missing", s.url)).body(r#"{"v":2,"hashes":[]}"#);
    for (k, v) in sig.headers() {
        req = req.header(k, v.to_string());
    }
    assert_eq!(code(&s.send(req)), (400, "body_mismatch".into()));
    // Stale timestamp.
    let stale = proto::sign_request(&a.device, "GET", &va, b"", now() - 3600, &[2; 16]);
    let mut req = s.http.get(format!("{}{va}", s.url));
    for (k, v) in stale.headers() {
        req = req.header(k, v.to_string());
    }
    assert_eq!(code(&s.send(req)), (401, "stale_timestamp".into()));
    // Replay: the same signed request twice.
    let auth = proto::sign_request(&a.device, "GET", &va, b"", now(), &[3; 16]);
    let build = || {
        let mut req = s.http.get(format!("{}{va}", s.url));
        for (k, v) in auth.headers() {
            req = req.header(k, v.to_string());
        }
        req
    };
    assert_eq!(s.send(build()).0, 200);
    assert_eq!(code(&s.send(build())), (401, "replayed".into()));
    // Oversized chunk and oversized JSON.
    let big = proto::pad_chunk(vec![1u8; 100 * 1024]);
    let path = format!("{va}/chunks/{}", hex::encode(proto::chunk_address(&big)));
    assert_eq!(code(&s.raw("PUT", &path, big, Some(&a.device), |_| {})), (413, "payload_too_large".into()));
    let big_json = format!(r#"{{"v":2,"hashes":["{}"]}}"#, "0".repeat(32 * 1024));
    let r = s.raw("POST", &format!("{va}/chunks/missing"), big_json.into_bytes(), Some(&a.device), |_| {});
    assert_eq!(code(&r), (413, "payload_too_large".into()));
    // Unknown vault.
    let unknown = format!("/v1/vaults/{}", hex::encode([7u8; 32]));
    assert_eq!(code(&s.raw("GET", &unknown, vec![], Some(&a.device), |_| {})), (404, "unknown_vault".into()));
    // Another vault's chunk: through the other vault's path (not a member) and through one's own.
    let r = s.raw("GET", &format!("{vb}/chunks/{hb_hex}"), vec![], Some(&a.device), |_| {});
    assert_eq!(code(&r), (403, "not_a_member".into()));
    let r = s.raw("GET", &format!("{va}/chunks/{hb_hex}"), vec![], Some(&a.device), |_| {});
    assert_eq!(code(&r), (404, "unknown_chunk".into()));
    // Chunk whose length is not a Padmé length, and chunk not matching its address.
    let odd = vec![1u8; 1001];
    let r =
        s.raw("PUT", &format!("{va}/chunks/{}", hex::encode(proto::chunk_address(&odd))), odd, Some(&a.device), |_| {});
    assert_eq!(code(&r), (400, "bad_padding".into()));
    let r = s.raw("PUT", &format!("{va}/chunks/{}", hex::encode([0u8; 32])), chunk(1, 100), Some(&a.device), |_| {});
    assert_eq!(code(&r), (400, "hash_mismatch".into()));
    // Malformed JSON and wrong version.
    let r = s.raw("POST", &format!("{va}/chunks/missing"), b"{not json".to_vec(), Some(&a.device), |_| {});
    assert_eq!(code(&r), (400, "bad_json".into()));
    let r = s.raw("POST", &format!("{va}/chunks/missing"), br#"{"v":9,"hashes":[]}"#.to_vec(), Some(&a.device), |_| {});
    assert_eq!(code(&r), (400, "unsupported_version".into()));
    // Unknown route.
    assert_eq!(code(&s.raw("GET", "/v1/nothing", vec![], None, |_| {})), (404, "no_route".into()));

    // Still serving, and the metrics counted the refusals.
    assert_eq!(s.raw("GET", "/healthz", vec![], None, |_| {}).0, 200);
    assert!(a.client.vault_info().is_ok());
    let (_, _, metrics) = s.raw("GET", "/metrics", vec![], None, |_| {});
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(metrics.contains("coffre_auth_failures_total{reason=\"replay\"} 1"), "{metrics}");
    assert!(!metrics.contains(&a.vault_hex()));
}

#[test]
fn ops_round_trip_across_two_devices_with_paging() {
    let s = TestServer::start_with(|c| c.max_pull_ops = 3);
    let a = s.vault();
    let (b_key, b) = a.enroll(&s.url);
    let mut writers = KnownWriters::new([pk(&a.device), pk(&b_key)]);
    // A writes 4 ops.
    let g = a.genesis();
    let drafts: Vec<OpDraft> =
        (1..=4).map(|n| OpDraft { counter: n, ciphertext: vec![n as u8; 50 * n as usize] }).collect();
    let out = a.client.sync(&g, &drafts, &mut writers.clone()).unwrap();
    assert_eq!(out.appended.unwrap().seqs, vec![1, 2, 3, 4]);
    assert_eq!(out.state.point.seq, 4);
    let a_state = out.state;
    // B pulls from genesis (two pages of 3), sees A's ops, then writes on top.
    let (ops, b_state) = b.pull(&g, &mut writers).unwrap();
    assert_eq!(ops.len(), 4);
    assert_eq!(ops[2].ciphertext, vec![3u8; 150]);
    assert_eq!(b_state, a_state);
    let out = b.sync(&b_state, &[OpDraft { counter: 1, ciphertext: b"from b".to_vec() }], &mut writers).unwrap();
    assert_eq!(out.ops.len(), 1);
    assert_eq!(out.ops[0].seen, a_state.point);
    // A pulls B's op from its own state.
    let (ops, a2) = a.client.pull(&a_state, &mut writers).unwrap();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0].ciphertext, b"from b");
    assert_eq!(a2, out.state);
    // Persisted state round-trips.
    assert_eq!(ChainState::from_json(&a2.to_json()).unwrap(), a2);
    // Retrying an append already done is harmless: same seqs, nothing duplicated.
    let again = a.client.append(&g, &drafts).unwrap();
    assert_eq!(again.seqs, vec![1, 2, 3, 4]);
    assert_eq!(again.head.seq, 5);
    // A counter that skips is refused.
    let err = a.client.append(&a2, &[OpDraft { counter: 9, ciphertext: vec![1] }]).unwrap_err();
    assert_eq!(err.code(), Some("counter_mismatch"));
}

#[test]
fn quota_exceeded_is_507_with_code() {
    let s = TestServer::start_with(|c| c.quota_bytes = 10_000);
    let a = s.vault();
    let c = a.client.async_client().clone();
    s.rt.block_on(c.put_chunk(chunk(1, 6000))).unwrap();
    let err = s.rt.block_on(c.put_chunk(chunk(2, 6000))).unwrap_err();
    assert!(matches!(err, SyncError::QuotaExceeded), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::QuotaExceeded);
    let path = format!("/v1/vaults/{}/chunks/{}", a.vault_hex(), hex::encode(proto::chunk_address(&chunk(3, 6000))));
    assert_eq!(code(&s.raw("PUT", &path, chunk(3, 6000), Some(&a.device), |_| {})), (507, "quota_exceeded".into()));
    // Re-putting a stored chunk is not charged twice.
    s.rt.block_on(c.put_chunk(chunk(1, 6000))).unwrap();
    assert_eq!(a.client.vault_info().unwrap().usage_bytes, chunk(1, 6000).len() as u64);
}

#[test]
fn removed_device_is_refused_at_once() {
    let s = TestServer::start();
    let a = s.vault();
    let (lost_key, lost) = a.enroll(&s.url);
    assert!(lost.vault_info().is_ok());
    // Removal from another enrolled device.
    a.client.remove_device(&pk(&lost_key)).unwrap();
    let err = lost.vault_info().unwrap_err();
    assert!(matches!(err, SyncError::DeviceRevoked), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Revoked);
    let err = lost.append(&a.genesis(), &[OpDraft { counter: 1, ciphertext: vec![1] }]).unwrap_err();
    assert!(matches!(err, SyncError::DeviceRevoked));
    // It cannot be re-added with the same key, nor remove others.
    assert_eq!(a.client.add_device(&pk(&lost_key)).unwrap_err().code(), Some("device_was_removed"));
    assert!(matches!(lost.remove_device(&pk(&a.device)).unwrap_err(), SyncError::DeviceRevoked));
    let list = a.client.devices().unwrap();
    assert_eq!(list.devices.len(), 2);
    assert_eq!(list.devices.iter().filter(|d| d.removed_at.is_some()).count(), 1);
}

#[test]
fn blob_commit_waits_for_chunks_and_round_trips() {
    let s = TestServer::start();
    let a = s.vault();
    let cancel = CancelToken::new();
    let data: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
    // Commit before upload: refused with the missing list.
    let chunks = coffre_sync::split_chunks(&data, coffre_sync::DEFAULT_CHUNK_SIZE);
    let hashes: Vec<String> = chunks.iter().map(|c| hex::encode(proto::chunk_address(c))).collect();
    let body = serde_json::to_vec(&proto::BlobCommitRequest {
        v: PROTOCOL_VERSION,
        blob_id: hex::encode([5u8; 16]),
        chunks: hashes.clone(),
    })
    .unwrap();
    let r = s.raw("POST", &format!("/v1/vaults/{}/blobs", a.vault_hex()), body, Some(&a.device), |_| {});
    assert_eq!(code(&r), (409, "missing_chunks".into()));
    assert_eq!(r.1.unwrap().missing.len(), 3);
    // Upload with progress; second upload sends nothing.
    let seen = std::sync::Mutex::new(Vec::new());
    let rep = a.client.upload_blob(&[5u8; 16], &data, &|p| seen.lock().unwrap().push(p), &cancel).unwrap();
    assert_eq!((rep.chunks_sent, rep.chunks_skipped), (3, 0));
    let last = *seen.lock().unwrap().last().unwrap();
    assert_eq!((last.done_chunks, last.total_chunks), (3, 3));
    let rep2 = a.client.upload_blob(&[5u8; 16], &data, &|_| {}, &cancel).unwrap();
    assert_eq!((rep2.chunks_sent, rep2.chunks_skipped), (0, 3));
    let back = a.client.download_blob(&rep.blob, &|_| {}, &cancel).unwrap();
    assert_eq!(back, data);
    // Cancellation before start.
    let c2 = CancelToken::new();
    c2.cancel();
    assert!(matches!(a.client.upload_blob(&[6u8; 16], &data, &|_| {}, &c2), Err(SyncError::Cancelled)));
    assert!(matches!(a.client.download_blob(&rep.blob, &|_| {}, &c2), Err(SyncError::Cancelled)));
}

#[test]
fn device_linking_by_qr_through_the_mailbox() {
    let s = TestServer::start();
    let a = s.vault();
    // New phone.
    let new_key = key();
    let offer = LinkOffer::new(&s.url, pk(&new_key));
    let qr_text = offer.qr().encode();
    let new_client = s.client(&new_key);
    assert_eq!(new_client.mailbox_get(&offer.qr().mailbox(MailboxSlot::Contribution)).unwrap(), None);
    // Enrolled phone scans and contributes; the new phone reads it and reveals; both show the same code.
    let qr = LinkQr::parse(&qr_text).unwrap();
    let contribution = SasNonce::generate();
    a.client.mailbox_put(&qr.mailbox(MailboxSlot::Contribution), &encode_nonce(&contribution)).unwrap();
    let got = new_client.mailbox_get(&offer.qr().mailbox(MailboxSlot::Contribution)).unwrap().unwrap();
    let seen = decode_nonce(&got).unwrap();
    new_client.mailbox_put(&offer.qr().mailbox(MailboxSlot::Reveal), &offer.reveal()).unwrap();
    let revealed = decode_nonce(&a.client.mailbox_get(&qr.mailbox(MailboxSlot::Reveal)).unwrap().unwrap()).unwrap();
    assert_eq!(responder_code(&qr, &contribution, &revealed).unwrap(), offer.short_code(&seen));
    // Enrolls the key and leaves the sealed grant.
    a.client.add_device(&qr.device_pk).unwrap();
    let ark = vec![42u8; 32];
    let grant = LinkGrant { vault: a.reg.vault, server_pk: a.reg.server_pk, secret: ark.clone().into() };
    let grant_box = qr.mailbox(MailboxSlot::Grant);
    a.client.mailbox_put(&grant_box, &seal_grant(&qr, &contribution, &grant).unwrap()).unwrap();
    // A second put is refused; a wrong key cannot read.
    assert_eq!(a.client.mailbox_put(&grant_box, b"x").unwrap_err().code(), Some("mailbox_occupied"));
    let id = proto::mailbox_id(&proto::mailbox_key(&grant_box));
    let r = s.send(
        s.http
            .get(format!("{}/v1/mailbox/{}", s.url, hex::encode(id)))
            .header(proto::HDR_MAILBOX_KEY, proto::b64(&[0u8; 32])),
    );
    assert_eq!(code(&r), (403, "bad_mailbox_key".into()));
    // New phone opens it and works with the vault.
    let sealed = new_client.mailbox_get(&grant_box).unwrap().unwrap();
    let got = offer.open(&sealed, &seen).unwrap();
    assert_eq!(&got.secret[..], &ark[..]);
    new_client.mailbox_delete(&grant_box).unwrap();
    new_client.attach(got.vault, got.server_pk);
    let mut w = KnownWriters::new([pk(&a.device), pk(&new_key)]);
    let out = new_client
        .sync(&ChainState::genesis(got.vault), &[OpDraft { counter: 1, ciphertext: b"hi".to_vec() }], &mut w)
        .unwrap();
    assert_eq!(out.state.point.seq, 1);
}

#[test]
fn rate_limit_per_device() {
    let s = TestServer::start_with(|c| {
        c.rate_burst = 5;
        c.rate_per_sec = 2;
    });
    let a = s.vault(); // registration took one token
    let info = format!("/v1/vaults/{}", a.vault_hex());
    let once =
        || s.rt.block_on(a.client.async_client().send_once(reqwest::Method::GET, &info, Default::default(), true));
    // Unpaced, the device is refused past its burst with a 429 that says how long to wait.
    let mut limited = 0;
    for _ in 0..10 {
        if let Err(e) = once() {
            assert!(matches!(e, SyncError::ServerBusy { status: 429, retry_after_secs: 1.. }), "{e:?}");
            assert_eq!(e.kind(), ErrorKind::Network);
            limited += 1;
        }
    }
    assert!(limited >= 5, "{limited}");
    // The client's own calls wait the Retry-After and go through.
    for _ in 0..4 {
        a.client.vault_info().unwrap();
    }
    assert!(a.client.busy_answers() >= 1, "the paced calls met the limit and waited it out");
    // Another device is not affected.
    let b = s.vault();
    assert!(b.client.vault_info().is_ok());
    assert_eq!(b.client.busy_answers(), 0);
}

#[test]
fn openapi_lists_exactly_the_routes() {
    let s = TestServer::start();
    let (status, _, body) = s.raw("GET", "/openapi.json", vec![], None, |_| {});
    assert_eq!(status, 200);
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, methods) in doc["paths"].as_object().unwrap() {
        for m in methods.as_object().unwrap().keys() {
            documented.push((m.clone(), path.clone()));
        }
    }
    let mut routes: Vec<(String, String)> =
        coffre_sync_server::router::ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    documented.sort();
    routes.sort();
    assert_eq!(documented, routes);
    // And every listed route exists in the router (no fallback, no 405).
    for (m, p) in &routes {
        let path = p
            .replace("{vault}", &"a".repeat(64))
            .replace("{hash}", &"b".repeat(64))
            .replace("{device}", "AAAA")
            .replace("{blob_id}", &"c".repeat(32))
            .replace("{id}", &"d".repeat(64))
            .replace("{index}", "0");
        let (status, err, _) = s.raw(&m.to_uppercase(), &path, vec![], None, |_| {});
        assert_ne!(status, 405, "{m} {p}");
        assert_ne!(err.map(|e| e.error), Some("no_route".to_string()), "{m} {p}");
    }
}

#[test]
fn server_info_and_registration_idempotence() {
    let s = TestServer::start();
    let a = s.vault();
    let info = a.client.server_info().unwrap();
    assert_eq!(info.server_pk, proto::b64(&s.server_pk));
    // Same identity + device again: fine; same identity with another first device: conflict.
    assert!(a.client.register(&a.identity).is_ok());
    let other = s.client(&key());
    assert_eq!(other.register(&a.identity).unwrap_err().code(), Some("vault_exists"));
}

/// `since` past the chain, even 2^64-1, is an empty page with the head (it used to reach the store
/// and answer 500); what is not a 64-bit integer is `400 bad_query`.
#[test]
fn pull_since_beyond_the_chain_is_an_empty_page_and_overflow_is_bad_query() {
    let s = TestServer::start();
    let a = s.vault();
    let ops = format!("/v1/vaults/{}/ops", a.vault_hex());
    for q in ["since=18446744073709551615", "since=9223372036854775808", "since=9223372036854775807", "since=7"]
        .into_iter()
        .chain(["limit=18446744073709551615", "since=18446744073709551615&limit=18446744073709551615", "limit=0"])
    {
        let (status, err, body) = s.raw("GET", &format!("{ops}?{q}"), vec![], Some(&a.device), |_| {});
        assert_eq!(status, 200, "{q}: {err:?}");
        let page: proto::PullResponse = serde_json::from_slice(&body).unwrap();
        assert!(page.ops.is_empty() && !page.more, "{q}");
        assert_eq!(page.head.seq, 0, "{q}");
    }
    for q in ["since=18446744073709551616", "since=-1", "since=1e3", "limit=18446744073709551616", "limit=-5"] {
        let r = s.raw("GET", &format!("{ops}?{q}"), vec![], Some(&a.device), |_| {});
        assert_eq!(code(&r), (400, "bad_query".into()), "{q}");
    }
    // Still serving the normal pull afterwards.
    assert_eq!(s.raw("GET", &format!("{ops}?since=0"), vec![], Some(&a.device), |_| {}).0, 200);
}

/// `/metrics` shows the server's load and failures: without a token only to this machine (and not
/// through a proxy on it), with a token only to whoever sends it.
#[test]
fn metrics_answer_loopback_without_token_and_only_the_token_with_one() {
    let s = TestServer::start();
    let (status, _, body) = s.raw("GET", "/metrics", vec![], None, |_| {});
    assert_eq!(status, 200);
    assert!(String::from_utf8(body).unwrap().contains("coffre_http_requests_total"));
    // A proxy on this machine connects from loopback but forwards someone else's request.
    let proxied = s.send(s.http.get(format!("{}/metrics", s.url)).header("x-forwarded-for", "203.0.113.9"));
    assert_eq!(code(&proxied), (404, "no_route".into()));
    drop(s);

    let token = "a-metrics-token-for-this-test";
    let s = TestServer::start_with(|c| c.metrics_token = token.into());
    let get = |auth: Option<&str>| {
        let mut req = s.http.get(format!("{}/metrics", s.url));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        s.send(req)
    };
    assert_eq!(code(&get(None)), (401, "metrics_token".into()), "loopback alone is not enough once a token is set");
    assert_eq!(code(&get(Some("Bearer a-metrics-token-for-this-tesT"))), (401, "metrics_token".into()));
    assert_eq!(code(&get(Some(token))), (401, "metrics_token".into()), "the Bearer scheme is required");
    let (status, _, body) = get(Some(&format!("Bearer {token}")));
    assert_eq!(status, 200);
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains("coffre_http_requests_total") && !text.contains(token));
}
