//! `coffre kit`, `coffre recover` and `coffre close` (docs/recovery.md).

use crate::core_errors::{assisted_error, code_error, engine_error, recovery_error};
use crate::ctx::{Ctx, Out};
use crate::errors::CliError;
use crate::export::export_vault;
use crate::i18n::{Lang, exit};
use crate::secret;
use clap::Subcommand;
use coffre_core::recovery::assisted::assisted_key;
use coffre_core::recovery::setup_assisted_with_agents;
use coffre_core::recovery::{
    AssistedRequest, cancel_assisted, close_vault, make_kit, recover_with_assisted_key, recover_with_code,
};
use coffre_core::recovery::{RecoveryCode, WordList};
use serde::Serialize;
use std::path::{Path, PathBuf};

// Its top-level subcommands, flattened into `coffre`'s (a plain comment: a doc comment would be
// a help text).
#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Make a new recovery kit (12 words + QR; the previous kit stops working).
    Kit {
        /// Also write the printable kit (one A4 page, plain French) to this PDF file.
        #[arg(long, value_name = "FILE")]
        pdf: Option<PathBuf>,
        /// Word list: fr (default) or en.
        #[arg(long, default_value = "fr")]
        words_lang: String,
    },
    /// On a NEW device: rebuild the vault (--vault) from the recovery kit alone (or `recover assisted`).
    #[command(args_conflicts_with_subcommands = true)]
    Recover {
        #[command(subcommand)]
        action: Option<RecoverAction>,
        /// The 12 words (or COFFRE_RECOVERY_CODE, or a prompt).
        #[arg(long)]
        code: Option<String>,
        /// A photo or scan of the kit's QR code instead of the words.
        #[arg(long, value_name = "FILE")]
        qr_image: Option<PathBuf>,
        /// Server address (not needed with --qr-image: the QR holds it).
        #[arg(long)]
        server: Option<String>,
    },
    /// Close the vault for good: everything is deleted on the server, then on this device.
    Close {
        /// Final export first, as a zip file (recommended).
        #[arg(long, value_name = "FILE", conflicts_with = "no_export")]
        export: Option<PathBuf>,
        /// Close without a final export.
        #[arg(long)]
        no_export: bool,
        /// Confirm: this cannot be undone.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RecoverAction {
    /// Assisted recovery, 2 of 3: the provider (PIN), the organisation (two agents), the kit share.
    #[command(subcommand)]
    Assisted(AssistedCommand),
}

#[derive(Debug, Subcommand)]
pub enum AssistedCommand {
    /// On an ENROLLED device: enable it with an organisation (PIN: COFFRE_RECOVERY_PIN or a prompt).
    /// Prints the kit share, to keep with the printed kit.
    Setup {
        /// The chosen organisation's public key (base64url), as it publishes it; checked against the
        /// certificates.
        #[arg(long, allow_hyphen_values = true)]
        org: Option<String>,
        /// An agent's certificate (COFFRE-AGENT-CERT:..., from `coffre org enrol-agent`); at least
        /// two. Checked against the organisation key and its revocations on the server.
        #[arg(long = "agent-cert", required = true)]
        agent_certs: Vec<String>,
    },
    /// On the NEW device: start a request; nothing is released before the waiting delay.
    Start {
        #[arg(long)]
        server: String,
        /// The vault id (64 hex digits; the agent reads it from the holder's mandate).
        #[arg(long)]
        vault_id: String,
        /// Where to keep the request until the delay ends (secret, mode 0600).
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
    },
    /// On an ENROLLED device: cancel a request the holder did not make.
    Cancel,
    /// On the NEW device, after the delay: the provider share (PIN) and the request to show two of
    /// the organisation's agents (`coffre agent recovery-approve`).
    Release {
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
    },
    /// On the NEW device: rebuild the vault (--vault) from two shares (the organisation's from two
    /// agents' approvals).
    Complete {
        #[arg(long)]
        server: String,
        /// A share (base64url): the provider's, or the kit's.
        #[arg(long = "share", allow_hyphen_values = true)]
        shares: Vec<String>,
        /// The kit share as printed on the kit: its QR text or its hex digits (spaces ignored).
        #[arg(long)]
        kit_share: Option<String>,
        /// An agent's approval (COFFRE-ASSIST-OK:...); two make the organisation share.
        #[arg(long = "approval", requires = "request")]
        approvals: Vec<String>,
        /// The request file of `start` (it holds the key the approvals are sealed to).
        #[arg(long, value_name = "FILE")]
        request: Option<PathBuf>,
    },
}

