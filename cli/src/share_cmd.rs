//! `coffre share ...` and `coffre dossier ...`: share links by QR and the dossier catalogue.

use crate::core_errors::engine_error;
use crate::ctx::{Ctx, Out, resolve_id};
use crate::errors::CliError;
use crate::i18n::{Lang, exit};
use clap::Subcommand;
use coffre_core::share::dossiers::{self, PieceStatus};
use coffre_core::share::{self, ShareDuration, ShareError, ShareRequest, ShareState};
use coffre_core::sync::protocol::share::ShareRefusal;
use std::path::{Path, PathBuf};

// Its top-level subcommands, flattened into `coffre`'s (a plain comment: a doc comment would be
// a help text).
#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Share documents by a link and QR code (expiry, openings, revocation).
    #[command(subcommand)]
    Share(ShareCommand),
    /// Procedures (RSA, CSS, logement social...) and the pieces they ask for.
    #[command(subcommand)]
    Dossier(DossierCommand),
}

#[derive(Debug, Subcommand)]
pub enum ShareCommand {
    /// Share documents (or a whole dossier) by a link; prints the link and its QR code.
    ///
    /// Identity documents are shared as copies reduced to 1600 px and marked "COPIE — purpose —
    /// date" in ink that cannot be lifted off. The mark deters reuse of the copy; it cannot prevent it.
    Create {
        /// Document ids (or their first 6+ characters).
        #[arg(long = "doc", required_unless_present = "dossier", conflicts_with = "dossier")]
        docs: Vec<String>,
        /// Share every piece of a dossier found in the vault (see `coffre dossier list`).
        #[arg(long)]
        dossier: Option<String>,
        /// 1h, 1d, 1w or 1m (31 days at most).
        #[arg(long, default_value = "1d")]
        duration: String,
        /// Openings allowed before the link stops working.
        #[arg(long)]
        max_opens: Option<u32>,
        /// Purpose or recipient, shown to the recipient and written on identity copies.
        #[arg(long)]
        purpose: Option<String>,
        /// Write the QR code as a PNG image.
        #[arg(long, value_name = "FILE")]
        qr_png: Option<PathBuf>,
    },
    /// Shares made on this device, with how many times each was opened.
    List {
        /// Also expired and revoked shares.
        #[arg(long)]
        all: bool,
    },
    /// Revoke a share: the link stops working and the copies are deleted from the server.
    Revoke { id: String },
    /// Open a share link as a recipient would (decrypts; --out writes the pages).
    Open {
        link: String,
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DossierCommand {
    /// The catalogue of dossiers.
    List,
    /// Which pieces of a dossier the vault has, and which are missing or expired.
    Check { name: String },
}

pub fn run(ctx: &Ctx<'_>, cmd: &Commands) -> Out {
    match cmd {
        Commands::Share(s) => share(ctx, s),
        Commands::Dossier(d) => dossier(ctx, d),
    }
}

/// The message and exit code for a sharing error.
pub fn share_error(ctx: &Ctx<'_>, e: ShareError) -> CliError {
    let l = ctx.lang;
    let usage = |fr: &str, en: &str| CliError::new(l.t(fr, en), exit::USAGE);
    match e {
        ShareError::Engine(e) => engine_error(ctx, e),
        ShareError::BadDuration => usage(
            "Durée invalide : choisissez 1h, 1d (un jour), 1w (une semaine) ou 1m (un mois) ; 31 jours au plus.",
            "Invalid duration: choose 1h, 1d, 1w or 1m; 31 days at most.",
        ),
        ShareError::BadMaxOpens => {
            usage("Le nombre d'ouvertures doit être au moins 1.", "Openings must be at least 1.")
        }
        ShareError::Empty => {
            usage("Rien à partager : aucun de ces documents n'a de page.", "Nothing to share: no pages.")
        }
        ShareError::TooManyPages => {
            usage("Trop de pages pour un seul lien (64 au plus).", "Too many pages for one link (64 max).")
        }
        ShareError::CannotWatermark => usage(
            "Cette pièce d'identité n'est pas une photo ou un scan : elle ne peut pas être filigranée, donc pas partagée par lien.",
            "This identity document is not a photo or scan: it cannot be watermarked, so it cannot be shared by link.",
        ),
        ShareError::UnknownDossier => {
            usage("Dossier inconnu : voyez « coffre dossier list ».", "Unknown dossier: see `coffre dossier list`.")
        }
        ShareError::UnknownShare => CliError::new(
            l.t(
                "Aucun partage de ce nom sur cet appareil (voyez « coffre share list --all »).",
                "No such share on this device.",
            ),
            exit::NOT_FOUND,
        ),
        ShareError::Refused(r) => CliError::new(
            match r {
                ShareRefusal::Expired => l.t("Ce lien a expiré.", "This link has expired."),
                ShareRefusal::Revoked => l.t("Ce lien a été révoqué.", "This link was revoked."),
                ShareRefusal::Exhausted => {
                    l.t("Ce lien a atteint son nombre maximal d'ouvertures.", "This link reached its maximum openings.")
                }
                ShareRefusal::NotFound => l.t("Ce lien est introuvable.", "This link was not found."),
            },
            exit::NOT_FOUND,
        ),
        ShareError::BadLink(_) | ShareError::UnsupportedVersion | ShareError::Truncated => {
            usage("Ce n'est pas un lien de partage Coffre complet.", "This is not a complete Coffre share link.")
        }
        ShareError::Decrypt | ShareError::BadManifest => CliError::new(
            l.t(
                "Ce lien est incomplet ou les documents ont été modifiés : rien n'a été déchiffré.",
                "The link is incomplete or the documents were altered: nothing was decrypted.",
            ),
            exit::DAMAGED,
        ),
        other => CliError { message: other.to_string(), code: exit::FAILURE },
    }
}

/// A moment in words, in the person's time zone ("14 décembre 2026 à 16 h 09").
fn date(lang: Lang, unix: u64) -> String {
    crate::i18n::moment(lang, time_of(unix))
}

fn time_of(unix: u64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(i64::try_from(unix).unwrap_or(0))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

pub fn share(ctx: &Ctx<'_>, cmd: &ShareCommand) -> Out {
    match cmd {
        ShareCommand::Create { docs, dossier, duration, max_opens, purpose, qr_png } => {
            create(ctx, docs, dossier.as_deref(), duration, *max_opens, purpose.clone(), qr_png.as_deref())
        }
        ShareCommand::List { all } => list(ctx, *all),
        ShareCommand::Revoke { id } => {
            let mut vault = ctx.open()?;
            share::revoke_share(&mut vault, id).map_err(|e| share_error(ctx, e))?;
            if ctx.cli.json {
                return ctx.print_json(&serde_json::json!({"revoked": id}));
            }
            println!(
                "{}",
                ctx.lang.t("Partage révoqué : le lien ne s'ouvre plus.", "Share revoked: the link no longer opens.")
            );
            Ok(exit::OK)
        }
        ShareCommand::Open { link, out } => open(ctx, link, out.as_deref()),
    }
}

fn create(
    ctx: &Ctx<'_>,
    docs: &[String],
    dossier: Option<&str>,
    duration: &str,
    max_opens: Option<u32>,
    purpose: Option<String>,
    qr_png: Option<&Path>,
) -> Out {
    let lifetime = ShareDuration::parse(duration).map_err(|e| share_error(ctx, e))?.secs();
    let mut vault = ctx.open()?;
    let mut request = ShareRequest { lifetime_secs: lifetime, max_opens, purpose, ..Default::default() };
    let created = match dossier {
        Some(code) => share::create_dossier_share(&mut vault, code, request),
        None => {
            for id in docs {
                request.documents.push(resolve_id(&vault, id).map_err(|e| ctx.err(e))?);
            }
            share::create_share(&mut vault, &request)
        }
    }
    .map_err(|e| share_error(ctx, e))?;
    if let Some(path) = qr_png {
        let png = share::link_qr(&created.link).and_then(|m| Ok(m.to_png(8)?)).map_err(|e| share_error(ctx, e))?;
        std::fs::write(path, png).map_err(|e| ctx.err(e.into()))?;
    }
    if ctx.cli.json {
        return ctx.print_json(&created);
    }
    let l = ctx.lang;
    println!("{}", created.link);
    println!(
        "{} {} · {} {}{}",
        created.pages.len(),
        l.t("page(s)", "page(s)"),
        l.t("expire le", "expires"),
        date(l, created.expires_at),
        created
            .max_opens
            .map(|m| format!(" · {m} {}", l.t("ouverture(s) au plus", "opening(s) at most")))
            .unwrap_or_default()
    );
    if created.pages.iter().any(|p| p.watermarked) {
        println!(
            "{}",
            l.t(
                "Les pièces d'identité partagées portent un filigrane « COPIE » : il dissuade de réutiliser la copie, il ne peut pas l'empêcher.",
                "Shared identity documents carry a \"COPIE\" watermark: it deters reuse of the copy, it cannot prevent it."
            )
        );
    }
    if qr_png.is_none()
        && let Ok(m) = share::link_qr(&created.link)
    {
        print_qr(&m);
    }
    Ok(exit::OK)
}

/// The QR code in the terminal, two modules per character row.
fn print_qr(m: &coffre_core::qr::QrMatrix) {
    let q = coffre_core::qr::QUIET_ZONE as i64;
    let size = i64::from(m.size());
    let dark = |x: i64, y: i64| x >= 0 && y >= 0 && x < size && y < size && m.is_dark(x as u32, y as u32);
    let mut y = -q;
    while y < size + q {
        let line: String = (-q..size + q)
            .map(|x| match (dark(x, y), dark(x, y + 1)) {
                (true, true) => ' ',
                (true, false) => '▄',
                (false, true) => '▀',
                (false, false) => '█',
            })
            .collect();
        println!("{line}");
        y += 2;
    }
}

fn list(ctx: &Ctx<'_>, all: bool) -> Out {
    let mut vault = ctx.open()?;
    let shares = share::list_shares(&mut vault, all).map_err(|e| share_error(ctx, e))?;
    if ctx.cli.json {
        return ctx.print_json(&shares);
    }
    let l = ctx.lang;
    if shares.is_empty() {
        println!("{}", l.t("(aucun partage actif)", "(no active shares)"));
    }
    for s in &shares {
        let state = match s.state {
            ShareState::Active => l.t("actif", "active"),
            ShareState::Expired => l.t("expiré", "expired"),
            ShareState::Revoked => l.t("révoqué", "revoked"),
            ShareState::Exhausted => l.t("épuisé", "used up"),
        };
        let opens = match &s.opened_at {
            Some(t) => format!("{} {}", t.len(), l.t("ouverture(s)", "opening(s)")),
            None => l.t("ouvertures inconnues (hors ligne)", "openings unknown (offline)").to_string(),
        };
        let what = s.record.dossier.clone().or_else(|| s.record.purpose.clone()).unwrap_or_default();
        println!(
            "{}  {state}  {opens}  {} {}  {what}",
            s.record.id,
            l.t("expire le", "expires"),
            date(l, s.record.expires_at)
        );
        for t in s.opened_at.iter().flatten() {
            println!("    {} {}", l.t("ouvert le", "opened"), date(l, *t));
        }
    }
    Ok(exit::OK)
}

fn open(ctx: &Ctx<'_>, link: &str, out: Option<&Path>) -> Out {
    let opened = share::open_link(link).map_err(|e| share_error(ctx, e))?;
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).map_err(|e| ctx.err(e.into()))?;
        for (page, bytes) in opened.manifest.documents.iter().flat_map(|d| d.pages.iter()).zip(&opened.pages) {
            let ext = match page.mime.as_str() {
                "image/jpeg" => "jpg",
                "image/png" => "png",
                "application/pdf" => "pdf",
                _ => "bin",
            };
            std::fs::write(dir.join(format!("page-{}.{ext}", page.index + 1)), bytes.as_slice())
                .map_err(|e| ctx.err(e.into()))?;
        }
    }
    if ctx.cli.json {
        return ctx.print_json(&opened.manifest);
    }
    for d in &opened.manifest.documents {
        println!("{}  [{}]  {} page(s)", d.title, d.category_label, d.pages.len());
    }
    Ok(exit::OK)
}

pub fn dossier(ctx: &Ctx<'_>, cmd: &DossierCommand) -> Out {
    let l = ctx.lang;
    match cmd {
        DossierCommand::List => {
            let cat = dossiers::catalogue().map_err(|e| share_error(ctx, e))?;
            if ctx.cli.json {
                return ctx.print_json(&cat.dossiers);
            }
            for d in &cat.dossiers {
                println!("{:16} {}", d.code, d.nom);
            }
            Ok(exit::OK)
        }
        DossierCommand::Check { name } => {
            let vault = ctx.open()?;
            let check = dossiers::check(&vault, name).map_err(|e| share_error(ctx, e))?;
            if ctx.cli.json {
                return ctx.print_json(&check);
            }
            println!("{}", check.nom);
            for p in &check.pieces {
                let (mark, status) = match p.status {
                    PieceStatus::Present => ("✔", l.t("présent", "present")),
                    PieceStatus::Expired => ("⚠", l.t("expiré", "expired")),
                    PieceStatus::TooOld => ("⚠", l.t("trop ancien", "too old")),
                    PieceStatus::Missing => ("✘", l.t("manquant", "missing")),
                };
                let optional = if p.facultative { l.t(" (facultatif)", " (optional)") } else { "" };
                let doc = p
                    .document
                    .as_ref()
                    .map(|d| format!(" — {} [{}]", d.title, &d.id.to_hex()[..8]))
                    .unwrap_or_default();
                println!("  {mark} {}{optional} : {status}{doc}", p.libelle);
            }
            println!(
                "{}",
                if check.complete {
                    l.t("Dossier complet.", "The dossier is complete.")
                } else {
                    l.t("Dossier incomplet.", "The dossier is incomplete.")
                }
            );
            Ok(exit::OK)
        }
    }
}
