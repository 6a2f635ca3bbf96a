//! Coffre sync wire protocol, version 2: the types both the server and the client serialise, the byte
//! strings that get signed or hashed, and the Padmé padding rule. No I/O here.
//!
//! The prose description is `docs/sync-protocol.md`; every constant and message layout below is the one
//! documented there, and the snapshot tests at the bottom pin them.

#![deny(clippy::print_stdout, clippy::print_stderr)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use coffre_crypto::SigningKey;
use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

mod audit_kind;
mod error_code;
pub mod frame;
pub mod generation;
pub mod recovery;
pub mod share;

pub use audit_kind::AuditKind;
pub use coffre_ids::{
    AgentKey, BlobId, ChainHash, ChunkAddr, DepositId, DeviceKey, DocId, IdError, MailboxId, MandateId, OrgKey,
    ServerKey, ShareId, VaultId,
};
pub use error_code::ErrorCode;

/// Version carried by every JSON body (`"v": 2`). The `/v1/` path prefix names the API's routes and
/// stays. Version 2 changed chunk addresses from SHA-256 to BLAKE3 ([`chunk_address`]); version 1 was
/// never released, so no server or client speaks both.
pub const PROTOCOL_VERSION: u32 = 2;

/// Request signing headers.
pub const HDR_DEVICE: &str = "x-coffre-device";
pub const HDR_TIMESTAMP: &str = "x-coffre-timestamp";
pub const HDR_NONCE: &str = "x-coffre-nonce";
pub const HDR_SIGNATURE: &str = "x-coffre-signature";
/// Body commitment headers (signing format v2): the body's length in bytes and hex SHA-256. The server
/// checks the signature over them before it reads a byte of the body, then checks the body against them.
pub const HDR_BODY_LENGTH: &str = "x-coffre-body-length";
pub const HDR_BODY_SHA256: &str = "x-coffre-body-sha256";
/// Mailbox capability header (base64url of the 32-byte mailbox key).
pub const HDR_MAILBOX_KEY: &str = "x-coffre-mailbox-key";

/// A signed request's timestamp must be within this many seconds of the server clock.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// Domain-separation labels. Never change one: it would silently invalidate every signature and hash.
const REQ_LABEL: &str = "coffre-req-v2";
const VAULT_LABEL: &[u8] = b"coffre-vault-v1";
const REGISTER_LABEL: &[u8] = b"coffre-register-v1";
const GENESIS_LABEL: &[u8] = b"coffre-genesis-v1";
const OP_LABEL: &[u8] = b"coffre-op-v1";
const CHAIN_LABEL: &[u8] = b"coffre-chain-v1";
const HEAD_LABEL: &[u8] = b"coffre-head-v1";
const MAILBOX_KEY_LABEL: &[u8] = b"coffre-mailbox-key-v1";
const MAILBOX_ID_LABEL: &[u8] = b"coffre-mailbox-id-v1";

