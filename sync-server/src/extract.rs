//! What the handlers take from a request before they start: [`Member`] (a signed request from a device
//! enrolled in the path's vault), the body as [`VersionedJson`] (a JSON body whose `v` this server
//! speaks), and query integers. Each rejects with the same status, code and message wherever it is used.

use std::collections::HashMap;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::response::{IntoResponse, Response};
use coffre_mandate::wire::{
    DepositRequest, MandateBody, OrgRegisterRequest, PackageBody, RevocationRequest, TransmitRequest, WIRE_VERSION,
};
use coffre_sync_protocol::generation::GenerationSwitch;
use coffre_sync_protocol::recovery::{AssistedPut, AssistedRelease, CodeSlotPut, KeysRotated};
use coffre_sync_protocol::{
    AppendRequest, BlobCommitRequest, ChunkList, DeviceAddRequest, ErrorCode, Hash, InvitationRequest, MailboxMessage,
    PROTOCOL_VERSION, PublicKey, RegisterRequest, VaultId,
};
use serde::de::DeserializeOwned;

use crate::auth::{drain_small_body, read_committed_body, refuse_stored_replay, verify_headers};
use crate::error::{ApiError, ApiResult};
use crate::membership::Lookup;
use crate::state::AppState;
use crate::store::Membership;

/// A signed request from a device enrolled in the vault named by the path's `{vault}`, with its body
/// read as `B` (raw bytes by default). Checked in this order: the signed headers
/// ([`crate::auth::verify_headers`]), the membership, and only then the body is read (so a stranger's
/// key never makes the server read a body).
#[derive(Debug)]
pub struct Member<B = Bytes> {
    pub vault: Hash,
    /// The signing device.
    pub device: PublicKey,
    pub body: B,
    pub query: Option<String>,
}

impl<B: FromBody> FromRequest<AppState> for Member<B> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let vault = params.get("vault").map(String::as_str).unwrap_or_default();
        let checked = match verify_headers(&parts, state) {
            Ok(signed) => match enrolled(state, vault, &signed.device).await {
                Ok(vault) => refuse_stored_replay(&parts, state, &signed).await.map(|()| (signed, vault)),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        let (signed, vault) = match checked {
            Ok(ok) => ok,
            Err(e) => {
                drain_small_body(&parts, body).await;
                return Err(e.into_response());
            }
        };
        let bytes = read_committed_body(body, &signed.body).await.map_err(IntoResponse::into_response)?;
        let body = B::from_body(bytes).map_err(IntoResponse::into_response)?;
        Ok(Member { vault, device: signed.device, body, query: signed.query })
    }
}

/// The vault named in a path: a malformed id is an unknown vault.
pub(crate) fn vault_param(vault: &str) -> ApiResult<Hash> {
    VaultId::parse(vault).map(VaultId::to_bytes).map_err(|_| ApiError::unknown_vault())
}

/// The vault named in the path, if `device` is enrolled in it (the membership cache first).
async fn enrolled(state: &AppState, vault: &str, device: &PublicKey) -> ApiResult<Hash> {
    let vault = vault_param(vault)?;
    let now = Instant::now();
    let epoch = match state.members.lookup(&vault, device, now) {
        Lookup::Fresh => return Ok(vault),
        Lookup::Ask { epoch } => epoch,
    };
    match state.meta.membership(vault, *device).await? {
        Membership::Enrolled => {
            state.members.confirm(vault, *device, now, epoch);
            // "Last seen" for `device list`: once per cache period, not on every request.
            if let Err(e) = state.enrolments.record_seen(vault, *device, crate::clock::now_secs()).await {
                tracing::warn!(error = %e, "could not record when a device was last seen");
            }
            Ok(vault)
        }
        Membership::NoVault => Err(ApiError::unknown_vault()),
        Membership::NotMember => {
            state.metrics.auth_failure("membership");
            Err(ApiError::forbidden(ErrorCode::NotAMember, "this device is not enrolled in this vault"))
        }
        Membership::Revoked => {
            state.metrics.auth_failure("membership");
            Err(ApiError::forbidden(ErrorCode::DeviceRevoked, "this device was removed from this vault"))
        }
    }
}

/// A request body as a handler wants it, made from the raw bytes once the request is authorised.
pub trait FromBody: Sized {
    fn from_body(body: Bytes) -> ApiResult<Self>;
}

impl FromBody for Bytes {
    fn from_body(body: Bytes) -> ApiResult<Self> {
        Ok(body)
    }
}

/// A JSON body that carries the wire version it was written for.
pub trait Versioned: DeserializeOwned {
    /// The version this server reads.
    const VERSION: u32;
    /// The version the body says.
    fn v(&self) -> u32;
}

/// A JSON body in the version this server speaks: `400 bad_json` if it does not parse, `400
/// unsupported_version` if its `v` is another.
#[derive(Debug)]
pub struct VersionedJson<T>(pub T);

impl<T: Versioned> VersionedJson<T> {
    /// For handlers that check something else first (a path id, a mailbox key, a mandate).
    pub fn parse(body: &[u8]) -> ApiResult<T> {
        let body: T = serde_json::from_slice(body).map_err(|e| ApiError::bad_json(&e))?;
        if body.v() == T::VERSION { Ok(body) } else { Err(ApiError::version(body.v())) }
    }
}

impl<T: Versioned> FromBody for VersionedJson<T> {
    fn from_body(body: Bytes) -> ApiResult<Self> {
        VersionedJson::parse(&body).map(VersionedJson)
    }
}

/// An unsigned request's body (organisation registration).
impl<T: Versioned, S: Send + Sync> FromRequest<S> for VersionedJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = Bytes::from_request(req, state).await.map_err(IntoResponse::into_response)?;
        VersionedJson::from_body(body).map_err(IntoResponse::into_response)
    }
}

macro_rules! versioned {
    ($version:expr => $($body:ty),* $(,)?) => {
        $(impl Versioned for $body {
            const VERSION: u32 = $version;
            fn v(&self) -> u32 {
                self.v
            }
        })*
    };
}

versioned!(PROTOCOL_VERSION =>
    RegisterRequest, DeviceAddRequest, AppendRequest, ChunkList, BlobCommitRequest, MailboxMessage,
    KeysRotated, CodeSlotPut, AssistedPut, AssistedRelease, GenerationSwitch, InvitationRequest,
);
versioned!(WIRE_VERSION =>
    OrgRegisterRequest, RevocationRequest, MandateBody, PackageBody, DepositRequest, TransmitRequest,
);

/// `key=<u64>` in a query string; `None` if absent, `400 bad_query` if not an integer.
pub fn query_u64(q: Option<&str>, key: &str) -> ApiResult<Option<u64>> {
    let Some(q) = q else { return Ok(None) };
    for pair in q.split('&') {
        if let Some((k, v)) = pair.split_once('=')
            && k == key
        {
            return v
                .parse()
                .map(Some)
                .map_err(|_| ApiError::bad_request(ErrorCode::BadQuery, format!("{key} must be an integer")));
        }
    }
    Ok(None)
}
