//! The data model: documents, their pages, and what callers pass in to create or change them.

use serde::{Deserialize, Serialize};

/// A document's id: 16 random bytes, shown as 32 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId(pub [u8; 16]);

impl DocId {
    pub fn random() -> Self {
        DocId(coffre_crypto::random_bytes::<16>())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses a full id, or fails with `InvalidInput`.
    pub fn parse(s: &str) -> crate::Result<Self> {
        let mut out = [0u8; 16];
        hex::decode_to_slice(s.trim(), &mut out)
            .map_err(|_| crate::VaultError::InvalidInput("a document id is 32 hex digits".into()))?;
        Ok(DocId(out))
    }
}

impl std::fmt::Display for DocId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for DocId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

/// How a document entered the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Photographed with the capture pipeline.
    Camera,
    /// Imported from a file.
    Import,
    /// Deposited by an agent (certified deposits, DESIGN.md §5).
    Deposit,
    /// Received from another device of the same holder through sync.
    Sync,
}

impl Origin {
    pub fn code(self) -> &'static str {
        match self {
            Origin::Camera => "camera",
            Origin::Import => "import",
            Origin::Deposit => "deposit",
            Origin::Sync => "sync",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "camera" => Some(Origin::Camera),
            "import" => Some(Origin::Import),
            "deposit" => Some(Origin::Deposit),
            "sync" => Some(Origin::Sync),
            _ => None,
        }
    }
}

/// What a page blob is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageRole {
    /// A page (or the whole original file, for imports).
    Page,
    /// A small preview image for lists.
    Thumbnail,
}

impl PageRole {
    pub fn code(self) -> &'static str {
        match self {
            PageRole::Page => "page",
            PageRole::Thumbnail => "thumbnail",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "page" => Some(PageRole::Page),
            "thumbnail" => Some(PageRole::Thumbnail),
            _ => None,
        }
    }
}

/// Metadata a caller gives for a new document.
#[derive(Debug, Clone, Default)]
pub struct NewDocument {
    /// A category code from [`crate::CATALOGUE`]; `autre` when unsure.
    pub category: String,
    pub title: String,
    pub tags: Vec<String>,
    /// ISO dates `YYYY-MM-DD`.
    pub issued_on: Option<String>,
    pub expires_on: Option<String>,
    pub notes: String,
}

/// One page to store: its bytes and what they are.
#[derive(Debug, Clone)]
pub struct PageInput {
    pub bytes: Vec<u8>,
    pub mime: String,
    pub role: PageRole,
}

/// A change of metadata: `None` leaves a field as it is; `Some(None)` clears an optional field.
#[derive(Debug, Clone, Default)]
pub struct MetadataPatch {
    pub category: Option<String>,
    pub title: Option<String>,
    pub tags: Option<Vec<String>>,
    pub issued_on: Option<Option<String>>,
    pub expires_on: Option<Option<String>>,
    pub notes: Option<String>,
}

/// A stored page, without its bytes.
#[derive(Debug, Clone, Serialize)]
pub struct PageInfo {
    pub index: u32,
    pub role: PageRole,
    pub mime: String,
    pub size: u64,
}

/// A document as listed and shown.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub id: DocId,
    pub category: String,
    pub category_label: String,
    pub collection: String,
    pub title: String,
    pub tags: Vec<String>,
    pub issued_on: Option<String>,
    pub expires_on: Option<String>,
    pub notes: String,
    pub origin: Origin,
    pub pinned: bool,
    pub version: u32,
    /// Unix milliseconds.
    pub created_at: i64,
    pub modified_at: i64,
    pub pages: Vec<PageInfo>,
}

impl Document {
    /// The pages proper, in order (thumbnails excluded).
    pub fn page_count(&self) -> usize {
        self.pages.iter().filter(|p| p.role == PageRole::Page).count()
    }
}

/// A document expiring soon, with the days left (negative once expired).
#[derive(Debug, Clone, Serialize)]
pub struct Expiring {
    pub document: Document,
    pub days_left: i64,
}

/// One damaged or missing blob found by [`crate::Vault::verify`].
#[derive(Debug, Clone, Serialize)]
pub struct Damage {
    pub doc_id: DocId,
    pub title: String,
    pub page_index: u32,
    pub role: PageRole,
    pub problem: DamageKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DamageKind {
    Missing,
    Altered,
}

/// The result of a full check.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub documents: u64,
    pub blobs_checked: u64,
    pub bytes_checked: u64,
    pub database_ok: bool,
    pub damaged: Vec<Damage>,
    /// Blob files no document refers to (left by an interrupted import; harmless).
    pub orphans: u64,
}

impl VerifyReport {
    pub fn is_clean(&self) -> bool {
        self.database_ok && self.damaged.is_empty()
    }
}