/// Errors decoding protocol values. They never contain the value itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("{0}: bad encoding")]
    Encoding(&'static str),
    #[error("{0}: bad length")]
    Length(&'static str),
    #[error("unsupported protocol version {0}")]
    Version(u32),
    #[error("bad signature")]
    Signature,
    #[error("bad padding")]
    Padding,
}

impl From<IdError> for ProtocolError {
    fn from(e: IdError) -> Self {
        match e {
            IdError::Length(what) => ProtocolError::Length(what),
            IdError::Encoding(what) => ProtocolError::Encoding(what),
        }
    }
}

pub type Hash = [u8; 32];
pub type PublicKey = [u8; 32];

pub fn sha256(data: &[u8]) -> Hash {
    Sha256::digest(data).into()
}

/// The address of a stored chunk: BLAKE3 of its padded ciphertext. Every downloaded byte is checked
/// against it before anything else, so it is the hottest hash of a new device's catch-up; BLAKE3 runs
/// 4-6x faster per core than SHA-256 (SIMD over 1 KiB blocks), see docs/sync-transfer.md.
pub fn chunk_address(data: &[u8]) -> Hash {
    blake3::hash(data).into()
}

fn sha256_parts(parts: &[&[u8]]) -> Hash {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

// ---------------------------------------------------------------------------------------------------
// Encodings: hex for hashes and ids (they appear in paths), base64url without padding for keys,
// signatures and opaque bytes.

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(s: &str, what: &'static str) -> Result<Vec<u8>, ProtocolError> {
    URL_SAFE_NO_PAD.decode(s).map_err(|_| ProtocolError::Encoding(what))
}

pub fn unb64_array<const N: usize>(s: &str, what: &'static str) -> Result<[u8; N], ProtocolError> {
    unb64(s, what)?.try_into().map_err(|_| ProtocolError::Length(what))
}

pub fn verifying_key(pk: &PublicKey) -> Result<VerifyingKey, ProtocolError> {
    VerifyingKey::from_bytes(pk).map_err(|_| ProtocolError::Encoding("public key"))
}

/// Strict Ed25519 verification (rejects small-order keys and non-canonical signatures).
pub fn verify_sig(pk: &PublicKey, msg: &[u8], sig: &[u8; 64]) -> Result<(), ProtocolError> {
    let vk = verifying_key(pk)?;
    let sig = Signature::from_bytes(sig);
    vk.verify_strict(msg, &sig).map_err(|_| ProtocolError::Signature)
}

pub fn sign(sk: &SigningKey, msg: &[u8]) -> [u8; 64] {
    sk.sign(msg).to_bytes()
}

// ---------------------------------------------------------------------------------------------------
// Request signing

/// What a request's body commits to, sent in [`HDR_BODY_LENGTH`] and [`HDR_BODY_SHA256`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyCommitment {
    pub length: u64,
    pub sha256: Hash,
}

impl BodyCommitment {
    pub fn of(body: &[u8]) -> BodyCommitment {
        BodyCommitment { length: body.len() as u64, sha256: sha256(body) }
    }
}

/// The string a device signs for a request (signing format v2):
/// `coffre-req-v2 \n METHOD \n path?query \n body length \n hex(sha256(body)) \n timestamp \n nonce`.
/// The length and hash are also sent as headers, so the server verifies the signature before it reads
/// the body (format v1 hashed the body only, so the server had to read it first).
pub fn canonical_request(
    method: &str,
    path_and_query: &str,
    body: &BodyCommitment,
    timestamp: u64,
    nonce: &str,
) -> Vec<u8> {
    format!(
        "{REQ_LABEL}\n{}\n{path_and_query}\n{}\n{}\n{timestamp}\n{nonce}",
        method.to_ascii_uppercase(),
        body.length,
        hex::encode(body.sha256)
    )
    .into_bytes()
}

/// The header values of a signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestAuth {
    pub device: String,
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub body_length: String,
    pub body_sha256: String,
}

