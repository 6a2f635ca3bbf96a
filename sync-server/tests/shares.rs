//! Share links on the server: what a share upload must look like (version, expiry, padding, page
//! count, size, quota, membership), the public side (tokens for pages, refusals, headers), and the
//! store's expiry, opening limit, revocation and purge with an explicit clock.
#![allow(clippy::unwrap_used)]

mod common;

use coffre_sync::SyncError;
use coffre_sync::protocol::share::{
    HDR_SHARE_PROOF, MAX_SHARE_SECS, SHARE_VERSION, ShareCreate, ShareOpened, ShareRefusal, join_frames, open_check,
    open_proof,
};
use coffre_sync::protocol::{b64, pad_payload};
use coffre_sync_server::store::shares::{NewShare, ShareCreateOutcome, ShareId, ShareStore};
use coffre_sync_server::store::sqlite::SqliteMeta;
use common::{TestServer, key, now};

/// A share whose link key is `[id; 32]`.
fn header(id: u8, pages: u32) -> ShareCreate {
    let open_check = Some(b64(&open_check(&open_proof(&[id; 32]))));
    ShareCreate { v: SHARE_VERSION, id: b64(&[id; 16]), expires_at: now() + 3600, max_opens: None, pages, open_check }
}

/// Opens share `id` (made by [`header`]) as the viewer does, with its link key's proof.
fn open(s: &TestServer, id: u8) -> (u16, Option<coffre_sync::protocol::ErrorBody>, Vec<u8>) {
    let req = s
        .http
        .post(format!("{}/s/{}/open", s.url, b64(&[id; 16])))
        .header(HDR_SHARE_PROOF, b64(&open_proof(&[id; 32])));
    s.send(req)
}

fn part(len: usize) -> Vec<u8> {
    pad_payload(&vec![7u8; len]).unwrap()
}

fn code(e: SyncError) -> String {
    e.code().unwrap_or("-").to_string()
}

#[test]
fn uploads_are_checked() {
    let s = TestServer::start_with(|c| c.max_share_bytes = 64 * 1024);
    let h = s.vault();
    let pages = vec![part(100)];
    let c = &h.client;
    assert!(c.share_create(&header(1, 1), &part(50), &pages).is_ok());
    // Same id again (from this vault or any other): refused, nothing overwritten.
    assert_eq!(code(c.share_create(&header(1, 1), &part(50), &pages).unwrap_err()), "share_id_taken");
    let mut bad = header(2, 1);
    bad.v = 9;
    assert_eq!(code(c.share_create(&bad, &part(50), &pages).unwrap_err()), "unsupported_version");
    for expires_at in [now() - 1, now() + MAX_SHARE_SECS + 3600] {
        let h2 = ShareCreate { expires_at, ..header(2, 1) };
        assert_eq!(code(c.share_create(&h2, &part(50), &pages).unwrap_err()), "bad_expiry");
    }
    let h2 = ShareCreate { max_opens: Some(0), ..header(2, 1) };
    assert_eq!(code(c.share_create(&h2, &part(50), &pages).unwrap_err()), "bad_max_opens");
    assert_eq!(code(c.share_create(&header(2, 2), &part(50), &pages).unwrap_err()), "bad_page_count");
    assert_eq!(code(c.share_create(&header(2, 0), &part(50), &[]).unwrap_err()), "bad_page_count");
    assert_eq!(code(c.share_create(&header(2, 1), &[0u8; 37], &pages).unwrap_err()), "bad_padding");
    assert_eq!(code(c.share_create(&header(2, 1), &part(50), &[part(100 * 1024)]).unwrap_err()), "payload_too_large");
    // Truncated frames and garbage ids.
    let vault = h.vault_hex();
    let body = join_frames(&[&serde_json::to_vec(&header(3, 1)).unwrap(), &part(50), &part(10)]).unwrap();
    let (status, err, _) =
        s.raw("POST", &format!("/v1/vaults/{vault}/shares"), body[..body.len() - 3].to_vec(), Some(&h.device), |_| {});
    assert_eq!((status, err.unwrap().error.as_str()), (400, "bad_frames"));
    let mut h3 = header(3, 1);
    h3.id = "short".into();
    assert_eq!(code(c.share_create(&h3, &part(50), &pages).unwrap_err()), "bad_share_id");
    // Another vault's device cannot list or revoke this vault's shares.
    let other = s.client(&key());
    other.attach(h.reg.vault, h.reg.server_pk);
    assert!(other.share_list().is_err());
    assert!(other.share_revoke(&b64(&[1; 16])).is_err());
    assert_eq!(c.share_list().unwrap().shares.len(), 1);
}

#[test]
fn shares_count_against_the_quota() {
    let s = TestServer::start_with(|c| c.quota_bytes = 8 * 1024);
    let h = s.vault();
    assert!(h.client.share_create(&header(1, 1), &part(50), &[part(3000)]).is_ok());
    assert!(matches!(h.client.share_create(&header(2, 1), &part(50), &[part(6000)]), Err(SyncError::QuotaExceeded)));
    // Revoking frees the space.
    h.client.share_revoke(&b64(&[1; 16])).unwrap();
    assert!(h.client.share_create(&header(2, 1), &part(50), &[part(6000)]).is_ok());
}

