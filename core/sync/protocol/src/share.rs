//! Share links (DESIGN.md §5, `docs/sharing.md`): the wire types between the holder's device, the
//! server and the recipient's browser. The server only ever sees ciphertext: an encrypted manifest and
//! encrypted page copies, each framed and padded like op payloads ([`crate::pad_payload`]).
//!
//! Creating a share is one signed `POST /v1/vaults/{vault}/shares` whose body is a sequence of frames
//! `len(be32) || bytes`: first a JSON [`ShareCreate`], then the manifest ciphertext, then one padded
//! ciphertext per page, in page order.

use serde::{Deserialize, Serialize};

use crate::ShareId;
/// The share body's framing, kept at this path for its users.
pub use crate::frame::{join_frames, split_frames};

/// Version of the share wire format and of the link.
pub const SHARE_VERSION: u32 = 1;
/// Longest a share may live: 31 days.
pub const MAX_SHARE_SECS: u64 = 31 * 24 * 3600;
/// Most pages in one share.
pub const MAX_SHARE_PAGES: usize = 64;
/// How long an opening lets the browser fetch the pages.
pub const OPENING_TTL_SECS: u64 = 3600;

/// Header of `POST /s/{id}/open` carrying [`open_proof`] (base64url): only a holder of the link key
/// can make an opening count.
pub const HDR_SHARE_PROOF: &str = "x-coffre-share-proof";

const OPEN_PROOF_LABEL: &[u8] = b"coffre/share/v1/open\0";

/// What the recipient's browser shows the server to open a share: `sha256("coffre/share/v1/open" 0x00
/// || link key)`. The server cannot derive the link key from it (nor decrypt anything with it).
pub fn open_proof(link_key: &[u8; 32]) -> [u8; 32] {
    crate::sha256(&[OPEN_PROOF_LABEL, link_key.as_slice()].concat())
}

/// What the creator gives the server to check an [`open_proof`] against: `sha256(open_proof)`, so the
/// stored value does not open the share either (a leaked database opens nothing).
pub fn open_check(proof: &[u8; 32]) -> [u8; 32] {
    crate::sha256(proof)
}

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
    /// base64url of [`open_check`] of the link key's [`open_proof`]. Required by servers that count only
    /// openings with the proof; absent in shares made by older apps (the server then refuses them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_check: Option<String>,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// Longest share link accepted (a QR code holds it comfortably).
pub const MAX_LINK_LEN: usize = 512;
/// Version marker at the start of the link's fragment.
pub const LINK_FRAGMENT_PREFIX: &str = "v1.";

/// Why a text is not a share link. Names the part, never its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("too long")]
    TooLong,
    #[error("not a web address")]
    NotWeb,
    #[error("the key is missing")]
    MissingKey,
    /// A `vN.` fragment other than `v1.`: made by a newer version.
    #[error("unsupported link version")]
    Version,
    #[error("bad key")]
    BadKey,
    #[error("not a share address")]
    NotShare,
    #[error("bad server address")]
    BadServer,
    #[error("bad share id")]
    BadId,
}

/// A share link taken apart: `<server>/s/<id>#v1.<key>` (see `docs/sharing.md`).
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedLink {
    /// Scheme, host and any path prefix, without the trailing slash.
    pub server: String,
    pub id: ShareId,
    pub key: zeroize::Zeroizing<[u8; 32]>,
}

/// Parses a share link as scanned from a QR code or typed. Total: any text gives a value or a
/// [`LinkError`] (fuzzed by `fuzz/fuzz_targets/share_link.rs`).
pub fn parse_share_link(link: &str) -> Result<ParsedLink, LinkError> {
    let link = link.trim();
    if link.len() > MAX_LINK_LEN {
        return Err(LinkError::TooLong);
    }
    let scheme_len = if link.starts_with("https://") {
        8
    } else if link.starts_with("http://") {
        7
    } else {
        return Err(LinkError::NotWeb);
    };
    let (before, fragment) = link.split_once('#').ok_or(LinkError::MissingKey)?;
    let key_text = fragment.strip_prefix(LINK_FRAGMENT_PREFIX).ok_or_else(|| {
        let versioned = fragment
            .strip_prefix('v')
            .and_then(|r| r.split_once('.'))
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if versioned { LinkError::Version } else { LinkError::BadKey }
    })?;
    let (server, id_text) = before.rsplit_once("/s/").ok_or(LinkError::NotShare)?;
    if server.len() <= scheme_len || server[scheme_len..].contains(['?', '#', ' ']) {
        return Err(LinkError::BadServer);
    }
    let id = ShareId::parse(id_text).map_err(|_| LinkError::BadId)?;
    let key = zeroize::Zeroizing::new(crate::unb64_array::<32>(key_text, "link key").map_err(|_| LinkError::BadKey)?);
    Ok(ParsedLink { server: server.to_string(), id, key })
}

impl ParsedLink {
    /// The link text (it holds the key: show it, never log it).
    pub fn to_url(&self) -> zeroize::Zeroizing<String> {
        zeroize::Zeroizing::new(format!(
            "{}/s/{}#{LINK_FRAGMENT_PREFIX}{}",
            self.server,
            self.id,
            crate::b64(self.key.as_slice())
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn open_proof_snapshot() {
        let proof = open_proof(&[7; 32]);
        assert_eq!(proof, crate::sha256(&[b"coffre/share/v1/open\0".as_slice(), &[7; 32]].concat()));
        assert_ne!(open_check(&proof), proof);
        assert_ne!(open_proof(&[8; 32]), proof);
    }

    #[test]
    fn share_ids_are_22_chars() {
        let id = crate::b64(&[7u8; 16]);
        assert_eq!(ShareId::parse(&id).unwrap(), ShareId::from([7u8; 16]));
        assert!(ShareId::parse(&id[..21]).is_err());
        assert!(ShareId::parse("!!!!!!!!!!!!!!!!!!!!!!").is_err());
    }

    #[test]
    fn refusal_codes_round_trip() {
        for r in [ShareRefusal::NotFound, ShareRefusal::Expired, ShareRefusal::Revoked, ShareRefusal::Exhausted] {
            assert_eq!(ShareRefusal::from_code(r.code()), Some(r));
        }
    }
}
