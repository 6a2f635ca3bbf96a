//! A document's versions as `coffre version list` prints them (also after `version add` and
//! `capture --replace`).

use crate::ctx::{Ctx, Out};
use crate::i18n::exit;
use coffre_core::vault::{DocId, PageRole, Vault};

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