impl RequestAuth {
    pub fn headers(&self) -> [(&'static str, &str); 6] {
        [
            (HDR_DEVICE, &self.device),
            (HDR_TIMESTAMP, &self.timestamp),
            (HDR_NONCE, &self.nonce),
            (HDR_SIGNATURE, &self.signature),
            (HDR_BODY_LENGTH, &self.body_length),
            (HDR_BODY_SHA256, &self.body_sha256),
        ]
    }
}

/// Sign a request. `nonce` is 16 random bytes (the caller draws them; this crate does no I/O).
pub fn sign_request(
    sk: &SigningKey,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    timestamp: u64,
    nonce: &[u8; 16],
) -> RequestAuth {
    let nonce = b64(nonce);
    let commitment = BodyCommitment::of(body);
    let msg = canonical_request(method, path_and_query, &commitment, timestamp, &nonce);
    RequestAuth {
        device: b64(sk.verifying_key().as_bytes()),
        timestamp: timestamp.to_string(),
        nonce,
        signature: b64(&sign(sk, &msg)),
        body_length: commitment.length.to_string(),
        body_sha256: hex::encode(commitment.sha256),
    }
}

// ---------------------------------------------------------------------------------------------------
// Vault identity and registration

/// Vault id: `sha256("coffre-vault-v1" || identity_pk)`.
pub fn vault_id(identity_pk: &PublicKey) -> Hash {
    sha256_parts(&[VAULT_LABEL, identity_pk])
}

/// What the holder identity key signs at registration: `"coffre-register-v1" || identity_pk || device_pk`.
pub fn register_message(identity_pk: &PublicKey, device_pk: &PublicKey) -> Vec<u8> {
    [REGISTER_LABEL, identity_pk.as_slice(), device_pk.as_slice()].concat()
}

// ---------------------------------------------------------------------------------------------------
// Op log: envelope, writer signature, hash chain, signed head

/// A position in a vault's log: `seq` ops applied, chain hash `hash` after the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChainPoint {
    pub seq: u64,
    #[serde(with = "hex_hash")]
    pub hash: Hash,
}

impl ChainPoint {
    /// The empty log of a vault: seq 0, `sha256("coffre-genesis-v1" || vault)`.
    pub fn genesis(vault: &Hash) -> Self {
        ChainPoint { seq: 0, hash: sha256_parts(&[GENESIS_LABEL, vault]) }
    }
}

/// What a writer signs for an op:
/// `"coffre-op-v1" || vault || counter(be64) || seen_seq(be64) || seen_hash || sha256(payload)`.
///
/// `counter` is the writer's own op counter (1, 2, 3, ... per device); `seen` the last head the writer had
/// verified when it wrote the op. Both let readers detect drops, replays, reorders and forks even by a
/// server that re-chains and re-signs.
pub fn op_signing_message(vault: &Hash, counter: u64, seen: &ChainPoint, payload: &[u8]) -> Vec<u8> {
    [OP_LABEL, vault.as_slice(), &counter.to_be_bytes(), &seen.seq.to_be_bytes(), &seen.hash, &sha256(payload)].concat()
}

/// One op as the client sends it (and, with its `seq`, as the server returns it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireOp {
    /// Writer device public key, base64url.
    pub writer: String,
    pub counter: u64,
    pub seen_seq: u64,
    /// hex
    pub seen_hash: String,
    /// Writer's Ed25519 signature over [`op_signing_message`], base64url.
    pub sig: String,
    /// Opaque, encrypted, Padmé-framed payload ([`pad_payload`]), base64url.
    pub payload: String,
}

/// A decoded op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    pub writer: PublicKey,
    pub counter: u64,
    pub seen: ChainPoint,
    pub sig: [u8; 64],
    pub payload: Vec<u8>,
}

impl Op {
    /// Build and sign an op.
    pub fn sign(sk: &SigningKey, vault: &Hash, counter: u64, seen: ChainPoint, payload: Vec<u8>) -> Op {
        let sig = sign(sk, &op_signing_message(vault, counter, &seen, &payload));
        Op { writer: sk.verifying_key().to_bytes(), counter, seen, sig, payload }
    }

    pub fn verify(&self, vault: &Hash) -> Result<(), ProtocolError> {
        verify_sig(&self.writer, &op_signing_message(vault, self.counter, &self.seen, &self.payload), &self.sig)
    }

    pub fn to_wire(&self) -> WireOp {
        WireOp {
            writer: b64(&self.writer),
            counter: self.counter,
            seen_seq: self.seen.seq,
            seen_hash: ChainHash::from(self.seen.hash).to_string(),
            sig: b64(&self.sig),
            payload: b64(&self.payload),
        }
    }

