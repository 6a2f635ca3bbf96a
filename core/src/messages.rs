//! Errors and labels worded for a person, from the catalogue (`coffre-l10n`): what the CLI and the
//! apps show. A message comes from an error's `kind()` and its typed fields, never from its English
//! `Display` (that stays for logs), so no English fragment reaches a French or Arabic reader.

pub use coffre_l10n::{Args, Direction, Lang, date_in_words, date_time_in_words, local_offset, size};

use coffre_l10n::{t, t0};
use coffre_sync::ErrorKind as SyncKind;
use coffre_sync::protocol::share::ShareRefusal;
use coffre_vault::VaultError;

use crate::error::{ErrorKind, MandateProblem};

/// The sentence for an error of the facade's flows (`EngineError::kind()`, `ShareError::kind()`,
/// `MandateFlowError::kind()`). For [`ErrorKind::Vault`], prefer [`vault_message`] with the
/// [`VaultError`] itself: it names what was not found, the sizes...
pub fn error_message(lang: Lang, kind: ErrorKind) -> String {
    use ErrorKind as K;
    let (id, args) = match kind {
        K::Vault => ("vault-error-other", Args::new()),
        K::Sync { category, .. } => (sync_id(category), Args::new()),
        K::NotEnrolled => ("error-not-enrolled", Args::new()),
        K::AlreadyEnrolled => ("error-already-enrolled", Args::new()),
        K::LinkPending => ("error-link-pending", Args::new()),
        K::InsecureServer => ("error-insecure-server", Args::new()),
        K::BadServerAddress => ("error-bad-server-address", Args::new()),
        K::RecoveryWordCount { typed } => ("error-recovery-word-count", Args::new().count("typed", typed as u64)),
        K::RecoveryUnknownWord { position } => {
            ("error-recovery-unknown-word", Args::new().count("position", position as u64))
        }
        K::RecoveryMixedLists { position } => {
            ("error-recovery-mixed-lists", Args::new().count("position", position as u64))
        }
        K::RecoveryChecksum => ("error-recovery-checksum", Args::new()),
        K::NotAKit => ("error-not-a-kit", Args::new()),
        K::WrongRecoverySecret => ("error-wrong-recovery-secret", Args::new()),
        K::UnsupportedRecoverySlot => ("error-unsupported-recovery-slot", Args::new()),
        K::AssistedMalformed => ("error-assisted-malformed", Args::new()),
        K::AssistedNotEnough => ("error-assisted-not-enough", Args::new()),
        K::AssistedMixedVersions => ("error-assisted-mixed-versions", Args::new()),
        K::NotForThisAgent => ("error-not-for-this-agent", Args::new()),
        K::TooFewAgents => ("error-too-few-agents", Args::new()),
        K::AgentCertificate(p) => ("error-agent-certificate", problem_args(p)),
        K::OtherOrganisation => ("error-other-organisation", Args::new()),
        K::DuplicateAgent => ("error-duplicate-agent", Args::new()),
        K::AgentRevoked => ("error-agent-revoked", Args::new()),
        K::UnknownOrganisation => ("error-unknown-organisation", Args::new()),
        K::NotARequest => ("error-not-a-request", Args::new()),
        K::Mandate(p) => ("error-mandate", problem_args(p)),
        K::OtherServer => ("error-other-server", Args::new()),
        K::MandatePending => ("error-mandate-pending", Args::new()),
        K::BadShareLink { .. } => ("error-bad-share-link", Args::new()),
        K::ShareTooNew => ("error-share-too-new", Args::new()),
        K::ShareTruncated => ("error-share-truncated", Args::new()),
        K::ShareDecrypt => ("error-share-decrypt", Args::new()),
        K::BadShareManifest => ("error-bad-share-manifest", Args::new()),
        K::ShareRefused(r) => ("error-share-refused", Args::new().text("reason", refusal_key(r))),
        K::BadShareDuration => ("error-bad-share-duration", Args::new()),
        K::BadShareMaxOpens => ("error-bad-share-max-opens", Args::new()),
        K::NothingToShare => ("error-nothing-to-share", Args::new()),
        K::TooManySharePages { max } => ("error-too-many-share-pages", Args::new().count("max", max as u64)),
        K::CannotWatermark => ("error-cannot-watermark", Args::new()),
        K::UnknownDossier => ("error-unknown-dossier", Args::new()),
        K::BadDossierCatalogue => ("error-bad-dossier-catalogue", Args::new()),
        K::UnknownShare => ("error-unknown-share", Args::new()),
        K::Qr => ("error-qr", Args::new()),
        K::LinkCodeMismatch => ("error-link-code-mismatch", Args::new()),
        K::HistoryDiverged => ("error-history-diverged", Args::new()),
    };
    t(lang, id, &args)
}

