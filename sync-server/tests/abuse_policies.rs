//! Abuse of the anonymous and public parts of the server, replayed against a real server by hostile
//! clients from their own network addresses (127.0.0.2 is the attacker, 127.0.0.1 everyone else: the
//! server counts per client address): a mailbox flood, a registration flood and unlisted organisations,
//! and share links opened with their id alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::IpAddr;
use std::time::Duration;

use coffre_mandate::OrgKey;
use coffre_mandate::wire::OrgRegisterRequest;
use coffre_sync::protocol::share::{
    HDR_SHARE_PROOF, SHARE_VERSION, ShareCreate, ShareOpened, join_frames, open_check, open_proof,
};
use coffre_sync::protocol::{self as proto, HDR_MAILBOX_KEY, MailboxMessage, PROTOCOL_VERSION, RegisterRequest, b64};
use coffre_sync_server::Config;
use common::{TestServer, key, now, test_bytes};

const ATTACKER: [u8; 4] = [127, 0, 0, 2];

fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder().local_address(IpAddr::from(ip)).build().unwrap()
}

/// `PUT /v1/mailbox/{id}` for a fresh mailbox, as any anonymous client can; returns the status.
fn put_mailbox(s: &TestServer, http: &reqwest::Client, secret: &[u8; 32]) -> (u16, String) {
    let key = proto::mailbox_key(secret);
    let id = hex::encode(proto::mailbox_id(&key));
    let body =
        serde_json::to_vec(&MailboxMessage { v: PROTOCOL_VERSION, message: b64(&[1; 64]), expires_at: 0 }).unwrap();
    let req = http.put(format!("{}/v1/mailbox/{id}", s.url)).header(HDR_MAILBOX_KEY, b64(&key)).body(body);
    let (status, err, _) = s.send(req);
    (status, err.map(|e| e.error).unwrap_or_default())
}

#[test]
fn a_mailbox_flood_from_one_address_does_not_stop_a_link_from_another() {
    let d = Config::default();
    let s = TestServer::start_with(|c| {
        c.mailboxes_per_address = d.mailboxes_per_address;
        c.mailbox_refill_secs = d.mailbox_refill_secs;
        // A small pool, so the flood would fill it in a test's time (10 000 in production).
        c.max_mailboxes = 300;
    });
    let attacker = client_from(ATTACKER);
    let (mut stored, mut limited) = (0, 0);
    for n in 0..400u32 {
        let mut secret = [0u8; 32];
        secret[..4].copy_from_slice(&n.to_be_bytes());
        match put_mailbox(&s, &attacker, &secret) {
            (201, _) => stored += 1,
            (429, code) if code == "address_limited" => limited += 1,
            other => panic!("{other:?}"),
        }
    }
    eprintln!("mailbox flood from one address: {stored} stored, {limited} refused");
    assert!(stored <= d.mailboxes_per_address, "{stored}");
    assert!(limited >= 400 - d.mailboxes_per_address, "{limited}");

    // Meanwhile a phone links a new device from another address: the enrolled phone posts the sealed key
    // in the one-shot mailbox, the new phone reads it (the client's own calls).
    let enrolled = s.client(&key());
    let new_phone = s.client(&key());
    let secret = [9u8; 32];
    enrolled.mailbox_put(&secret, b"sealed account key").unwrap();
    assert_eq!(new_phone.mailbox_get(&secret).unwrap().as_deref(), Some(b"sealed account key".as_slice()));
}

/// A vault registration as the client sends it, from `http`'s address; returns status and code.
fn register_from(s: &TestServer, http: &reqwest::Client) -> (u16, String) {
    register_invited(s, http, None)
}

fn register_invited(s: &TestServer, http: &reqwest::Client, invitation: Option<&str>) -> (u16, String) {
    let identity = key();
    let device = key();
    let (ipk, dpk) = (identity.verifying_key().to_bytes(), device.verifying_key().to_bytes());
    let body = serde_json::to_vec(&RegisterRequest {
        v: PROTOCOL_VERSION,
        identity_pk: b64(&ipk),
        device_pk: b64(&dpk),
        identity_sig: b64(&proto::sign(&identity, &proto::register_message(&ipk, &dpk))),
        invitation: invitation.map(str::to_string),
    })
    .unwrap();
    let mut nonce = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce);
    let auth = proto::sign_request(&device, "POST", "/v1/vaults", &body, now(), &nonce);
    let mut req = http.post(format!("{}/v1/vaults", s.url)).body(body);
    for (k, v) in auth.headers() {
        req = req.header(k, v);
    }
    let (status, err, _) = s.send(req);
    (status, err.map(|e| e.error).unwrap_or_default())
}

/// The defaults of the registration limits (the harness relaxes them for the other tests).
fn default_registration(c: &mut Config) {
    let d = Config::default();
    c.registration = d.registration;
    c.registrations_per_address = d.registrations_per_address;
    c.registration_refill_secs = d.registration_refill_secs;
}

