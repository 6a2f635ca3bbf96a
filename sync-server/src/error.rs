//! API errors: a status, a stable machine code and a short human message, sent as
//! `{ "v": 1, "error": "code", "message": "..." }`. Messages never contain keys, ids of documents or
//! request contents.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use coffre_sync_protocol::{ErrorBody, ErrorCode, PROTOCOL_VERSION};

use crate::store::StoreError;

pub type ApiResult<T> = Result<T, ApiError>;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    pub missing: Vec<String>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), missing: Vec::new(), retry_after: None }
    }
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unauthorized(code: ErrorCode, message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }
    pub fn forbidden(code: ErrorCode, message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }
    pub fn not_found(code: ErrorCode, message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }
    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::CONFLICT, code, message)
    }
    pub fn too_large(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge, message)
    }
    pub fn quota() -> ApiError {
        Self::new(StatusCode::INSUFFICIENT_STORAGE, ErrorCode::QuotaExceeded, "the vault's storage quota is used up")
    }
    pub fn version(v: u32) -> ApiError {
        Self::bad_request(
            ErrorCode::UnsupportedVersion,
            format!("body version {v} is not supported (expected {PROTOCOL_VERSION})"),
        )
    }
    /// The vault named in a path is not one this server keeps (or the device may not know it is).
    pub fn unknown_vault() -> ApiError {
        Self::not_found(ErrorCode::UnknownVault, "no such vault")
    }
    /// Too many requests for one key (device, mailbox, share), with the seconds to wait.
    pub fn rate_limited(message: &'static str, wait: u64) -> ApiError {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited, message);
        e.retry_after = Some(wait);
        e
    }
    pub fn bad_json(e: &serde_json::Error) -> ApiError {
        // serde_json messages name fields and positions, not values.
        Self::bad_request(ErrorCode::BadJson, format!("malformed body: {}", e.classify_text()))
    }
}

trait Classify {
    fn classify_text(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_text(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "i/o",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "unexpected fields or types",
            serde_json::error::Category::Eof => "truncated",
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "storage failure");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, "internal storage error")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            v: PROTOCOL_VERSION,
            error: self.code.as_str().to_string(),
            message: self.message,
            missing: self.missing,
        };
        let mut resp = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}
