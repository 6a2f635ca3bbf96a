//! The core's errors worded for the person, where several subcommands meet the same ones: the sync
//! engine's (sync, share, recovery), the recovery flows' (`recover`, `agent recovery-approve`), the
//! mandate flows' (agents, mandates, the audit of an export).

use crate::ctx::Ctx;
use crate::errors::CliError;
use crate::i18n::{Lang, exit};
use coffre_core::mandate::MandateFlowError;
use coffre_core::mandate::formats::MandateError;
use coffre_core::recovery::AgentCheckError;
use coffre_core::recovery::{CodeError, SlotError};
use coffre_core::sync::protocol::ErrorCode;
use coffre_core::sync::{ErrorKind, SyncError};
use coffre_core::sync_engine::{AddressError, EngineError};
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

pub(crate) fn engine_error(ctx: &Ctx<'_>, e: EngineError) -> CliError {
    let lang = ctx.lang;
    match e {
        EngineError::Vault(v) => ctx.err(v),
        EngineError::NotEnrolled => CliError::new(
            lang.t(
                "Ce coffre n'est relié à aucun serveur : lancez « coffre sync --server ADRESSE ».",
                "This vault is not connected to a server: run `coffre sync --server URL`.",
            ),
            exit::USAGE,
        ),
        EngineError::AlreadyEnrolled => CliError::new(
            lang.t("Ce coffre est déjà relié à un serveur.", "This vault is already connected."),
            exit::USAGE,
        ),
        EngineError::LinkPending => CliError::new(
            lang.t("L'autre téléphone n'a pas encore confirmé.", "The other phone has not confirmed yet."),
            exit::FAILURE,
        ),
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
        EngineError::ServerAddress(AddressError::NotSecure) => CliError::new(
            lang.t(
                "Cette adresse n'est pas sécurisée (http://) : vos échanges avec le serveur pourraient être lus ou bloqués en chemin. Rien n'a été envoyé. Utilisez l'adresse en https:// que votre structure vous a donnée (pour un serveur d'essai sur votre réseau : --allow-http).",
                "This address is not secure (http://): your exchanges with the server could be read or blocked on the way. Nothing was sent. Use the https:// address your organisation gave you (for a test server on your network: --allow-http).",
            ),
            exit::INSECURE_SERVER,
        ),
        EngineError::ServerAddress(_) => CliError::new(
            lang.t(
                "Ce n'est pas une adresse de serveur : elle doit commencer par https://, par exemple https://coffre.exemple.fr.",
                "This is not a server address: it must start with https://, e.g. https://coffre.example.org.",
            ),
            exit::USAGE,
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
        EngineError::Sync(SyncError::ServerBusy { retry_after_secs, .. }) => CliError {
            message: match lang {
                Lang::Fr => format!(
                    "Le serveur est occupé et l'est resté trop longtemps ; réessayez dans {retry_after_secs} s. \
                     Ce qui a déjà été envoyé est gardé, rien n'est perdu."
                ),
                Lang::En => format!(
                    "The server is busy and stayed busy too long; try again in {retry_after_secs} s. \
                     What was already sent is kept, nothing is lost."
                ),
            },
            code: exit::SERVER_BUSY,
        },
        EngineError::Sync(SyncError::Cancelled) => CliError::new(
            lang.t(
                "Synchronisation interrompue. Ce qui a été envoyé ou reçu est gardé ; relancez « coffre sync » pour finir.",
                "Sync interrupted. What was sent or received is kept; run `coffre sync` again to finish.",
            ),
            exit::INTERRUPTED,
        ),
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
        EngineError::Sync(s) => {
            let (fr, en) = match s.kind() {
                ErrorKind::Network => (
                    "Pas de réseau ou serveur injoignable ; réessayez plus tard. Rien n'est perdu.",
                    "No network or server unreachable; try later. Nothing is lost.",
                ),
                _ => (
                    "Le serveur a répondu de façon anormale ; la synchronisation est refusée et vos données locales sont intactes.",
                    "The server answered abnormally; sync was refused and your local data is intact.",
                ),
            };
            CliError { message: format!("{} ({s})", lang.t(fr, en)), code: exit::FAILURE }
        }
        other => CliError { message: other.to_string(), code: exit::FAILURE },
    }
}

pub(crate) fn code_error(lang: Lang, e: &CodeError) -> CliError {
    let message = match e {
        CodeError::WordCount(n) => format!(
            "{} ({n})",
            lang.t("Il faut les 12 mots du kit, dans l'ordre.", "The kit's 12 words are needed, in order.")
        ),
        CodeError::UnknownWord { position } => match lang {
            Lang::Fr => {
                format!("Le mot n° {position} n'existe pas dans la liste : vérifiez son orthographe sur le kit.")
            }
            Lang::En => format!("Word {position} is not in the list: check its spelling on the kit."),
        },
        CodeError::MixedLists { position } => match lang {
            Lang::Fr => format!("Le mot n° {position} vient d'une autre langue que les premiers mots."),
            Lang::En => format!("Word {position} is from another language than the first words."),
        },
        CodeError::Checksum => lang
            .t(
                "Les mots ne vont pas ensemble : l'un d'eux n'est pas celui imprimé sur le kit. Relisez-les un par un.",
                "The words do not go together: one of them is not the one printed on the kit. Check them one by one.",
            )
            .to_string(),
        CodeError::NotAKit => lang
            .t("Ce QR code n'est pas un kit de secours Coffre.", "This QR code is not a Coffre recovery kit.")
            .into(),
    };
    CliError { message, code: exit::WRONG_CODE }
}

pub(crate) fn recovery_error(ctx: &Ctx<'_>, e: EngineError) -> CliError {
    let lang = ctx.lang;
    match e {
        EngineError::RecoveryCode(c) => code_error(lang, &c),
        EngineError::RecoverySlot(SlotError::WrongSecret | SlotError::Unsupported)
        | EngineError::Sync(SyncError::Server { status: 404, .. }) => CliError::new(
            lang.t(
                "Ce kit ne marche plus : il a été remplacé par un plus récent, ou le coffre a été fermé.",
                "This kit no longer works: a newer kit replaced it, or the vault was closed.",
            ),
            exit::WRONG_CODE,
        ),
        other => engine_error(ctx, other),
    }
}

pub(crate) fn assisted_error(ctx: &Ctx<'_>, e: EngineError) -> CliError {
    let lang = ctx.lang;
    let (fr, en, code) = match &e {
        EngineError::Sync(SyncError::Server { code, .. }) => match code {
            ErrorCode::WrongPin => ("Code PIN incorrect.", "Wrong PIN.", exit::WRONG_PASSPHRASE),
            ErrorCode::Locked => (
                "Trop d'essais : cette demande de secours est bloquée. Recommencez avec une nouvelle demande (coffre recover assisted start) ; l'attente sera plus longue.",
                "Too many tries: this recovery request is locked. Start a new request (coffre recover assisted start); the wait will be longer.",
                exit::LOCKED,
            ),
            ErrorCode::TooEarly => (
                "Le délai d'attente n'est pas fini : réessayez plus tard.",
                "The waiting delay is not over: try again later.",
                exit::BUSY,
            ),
            ErrorCode::Cancelled => (
                "Cette demande a été annulée depuis un appareil relié au coffre.",
                "This request was cancelled from a device of the vault.",
                exit::FAILURE,
            ),
            _ => return recovery_error(ctx, e),
        },
        EngineError::Assisted(coffre_core::recovery::assisted::AssistedError::NotForThisAgent) => (
            "Cette validation n'est pas pour cette demande, ou cet agent n'a pas de part pour ce coffre.",
            "This approval is not for this request, or this agent holds no piece for this vault.",
            exit::WRONG_CODE,
        ),
        EngineError::Assisted(coffre_core::recovery::assisted::AssistedError::TooFewAgents) => (
            "Il faut au moins deux agents certifiés de l'organisation.",
            "At least two certified agents of the organisation are needed.",
            exit::USAGE,
        ),
        EngineError::Assisted(_) => (
            "Il faut deux parts différentes (fournisseur, organisation ou kit).",
            "Two different shares are needed (provider, organisation or kit).",
            exit::WRONG_CODE,
        ),
        EngineError::AgentCheck(a) => {
            let (fr, en) = match a {
                AgentCheckError::Revoked => {
                    ("L'organisation a révoqué l'un de ces agents.", "The organisation revoked one of these agents.")
                }
                AgentCheckError::UnknownOrganisation => (
                    "Cette organisation n'est pas enregistrée sur le serveur.",
                    "This organisation is not registered on the server.",
                ),
                AgentCheckError::OtherOrganisation => (
                    "Les agents ne sont pas tous de l'organisation choisie.",
                    "The agents are not all of the chosen organisation.",
                ),
                AgentCheckError::Duplicate => ("Le même agent est donné deux fois.", "The same agent is given twice."),
                AgentCheckError::NotARequest => (
                    "Ce texte n'est pas une demande ou une validation de secours.",
                    "This text is not a recovery request or approval.",
                ),
                _ => (
                    "Certificat d'agent refusé (expiré ou non authentique).",
                    "Agent certificate refused (expired or not genuine).",
                ),
            };
            return CliError { message: format!("{} ({a})", lang.t(fr, en)), code: exit::USAGE };
        }
        _ => return recovery_error(ctx, e),
    };
    CliError::new(lang.t(fr, en), code)
}

/// Errors of `coffre agent recovery-approve`.
pub(crate) fn approve_error(ctx: &Ctx<'_>, e: EngineError) -> CliError {
    assisted_error(ctx, e)
}

pub(crate) fn flow_error(ctx: &Ctx<'_>, e: MandateFlowError) -> CliError {
    let l = ctx.lang;
    match e {
        MandateFlowError::Engine(coffre_core::sync_engine::EngineError::Vault(v)) => ctx.err(v),
        MandateFlowError::Engine(coffre_core::sync_engine::EngineError::NotEnrolled) => CliError::new(
            l.t(
                "Ce coffre n'est relié à aucun serveur : lancez « coffre sync --server ADRESSE ».",
                "This vault is not connected to a server: run `coffre sync --server URL`.",
            ),
            exit::USAGE,
        ),
        MandateFlowError::Format(MandateError::UnsupportedVersion { what: "agent QR code", .. }) => CliError::new(
            l.t(
                "Ce QR code d'agent vient d'une autre version de Coffre : mettez à jour les deux appareils, puis recommencez.",
                "This agent QR code comes from another version of Coffre: update both devices, then start again.",
            ),
            exit::USAGE,
        ),
        MandateFlowError::Format(f) => format_error(l, f),
        MandateFlowError::Engine(coffre_core::sync_engine::EngineError::Sync(SyncError::Server { code, .. }))
            if refusal_message(&code).is_some() =>
        {
            let (fr, en) = refusal_message(&code).unwrap_or_default();
            CliError::new(l.t(fr, en), exit::FAILURE)
        }
        MandateFlowError::OtherServer => CliError::new(
            l.t("Cet agent utilise un autre serveur que ce coffre.", "This agent uses another server than this vault."),
            exit::USAGE,
        ),
        MandateFlowError::Engine(coffre_core::sync_engine::EngineError::LinkCodeMismatch) => CliError::new(
            l.t(
                "Les chiffres ne correspondent pas : rien n'a été signé. Demandez à l'agent de montrer un nouveau QR code.",
                "The digits do not match: nothing was signed. Ask the agent to show a new QR code.",
            ),
            exit::USAGE,
        ),
        MandateFlowError::Engine(coffre_core::sync_engine::EngineError::Sync(SyncError::LinkRevealMismatch)) => {
            CliError::new(
                l.t(
                    "La réponse ne correspond pas au QR code scanné : ne signez rien. Quelqu'un a peut-être montré un autre QR code. Demandez à l'agent d'en montrer un nouveau.",
                    "The answer does not match the scanned QR code: sign nothing. Someone may have shown another QR code. Ask the agent to show a new one.",
                ),
                exit::FAILURE,
            )
        }
        MandateFlowError::Engine(coffre_core::sync_engine::EngineError::Sync(SyncError::LinkAnswered)) => {
            CliError::new(
                l.t(
                    "Un autre téléphone a déjà répondu à ce QR code : rien n'a été signé. Demandez à l'agent d'en montrer un nouveau, à l'abri des regards.",
                    "Another phone already answered this QR code: nothing was signed. Ask the agent to show a new one, out of sight of others.",
                ),
                exit::FAILURE,
            )
        }
        other => CliError {
            message: format!(
                "{} ({other})",
                l.t("Le serveur a refusé ou n'a pas répondu.", "The server refused or did not answer.")
            ),
            code: exit::FAILURE,
        },
    }
}

pub(crate) fn format_error(l: Lang, e: MandateError) -> CliError {
    let (fr, en) = match &e {
        MandateError::KeyFile => {
            ("Mauvais code secret ou fichier de clé abîmé.", "Wrong passphrase or damaged key file.")
        }
        MandateError::Expired(_) => ("Expiré.", "Expired."),
        MandateError::BadSignature(_) => {
            ("Signature invalide : ce code n'est pas authentique.", "Bad signature: this code is not genuine.")
        }
        _ => ("Code ou fichier illisible.", "Unreadable code or file."),
    };
    let code = if matches!(e, MandateError::KeyFile) { exit::WRONG_PASSPHRASE } else { exit::USAGE };
    CliError { message: format!("{} ({e})", l.t(fr, en)), code }
}

pub(crate) fn io(l: Lang, path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |e| CliError {
        message: format!("{} {}: {}", l.t("Fichier", "File"), path.display(), e.kind()),
        code: exit::FAILURE,
    }
}