#[test]
fn recipients_need_an_opening_for_pages() {
    let s = TestServer::start();
    let h = s.vault();
    let id = b64(&[5; 16]);
    let h5 = ShareCreate { max_opens: Some(1), ..header(5, 2) };
    h.client.share_create(&h5, &part(50), &[part(100), part(200)]).unwrap();

    // The page is the same for every id, and locked down.
    let resp = s.rt.block_on(s.http.get(format!("{}/s/{id}", s.url)).send()).unwrap();
    let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), "{csp}");
    assert_eq!(resp.headers()["referrer-policy"], "no-referrer");
    let page = s.rt.block_on(resp.text()).unwrap();
    assert!(page.contains("lang=\"fr\"") && page.contains("/assets/share-viewer.js"));
    let (status, _, js) = s.raw("GET", "/assets/share-viewer.js", vec![], None, |_| {});
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&js).contains("coffre/share/v1"));

    // Pages without an opening: refused.
    let (status, err, _) = s.raw("GET", &format!("/s/{id}/pages/0?t={}", b64(&[0; 16])), vec![], None, |_| {});
    assert_eq!((status, err.unwrap().error), (404, ShareRefusal::NotFound.code().to_string()));
    // A GET of /open is not an opening.
    let (status, _, _) = s.raw("GET", &format!("/s/{id}/open"), vec![], None, |_| {});
    assert_eq!(status, 405);

    let (status, _, body) = open(&s, 5);
    assert_eq!(status, 200);
    let opened: ShareOpened = serde_json::from_slice(&body).unwrap();
    assert_eq!(opened.pages, 2);
    for (n, len) in [(0, part(100).len()), (1, part(200).len())] {
        let (status, _, bytes) = s.raw("GET", &format!("/s/{id}/pages/{n}?t={}", opened.token), vec![], None, |_| {});
        assert_eq!((status, bytes.len()), (200, len));
    }
    let (status, _, _) = s.raw("GET", &format!("/s/{id}/pages/2?t={}", opened.token), vec![], None, |_| {});
    assert_eq!(status, 404);
    // The one opening is used: the next is refused, with its opening time kept for the holder.
    let (status, err, _) = open(&s, 5);
    assert_eq!((status, err.unwrap().error), (410, "share_exhausted".to_string()));
    let listed = h.client.share_list().unwrap();
    assert_eq!(listed.shares[0].opened_at.len(), 1);
    // Revoked: pages stop at once even with a valid token.
    h.client.share_revoke(&id).unwrap();
    let (status, err, _) = s.raw("GET", &format!("/s/{id}/pages/0?t={}", opened.token), vec![], None, |_| {});
    assert_eq!((status, err.unwrap().error), (410, "share_revoked".to_string()));
    assert_eq!(h.client.share_list().unwrap().shares[0].bytes, 0);
}

#[test]
fn store_enforces_expiry_tokens_and_purges() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteMeta::open(&dir.path().join("meta.sqlite3")).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let share = |id: u8, expires_at: u64| NewShare {
        vault: [1; 32],
        id: ShareId::from([id; 16]),
        created_at: 1_000,
        expires_at,
        max_opens: None,
        open_check: [id; 32],
        manifest: part(10),
        pages: vec![part(20)],
    };
    rt.block_on(async {
        assert_eq!(store.create_share(share(1, 2_000), 0, u64::MAX).await.unwrap(), ShareCreateOutcome::Created);
        assert_eq!(store.create_share(share(2, 9_000), 0, u64::MAX).await.unwrap(), ShareCreateOutcome::Created);
        assert!(store.open_share(ShareId::from([1; 16]), Some([1; 32]), [9; 16], 1_500).await.unwrap().is_ok());
        // Tokens last an hour (here 100 s) and die with the share.
        assert!(store.share_page(ShareId::from([1; 16]), 0, [9; 16], 1_550, 100).await.unwrap().is_ok());
        assert_eq!(
            store.share_page(ShareId::from([1; 16]), 0, [9; 16], 1_700, 100).await.unwrap(),
            Err(ShareRefusal::NotFound)
        );
        assert_eq!(
            store.share_page(ShareId::from([1; 16]), 0, [8; 16], 1_550, 100).await.unwrap(),
            Err(ShareRefusal::NotFound)
        );
        assert_eq!(
            store.open_share(ShareId::from([1; 16]), Some([1; 32]), [7; 16], 2_000).await.unwrap(),
            Err(ShareRefusal::Expired)
        );
        assert_eq!(
            store.share_page(ShareId::from([1; 16]), 0, [9; 16], 2_000, 10_000).await.unwrap(),
            Err(ShareRefusal::Expired)
        );
        // Purge at 2 500: share 1's material goes, its status stays; share 2 is untouched.
        assert_eq!(store.purge_shares(2_500, 100).await.unwrap(), 1);
        let list = store.list_shares([1; 32]).await.unwrap();
        let one = list.iter().find(|s| s.id == b64(&[1; 16])).unwrap();
        assert_eq!((one.bytes, one.opened_at.clone()), (0, vec![1_500]));
        assert_eq!(
            store.open_share(ShareId::from([1; 16]), Some([1; 32]), [6; 16], 2_500).await.unwrap(),
            Err(ShareRefusal::Expired)
        );
        assert!(store.open_share(ShareId::from([2; 16]), Some([2; 32]), [5; 16], 2_500).await.unwrap().is_ok());
        // 30 days after it ended, share 1 is forgotten.
        store.purge_shares(2_000 + 30 * 24 * 3600, 100).await.unwrap();
        assert_eq!(
            store.open_share(ShareId::from([1; 16]), Some([1; 32]), [4; 16], 3_000).await.unwrap(),
            Err(ShareRefusal::NotFound)
        );
        assert_eq!(store.list_shares([1; 32]).await.unwrap().len(), 1);
    });
}
