//! Dates and sizes as a person reads them, in their language: "14 décembre 2026 à 16 h 09",
//! "12,3 Mo". The words (month names, units, "à") are in the catalogue; only the arithmetic is here.

use time::{Date, OffsetDateTime, UtcOffset};

use crate::{Args, Lang, t};

/// A date in words: "14 décembre 2026", "14 December 2026", "14 ديسمبر 2026".
pub fn date_in_words(lang: Lang, date: Date) -> String {
    t(
        lang,
        "date-in-words",
        &Args::new().num("day", date.day()).num("month", u8::from(date.month())).num("year", date.year()),
    )
}

/// A moment in words, in the time zone `offset` (the person's: see [`local_offset`]):
/// "14 décembre 2026 à 16 h 09".
pub fn date_time_in_words(lang: Lang, moment: OffsetDateTime, offset: UtcOffset) -> String {
    let local = moment.to_offset(offset);
    let minutes = format!("{:02}", local.minute());
    t(
        lang,
        "date-time-in-words",
        &Args::new().text("date", date_in_words(lang, local.date())).num("hour", local.hour()).text("minutes", minutes),
    )
}

/// This machine's time zone offset now, UTC when it cannot be known (the `time` crate refuses to
/// read it once the process has several threads: call this early, before any runtime starts).
pub fn local_offset() -> UtcOffset {
    UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC)
}

/// A size with one decimal and the language's unit: "12,3 Mo", "12.3 MB", "999 o".
pub fn size(lang: Lang, bytes: u64) -> String {
    let (value, id) = match bytes {
        b if b >= 1_000_000_000 => (b as f64 / 1e9, "size-gigabytes"),
        b if b >= 1_000_000 => (b as f64 / 1e6, "size-megabytes"),
        b if b >= 1_000 => (b as f64 / 1e3, "size-kilobytes"),
        b => return t(lang, "size-bytes", &Args::new().count("count", b)),
    };
    let separator = t(lang, "decimal-separator", &Args::new());
    let value = format!("{value:.1}").replace('.', &separator);
    t(lang, id, &Args::new().text("value", value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime, offset};

    #[test]
    fn dates_read_as_words_in_each_language() {
        assert_eq!(date_in_words(Lang::Fr, date!(2026 - 12 - 14)), "14 décembre 2026");
        assert_eq!(date_in_words(Lang::Fr, date!(2026 - 02 - 01)), "1er février 2026");
        assert_eq!(date_in_words(Lang::En, date!(2026 - 12 - 14)), "14 December 2026");
        assert_eq!(date_in_words(Lang::Ar, date!(2026 - 12 - 14)), "14 ديسمبر 2026");
    }

    #[test]
    fn moments_are_shown_in_the_persons_time_zone() {
        let moment = datetime!(2026-12-14 15:09 UTC);
        assert_eq!(date_time_in_words(Lang::Fr, moment, offset!(+1)), "14 décembre 2026 à 16 h 09");
        assert_eq!(date_time_in_words(Lang::En, moment, offset!(+1)), "14 December 2026 at 16:09");
        assert_eq!(date_time_in_words(Lang::Ar, moment, offset!(+1)), "14 ديسمبر 2026 الساعة 16:09");
        // Past midnight in Réunion (UTC+4): the date changes with the zone.
        let late = datetime!(2026-12-14 21:30 UTC);
        assert_eq!(date_time_in_words(Lang::Fr, late, offset!(+4)), "15 décembre 2026 à 1 h 30");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(Lang::Fr, 12_345_678), "12,3 Mo");
        assert_eq!(size(Lang::En, 12_345_678), "12.3 MB");
        assert_eq!(size(Lang::Ar, 12_345_678), "12,3 ميغابايت");
        assert_eq!(size(Lang::Fr, 999), "999 octets");
        assert_eq!(size(Lang::Fr, 1), "1 octet");
        assert_eq!(size(Lang::En, 1), "1 byte");
        assert_eq!(size(Lang::En, 2_500), "2.5 kB");
        assert_eq!(size(Lang::Fr, 3_200_000_000), "3,2 Go");
    }
}
