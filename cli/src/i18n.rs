//! Messages a person understands, in their language (from `LANG` / `LC_ALL` / `LC_MESSAGES`), and the
//! exit code that goes with each error. Messages come from the catalogue (`coffre-l10n`, files
//! `core/l10n/<lang>/coffre.ftl`) by id: [`Lang::msg`], [`Lang::msg_with`]. [`Lang::t`] (a French and
//! an English text inline) is the older way, still used by the call sites not converted yet; in
//! Arabic it gives the French text (French is the reference and the language of the desk).

use coffre_core::messages::{self, Args};
use coffre_core::vault::VaultError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Fr,
    En,
    Ar,
}

impl Lang {
    pub fn from_env() -> Lang {
        Lang::from_l10n(coffre_l10n::Lang::from_env())
    }

    fn from_l10n(l: coffre_l10n::Lang) -> Lang {
        match l {
            coffre_l10n::Lang::Fr => Lang::Fr,
            coffre_l10n::Lang::En => Lang::En,
            coffre_l10n::Lang::Ar => Lang::Ar,
        }
    }

    /// The catalogue's language.
    pub fn l10n(self) -> coffre_l10n::Lang {
        match self {
            Lang::Fr => coffre_l10n::Lang::Fr,
            Lang::En => coffre_l10n::Lang::En,
            Lang::Ar => coffre_l10n::Lang::Ar,
        }
    }

    /// Picks the French or English text (Arabic: the French one, until the call site uses an id).
    pub fn t<'a>(self, fr: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Fr | Lang::Ar => fr,
            Lang::En => en,
        }
    }

    /// The catalogue's message `id`.
    pub fn msg(self, id: &str) -> String {
        coffre_l10n::t0(self.l10n(), id)
    }

    /// The catalogue's message `id` with its arguments.
    pub fn msg_with(self, id: &str, args: &Args) -> String {
        coffre_l10n::t(self.l10n(), id, args)
    }
}

/// This machine's time zone, read once at start-up (before any thread: the `time` crate refuses to
/// read it later), for dates shown in the person's time zone.
pub fn offset() -> time::UtcOffset {
    static OFFSET: std::sync::OnceLock<time::UtcOffset> = std::sync::OnceLock::new();
    *OFFSET.get_or_init(coffre_l10n::local_offset)
}

/// A moment in words, in the person's language and time zone: "14 décembre 2026 à 16 h 09".
pub fn moment(lang: Lang, at: time::OffsetDateTime) -> String {
    coffre_l10n::date_time_in_words(lang.l10n(), at, offset())
}

/// Exit codes, documented in `cli/README.md`.
pub mod exit {
    pub const OK: i32 = 0;
    pub const FAILURE: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const WRONG_PASSPHRASE: i32 = 3;
    pub const NOT_FOUND: i32 = 4;
    pub const DAMAGED: i32 = 5;
    pub const BUSY: i32 = 6;
    pub const NO_SPACE: i32 = 7;
    /// Recovery words mistyped, or a kit that was replaced or belongs to no vault.
    pub const WRONG_CODE: i32 = 8;
    /// Assisted recovery locked after too many wrong PINs.
    pub const LOCKED: i32 = 9;
    /// The photo is too blurred to read, or the page came out empty: nothing was stored.
    pub const POOR_PHOTO: i32 = 10;
    /// The sync server stayed busy longer than the client waits: nothing is lost, try again later.
    pub const SERVER_BUSY: i32 = 11;
    /// A server address in `http://` to another machine, without `--allow-http`, or a server whose
    /// HTTPS certificate is not trusted (see `--ca-file`): nothing was sent.
    pub const INSECURE_SERVER: i32 = 12;
    /// The server shows a history different from the one this device saw (restored from an old
    /// backup, or forked): sync stopped, local documents intact.
    pub const HISTORY_DIVERGED: i32 = 13;
    /// Standard output was closed by its reader (`coffre list | head`): 128 + SIGPIPE, as a shell
    /// reports for any program stopped that way. Nothing is printed.
    pub const CLOSED_PIPE: i32 = 141;
    /// Ctrl-C: the work stopped at a safe point (what a sync sent or received is kept; a capture
    /// stored nothing). 128 + SIGINT, as a shell reports it.
    pub const INTERRUPTED: i32 = 130;
}

