//! [`fixed_id!`]: the one definition of a fixed-size id type, so every id parses, prints, serialises
//! and is stored the same way.

/// Declares `$name`, a `$len`-byte id written on the wire as `$encoding` (a variant of
/// [`crate::Encoding`]); `$what` names it in errors (never the value).
macro_rules! fixed_id {
    ($(#[$attr:meta])* $name:ident, $len:literal, $encoding:ident, $what:literal) => {
        $(#[$attr])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; $len]);

        impl $name {
            /// Length in bytes.
            pub const LEN: usize = $len;
            /// The wire text: `Display`, `FromStr` and serde all use it.
            pub const ENCODING: $crate::Encoding = $crate::Encoding::$encoding;
            const WHAT: &'static str = $what;

            pub const fn from_bytes(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }

            pub const fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            pub const fn to_bytes(self) -> [u8; $len] {
                self.0
            }

            /// From bytes that must be exactly [`Self::LEN`] long (a database column, a decoded field).
            pub fn from_slice(bytes: &[u8]) -> Result<Self, $crate::IdError> {
                bytes.try_into().map(Self).map_err(|_| $crate::IdError::Length(Self::WHAT))
            }

            /// Parses the wire text (strict: one text per value).
            pub fn parse(s: &str) -> Result<Self, $crate::IdError> {
                Self::ENCODING.decode(s, Self::WHAT).map(Self)
            }

            /// Lowercase hex (wrong length and uppercase are `Length` errors, other digits `Encoding`).
            pub fn from_hex(s: &str) -> Result<Self, $crate::IdError> {
                $crate::text::hex_array(s, Self::WHAT).map(Self)
            }

            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            /// base64url without padding.
            pub fn from_b64url(s: &str) -> Result<Self, $crate::IdError> {
                $crate::text::b64_array(s, Self::WHAT).map(Self)
            }

            pub fn to_b64url(&self) -> String {
                $crate::Encoding::Base64Url.encode(&self.0)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&Self::ENCODING.encode(&self.0))
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::IdError;

            fn from_str(s: &str) -> Result<Self, $crate::IdError> {
                Self::parse(s)
            }
        }

        impl From<[u8; $len]> for $name {
            fn from(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }
        }

        impl From<$name> for [u8; $len] {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(d)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        #[cfg(feature = "rusqlite")]
        impl rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::Borrowed(rusqlite::types::ValueRef::Blob(&self.0)))
            }
        }

        #[cfg(feature = "rusqlite")]
        impl rusqlite::types::FromSql for $name {
            fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                <[u8; $len]>::column_result(value).map(Self)
            }
        }
    };
}

pub(crate) use fixed_id;