pub fn run(ctx: &Ctx<'_>, cmd: &Commands) -> Out {
    match cmd {
        Commands::Kit { pdf, words_lang } => kit(ctx, pdf.as_deref(), words_lang),
        Commands::Recover { action: Some(RecoverAction::Assisted(a)), .. } => assisted(ctx, a),
        Commands::Recover { action: None, code, qr_image, server } => {
            recover(ctx, code.as_deref(), qr_image.as_deref(), server.as_deref())
        }
        Commands::Close { export, no_export, yes } => close(ctx, export.as_deref(), *no_export, *yes),
    }
}

#[derive(Serialize)]
struct KitJson<'a> {
    words: &'a [String],
    qr: &'a str,
    pdf: Option<String>,
}

/// Today as `dd/mm/yyyy` (UTC), for the printed kit.
fn today() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{day:02}/{month:02}/{year}")
}

pub fn kit(ctx: &Ctx<'_>, pdf: Option<&Path>, words_lang: &str) -> Out {
    let lang = ctx.lang;
    let list = WordList::parse(words_lang)
        .ok_or_else(|| CliError::new(lang.t("--words-lang : fr ou en.", "--words-lang: fr or en."), exit::USAGE))?;
    let mut vault = ctx.open()?;
    let kit = make_kit(&mut vault).map_err(|e| recovery_error(ctx, e))?;
    show_kit(ctx, &kit, pdf, list)
}

/// Shows a new kit (words, PDF written 0600 when asked) and says the old one no longer works; also
/// used after a lost phone was removed, which makes a new kit.
pub fn show_kit(ctx: &Ctx<'_>, kit: &coffre_core::recovery::Kit, pdf: Option<&Path>, list: WordList) -> Out {
    let lang = ctx.lang;
    let words = kit.words(list);
    if let Some(path) = pdf {
        let bytes = kit.pdf_in(lang.l10n(), list, &today()).map_err(|e| recovery_error(ctx, e))?;
        write_private(path, &bytes).map_err(|e| ctx.err(e.into()))?;
    }
    if ctx.cli.json {
        let qr = kit.qr_text();
        let pdf = pdf.map(|p| p.display().to_string());
        return ctx.print_json(&KitJson { words: &words, qr: &qr, pdf });
    }
    println!(
        "{}",
        lang.t(
            "Votre nouveau kit de secours (l'ancien ne marche plus). Écrivez ces 12 mots dans l'ordre :",
            "Your new recovery kit (the old one no longer works). Write down these 12 words, in order:",
        )
    );
    for (i, w) in words.iter().enumerate() {
        println!("{:>2}. {w}", i + 1);
    }
    if let Some(path) = pdf {
        println!("{} {}", lang.t("Kit à imprimer :", "Kit to print:"), path.display());
    }
    if kit.assisted_needs_setup {
        println!(
            "{}",
            lang.t(
                "Le secours avec l'organisme doit être refait (coffre recover assisted setup) : \
                 jusque-là, l'ancienne part du kit marche encore avec l'organisme.",
                "Assisted recovery must be set up again (coffre recover assisted setup): \
                 until then, the old kit share still works with the organisation.",
            )
        );
    }
    Ok(exit::OK)
}

/// Writes a file readable by its owner only (the kit opens the vault).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

pub fn recover(ctx: &Ctx<'_>, code: Option<&str>, qr_image: Option<&Path>, server: Option<&str>) -> Out {
    let lang = ctx.lang;
    let dir = ctx.dir()?;
    if dir.join(coffre_core::vault::layout::HEADER_FILE).exists() {
        return Err(ctx.err(coffre_core::vault::VaultError::AlreadyExists));
    }
    let (code, url) = match qr_image {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| ctx.err(e.into()))?;
            let text = coffre_core::qr::decode_image(&bytes).map_err(|_| {
                CliError::new(
                    lang.t(
                        "Aucun QR code lisible sur cette image : refaites la photo, bien à plat et nette.",
                        "No readable QR code in this picture: take it again, flat and sharp.",
                    ),
                    exit::WRONG_CODE,
                )
            })?;
            let (code, url) = RecoveryCode::from_qr_text(&text).map_err(|e| code_error(lang, &e))?;
            (code, server.map(str::to_string).unwrap_or(url))
        }
        None => {
            let url = server.ok_or_else(|| {
                CliError::new(
                    lang.t("Indiquez le serveur avec --server ADRESSE.", "Give the server with --server URL."),
                    exit::USAGE,
                )
            })?;
            let words = match code {
                Some(c) => zeroize::Zeroizing::new(c.to_string()),
                None => match std::env::var("COFFRE_RECOVERY_CODE") {
                    Ok(c) => zeroize::Zeroizing::new(c),
                    Err(_) => secret::prompt(lang.t("Les 12 mots du kit : ", "The kit's 12 words: "), lang)?,
                },
            };
            (RecoveryCode::from_words(&words).map_err(|e| code_error(lang, &e))?, url.to_string())
        }
    };
    let pass = secret::new_passphrase(ctx.cli.passphrase_file.as_deref(), "COFFRE_PASSPHRASE", lang)?;
    let vault = recover_with_code(&url, &code, &dir, pass.as_bytes(), None).map_err(|e| recovery_error(ctx, e))?;
    let n = vault.list(&Default::default()).map(|d| d.len()).unwrap_or(0);
    if ctx.cli.json {
        return ctx.print_json(&serde_json::json!({ "documents": n }));
    }
    println!(
        "{} ({n} documents). {}",
        lang.t("Coffre retrouvé", "Vault recovered"),
        lang.t(
            "Faites maintenant un nouveau kit (coffre kit) et retirez le téléphone perdu (coffre device remove).",
            "Now make a new kit (coffre kit) and remove the lost phone (coffre device remove).",
        )
    );
    Ok(exit::OK)
}