/// The message and exit code for a vault error.
/// "2 min", "45 s", "1 h" in French.
fn duration_fr(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs.div_ceil(60)),
        _ => format!("{} h", secs.div_ceil(3600)),
    }
}

fn duration_en(secs: u64) -> String {
    duration_fr(secs)
}

/// Why a new PIN or passphrase is refused, and what to choose instead (French, English).
pub fn weak_secret_advice(why: coffre_core::vault::WeakSecret) -> (String, String) {
    use coffre_core::vault::WeakSecret::*;
    let (fr, en) = match why {
        TooShort { min } if min == coffre_core::vault::MIN_PIN_DIGITS => (
            format!("Ce code est trop court : il faut au moins {min} chiffres."),
            format!("This PIN is too short: it needs at least {min} digits."),
        ),
        TooShort { min } => (
            format!("Ce code secret est trop court : il faut au moins {min} caractères."),
            format!("This passphrase is too short: it needs at least {min} characters."),
        ),
        Repeated => (
            "Ce code répète le même chiffre ou la même lettre : c'est le premier qu'un voleur essaie.".into(),
            "This code repeats one digit or letter: it is the first a thief tries.".into(),
        ),
        Run => (
            "Ce code suit l'ordre des chiffres (comme 1234) : c'est le premier qu'un voleur essaie.".into(),
            "This code follows the order of the digits (like 1234): it is the first a thief tries.".into(),
        ),
        Pattern => (
            "Ce code répète un petit motif (comme 1212) : il se devine vite.".into(),
            "This code repeats a short pattern (like 1212): it is quickly guessed.".into(),
        ),
        Date => (
            "Ce code ressemble à une date : une date de naissance se devine vite.".into(),
            "This code looks like a date: a birthday is quickly guessed.".into(),
        ),
        Common => (
            "Ce code secret est l'un des plus utilisés : il se devine vite.".into(),
            "This passphrase is one of the most used: it is quickly guessed.".into(),
        ),
    };
    (
        format!("{fr} Choisissez 6 chiffres au hasard (pas une date), ou une phrase de plusieurs mots."),
        format!("{en} Pick 6 random digits (not a date), or a phrase of several words."),
    )
}

pub fn describe(lang: Lang, e: &VaultError) -> (String, i32) {
    use VaultError::*;
    // PIN attempts and strength (issue 13 #6): their own advice (not in the catalogue yet).
    let own: Option<(String, String, i32)> = match e {
        TooManyAttempts { failed, wait_secs } => Some((
            format!(
                "Trop de codes faux ({failed} de suite) : prochain essai possible dans {}. Vos documents sont \
                 intacts. Code oublié ? Votre kit de secours rouvre le coffre sur un nouveau dossier : \
                 coffre recover (les 12 mots ou la photo du QR code du kit).",
                duration_fr(*wait_secs)
            ),
            format!(
                "Too many wrong passphrases ({failed} in a row): next try possible in {}. Your documents are \
                 safe. Forgot it? Your recovery kit reopens the vault in a new folder: coffre recover (the \
                 kit's 12 words or a photo of its QR code).",
                duration_en(*wait_secs)
            ),
            exit::LOCKED,
        )),
        WeakSecret(why) => {
            let (fr, en) = weak_secret_advice(*why);
            Some((fr, en, exit::USAGE))
        }
        _ => None,
    };
    if let Some((fr, en, code)) = own {
        return (lang.t(&fr, &en).to_string(), code);
    }
    let code = match e {
        WrongPassphrase => exit::WRONG_PASSPHRASE,
        Busy => exit::BUSY,
        NoVault | NotFound(_) => exit::NOT_FOUND,
        AlreadyExists | TooLarge { .. } | TypeMismatch { .. } | InvalidInput(_) => exit::USAGE,
        Corrupt { .. } => exit::DAMAGED,
        StorageFull => exit::NO_SPACE,
        _ => exit::FAILURE,
    };
    (messages::vault_message(lang.l10n(), e), code)
}
