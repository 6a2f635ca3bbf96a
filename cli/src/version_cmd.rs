//! `coffre version list|add|show`: the versions of a document (a renewed card, a better photo). The
//! newest is the one `show` and the desk mode use; older ones stay readable; versions made at the
//! same time on two devices are both kept and marked as a conflict.

use crate::ctx::{Ctx, Out};
use crate::errors::CliError;
use crate::i18n::exit;
use crate::versions::print_versions;
use clap::Subcommand;
use coffre_core::vault::{Origin, PageInput, PageRole, SNIFF_LEN, sniff};
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum VersionCommand {
    /// Every version, oldest first; the current one and concurrent ones (a conflict) are marked.
    List { id: String },
    /// Add a new version from files (one page each, in order); it becomes the current one.
    Add {
        id: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Write one page of a version (its number in `version list`) to a file.
    Show {
        id: String,
        number: u32,
        /// Page number, from 1.
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, short)]
        out: PathBuf,
    },
}

pub fn run(ctx: &Ctx<'_>, cmd: &VersionCommand) -> Out {
    match cmd {
        VersionCommand::List { id } => list(ctx, id),
        VersionCommand::Add { id, files } => add(ctx, id, files),
        VersionCommand::Show { id, number, page, out } => show(ctx, id, *number, *page, out),
    }
}

fn list(ctx: &Ctx<'_>, id: &str) -> Out {
    let vault = ctx.open()?;
    let id = ctx.resolve(&vault, id)?;
    print_versions(ctx, &vault, &id)
}

fn add(ctx: &Ctx<'_>, id: &str, files: &[PathBuf]) -> Out {
    let mut vault = ctx.open()?;
    let id = ctx.resolve(&vault, id)?;
    let mut pages = Vec::with_capacity(files.len());
    for f in files {
        let bytes = std::fs::read(f).map_err(|e| {
            let mut err = ctx.err(e.into());
            err.message = format!("{}: {}", f.display(), err.message);
            err
        })?;
        let kind = sniff(&bytes[..bytes.len().min(SNIFF_LEN)]);
        pages.push(PageInput { bytes, mime: kind.mime().into(), role: PageRole::Page });
    }
    vault.add_version(&id, Origin::Import, pages).map_err(|e| ctx.err(e))?;
    if !ctx.cli.json {
        println!("{}", ctx.lang.msg("cli-version-added"));
    }
    print_versions(ctx, &vault, &id)
}

fn show(ctx: &Ctx<'_>, id: &str, number: u32, page: u32, out: &Path) -> Out {
    let vault = ctx.open()?;
    let id = ctx.resolve(&vault, id)?;
    let versions = vault.versions(&id).map_err(|e| ctx.err(e))?;
    let Some(v) = versions.iter().find(|v| v.number == number) else {
        return Err(CliError { message: ctx.lang.msg("cli-no-such-version"), code: exit::NOT_FOUND });
    };
    if page == 0 {
        return Err(CliError { message: ctx.lang.msg("cli-pages-start-at-1"), code: exit::USAGE });
    }
    let bytes = vault.version_page_bytes(&id, v.version, page - 1).map_err(|e| ctx.err(e))?;
    let tmp = out.with_extension("coffre-tmp");
    let written = std::fs::write(&tmp, bytes.as_slice()).and_then(|()| std::fs::rename(&tmp, out));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(ctx.err(e.into()));
    }
    if ctx.cli.json {
        return ctx.print_json(
            &serde_json::json!({ "id": id, "version": number, "page": page, "path": out, "bytes": bytes.len() }),
        );
    }
    let args = coffre_core::messages::Args::new()
        .count("number", u64::from(number))
        .count("page", u64::from(page))
        .text("path", out.display().to_string())
        .text("size", crate::progress::size(ctx.lang, bytes.len() as u64));
    println!("{}", ctx.lang.msg_with("cli-version-page-saved", &args));
    Ok(exit::OK)
}
