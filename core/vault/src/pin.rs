//! How strong a new PIN or passphrase must be, and how many wrong ones this vault has seen.
//!
//! Strength: a phone thief with the locked phone tries the PINs people pick first ("1234", a date, a
//! repeated digit); [`check_new_secret`] refuses those with the reason, so the app can say why in
//! plain words. A PIN (digits only) needs 6 digits, not one repeated, not a run (123456, 987654), not
//! a pair or triple repeated (121212, 123123), not a date (DDMMYY, DDMMYYYY); a passphrase with
//! letters needs 8 characters and must not be a common one ("motdepasse", "azertyuiop").
//!
//! Attempts: [`UnlockAttempts`] lives in `vault.json` (the header) and grows with each wrong
//! passphrase; past [`FREE_ATTEMPTS`] each try waits longer ([`UnlockAttempts::wait_secs`]). The header
//! is a file: whoever copies the vault folder, or edits that file, resets the count or guesses offline
//! against Argon2id without it. The counter slows guessing through Coffre on this device; it is not a
//! limit against a copy (docs/threat-model.md, "The phone thief"). On phones the apps keep the count
//! where a file copy does not reach (Keystore/Keychain-backed storage), see android/ and ios/.

use serde::{Deserialize, Serialize};

/// Wrong passphrases allowed before any waiting.
pub const FREE_ATTEMPTS: u32 = 3;
/// First wait (after [`FREE_ATTEMPTS`] failures), doubled at each further failure.
pub const FIRST_WAIT_SECS: u64 = 30;
/// Longest wait between two tries.
pub const MAX_WAIT_SECS: u64 = 3_600;
/// Shortest PIN (digits only).
pub const MIN_PIN_DIGITS: usize = 6;
/// Shortest passphrase with other characters than digits.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// Why a new PIN or passphrase is refused. The person is told the reason and what to pick instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeakSecret {
    /// Fewer digits (PIN) or characters (passphrase) than required.
    TooShort { min: usize },
    /// One character repeated ("000000").
    Repeated,
    /// Digits that follow each other ("123456", "987654").
    Run,
    /// A short group repeated ("121212", "123123").
    Pattern,
    /// A date, as DDMMYY or DDMMYYYY (a birthday is the first thing tried).
    Date,
    /// One of the passphrases people pick most ("motdepasse", "azertyuiop").
    Common,
}

impl std::fmt::Display for WeakSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WeakSecret::TooShort { min } => write!(f, "too short (at least {min})"),
            WeakSecret::Repeated => f.write_str("one character repeated"),
            WeakSecret::Run => f.write_str("digits that follow each other"),
            WeakSecret::Pattern => f.write_str("a short group repeated"),
            WeakSecret::Date => f.write_str("looks like a date"),
            WeakSecret::Common => f.write_str("one of the most common passphrases"),
        }
    }
}

const COMMON: &[&str] = &[
    "motdepasse",
    "password",
    "azertyuiop",
    "qwertyuiop",
    "azertyui",
    "qwertyui",
    "password1",
    "motdepasse1",
    "iloveyou",
    "jetaime1",
    "soleil123",
    "bonjour1",
    "doudou123",
    "chouchou",
    "marseille",
    "football",
    "12345678a",
    "coffrefort",
    "coffre123",
    "abcdefgh",
    "abcd1234",
    "azerty123",
    "qwerty123",
    "1234abcd",
];

/// Checks a new PIN or passphrase (at creation, linking, recovery, change).
pub fn check_new_secret(secret: &str) -> Result<(), WeakSecret> {
    let s = secret.trim();
    let chars: Vec<char> = s.chars().collect();
    if !chars.is_empty() && chars.iter().all(|c| c.is_ascii_digit()) {
        let d: Vec<u8> = chars.iter().map(|c| *c as u8 - b'0').collect();
        if d.len() < MIN_PIN_DIGITS {
            return Err(WeakSecret::TooShort { min: MIN_PIN_DIGITS });
        }
        if d.iter().all(|x| *x == d[0]) {
            return Err(WeakSecret::Repeated);
        }
        let up = d.windows(2).all(|w| w[1] == (w[0] + 1) % 10);
        let down = d.windows(2).all(|w| w[0] == (w[1] + 1) % 10);
        if up || down {
            return Err(WeakSecret::Run);
        }
        if (2..=d.len() / 2).any(|p| d.len().is_multiple_of(p) && d.chunks(p).all(|c| c == &d[..p])) {
            return Err(WeakSecret::Pattern);
        }
        if looks_like_date(&d) {
            return Err(WeakSecret::Date);
        }
        return Ok(());
    }
    if chars.len() < MIN_PASSPHRASE_CHARS {
        return Err(WeakSecret::TooShort { min: MIN_PASSPHRASE_CHARS });
    }
    if chars.iter().all(|c| *c == chars[0]) {
        return Err(WeakSecret::Repeated);
    }
    let lower = s.to_lowercase();
    if COMMON.contains(&lower.as_str()) {
        return Err(WeakSecret::Common);
    }
    Ok(())
}

