//! A tiny length-checked binary codec for the signed structures: big-endian integers, fixed arrays,
//! and `u16`-length-prefixed byte strings. Every read is bounds-checked and returns a typed error, so
//! the parsers never panic on hostile input (they are fuzzed, see `fuzz/`).

use crate::error::{MandateError, Result};

/// Appends fields.
#[derive(Default)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    pub fn new() -> Self {
        Self(Vec::with_capacity(256))
    }
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(b);
        self
    }
    /// `len(u16 BE) || bytes`; the caller has checked `b.len() <= u16::MAX`.
    pub fn bytes16(&mut self, b: &[u8]) -> &mut Self {
        let len = u16::try_from(b.len()).unwrap_or(u16::MAX);
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0.extend_from_slice(&b[..usize::from(len)]);
        self
    }
    pub fn into_inner(self) -> Vec<u8> {
        self.0
    }
}

/// Reads fields; `what` names the structure in errors.
pub struct Reader<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8], what: &'static str) -> Self {
        Self { buf, what }
    }
    /// How many bytes have not been read.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.buf.len() < n {
            return Err(MandateError::Truncated(self.what));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub fn u64(&mut self) -> Result<u64> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_be_bytes(a))
    }
    pub fn arr<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    pub fn bytes16(&mut self, max: usize) -> Result<&'a [u8]> {
        let len = usize::from(u16::from_be_bytes(self.arr::<2>()?));
        if len > max {
            return Err(MandateError::Oversized(self.what));
        }
        self.take(len)
    }
    /// A UTF-8 string of at most `max` bytes, without control characters.
    pub fn text(&mut self, max: usize) -> Result<String> {
        let b = self.bytes16(max)?;
        let s = std::str::from_utf8(b).map_err(|_| MandateError::Malformed(self.what))?;
        if s.chars().any(char::is_control) {
            return Err(MandateError::Malformed(self.what));
        }
        Ok(s.to_string())
    }
    /// The version byte, which must be `expected`.
    pub fn version(&mut self, expected: u8) -> Result<()> {
        let v = self.u8()?;
        if v != expected {
            return Err(MandateError::UnsupportedVersion { what: self.what, version: v });
        }
        Ok(())
    }
    /// Refuses trailing bytes.
    pub fn end(&self) -> Result<()> {
        if self.buf.is_empty() { Ok(()) } else { Err(MandateError::Malformed(self.what)) }
    }
}

/// Checks a text field before writing it (same rule as [`Reader::text`]).
pub fn check_text(s: &str, max: usize, what: &'static str) -> Result<()> {
    if s.len() > max {
        return Err(MandateError::Oversized(what));
    }
    if s.trim().is_empty() || s.chars().any(char::is_control) {
        return Err(MandateError::Malformed(what));
    }
    Ok(())
}

/// base64url without padding.
pub fn b64(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Parses [`b64`]; at most `max` decoded bytes.
pub fn unb64(s: &str, max: usize, what: &'static str) -> Result<Vec<u8>> {
    use base64::Engine as _;
    if s.len() > max.saturating_mul(4) / 3 + 4 {
        return Err(MandateError::Oversized(what));
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim()).map_err(|_| MandateError::Malformed(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bounds() {
        let mut w = Writer::new();
        w.u8(1).u64(42).raw(&[9; 4]).bytes16(b"CCAS");
        let b = w.into_inner();
        let mut r = Reader::new(&b, "test");
        assert_eq!(r.u8(), Ok(1));
        assert_eq!(r.u64(), Ok(42));
        assert_eq!(r.arr::<4>(), Ok([9; 4]));
        assert_eq!(r.text(10).as_deref(), Ok("CCAS"));
        assert!(r.end().is_ok());
        assert_eq!(r.u8(), Err(MandateError::Truncated("test")));
        let mut r = Reader::new(&b[13..], "test");
        assert_eq!(r.text(3), Err(MandateError::Oversized("test")));
        let bad = [0u8, 2, b'a', 0x07];
        assert_eq!(Reader::new(&bad, "t").text(8), Err(MandateError::Malformed("t")));
        assert!(check_text("  ", 10, "x").is_err());
        assert!(check_text(&"a".repeat(11), 10, "x").is_err());
    }
}
