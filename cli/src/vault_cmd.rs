//! The documents of a vault: `coffre init|import|list|search|show|edit|delete|pin|desk|expiring|
//! export|verify|passwd|db-key|categories`. Each opens the vault it needs and prints for people or,
//! with `--json`, for scripts.

use crate::ctx::{Ctx, Out};
use crate::errors::CliError;
use crate::export::export_vault;
use crate::i18n::exit;
use crate::progress::Bar;
use crate::secret;
use clap::Subcommand;
use coffre_core::messages::Args;
use coffre_core::vault::{CATALOGUE, IMPORT_BATCH, ListQuery, MetadataPatch, NewDocument, Vault, VaultError};
use std::path::{Path, PathBuf};

// Its top-level subcommands, flattened into `coffre`'s (a plain comment: a doc comment would be
// a help text).
#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Add files (photos, PDFs, any file) to the vault.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Category code (see `coffre categories`).
        #[arg(long, short, default_value = "autre")]
        category: String,
        #[arg(long, short)]
        title: Option<String>,
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Issue date, YYYY-MM-DD.
        #[arg(long)]
        issued: Option<String>,
        /// Expiry date, YYYY-MM-DD.
        #[arg(long)]
        expires: Option<String>,
        #[arg(long, default_value = "")]
        notes: String,
    },
    /// List documents.
    List {
        #[arg(long, short)]
        category: Option<String>,
        #[arg(long)]
        tag: Option<String>,
        #[arg(long)]
        pinned: bool,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Search titles, tags, notes and categories.
    Search {
        query: String,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Show a document; with --out, write one of its pages to a file.
    Show {
        id: String,
        /// Page number, from 1.
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Change a document's details.
    Edit {
        id: String,
        #[arg(long, short)]
        category: Option<String>,
        #[arg(long, short)]
        title: Option<String>,
        /// Replace the tags (repeat the option).
        #[arg(long = "tag")]
        tags: Option<Vec<String>>,
        #[arg(long)]
        issued: Option<String>,
        #[arg(long)]
        expires: Option<String>,
        #[arg(long)]
        notes: Option<String>,
    },
    /// Delete a document (asks first on a terminal; --yes to skip the question).
    Delete {
        id: String,
        /// Delete without asking. Required when not run from a terminal (scripts).
        #[arg(long, short)]
        yes: bool,
    },
    /// Pin a document for the desk mode (or unpin it with --off).
    Pin {
        id: String,
        #[arg(long)]
        off: bool,
    },
    /// Desk mode: write the first page of the first pinned document to a file.
    Desk {
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Documents that expire within N days (already expired ones included).
    Expiring {
        #[arg(long, default_value_t = 60)]
        days: u32,
    },
    /// Export every document, decrypted, with a manifest.json (a folder, or a zip with --zip).
    Export {
        dest: PathBuf,
        #[arg(long)]
        zip: bool,
    },
    /// Check every file of the vault and name damaged documents.
    Verify,
    /// Change the passphrase (documents are not re-encrypted).
    Passwd {
        /// Read the new passphrase from this file (or COFFRE_NEW_PASSPHRASE, or a prompt).
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Print the raw SQLCipher key of the database (asks for the passphrase). Last resort for operators.
    DbKey,
    /// The catalogue of document categories.
    Categories,
}

pub fn run(ctx: &Ctx<'_>, cmd: &Commands) -> Out {
    let lang = ctx.lang;
    match cmd {
        Commands::Import { files, category, title, tags, issued, expires, notes } => {
            let meta = NewDocument {
                category: category.clone(),
                title: title.clone().unwrap_or_default(),
                tags: tags.clone(),
                issued_on: issued.clone(),
                expires_on: expires.clone(),
                notes: notes.clone(),
            };
            import(ctx, files, meta)
        }
        Commands::List { category, tag, pinned, limit } => {
            let vault = ctx.open()?;
            let q = ListQuery {
                category: category.clone(),
                tag: tag.clone(),
                pinned_only: *pinned,
                limit: *limit,
                ..Default::default()
            };
            ctx.print_docs(&vault.list(&q).map_err(|e| ctx.err(e))?)
        }
        Commands::Search { query, limit } => {
            let vault = ctx.open()?;
            ctx.print_docs(&vault.search(query, *limit).map_err(|e| ctx.err(e))?)
        }
        Commands::Show { id, page, out } => show(ctx, id, *page, out.as_deref()),
        Commands::Edit { id, category, title, tags, issued, expires, notes } => {
            let opt = |s: &Option<String>| s.as_ref().map(|v| if v.is_empty() { None } else { Some(v.clone()) });
            let patch = MetadataPatch {
                category: category.clone(),
                title: title.clone(),
                tags: tags.clone(),
                issued_on: opt(issued),
                expires_on: opt(expires),
                notes: notes.clone(),
            };
            edit(ctx, id, patch)
        }
        Commands::Delete { id, yes } => {
            let mut vault = ctx.open()?;
            let id = ctx.resolve(&vault, id)?;
            if !*yes {
                let title = vault.get(&id).map_err(|e| ctx.err(e))?.title;
                confirm_delete(ctx, &title)?;
            }
            vault.delete(&id).map_err(|e| ctx.err(e))?;
            println!("{}", lang.msg("cli-document-deleted"));
            Ok(exit::OK)
        }
        Commands::Pin { id, off } => {
            let mut vault = ctx.open()?;
            let id = ctx.resolve(&vault, id)?;
            vault.set_pinned(&id, !off).map_err(|e| ctx.err(e))?;
            println!("{}", lang.msg(if *off { "cli-unpinned" } else { "cli-pinned" }));
            Ok(exit::OK)
        }
        Commands::Desk { out } => desk(ctx, out),
        Commands::Expiring { days } => expiring(ctx, *days),
        Commands::Export { dest, zip } => export(ctx, dest, *zip),
        Commands::Verify => verify(ctx),
        Commands::Passwd { new_passphrase_file } => passwd(ctx, new_passphrase_file.as_deref()),
        Commands::DbKey => db_key(ctx),
        Commands::Categories => categories(ctx),
    }
}

pub fn init(ctx: &Ctx<'_>) -> Out {
    let dir = ctx.dir()?;
    if dir.join(coffre_core::vault::layout::HEADER_FILE).exists() {
        return Err(ctx.err(VaultError::AlreadyExists));
    }
    let pass = secret::new_passphrase(ctx.cli.passphrase_file.as_deref(), "COFFRE_PASSPHRASE", ctx.lang)?;
    let vault = Vault::create(&dir, pass.as_bytes(), None).map_err(|e| ctx.err(e))?;
    if ctx.cli.json {
        return ctx.print_json(&serde_json::json!({ "vault_id": vault.vault_id(), "dir": dir }));
    }
    println!("{}", ctx.lang.msg_with("cli-vault-created", &Args::new().text("path", dir.display().to_string())));
    Ok(exit::OK)
}

/// Imports the files in batches ([`IMPORT_BATCH`] made durable and committed together: a few fsyncs
/// per batch instead of three per file), with progress; stops at the first file refused, keeping the
/// ones before it.
fn import(ctx: &Ctx<'_>, files: &[PathBuf], meta: NewDocument) -> Out {
    let mut vault = ctx.open()?;
    let mut added = Vec::new();
    let bar = (files.len() > 1).then(|| Bar::new(ctx.lang, ctx.lang.t("Import", "Import")));
    for batch in files.chunks(IMPORT_BATCH) {
        let items: Vec<(PathBuf, NewDocument)> = batch
            .iter()
            .map(|f| {
                let mut m = meta.clone();
                if files.len() > 1 {
                    m.title = String::new(); // each file keeps its own name as title
                }
                (f.clone(), m)
            })
            .collect();
        let outcome = vault.import_files(&items);
        for id in &outcome.added {
            added.push(vault.get(id).map_err(|e| ctx.err(e))?);
        }
        if let Some(bar) = &bar {
            bar.set(added.len() as u64, files.len() as u64, 0, 0);
        }
        if let Some((index, e)) = outcome.failed {
            if let Some(bar) = &bar {
                bar.finish();
            }
            if !added.is_empty() && !ctx.cli.json {
                println!(
                    "{} {}",
                    added.len(),
                    ctx.lang.t("document(s) ajouté(s) avant l'erreur.", "document(s) added before the error.")
                );
            }
            let mut err = ctx.err(e);
            err.message = format!("{}: {}", batch[index].display(), err.message);
            return Err(err);
        }
    }
    if let Some(bar) = &bar {
        bar.finish();
    }
    if !ctx.cli.json {
        println!("{}", ctx.lang.msg_with("cli-documents-added", &Args::new().count("count", added.len() as u64)));
    }
    ctx.print_docs(&added)
}

fn show(ctx: &Ctx<'_>, id: &str, page: u32, out: Option<&Path>) -> Out {
    let vault = ctx.open()?;
    let id = ctx.resolve(&vault, id)?;
    let doc = vault.get(&id).map_err(|e| ctx.err(e))?;
    let Some(out) = out else {
        if ctx.cli.json {
            return ctx.print_json(&doc);
        }
        let l = ctx.lang;
        println!("{}", doc.title);
        println!("  id: {}", doc.id);
        println!(
            "  {}: {}",
            l.msg("cli-field-category"),
            coffre_core::messages::category_label(l.l10n(), &doc.category)
        );
        if !doc.tags.is_empty() {
            println!("  {}: {}", l.msg("cli-field-tags"), doc.tags.join(", "));
        }
        if let Some(d) = &doc.issued_on {
            println!("  {}: {d}", l.msg("cli-field-issued"));
        }
        if let Some(d) = &doc.expires_on {
            println!("  {}: {d}", l.msg("cli-field-expires"));
        }
        if !doc.notes.is_empty() {
            println!("  {}: {}", l.msg("cli-field-notes"), doc.notes);
        }
        println!("  pages: {}", doc.page_count());
        return Ok(exit::OK);
    };
    if page == 0 {
        return Err(CliError { message: ctx.lang.msg("cli-pages-start-at-1"), code: exit::USAGE });
    }
    let n = vault.save_page(&id, page - 1, out).map_err(|e| ctx.err(e))?;
    if ctx.cli.json {
        return ctx.print_json(&serde_json::json!({ "id": id, "page": page, "path": out, "bytes": n }));
    }
    println!("{} → {} ({n} o)", doc.title, out.display());
    Ok(exit::OK)
}

/// Asks before deleting on a terminal; without one (a script), refuses rather than wait for an
/// answer that will never come: `--yes` says the deletion is meant.
fn confirm_delete(ctx: &Ctx<'_>, title: &str) -> Result<(), CliError> {
    use std::io::{BufRead, IsTerminal, Write};
    let l = ctx.lang;
    if !std::io::stdin().is_terminal() {
        return Err(CliError::new(&l.msg("cli-delete-needs-terminal"), exit::USAGE));
    }
    eprint!("{} ", l.msg_with("cli-delete-confirm", &Args::new().text("title", title)));
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(|e| ctx.err(e.into()))?;
    if matches!(answer.trim().to_lowercase().as_str(), "o" | "oui" | "y" | "yes") {
        return Ok(());
    }
    Err(CliError::new(&l.msg("cli-delete-cancelled"), exit::FAILURE))
}

/// Refuses an output name whose extension says another format than the page's (a `.png` holding
/// JPEG bytes confuses every viewer); no extension is accepted as is.
fn check_extension(ctx: &Ctx<'_>, out: &Path, bytes: &[u8]) -> Result<(), CliError> {
    use coffre_core::vault::FileKind;
    let kind = coffre_core::vault::sniff(bytes);
    let Some(ext) = out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase) else {
        return Ok(());
    };
    let (fits, right) = match kind {
        FileKind::Jpeg => (matches!(ext.as_str(), "jpg" | "jpeg"), "jpg"),
        FileKind::Png => (ext == "png", "png"),
        FileKind::Pdf => (ext == "pdf", "pdf"),
        FileKind::Heic => (matches!(ext.as_str(), "heic" | "heif"), "heic"),
        FileKind::Other => (true, ""),
    };
    if fits {
        return Ok(());
    }
    let message = ctx.lang.msg_with(
        "cli-wrong-extension",
        &Args::new().text("kind", kind.name()).text("ext", ext.as_str()).text("right", right),
    );
    Err(CliError::new(&message, exit::USAGE))
}

fn desk(ctx: &Ctx<'_>, out: &Path) -> Out {
    let vault = ctx.open()?;
    match vault.first_pinned_page().map_err(|e| ctx.err(e))? {
        Some((doc, bytes)) => {
            check_extension(ctx, out, &bytes)?;
            std::fs::write(out, bytes.as_slice()).map_err(|e| ctx.err(e.into()))?;
            println!("{} → {}", doc.title, out.display());
            Ok(exit::OK)
        }
        None => Err(CliError { message: ctx.lang.msg("cli-no-pinned"), code: exit::NOT_FOUND }),
    }
}

fn expiring(ctx: &Ctx<'_>, days: u32) -> Out {
    let vault = ctx.open()?;
    let list = vault.expiring_within(days).map_err(|e| ctx.err(e))?;
    if ctx.cli.json {
        return ctx.print_json(&list);
    }
    if list.is_empty() {
        println!("{}", ctx.lang.msg("cli-nothing-expires"));
    }
    for e in &list {
        let when = if e.days_left < 0 {
            ctx.lang.msg_with("cli-expired-days-ago", &Args::new().num("days", -e.days_left as f64))
        } else {
            ctx.lang.msg_with("cli-expires-in-days", &Args::new().num("days", e.days_left as f64))
        };
        println!("{}  {}  — {when}", &e.document.id.to_hex()[..8], e.document.title);
    }
    Ok(exit::OK)
}

fn export(ctx: &Ctx<'_>, dest: &Path, zip: bool) -> Out {
    let mut vault = ctx.open()?;
    export_vault(ctx, &mut vault, dest, zip)
}

fn verify(ctx: &Ctx<'_>) -> Out {
    let vault = ctx.open()?;
    let report = vault.verify().map_err(|e| ctx.err(e))?;
    let code = if report.is_clean() { exit::OK } else { exit::DAMAGED };
    if ctx.cli.json {
        ctx.print_json(&report)?;
        return Ok(code);
    }
    let l = ctx.lang;
    let database = l.msg(if report.database_ok { "cli-database-ok" } else { "cli-database-damaged" });
    let summary = Args::new()
        .count("documents", report.documents)
        .count("files", report.blobs_checked)
        .text("database", database);
    println!("{}", l.msg_with("cli-verify-summary", &summary));
    for d in &report.damaged {
        let id = match d.problem {
            coffre_core::vault::DamageKind::Missing => "cli-page-missing",
            coffre_core::vault::DamageKind::Altered => "cli-page-altered",
        };
        let what = l.msg_with(id, &Args::new().count("page", u64::from(d.page_index) + 1));
        println!("  ✗ {} ({}) — {what}", d.title, &d.doc_id.to_hex()[..8]);
    }
    if report.is_clean() {
        println!("{}", l.msg("cli-all-intact"));
    }
    Ok(code)
}

fn categories(ctx: &Ctx<'_>) -> Out {
    if ctx.cli.json {
        return ctx.print_json(&CATALOGUE);
    }
    for c in CATALOGUE {
        println!("{:28} {}", c.code, coffre_core::messages::category_label(ctx.lang.l10n(), c.code));
    }
    Ok(exit::OK)
}

fn edit(ctx: &Ctx<'_>, id: &str, patch: MetadataPatch) -> Out {
    let mut vault = ctx.open()?;
    let id = ctx.resolve(&vault, id)?;
    let doc = vault.update_metadata(&id, patch).map_err(|e| ctx.err(e))?;
    ctx.print_docs(&[doc])
}

fn passwd(ctx: &Ctx<'_>, new_passphrase_file: Option<&Path>) -> Out {
    let lang = ctx.lang;
    let mut vault = ctx.open()?;
    let new = secret::new_passphrase(new_passphrase_file, "COFFRE_NEW_PASSPHRASE", lang)?;
    vault.change_passphrase(new.as_bytes(), None).map_err(|e| ctx.err(e))?;
    println!("{}", lang.msg("cli-passphrase-changed"));
    Ok(exit::OK)
}

/// The raw SQLCipher key, on stdout alone (the warning goes to stderr), for operators' scripts.
fn db_key(ctx: &Ctx<'_>) -> Out {
    let lang = ctx.lang;
    let vault = ctx.open()?;
    let key = vault.sqlcipher_key_hex();
    eprintln!("{}", lang.msg("cli-db-key-warning"));
    println!("{}", key.as_str());
    Ok(exit::OK)
}
