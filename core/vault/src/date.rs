//! Calendar dates as stored (`YYYY-MM-DD`) and "today" in UTC.

use crate::{Result, VaultError};
use time::{Date, OffsetDateTime, format_description::BorrowedFormatItem, macros::format_description};

const ISO: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// Validates and normalises an ISO date.
pub fn parse(s: &str) -> Result<Date> {
    Date::parse(s.trim(), ISO).map_err(|_| VaultError::InvalidInput("dates are written YYYY-MM-DD".into()))
}

pub fn format(d: Date) -> String {
    d.format(ISO).unwrap_or_default()
}

pub fn normalise(opt: Option<&str>) -> Result<Option<String>> {
    match opt.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => Ok(Some(format(parse(s)?))),
    }
}

pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

pub fn now_ms() -> i64 {
    let now = OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(normalise(Some("2027-02-28")).ok().flatten().as_deref(), Some("2027-02-28"));
        assert!(normalise(Some("2027-02-30")).is_err());
        assert!(normalise(Some("28/02/2027")).is_err());
        assert_eq!(normalise(Some("  ")).ok().flatten(), None);
    }
}