    pub fn from_wire(w: &WireOp) -> Result<Op, ProtocolError> {
        Ok(Op {
            writer: unb64_array(&w.writer, "writer")?,
            counter: w.counter,
            seen: ChainPoint { seq: w.seen_seq, hash: ChainHash::parse(&w.seen_hash)?.to_bytes() },
            sig: unb64_array(&w.sig, "sig")?,
            payload: unb64(&w.payload, "payload")?,
        })
    }

    /// `h(n) = sha256("coffre-chain-v1" || h(n-1) || seq || writer || counter || seen_seq || seen_hash
    ///  || sig || sha256(payload))`.
    pub fn chain(&self, prev: &Hash, seq: u64) -> Hash {
        sha256_parts(&[
            CHAIN_LABEL,
            prev,
            &seq.to_be_bytes(),
            &self.writer,
            &self.counter.to_be_bytes(),
            &self.seen.seq.to_be_bytes(),
            &self.seen.hash,
            &self.sig,
            &sha256(&self.payload),
        ])
    }
}

/// An op as pulled: its server-assigned `seq` plus the writer's envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpRecord {
    pub seq: u64,
    #[serde(flatten)]
    pub op: WireOp,
}

/// `"coffre-head-v1" || vault || seq(be64) || hash || time(be64)`, signed by the server key.
pub fn head_message(vault: &Hash, seq: u64, hash: &Hash, time: u64) -> Vec<u8> {
    [HEAD_LABEL, vault.as_slice(), &seq.to_be_bytes(), hash, &time.to_be_bytes()].concat()
}

/// The server's signed statement "vault `vault` has `seq` ops and chain hash `hash` at `time`".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedHead {
    pub v: u32,
    /// hex
    pub vault: String,
    pub seq: u64,
    /// hex
    pub hash: String,
    /// Unix seconds, server clock.
    pub time: u64,
    /// base64url Ed25519 signature by the server key over [`head_message`].
    pub sig: String,
}

impl SignedHead {
    pub fn sign(sk: &SigningKey, vault: &Hash, point: ChainPoint, time: u64) -> SignedHead {
        let sig = sign(sk, &head_message(vault, point.seq, &point.hash, time));
        SignedHead {
            v: PROTOCOL_VERSION,
            vault: VaultId::from(*vault).to_string(),
            seq: point.seq,
            hash: ChainHash::from(point.hash).to_string(),
            time,
            sig: b64(&sig),
        }
    }

    /// Check the server signature; returns the head's vault and chain point.
    pub fn verify(&self, server_pk: &PublicKey) -> Result<(Hash, ChainPoint), ProtocolError> {
        if self.v != PROTOCOL_VERSION {
            return Err(ProtocolError::Version(self.v));
        }
        let vault = VaultId::parse(&self.vault)?.to_bytes();
        let hash = ChainHash::parse(&self.hash)?.to_bytes();
        let sig: [u8; 64] = unb64_array(&self.sig, "head sig")?;
        verify_sig(server_pk, &head_message(&vault, self.seq, &hash, self.time), &sig)?;
        Ok((vault, ChainPoint { seq: self.seq, hash }))
    }
}

// ---------------------------------------------------------------------------------------------------
// Padmé

/// Padmé (Nikitin et al., PETS 2019): the padded length of `len`; at most ~12% overhead, and the padded
/// length reveals O(log log len) bits.
pub fn padme(len: u64) -> u64 {
    if len < 2 {
        return len;
    }
    let e = 63 - u64::from(len.leading_zeros()); // floor(log2 len)
    let s = 64 - u64::from(e.leading_zeros()); // floor(log2 e) + 1
    let last_bits = e - s;
    let mask = (1u64 << last_bits) - 1;
    (len + mask) & !mask
}

/// Whether `len` is a length Padmé can produce (the server refuses other chunk and payload sizes).
pub fn is_padme(len: u64) -> bool {
    padme(len) == len
}

