//! `coffre org|agent|mandate|deposits|audit|verify-deposit`: organisations, agents, mandates at the desk,
//! certified deposits and the audit trail (docs/agents.md).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::core_errors::{approve_error, flow_error, format_error, io};
use crate::ctx::{Ctx, Out};
use crate::errors::CliError;
use crate::i18n::{Lang, exit};
use crate::secret;
use clap::Subcommand;
use coffre_core::mandate::formats::{self as fmt, AgentFile, DepositContent, OrgAdminFile, Scope};
use coffre_core::mandate::{self, MandateFlowError};
use zeroize::Zeroizing;

// Its top-level subcommands, flattened into `coffre`'s (a plain comment: a doc comment would be
// a help text).
#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Organisation admin: create the organisation key, register it, certify and revoke agents.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Agent device: key file, certificate, the QR for the desk, deposits.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Holder: mandates given to agents (scan, grant, list, revoke).
    #[command(subcommand)]
    Mandate(MandateCommand),
    /// Import the certified deposits agents left for this vault.
    Deposits,
    /// Every event of this vault (devices, mandates, deposits, agents' consultations), verified.
    Audit,
    /// Check an exported audit.json (audit chain and certified deposits) offline.
    VerifyDeposit {
        /// The audit.json written by `coffre export`.
        file: PathBuf,
        /// The operator's server key (base64url) to check against, instead of the one in the file.
        #[arg(long, allow_hyphen_values = true)]
        server_key: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Make the organisation key and its admin file (passphrase-protected).
    Create {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        name: String,
    },
    /// Register the organisation's public key with a server.
    Register {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        server: String,
    },
    /// Certify an agent device from its enrolment request (COFFRE-AGENT-REQ:...); prints the certificate.
    EnrolAgent {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        request: String,
        /// The agent's name as holders will see it ("Mme Martin").
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: String,
        #[arg(long, default_value_t = 365)]
        days: u32,
    },
    /// Revoke an agent device (its public key, base64url); published to the server.
    RevokeAgent {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        server: String,
        /// base64url: may start with '-'.
        #[arg(long, allow_hyphen_values = true)]
        device: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Make this agent device's key file; prints the enrolment request for the organisation admin.
    Init {
        #[arg(long)]
        file: PathBuf,
    },
    /// Install the certificate the admin printed (COFFRE-AGENT-CERT:...).
    InstallCert {
        #[arg(long)]
        file: PathBuf,
        cert: String,
    },
    /// Get a one-use invitation code for a person to create a vault on a server that creates vaults
    /// only by invitation (`coffre sync --server URL --invitation CODE`).
    Invite {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        server: String,
    },
    /// Show the QR text and code for the desk, then wait for the holder's mandate and save it.
    Offer {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        server: String,
        #[arg(long, default_value_t = 300)]
        wait: u64,
        /// Where to save the mandate received.
        #[arg(long)]
        out: PathBuf,
        /// Also write the QR code as a PNG image.
        #[arg(long)]
        png: Option<PathBuf>,
    },
    /// Deposit a document under a mandate (deposit scope): sealed to the holder, signed, countersigned.
    Deposit {
        #[arg(long)]
        file: PathBuf,
        /// The mandate file saved by `agent offer`.
        #[arg(long)]
        mandate: PathBuf,
        #[arg(long)]
        server: String,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "autre")]
        category: String,
        path: PathBuf,
    },
    /// List the documents a mandate lets this agent see; with --out, save their pages there.
    Consult {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        mandate: PathBuf,
        #[arg(long)]
        server: String,
        #[arg(long)]
        out: Option<PathBuf>,
        /// A download to keep (needs the extract scope; recorded as such in the holder's audit).
        #[arg(long)]
        extract: bool,
    },
    /// Approve a holder's assisted recovery, after checking the person at the desk: opens this
    /// agent's piece of the request (COFFRE-ASSIST-REQ:...) and seals it to the holder's new phone.
    RecoveryApprove {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        request: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MandateCommand {
    /// Read an agent's QR (its text, or a photo of it): the agent's identity (the digits to compare
    /// come with `mandate grant`).
    Scan {
        /// COFFRE-AGENT:... or an image file of the QR code.
        code: String,
    },
    /// Sign a mandate for the agent of this QR: both screens then show 6 digits; type the agent's
    /// digits when asked (read from standard input). Nothing is signed if they differ.
    Grant {
        /// COFFRE-AGENT:... or an image file of the QR code.
        code: String,
        /// Seconds to wait for the agent's device to answer.
        #[arg(long, default_value_t = 120)]
        wait: u64,
        /// deposit, consult, extract, transmit (repeat).
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Collections the agent may see (identity, income, housing, health, family, work, other).
        #[arg(long = "collection")]
        collections: Vec<String>,
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
    /// This vault's mandates.
    List,
    /// Publish the documents of the mandated collections to agents with consult or extract (new ones
    /// since last time are encrypted for each mandate and uploaded).
    Publish,
    /// Revoke a mandate (the server refuses the agent at once).
    Revoke { id: String },
}

pub fn run(ctx: &Ctx<'_>, cmd: &Commands) -> Out {
    match cmd {
        Commands::Org(c) => org(ctx, c),
        Commands::Agent(c) => agent(ctx, c),
        Commands::Mandate(c) => mandate_cmd(ctx, c),
        Commands::Deposits => deposits(ctx),
        Commands::Audit => audit(ctx),
        Commands::VerifyDeposit { file, server_key } => verify_deposit(ctx, file, server_key.as_deref()),
    }
}

/// The key file's passphrase: `--passphrase-file`, `COFFRE_KEYFILE_PASSPHRASE`, or a prompt.
fn keyfile_pass(ctx: &Ctx<'_>, new: bool) -> Result<Zeroizing<String>, CliError> {
    if let Ok(p) = std::env::var("COFFRE_KEYFILE_PASSPHRASE") {
        return Ok(Zeroizing::new(p));
    }
    if new {
        secret::new_passphrase(ctx.cli.passphrase_file.as_deref(), "COFFRE_KEYFILE_PASSPHRASE", ctx.lang)
    } else {
        secret::passphrase(ctx.cli.passphrase_file.as_deref(), ctx.lang)
    }
}

/// Writes a new key file, readable by its owner only (0600 on unix: it holds a wrapped private key).
fn write_new(l: Lang, path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    if path.exists() {
        return Err(CliError::new(l.t("Ce fichier existe déjà.", "This file already exists."), exit::USAGE));
    }
    write_private(l, path, bytes)
}

/// Replaces `path` with `bytes`, 0600 on unix (an existing file is made private too).
fn write_private(l: Lang, path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let mut f = coffre_core::vault::create_private_file(path).map_err(io(l, path))?;
    #[cfg(unix)]
    f.set_permissions(<std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o600))
        .map_err(io(l, path))?;
    std::io::Write::write_all(&mut f, bytes).map_err(io(l, path))
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn open_org(ctx: &Ctx<'_>, file: &Path) -> Result<fmt::OrgKey, CliError> {
    let f = OrgAdminFile::parse(&std::fs::read(file).map_err(io(ctx.lang, file))?)
        .map_err(|e| format_error(ctx.lang, e))?;
    f.open(keyfile_pass(ctx, false)?.as_bytes()).map_err(|e| format_error(ctx.lang, e))
}

fn read_agent(ctx: &Ctx<'_>, file: &Path) -> Result<AgentFile, CliError> {
    AgentFile::parse(&std::fs::read(file).map_err(io(ctx.lang, file))?).map_err(|e| format_error(ctx.lang, e))
}

fn key32(l: Lang, s: &str) -> Result<[u8; 32], CliError> {
    fmt::unb64(s, 32, "key").ok().and_then(|b| b.try_into().ok()).ok_or_else(|| {
        CliError::new(
            l.t("Clé illisible (base64url de 32 octets).", "Unreadable key (base64url, 32 bytes)."),
            exit::USAGE,
        )
    })
}

pub fn org(ctx: &Ctx<'_>, cmd: &OrgCommand) -> Out {
    let l = ctx.lang;
    match cmd {
        OrgCommand::Create { file, name } => {
            let (f, key) =
                OrgAdminFile::create(name, keyfile_pass(ctx, true)?.as_bytes()).map_err(|e| format_error(l, e))?;
            write_new(l, file, &f.to_json())?;
            println!(
                "{}: {}",
                l.t("Organisation créée, clé publique", "Organisation created, public key"),
                fmt::b64(&key.public())
            );
        }
        OrgCommand::Register { file, server } => {
            let key = open_org(ctx, file)?;
            mandate::register_org(server, &key).map_err(|e| flow_error(ctx, e))?;
            println!("{}", l.t("Organisation enregistrée sur le serveur.", "Organisation registered with the server."));
        }
        OrgCommand::EnrolAgent { file, request, name, role, days } => {
            let key = open_org(ctx, file)?;
            let (device, x) = fmt::parse_enrolment_request(request).map_err(|e| format_error(l, e))?;
            let t = now();
            let cert = key
                .certify(device, x, name, role, t.saturating_sub(60), t + u64::from(*days) * 86_400)
                .map_err(|e| format_error(l, e))?;
            println!("{}", mandate::cert_to_text(&cert));
        }
        OrgCommand::RevokeAgent { file, server, device } => {
            let key = open_org(ctx, file)?;
            mandate::revoke_agent(server, &key, key32(l, device)?).map_err(|e| flow_error(ctx, e))?;
            println!(
                "{}",
                l.t(
                    "Agent révoqué : le serveur refuse désormais ses demandes.",
                    "Agent revoked: the server refuses its requests from now on."
                )
            );
        }
    }
    Ok(exit::OK)
}

pub fn agent(ctx: &Ctx<'_>, cmd: &AgentCommand) -> Out {
    let l = ctx.lang;
    match cmd {
        AgentCommand::Init { file } => {
            let (f, _) = AgentFile::create(keyfile_pass(ctx, true)?.as_bytes()).map_err(|e| format_error(l, e))?;
            write_new(l, file, &f.to_json())?;
            println!("{}", f.enrolment_request().map_err(|e| format_error(l, e))?);
        }
        AgentCommand::InstallCert { file, cert } => {
            let mut f = read_agent(ctx, file)?;
            let cert = mandate::cert_from_text(cert).map_err(|e| flow_error(ctx, e))?;
            f.install_certificate(&cert).map_err(|e| format_error(l, e))?;
            write_private(l, file, &f.to_json())?;
            println!("{}", fmt::identity_line(&cert, l == Lang::Fr));
        }
        AgentCommand::Invite { file, server } => {
            let f = read_agent(ctx, file)?;
            let cert = agent_certificate(ctx, &f)?;
            let keys = agent_keys(ctx, &f)?;
            let inv = mandate::agent_invitation(server, &keys, &cert).map_err(|e| flow_error(ctx, e))?;
            if ctx.cli.json {
                return ctx.print_json(&serde_json::json!({ "code": inv.code, "expires_at": inv.expires_at }));
            }
            println!(
                "{}\n{}\n{} {}",
                l.t(
                    "Code d'invitation (une seule utilisation) à donner à la personne :",
                    "Invitation code (one use) to give to the person:"
                ),
                inv.code,
                l.t("Valable jusqu'au", "Valid until"),
                fmt::date_of(inv.expires_at)
            );
        }
        AgentCommand::Offer { file, server, wait, out, png } => {
            agent_offer(ctx, file, server, Duration::from_secs(*wait), out, png.as_deref())?
        }
        AgentCommand::Deposit { file, mandate: mfile, server, title, category, path } => {
            let keys = agent_keys(ctx, &read_agent(ctx, file)?)?;
            let m = read_mandate(ctx, mfile)?;
            let bytes = std::fs::read(path).map_err(io(l, path))?;
            let file_name =
                path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "document".into());
            let content = DepositContent { title: title.clone(), category: category.clone(), file_name, bytes };
            let receipt = mandate::agent_deposit(server, &keys, &m, &content).map_err(|e| flow_error(ctx, e))?;
            println!(
                "{} {}",
                l.t(
                    "Dépôt reçu et contresigné par le serveur le",
                    "Deposit received and countersigned by the server on"
                ),
                fmt::date_of(receipt.received_at)
            );
        }
        AgentCommand::Consult { file, mandate: mfile, server, out, extract } => {
            agent_consult(ctx, file, mfile, server, out.as_deref(), *extract)?
        }
        AgentCommand::RecoveryApprove { file, request } => {
            let f = read_agent(ctx, file)?;
            let cert = agent_certificate(ctx, &f)?;
            let keys = agent_keys(ctx, &f)?;
            let approval =
                coffre_core::recovery::agent_approve(&cert, &keys, request).map_err(|e| approve_error(ctx, e))?;
            if ctx.cli.json {
                return ctx.print_json(&serde_json::json!({ "approval": approval.text, "vault": approval.vault }));
            }
            println!(
                "{} {}\n{}",
                l.t("Secours validé pour le coffre", "Recovery approved for vault"),
                approval.vault,
                approval.text
            );
        }
    }
    Ok(exit::OK)
}

/// The agent's certificate, which every desk action shows; refused before the organisation made it.
fn agent_certificate(ctx: &Ctx<'_>, f: &AgentFile) -> Result<fmt::AgentCertificate, CliError> {
    let l = ctx.lang;
    f.certificate().map_err(|e| format_error(l, e))?.ok_or_else(|| {
        CliError::new(l.t("Cet appareil n'est pas encore certifié.", "This device is not certified yet."), exit::USAGE)
    })
}

/// The agent's keys, unlocked by the key file's passphrase.
fn agent_keys(ctx: &Ctx<'_>, f: &AgentFile) -> Result<fmt::AgentKeys, CliError> {
    f.open(keyfile_pass(ctx, false)?.as_bytes()).map_err(|e| format_error(ctx.lang, e))
}

/// A mandate saved by `agent offer`, checked (signature, format) as it is read.
fn read_mandate(ctx: &Ctx<'_>, path: &Path) -> Result<fmt::Mandate, CliError> {
    mandate::mandate_from_text(&std::fs::read_to_string(path).map_err(io(ctx.lang, path))?)
        .map_err(|e| flow_error(ctx, e))
}

/// `agent offer`: shows the desk QR and its code, then waits for the holder's signed mandate.
fn agent_offer(
    ctx: &Ctx<'_>,
    file: &Path,
    server: &str,
    wait: Duration,
    out: &Path,
    png: Option<&Path>,
) -> Result<(), CliError> {
    let l = ctx.lang;
    let f = read_agent(ctx, file)?;
    let cert = agent_certificate(ctx, &f)?;
    let keys = agent_keys(ctx, &f)?;
    let offer = mandate::agent_offer(&cert, &keys, server).map_err(|e| flow_error(ctx, e))?;
    // The image first, so it is complete once the text is out.
    if let Some(png) = png {
        let bytes = coffre_core::qr::encode(&offer.to_qr_text(), coffre_core::qr::EcLevel::Medium)
            .and_then(|m| m.to_png(8))
            .map_err(|_| CliError::new("QR", exit::FAILURE))?;
        std::fs::write(png, bytes).map_err(io(l, png))?;
    }
    println!("{}", offer.to_qr_text());
    println!("{}", fmt::identity_line(&cert, l == Lang::Fr));
    let deadline = Instant::now() + wait;
    let mut shown = false;
    let m = loop {
        if !shown && let Some(code) = offer.short_code(&keys).map_err(|e| flow_error(ctx, e))? {
            // Only once the holder's phone answered: the digits depend on its contribution.
            println!("{} {code}", l.t("Code à comparer :", "Code to compare:"));
            shown = true;
        }
        match mandate::agent_receive(&offer.offer, &keys) {
            Ok(m) => break m,
            Err(MandateFlowError::Pending) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(MandateFlowError::Pending) => {
                return Err(CliError::new(l.t("Pas de mandat reçu.", "No mandate received."), exit::FAILURE));
            }
            Err(e) => return Err(flow_error(ctx, e)),
        }
    };
    std::fs::write(out, mandate::mandate_to_text(&m)).map_err(io(l, out))?;
    let scopes: Vec<String> =
        m.scopes.list().into_iter().map(|s| coffre_core::messages::scope_label(l.l10n(), s)).collect();
    println!(
        "{} {} ({}) {} {}",
        l.t("Mandat reçu :", "Mandate received:"),
        scopes.join(", "),
        m.collections.join(", "),
        l.t("jusqu'au", "until"),
        fmt::date_of(m.not_after)
    );
    Ok(())
}

/// `agent consult`: lists the mandated documents and, with `--out`, saves their pages.
fn agent_consult(
    ctx: &Ctx<'_>,
    file: &Path,
    mfile: &Path,
    server: &str,
    out: Option<&Path>,
    extract: bool,
) -> Result<(), CliError> {
    let l = ctx.lang;
    let keys = agent_keys(ctx, &read_agent(ctx, file)?)?;
    let m = read_mandate(ctx, mfile)?;
    let package = mandate::agent_consult(server, &keys, &m).map_err(|e| flow_error(ctx, e))?;
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).map_err(io(l, dir))?;
    }
    for d in &package.documents {
        println!("{}  {}  [{}] {} page(s)", d.id, d.title, d.collection, d.pages.len());
        let Some(dir) = out else { continue };
        for p in &d.pages {
            let bytes = mandate::agent_page(server, &keys, &m, &package, p, extract).map_err(|e| flow_error(ctx, e))?;
            let ext = match p.mime.as_str() {
                "application/pdf" => "pdf",
                "image/png" => "png",
                _ => "jpg",
            };
            let path = dir.join(format!("{}-{}.{ext}", d.id, p.index + 1));
            std::fs::write(&path, bytes.as_slice()).map_err(io(l, &path))?;
        }
    }
    Ok(())
}

