//! Issue 13 #1(b): a stolen phone, removed by the holder, against a real server. The thief holds the
//! phone's database (its ARK and device key), enrolled hidden keys on the server before the removal
//! (one of them certified in the log with the ARK's identity), and later gets a copy of the server's
//! data directory. After `remove_lost_device` (a new account key generation): nothing added after the
//! removal opens with what the thief holds, the hidden keys are refused, a switch signed under the old
//! generation is refused by the server, and the other devices no longer count the hidden key as a
//! writer. The remaining devices, a phone linked afterwards and the new kit all read everything; the
//! old kit opens nothing.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use coffre_core::crypto::{AccountRootKey, SigningKey, SymmetricKey, open_symmetric};
use coffre_core::recovery::{make_kit, recover_with_code, remove_lost_device};
use coffre_core::sync::protocol::generation::{GenerationSwitch, generation_message};
use coffre_core::sync::protocol::{PROTOCOL_VERSION, b64, unpad_payload, vault_id};
use coffre_core::sync::{BlobRef, BlockingClient, CancelToken, ChainState, KnownWriters, SyncError};
use coffre_core::sync_engine::{self, EngineError, SyncOptions};
use coffre_core::vault::{NewDocument, Origin, PageInput, PageRole, Vault};

const SECRET_AFTER: &[u8] = b"PAGE-APRES-LE-VOL";

fn page(marker: &[u8]) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.extend(marker);
    v.extend((0..4_000).map(|i| (i * 7 % 251) as u8));
    v
}

