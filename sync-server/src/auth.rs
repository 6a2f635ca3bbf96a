//! Request authentication: every signed request carries a device signature over
//! `method, path?query, body length, sha256(body), timestamp, nonce` (signing format v2, see
//! `coffre_sync_protocol::canonical_request`), with the body's length and hash also in headers.
//!
//! So the whole check runs on the headers, before a byte of the body is read (format v1 signed the body
//! hash only, and the server read up to 32 MiB from anyone to check it): headers present and
//! well-formed, timestamp within the skew window, announced length within the route's [`BodyLimit`],
//! signature, nonce never seen (replay: in memory here, and for state-changing requests in the
//! store too, see [`crate::replay`] and [`refuse_stored_replay`]), the device's token bucket; [`crate::extract::Member`] then checks
//! membership; only then is the body read ([`read_committed_body`]), bounded by the signed length, and
//! checked against the signed hash.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use coffre_sync_protocol::{
    BodyCommitment, ErrorCode, HDR_BODY_LENGTH, HDR_BODY_SHA256, HDR_DEVICE, HDR_NONCE, HDR_SIGNATURE, HDR_TIMESTAMP,
    PublicKey, canonical_request, sha256, unb64, unb64_array, verify_sig,
};
use futures_util::StreamExt as _;
use sha2::Digest as _;

use crate::error::ApiError;
use crate::state::AppState;

/// The largest body a route accepts, set per route as a request extension (the router's default is
/// `max_json_bytes`); checked against the signed length before the body is read.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub u64);

/// An authenticated request: the signing device and the raw body.
#[derive(Debug)]
pub struct Authed {
    pub device: PublicKey,
    pub body: Bytes,
    pub query: Option<String>,
    /// The client's network address, for per-address limits ([`crate::client_addr`]).
    pub client: Option<std::net::IpAddr>,
}

/// A request whose signed headers verified; its body is not read yet.
#[derive(Debug)]
pub struct SignedHeaders {
    pub device: PublicKey,
    pub body: BodyCommitment,
    pub query: Option<String>,
    /// The nonce as recorded (`sha256(device || nonce)`) and until when, for [`refuse_stored_replay`].
    pub nonce_key: coffre_sync_protocol::Hash,
    pub nonce_expires_at: u64,
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Checks everything a signed request says in its headers (see the module doc); reads no body.
pub fn verify_headers(parts: &Parts, state: &AppState) -> Result<SignedHeaders, ApiError> {
    let metrics = &state.metrics;
    let fail = |e: ApiError, reason: &'static str| {
        metrics.auth_failure(reason);
        e
    };
    let h = &parts.headers;
    let (Some(dev), Some(ts), Some(nonce), Some(sig)) =
        (header(h, HDR_DEVICE), header(h, HDR_TIMESTAMP), header(h, HDR_NONCE), header(h, HDR_SIGNATURE))
    else {
        return Err(fail(ApiError::unauthorized(ErrorCode::Unsigned, "request signature headers missing"), "unsigned"));
    };
    let (Some(length), Some(body_hash)) = (header(h, HDR_BODY_LENGTH), header(h, HDR_BODY_SHA256)) else {
        return Err(fail(
            ApiError::unauthorized(
                ErrorCode::OldSignatureFormat,
                "this request is signed in an older format (v1) this server no longer accepts: update the app",
            ),
            "old_format",
        ));
    };
    let malformed = || ApiError::unauthorized(ErrorCode::BadSignature, "malformed signature headers");
    let device: PublicKey = unb64_array(dev, "device").map_err(|_| fail(malformed(), "malformed"))?;
    let sig: [u8; 64] = unb64_array(sig, "signature").map_err(|_| fail(malformed(), "malformed"))?;
    let nonce_bytes = unb64(nonce, "nonce").map_err(|_| fail(malformed(), "malformed"))?;
    if !(16..=32).contains(&nonce_bytes.len()) {
        return Err(fail(malformed(), "malformed"));
    }
    let ts: u64 = ts.parse().map_err(|_| fail(malformed(), "malformed"))?;
    let length: u64 = length.parse().map_err(|_| fail(malformed(), "malformed"))?;
    let sha256_claim: [u8; 32] =
        coffre_ids::text::hex_array(body_hash, "body sha256").map_err(|_| fail(malformed(), "malformed"))?;
    let commitment = BodyCommitment { length, sha256: sha256_claim };
    let now = crate::clock::now_secs();
    if ts.abs_diff(now) > state.cfg.clock_skew_secs {
        return Err(fail(
            ApiError::unauthorized(ErrorCode::StaleTimestamp, "request timestamp outside the accepted window"),
            "stale",
        ));
    }
    let limit = parts.extensions.get::<BodyLimit>().map_or(state.cfg.max_json_bytes, |l| l.0);
    if length > limit {
        return Err(ApiError::too_large("request body larger than this endpoint accepts"));
    }
    let path_q = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let msg = canonical_request(parts.method.as_str(), path_q, &commitment, ts, nonce);
    verify_sig(&device, &msg, &sig).map_err(|_| {
        fail(ApiError::unauthorized(ErrorCode::BadSignature, "request signature does not verify"), "bad_sig")
    })?;
    let nonce_key = sha256(&[device.as_slice(), &nonce_bytes].concat());
    let nonce_expires_at = now + 2 * state.cfg.clock_skew_secs + 1;
    if !state.nonces.insert(nonce_key, nonce_expires_at, now) {
        return Err(fail(ApiError::unauthorized(ErrorCode::Replayed, "this request was already received"), "replay"));
    }
    if let Err(wait) = state.limiter.take(device) {
        state.metrics.rate_limited();
        return Err(ApiError::rate_limited("too many requests from this device", wait));
    }
    Ok(SignedHeaders {
        device,
        body: commitment,
        query: parts.uri.query().map(str::to_string),
        nonce_key,
        nonce_expires_at,
    })
}