pub fn close(ctx: &Ctx<'_>, export: Option<&Path>, no_export: bool, yes: bool) -> Out {
    let lang = ctx.lang;
    if export.is_none() && !no_export {
        return Err(CliError::new(
            lang.t(
                "Avant de fermer, gardez une copie : --export FICHIER.zip (ou --no-export pour ne rien garder).",
                "Before closing, keep a copy: --export FILE.zip (or --no-export to keep nothing).",
            ),
            exit::USAGE,
        ));
    }
    if !yes {
        return Err(CliError::new(
            lang.t(
                "La fermeture efface tout, sur le serveur et sur cet appareil, sans retour possible. Ajoutez --yes pour confirmer.",
                "Closing erases everything, on the server and on this device, for good. Add --yes to confirm.",
            ),
            exit::USAGE,
        ));
    }
    let mut vault = ctx.open()?;
    if let Some(dest) = export {
        export_vault(ctx, &mut vault, dest, true)?;
    }
    let receipt = close_vault(vault).map_err(|e| engine_error(ctx, e))?;
    if ctx.cli.json {
        return ctx.print_json(&serde_json::json!({ "closed": true, "receipt": receipt }));
    }
    match receipt {
        Some(r) => println!(
            "{} ({} {})",
            lang.t(
                "Coffre fermé : le serveur a tout effacé, cet appareil aussi.",
                "Vault closed: the server erased everything, and so did this device.",
            ),
            lang.t("reçu signé du serveur, date", "server-signed receipt, time"),
            r.closed_at
        ),
        None => println!("{}", lang.t("Coffre effacé de cet appareil.", "Vault erased from this device.")),
    }
    Ok(exit::OK)
}

fn pin(lang: Lang) -> Result<zeroize::Zeroizing<String>, CliError> {
    match std::env::var("COFFRE_RECOVERY_PIN") {
        Ok(p) => Ok(zeroize::Zeroizing::new(p)),
        Err(_) => secret::prompt(lang.t("Code PIN de secours : ", "Recovery PIN: "), lang),
    }
}

fn b64_arg(ctx: &Ctx<'_>, s: &str, what: &str) -> Result<Vec<u8>, CliError> {
    coffre_core::sync::protocol::unb64(s.trim(), "argument").map_err(|_| CliError {
        message: format!("{} {what}", ctx.lang.t("Valeur illisible :", "Unreadable value:")),
        code: exit::USAGE,
    })
}