/// Frame an op ciphertext for the wire: `len(be32) || ciphertext || zeros`, padded to a Padmé length.
pub fn pad_payload(ciphertext: &[u8]) -> Result<Vec<u8>, ProtocolError> {
    let len = u32::try_from(ciphertext.len()).map_err(|_| ProtocolError::Length("payload"))?;
    let total = usize::try_from(padme(u64::from(len) + 4)).map_err(|_| ProtocolError::Length("payload"))?;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(ciphertext);
    out.resize(total, 0);
    Ok(out)
}

/// Undo [`pad_payload`]; the padding must be exactly the Padmé length, zero-filled.
pub fn unpad_payload(framed: &[u8]) -> Result<&[u8], ProtocolError> {
    if framed.len() < 4 || !is_padme(framed.len() as u64) {
        return Err(ProtocolError::Padding);
    }
    let (len, rest) = framed.split_at(4);
    let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
    if len > rest.len() || padme(len as u64 + 4) != framed.len() as u64 {
        return Err(ProtocolError::Padding);
    }
    let (ct, pad) = rest.split_at(len);
    if pad.iter().any(|&b| b != 0) {
        return Err(ProtocolError::Padding);
    }
    Ok(ct)
}

/// Pad a blob chunk with zeros to its Padmé length (the real length travels inside the encrypted op).
pub fn pad_chunk(mut chunk: Vec<u8>) -> Vec<u8> {
    let target = padme(chunk.len() as u64) as usize;
    chunk.resize(target, 0);
    chunk
}

// ---------------------------------------------------------------------------------------------------
// Mailbox (device linking)

/// Mailbox capability derived from the one-time secret of a linking QR: `sha256(label || secret)`.
pub fn mailbox_key(secret: &[u8; 32]) -> [u8; 32] {
    sha256_parts(&[MAILBOX_KEY_LABEL, secret])
}

/// Mailbox id: `sha256(label || mailbox_key)`; the server checks a presented key against the id.
pub fn mailbox_id(key: &[u8; 32]) -> Hash {
    sha256_parts(&[MAILBOX_ID_LABEL, key])
}

// ---------------------------------------------------------------------------------------------------
// JSON bodies

/// Every error response: `{ "v": 1, "error": "code", "message": "..." }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default = "v1")]
    pub v: u32,
    pub error: String,
    pub message: String,
    /// For `missing_chunks`: the hashes the server still lacks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

impl ErrorBody {
    /// The typed code (`error` stays a string on the wire).
    pub fn code(&self) -> ErrorCode {
        ErrorCode::parse(&self.error)
    }
}

fn v1() -> u32 {
    PROTOCOL_VERSION
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub max_chunk_bytes: u64,
    pub max_json_bytes: u64,
    pub max_op_payload_bytes: u64,
    pub max_ops_per_append: u64,
    pub max_pull_ops: u64,
    pub max_mailbox_bytes: u64,
    pub quota_bytes: u64,
    #[serde(default)]
    pub max_fetch_bytes: u64,
    /// The per-device token bucket: requests a device may send at once, then per second. Absent from
    /// servers older than this field: clients then learn the pace from `429` answers alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_burst: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_per_sec: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    pub v: u32,
    pub server_pk: String,
    pub protocols: Vec<u32>,
    pub limits: Limits,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterRequest {
    pub v: u32,
    pub identity_pk: String,
    pub device_pk: String,
    /// Identity signature over [`register_message`].
    pub identity_sig: String,
    /// An invitation code from a structure's agent ([`InvitationResponse::code`]), for a server whose
    /// registration is by invitation; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation: Option<String>,
}

/// `POST /v1/orgs/{org}/invitations`, signed by an agent device: its certificate from the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRequest {
    pub v: u32,
    /// base64url of the agent's encoded `AgentCertificate` (coffre-mandate).
    pub certificate: String,
}

