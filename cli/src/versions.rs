//! A document's versions as `coffre version list` prints them (also after `version add` and
//! `capture --replace`).

use crate::ctx::{Ctx, Out};
use crate::i18n::exit;
use coffre_core::messages::Args;
use coffre_core::vault::{DocId, PageRole, Vault};

pub(crate) fn print_versions(ctx: &Ctx<'_>, vault: &Vault, id: &DocId) -> Out {
    let versions = vault.versions(id).map_err(|e| ctx.err(e))?;
    if ctx.cli.json {
        return ctx.print_json(&versions);
    }
    let l = ctx.lang;
    for v in &versions {
        let date = time::OffsetDateTime::from_unix_timestamp(v.created_at / 1000)
            .map(|d| crate::i18n::moment(l, d))
            .unwrap_or_default();
        let pages = v.pages.iter().filter(|p| p.role == PageRole::Page).count();
        let mut marks = Vec::new();
        if v.current {
            marks.push(l.msg("cli-version-current"));
        }
        if v.concurrent {
            marks.push(l.msg("cli-version-concurrent"));
        }
        if !v.local {
            marks.push(l.msg("cli-version-not-downloaded"));
        }
        let marks = if marks.is_empty() { String::new() } else { format!("  ({})", marks.join(", ")) };
        let args = Args::new().count("number", u64::from(v.number)).text("date", date).count("pages", pages as u64);
        println!("  {}{marks}", l.msg_with("cli-version-line", &args));
    }
    if versions.iter().any(|v| v.concurrent) {
        println!("{}", l.msg("cli-versions-concurrent-hint"));
    }
    Ok(exit::OK)
}