pub fn assisted(ctx: &Ctx<'_>, cmd: &AssistedCommand) -> Out {
    let lang = ctx.lang;
    match cmd {
        AssistedCommand::Setup { org, agent_certs } => {
            let org: Option<[u8; 32]> = match org {
                Some(o) => Some(b64_arg(ctx, o, "--org")?.try_into().map_err(|_| CliError::new("--org", exit::USAGE))?),
                None => None,
            };
            let certs = agent_certs
                .iter()
                .map(|c| coffre_core::mandate::cert_from_text(c))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| {
                    CliError::new(lang.t("Certificat d'agent illisible.", "Unreadable agent certificate."), exit::USAGE)
                })?;
            let pin = pin(lang)?;
            let mut vault = ctx.open()?;
            let kit_share = setup_assisted_with_agents(&mut vault, &pin, org.as_ref(), &certs)
                .map_err(|e| assisted_error(ctx, e))?;
            let share = coffre_core::sync::protocol::b64(&kit_share);
            if ctx.cli.json {
                return ctx.print_json(&serde_json::json!({ "kit_share": share }));
            }
            println!(
                "{}\n{share}",
                lang.t(
                    "Secours assisté activé. Part du kit, à garder avec le kit (un nouveau kit, coffre kit --pdf, l'imprime) :",
                    "Assisted recovery on. Kit share, keep it with the kit (a new kit, coffre kit --pdf, prints it):"
                )
            );
            Ok(exit::OK)
        }
        AssistedCommand::Start { server, vault_id, request } => {
            let (req, status) = AssistedRequest::start(server, vault_id).map_err(|e| assisted_error(ctx, e))?;
            write_private(request, req.save().as_bytes()).map_err(|e| ctx.err(e.into()))?;
            if ctx.cli.json {
                return ctx.print_json(&status);
            }
            println!(
                "{} {}",
                lang.t("Demande envoyée ; prête à partir de (heure Unix)", "Request sent; ready from (Unix time)"),
                status.ready_at
            );
            Ok(exit::OK)
        }
        AssistedCommand::Cancel => {
            let mut vault = ctx.open()?;
            cancel_assisted(&mut vault).map_err(|e| assisted_error(ctx, e))?;
            println!("{}", lang.t("Demande de secours annulée.", "Recovery request cancelled."));
            Ok(exit::OK)
        }
        AssistedCommand::Release { request } => {
            let text = zeroize::Zeroizing::new(std::fs::read_to_string(request).map_err(|e| ctx.err(e.into()))?);
            let req = AssistedRequest::resume(&text).map_err(|e| assisted_error(ctx, e))?;
            let pin = pin(lang)?;
            let shares = req.release(&pin).map_err(|e| assisted_error(ctx, e))?;
            let approval_request = req.approval_request(&shares).map_err(|e| assisted_error(ctx, e))?;
            if ctx.cli.json {
                return ctx.print_json(&serde_json::json!({
                    "provider_share": shares.provider_share,
                    "org": shares.org,
                    "approval_request": approval_request,
                }));
            }
            println!(
                "{}\n{}\n{}\n{approval_request}",
                lang.t("Part du fournisseur :", "Provider share:"),
                shares.provider_share,
                lang.t(
                    "À montrer à deux agents de l'organisation (coffre agent recovery-approve) :",
                    "Show this to two of the organisation's agents (coffre agent recovery-approve):"
                ),
            );
            Ok(exit::OK)
        }
        AssistedCommand::Complete { server, shares, kit_share, approvals, request } => {
            let dir = ctx.dir()?;
            if dir.join(coffre_core::vault::layout::HEADER_FILE).exists() {
                return Err(ctx.err(coffre_core::vault::VaultError::AlreadyExists));
            }
            let mut all: Vec<zeroize::Zeroizing<Vec<u8>>> = Vec::new();
            for s in shares {
                all.push(zeroize::Zeroizing::new(b64_arg(ctx, s, "--share")?));
            }
            if let Some(k) = kit_share {
                all.push(coffre_core::recovery::kit_share::parse(k).map_err(|e| assisted_error(ctx, e.into()))?);
            }
            if let (Some(request), false) = (request, approvals.is_empty()) {
                let text = zeroize::Zeroizing::new(std::fs::read_to_string(request).map_err(|e| ctx.err(e.into()))?);
                let req = AssistedRequest::resume(&text).map_err(|e| assisted_error(ctx, e))?;
                let texts: Vec<&str> = approvals.iter().map(String::as_str).collect();
                all.push(req.org_share_from_approvals(&texts).map_err(|e| assisted_error(ctx, e))?);
            }
            let refs: Vec<&[u8]> = all.iter().map(|s| s.as_slice()).collect();
            let key = assisted_key(&refs).map_err(|e| assisted_error(ctx, e.into()))?;
            let pass = secret::new_passphrase(ctx.cli.passphrase_file.as_deref(), "COFFRE_PASSPHRASE", lang)?;
            let vault = recover_with_assisted_key(server, &key, &dir, pass.as_bytes(), None)
                .map_err(|e| assisted_error(ctx, e))?;
            let n = vault.list(&Default::default()).map(|d| d.len()).unwrap_or(0);
            if ctx.cli.json {
                return ctx.print_json(&serde_json::json!({ "documents": n }));
            }
            println!("{} ({n} documents).", lang.t("Coffre retrouvé", "Vault recovered"));
            Ok(exit::OK)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn today_is_a_date() {
        let d = super::today();
        assert_eq!(d.len(), 10);
        assert_eq!(&d[2..3], "/");
        assert!(d[6..].parse::<u32>().is_ok_and(|y| y >= 2024));
    }
}
