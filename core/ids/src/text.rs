//! The two text forms of ids on the wire: lowercase hex (ids and hashes, which appear in paths) and
//! base64url without padding (keys). Both parsers are strict, so every value has exactly one text.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::IdError;

/// How an id is written on the wire (its `Display`, `FromStr` and serde form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Lowercase hex, two digits a byte.
    Hex,
    /// base64url without padding.
    Base64Url,
}

impl Encoding {
    pub fn encode(self, bytes: &[u8]) -> String {
        match self {
            Encoding::Hex => hex::encode(bytes),
            Encoding::Base64Url => URL_SAFE_NO_PAD.encode(bytes),
        }
    }

    /// Decodes exactly `N` bytes.
    pub fn decode<const N: usize>(self, s: &str, what: &'static str) -> Result<[u8; N], IdError> {
        match self {
            Encoding::Hex => hex_array(s, what),
            Encoding::Base64Url => b64_array(s, what),
        }
    }
}

/// Lowercase hex of exactly `N` bytes. A wrong length or an uppercase digit is a `Length` error, any
/// other non-hex character an `Encoding` error (the rule `unhex32` always had).
pub fn hex_array<const N: usize>(s: &str, what: &'static str) -> Result<[u8; N], IdError> {
    if s.len() != 2 * N || has_uppercase(s) {
        return Err(IdError::Length(what));
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).map_err(|_| IdError::Encoding(what))?;
    Ok(out)
}

/// Lowercase hex whose byte length is within `min..=max`, same errors as [`hex_array`].
pub fn hex_vec(s: &str, min: usize, max: usize, what: &'static str) -> Result<Vec<u8>, IdError> {
    if !s.len().is_multiple_of(2) || !(2 * min..=2 * max).contains(&s.len()) || has_uppercase(s) {
        return Err(IdError::Length(what));
    }
    hex::decode(s).map_err(|_| IdError::Encoding(what))
}

/// base64url (no padding) of exactly `N` bytes: undecodable text is an `Encoding` error, a wrong
/// decoded length a `Length` error.
pub fn b64_array<const N: usize>(s: &str, what: &'static str) -> Result<[u8; N], IdError> {
    let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| IdError::Encoding(what))?;
    bytes.try_into().map_err(|_| IdError::Length(what))
}

fn has_uppercase(s: &str) -> bool {
    s.bytes().any(|c| c.is_ascii_uppercase())
}