/// "The server is busy, try again in N seconds": the one sync error whose sentence needs a figure
/// the kind does not carry.
pub fn server_busy_message(lang: Lang, retry_after_secs: u64) -> String {
    t(lang, "error-server-busy", &Args::new().count("seconds", retry_after_secs))
}

fn sync_id(category: SyncKind) -> &'static str {
    match category {
        SyncKind::Network => "error-network",
        SyncKind::Refused => "error-server-refused",
        SyncKind::Integrity => "error-server-abnormal",
        SyncKind::Cancelled => "error-cancelled",
        SyncKind::QuotaExceeded => "error-quota-exceeded",
        SyncKind::Revoked => "error-device-revoked",
        SyncKind::Local => "vault-error-other",
        SyncKind::ServerFull => "error-server-full",
        SyncKind::UntrustedServer => "error-untrusted-server",
    }
}

fn refusal_key(r: ShareRefusal) -> &'static str {
    match r {
        ShareRefusal::Expired => "expired",
        ShareRefusal::Revoked => "revoked",
        ShareRefusal::Exhausted => "exhausted",
        ShareRefusal::NotFound => "not-found",
    }
}

/// The selector of `error-mandate-problem`: why a mandate-format structure was refused.
fn problem_args(p: MandateProblem) -> Args {
    let key = match p {
        MandateProblem::Expired { .. } => "expired",
        MandateProblem::NotYetValid { .. } => "not-yet-valid",
        MandateProblem::BadSignature { .. } => "bad-signature",
        MandateProblem::UnsupportedVersion { .. } => "too-new",
        MandateProblem::KeyFile => "key-file",
        MandateProblem::Mismatch { .. } => "mismatch",
        _ => "other",
    };
    Args::new().text("problem", key)
}

/// The sentence for a vault error, with its figures (sizes in the person's units).
pub fn vault_message(lang: Lang, e: &VaultError) -> String {
    use VaultError as V;
    match e {
        V::WrongPassphrase => t0(lang, "vault-error-wrong-passphrase"),
        V::Busy => t0(lang, "vault-error-busy"),
        V::NoVault => t0(lang, "vault-error-no-vault"),
        V::AlreadyExists => t0(lang, "vault-error-already-exists"),
        V::NotFound(what) => t(lang, "vault-error-not-found", &Args::new().text("what", *what)),
        V::Corrupt { .. } => t0(lang, "vault-error-corrupt"),
        V::TooNew { .. } => t0(lang, "vault-error-too-new"),
        V::TooLarge { size: s, limit } => t(
            lang,
            "vault-error-too-large",
            &Args::new().text("size", size(lang, *s)).text("limit", size(lang, *limit)),
        ),
        V::TypeMismatch { claimed, detected } => {
            t(lang, "vault-error-type-mismatch", &Args::new().text("claimed", *claimed).text("detected", *detected))
        }
        V::InvalidInput(_) => t0(lang, "vault-error-invalid-input"),
        V::StorageFull => t0(lang, "vault-error-storage-full"),
        V::Io(_) => t0(lang, "vault-error-io"),
        _ => t0(lang, "vault-error-other"),
    }
}

/// A document category's label (`carte_identite` → "Carte d'identité"); the code itself for a code
/// this build does not know (a newer device's).
pub fn category_label(lang: Lang, code: &str) -> String {
    label(lang, "category-", code)
}

/// A collection's label (`identity` → "Identité").
pub fn collection_label(lang: Lang, code: &str) -> String {
    label(lang, "collection-", code)
}

/// A mandate scope in words (`deposit` → "déposer des documents").
pub fn scope_label(lang: Lang, scope: coffre_mandate::Scope) -> String {
    label(lang, "scope-", scope.code())
}

/// A mandate scope in words from its stored code; the code itself for one this build does not know.
pub fn scope_code_label(lang: Lang, code: &str) -> String {
    label(lang, "scope-", code)
}

/// An audit event's label (`share_opened` → "lien de partage ouvert"); "other event" for a kind
/// this build does not know.
pub fn audit_label(lang: Lang, kind: &str) -> String {
    let known = coffre_sync::protocol::AuditKind::parse(kind);
    let code = if matches!(known, coffre_sync::protocol::AuditKind::Unknown(_)) { "unknown" } else { kind };
    label(lang, "audit-", code)
}

/// A dossier's name (`rsa` → "Revenu de solidarité active (RSA)").
pub fn dossier_name(lang: Lang, code: &str) -> String {
    label(lang, "dossier-", code)
}

fn label(lang: Lang, prefix: &str, code: &str) -> String {
    let id = format!("{prefix}{code}");
    let c = coffre_l10n::catalogue();
    c.try_get(lang, &id, &Args::new())
        .or_else(|| c.try_get(Lang::Fr, &id, &Args::new()))
        .unwrap_or_else(|| code.to_string())
}
