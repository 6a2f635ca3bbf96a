//! `coffre version list|add|show`: the versions of a document (a renewed card, a better photo). The
//! newest is the one `show` and the desk mode use; older ones stay readable; versions made at the
//! same time on two devices are both kept and marked as a conflict.

use crate::VersionCommand;
use crate::commands::{CliError, Ctx, Out};
use crate::i18n::exit;
use coffre_core::vault::{DocId, Origin, PageInput, PageRole, SNIFF_LEN, Vault, sniff};
use std::path::{Path, PathBuf};

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

pub(crate) fn print_versions(ctx: &Ctx<'_>, vault: &Vault, id: &DocId) -> Out {
    let versions = vault.versions(id).map_err(|e| ctx.err(e))?;
    if ctx.cli.json {
        return ctx.print_json(&versions);
    }
    let l = ctx.lang;
    for v in &versions {
        let date = time::OffsetDateTime::from_unix_timestamp(v.created_at / 1000)
            .map(|d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
            .unwrap_or_default();
        let pages = v.pages.iter().filter(|p| p.role == PageRole::Page).count();
        let mut marks = Vec::new();
        if v.current {
            marks.push(l.t("actuelle", "current"));
        }
        if v.concurrent {
            marks.push(l.t("faite en même temps sur un autre appareil", "made at the same time on another device"));
        }
        if !v.local {
            marks.push(l.t("pas encore téléchargée", "not downloaded yet"));
        }
        let marks = if marks.is_empty() { String::new() } else { format!("  ({})", marks.join(", ")) };
        println!("  {}. {date}  {pages} page(s){marks}", v.number);
    }
    if versions.iter().any(|v| v.concurrent) {
        println!(
            "{}",
            l.t(
                "Deux versions ont été faites en même temps : gardez la bonne avec « coffre version add ».",
                "Two versions were made at the same time: keep the right one with `coffre version add`.",
            )
        );
    }
    Ok(exit::OK)
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
        println!("{}", ctx.lang.t("Nouvelle version ajoutée :", "New version added:"));
    }
    print_versions(ctx, &vault, &id)
}

fn show(ctx: &Ctx<'_>, id: &str, number: u32, page: u32, out: &Path) -> Out {
    let vault = ctx.open()?;
    let id = ctx.resolve(&vault, id)?;
    let versions = vault.versions(&id).map_err(|e| ctx.err(e))?;
    let Some(v) = versions.iter().find(|v| v.number == number) else {
        return Err(CliError::new(
            ctx.lang.t("Pas de version avec ce numéro.", "No version with this number."),
            exit::NOT_FOUND,
        ));
    };
    if page == 0 {
        return Err(CliError::new(ctx.lang.t("Les pages commencent à 1.", "Pages start at 1."), exit::USAGE));
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
    println!("{} {number}, page {page} → {} ({} o)", ctx.lang.t("version", "version"), out.display(), bytes.len());
    Ok(exit::OK)
}
