//! [`BlobId`]: the one id whose length varies. Clients choose it (16 to 32 random bytes) when they
//! commit a blob's chunk list; today's devices use 16.

use std::cmp::Ordering;

use crate::IdError;

/// A blob id: 16 to 32 bytes, lowercase hex on the wire, a BLOB in SQLite.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobId {
    len: u8,
    /// Zero after `len`, so the derived equality and hash see only the id.
    bytes: [u8; BlobId::MAX_LEN],
}

impl BlobId {
    pub const MIN_LEN: usize = 16;
    pub const MAX_LEN: usize = 32;
    const WHAT: &'static str = "blob id";

    /// From bytes whose length is within `MIN_LEN..=MAX_LEN`.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, IdError> {
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&bytes.len()) {
            return Err(IdError::Length(Self::WHAT));
        }
        let mut out = [0u8; Self::MAX_LEN];
        out[..bytes.len()].copy_from_slice(bytes);
        Ok(BlobId { len: bytes.len() as u8, bytes: out })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Parses lowercase hex of 32 to 64 digits (odd lengths and uppercase are `Length` errors).
    pub fn parse(s: &str) -> Result<Self, IdError> {
        Self::from_slice(&crate::text::hex_vec(s, Self::MIN_LEN, Self::MAX_LEN, Self::WHAT)?)
    }

    pub fn from_hex(s: &str) -> Result<Self, IdError> {
        Self::parse(s)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.as_bytes())
    }
}

impl From<[u8; 16]> for BlobId {
    fn from(bytes: [u8; 16]) -> Self {
        let mut out = [0u8; Self::MAX_LEN];
        out[..16].copy_from_slice(&bytes);
        BlobId { len: 16, bytes: out }
    }
}

/// Byte order, as the `Vec<u8>` it replaces sorted.
impl Ord for BlobId {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl PartialOrd for BlobId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl AsRef<[u8]> for BlobId {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl std::fmt::Display for BlobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl std::fmt::Debug for BlobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BlobId({self})")
    }
}

impl std::str::FromStr for BlobId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::parse(s)
    }
}

impl serde::Serialize for BlobId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for BlobId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "rusqlite")]
impl rusqlite::types::ToSql for BlobId {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::Borrowed(rusqlite::types::ValueRef::Blob(self.as_bytes())))
    }
}

#[cfg(feature = "rusqlite")]
impl rusqlite::types::FromSql for BlobId {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        BlobId::from_slice(value.as_blob()?).map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}
