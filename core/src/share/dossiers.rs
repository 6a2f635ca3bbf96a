//! Dossiers: common French procedures and the pieces they ask for (the catalogue is the data file
//! `dossiers.toml`, in French). For a holder's vault, [`check`] says which pieces are present, which
//! are missing, expired or too old, and which documents a whole-dossier share would carry.

use serde::{Deserialize, Serialize};
use time::Date;

use coffre_vault::{Document, ListQuery, Vault};

use super::ShareError;

const CATALOGUE_TOML: &str = include_str!("dossiers.toml");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    pub version: u32,
    #[serde(rename = "dossier")]
    pub dossiers: Vec<Dossier>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dossier {
    pub code: String,
    pub nom: String,
    pub pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Piece {
    pub libelle: String,
    /// Vault category codes, any of which satisfies the piece.
    pub categories: Vec<String>,
    #[serde(default)]
    pub facultative: bool,
    /// The document must have been issued less than this many months ago.
    pub moins_de_mois: Option<u32>,
}

/// The catalogue shipped with Coffre.
pub fn catalogue() -> Result<Catalogue, ShareError> {
    toml::from_str(CATALOGUE_TOML).map_err(|_| ShareError::BadCatalogue)
}

/// A dossier by its code (`rsa`, `css`...).
pub fn dossier(code: &str) -> Result<Dossier, ShareError> {
    catalogue()?.dossiers.into_iter().find(|d| d.code == code).ok_or(ShareError::UnknownDossier)
}

/// Where a piece stands in the holder's vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PieceStatus {
    Present,
    /// Only expired documents of these categories.
    Expired,
    /// Only documents issued too long ago.
    TooOld,
    Missing,
}

#[derive(Debug, Clone, Serialize)]
pub struct PieceCheck {
    pub libelle: String,
    pub facultative: bool,
    pub status: PieceStatus,
    /// The document chosen for this piece (the best one found), if any.
    pub document: Option<Document>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DossierCheck {
    pub code: String,
    pub nom: String,
    pub pieces: Vec<PieceCheck>,
    /// Every required piece is present and valid.
    pub complete: bool,
}

impl DossierCheck {
    /// The documents a whole-dossier share carries: every piece found, valid or not (the recipient
    /// may still accept an expired one; the holder saw the warning), without duplicates.
    pub fn documents(&self) -> Vec<&Document> {
        let mut out: Vec<&Document> = Vec::new();
        for d in self.pieces.iter().filter_map(|p| p.document.as_ref()) {
            if !out.iter().any(|o| o.id == d.id) {
                out.push(d);
            }
        }
        out
    }
}

/// Today's date (UTC).
pub fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// Months between two dates, rounded down.
fn months_between(from: Date, to: Date) -> i32 {
    let m = (to.year() - from.year()) * 12 + (i32::from(u8::from(to.month())) - i32::from(u8::from(from.month())));
    if to.day() < from.day() { m - 1 } else { m }
}

fn status_of(doc: &Document, piece: &Piece, today: Date) -> PieceStatus {
    if doc.expires_on.as_deref().and_then(parse_date).is_some_and(|e| e < today) {
        return PieceStatus::Expired;
    }
    if let Some(max) = piece.moins_de_mois {
        // Without an issue date we cannot tell: the holder is trusted (the date is optional in the vault).
        if doc.issued_on.as_deref().and_then(parse_date).is_some_and(|i| months_between(i, today) >= max as i32) {
            return PieceStatus::TooOld;
        }
    }
    PieceStatus::Present
}

/// Checks a dossier against the holder's documents as of `today`.
pub fn check_documents(dossier: &Dossier, documents: &[Document], today: Date) -> DossierCheck {
    let rank = |s: PieceStatus| match s {
        PieceStatus::Present => 0,
        PieceStatus::TooOld => 1,
        PieceStatus::Expired => 2,
        PieceStatus::Missing => 3,
    };
    let pieces: Vec<PieceCheck> = dossier
        .pieces
        .iter()
        .map(|piece| {
            // Best status first, then the most recently modified document.
            let best = documents
                .iter()
                .filter(|d| piece.categories.contains(&d.category))
                .map(|d| (status_of(d, piece, today), d))
                .min_by_key(|(s, d)| (rank(*s), -d.modified_at));
            PieceCheck {
                libelle: piece.libelle.clone(),
                facultative: piece.facultative,
                status: best.map(|(s, _)| s).unwrap_or(PieceStatus::Missing),
                document: best.map(|(_, d)| d.clone()),
            }
        })
        .collect();
    let complete = pieces.iter().all(|p| p.facultative || p.status == PieceStatus::Present);
    DossierCheck { code: dossier.code.clone(), nom: dossier.nom.clone(), pieces, complete }
}

/// Checks a dossier against the vault, today.
pub fn check(vault: &Vault, code: &str) -> Result<DossierCheck, ShareError> {
    let dossier = dossier(code)?;
    let documents = vault.list(&ListQuery::default())?;
    Ok(check_documents(&dossier, &documents, today()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn catalogue_parses_and_names_only_known_categories() {
        let c = catalogue().unwrap();
        let codes: Vec<&str> = c.dossiers.iter().map(|d| d.code.as_str()).collect();
        for want in
            ["domiciliation", "rsa", "prime_activite", "logement_social", "css", "titre_sejour", "france_travail"]
        {
            assert!(codes.contains(&want), "{want} missing");
        }
        for d in &c.dossiers {
            assert!(d.pieces.iter().any(|p| !p.facultative), "{} has no required piece", d.code);
            for p in &d.pieces {
                for cat in &p.categories {
                    assert!(coffre_vault::category(cat).is_some(), "{}: unknown category {cat}", d.code);
                }
            }
        }
        assert!(matches!(dossier("nope"), Err(ShareError::UnknownDossier)));
    }

    #[test]
    fn months_are_counted_like_a_person_would() {
        let d = |s| parse_date(s).unwrap();
        assert_eq!(months_between(d("2026-01-15"), d("2026-04-15")), 3);
        assert_eq!(months_between(d("2026-01-15"), d("2026-04-14")), 2);
        assert_eq!(months_between(d("2025-12-31"), d("2026-01-01")), 0);
    }
}
