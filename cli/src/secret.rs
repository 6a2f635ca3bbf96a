//! Where passphrases come from: a file, an environment variable (scripts), or a prompt without echo.

use crate::errors::CliError;
use crate::i18n::{Lang, exit};
use std::path::Path;
use zeroize::Zeroizing;

fn from_file(path: &Path, lang: Lang) -> Result<Zeroizing<String>, CliError> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|_| CliError::new(&lang.msg("cli-passphrase-file-unreadable"), exit::USAGE))?,
    );
    Ok(Zeroizing::new(text.lines().next().unwrap_or_default().to_string()))
}

/// The current passphrase.
pub fn passphrase(file: Option<&Path>, lang: Lang) -> Result<Zeroizing<String>, CliError> {
    if let Some(f) = file {
        return from_file(f, lang);
    }
    if let Ok(p) = std::env::var("COFFRE_PASSPHRASE") {
        return Ok(Zeroizing::new(p));
    }
    prompt(&format!("{} ", lang.msg("cli-prompt-passphrase")), lang)
}

/// A new passphrase, typed twice when prompted.
pub fn new_passphrase(file: Option<&Path>, env: &str, lang: Lang) -> Result<Zeroizing<String>, CliError> {
    let p = if let Some(f) = file {
        from_file(f, lang)?
    } else if let Ok(p) = std::env::var(env) {
        Zeroizing::new(p)
    } else {
        let first = prompt(&format!("{} ", lang.msg("cli-prompt-new-passphrase")), lang)?;
        let second = prompt(&format!("{} ", lang.msg("cli-prompt-again")), lang)?;
        if *first != *second {
            return Err(CliError::new(&lang.msg("cli-passphrases-differ"), exit::USAGE));
        }
        first
    };
    // A copy of the vault folder can be guessed at offline, without the attempt counter: the
    // PIN or passphrase itself must not be one of the first tried.
    if let Err(why) = coffre_core::vault::check_new_secret(&p) {
        let (fr, en) = crate::i18n::weak_secret_advice(why);
        return Err(CliError { message: lang.t(&fr, &en).to_string(), code: exit::USAGE });
    }
    Ok(p)
}

pub(crate) fn prompt(text: &str, lang: Lang) -> Result<Zeroizing<String>, CliError> {
    rpassword::prompt_password(text)
        .map(Zeroizing::new)
        .map_err(|_| CliError::new(&lang.msg("cli-no-terminal-for-passphrase"), exit::USAGE))
}
