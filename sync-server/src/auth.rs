//! Request authentication: every `/v1/vaults/...` request is signed by a device key over
//! `method, path?query, sha256(body), timestamp, nonce` (see `coffre_sync_protocol::canonical_request`).
//! Checks, cheapest first: headers present and well-formed, timestamp within the skew window, body within
//! the route's size limit, signature, nonce never seen (replay: in memory, and for state-changing requests
//! in the store too, see [`crate::replay`]), then the device's token bucket.
//! Membership of the device in the vault is checked by [`crate::extract::Member`], which knows the vault.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};
use coffre_sync_protocol::{
    ErrorCode, HDR_DEVICE, HDR_NONCE, HDR_SIGNATURE, HDR_TIMESTAMP, PublicKey, canonical_request, sha256, unb64,
    unb64_array, verify_sig,
};

use crate::error::ApiError;
use crate::state::AppState;

/// An authenticated request: the signing device and the raw body.
#[derive(Debug)]
pub struct Authed {
    pub device: PublicKey,
    pub body: Bytes,
    pub query: Option<String>,
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

impl FromRequest<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let metrics = &state.metrics;
        let fail = |e: ApiError, reason: &'static str| {
            metrics.auth_failure(reason);
            e
        };
        let (parts, body) = req.into_parts();
        let h = &parts.headers;
        let (Some(dev), Some(ts), Some(nonce), Some(sig)) =
            (header(h, HDR_DEVICE), header(h, HDR_TIMESTAMP), header(h, HDR_NONCE), header(h, HDR_SIGNATURE))
        else {
            return Err(fail(
                ApiError::unauthorized(ErrorCode::Unsigned, "request signature headers missing"),
                "unsigned",
            ));
        };
        let (dev, ts, nonce, sig) = (dev.to_string(), ts.to_string(), nonce.to_string(), sig.to_string());
        let malformed = || ApiError::unauthorized(ErrorCode::BadSignature, "malformed signature headers");
        let device: PublicKey = unb64_array(&dev, "device").map_err(|_| fail(malformed(), "malformed"))?;
        let sig: [u8; 64] = unb64_array(&sig, "signature").map_err(|_| fail(malformed(), "malformed"))?;
        let nonce_bytes = unb64(&nonce, "nonce").map_err(|_| fail(malformed(), "malformed"))?;
        if !(16..=32).contains(&nonce_bytes.len()) {
            return Err(fail(malformed(), "malformed"));
        }
        let ts: u64 = ts.parse().map_err(|_| fail(malformed(), "malformed"))?;
        let now = crate::clock::now_secs();
        if ts.abs_diff(now) > state.cfg.clock_skew_secs {
            return Err(fail(
                ApiError::unauthorized(ErrorCode::StaleTimestamp, "request timestamp outside the accepted window"),
                "stale",
            ));
        }
        let method = parts.method.clone();
        let path_q = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        let query = parts.uri.query().map(str::to_string);
        let body = Bytes::from_request(Request::from_parts(parts, body), state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::too_large("request body larger than this endpoint accepts")
            } else {
                ApiError::bad_request(ErrorCode::BadBody, "could not read request body")
            }
        })?;
        let msg = canonical_request(method.as_str(), &path_q, &body, ts, &nonce);
        verify_sig(&device, &msg, &sig).map_err(|_| {
            fail(ApiError::unauthorized(ErrorCode::BadSignature, "request signature does not verify"), "bad_sig")
        })?;
        let nonce_key = sha256(&[device.as_slice(), &nonce_bytes].concat());
        let expires_at = now + 2 * state.cfg.clock_skew_secs + 1;
        if !state.nonces.insert(nonce_key, expires_at, now) {
            return Err(fail(
                ApiError::unauthorized(ErrorCode::Replayed, "this request was already received"),
                "replay",
            ));
        }
        // The cache is lost on restart: state-changing requests are also checked in the store.
        let path = path_q.split_once('?').map_or(path_q.as_str(), |(p, _)| p);
        crate::replay::refuse_replay(state, &method, path, nonce_key, expires_at, now).await?;
        if let Err(wait) = state.limiter.take(device) {
            state.metrics.rate_limited();
            return Err(ApiError::rate_limited("too many requests from this device", wait));
        }
        Ok(Authed { device, body, query })
    }
}
