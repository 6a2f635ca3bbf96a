//! What every subcommand is handed: the global options, the language, and the vault they name.

use crate::errors::CliError;
use crate::i18n::{Lang, describe, exit};
use crate::secret;
use clap::Args;
use coffre_core::vault::{DocId, Document, ListQuery, Vault, VaultError};
use serde::Serialize;
use std::path::PathBuf;

// The options of every subcommand (`coffre --vault DIR sync` as well as `coffre sync --vault DIR`).
// A plain comment: a doc comment here would become the help text of `coffre` itself.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Vault directory (or COFFRE_VAULT).
    #[arg(long, env = "COFFRE_VAULT", global = true, value_name = "DIR")]
    pub vault: Option<PathBuf>,
    /// Read the passphrase from this file (first line) instead of COFFRE_PASSPHRASE or a prompt.
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Machine-readable output for scripts.
    #[arg(long, global = true)]
    pub json: bool,
    /// Also trust this certificate authority (PEM) for the server's HTTPS certificate: for a server
    /// whose operator runs their own CA (or COFFRE_CA_FILE).
    #[arg(long, env = "COFFRE_CA_FILE", global = true, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
}

/// What a subcommand returns: its exit code, or an error worded for the person.
pub(crate) type Out = Result<i32, CliError>;

/// One subcommand's context: the global options, and the language its messages are written in.
pub(crate) struct Ctx<'a> {
    pub cli: &'a GlobalArgs,
    pub lang: Lang,
}

impl Ctx<'_> {
    pub fn err(&self, e: VaultError) -> CliError {
        let (message, code) = describe(self.lang, &e);
        CliError { message, code }
    }

    pub fn dir(&self) -> Result<PathBuf, CliError> {
        self.cli
            .vault
            .clone()
            .ok_or_else(|| CliError { message: self.lang.msg("cli-give-vault-dir"), code: exit::USAGE })
    }

    pub fn open(&self) -> Result<Vault, CliError> {
        let dir = self.dir()?;
        // Fail on a missing vault before asking for a passphrase.
        if !dir.join(coffre_core::vault::layout::HEADER_FILE).exists() {
            return Err(self.err(VaultError::NoVault));
        }
        let pass = secret::passphrase(self.cli.passphrase_file.as_deref(), self.lang)?;
        Vault::open(&dir, pass.as_bytes(), None).map_err(|e| match e {
            VaultError::WrongPassphrase => self.wrong_passphrase(&dir),
            e => self.err(e),
        })
    }

    /// A wrong passphrase, with how many in a row and, from the second, the way out of a forgotten one.
    fn wrong_passphrase(&self, dir: &std::path::Path) -> CliError {
        let mut e = self.err(VaultError::WrongPassphrase);
        let failed = Vault::unlock_attempts(dir).map(|a| a.failed).unwrap_or(0);
        if failed >= 2 {
            let free = coffre_core::vault::FREE_ATTEMPTS.saturating_sub(failed);
            e.message = match self.lang {
                Lang::Fr | Lang::Ar => format!(
                    "{} ({failed} codes faux de suite ; encore {free} essai(s) sans attente, puis l'attente grandit.) \
                     Code oublié ? Votre kit de secours rouvre le coffre : coffre recover.",
                    e.message
                ),
                Lang::En => format!(
                    "{} ({failed} wrong in a row; {free} more try(s) without waiting, then the wait grows.) \
                     Forgot it? Your recovery kit reopens the vault: coffre recover.",
                    e.message
                ),
            };
        }
        e
    }

    pub fn resolve(&self, vault: &Vault, id: &str) -> Result<DocId, CliError> {
        resolve_id(vault, id).map_err(|e| self.err(e))
    }

    pub fn print_json(&self, value: &impl Serialize) -> Out {
        let text = serde_json::to_string_pretty(value).map_err(|_| CliError::new("JSON", exit::FAILURE))?;
        println!("{text}");
        Ok(exit::OK)
    }

    pub fn print_docs(&self, docs: &[Document]) -> Out {
        if self.cli.json {
            return self.print_json(&docs);
        }
        if docs.is_empty() {
            println!("{}", self.lang.msg("cli-no-documents"));
        }
        for d in docs {
            let pin = if d.pinned { "📌 " } else { "" };
            let exp = d.expires_on.as_deref().map(|e| format!("  ⏳ {e}")).unwrap_or_default();
            let category = coffre_core::messages::category_label(self.lang.l10n(), &d.category);
            println!("{}  {pin}{}  [{category}]{exp}", &d.id.to_hex()[..8], d.title);
        }
        Ok(exit::OK)
    }
}

/// Accepts a full id or a unique prefix of at least 6 hex digits.
pub(crate) fn resolve_id(vault: &Vault, id: &str) -> Result<DocId, VaultError> {
    let id = id.trim().to_lowercase();
    if id.len() == 32 {
        return DocId::parse(&id);
    }
    if id.len() < 6 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(VaultError::InvalidInput("give at least the first 6 characters of the document id".into()));
    }
    let matches: Vec<DocId> =
        vault.list(&ListQuery::default())?.into_iter().map(|d| d.id).filter(|d| d.to_hex().starts_with(&id)).collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => Err(VaultError::NotFound("document")),
        _ => Err(VaultError::InvalidInput("several documents start with these characters; give more".into())),
    }
}