fn add(v: &mut Vault, title: &str, marker: &[u8]) -> coffre_core::vault::DocId {
    let meta = NewDocument { category: "carte_identite".into(), title: title.into(), ..Default::default() };
    v.add_document(
        meta,
        Origin::Camera,
        vec![PageInput { bytes: page(marker), mime: "image/jpeg".into(), role: PageRole::Page }],
    )
    .unwrap()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The device key a vault syncs as, read from its (stolen) database.
fn device_key_of(v: &Vault) -> SigningKey {
    SigningKey::from_bytes(v.state_get("sync.device_sk").unwrap().unwrap().try_into().unwrap())
}

fn status_of(e: &SyncError) -> Option<u16> {
    match e {
        SyncError::Server { status, .. } => Some(*status),
        SyncError::DeviceRevoked => Some(403),
        _ => None,
    }
}

/// Every op payload in a copy of the server's data directory that opens under `log_key`: (seq, JSON).
fn thief_reads(copy: &std::path::Path, vault: &[u8; 32], log_key: &SymmetricKey) -> Vec<(u64, serde_json::Value)> {
    let db = rusqlite::Connection::open(copy.join("meta.sqlite3")).unwrap();
    let mut st = db.prepare("SELECT seq, payload FROM ops WHERE vault = ?1 ORDER BY seq").unwrap();
    let rows: Vec<(i64, Vec<u8>)> =
        st.query_map([vault.as_slice()], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
    assert!(!rows.is_empty(), "the copy holds the vault's log");
    let aad = [b"coffre-op-payload-v1".as_slice(), vault].concat();
    rows.into_iter()
        .filter_map(|(seq, framed)| {
            let ct = unpad_payload(&framed).ok()?;
            let plain = open_symmetric(log_key, ct, &aad).ok()?;
            Some((seq as u64, serde_json::from_slice(&plain).unwrap()))
        })
        .collect()
}

/// A copy of the server's data directory (database with its WAL, chunk files), as a stolen backup.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn a_removed_phone_with_a_copy_of_the_server_opens_nothing_written_after_and_its_keys_are_refused() {
    let s = server();
    let tmp = tempfile::tempdir().unwrap();
    let mut phone = Vault::create(&tmp.path().join("phone"), PASS, None).unwrap();
    sync_engine::enroll(&mut phone, &s.url).unwrap();
    let mut stolen = link(&mut phone, &tmp.path().join("stolen"), &s.url);
    let mut tablet = link(&mut phone, &tmp.path().join("tablet"), &s.url);
    let old_kit = make_kit(&mut phone).unwrap();
    let before = add(&mut phone, "Avant", b"PAGE-AVANT");
    sync_all(&mut phone);
    sync_all(&mut stolen);
    sync_all(&mut tablet);

    // The thief, before the holder notices: what the stolen database holds...
    let ark: AccountRootKey = stolen.root_key().clone();
    let identity0 = ark.derive_identity(0).signing;
    let vault = vault_id(identity0.verifying_key().as_bytes());
    let as_stolen = BlockingClient::new(&s.url, device_key_of(&stolen)).unwrap();
    as_stolen.attach(vault, s.server_pk);
    // ...a key enrolled on the server only, and one also certified in the log with the ARK's identity
    // (written as the stolen phone: it is still a writer).
    let hidden = SigningKey::generate();
    let certified = SigningKey::generate();
    as_stolen.add_device(&hidden.verifying_key().to_bytes()).unwrap();
    as_stolen.add_device(&certified.verifying_key().to_bytes()).unwrap();
    let cert_msg = [b"coffre-device-cert-v1".as_slice(), &vault, certified.verifying_key().as_bytes()].concat();
    let op = serde_json::json!({
        "v": 1,
        "kind": "device_add",
        "device": hex::encode(certified.verifying_key().to_bytes()),
        "cert": hex::encode(identity0.sign(&cert_msg).to_bytes()),
    });
    stolen.queue_raw_op(&serde_json::to_vec(&op).unwrap()).unwrap();
    sync_all(&mut stolen);
    sync_all(&mut tablet);
    let certified_hex = hex::encode(certified.verifying_key().to_bytes());
    assert!(
        sync_engine::devices(&mut tablet).unwrap().iter().any(|d| d.public_key == certified_hex && !d.removed),
        "before the removal the certified hidden key is a writer"
    );

    // The holder removes the stolen phone from the main phone.
    let stolen_hex = hex::encode(device_key_of(&stolen).verifying_key().to_bytes());
    let removed = remove_lost_device(&mut phone, &stolen_hex).unwrap();
    assert_eq!(removed.generation, 1);
    let after = add(&mut phone, "Après", SECRET_AFTER);
    sync_all(&mut phone);
    sync_all(&mut tablet);
    // The device that stays got the new ARK (sealed to its device key) and reads both documents.
    assert!(contains(&tablet.page_bytes(&after, 0).unwrap(), SECRET_AFTER));
    assert!(contains(&tablet.page_bytes(&before, 0).unwrap(), b"PAGE-AVANT"));

    // 1. The hidden keys are no longer members: the log, the vault and the chunks are refused.
    let blob = phone.local_blobs_of(&after).unwrap()[0].id;
    let blob_ref: BlobRef =
        serde_json::from_slice(&tablet.state_get(&format!("sync.blobref:{}", hex::encode(blob))).unwrap().unwrap())
            .unwrap();
    for key in [&hidden, &certified] {
        let c = BlockingClient::new(&s.url, key.clone()).unwrap();
        c.attach(vault, s.server_pk);
        let pull = c.pull(&ChainState::genesis(vault), &mut KnownWriters::default()).unwrap_err();
        assert_eq!(status_of(&pull), Some(403), "pull: {pull:?}");
        let info = c.vault_info().unwrap_err();
        assert_eq!(status_of(&info), Some(403), "vault: {info:?}");
        let chunk = c.download_blob(&blob_ref, &|_| {}, &CancelToken::new()).unwrap_err();
        assert_eq!(status_of(&chunk), Some(403), "chunk: {chunk:?}");
    }
    let err = sync_engine::sync(&mut stolen, &SyncOptions::default(), &|_| {}, &CancelToken::new()).unwrap_err();
    assert!(matches!(err, EngineError::Sync(SyncError::DeviceRevoked)), "{err:?}");

    // 2. A copy of the server's data directory: with the stolen ARK the thief opens the log up to the
    //    switch and nothing after it (no new collection key, no document added after the removal).
    let copy = tmp.path().join("server-copy");
    copy_dir(s.dir.path(), &copy);
    let read = thief_reads(&copy, &vault, &ark.derive_log_key());
    let switch_seq = read
        .iter()
        .find(|(_, v)| v["kind"] == "generation")
        .map(|(seq, _)| *seq)
        .expect("the switch is under the old log key");
    let total: i64 = rusqlite::Connection::open(copy.join("meta.sqlite3"))
        .unwrap()
        .query_row("SELECT count(*) FROM ops WHERE vault = ?1", [vault.as_slice()], |r| r.get(0))
        .unwrap();
    assert!(total as u64 > switch_seq + 2, "ops were written after the switch ({total})");
    let after_hex = after.to_string();
    for (seq, payload) in &read {
        assert!(*seq <= switch_seq, "the thief opened op {seq} written after the switch: {payload}");
        assert_ne!(payload["kind"], "collection_keys", "the thief read the new collection keys");
        assert!(!payload.to_string().contains(&after_hex), "the thief read the new document's op");
    }

    // 3. The server refuses a switch signed under the old generation, even sent with a member's key.
    let thief_next = AccountRootKey::generate().derive_identity(1).signing;
    let as_member = BlockingClient::new(&s.url, device_key_of(&phone)).unwrap();
    as_member.attach(vault, s.server_pk);
    let me = device_key_of(&phone).verifying_key().to_bytes();
    for generation in [1u32, 2] {
        let msg = generation_message(&vault, generation, thief_next.verifying_key().as_bytes(), &[me]);
        let body = GenerationSwitch {
            v: PROTOCOL_VERSION,
            generation,
            identity_pk: b64(thief_next.verifying_key().as_bytes()),
            devices: vec![b64(&me)],
            previous_sig: b64(&identity0.sign(&msg).to_bytes()),
            identity_sig: b64(&thief_next.sign(&msg).to_bytes()),
        };
        let err = as_member.switch_generation(&body).unwrap_err();
        let expected = if generation == 1 { "stale_generation" } else { "bad_identity_signature" };
        assert!(
            matches!(&err, SyncError::Server { code, .. } if code.as_str() == expected),
            "generation {generation}: {err:?}"
        );
    }

    // 4. The other devices no longer count the certified hidden key (nor the stolen phone) as a writer.
    for d in sync_engine::devices(&mut tablet).unwrap() {
        if d.public_key == certified_hex || d.public_key == stolen_hex {
            assert!(d.removed, "{} still a writer", d.public_key);
        }
    }

    // 5. The old kit opens nothing; the new kit and a phone linked now read everything.
    let err = recover_with_code(&s.url, &old_kit.code, &tmp.path().join("old-kit"), PASS, None).err().unwrap();
    assert!(!tmp.path().join("old-kit").join("vault.json").exists(), "{err:?}");
    let back = recover_with_code(&s.url, &removed.kit.code, &tmp.path().join("new-kit"), PASS, None).unwrap();
    assert!(contains(&back.page_bytes(&after, 0).unwrap(), SECRET_AFTER));
    assert!(contains(&back.page_bytes(&before, 0).unwrap(), b"PAGE-AVANT"));
    drop(back);
    let mut later = link(&mut phone, &tmp.path().join("later"), &s.url);
    sync_all(&mut later);
    assert!(contains(&later.page_bytes(&after, 0).unwrap(), SECRET_AFTER));
}
