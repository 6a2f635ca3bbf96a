//! Hybrid logical clock: timestamps that follow wall time but never go backwards on one writer and
//! order concurrent edits deterministically (writer id as the tie-break). Serialised so that
//! string order is clock order: `<ms, 13 digits>-<counter, 5 digits>-<writer>`.

use crate::{Result, VaultError};
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hlc {
    pub wall_ms: i64,
    pub counter: u32,
    pub writer: String,
}

impl Hlc {
    /// The next timestamp after `last` for `writer` at wall time `now_ms`.
    pub fn tick(last: Option<&Hlc>, now_ms: i64, writer: &str) -> Hlc {
        match last {
            Some(l) if l.wall_ms >= now_ms => Hlc { wall_ms: l.wall_ms, counter: l.counter + 1, writer: writer.into() },
            _ => Hlc { wall_ms: now_ms, counter: 0, writer: writer.into() },
        }
    }

    pub fn encode(&self) -> String {
        format!("{:013}-{:05}-{}", self.wall_ms.max(0), self.counter.min(99_999), self.writer)
    }

    pub fn decode(s: &str) -> Result<Hlc> {
        let bad = || VaultError::InvalidInput("malformed clock value".into());
        let mut parts = s.splitn(3, '-');
        let wall_ms = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let counter = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let writer = parts.next().ok_or_else(bad)?.to_string();
        Ok(Hlc { wall_ms, counter, writer })
    }
}

impl PartialOrd for Hlc {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Hlc {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.wall_ms, self.counter, &self.writer).cmp(&(other.wall_ms, other.counter, &other.writer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_goes_backwards_and_orders_like_its_encoding() -> Result<()> {
        let a = Hlc::tick(None, 1_000, "dev-a");
        let b = Hlc::tick(Some(&a), 900, "dev-a"); // wall clock stepped back
        assert!(b > a);
        let c = Hlc::tick(Some(&b), 5_000, "dev-a");
        assert!(c > b);
        assert_eq!(c.counter, 0);
        let other = Hlc { wall_ms: c.wall_ms, counter: c.counter, writer: "dev-b".into() };
        assert!(other > c, "writer id breaks ties");
        for (x, y) in [(&a, &b), (&b, &c), (&c, &other)] {
            assert!(x.encode() < y.encode());
            assert_eq!(Hlc::decode(&x.encode())?, *x);
        }
        assert!(Hlc::decode("garbage").is_err());
        Ok(())
    }
}
