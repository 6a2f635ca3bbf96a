//! `coffre sync` and `coffre device ...`: the sync engine from the command line.

use crate::core_errors::{engine_error, flow_error};
use crate::ctx::{Ctx, Out};
use crate::errors::CliError;
use crate::i18n::{Lang, exit};
use crate::interrupt::Interrupt;
use crate::progress::Bar;
use crate::secret;
use clap::Subcommand;
use coffre_core::mandate;
use coffre_core::sync_engine::{self, EngineError, LinkApproval, PendingLink, SyncOptions};

// Its top-level subcommands, flattened into `coffre`'s (a plain comment: a doc comment would be
// a help text).
#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Synchronise with the server (the first time, give --server to connect this vault).
    Sync {
        /// Server address, e.g. https://coffre.example.org (only the first time).
        #[arg(long)]
        server: Option<String>,
        /// Accept an http:// server on another machine (traffic readable on the way; tests only).
        #[arg(long, env = "COFFRE_ALLOW_HTTP")]
        allow_http: bool,
        /// Download every page now (otherwise only pinned documents; others when opened).
        #[arg(long)]
        all: bool,
        /// Invitation code from your structure's agent, for a server that creates vaults only by
        /// invitation (only the first time, with --server).
        #[arg(long, requires = "server")]
        invitation: Option<String>,
    },
    /// This vault's devices: list, link a new phone, remove a lost one.
    #[command(subcommand)]
    Device(DeviceCommand),
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// This vault's devices: the log's certified ones and the server's members (who added whom,
    /// added on, last seen, the recovery kit, and any key the server lists that the log does not know).
    List,
    /// On the NEW device: show a linking code, wait for the other device, create the vault (--vault).
    Link {
        #[arg(long)]
        server: String,
        /// Accept an http:// server on another machine (traffic readable on the way; tests only).
        #[arg(long, env = "COFFRE_ALLOW_HTTP")]
        allow_http: bool,
        /// Seconds to wait for the approval.
        #[arg(long, default_value_t = 300)]
        wait: u64,
    },
    /// On an ENROLLED device: approve a linking code shown by the new device. Both devices then show
    /// 6 digits; type the new device's digits when asked (read from standard input).
    Approve {
        /// The text of the new device's QR code (COFFRE-LINK:...).
        code: String,
        /// Seconds to wait for the new device's answer.
        #[arg(long, default_value_t = 120)]
        wait: u64,
        /// A name for the new device, shown by `device list` on every device (e.g. "Téléphone de Léa").
        #[arg(long)]
        name: Option<String>,
    },
    /// Remove a lost device (by its public key, from `device list`). The vault moves to a new key and
    /// a new recovery kit is made: the old kit no longer works.
    Remove {
        public_key: String,
        /// Write the new kit's printable PDF here (mode 0600).
        #[arg(long)]
        pdf: Option<std::path::PathBuf>,
        /// Word list of the new kit: fr (default) or en.
        #[arg(long, default_value = "fr")]
        words_lang: String,
    },
}

pub fn run(ctx: &Ctx<'_>, cmd: &Commands) -> Out {
    match cmd {
        Commands::Sync { server, all, allow_http, invitation } => {
            sync(ctx, server.as_deref(), *all, *allow_http, invitation.as_deref())
        }
        Commands::Device(d) => device(ctx, d),
    }
}