const UNREAD: (&str, &str) = (
    "Attention : ce que l'agent a déjà consulté ou téléchargé ne peut pas être effacé de sa mémoire ni de ses copies.",
    "Note: what the agent already consulted or downloaded cannot be unread or taken back from its copies.",
);

pub fn mandate_cmd(ctx: &Ctx<'_>, cmd: &MandateCommand) -> Out {
    let l = ctx.lang;
    match cmd {
        MandateCommand::Scan { code } => {
            let code = qr_text(ctx, code)?;
            let s = mandate::scan(&code).map_err(|e| flow_error(ctx, e))?;
            if ctx.cli.json {
                return ctx.print_json(&s);
            }
            println!("{}", if l == Lang::Fr { &s.identity_fr } else { &s.identity_en });
            // Names can be copied; the organisation's key cannot: agents can check it at the desk.
            println!("{}: {}", l.t("Clé de l'organisation", "Organisation key"), s.org_key);
        }
        MandateCommand::Grant { code, wait, scopes, collections, days } => {
            let code = &qr_text(ctx, code)?;
            let scopes = scopes
                .iter()
                .map(|s| Scope::from_code(s))
                .collect::<Option<Vec<_>>>()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| CliError::new("--scope deposit|consult|extract|transmit", exit::USAGE))?;
            let mut vault = ctx.open()?;
            let desk = mandate::HolderDesk::start(&mut vault, code).map_err(|e| flow_error(ctx, e))?;
            let s = desk.scanned();
            println!("{}", if l == Lang::Fr { &s.identity_fr } else { &s.identity_en });
            let deadline = Instant::now() + Duration::from_secs(*wait);
            let digits = loop {
                match desk.short_code().map_err(|e| flow_error(ctx, e))? {
                    Some(d) => break d,
                    None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(500)),
                    None => {
                        return Err(CliError::new(
                            l.t(
                                "L'appareil de l'agent n'a pas répondu : rien n'a été signé.",
                                "The agent's device did not answer: nothing was signed.",
                            ),
                            exit::FAILURE,
                        ));
                    }
                }
            };
            println!("{} {digits}", l.t("Code à comparer :", "Code to compare:"));
            eprint!(
                "{} ",
                l.t("Tapez les 6 chiffres affichés par l'agent :", "Type the 6 digits the agent's screen shows:")
            );
            let mut typed = String::new();
            std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut typed).map_err(|e| ctx.err(e.into()))?;
            let m =
                desk.grant(&mut vault, &typed, &scopes, collections.clone(), *days).map_err(|e| flow_error(ctx, e))?;
            println!(
                "{} {} — {} {}",
                l.t("Mandat signé", "Mandate signed"),
                coffre_core::sync::protocol::MandateId::from(m.id),
                l.t("valide jusqu'au", "valid until"),
                fmt::date_of(m.not_after)
            );
        }
        MandateCommand::List => {
            let mut vault = ctx.open()?;
            let list = mandate::list(&mut vault).map_err(|e| flow_error(ctx, e))?;
            if ctx.cli.json {
                return ctx.print_json(&list);
            }
            for m in list {
                let state = if m.revoked {
                    l.t("révoqué", "revoked")
                } else if m.active {
                    l.t("actif", "active")
                } else {
                    l.t("expiré", "expired")
                };
                println!(
                    "{}  {} ({}) — {}  [{}]  {}  {} {}",
                    m.id,
                    m.agent,
                    m.role,
                    m.org,
                    m.scopes
                        .iter()
                        .map(|c| coffre_core::messages::scope_code_label(l.l10n(), c))
                        .collect::<Vec<_>>()
                        .join(", "),
                    state,
                    l.t("jusqu'au", "until"),
                    fmt::date_of(m.not_after)
                );
            }
        }
        MandateCommand::Publish => {
            let mut vault = ctx.open()?;
            let n = mandate::publish_packages(&mut vault).map_err(|e| flow_error(ctx, e))?;
            println!("{n} {}", l.t("mandat(s) mis à jour", "mandate(s) updated"));
        }
        MandateCommand::Revoke { id } => {
            let mut vault = ctx.open()?;
            mandate::revoke(&mut vault, id).map_err(|e| flow_error(ctx, e))?;
            println!(
                "{}",
                l.t(
                    "Mandat révoqué : le serveur refuse désormais cet agent.",
                    "Mandate revoked: the server refuses this agent from now on."
                )
            );
            println!("{}", l.t(UNREAD.0, UNREAD.1));
        }
    }
    Ok(exit::OK)
}

