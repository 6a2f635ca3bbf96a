//! Ops: the changes a vault queues in its outbox for the sync client (DESIGN.md §4). They are
//! stored inside the encrypted database; the sync layer encrypts them under the log key before
//! anything leaves the device. Versioned JSON (`v`), so old ops stay readable.

use crate::hlc::Hlc;
use crate::model::{DocId, Origin, PageRole};
use serde::{Deserialize, Serialize};

/// The newest op format this code reads. Ops are written with the oldest format that can carry
/// them (1), so devices not updated yet keep reading them; `add_version` ops need format 2 and an
/// older device refuses them as too new rather than half-applying them.
pub const OP_VERSION: u32 = 2;
const FIRST_OP_VERSION: u32 = 1;

/// Metadata fields that carry a last-writer-wins clock.
pub const FIELDS: [&str; 8] = ["category", "title", "tags", "issued_on", "expires_on", "notes", "pinned", "deleted"];

/// A blob of a document version, with what another device of the holder needs to fetch and
/// read it: its page key wrapped under the document key, and the hash of its ciphertext.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlobRef {
    pub id: String,
    pub role: PageRole,
    pub index: u32,
    pub mime: String,
    pub plain_len: u64,
    pub cipher_len: u64,
    pub cipher_sha256: String,
    pub wrapped_key: String,
}

/// Field changes; `None` = unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_on: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl FieldChanges {
    pub fn is_empty(&self) -> bool {
        self.fields().is_empty()
    }

    pub fn fields(&self) -> Vec<&'static str> {
        let mut f = Vec::new();
        if self.category.is_some() {
            f.push("category");
        }
        if self.title.is_some() {
            f.push("title");
        }
        if self.tags.is_some() {
            f.push("tags");
        }
        if self.issued_on.is_some() {
            f.push("issued_on");
        }
        if self.expires_on.is_some() {
            f.push("expires_on");
        }
        if self.notes.is_some() {
            f.push("notes");
        }
        f
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OpBody {
    Create {
        fields: FieldChanges,
        origin: Origin,
        version: u32,
        /// Collection code and key generation the document key is wrapped under.
        collection: String,
        key_generation: u32,
        wrapped_doc_key: String,
        blobs: Vec<BlobRef>,
    },
    Set {
        fields: FieldChanges,
    },
    Pin {
        pinned: bool,
    },
    Delete,
    /// A new version of an existing document (its own document key and pages), made on top of
    /// `parent` (the version current on the writer's device).
    AddVersion {
        version: u32,
        parent: u32,
        origin: Origin,
        collection: String,
        key_generation: u32,
        wrapped_doc_key: String,
        blobs: Vec<BlobRef>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Op {
    pub v: u32,
    pub doc: String,
    pub hlc: String,
    #[serde(flatten)]
    pub body: OpBody,
}

impl Op {
    fn new(doc: &DocId, hlc: &Hlc, body: OpBody) -> Op {
        let v = if matches!(body, OpBody::AddVersion { .. }) { OP_VERSION } else { FIRST_OP_VERSION };
        Op { v, doc: doc.to_hex(), hlc: hlc.encode(), body }
    }

    pub fn create(doc: &DocId, hlc: &Hlc, body: OpBody) -> Op {
        Op::new(doc, hlc, body)
    }

    /// Parses an op; an unknown version is refused rather than half-understood.
    pub fn parse(bytes: &[u8]) -> crate::Result<Op> {
        let op: Op =
            serde_json::from_slice(bytes).map_err(|_| crate::VaultError::InvalidInput("malformed op".into()))?;
        if !(FIRST_OP_VERSION..=OP_VERSION).contains(&op.v) {
            return Err(crate::VaultError::TooNew { found: op.v, supported: OP_VERSION });
        }
        if matches!(op.body, OpBody::AddVersion { .. }) && op.v < 2 {
            return Err(crate::VaultError::InvalidInput("malformed op".into()));
        }
        Ok(op)
    }

    /// A new version of `doc` (an [`OpBody::AddVersion`]).
    pub fn add_version(doc: &DocId, hlc: &Hlc, body: OpBody) -> Op {
        Op::new(doc, hlc, body)
    }

    pub fn set(doc: &DocId, hlc: &Hlc, fields: FieldChanges) -> Op {
        Op::new(doc, hlc, OpBody::Set { fields })
    }

    pub fn pin(doc: &DocId, hlc: &Hlc, pinned: bool) -> Op {
        Op::new(doc, hlc, OpBody::Pin { pinned })
    }

    pub fn delete(doc: &DocId, hlc: &Hlc) -> Op {
        Op::new(doc, hlc, OpBody::Delete)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_wire_shape_is_stable() -> Result<(), serde_json::Error> {
        let doc = DocId([0xab; 16]);
        let hlc = Hlc { wall_ms: 1_700_000_000_000, counter: 2, writer: "w1".into() };
        let op = Op::set(&doc, &hlc, FieldChanges { title: Some("Titre".into()), ..Default::default() });
        assert_eq!(
            serde_json::to_string(&op)?,
            r#"{"v":1,"doc":"abababababababababababababababab","hlc":"1700000000000-00002-w1","kind":"set","fields":{"title":"Titre"}}"#
        );
        assert_eq!(
            serde_json::to_string(&Op::delete(&doc, &hlc))?,
            r#"{"v":1,"doc":"abababababababababababababababab","hlc":"1700000000000-00002-w1","kind":"delete"}"#
        );
        Ok(())
    }
}
