//! JSON bodies of the organisation, mandate, deposit and audit endpoints (`"v": 1`, bytes as
//! base64url, ids as lowercase hex). Shared by the server and the core's client code.

use serde::{Deserialize, Serialize};

use crate::audit::AuditEntry;

pub const WIRE_VERSION: u32 = 1;

/// `POST /v1/orgs`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrgRegisterRequest {
    pub v: u32,
    /// [`crate::OrgRegistration`] encoding.
    pub registration: String,
}

/// `GET /v1/orgs/{org}`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrgInfo {
    pub v: u32,
    pub registration: String,
    /// [`crate::AgentRevocation`] encodings.
    pub revocations: Vec<String>,
}

/// `POST /v1/orgs/{org}/revocations`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevocationRequest {
    pub v: u32,
    pub revocation: String,
}

/// `POST /v1/vaults/{vault}/mandates` and an element of the holder's list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MandateBody {
    pub v: u32,
    /// [`crate::Mandate`] encoding.
    pub mandate: String,
    #[serde(default)]
    pub created_at: u64,
    #[serde(default)]
    pub revoked_at: Option<u64>,
}

/// `GET /v1/vaults/{vault}/mandates`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MandateList {
    pub v: u32,
    pub mandates: Vec<MandateBody>,
}

/// `PUT /v1/vaults/{vault}/mandates/{id}/package`, and what the agent gets back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PackageBody {
    pub v: u32,
    /// Sealed to the agent's X25519 key: see `coffre_core::mandate`.
    pub sealed: String,
    /// Blob ids (hex) the agent may fetch under this mandate.
    pub blobs: Vec<String>,
}

/// `POST /v1/agent/vaults/{vault}/mandates/{id}/deposits`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DepositRequest {
    pub v: u32,
    /// [`crate::DepositStatement`] encoding.
    pub statement: String,
    /// The sealed document.
    pub ciphertext: String,
}

/// The server's answer to a deposit: its countersignature.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DepositReceiptBody {
    pub v: u32,
    /// [`crate::DepositReceipt`] encoding.
    pub receipt: String,
}

/// One pending deposit as the holder's devices fetch it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingDeposit {
    pub id: String,
    pub statement: String,
    pub receipt: String,
    pub ciphertext: String,
    pub received_at: u64,
}

/// `GET /v1/vaults/{vault}/deposits`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DepositList {
    pub v: u32,
    pub deposits: Vec<PendingDeposit>,
}

/// `POST /v1/agent/vaults/{vault}/mandates/{id}/transmissions`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransmitRequest {
    pub v: u32,
    /// Who receives (an institution), at most 120 bytes.
    pub recipient: String,
    /// Document ids (hex) passed on.
    pub documents: Vec<String>,
}

/// `GET /v1/vaults/{vault}/audit?since=`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditPage {
    pub v: u32,
    pub entries: Vec<AuditEntry>,
    pub more: bool,
}

/// `GET /v1/agent/vaults/{vault}/mandates/{id}`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentMandate {
    pub v: u32,
    pub mandate: String,
    pub server_pk: String,
}