/// The QR text itself, or the text of the QR code in the image file it names.
fn qr_text(ctx: &Ctx<'_>, code: &str) -> Result<String, CliError> {
    let path = Path::new(code);
    if code.trim_start().starts_with("COFFRE-") || !path.is_file() {
        return Ok(code.to_string());
    }
    let bytes = std::fs::read(path).map_err(io(ctx.lang, path))?;
    coffre_core::qr::decode_image(&bytes).map_err(|_| {
        CliError::new(
            ctx.lang.t("Aucun code QR lisible sur cette image.", "No readable QR code in this image."),
            exit::USAGE,
        )
    })
}

pub fn deposits(ctx: &Ctx<'_>) -> Out {
    let l = ctx.lang;
    let mut vault = ctx.open()?;
    let imported = mandate::import_deposits(&mut vault).map_err(|e| flow_error(ctx, e))?;
    if ctx.cli.json {
        return ctx.print_json(&imported);
    }
    for d in &imported {
        let s = &d.summary;
        println!(
            "{}  {} {} ({}), {} — {}",
            d.document,
            l.t("Déposé par", "Deposited by"),
            s.agent_name,
            s.org_name,
            fmt::date_of(s.deposited_at),
            l.t("vérifié", "verified")
        );
    }
    println!("{} {}", imported.len(), l.t("dépôt(s) importé(s)", "deposit(s) imported"));
    Ok(exit::OK)
}