#[test]
fn the_default_policy_refuses_a_registration_flood_from_one_address() {
    let s = TestServer::start_with(default_registration);
    let attacker = client_from(ATTACKER);
    let start = std::time::Instant::now();
    let mut outcomes = std::collections::BTreeMap::<(u16, String), u32>::new();
    for _ in 0..500 {
        *outcomes.entry(register_from(&s, &attacker)).or_default() += 1;
    }
    eprintln!("500 registrations from one address in {:?}: {outcomes:?}", start.elapsed());
    let created = outcomes.get(&(201, String::new())).copied().unwrap_or(0);
    let refused = outcomes.get(&(403, "address_limited".to_string())).copied().unwrap_or(0);
    assert_eq!(created, Config::default().registrations_per_address);
    assert_eq!(created + refused, 500);
    // Another address still registers, and a new vault starts with the small quota.
    let h = s.vault();
    assert_eq!(h.client.vault_info().unwrap().quota_bytes, Config::default().initial_quota_bytes);
}

#[test]
fn a_closed_server_registers_no_vault() {
    let closed = TestServer::start_with(|c| c.registration = "closed".into());
    assert_eq!(register_from(&closed, &closed.http), (403, "registration_closed".to_string()));
    let ccas = OrgKey::generate("CCAS de Test").unwrap();
    assert_eq!(register_org(&closed, &ccas), (403, "registration_closed".to_string()));
}

#[test]
fn invitation_only_registration_takes_one_code_per_vault_from_a_certified_agent() {
    let s = TestServer::start_with(|c| c.registration = "invitation".into());
    assert_eq!(register_from(&s, &s.http), (403, "invitation_required".to_string()));
    // The structure registers and certifies an agent, whose device asks for a code.
    let ccas = OrgKey::generate("CCAS de Test").unwrap();
    assert_eq!(register_org(&s, &ccas), (201, String::new()));
    let agent = key();
    let x = coffre_crypto::ExchangeSecret::generate();
    let t = now();
    let cert = ccas
        .certify(*agent.verifying_key().as_bytes(), *x.public().as_bytes(), "Mme Martin", "ASS", t - 10, t + 86_400)
        .unwrap()
        .encode();
    let invitation = s.client(&agent).create_invitation(&ccas.public(), &cert).unwrap();
    // A stranger's key with that certificate, or a made-up code, gets nothing.
    let stranger = s.client(&key()).create_invitation(&ccas.public(), &cert).unwrap_err();
    assert_eq!(stranger.code(), Some("invalid_signed_object"));
    assert_eq!(register_invited(&s, &s.http, Some(&b64(&[0; 16]))), (403, "bad_invitation".to_string()));
    // The code registers one vault, once.
    assert_eq!(register_invited(&s, &s.http, Some(&invitation.code)), (201, String::new()));
    assert_eq!(register_invited(&s, &s.http, Some(&invitation.code)), (403, "bad_invitation".to_string()));
    // With the client's own call, and a new code: an invited vault gets the full quota at once.
    let code = s.client(&agent).create_invitation(&ccas.public(), &cert).unwrap().code;
    let holder = s.client(&key());
    holder.register_invited(&key(), &code).unwrap();
    assert_eq!(holder.vault_info().unwrap().quota_bytes, Config::default().quota_bytes);
}

fn register_org(s: &TestServer, org: &OrgKey) -> (u16, String) {
    let body =
        serde_json::to_vec(&OrgRegisterRequest { v: 1, registration: b64(&org.registration(now()).encode()) }).unwrap();
    let (status, err, _) = s.raw("POST", "/v1/orgs", body, None, |_| {});
    (status, err.map(|e| e.error).unwrap_or_default())
}

#[test]
fn organisations_register_only_from_the_operators_allowlist() {
    let ccas = OrgKey::generate("CCAS de Test").unwrap();
    let listed = b64(&ccas.public());
    let default = TestServer::start_with(|c| c.org_allowlist = Config::default().org_allowlist);
    assert_eq!(register_org(&default, &ccas), (403, "org_not_allowed".to_string()));
    let s = TestServer::start_with(|c| c.org_allowlist = format!("{},{listed}", b64(&[7; 32])));
    assert_eq!(register_org(&s, &ccas), (201, String::new()));
    let stranger = OrgKey::generate("Pas invitée").unwrap();
    assert_eq!(register_org(&s, &stranger), (403, "org_not_allowed".to_string()));
}

