//! Share links (DESIGN.md §5, `docs/sharing.md`): device-signed create/list/revoke under
//! `/v1/vaults/{vault}/shares`, and the public, unsigned recipient side under `/s/{id}`: the viewer
//! page, an opening (counted), and the pages. The link key lives in the URL fragment, which browsers
//! never send; the server only stores and serves ciphertext, and logs route templates only.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use coffre_sync_protocol::share::{
    HDR_SHARE_PROOF, MAX_SHARE_PAGES, MAX_SHARE_SECS, SHARE_VERSION, ShareCreate, ShareList, ShareOpened, ShareRefusal,
    open_check, split_frames,
};
use coffre_sync_protocol::{AuditKind, ErrorCode, PROTOCOL_VERSION, b64, is_padme, sha256, unb64_array};

use crate::audit;
use crate::auth::BodyLimit;
use crate::clock::now_secs;
use crate::error::{ApiError, ApiResult};
use crate::extract::Member;
use crate::observe::short;
use crate::state::AppState;
use crate::store::shares::{NewShare, ShareCreateOutcome, ShareId};

/// The viewer page (the same bytes for every id: it reveals nothing about a share).
pub const VIEWER_HTML: &str = include_str!("../viewer/index.html");
/// The viewer script, bundled from `viewer/src` by `viewer/build.sh` (committed; CI checks it).
pub const VIEWER_JS: &str = include_str!("../viewer/dist/share-viewer.js");

/// Only our own script; decrypted pages are shown from `blob:` URLs; nothing else loads.
const VIEWER_CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' blob:; \
     style-src 'unsafe-inline'; frame-src blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The routes of this module (also listed in `router::ROUTES`).
pub fn routes(state: &AppState) -> Router<AppState> {
    let share_limit = usize::try_from(state.cfg.max_share_bytes).unwrap_or(usize::MAX);
    Router::new()
        .route(
            "/v1/vaults/{vault}/shares",
            post(create_share)
                .layer((DefaultBodyLimit::max(share_limit), axum::Extension(BodyLimit(state.cfg.max_share_bytes))))
                .get(list_shares),
        )
        .route("/v1/vaults/{vault}/shares/{id}", axum::routing::delete(revoke_share))
        .route("/s/{id}", get(viewer_page))
        .route("/s/{id}/open", post(open_share))
        .route("/s/{id}/pages/{index}", get(share_page))
        .route("/assets/share-viewer.js", get(viewer_js))
}

fn share_id(s: &str) -> ApiResult<ShareId> {
    ShareId::parse(s).map_err(|_| refused(ShareRefusal::NotFound))
}

/// The refusal as an API error: the viewer turns its code into a French sentence.
fn refused(r: ShareRefusal) -> ApiError {
    let (status, message) = match r {
        ShareRefusal::NotFound => (StatusCode::NOT_FOUND, "no such share"),
        ShareRefusal::Expired => (StatusCode::GONE, "this share has expired"),
        ShareRefusal::Revoked => (StatusCode::GONE, "this share was revoked"),
        ShareRefusal::Exhausted => (StatusCode::GONE, "this share was opened as many times as allowed"),
    };
    ApiError::new(status, ErrorCode::Share(r), message)
}

fn rate_limit(state: &AppState, id: &ShareId) -> ApiResult<()> {
    let key = sha256(&[b"share/".as_slice(), id.as_bytes()].concat());
    if let Err(wait) = state.limiter.take(key) {
        state.metrics.rate_limited();
        return Err(ApiError::rate_limited("too many requests for this share", wait));
    }
    Ok(())
}

