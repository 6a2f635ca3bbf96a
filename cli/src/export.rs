//! `coffre export` on an open vault, with the audit trail beside it; `coffre close` makes its final
//! export with it too.

use crate::core_errors::{flow_error, io};
use crate::ctx::{Ctx, Out};
use crate::errors::CliError;
use crate::i18n::exit;
use coffre_core::mandate;
use coffre_core::messages::Args;
use coffre_core::vault::{ExportFormat, Vault};
use std::path::Path;

/// `export` on an open vault (also the final export offered by `close`). A zip named without an
/// extension gets `.zip`, so the person's computer knows how to open it. Everything written is
/// readable by its owner only (0600 files, 0700 folders on unix): it is the vault in clear.
pub(crate) fn export_vault(ctx: &Ctx<'_>, vault: &mut Vault, dest: &Path, zip: bool) -> Out {
    let named;
    let dest = if zip && dest.extension().is_none() {
        named = dest.with_extension("zip");
        named.as_path()
    } else {
        dest
    };
    let format = if zip { ExportFormat::Zip } else { ExportFormat::Folder };
    let summary = vault.export(dest, format).map_err(|e| ctx.err(e))?;
    // The audit trail and deposit certificates, verifiable offline (connected vaults only).
    let audit = export_audit(ctx, vault, dest, zip)?;
    if let Some(path) = &audit
        && !ctx.cli.json
    {
        println!("{}", ctx.lang.msg_with("cli-audit-written", &Args::new().text("path", path.display().to_string())));
    }
    if ctx.cli.json {
        return ctx.print_json(&summary);
    }
    let args = Args::new().count("count", summary.documents).text("path", dest.display().to_string());
    println!("{}", ctx.lang.msg_with("cli-documents-exported", &args));
    Ok(exit::OK)
}

/// Writes `audit.json` for an export: into the folder, or beside the zip.
fn export_audit(
    ctx: &Ctx<'_>,
    vault: &mut coffre_core::vault::Vault,
    dest: &Path,
    zip: bool,
) -> Result<Option<std::path::PathBuf>, CliError> {
    if coffre_core::sync_engine::server_url(vault).map_err(|e| flow_error(ctx, e.into()))?.is_none() {
        return Ok(None);
    }
    let export = mandate::audit_export(vault).map_err(|e| flow_error(ctx, e))?;
    let path = if zip { dest.with_extension("audit.json") } else { dest.join("audit.json") };
    let text = serde_json::to_vec_pretty(&export).map_err(|_| CliError::new("JSON", exit::FAILURE))?;
    std::io::Write::write_all(&mut coffre_core::vault::create_private_file(&path).map_err(io(ctx.lang, &path))?, &text)
        .map_err(io(ctx.lang, &path))?;
    Ok(Some(path))
}
