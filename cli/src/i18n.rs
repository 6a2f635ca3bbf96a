//! Messages a person understands, in French or English (from `LANG` / `LC_ALL` / `LC_MESSAGES`),
//! and the exit code that goes with each error.

use coffre_core::vault::VaultError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    pub fn from_env() -> Lang {
        for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Ok(v) = std::env::var(var)
                && !v.is_empty()
            {
                return if v.to_lowercase().starts_with("fr") { Lang::Fr } else { Lang::En };
            }
        }
        Lang::En
    }

    /// Picks the French or English text.
    pub fn t<'a>(self, fr: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }
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
    let (fr, en, code): (String, String, i32) = match e {
        WrongPassphrase => (
            "Code secret incorrect. Vos documents sont intacts ; réessayez.".into(),
            "Wrong passphrase. Your documents are safe; try again.".into(),
            exit::WRONG_PASSPHRASE,
        ),
        TooManyAttempts { failed, wait_secs } => (
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
        ),
        WeakSecret(why) => {
            let (fr, en) = weak_secret_advice(*why);
            (fr, en, exit::USAGE)
        }
        Busy => (
            "Le coffre est déjà ouvert par un autre programme. Fermez-le puis réessayez.".into(),
            "The vault is open in another program. Close it and try again.".into(),
            exit::BUSY,
        ),
        NoVault => (
            "Aucun coffre ici. Créez-en un avec « coffre init » ou indiquez --vault DOSSIER.".into(),
            "No vault here. Create one with `coffre init` or pass --vault DIR.".into(),
            exit::NOT_FOUND,
        ),
        AlreadyExists => (
            "Il y a déjà un coffre (ou un fichier) à cet endroit ; rien n'a été modifié.".into(),
            "A vault (or file) already exists there; nothing was changed.".into(),
            exit::USAGE,
        ),
        NotFound(what) => (format!("Introuvable : {what}."), format!("Not found: {what}."), exit::NOT_FOUND),
        Corrupt { what } => (
            format!(
                "Données abîmées ({what}). Rien n'a été effacé. Lancez « coffre verify » et gardez une copie du dossier."
            ),
            format!("Damaged data ({what}). Nothing was deleted. Run `coffre verify` and keep a copy of the folder."),
            exit::DAMAGED,
        ),
        TooNew { .. } => (
            "Ce coffre a été créé par une version plus récente de Coffre. Mettez Coffre à jour.".into(),
            "This vault was made by a newer Coffre. Please update Coffre.".into(),
            exit::FAILURE,
        ),
        TooLarge { size, limit } => (
            format!("Fichier trop gros ({} Mo, maximum {} Mo).", size / 1_000_000, limit / 1_000_000),
            format!("File too large ({} MB, limit {} MB).", size / 1_000_000, limit / 1_000_000),
            exit::USAGE,
        ),
        TypeMismatch { claimed, detected } => (
            format!("Ce fichier n'est pas un vrai {claimed} (contenu : {detected}). Il n'a pas été ajouté."),
            format!("This file is not a real {claimed} (content: {detected}). It was not added."),
            exit::USAGE,
        ),
        InvalidInput(msg) => (format!("Entrée invalide : {msg}."), format!("Invalid input: {msg}."), exit::USAGE),
        StorageFull => (
            "Plus de place sur l'appareil. Rien de ce qui était enregistré n'est perdu ; libérez de la place.".into(),
            "The device is full. Nothing already saved was lost; free some space.".into(),
            exit::NO_SPACE,
        ),
        Io(err) => (
            format!("Erreur de lecture/écriture : {}.", err.kind()),
            format!("Input/output error: {}.", err.kind()),
            exit::FAILURE,
        ),
        other => (format!("Erreur : {other}."), format!("Error: {other}."), exit::FAILURE),
    };
    (lang.t(&fr, &en).to_string(), code)
}
