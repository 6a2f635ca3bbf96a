//! The operator's backup and restore (issue 14, hosting kit), against a real server and two devices:
//! an online backup (`coffre_sync_server::admin::backup`, what `coffre-server backup DIR` runs)
//! taken while the server runs, the server lost, the backup restored into a new data directory and
//! a server started on it at the same address: both devices keep syncing, because the backup holds
//! the server key they pinned. Without the key they refuse the server; a restore older than a
//! device's last sync is seen by that device as the server going back in history.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

use coffre_core::sync::SyncError;
use coffre_core::sync_engine::{self, EngineError, SyncOptions};
use coffre_core::vault::{ListQuery, NewDocument, Origin, PageInput, PageRole, Vault};
use coffre_sync_server::admin;

fn add(v: &mut Vault, title: &str, seed: u8) {
    let meta = NewDocument { category: "attestation_caf".into(), title: title.into(), ..Default::default() };
    let bytes: Vec<u8> = [0x89, b'P', b'N', b'G'].into_iter().chain((0..40_000u32).map(|i| (i as u8) ^ seed)).collect();
    v.add_document(meta, Origin::Import, vec![PageInput { bytes, mime: "image/png".into(), role: PageRole::Page }])
        .unwrap();
}

fn titles(v: &Vault) -> Vec<String> {
    let mut t: Vec<String> = v.list(&ListQuery::default()).unwrap().into_iter().map(|d| d.title).collect();
    t.sort();
    t
}

fn try_sync(v: &mut Vault) -> Result<(), EngineError> {
    let opts = SyncOptions { download_all: true, ..Default::default() };
    sync_engine::sync(v, &opts, &|_| {}, &coffre_core::sync::CancelToken::new()).map(|_| ())
}

/// A server on `data` at the address `url` had (the devices remember the address).
fn server_on(data: &std::path::Path, url: &str) -> Server {
    let addr: std::net::SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let data = data.to_path_buf();
    Server::start_with(move |c| {
        c.data_dir = data;
        c.listen = addr;
    })
}

#[test]
fn after_a_restore_from_an_online_backup_both_devices_keep_syncing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut first = server();
    let url = first.url.clone();
    let mut phone = Vault::create(&tmp.path().join("phone"), PASS, None).unwrap();
    add(&mut phone, "Attestation CAF", 1);
    sync_engine::enroll(&mut phone, &url).unwrap();
    sync_all(&mut phone);
    let mut tablet = link(&mut phone, &tmp.path().join("tablet"), &url);
    add(&mut tablet, "Quittance de loyer", 2);
    sync_all(&mut tablet);
    sync_all(&mut phone);

    // Online: the server is running while the backup is taken.
    let backup_dir = tmp.path().join("backup");
    let made = admin::backup(&first.data_dir(), &backup_dir).unwrap();
    assert_eq!(made.vaults, 1);
    assert!(made.chunks >= 2, "{made:?}");
    assert_eq!(made.server_key, coffre_core::sync::protocol::b64(&first.server_pk), "the pinned key is in the backup");
    #[cfg(unix)]
    for f in ["server.key", "meta.sqlite3", "coffre-backup.json"] {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(backup_dir.join(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{f}");
    }
    // A backup never mixes with an older one.
    assert!(matches!(admin::backup(&first.data_dir(), &backup_dir), Err(admin::AdminError::NotEmpty(_))));

    // The machine is lost.
    first.stop();
    std::fs::remove_dir_all(first.data_dir()).unwrap();

    let restored = tmp.path().join("restored");
    let back = admin::restore(&backup_dir, &restored).unwrap();
    assert_eq!(back.server_key, made.server_key);
    assert!(admin::check(&restored, true).unwrap().is_ok());
    // A restore never overwrites a data directory in use.
    assert!(matches!(admin::restore(&backup_dir, &restored), Err(admin::AdminError::NotEmpty(_))));

    let second = server_on(&restored, &url);
    assert_eq!(second.server_pk, first.server_pk);
    add(&mut phone, "Avis d'imposition", 3);
    try_sync(&mut phone).unwrap();
    add(&mut tablet, "Carte Vitale", 4);
    try_sync(&mut tablet).unwrap();
    try_sync(&mut phone).unwrap();
    let all = ["Attestation CAF", "Avis d'imposition", "Carte Vitale", "Quittance de loyer"];
    assert_eq!(titles(&phone), all);
    assert_eq!(titles(&tablet), all);
    assert!(admin::check(&restored, false).unwrap().is_ok());
}

#[test]
fn without_its_key_or_after_a_stale_restore_the_devices_refuse_the_server() {
    let tmp = tempfile::tempdir().unwrap();
    let mut first = server();
    let url = first.url.clone();
    let mut phone = Vault::create(&tmp.path().join("phone"), PASS, None).unwrap();
    add(&mut phone, "Attestation CAF", 1);
    sync_engine::enroll(&mut phone, &url).unwrap();
    sync_all(&mut phone);
    let backup_dir = tmp.path().join("backup");
    admin::backup(&first.data_dir(), &backup_dir).unwrap();
    // The phone syncs once more after the backup.
    add(&mut phone, "Quittance de loyer", 2);
    sync_all(&mut phone);
    first.stop();

    // Restored without the server key: a new key is made, and the phone refuses every answer.
    let keyless = tmp.path().join("keyless");
    admin::restore(&backup_dir, &keyless).unwrap();
    std::fs::remove_file(keyless.join("server.key")).unwrap();
    assert!(matches!(admin::check(&keyless, false), Err(admin::AdminError::NoKey(_))));
    {
        let _s = server_on(&keyless, &url);
        let err = try_sync(&mut phone).unwrap_err();
        assert!(matches!(err, EngineError::Sync(SyncError::BadServerSignature)), "{err:?}");
    }

    // Restored with its key but older than the phone's last sync: the phone sees a rollback and
    // stops syncing with it (docs/hosting.md says to back up often, and why).
    let stale = tmp.path().join("stale");
    admin::restore(&backup_dir, &stale).unwrap();
    let _s = server_on(&stale, &url);
    let err = try_sync(&mut phone).unwrap_err();
    assert!(matches!(err, EngineError::Sync(SyncError::Rollback { .. })), "{err:?}");
    assert_eq!(titles(&phone), ["Attestation CAF", "Quittance de loyer"], "nothing lost on the phone");
}
