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

/// What to tell a person when the server refuses a registration or a request for a reason of its
/// own policy (French first, then English); `None` for other codes.
pub(crate) fn refusal_message(code: &ErrorCode) -> Option<(&'static str, &'static str)> {
    Some(match code {
        ErrorCode::RegistrationClosed => (
            "Ce serveur n'accepte pas de nouveau coffre. Demandez à la structure qui vous accompagne quelle adresse utiliser.",
            "This server does not take new vaults. Ask the organisation that helps you which address to use.",
        ),
        ErrorCode::InvitationRequired => (
            "Ce serveur crée un coffre seulement avec un code d'invitation. Demandez-le à un agent de votre structure.",
            "This server makes a vault only with an invitation code. Ask an agent of your organisation for one.",
        ),
        ErrorCode::BadInvitation => (
            "Ce code d'invitation ne marche pas : il est faux, déjà utilisé ou expiré. Demandez-en un nouveau.",
            "This invitation code does not work: it is wrong, already used or expired. Ask for a new one.",
        ),
        ErrorCode::AddressLimited => (
            "Trop de coffres ont été créés depuis ce réseau. Rien n'a été créé ; réessayez dans une heure.",
            "Too many vaults were made from this network. Nothing was made; try again in an hour.",
        ),
        ErrorCode::OrgNotAllowed => (
            "Ce serveur n'accepte que les structures que son responsable a inscrites. Envoyez-lui la clé de votre structure.",
            "This server takes only the organisations its operator listed. Send the operator your organisation's key.",
        ),
        ErrorCode::OldSignatureFormat => (
            "Cette version de Coffre est trop ancienne pour ce serveur. Mettez l'application à jour ; vos données sont intactes.",
            "This version of Coffre is too old for this server. Update the app; your data is intact.",
        ),
        _ => return None,
    })
}

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
        EngineError::LinkCodeMismatch => CliError::new(
            lang.t(
                "Les chiffres ne correspondent pas : rien n'a été envoyé. Recommencez depuis le nouvel appareil.",
                "The digits do not match: nothing was sent. Start again from the new device.",
            ),
            exit::USAGE,
        ),
        EngineError::Sync(SyncError::LinkOutdated { .. }) => CliError::new(
            lang.t(
                "Ce code de liaison vient d'une ancienne version de Coffre : mettez à jour les deux appareils, puis recommencez.",
                "This linking code comes from an old version of Coffre: update both devices, then start again.",
            ),
            exit::USAGE,
        ),
        EngineError::Sync(SyncError::LinkRevealMismatch) => CliError::new(
            lang.t(
                "La réponse ne correspond pas au QR code scanné : n'autorisez rien. Quelqu'un a peut-être montré un autre QR code. Recommencez depuis le nouvel appareil.",
                "The answer does not match the scanned QR code: approve nothing. Someone may have shown another QR code. Start again from the new device.",
            ),
            exit::FAILURE,
        ),
        EngineError::Sync(SyncError::LinkAnswered) => CliError::new(
            lang.t(
                "Un autre appareil a déjà répondu à ce QR code : rien n'a été envoyé. Recommencez depuis le nouvel appareil, à l'abri des regards.",
                "Another device already answered this QR code: nothing was sent. Start again from the new device, out of sight of others.",
            ),
            exit::FAILURE,
        ),
        EngineError::Sync(s) if s.is_history_divergence() => CliError {
            message: format!(
                "{} ({s})",
                lang.t(
                    "Le serveur montre un historique différent de celui que cet appareil a vu (il a peut-être été \
                     restauré depuis une ancienne sauvegarde). La synchronisation est arrêtée ; vos documents \
                     restent sur cet appareil, rien n'a été effacé. Pour continuer : 1) gardez-en une copie : \
                     coffre export DOSSIER ; 2) reliez un nouveau dossier depuis un autre appareil du coffre \
                     (coffre device link) ou avec votre kit de secours (coffre recover) ; 3) ajoutez-y les \
                     documents qui manquent, depuis la copie (coffre import).",
                    "The server shows a history different from the one this device saw (it may have been \
                     restored from an old backup). Sync has stopped; your documents stay on this device, nothing \
                     was deleted. To go on: 1) keep a copy of them: coffre export FOLDER; 2) link a new folder \
                     from another device of the vault (coffre device link) or with your recovery kit (coffre \
                     recover); 3) add the missing documents to it from the copy (coffre import).",
                )
            ),
            code: exit::HISTORY_DIVERGED,
        },
        EngineError::Sync(SyncError::Server { code, .. }) if refusal_message(&code).is_some() => {
            let (fr, en) = refusal_message(&code).unwrap_or_default();
            CliError::new(lang.t(fr, en), exit::FAILURE)
        }
        EngineError::Sync(SyncError::ServerFull) => CliError::new(
            lang.t(
                "Le serveur est plein : il n'accepte plus de nouveaux envois pour l'instant. Vos documents restent sur ce téléphone, rien n'est perdu ; réessayez plus tard ou prévenez votre structure.",
                "The server is full: it takes no new uploads for now. Your documents stay on this device, nothing is lost; try again later or tell your organisation.",
            ),
            exit::FAILURE,
        ),
        EngineError::Sync(SyncError::UntrustedServer) => CliError::new(
            lang.t(
                "Le certificat HTTPS du serveur n'est pas reconnu : rien n'a été envoyé. Vérifiez l'adresse ; si votre structure a sa propre autorité de certification, donnez son fichier avec --ca-file.",
                "The server's HTTPS certificate is not recognised: nothing was sent. Check the address; if your organisation runs its own certificate authority, give its file with --ca-file.",
            ),
            exit::INSECURE_SERVER,
        ),
        EngineError::Sync(SyncError::QuotaExceeded) => CliError::new(
            lang.t(
                "L'espace de ce coffre sur le serveur est plein : supprimez des documents ou demandez plus de place à votre structure. Rien n'est perdu sur ce téléphone.",
                "This vault's space on the server is full: delete documents or ask your organisation for more space. Nothing is lost on this device.",
            ),
            exit::FAILURE,
        ),
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
        MandateFlowError::Format(MandateError::UnsupportedVersion { what: "agent QR code", .. }) => CliError::new(
            l.t(
                "Ce QR code d'agent vient d'une autre version de Coffre : mettez à jour les deux appareils, puis recommencez.",
                "This agent QR code comes from another version of Coffre: update both devices, then start again.",
            ),
            exit::USAGE,
        ),
        MandateFlowError::Engine(EngineError::Sync(SyncError::Server { code, .. }))
            if refusal_message(&code).is_some() =>
        {
            let (fr, en) = refusal_message(&code).unwrap_or_default();
            CliError::new(l.t(fr, en), exit::FAILURE)
        }
        MandateFlowError::Engine(EngineError::LinkCodeMismatch) => CliError::new(
            l.t(
                "Les chiffres ne correspondent pas : rien n'a été signé. Demandez à l'agent de montrer un nouveau QR code.",
                "The digits do not match: nothing was signed. Ask the agent to show a new QR code.",
            ),
            exit::USAGE,
        ),
        MandateFlowError::Engine(EngineError::Sync(SyncError::LinkRevealMismatch)) => {
            CliError::new(
                l.t(
                    "La réponse ne correspond pas au QR code scanné : ne signez rien. Quelqu'un a peut-être montré un autre QR code. Demandez à l'agent d'en montrer un nouveau.",
                    "The answer does not match the scanned QR code: sign nothing. Someone may have shown another QR code. Ask the agent to show a new one.",
                ),
                exit::FAILURE,
            )
        }
        MandateFlowError::Engine(EngineError::Sync(SyncError::LinkAnswered)) => {
            CliError::new(
                l.t(
                    "Un autre téléphone a déjà répondu à ce QR code : rien n'a été signé. Demandez à l'agent d'en montrer un nouveau, à l'abri des regards.",
                    "Another phone already answered this QR code: nothing was signed. Ask the agent to show a new one, out of sight of others.",
                ),
                exit::FAILURE,
            )
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
