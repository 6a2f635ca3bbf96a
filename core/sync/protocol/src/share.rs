//! Share links (DESIGN.md §5, `docs/sharing.md`): the wire types between the holder's device, the
//! server and the recipient's browser. The server only ever sees ciphertext: an encrypted manifest and
//! encrypted page copies, each framed and padded like op payloads ([`crate::pad_payload`]).
//!
//! Creating a share is one signed `POST /v1/vaults/{vault}/shares` whose body is a sequence of frames
//! `len(be32) || bytes`: first a JSON [`ShareCreate`], then the manifest ciphertext, then one padded
//! ciphertext per page, in page order.

use serde::{Deserialize, Serialize};

use crate::ProtocolError;

/// Version of the share wire format and of the link.
pub const SHARE_VERSION: u32 = 1;
/// Longest a share may live: 31 days.
pub const MAX_SHARE_SECS: u64 = 31 * 24 * 3600;
/// Most pages in one share.
pub const MAX_SHARE_PAGES: usize = 64;
/// How long an opening lets the browser fetch the pages.
pub const OPENING_TTL_SECS: u64 = 3600;

/// Length of a share id in bytes (shown as 22 base64url characters).
pub const SHARE_ID_LEN: usize = 16;

/// The JSON frame that starts a share upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareCreate {
    pub v: u32,
    /// base64url of [`SHARE_ID_LEN`] random bytes, chosen by the device (the keys bind it).
    pub id: String,
    /// Unix seconds; at most [`MAX_SHARE_SECS`] from now.
    pub expires_at: u64,
    /// Openings allowed (none: unlimited until expiry).
    pub max_opens: Option<u32>,
    pub pages: u32,
}

/// One share as its holder lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareInfo {
    pub id: String,
    pub created_at: u64,
    pub expires_at: u64,
    pub max_opens: Option<u32>,
    /// When each opening happened (unix seconds), oldest first.
    pub opened_at: Vec<u64>,
    pub revoked_at: Option<u64>,
    pub pages: u32,
    /// Padded bytes stored (0 once purged).
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareList {
    pub v: u32,
    pub shares: Vec<ShareInfo>,
}

/// What the viewer gets when it opens a link (this counts one opening).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareOpened {
    pub v: u32,
    /// base64url of the padded manifest ciphertext.
    pub manifest: String,
    pub pages: u32,
    pub expires_at: u64,
    /// Presented as `?t=` to fetch pages, for [`OPENING_TTL_SECS`].
    pub token: String,
}

/// Why a link does not open; the `error` code of the refusal, which the viewer turns into French.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareRefusal {
    NotFound,
    Expired,
    Revoked,
    Exhausted,
}

impl ShareRefusal {
    pub fn code(self) -> &'static str {
        match self {
            ShareRefusal::NotFound => "share_not_found",
            ShareRefusal::Expired => "share_expired",
            ShareRefusal::Revoked => "share_revoked",
            ShareRefusal::Exhausted => "share_exhausted",
        }
    }

    pub fn from_code(code: &str) -> Option<ShareRefusal> {
        [ShareRefusal::NotFound, ShareRefusal::Expired, ShareRefusal::Revoked, ShareRefusal::Exhausted]
            .into_iter()
            .find(|r| r.code() == code)
    }
}

/// Parses a share id (22 base64url characters for 16 bytes).
pub fn parse_share_id(s: &str) -> Result<[u8; SHARE_ID_LEN], ProtocolError> {
    if s.len() != 22 {
        return Err(ProtocolError::Length("share id"));
    }
    crate::unb64_array(s, "share id")
}

/// Splits `len(be32) || bytes` frames; refuses trailing or truncated data.
pub fn split_frames(mut body: &[u8]) -> Result<Vec<&[u8]>, ProtocolError> {
    let mut out = Vec::new();
    while !body.is_empty() {
        if body.len() < 4 {
            return Err(ProtocolError::Length("frame header"));
        }
        let (len, rest) = body.split_at(4);
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        if len > rest.len() {
            return Err(ProtocolError::Length("frame"));
        }
        let (frame, rest) = rest.split_at(len);
        out.push(frame);
        body = rest;
    }
    Ok(out)
}

/// Joins frames for [`split_frames`].
pub fn join_frames(frames: &[&[u8]]) -> Result<Vec<u8>, ProtocolError> {
    let mut out = Vec::with_capacity(frames.iter().map(|f| f.len() + 4).sum());
    for f in frames {
        let len = u32::try_from(f.len()).map_err(|_| ProtocolError::Length("frame"))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(f);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn frames_round_trip_and_refuse_truncation() {
        let body = join_frames(&[b"abc", b"", b"de"]).unwrap();
        assert_eq!(split_frames(&body).unwrap(), vec![&b"abc"[..], b"", b"de"]);
        for cut in 1..body.len() {
            let r = split_frames(&body[..cut]);
            // every proper prefix either fails or yields fewer frames
            assert!(r.is_err() || r.unwrap().len() < 3);
        }
    }

    #[test]
    fn share_ids_are_22_chars() {
        let id = crate::b64(&[7u8; 16]);
        assert_eq!(parse_share_id(&id).unwrap(), [7u8; 16]);
        assert!(parse_share_id(&id[..21]).is_err());
        assert!(parse_share_id("!!!!!!!!!!!!!!!!!!!!!!").is_err());
    }

    #[test]
    fn refusal_codes_round_trip() {
        for r in [ShareRefusal::NotFound, ShareRefusal::Expired, ShareRefusal::Revoked, ShareRefusal::Exhausted] {
            assert_eq!(ShareRefusal::from_code(r.code()), Some(r));
        }
    }
}