fn same_server(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// `sync --server` naming another server than the vault's: refused, with the way to move.
fn other_server(ctx: &Ctx<'_>, current: &str, asked: &str) -> CliError {
    let message = match ctx.lang {
        crate::i18n::Lang::Fr | crate::i18n::Lang::Ar => format!(
            "Rien n'a été synchronisé : ce coffre utilise le serveur {current}, pas {asked}. Son historique est sur ce serveur, on ne peut pas en changer en cours de route. Lancez « coffre sync » sans --server pour continuer avec {current}. Pour passer à un autre serveur : exportez vos documents (coffre export --zip), créez un nouveau coffre (coffre init), réimportez-les et connectez-le avec « coffre sync --server {asked} »."
        ),
        crate::i18n::Lang::En => format!(
            "Nothing synced: this vault uses the server {current}, not {asked}. Its history lives on that server, so it cannot switch. Run `coffre sync` without --server to go on with {current}. To move to another server: export your documents (coffre export --zip), create a new vault (coffre init), import them and connect it with `coffre sync --server {asked}`."
        ),
    };
    CliError::new(&message, exit::USAGE)
}

pub fn sync(ctx: &Ctx<'_>, server: Option<&str>, all: bool, allow_http: bool, invitation: Option<&str>) -> Out {
    let mut vault = ctx.open()?;
    if let Some(url) = server {
        match sync_engine::server_url(&vault).map_err(|e| engine_error(ctx, e))? {
            None => sync_engine::enroll_invited(&mut vault, url, allow_http, invitation)
                .map_err(|e| engine_error(ctx, e))?,
            Some(current) if same_server(&current, url) => {}
            // The vault's history lives on its server: switching would leave it behind.
            Some(current) => return Err(other_server(ctx, &current, url)),
        }
    }
    let options = SyncOptions { download_all: all, on_busy: Some(busy_notice(ctx.lang)) };
    // Progress of the whole job on stderr; Ctrl-C stops at the next safe point and keeps what was done.
    let interrupt = Interrupt::install();
    let bar = Bar::new(ctx.lang, ctx.lang.t("Synchronisation", "Sync"));
    let result = sync_engine::sync(
        &mut vault,
        &options,
        &|p| bar.set(p.done_items, p.total_items, p.done_bytes, p.total_bytes),
        interrupt.token(),
    );
    bar.finish();
    let report = result.map_err(|e| engine_error(ctx, e))?;
    // Certified deposits in, agents' packages out (docs/agents.md).
    let after = after_sync(ctx, &mut vault)?;
    if ctx.cli.json {
        return ctx.print_json(&report);
    }
    crate::devices_view::print_sync_notices(ctx.lang, &report.strays, &report.recovery_requests);
    if !after.deposits.is_empty() {
        println!(
            "{} {}",
            after.deposits.len(),
            ctx.lang.t("dépôt(s) certifié(s) reçu(s)", "certified deposit(s) received")
        );
    }
    let l = ctx.lang;
    println!(
        "{} {} · {} {} · {} {} · {} {}",
        report.pushed,
        l.t("envoyé(s)", "pushed"),
        report.applied,
        l.t("reçu(s)", "received"),
        report.blobs_uploaded + report.blobs_downloaded,
        l.t("page(s) transférée(s)", "page(s) transferred"),
        report.blobs_remaining,
        l.t("page(s) à télécharger à l'ouverture", "page(s) fetched when opened"),
    );
    Ok(exit::OK)
}

/// Told while the sync waits for a busy server (on stderr: stdout stays the report).
fn busy_notice(lang: Lang) -> coffre_core::sync::BusyFn {
    std::sync::Arc::new(move |secs| {
        eprintln!("{}", lang.msg_with("cli-busy-retrying", &coffre_core::messages::Args::new().count("seconds", secs)))
    })
}

pub fn device(ctx: &Ctx<'_>, cmd: &DeviceCommand) -> Out {
    let lang: Lang = ctx.lang;
    match cmd {
        DeviceCommand::List => {
            let mut vault = ctx.open()?;
            let devices = sync_engine::devices(&mut vault).map_err(|e| engine_error(ctx, e))?;
            if ctx.cli.json {
                return ctx.print_json(&devices);
            }
            crate::devices_view::print_devices(lang, &devices);
            Ok(exit::OK)
        }
        DeviceCommand::Link { server, wait, allow_http } => {
            // Before the QR is shown: the address goes into it and the other phone trusts it.
            sync_engine::check_server_address(server, *allow_http).map_err(|e| engine_error(ctx, e.into()))?;
            let dir = ctx.dir()?;
            if dir.join(coffre_core::vault::layout::HEADER_FILE).exists() {
                return Err(ctx.err(coffre_core::vault::VaultError::AlreadyExists));
            }
            let pass = secret::new_passphrase(ctx.cli.passphrase_file.as_deref(), "COFFRE_PASSPHRASE", lang)?;
            let pending = PendingLink::allowing_http(server, *allow_http);
            println!("{}", pending.qr_text());
            eprintln!(
                "{}",
                lang.t(
                    "Sur l'appareil déjà relié : coffre device approve CODE, puis comparez les chiffres.",
                    "On the enrolled device: coffre device approve CODE, then compare the digits.",
                )
            );
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(*wait);
            let mut shown = false;
            loop {
                if !shown && let Some(code) = pending.short_code().map_err(|e| engine_error(ctx, e))? {
                    println!("{} {code}", lang.t("Code à comparer :", "Code to compare:"));
                    shown = true;
                }
                match pending.try_complete(&dir, pass.as_bytes(), None) {
                    Ok(vault) => {
                        let n = vault.list(&Default::default()).map(|d| d.len()).unwrap_or(0);
                        println!("{} ({n} documents)", lang.t("Appareil relié.", "Device linked."));
                        return Ok(exit::OK);
                    }
                    Err(EngineError::LinkPending) if std::time::Instant::now() < deadline => {
                        std::thread::sleep(std::time::Duration::from_millis(500));
                    }
                    Err(e) => return Err(engine_error(ctx, e)),
                }
            }
        }
        DeviceCommand::Approve { code, wait, name } => {
            let mut vault = ctx.open()?;
            let approval = LinkApproval::start(&mut vault, code).map_err(|e| engine_error(ctx, e))?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(*wait);
            let digits = loop {
                match approval.short_code().map_err(|e| engine_error(ctx, e))? {
                    Some(d) => break d,
                    None if std::time::Instant::now() < deadline => {
                        std::thread::sleep(std::time::Duration::from_millis(500))
                    }
                    None => return Err(engine_error(ctx, EngineError::LinkPending)),
                }
            };
            println!("{} {digits}", lang.t("Code à comparer :", "Code to compare:"));
            eprint!(
                "{} ",
                lang.t(
                    "Tapez les 6 chiffres affichés sur le nouvel appareil :",
                    "Type the 6 digits shown on the new device:"
                )
            );
            let mut typed = String::new();
            std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut typed).map_err(|e| ctx.err(e.into()))?;
            approval.approve_named(&mut vault, &typed, name.as_deref()).map_err(|e| engine_error(ctx, e))?;
            println!("{}", lang.t("Nouvel appareil autorisé.", "New device approved."));
            Ok(exit::OK)
        }
        DeviceCommand::Remove { public_key, pdf, words_lang } => {
            let list = coffre_core::recovery::WordList::parse(words_lang).ok_or_else(|| {
                CliError::new(lang.t("--words-lang : fr ou en.", "--words-lang: fr or en."), exit::USAGE)
            })?;
            let mut vault = ctx.open()?;
            let active = |v: &mut coffre_core::vault::Vault| -> Vec<String> {
                sync_engine::devices(v)
                    .map(|l| l.into_iter().filter(|d| !d.removed).map(|d| d.public_key).collect())
                    .unwrap_or_default()
            };
            let before = active(&mut vault);
            let removed =
                coffre_core::recovery::remove_lost_device(&mut vault, public_key).map_err(|e| engine_error(ctx, e))?;
            let mandates = removed.mandates;
            if !ctx.cli.json {
                println!(
                    "{}",
                    lang.t(
                        "Appareil retiré : le serveur le refuse désormais. Le coffre a une nouvelle clé : \
                         ce que vous ajoutez maintenant, l'appareil perdu ne peut pas le lire.",
                        "Device removed: the server refuses it now. The vault has a new key: \
                         what you add from now on, the lost device cannot read.",
                    )
                );
            }
            // Everything it added went with it (a key it may have hidden, but also a phone it linked).
            let after = active(&mut vault);
            let also: Vec<&String> = before.iter().filter(|pk| *pk != public_key && !after.contains(pk)).collect();
            if !also.is_empty() && !ctx.cli.json {
                println!(
                    "{}",
                    lang.t(
                        "Retirés avec lui, car il les avait ajoutés (reliez de nouveau ceux que vous avez encore) :",
                        "Removed with it, as it had added them (link again those you still have):",
                    )
                );
                for pk in also {
                    println!("  {pk}");
                }
            }
            crate::recovery_cmd::show_kit(ctx, &removed.kit, pdf.as_deref(), list)?;
            if pdf.is_none() && !ctx.cli.json {
                println!(
                    "{}",
                    lang.t(
                        "Imprimez ce nouveau kit et gardez-le à part : l'ancien papier ne marche plus. \
                         « coffre kit --pdf kit.pdf » en fait un à imprimer (il remplace ces mots).",
                        "Print this new kit and keep it apart: the old paper no longer works. \
                         \"coffre kit --pdf kit.pdf\" makes one to print (it replaces these words).",
                    )
                );
            }
            if !mandates.is_empty() && !ctx.cli.json {
                println!(
                    "{}",
                    lang.t(
                        "Vérifiez ces mandats ; révoquez ceux que vous ne voulez plus (coffre mandate revoke ID) :",
                        "Check these mandates; revoke those you no longer want (coffre mandate revoke ID):",
                    )
                );
                for m in mandates {
                    println!("{}  {} ({}) — {}", m.id, m.agent, m.role, m.org);
                }
            }
            Ok(exit::OK)
        }
    }
}

/// Certified deposits in, agents' packages out (docs/agents.md).
fn after_sync(ctx: &Ctx<'_>, vault: &mut coffre_core::vault::Vault) -> Result<mandate::AfterSync, CliError> {
    mandate::after_sync(vault).map_err(|e| flow_error(ctx, e))
}