/// An audit event's label, from the catalogue ("lien de partage ouvert"; "autre événement" for a
/// kind this build does not know).
fn kind_label(l: Lang, kind: &str) -> String {
    coffre_core::messages::audit_label(l.l10n(), kind)
}

pub fn audit(ctx: &Ctx<'_>) -> Out {
    let l = ctx.lang;
    let mut vault = ctx.open()?;
    let (events, _) = mandate::audit(&mut vault).map_err(|e| flow_error(ctx, e))?;
    if ctx.cli.json {
        return ctx.print_json(&events);
    }
    for e in &events {
        let proof = if e.writer_signed {
            l.t("signé par l'auteur et le serveur", "signed by its author and the server")
        } else {
            l.t("signé par le serveur", "signed by the server")
        };
        println!("{:>4}  {}  {:<28} {}  [{proof}]", e.seq, fmt::date_of(e.time), kind_label(l, &e.kind), e.actor);
    }
    println!("{} {}", events.len(), l.t("événement(s), chaîne vérifiée", "event(s), chain verified"));
    Ok(exit::OK)
}

pub fn verify_deposit(ctx: &Ctx<'_>, file: &Path, server_key: Option<&str>) -> Out {
    let l = ctx.lang;
    let text = std::fs::read(file).map_err(io(l, file))?;
    let export: mandate::AuditExport = serde_json::from_slice(&text)
        .map_err(|_| CliError::new(l.t("Fichier audit.json illisible.", "Unreadable audit.json."), exit::USAGE))?;
    let pk = server_key.map(|k| key32(l, k)).transpose()?;
    let sums = mandate::verify_export(&export, pk).map_err(|e| CliError {
        message: format!("{} ({e})", l.t("Vérification ÉCHOUÉE.", "Verification FAILED.")),
        code: exit::DAMAGED,
    })?;
    if ctx.cli.json {
        return ctx.print_json(&sums);
    }
    for s in &sums {
        println!(
            "{} {} ({}) — {}, {} — {}",
            l.t("Déposé par", "Deposited by"),
            s.agent_name,
            s.role,
            s.org_name,
            fmt::date_of(s.deposited_at),
            l.t("vérifié", "verified")
        );
    }
    println!(
        "{} {} · {} {}",
        export.entries.len(),
        l.t("événement(s) d'audit vérifiés", "audit event(s) verified"),
        sums.len(),
        l.t("dépôt(s) certifié(s) vérifié(s)", "certified deposit(s) verified")
    );
    Ok(exit::OK)
}
