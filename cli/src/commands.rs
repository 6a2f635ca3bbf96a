//! One function per subcommand; each opens the vault it needs and prints for people or, with
//! `--json`, for scripts.

use crate::i18n::{Lang, describe, exit};
use crate::{Cli, Command, capture_cmd, mandate_cmd, recovery_cmd, secret, share_cmd, sync_cmd, version_cmd};
use coffre_core::vault::{
    CATALOGUE, DocId, Document, ExportFormat, ListQuery, MetadataPatch, NewDocument, Vault, VaultError,
};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// An error already worded for the person, with its exit code.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub code: i32,
}

impl CliError {
    pub fn new(message: &str, code: i32) -> CliError {
        CliError { message: message.to_string(), code }
    }
}

pub(crate) type Out = Result<i32, CliError>;

pub(crate) struct Ctx<'a> {
    pub cli: &'a Cli,
    pub lang: Lang,
}

impl Ctx<'_> {
    pub fn err(&self, e: VaultError) -> CliError {
        let (message, code) = describe(self.lang, &e);
        CliError { message, code }
    }

    pub fn dir(&self) -> Result<PathBuf, CliError> {
        self.cli.vault.clone().ok_or_else(|| {
            CliError::new(
                self.lang.t(
                    "Indiquez le dossier du coffre avec --vault DOSSIER ou COFFRE_VAULT.",
                    "Give the vault folder with --vault DIR or COFFRE_VAULT.",
                ),
                exit::USAGE,
            )
        })
    }

    pub fn open(&self) -> Result<Vault, CliError> {
        let dir = self.dir()?;
        // Fail on a missing vault before asking for a passphrase.
        if !dir.join(coffre_core::vault::layout::HEADER_FILE).exists() {
            return Err(self.err(VaultError::NoVault));
        }
        let pass = secret::passphrase(self.cli.passphrase_file.as_deref(), self.lang)?;
        Vault::open(&dir, pass.as_bytes(), None).map_err(|e| self.err(e))
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
            println!("{}", self.lang.t("(aucun document)", "(no documents)"));
        }
        for d in docs {
            let pin = if d.pinned { "📌 " } else { "" };
            let exp = d.expires_on.as_deref().map(|e| format!("  ⏳ {e}")).unwrap_or_default();
            println!("{}  {pin}{}  [{}]{exp}", &d.id.to_hex()[..8], d.title, d.category_label);
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

pub fn run(cli: &Cli, lang: Lang) -> Out {
    let ctx = Ctx { cli, lang };
    match &cli.command {
        Command::Init => init(&ctx),
        Command::Capture { action: Some(crate::CaptureAction::Detect { photo }), .. } => {
            capture_cmd::detect(&ctx, photo)
        }
        Command::Capture {
            action: None,
            photos,
            corners,
            mode,
            pdf,
            out,
            no_save,
            category,
            title,
            tags,
            expires,
            replace,
        } => {
            let meta = NewDocument {
                category: category.clone(),
                title: title.clone().unwrap_or_default(),
                tags: tags.clone(),
                expires_on: expires.clone(),
                ..Default::default()
            };
            let args = capture_cmd::Args {
                photos,
                corners: corners.as_deref(),
                mode: mode.as_deref(),
                pdf: pdf.as_deref(),
                out: out.as_deref(),
                save: !no_save,
                replace: replace.as_deref(),
            };
            capture_cmd::capture(&ctx, args, meta)
        }
        Command::Import { files, category, title, tags, issued, expires, notes } => {
            let meta = NewDocument {
                category: category.clone(),
                title: title.clone().unwrap_or_default(),
                tags: tags.clone(),
                issued_on: issued.clone(),
                expires_on: expires.clone(),
                notes: notes.clone(),
            };
            import(&ctx, files, meta)
        }
        Command::List { category, tag, pinned, limit } => {
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
        Command::Search { query, limit } => {
            let vault = ctx.open()?;
            ctx.print_docs(&vault.search(query, *limit).map_err(|e| ctx.err(e))?)
        }
        Command::Show { id, page, out } => show(&ctx, id, *page, out.as_deref()),
        Command::Edit { id, category, title, tags, issued, expires, notes } => {
            let mut vault = ctx.open()?;
            let id = ctx.resolve(&vault, id)?;
            let opt = |s: &Option<String>| s.as_ref().map(|v| if v.is_empty() { None } else { Some(v.clone()) });
            let patch = MetadataPatch {
                category: category.clone(),
                title: title.clone(),
                tags: tags.clone(),
                issued_on: opt(issued),
                expires_on: opt(expires),
                notes: notes.clone(),
            };
            let doc = vault.update_metadata(&id, patch).map_err(|e| ctx.err(e))?;
            ctx.print_docs(&[doc])
        }
        Command::Delete { id } => {
            let mut vault = ctx.open()?;
            let id = ctx.resolve(&vault, id)?;
            vault.delete(&id).map_err(|e| ctx.err(e))?;
            println!("{}", lang.t("Document supprimé.", "Document deleted."));
            Ok(exit::OK)
        }
        Command::Pin { id, off } => {
            let mut vault = ctx.open()?;
            let id = ctx.resolve(&vault, id)?;
            vault.set_pinned(&id, !off).map_err(|e| ctx.err(e))?;
            println!("{}", if *off { lang.t("Désépinglé.", "Unpinned.") } else { lang.t("Épinglé.", "Pinned.") });
            Ok(exit::OK)
        }
        Command::Desk { out } => desk(&ctx, out),
        Command::Expiring { days } => expiring(&ctx, *days),
        Command::Export { dest, zip } => export(&ctx, dest, *zip),
        Command::Verify => verify(&ctx),
        Command::Passwd { new_passphrase_file } => {
            let mut vault = ctx.open()?;
            let new = secret::new_passphrase(new_passphrase_file.as_deref(), "COFFRE_NEW_PASSPHRASE", lang)?;
            vault.change_passphrase(new.as_bytes(), None).map_err(|e| ctx.err(e))?;
            println!("{}", lang.t("Code secret changé.", "Passphrase changed."));
            Ok(exit::OK)
        }
        Command::DbKey => {
            let vault = ctx.open()?;
            let key = vault.sqlcipher_key_hex();
            eprintln!(
                "{}",
                lang.t(
                    "Clé brute SQLCipher 4 (secrète !). Usage : PRAGMA key = \"x'<clé>'\"; voir core/vault/README.md",
                    "Raw SQLCipher 4 key (secret!). Use: PRAGMA key = \"x'<key>'\"; see core/vault/README.md",
                )
            );
            println!("{}", key.as_str());
            Ok(exit::OK)
        }
        Command::Categories => categories(&ctx),
        Command::Sync { server, all } => sync_cmd::sync(&ctx, server.as_deref(), *all),
        Command::Device(d) => sync_cmd::device(&ctx, d),
        Command::Kit { pdf, words_lang } => recovery_cmd::kit(&ctx, pdf.as_deref(), words_lang),
        Command::Recover { action: Some(crate::RecoverAction::Assisted(a)), .. } => recovery_cmd::assisted(&ctx, a),
        Command::Recover { action: None, code, qr_image, server } => {
            recovery_cmd::recover(&ctx, code.as_deref(), qr_image.as_deref(), server.as_deref())
        }
        Command::Close { export, no_export, yes } => recovery_cmd::close(&ctx, export.as_deref(), *no_export, *yes),
        Command::Org(c) => mandate_cmd::org(&ctx, c),
        Command::Agent(c) => mandate_cmd::agent(&ctx, c),
        Command::Mandate(c) => mandate_cmd::mandate_cmd(&ctx, c),
        Command::Deposits => mandate_cmd::deposits(&ctx),
        Command::Audit => mandate_cmd::audit(&ctx),
        Command::VerifyDeposit { file, server_key } => mandate_cmd::verify_deposit(&ctx, file, server_key.as_deref()),
        Command::Version(v) => version_cmd::run(&ctx, v),
        Command::Share(s) => share_cmd::share(&ctx, s),
        Command::Dossier(d) => share_cmd::dossier(&ctx, d),
    }
}

fn init(ctx: &Ctx<'_>) -> Out {
    let dir = ctx.dir()?;
    if dir.join(coffre_core::vault::layout::HEADER_FILE).exists() {
        return Err(ctx.err(VaultError::AlreadyExists));
    }
    let pass = secret::new_passphrase(ctx.cli.passphrase_file.as_deref(), "COFFRE_PASSPHRASE", ctx.lang)?;
    let vault = Vault::create(&dir, pass.as_bytes(), None).map_err(|e| ctx.err(e))?;
    if ctx.cli.json {
        return ctx.print_json(&serde_json::json!({ "vault_id": vault.vault_id(), "dir": dir }));
    }
    println!("{} {}", ctx.lang.t("Coffre créé :", "Vault created:"), dir.display());
    Ok(exit::OK)
}

fn import(ctx: &Ctx<'_>, files: &[PathBuf], meta: NewDocument) -> Out {
    let mut vault = ctx.open()?;
    let mut added = Vec::new();
    for f in files {
        let mut m = meta.clone();
        if files.len() > 1 {
            m.title = String::new(); // each file keeps its own name as title
        }
        let id = vault.import_file(f, m).map_err(|e| {
            let mut err = ctx.err(e);
            err.message = format!("{}: {}", f.display(), err.message);
            err
        })?;
        added.push(vault.get(&id).map_err(|e| ctx.err(e))?);
    }
    if !ctx.cli.json {
        println!("{} {}", added.len(), ctx.lang.t("document(s) ajouté(s) :", "document(s) added:"));
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
        println!("  {}: {}", l.t("catégorie", "category"), doc.category_label);
        if !doc.tags.is_empty() {
            println!("  {}: {}", l.t("étiquettes", "tags"), doc.tags.join(", "));
        }
        if let Some(d) = &doc.issued_on {
            println!("  {}: {d}", l.t("délivré le", "issued"));
        }
        if let Some(d) = &doc.expires_on {
            println!("  {}: {d}", l.t("expire le", "expires"));
        }
        if !doc.notes.is_empty() {
            println!("  notes: {}", doc.notes);
        }
        println!("  pages: {}", doc.page_count());
        return Ok(exit::OK);
    };
    if page == 0 {
        return Err(CliError::new(ctx.lang.t("Les pages commencent à 1.", "Pages start at 1."), exit::USAGE));
    }
    let n = vault.save_page(&id, page - 1, out).map_err(|e| ctx.err(e))?;
    if ctx.cli.json {
        return ctx.print_json(&serde_json::json!({ "id": id, "page": page, "path": out, "bytes": n }));
    }
    println!("{} → {} ({n} o)", doc.title, out.display());
    Ok(exit::OK)
}

fn desk(ctx: &Ctx<'_>, out: &Path) -> Out {
    let vault = ctx.open()?;
    match vault.first_pinned_page().map_err(|e| ctx.err(e))? {
        Some((doc, bytes)) => {
            std::fs::write(out, bytes.as_slice()).map_err(|e| ctx.err(e.into()))?;
            println!("{} → {}", doc.title, out.display());
            Ok(exit::OK)
        }
        None => Err(CliError::new(
            ctx.lang.t(
                "Aucun document épinglé. Épinglez votre pièce d'identité avec « coffre pin ID ».",
                "No pinned document. Pin your ID with `coffre pin ID`.",
            ),
            exit::NOT_FOUND,
        )),
    }
}

fn expiring(ctx: &Ctx<'_>, days: u32) -> Out {
    let vault = ctx.open()?;
    let list = vault.expiring_within(days).map_err(|e| ctx.err(e))?;
    if ctx.cli.json {
        return ctx.print_json(&list);
    }
    if list.is_empty() {
        println!("{}", ctx.lang.t("Rien n'expire bientôt.", "Nothing expires soon."));
    }
    for e in &list {
        let when = if e.days_left < 0 {
            format!("{} {} {}", ctx.lang.t("expiré depuis", "expired"), -e.days_left, ctx.lang.t("jours", "days ago"))
        } else {
            format!("{} {} {}", ctx.lang.t("expire dans", "expires in"), e.days_left, ctx.lang.t("jours", "days"))
        };
        println!("{}  {}  — {when}", &e.document.id.to_hex()[..8], e.document.title);
    }
    Ok(exit::OK)
}

fn export(ctx: &Ctx<'_>, dest: &Path, zip: bool) -> Out {
    let mut vault = ctx.open()?;
    export_vault(ctx, &mut vault, dest, zip)
}

/// `export` on an open vault (also the final export offered by `close`).
pub(crate) fn export_vault(ctx: &Ctx<'_>, vault: &mut Vault, dest: &Path, zip: bool) -> Out {
    let format = if zip { ExportFormat::Zip } else { ExportFormat::Folder };
    let summary = vault.export(dest, format).map_err(|e| ctx.err(e))?;
    // The audit trail and deposit certificates, verifiable offline (connected vaults only).
    let audit = mandate_cmd::export_audit(ctx, vault, dest, zip)?;
    if let Some(path) = &audit
        && !ctx.cli.json
    {
        println!("{} → {}", ctx.lang.t("journal d'audit", "audit trail"), path.display());
    }
    if ctx.cli.json {
        return ctx.print_json(&summary);
    }
    println!(
        "{} {} → {}",
        summary.documents,
        ctx.lang.t("document(s) exporté(s)", "document(s) exported"),
        dest.display()
    );
    Ok(exit::OK)
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
    println!(
        "{} {} · {} {} · {}: {}",
        report.documents,
        l.t("documents", "documents"),
        report.blobs_checked,
        l.t("fichiers vérifiés", "files checked"),
        l.t("base de données", "database"),
        if report.database_ok { "ok" } else { l.t("ABÎMÉE", "DAMAGED") }
    );
    for d in &report.damaged {
        let what = match d.problem {
            coffre_core::vault::DamageKind::Missing => l.t("manquante", "missing"),
            coffre_core::vault::DamageKind::Altered => l.t("altérée", "altered"),
        };
        println!("  ✗ {} ({}) — page {} {what}", d.title, &d.doc_id.to_hex()[..8], d.page_index + 1);
    }
    if report.is_clean() {
        println!("{}", l.t("Tout est intact.", "Everything is intact."));
    }
    Ok(code)
}

fn categories(ctx: &Ctx<'_>) -> Out {
    if ctx.cli.json {
        return ctx.print_json(&CATALOGUE);
    }
    for c in CATALOGUE {
        println!("{:28} {}", c.code, ctx.lang.t(c.label_fr, c.label_en));
    }
    Ok(exit::OK)
}
