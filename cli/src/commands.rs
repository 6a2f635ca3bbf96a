//! `coffre`'s subcommands, and which module each goes to. Each module declares its own subcommands
//! (flattened here, so the command line stays flat) and runs them.

use crate::ctx::{Ctx, Out};
use crate::version_cmd::VersionCommand;
use crate::{capture_cmd, mandate_cmd, recovery_cmd, share_cmd, sync_cmd, vault_cmd, version_cmd};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new vault.
    Init,
    #[command(flatten)]
    Capture(capture_cmd::Commands),
    #[command(flatten)]
    Documents(vault_cmd::Commands),
    #[command(flatten)]
    Sync(sync_cmd::Commands),
    #[command(flatten)]
    Recovery(recovery_cmd::Commands),
    /// Versions of a document: list them, add one from files, write a page of an older one.
    #[command(subcommand)]
    Version(VersionCommand),
    #[command(flatten)]
    Mandates(mandate_cmd::Commands),
    #[command(flatten)]
    Sharing(share_cmd::Commands),
}

pub fn run(ctx: &Ctx<'_>, command: &Command) -> Out {
    match command {
        Command::Init => vault_cmd::init(ctx),
        Command::Capture(c) => capture_cmd::run(ctx, c),
        Command::Documents(c) => vault_cmd::run(ctx, c),
        Command::Sync(c) => sync_cmd::run(ctx, c),
        Command::Recovery(c) => recovery_cmd::run(ctx, c),
        Command::Version(v) => version_cmd::run(ctx, v),
        Command::Mandates(c) => mandate_cmd::run(ctx, c),
        Command::Sharing(c) => share_cmd::run(ctx, c),
    }
}
