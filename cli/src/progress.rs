//! Progress of long work on standard error: a bar redrawn in place on a terminal, a plain line every
//! quarter otherwise (a log or a script sees a few lines, not hundreds of redraws). Standard output
//! stays the command's result.

use crate::i18n::Lang;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Redraws at most this often on a terminal: more is flicker and wasted time on a slow console.
const REDRAW_EVERY: Duration = Duration::from_millis(100);
const BAR_WIDTH: usize = 24;

/// One job's progress line (a sync, a batch of photos).
pub struct Bar {
    label: String,
    lang: Lang,
    terminal: bool,
    state: Mutex<BarState>,
}

#[derive(Default)]
struct BarState {
    last_draw: Option<Instant>,
    /// Plain mode: the last quarter printed (0 to 4), so each is printed once.
    last_quarter: Option<u64>,
    drawn: bool,
}

impl Bar {
    /// A bar that draws in place when standard error is a terminal, plain lines otherwise.
    pub fn new(lang: Lang, label: &str) -> Bar {
        Bar::with_terminal(lang, label, std::io::stderr().is_terminal())
    }

    fn with_terminal(lang: Lang, label: &str, terminal: bool) -> Bar {
        Bar { label: label.to_string(), lang, terminal, state: Mutex::new(BarState::default()) }
    }

    /// Reports `done` of `total` items, and bytes when known (`total_bytes` 0: items only).
    pub fn set(&self, done: u64, total: u64, done_bytes: u64, total_bytes: u64) {
        if total == 0 {
            return;
        }
        let Ok(mut s) = self.state.lock() else { return };
        let percent = (done.min(total) * 100) / total;
        let line = self.line(percent, done, total, done_bytes, total_bytes);
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let finished = done >= total;
            if !finished && s.last_draw.is_some_and(|t| t.elapsed() < REDRAW_EVERY) {
                return;
            }
            s.last_draw = Some(Instant::now());
            s.drawn = true;
            // \r and "erase to end of line": the line is rewritten where it is.
            let _ = write!(err, "\r{line}\x1b[K");
            let _ = err.flush();
        } else {
            let quarter = percent / 25;
            if s.last_quarter.is_some_and(|q| q >= quarter) {
                return;
            }
            s.last_quarter = Some(quarter);
            let _ = writeln!(err, "{line}");
        }
    }

    /// Ends the bar's line (on a terminal), so what follows starts on a line of its own.
    pub fn finish(&self) {
        let Ok(s) = self.state.lock() else { return };
        if self.terminal && s.drawn {
            let _ = writeln!(std::io::stderr());
        }
    }

    fn line(&self, percent: u64, done: u64, total: u64, done_bytes: u64, total_bytes: u64) -> String {
        let mut line = if self.terminal {
            let filled = (percent as usize * BAR_WIDTH) / 100;
            format!("{} [{}{}] {percent:>3} %", self.label, "#".repeat(filled), " ".repeat(BAR_WIDTH - filled))
        } else {
            format!("{} : {percent} %", self.label)
        };
        line.push_str(&format!(" · {done}/{total}"));
        if total_bytes > 0 {
            line.push_str(&format!(" · {} / {}", size(self.lang, done_bytes), size(self.lang, total_bytes)));
        }
        line
    }
}

/// A size as people read it, from the catalogue: "12,3 Mo" in French, "12.3 MB" in English.
pub fn size(lang: Lang, bytes: u64) -> String {
    coffre_l10n::size(lang.l10n(), bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(Lang::Fr, 12_345_678), "12,3 Mo");
        assert_eq!(size(Lang::En, 12_345_678), "12.3 MB");
        assert_eq!(size(Lang::Fr, 999), "999 octets");
        assert_eq!(size(Lang::En, 2_500), "2.5 kB");
    }

    #[test]
    fn plain_lines_once_per_quarter_and_the_bar_fills_with_the_work() {
        let plain = Bar::with_terminal(Lang::Fr, "Synchronisation", false);
        assert_eq!(plain.line(40, 4, 10, 0, 0), "Synchronisation : 40 % · 4/10");
        let bar = Bar::with_terminal(Lang::En, "Sync", true);
        let half = bar.line(50, 5, 10, 1_000_000, 2_000_000);
        assert!(half.starts_with(&format!("Sync [{}{}]  50 %", "#".repeat(12), " ".repeat(12))), "{half}");
        assert!(half.ends_with("5/10 · 1.0 MB / 2.0 MB"), "{half}");
        // Each quarter is printed once, whatever the number of updates.
        for done in 0..=10 {
            plain.set(done, 10, 0, 0);
        }
        assert_eq!(plain.state.lock().map(|s| s.last_quarter).ok(), Some(Some(4)));
    }
}
