//! The catalogue of French administrative documents a holder keeps, and the collection each belongs to.
//! Collections are the unit of key rotation and of agents' mandates (DESIGN.md §3, §5).

use serde::Serialize;

/// A group of categories that share a collection key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Collection {
    Identity,
    Income,
    Housing,
    Health,
    Family,
    Work,
    Other,
}

impl Collection {
    pub const ALL: [Collection; 7] = [
        Collection::Identity,
        Collection::Income,
        Collection::Housing,
        Collection::Health,
        Collection::Family,
        Collection::Work,
        Collection::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Collection::Identity => "identity",
            Collection::Income => "income",
            Collection::Housing => "housing",
            Collection::Health => "health",
            Collection::Family => "family",
            Collection::Work => "work",
            Collection::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// One kind of document: a stable code (stored), labels, and its collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Category {
    pub code: &'static str,
    pub label_fr: &'static str,
    pub label_en: &'static str,
    pub collection: Collection,
    /// Identity documents get a watermark when shared and are the usual desk-mode pin.
    pub is_identity: bool,
}

const fn cat(
    code: &'static str,
    label_fr: &'static str,
    label_en: &'static str,
    collection: Collection,
    is_identity: bool,
) -> Category {
    Category { code, label_fr, label_en, collection, is_identity }
}

/// The catalogue. Codes are stored in vaults: never rename one, only add.
pub const CATALOGUE: &[Category] = &[
    cat("carte_identite", "Carte nationale d'identité", "National identity card", Collection::Identity, true),
    cat("passeport", "Passeport", "Passport", Collection::Identity, true),
    cat("titre_sejour", "Titre de séjour", "Residence permit", Collection::Identity, true),
    cat(
        "recepisse",
        "Récépissé / attestation de demande d'asile",
        "Asylum or permit application receipt",
        Collection::Identity,
        true,
    ),
    cat("acte_naissance", "Acte de naissance", "Birth certificate", Collection::Identity, false),
    cat("permis_conduire", "Permis de conduire", "Driving licence", Collection::Identity, true),
    cat("carte_vitale", "Carte Vitale", "Health insurance card (Carte Vitale)", Collection::Health, false),
    cat(
        "attestation_secu",
        "Attestation de droits (Sécurité sociale, CSS, AME)",
        "Health insurance entitlement",
        Collection::Health,
        false,
    ),
    cat(
        "sante",
        "Santé (ordonnance, certificat médical…)",
        "Health (prescription, medical certificate…)",
        Collection::Health,
        false,
    ),
    cat(
        "attestation_caf",
        "Attestation CAF / MSA",
        "Family allowance (CAF/MSA) certificate",
        Collection::Income,
        false,
    ),
    cat("avis_imposition", "Avis d'imposition / de non-imposition", "Tax notice", Collection::Income, false),
    cat("bulletin_salaire", "Bulletin de salaire", "Payslip", Collection::Income, false),
    cat(
        "attestation_france_travail",
        "Attestation France Travail",
        "France Travail (job centre) certificate",
        Collection::Work,
        false,
    ),
    cat("contrat_travail", "Contrat de travail", "Employment contract", Collection::Work, false),
    cat("rib", "RIB (relevé d'identité bancaire)", "Bank details (RIB)", Collection::Income, false),
    cat(
        "justificatif_domicile",
        "Justificatif de domicile / attestation d'hébergement",
        "Proof of address / hosting certificate",
        Collection::Housing,
        false,
    ),
    cat(
        "attestation_domiciliation",
        "Attestation d'élection de domicile",
        "Postal domiciliation certificate",
        Collection::Housing,
        false,
    ),
    cat("quittance_loyer", "Quittance de loyer / bail", "Rent receipt / lease", Collection::Housing, false),
    cat("livret_famille", "Livret de famille", "Family record book", Collection::Family, false),
    cat("jugement", "Jugement / décision de justice", "Court decision", Collection::Family, false),
    cat("diplome", "Diplôme / certificat de formation", "Diploma / training certificate", Collection::Work, false),
    cat("autre", "Autre", "Other", Collection::Other, false),
];

/// Finds a category by its stored code.
pub fn category(code: &str) -> Option<&'static Category> {
    CATALOGUE.iter().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_resolvable() {
        let mut seen = HashSet::new();
        for c in CATALOGUE {
            assert!(seen.insert(c.code), "duplicate code {}", c.code);
            assert_eq!(category(c.code).map(|x| x.code), Some(c.code));
        }
        assert!(category("nope").is_none());
        assert_eq!(category("carte_vitale").map(|c| c.collection), Some(Collection::Health));
    }

    #[test]
    fn every_collection_code_round_trips() {
        for c in Collection::ALL {
            assert_eq!(Collection::from_code(c.code()), Some(c));
        }
    }
}