/// The in-memory nonce cache is lost on restart: a state-changing request is also checked against the
/// nonces recorded in the store ([`crate::replay`]). Async, so it runs after [`verify_headers`].
pub async fn refuse_stored_replay(parts: &Parts, state: &AppState, signed: &SignedHeaders) -> Result<(), ApiError> {
    let now = crate::clock::now_secs();
    crate::replay::refuse_replay(state, &parts.method, parts.uri.path(), signed.nonce_key, signed.nonce_expires_at, now)
        .await
}

/// Reads a body frame by frame, never past the signed length, and checks it against the signed hash.
/// Memory grows with what actually arrives, not with what was announced.
pub async fn read_committed_body(body: Body, commitment: &BodyCommitment) -> Result<Bytes, ApiError> {
    let mismatch =
        || ApiError::bad_request(ErrorCode::BodyMismatch, "the body does not match its signed length and hash");
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    let mut hasher = sha2::Sha256::new();
    while let Some(frame) = stream.next().await {
        let frame = frame.map_err(|_| ApiError::bad_request(ErrorCode::BadBody, "could not read request body"))?;
        if buf.len() as u64 + frame.len() as u64 > commitment.length {
            return Err(mismatch());
        }
        hasher.update(&frame);
        buf.extend_from_slice(&frame);
    }
    let digest: [u8; 32] = hasher.finalize().into();
    if buf.len() as u64 != commitment.length || digest != commitment.sha256 {
        return Err(mismatch());
    }
    Ok(Bytes::from(buf))
}

/// Most body bytes read and thrown away before a refusal is sent, and for how long.
const DRAIN_BYTES: u64 = 256 << 10;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(1);

/// Before refusing a request whose body was not read: a small body (by its `Content-Length`) is read
/// and dropped, so that the client, still sending it, gets the answer rather than a reset connection.
/// A large one is not: the connection closes, which is what a stranger's upload deserves.
pub async fn drain_small_body(parts: &Parts, body: Body) {
    let small = parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|len| len <= DRAIN_BYTES);
    if !small {
        return;
    }
    let mut stream = body.into_data_stream();
    let drain = async {
        let mut seen = 0u64;
        while let Some(Ok(frame)) = stream.next().await {
            seen += frame.len() as u64;
            if seen > DRAIN_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
}

impl FromRequest<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let signed = match verify_headers(&parts, state) {
            Ok(signed) => signed,
            Err(e) => {
                drain_small_body(&parts, body).await;
                return Err(e);
            }
        };
        let client = crate::client_addr::client_ip(&parts, &state.trusted_proxies);
        refuse_stored_replay(&parts, state, &signed).await?;
        let body = read_committed_body(body, &signed.body).await?;
        Ok(Authed { device: signed.device, body, query: signed.query, client })
    }
}