/// DDMMYY or DDMMYYYY with a real day and month (and a year 19xx/20xx for 8 digits).
fn looks_like_date(d: &[u8]) -> bool {
    let n = |a: usize, b: usize| d[a..b].iter().fold(0u32, |acc, x| acc * 10 + u32::from(*x));
    let day_month = |day: u32, month: u32| (1..=31).contains(&day) && (1..=12).contains(&month);
    match d.len() {
        6 => day_month(n(0, 2), n(2, 4)),
        8 => day_month(n(0, 2), n(2, 4)) && (1900..=2099).contains(&n(4, 8)),
        _ => false,
    }
}

/// Wrong passphrases since the last right one, kept in the vault header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockAttempts {
    /// Wrong passphrases in a row.
    pub failed: u32,
    /// When the last one was typed, unix ms.
    pub last_failed_at: i64,
}

impl UnlockAttempts {
    /// Seconds to wait after the last failure before the next try: 0 for the first
    /// [`FREE_ATTEMPTS`] failures, then 30 s doubling up to an hour.
    pub fn delay_secs(&self) -> u64 {
        if self.failed < FREE_ATTEMPTS {
            return 0;
        }
        let doublings = (self.failed - FREE_ATTEMPTS).min(16);
        (FIRST_WAIT_SECS << doublings).min(MAX_WAIT_SECS)
    }

    /// Seconds still to wait at `now_ms` before a try is allowed (0: try now). A clock set back
    /// counts as no time passed.
    pub fn wait_secs(&self, now_ms: i64) -> u64 {
        let elapsed_ms = u64::try_from(now_ms.saturating_sub(self.last_failed_at)).unwrap_or(0);
        let delay_ms = self.delay_secs() * 1_000;
        delay_ms.saturating_sub(elapsed_ms).div_ceil(1_000)
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.failed == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_pins_are_refused_with_their_reason() {
        assert_eq!(check_new_secret("1234"), Err(WeakSecret::TooShort { min: 6 }));
        assert_eq!(check_new_secret("000000"), Err(WeakSecret::Repeated));
        assert_eq!(check_new_secret("123456"), Err(WeakSecret::Run));
        assert_eq!(check_new_secret("987654"), Err(WeakSecret::Run));
        assert_eq!(check_new_secret("890123"), Err(WeakSecret::Run));
        assert_eq!(check_new_secret("121212"), Err(WeakSecret::Pattern));
        assert_eq!(check_new_secret("123123"), Err(WeakSecret::Pattern));
        assert_eq!(check_new_secret("140785"), Err(WeakSecret::Date));
        assert_eq!(check_new_secret("14071985"), Err(WeakSecret::Date));
        assert_eq!(check_new_secret("motdepasse"), Err(WeakSecret::Common));
        assert_eq!(check_new_secret("AZERTYUIOP"), Err(WeakSecret::Common));
        assert_eq!(check_new_secret("abc"), Err(WeakSecret::TooShort { min: 8 }));
        assert_eq!(check_new_secret("aaaaaaaa"), Err(WeakSecret::Repeated));
        for ok in ["482915", "739204", "58203174", "1234 cheval correct", "code 4321"] {
            assert_eq!(check_new_secret(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn waits_grow_after_the_free_attempts_and_are_capped() {
        let at = |failed| UnlockAttempts { failed, last_failed_at: 1_000_000 };
        let delays: Vec<u64> = (0..12).map(|n| at(n).delay_secs()).collect();
        assert_eq!(delays, [0, 0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(at(4).wait_secs(1_000_000), 60);
        assert_eq!(at(4).wait_secs(1_000_000 + 59_500), 1);
        assert_eq!(at(4).wait_secs(1_000_000 + 60_000), 0);
        assert_eq!(at(4).wait_secs(0), 60, "a clock set back gives no free try");
        assert_eq!(at(2).wait_secs(1_000_000), 0);
    }
}