/// A one-use invitation code for registering one vault, valid until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationResponse {
    pub v: u32,
    /// 16 random bytes, base64url (22 characters): whoever holds it may register one vault.
    pub code: String,
    pub expires_at: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterResponse {
    pub v: u32,
    pub vault: String,
    pub server_pk: String,
    pub head: SignedHead,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultInfo {
    pub v: u32,
    pub vault: String,
    pub usage_bytes: u64,
    pub quota_bytes: u64,
    pub head: SignedHead,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceAddRequest {
    pub v: u32,
    pub device_pk: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub device_pk: String,
    pub added_at: u64,
    /// The device that enrolled it; `None` for the vault's first device.
    pub added_by: Option<String>,
    pub removed_at: Option<u64>,
    /// When it last made a request (Unix seconds, to the server's membership-cache period); absent
    /// from older servers and for devices not seen since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevicesResponse {
    pub v: u32,
    pub devices: Vec<DeviceInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendRequest {
    pub v: u32,
    pub ops: Vec<WireOp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendResponse {
    pub v: u32,
    /// The seq assigned to each op of the request, in order (an op already in the log keeps its seq).
    pub seqs: Vec<u64>,
    pub head: SignedHead,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullResponse {
    pub v: u32,
    pub ops: Vec<OpRecord>,
    /// The current head (it may be beyond the last op returned when `more` is true).
    pub head: SignedHead,
    pub more: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkList {
    pub v: u32,
    pub hashes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingResponse {
    pub v: u32,
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkPutResponse {
    pub v: u32,
    pub hash: String,
    pub size: u64,
    /// false when the chunk was already stored (idempotent put).
    pub created: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobCommitRequest {
    pub v: u32,
    /// Client-chosen, hex, 16 to 32 bytes.
    pub blob_id: String,
    pub chunks: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobInfo {
    pub v: u32,
    pub blob_id: String,
    pub chunks: Vec<String>,
    /// Sum of the (padded) chunk sizes.
    pub size: u64,
    pub committed_at: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxMessage {
    pub v: u32,
    /// base64url, opaque sealed bytes.
    pub message: String,
    #[serde(default)]
    pub expires_at: u64,
}

/// A chain hash stays a plain digest in [`ChainPoint`] (it is computed, compared and chained as
/// bytes); on the wire it is a [`ChainHash`].
mod hex_hash {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        super::ChainHash::from(*h).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        super::ChainHash::deserialize(d).map(super::ChainHash::to_bytes)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn key(b: u8) -> SigningKey {
        SigningKey::from_bytes([b; 32])
    }

    #[test]
    fn padme_known_values() {
        assert_eq!(padme(0), 0);
        assert_eq!(padme(1), 1);
        assert_eq!(padme(9), 10);
        assert_eq!(padme(100), 104);
        assert_eq!(padme(1000), 1024);
        assert_eq!(padme(204_800), 204_800);
        assert_eq!(padme(204_801), 208_896);
        assert_eq!(padme(262_144), 262_144);
        for len in 0..5000u64 {
            let p = padme(len);
            assert!(p >= len);
            assert!(is_padme(p), "{len}");
            assert!(p - len <= len / 8 + 1, "{len} -> {p}");
        }
    }

    #[test]
    fn payload_framing_roundtrip_and_strict() {
        for n in [0usize, 1, 5, 100, 1000, 4093] {
            let ct = vec![7u8; n];
            let framed = pad_payload(&ct).unwrap();
            assert!(is_padme(framed.len() as u64));
            assert_eq!(unpad_payload(&framed).unwrap(), &ct[..]);
        }
        let mut framed = pad_payload(&[1u8; 101]).unwrap();
        assert_eq!(framed.len(), 112);
        let last = framed.len() - 1;
        framed[last] = 1;
        assert_eq!(unpad_payload(&framed), Err(ProtocolError::Padding));
        assert_eq!(unpad_payload(&[0, 0, 0, 9, 1, 2]), Err(ProtocolError::Padding));
    }

    #[test]
    fn chunk_address_is_blake3() {
        // The published BLAKE3 value of the empty input, and a SIMD-sized input (several 1 KiB blocks)
        // against the crate's incremental hasher: the address must never silently change.
        assert_eq!(hex::encode(chunk_address(b"")), "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
        let data: Vec<u8> = (0..204_800u32).map(|i| (i % 251) as u8).collect();
        let mut h = blake3::Hasher::new();
        for part in data.chunks(777) {
            h.update(part);
        }
        assert_eq!(chunk_address(&data), *h.finalize().as_bytes());
        assert_ne!(chunk_address(&data), sha256(&data));
    }

    #[test]
    fn canonical_request_snapshot() {
        let s = canonical_request("post", "/v1/vaults/ab/ops?x=1", &BodyCommitment::of(b""), 1_700_000_000, "bm9uY2U");
        assert_eq!(
            String::from_utf8(s).unwrap(),
            "coffre-req-v2\nPOST\n/v1/vaults/ab/ops?x=1\n0\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n1700000000\nbm9uY2U"
        );
    }

    #[test]
    fn request_signature_verifies() {
        let sk = key(1);
        let auth = sign_request(&sk, "GET", "/v1/x", b"body", 42, &[9; 16]);
        let pk: PublicKey = unb64_array(&auth.device, "d").unwrap();
        let sig: [u8; 64] = unb64_array(&auth.signature, "s").unwrap();
        let body = BodyCommitment::of(b"body");
        assert_eq!((auth.body_length.as_str(), auth.body_sha256.clone()), ("4", hex::encode(body.sha256)));
        let msg = canonical_request("GET", "/v1/x", &body, 42, &auth.nonce);
        verify_sig(&pk, &msg, &sig).unwrap();
        let other = canonical_request("GET", "/v1/y", &body, 42, &auth.nonce);
        assert!(verify_sig(&pk, &other, &sig).is_err());
        let longer = BodyCommitment { length: 5, ..body };
        assert!(verify_sig(&pk, &canonical_request("GET", "/v1/x", &longer, 42, &auth.nonce), &sig).is_err());
    }

    #[test]
    fn chain_and_head_snapshot() {
        let id = key(2);
        let vault = vault_id(&id.verifying_key().to_bytes());
        let g = ChainPoint::genesis(&vault);
        let op = Op::sign(&key(3), &vault, 1, g, pad_payload(b"hello").unwrap());
        op.verify(&vault).unwrap();
        let h1 = op.chain(&g.hash, 1);
        let back = Op::from_wire(&op.to_wire()).unwrap();
        assert_eq!(back, op);
        let head = SignedHead::sign(&key(4), &vault, ChainPoint { seq: 1, hash: h1 }, 1_700_000_000);
        let (v, p) = head.verify(&key(4).verifying_key().to_bytes()).unwrap();
        assert_eq!((v, p.seq, p.hash), (vault, 1, h1));
        assert!(head.verify(&key(5).verifying_key().to_bytes()).is_err());
        // Pinned values: changing any label or layout must fail this test.
        assert_eq!(hex::encode(vault), "111df7d13c70f59b6ae7009fe9e6150287a9da5a038af6e1cbb8c3de0c3f2880");
        assert_eq!(hex::encode(g.hash), "b1098bed7369e09b4de2d589f0d306f8de00a1c18bc661fc4c869af148bb3404");
        assert_eq!(hex::encode(h1), "94f2848bda0bbc27357985200dccded6bd60c13aa72e69f577538428063ef2f0");
        assert_eq!(h1, op.chain(&g.hash, 1));
        assert_ne!(h1, op.chain(&g.hash, 2));
    }

    #[test]
    fn mailbox_ids() {
        let k = mailbox_key(&[1; 32]);
        assert_ne!(k, [1; 32]);
        assert_ne!(mailbox_id(&k), k);
    }
}
