//! The core's errors worded for the person, where several subcommands meet the same ones: the sync
//! engine's (sync, share, recovery), the recovery flows' (`recover`, `agent recovery-approve`), the
//! mandate flows' (agents, mandates, the audit of an export). The sentences come from the catalogue
//! through the errors' `kind()` (`coffre_core::messages`), never from their English `Display`.

use crate::ctx::Ctx;
use crate::errors::CliError;
use crate::i18n::{Lang, exit};
use coffre_core::error::ErrorKind as Kind;
use coffre_core::mandate::MandateFlowError;
use coffre_core::mandate::formats::MandateError;
use coffre_core::messages::{self, Args};
use coffre_core::recovery::CodeError;
use coffre_core::recovery::SlotError;
use coffre_core::sync::protocol::ErrorCode;
use coffre_core::sync::{ErrorKind, SyncError};
use coffre_core::sync_engine::EngineError;
use std::path::Path;

fn worded(lang: Lang, kind: Kind, code: i32) -> CliError {
    CliError { message: messages::error_message(lang.l10n(), kind), code }
}

pub(crate) fn engine_error(ctx: &Ctx<'_>, e: EngineError) -> CliError {
    let lang = ctx.lang;
    let kind = e.kind();
    match e {
        EngineError::Vault(v) => ctx.err(v),
        EngineError::NotEnrolled => CliError { message: lang.msg("cli-not-enrolled"), code: exit::USAGE },
        EngineError::AlreadyEnrolled => worded(lang, kind, exit::USAGE),
        EngineError::LinkPending => worded(lang, kind, exit::FAILURE),
        EngineError::ServerAddress(_) if kind == Kind::InsecureServer => CliError {
            message: format!("{} {}", messages::error_message(lang.l10n(), kind), lang.msg("cli-allow-http-hint")),
            code: exit::INSECURE_SERVER,
        },
        EngineError::ServerAddress(_) => worded(lang, kind, exit::USAGE),
        EngineError::Sync(SyncError::ServerBusy { retry_after_secs, .. }) => {
            CliError { message: messages::server_busy_message(lang.l10n(), retry_after_secs), code: exit::SERVER_BUSY }
        }
        EngineError::Sync(SyncError::Cancelled) => {
            CliError { message: lang.msg("cli-sync-interrupted"), code: exit::INTERRUPTED }
        }
        EngineError::Sync(s) => {
            // A refusal the server explains with a code is still "abnormal" for the person: the
            // categories that need another action have their own sentence.
            let kind = match s.kind() {
                ErrorKind::Network | ErrorKind::QuotaExceeded | ErrorKind::Revoked => kind,
                _ => Kind::Sync { category: ErrorKind::Integrity, status: None },
            };
            worded(lang, kind, exit::FAILURE)
        }
        _ => worded(lang, kind, exit::FAILURE),
    }
}

pub(crate) fn code_error(lang: Lang, e: &CodeError) -> CliError {
    let kind = EngineError::RecoveryCode(e.clone()).kind();
    worded(lang, kind, exit::WRONG_CODE)
}

pub(crate) fn recovery_error(ctx: &Ctx<'_>, e: EngineError) -> CliError {
    match e {
        EngineError::RecoveryCode(c) => code_error(ctx.lang, &c),
        EngineError::RecoverySlot(SlotError::WrongSecret | SlotError::Unsupported)
        | EngineError::Sync(SyncError::Server { status: 404, .. }) => {
            worded(ctx.lang, Kind::WrongRecoverySecret, exit::WRONG_CODE)
        }
        other => engine_error(ctx, other),
    }
}

pub(crate) fn assisted_error(ctx: &Ctx<'_>, e: EngineError) -> CliError {
    let lang = ctx.lang;
    let kind = e.kind();
    let (id, code) = match &e {
        EngineError::Sync(SyncError::Server { code, .. }) => match code {
            ErrorCode::WrongPin => ("cli-wrong-pin", exit::WRONG_PASSPHRASE),
            ErrorCode::Locked => ("cli-assisted-locked", exit::LOCKED),
            ErrorCode::TooEarly => ("cli-assisted-too-early", exit::BUSY),
            ErrorCode::Cancelled => ("cli-assisted-cancelled", exit::FAILURE),
            _ => return recovery_error(ctx, e),
        },
        EngineError::Assisted(coffre_core::recovery::assisted::AssistedError::TooFewAgents) => {
            return worded(lang, kind, exit::USAGE);
        }
        EngineError::Assisted(_) => return worded(lang, kind, exit::WRONG_CODE),
        EngineError::AgentCheck(_) => return worded(lang, kind, exit::USAGE),
        _ => return recovery_error(ctx, e),
    };
    CliError { message: lang.msg(id), code }
}

/// Errors of `coffre agent recovery-approve`.
pub(crate) fn approve_error(ctx: &Ctx<'_>, e: EngineError) -> CliError {
    assisted_error(ctx, e)
}

pub(crate) fn flow_error(ctx: &Ctx<'_>, e: MandateFlowError) -> CliError {
    let l = ctx.lang;
    let kind = e.kind();
    match e {
        MandateFlowError::Engine(EngineError::Vault(v)) => ctx.err(v),
        MandateFlowError::Engine(EngineError::NotEnrolled) => {
            CliError { message: l.msg("cli-not-enrolled"), code: exit::USAGE }
        }
        MandateFlowError::Format(f) => format_error(l, f),
        MandateFlowError::OtherServer => worded(l, kind, exit::USAGE),
        // The server's code stays visible (`scope_denied`, `mandate_revoked`): the agent's desk
        // reads it to know which mandate to ask for.
        MandateFlowError::Engine(EngineError::Sync(SyncError::Server { code, .. })) => CliError {
            message: format!("{} [{}]", l.msg("cli-server-refused-or-silent"), code.as_str()),
            code: exit::FAILURE,
        },
        MandateFlowError::Engine(e) => engine_error(ctx, e),
        _ => CliError { message: l.msg("cli-server-refused-or-silent"), code: exit::FAILURE },
    }
}

pub(crate) fn format_error(l: Lang, e: MandateError) -> CliError {
    let code = if matches!(e, MandateError::KeyFile) { exit::WRONG_PASSPHRASE } else { exit::USAGE };
    worded(l, Kind::Mandate((&e).into()), code)
}

pub(crate) fn io(l: Lang, path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |e| {
        let id = match e.kind() {
            std::io::ErrorKind::NotFound => "cli-file-not-found",
            std::io::ErrorKind::PermissionDenied => "cli-file-permission",
            _ => "cli-file-io",
        };
        CliError { message: l.msg_with(id, &Args::new().text("path", path.display().to_string())), code: exit::FAILURE }
    }
}
