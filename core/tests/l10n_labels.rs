//! The catalogue's id families built from codes (`category-<code>`, `scope-<code>`...): every code
//! of this build has its label in every shipped language, and every label names a code that exists
//! (so a renamed code cannot leave a dead label behind). Also: every error kind has its sentence.

use coffre_core::messages::{self, Lang};
use coffre_core::share::dossiers;
use coffre_core::sync::protocol::AuditKind;
use coffre_core::vault::{CATALOGUE, Collection};
use coffre_l10n::{Args, catalogue};

/// Checks that the ids starting with `prefix` are exactly `prefix + code` for `codes`, in every language.
fn family_matches(prefix: &str, codes: &[String]) {
    let mut report = Vec::new();
    for lang in Lang::ALL {
        let ids: Vec<String> = catalogue().ids(lang).into_iter().filter(|id| id.starts_with(prefix)).collect();
        for code in codes {
            if !ids.contains(&format!("{prefix}{code}")) {
                report.push(format!("{}: no label {prefix}{code}", lang.code()));
            }
        }
        for id in &ids {
            if !codes.iter().any(|c| *id == format!("{prefix}{c}")) {
                report.push(format!("{}: {id} names no code", lang.code()));
            }
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn every_category_has_a_label() {
    family_matches("category-", &CATALOGUE.iter().map(|c| c.code.to_string()).collect::<Vec<_>>());
    assert_eq!(messages::category_label(Lang::Ar, "passeport"), "جواز السفر");
    assert_eq!(messages::category_label(Lang::En, "passeport"), "Passport");
    assert_eq!(messages::category_label(Lang::Fr, "code_from_a_newer_device"), "code_from_a_newer_device");
}

#[test]
fn every_collection_has_a_label() {
    family_matches("collection-", &Collection::ALL.iter().map(|c| c.code().to_string()).collect::<Vec<_>>());
    assert_eq!(messages::collection_label(Lang::Fr, "identity"), "Identité");
}

#[test]
fn every_scope_has_a_label() {
    use coffre_core::mandate::formats::Scope;
    family_matches("scope-", &Scope::ALL.iter().map(|s| s.code().to_string()).collect::<Vec<_>>());
    assert_eq!(messages::scope_label(Lang::Fr, Scope::Deposit), "déposer des documents");
}

#[test]
fn every_audit_kind_has_a_label() {
    let mut codes: Vec<String> = AuditKind::KNOWN.iter().map(|k| k.as_str().to_string()).collect();
    codes.push("unknown".into());
    family_matches("audit-", &codes);
    assert_eq!(messages::audit_label(Lang::En, "share_opened"), "share link opened");
    assert_eq!(messages::audit_label(Lang::Fr, "kind_of_a_newer_server"), "autre événement");
}

#[test]
fn every_dossier_has_a_label() {
    let codes: Vec<String> =
        dossiers::catalogue().expect("the shipped dossiers parse").dossiers.into_iter().map(|d| d.code).collect();
    family_matches("dossier-", &codes);
    assert_eq!(messages::dossier_name(Lang::Fr, "rsa"), "Revenu de solidarité active (RSA)");
}

#[test]
fn error_sentences_exist_and_carry_their_figures() {
    use coffre_core::error::{ErrorKind as K, MandateProblem};
    let kinds = [
        K::RecoveryUnknownWord { position: 7 },
        K::TooManySharePages { max: 40 },
        K::Mandate(MandateProblem::Expired { what: "mandate" }),
        K::ShareRefused(coffre_core::sync::protocol::share::ShareRefusal::Revoked),
        K::Sync { category: coffre_core::sync::ErrorKind::Network, status: None },
        K::InsecureServer,
    ];
    for lang in Lang::ALL {
        for kind in kinds {
            let text = messages::error_message(lang, kind);
            assert!(!text.contains("error-") && !text.is_empty(), "{lang:?} {kind:?}: {text}");
            assert!(catalogue().problems().is_empty());
        }
    }
    assert_eq!(
        messages::error_message(Lang::Fr, K::RecoveryUnknownWord { position: 7 }),
        "Le mot n° 7 n'est pas dans la liste. Vérifiez comment il est écrit sur le kit."
    );
    assert_eq!(
        messages::error_message(Lang::Fr, K::Mandate(MandateProblem::Expired { what: "mandate" })),
        "Ce code ou ce fichier est refusé. Il a expiré."
    );
    let _ = Args::new();
}

#[test]
fn vault_errors_name_no_english_detail() {
    use coffre_core::vault::VaultError;
    let io = VaultError::Io(std::io::Error::from(std::io::ErrorKind::NotFound));
    let fr = messages::vault_message(Lang::Fr, &io);
    assert!(!fr.contains("entity") && !fr.contains("not found"), "{fr}");
    let bad = VaultError::InvalidInput("dates are written YYYY-MM-DD".into());
    assert!(!messages::vault_message(Lang::Fr, &bad).contains("written"));
    let big = VaultError::TooLarge { size: 120_000_000, limit: 100_000_000 };
    assert_eq!(
        messages::vault_message(Lang::Fr, &big),
        "Le fichier est trop gros (120,0 Mo). Le maximum est 100,0 Mo."
    );
}