#[test]
fn a_new_vault_stores_up_to_its_initial_quota() {
    let s = TestServer::start_with(|c| {
        c.initial_quota_bytes = 64 << 10;
        c.quota_bytes = 1 << 30;
    });
    let h = s.vault();
    assert_eq!(h.client.vault_info().unwrap().quota_bytes, 64 << 10);
    let mut stored = 0;
    let refused = (0..10u64).find_map(|n| {
        let chunk = proto::pad_payload(&test_bytes(15_000, n)).unwrap();
        let path = format!("/v1/vaults/{}/chunks/{}", h.vault_hex(), hex::encode(proto::chunk_address(&chunk)));
        let len = chunk.len();
        match s.raw("PUT", &path, chunk, Some(&h.device), |_| {}) {
            (201, _, _) => {
                stored += len;
                None
            }
            (status, err, _) => Some((status, err.map(|e| e.error).unwrap_or_default())),
        }
    });
    assert_eq!(refused, Some((507, "quota_exceeded".to_string())));
    assert!(stored <= 64 << 10 && stored > 32 << 10, "{stored}");
}

/// A share with link key `[id; 32]`, one page of `page` bytes, opened at most `max_opens` times.
fn share(s: &TestServer, h: &common::Holder, id: u8, page: &[u8], max_opens: u32) -> String {
    let header = ShareCreate {
        v: SHARE_VERSION,
        id: b64(&[id; 16]),
        expires_at: now() + 3600,
        max_opens: Some(max_opens),
        pages: 1,
        open_check: Some(b64(&open_check(&open_proof(&[id; 32])))),
    };
    let _ = s;
    h.client
        .share_create(&header, &proto::pad_payload(&[1; 40]).unwrap(), &[proto::pad_payload(page).unwrap()])
        .unwrap();
    b64(&[id; 16])
}

fn open(s: &TestServer, http: &reqwest::Client, id: &str, proof: Option<[u8; 32]>) -> (u16, String, Vec<u8>) {
    let mut req = http.post(format!("{}/s/{id}/open", s.url));
    if let Some(p) = proof {
        req = req.header(HDR_SHARE_PROOF, b64(&p));
    }
    let (status, err, body) = s.send(req);
    (status, err.map(|e| e.error).unwrap_or_default(), body)
}

fn audit_rows(s: &TestServer) -> i64 {
    s.db().query_row("SELECT count(*) FROM audit WHERE kind = 'share_opened'", [], |r| r.get(0)).unwrap()
}

#[test]
fn opening_a_share_with_its_id_alone_uses_no_opening_and_writes_no_audit() {
    let s = TestServer::start();
    let h = s.vault();
    let id = share(&s, &h, 3, b"page", 2);
    let attacker = client_from(ATTACKER);
    for proof in [None, Some([0u8; 32]), Some(open_proof(&[4; 32])), Some(open_check(&open_proof(&[3; 32])))] {
        for _ in 0..5 {
            assert_eq!(open(&s, &attacker, &id, proof).0, 404);
        }
    }
    assert_eq!(h.client.share_list().unwrap().shares[0].opened_at, Vec::<u64>::new());
    assert_eq!(audit_rows(&s), 0);
    // The recipient with the link opens it twice, as allowed.
    for n in 1..=2 {
        let (status, _, body) = open(&s, &s.http, &id, Some(open_proof(&[3; 32])));
        assert_eq!(status, 200);
        serde_json::from_slice::<ShareOpened>(&body).unwrap();
        assert_eq!(audit_rows(&s), n);
    }
    assert_eq!(open(&s, &s.http, &id, Some(open_proof(&[3; 32]))).1, "share_exhausted");
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Every byte of every file under `dir`.
fn data_dir_bytes(dir: &std::path::Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(data_dir_bytes(&p));
        } else {
            out.push(std::fs::read(&p).unwrap());
        }
    }
    out
}

#[test]
fn an_exhausted_shares_copies_are_gone_from_the_data_dir() {
    let s = TestServer::start_with(|c| {
        c.share_opening_secs = 1;
        c.purge_interval_secs = 1;
    });
    let h = s.vault();
    let page = test_bytes(3000, 77);
    let id = share(&s, &h, 5, &page, 1);
    let marker = &page[1000..1064];
    assert!(data_dir_bytes(&s.data_dir()).iter().any(|f| contains(f, marker)), "the copy is stored");
    let (status, _, body) = open(&s, &s.http, &id, Some(open_proof(&[5; 32])));
    assert_eq!(status, 200);
    let opened: ShareOpened = serde_json::from_slice(&body).unwrap();
    let (status, _, bytes) = s.raw("GET", &format!("/s/{id}/pages/0?t={}", opened.token), vec![], None, |_| {});
    assert_eq!((status, bytes), (200, proto::pad_payload(&page).unwrap()));
    // The last opening's page window (1 s) and one purge later, the copy is nowhere on disk.
    std::thread::sleep(Duration::from_secs(3));
    let pages: i64 = s.db().query_row("SELECT count(*) FROM share_pages", [], |r| r.get(0)).unwrap();
    assert_eq!(pages, 0);
    assert!(!data_dir_bytes(&s.data_dir()).iter().any(|f| contains(f, marker)), "the copy is still on disk");
    assert_eq!(open(&s, &s.http, &id, Some(open_proof(&[5; 32]))).1, "share_exhausted");
    assert_eq!(h.client.share_list().unwrap().shares[0].bytes, 0);
    let _ = join_frames;
}