async fn create_share(State(state): State<AppState>, Member { vault, body, .. }: Member) -> ApiResult<Response> {
    crate::watermark::check(&state)?;
    let frames =
        split_frames(&body).map_err(|_| ApiError::bad_request(ErrorCode::BadFrames, "malformed share body"))?;
    let [header, manifest, pages @ ..] = frames.as_slice() else {
        return Err(ApiError::bad_request(ErrorCode::BadFrames, "a share has a header and a manifest"));
    };
    let req: ShareCreate = serde_json::from_slice(header).map_err(|e| ApiError::bad_json(&e))?;
    if req.v != SHARE_VERSION {
        return Err(ApiError::version(req.v));
    }
    let id = ShareId::parse(&req.id)
        .map_err(|_| ApiError::bad_request(ErrorCode::BadShareId, "id is 16 bytes base64url"))?;
    let now = now_secs();
    if req.expires_at <= now || req.expires_at > now + MAX_SHARE_SECS + state.cfg.clock_skew_secs {
        return Err(ApiError::bad_request(ErrorCode::BadExpiry, "a share lives from 1 second to 31 days"));
    }
    if req.max_opens == Some(0) {
        return Err(ApiError::bad_request(ErrorCode::BadMaxOpens, "max_opens is at least 1"));
    }
    if pages.is_empty() || pages.len() > MAX_SHARE_PAGES || pages.len() != req.pages as usize {
        return Err(ApiError::bad_request(
            ErrorCode::BadPageCount,
            format!("1 to {MAX_SHARE_PAGES} pages, as announced"),
        ));
    }
    for part in std::iter::once(manifest).chain(pages) {
        if part.len() < 4 || !is_padme(part.len() as u64) {
            return Err(ApiError::bad_request(ErrorCode::BadPadding, "share parts must have Padmé lengths"));
        }
    }
    // Shares from apps that predate open checks could be opened (and used up) by anyone with the id.
    let open_check: [u8; 32] = req
        .open_check
        .as_deref()
        .ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::UnsupportedVersion,
                "this app makes share links this server no longer accepts (no open check): update it",
            )
        })
        .and_then(|c| {
            unb64_array(c, "open_check")
                .map_err(|_| ApiError::bad_request(ErrorCode::BadJson, "open_check must be 32 bytes base64url"))
        })?;
    let (_, usage) = state.meta.vault_state(vault).await?.ok_or_else(ApiError::unknown_vault)?;
    let share = NewShare {
        vault,
        id,
        created_at: now,
        expires_at: req.expires_at,
        max_opens: req.max_opens,
        open_check,
        manifest: manifest.to_vec(),
        pages: pages.iter().map(|p| p.to_vec()).collect(),
    };
    let quota = crate::registration::quota_of(&state, &vault).await?;
    match state.shares.create_share(share, usage, quota).await? {
        ShareCreateOutcome::Created => {
            tracing::info!(vault = %short(&vault), pages = pages.len(), "share created");
            Ok((StatusCode::CREATED, Json(serde_json::json!({"v": PROTOCOL_VERSION}))).into_response())
        }
        ShareCreateOutcome::IdTaken => Err(ApiError::conflict(ErrorCode::ShareIdTaken, "this share id is taken")),
        ShareCreateOutcome::QuotaExceeded => Err(ApiError::quota()),
    }
}

async fn list_shares(State(state): State<AppState>, Member { vault, .. }: Member) -> ApiResult<Json<ShareList>> {
    Ok(Json(ShareList { v: PROTOCOL_VERSION, shares: state.shares.list_shares(vault).await? }))
}

async fn revoke_share(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Member { vault, .. }: Member,
) -> ApiResult<StatusCode> {
    let id = share_id(&id)?;
    if state.shares.revoke_share(vault, id, now_secs()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(refused(ShareRefusal::NotFound))
    }
}

fn with_viewer_headers(mut resp: Response, content_type: &'static str) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(VIEWER_CSP));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn viewer_page() -> Response {
    with_viewer_headers(VIEWER_HTML.into_response(), "text/html; charset=utf-8")
}

async fn viewer_js() -> Response {
    with_viewer_headers(VIEWER_JS.into_response(), "text/javascript; charset=utf-8")
}

/// Opens a share: counts one opening (its time is kept for the holder) and hands out the manifest and
/// a token for the pages. A POST, so link previews and prefetchers that GET the page count nothing;
/// and only with the link key's proof ([`HDR_SHARE_PROOF`]), so someone who has the id alone (from a
/// proxy log, a browser history without the fragment) can neither use openings up nor fill the audit.
async fn open_share(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> ApiResult<Response> {
    let id = share_id(&id)?;
    rate_limit(&state, &id)?;
    let check = headers
        .get(HDR_SHARE_PROOF)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| unb64_array::<32>(v, "proof").ok())
        .map(|proof| open_check(&proof));
    let mut token = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut token);
    let opening = state.shares.open_share(id, check, token, now_secs()).await?.map_err(refused)?;
    // The holder's audit trail: a server-signed observation (the share id, never the link key).
    let detail = serde_json::json!({ "share": id.to_string(), "opening": opening.opening });
    audit::record(&state, opening.vault, AuditKind::ShareOpened, detail).await;
    let body = ShareOpened {
        v: SHARE_VERSION,
        manifest: b64(&opening.manifest),
        pages: opening.pages,
        expires_at: opening.expires_at,
        token: b64(&token),
    };
    let mut resp = Json(body).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(resp)
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    t: String,
}

async fn share_page(
    State(state): State<AppState>,
    Path((id, index)): Path<(String, String)>,
    Query(q): Query<TokenQuery>,
) -> ApiResult<Response> {
    let id = share_id(&id)?;
    rate_limit(&state, &id)?;
    let index: u32 = index.parse().map_err(|_| refused(ShareRefusal::NotFound))?;
    let token: [u8; 16] = unb64_array(&q.t, "token").map_err(|_| refused(ShareRefusal::NotFound))?;
    let bytes =
        state.shares.share_page(id, index, token, now_secs(), state.cfg.share_opening_secs).await?.map_err(refused)?;
    Ok(with_page_headers(Bytes::from(bytes).into_response()))
}

/// What a page route serves is whatever bytes the creator uploaded (ciphertext, or anything a hostile
/// creator chose): a browser must never sniff, render or run it as this origin's own.
const PAGE_CSP: &str = "sandbox; default-src 'none'; frame-ancestors 'none'";

fn with_page_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    h.insert(header::HeaderName::from_static("cross-origin-resource-policy"), HeaderValue::from_static("same-origin"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
