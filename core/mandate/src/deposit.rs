//! Certified deposits: an agent sends a document into a holder's vault, write-only and signed.
//!
//! ```text
//! content   = 1 || title(s16) || category(s16) || file_name(s16) || bytes          (plaintext)
//! sealed    = coffre_crypto::seal_to(holder_x25519, content,
//!                                    aad = "coffre-deposit-content-v1" || deposit_id || vault)
//! Statement v1 = 1 || deposit_id(16) || mandate_id(16) || mandate_hash(32) || vault(32)
//!                || holder_x25519(32) || ct_hash(32) || ct_len(u64) || deposited_at(u64) || cert(b16) || sig(64)
//!     sig = Ed25519(agent device, "coffre-deposit-v1" || everything before sig)
//! Receipt v1   = 1 || statement_hash(32) || received_at(u64) || server_pk(32) || sig(64)
//!     sig = Ed25519(server, "coffre-deposit-receipt-v1" || everything before sig)
//! ```
//! Write-only by construction: the document is sealed to the holder's X25519 key with a fresh
//! ephemeral key the agent's app drops at once, so the agent holds nothing that opens it. The
//! [`CertifiedDeposit`] (statement + receipt + mandate) verifies offline, with the server key pinned.

use coffre_crypto::{ExchangePublic, ExchangeSecret, SigningKey, Zeroizing, open_sealed, seal_to, sha256};

use crate::codec::{Reader, Writer, check_text};
use crate::error::{MandateError, Result};
use crate::mandate::{Mandate, Scope};
use crate::org::{AgentCertificate, MAX_CERT_LEN, MAX_NAME, sign, verify};

const CONTENT_VERSION: u8 = 1;
const STATEMENT_VERSION: u8 = 1;
const RECEIPT_VERSION: u8 = 1;
const CONTENT_AAD: &[u8] = b"coffre-deposit-content-v1";
const STATEMENT_LABEL: &[u8] = b"coffre-deposit-v1";
const RECEIPT_LABEL: &[u8] = b"coffre-deposit-receipt-v1";
/// Longest encoded statement.
pub const MAX_STATEMENT_LEN: usize = 1 + 16 + 16 + 32 * 4 + 16 + 2 + MAX_CERT_LEN + 64;
/// Encoded receipt length.
pub const RECEIPT_LEN: usize = 1 + 32 + 8 + 32 + 64;

/// The document an agent deposits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositContent {
    pub title: String,
    /// A vault category code (`autre` when unsure).
    pub category: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

impl DepositContent {
    fn encode(&self) -> Result<Zeroizing<Vec<u8>>> {
        check_text(&self.title, MAX_NAME, "deposit title")?;
        check_text(&self.category, MAX_NAME, "deposit category")?;
        check_text(&self.file_name, MAX_NAME, "deposit file name")?;
        let mut w = Writer::new();
        w.u8(CONTENT_VERSION)
            .bytes16(self.title.as_bytes())
            .bytes16(self.category.as_bytes())
            .bytes16(self.file_name.as_bytes())
            .raw(&self.bytes);
        Ok(Zeroizing::new(w.into_inner()))
    }

    pub fn decode(b: &[u8]) -> Result<Self> {
        let mut r = Reader::new(b, "deposit content");
        r.version(CONTENT_VERSION)?;
        let title = r.text(MAX_NAME)?;
        let category = r.text(MAX_NAME)?;
        let file_name = r.text(MAX_NAME)?;
        let bytes = r.take(r.remaining())?.to_vec();
        Ok(DepositContent { title, category, file_name, bytes })
    }
}

fn content_aad(deposit_id: &[u8; 16], vault: &[u8; 32]) -> Vec<u8> {
    [CONTENT_AAD, deposit_id, vault].concat()
}

/// What the agent signs about a deposit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositStatement {
    pub deposit_id: [u8; 16],
    pub mandate_id: [u8; 16],
    pub mandate_hash: [u8; 32],
    pub vault: [u8; 32],
    pub holder_x25519: [u8; 32],
    pub ct_hash: [u8; 32],
    pub ct_len: u64,
    pub deposited_at: u64,
    pub cert: AgentCertificate,
    pub sig: [u8; 64],
}

/// Seals `content` to the mandate's holder and signs the statement with the agent device key.
/// Returns the statement and the sealed bytes to upload.
pub fn make_deposit(
    mandate: &Mandate,
    agent: &SigningKey,
    content: &DepositContent,
    deposit_id: [u8; 16],
    now: u64,
) -> Result<(DepositStatement, Vec<u8>)> {
    if agent.verifying_key().as_bytes() != &mandate.cert.device_pk {
        return Err(MandateError::Mismatch("the mandate is for another agent device"));
    }
    if !mandate.scopes.contains(Scope::Deposit) {
        return Err(MandateError::Mismatch("the mandate does not allow deposits"));
    }
    let plain = content.encode()?;
    let sealed =
        seal_to(&ExchangePublic::from_bytes(mandate.holder_x25519), &plain, &content_aad(&deposit_id, &mandate.vault))
            .map_err(|_| MandateError::BadKey("holder exchange key"))?;
    let mut st = DepositStatement {
        deposit_id,
        mandate_id: mandate.id,
        mandate_hash: mandate.hash(),
        vault: mandate.vault,
        holder_x25519: mandate.holder_x25519,
        ct_hash: sha256(&sealed),
        ct_len: sealed.len() as u64,
        deposited_at: now,
        cert: mandate.cert.clone(),
        sig: [0; 64],
    };
    st.sig = sign(agent, STATEMENT_LABEL, &st.body());
    Ok((st, sealed))
}

/// Opens a deposit with the holder's X25519 secret (after [`CertifiedDeposit::verify`]).
pub fn open_deposit(holder: &ExchangeSecret, st: &DepositStatement, sealed: &[u8]) -> Result<DepositContent> {
    if sha256(sealed) != st.ct_hash {
        return Err(MandateError::Mismatch("deposit bytes do not match the signed hash"));
    }
    let plain = open_sealed(holder, sealed, &content_aad(&st.deposit_id, &st.vault))
        .map_err(|_| MandateError::BadKey("deposit does not open with this key"))?;
    DepositContent::decode(&plain)
}

impl DepositStatement {
    fn body(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(STATEMENT_VERSION)
            .raw(&self.deposit_id)
            .raw(&self.mandate_id)
            .raw(&self.mandate_hash)
            .raw(&self.vault)
            .raw(&self.holder_x25519)
            .raw(&self.ct_hash)
            .u64(self.ct_len)
            .u64(self.deposited_at)
            .bytes16(&self.cert.encode());
        w.into_inner()
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut b = self.body();
        b.extend_from_slice(&self.sig);
        b
    }

    /// Parses and verifies the agent's signature and the organisation's signature on the certificate
    /// (dates are checked against the mandate by [`CertifiedDeposit::verify`] or by the server).
    pub fn decode_verified(b: &[u8]) -> Result<Self> {
        if b.len() > MAX_STATEMENT_LEN {
            return Err(MandateError::Oversized("deposit statement"));
        }
        let mut r = Reader::new(b, "deposit statement");
        r.version(STATEMENT_VERSION)?;
        let st = DepositStatement {
            deposit_id: r.arr()?,
            mandate_id: r.arr()?,
            mandate_hash: r.arr()?,
            vault: r.arr()?,
            holder_x25519: r.arr()?,
            ct_hash: r.arr()?,
            ct_len: r.u64()?,
            deposited_at: r.u64()?,
            cert: AgentCertificate::decode(r.bytes16(MAX_CERT_LEN)?)?,
            sig: r.arr()?,
        };
        r.end()?;
        verify(&st.cert.device_pk, STATEMENT_LABEL, &st.body(), &st.sig, "deposit statement")?;
        st.cert.verify_signature()?;
        Ok(st)
    }

    pub fn hash(&self) -> [u8; 32] {
        sha256(&self.encode())
    }

    /// Checks the statement against the mandate it claims: same vault, holder key, agent, hash, scope,
    /// and the deposit time inside the mandate's and certificate's windows.
    pub fn check_against(&self, mandate: &Mandate) -> Result<()> {
        if self.mandate_id != mandate.id || self.mandate_hash != mandate.hash() {
            return Err(MandateError::Mismatch("deposit refers to another mandate"));
        }
        if self.vault != mandate.vault || self.holder_x25519 != mandate.holder_x25519 {
            return Err(MandateError::Mismatch("deposit is for another vault"));
        }
        if self.cert.device_pk != mandate.cert.device_pk || self.cert.org_pk != mandate.cert.org_pk {
            return Err(MandateError::Mismatch("deposit signed by another agent"));
        }
        if !mandate.scopes.contains(Scope::Deposit) {
            return Err(MandateError::Mismatch("the mandate does not allow deposits"));
        }
        mandate.check_active(self.deposited_at)?;
        self.cert.check_time(self.deposited_at)
    }
}

/// The server's countersignature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositReceipt {
    pub statement_hash: [u8; 32],
    pub received_at: u64,
    pub server_pk: [u8; 32],
    pub sig: [u8; 64],
}

impl DepositReceipt {
    pub fn sign(server: &SigningKey, statement: &DepositStatement, now: u64) -> Self {
        let mut r = DepositReceipt {
            statement_hash: statement.hash(),
            received_at: now,
            server_pk: *server.verifying_key().as_bytes(),
            sig: [0; 64],
        };
        r.sig = sign(server, RECEIPT_LABEL, &r.body());
        r
    }

    fn body(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(RECEIPT_VERSION).raw(&self.statement_hash).u64(self.received_at).raw(&self.server_pk);
        w.into_inner()
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut b = self.body();
        b.extend_from_slice(&self.sig);
        b
    }

    pub fn decode_verified(b: &[u8]) -> Result<Self> {
        if b.len() > RECEIPT_LEN {
            return Err(MandateError::Oversized("deposit receipt"));
        }
        let mut r = Reader::new(b, "deposit receipt");
        r.version(RECEIPT_VERSION)?;
        let rc = DepositReceipt { statement_hash: r.arr()?, received_at: r.u64()?, server_pk: r.arr()?, sig: r.arr()? };
        r.end()?;
        verify(&rc.server_pk, RECEIPT_LABEL, &rc.body(), &rc.sig, "deposit receipt")?;
        Ok(rc)
    }
}

/// Everything needed to check a deposit offline: the agent's statement, the server's receipt and the
/// holder's mandate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertifiedDeposit {
    pub statement: DepositStatement,
    pub receipt: DepositReceipt,
    pub mandate: Mandate,
}

/// What a verified deposit says, for display ("Déposé par … (organisation), date — vérifié").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DepositSummary {
    pub deposit_id: String,
    pub agent_name: String,
    pub role: String,
    pub org_name: String,
    pub org_pk: String,
    pub deposited_at: u64,
    pub received_at: u64,
    pub content_sha256: String,
}

impl CertifiedDeposit {
    /// Parses the three parts (each verified on its own).
    pub fn decode(statement: &[u8], receipt: &[u8], mandate: &[u8]) -> Result<Self> {
        Ok(CertifiedDeposit {
            statement: DepositStatement::decode_verified(statement)?,
            receipt: DepositReceipt::decode_verified(receipt)?,
            mandate: Mandate::decode_verified(mandate)?,
        })
    }

    /// Verifies the whole chain: the holder signed the mandate for this agent with the deposit scope,
    /// the organisation certified the agent, the agent signed the statement within both windows, and
    /// the pinned server countersigned this very statement. `ciphertext`, when given, must match.
    pub fn verify(&self, server_pk: &[u8; 32], ciphertext: Option<&[u8]>) -> Result<DepositSummary> {
        let st = &self.statement;
        st.check_against(&self.mandate)?;
        if &self.receipt.server_pk != server_pk {
            return Err(MandateError::Mismatch("receipt from another server"));
        }
        if self.receipt.statement_hash != st.hash() {
            return Err(MandateError::Mismatch("receipt for another deposit"));
        }
        if let Some(ct) = ciphertext
            && sha256(ct) != st.ct_hash
        {
            return Err(MandateError::Mismatch("deposit bytes do not match the signed hash"));
        }
        Ok(DepositSummary {
            deposit_id: hex::encode(st.deposit_id),
            agent_name: st.cert.agent_name.clone(),
            role: st.cert.role.clone(),
            org_name: st.cert.org_name.clone(),
            org_pk: crate::codec::b64(&st.cert.org_pk),
            deposited_at: st.deposited_at,
            received_at: self.receipt.received_at,
            content_sha256: hex::encode(st.ct_hash),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::mandate::{MandateTerms, Scopes};
    use crate::org::OrgKey;

    struct Setup {
        mandate: Mandate,
        agent: SigningKey,
        agent_x: ExchangeSecret,
        holder_x: ExchangeSecret,
        server: SigningKey,
    }

    fn setup(scopes: &[Scope]) -> Setup {
        let org = OrgKey::generate("CCAS de Lille").unwrap();
        let agent = SigningKey::generate();
        let agent_x = ExchangeSecret::generate();
        let cert = org
            .certify(*agent.verifying_key().as_bytes(), *agent_x.public().as_bytes(), "Mme Roux", "CESF", 0, 10_000)
            .unwrap();
        let holder = SigningKey::generate();
        let holder_x = ExchangeSecret::generate();
        let terms = MandateTerms {
            scopes: Scopes::of(scopes),
            collections: vec!["income".into()],
            not_before: 100,
            not_after: 900,
        };
        let mandate = Mandate::sign(&holder, *holder_x.public().as_bytes(), [4; 16], cert, [5; 16], terms).unwrap();
        Setup { mandate, agent, agent_x, holder_x, server: SigningKey::generate() }
    }

    fn content() -> DepositContent {
        DepositContent {
            title: "Attestation CAF".into(),
            category: "attestation_caf".into(),
            file_name: "caf.pdf".into(),
            bytes: b"%PDF-1.4 attestation".to_vec(),
        }
    }

    #[test]
    fn deposit_verifies_offline_and_opens_for_the_holder_only() {
        let s = setup(&[Scope::Deposit]);
        let (st, sealed) = make_deposit(&s.mandate, &s.agent, &content(), [6; 16], 500).unwrap();
        let receipt = DepositReceipt::sign(&s.server, &st, 501);
        let cd = CertifiedDeposit::decode(&st.encode(), &receipt.encode(), &s.mandate.encode()).unwrap();
        let server_pk = *s.server.verifying_key().as_bytes();
        let sum = cd.verify(&server_pk, Some(&sealed)).unwrap();
        assert_eq!(
            (sum.agent_name.as_str(), sum.org_name.as_str(), sum.deposited_at),
            ("Mme Roux", "CCAS de Lille", 500)
        );
        assert_eq!(open_deposit(&s.holder_x, &st, &sealed).unwrap(), content());
        // The agent's own keys open nothing.
        assert!(open_deposit(&s.agent_x, &st, &sealed).is_err());
        // Another server's receipt, another ciphertext, a tampered statement: refused.
        let other = SigningKey::generate();
        assert!(cd.verify(other.verifying_key().as_bytes(), None).is_err());
        assert!(cd.verify(&server_pk, Some(b"other")).is_err());
        let mut bad = st.encode();
        bad[20] ^= 1;
        assert!(DepositStatement::decode_verified(&bad).is_err());
        let mut bad = receipt.encode();
        bad[3] ^= 1;
        assert!(DepositReceipt::decode_verified(&bad).is_err());
    }

    #[test]
    fn deposits_outside_the_mandate_are_refused() {
        let s = setup(&[Scope::Consult]);
        assert!(make_deposit(&s.mandate, &s.agent, &content(), [6; 16], 500).is_err());
        let s = setup(&[Scope::Deposit]);
        assert!(make_deposit(&s.mandate, &SigningKey::generate(), &content(), [6; 16], 500).is_err());
        let (st, _) = make_deposit(&s.mandate, &s.agent, &content(), [6; 16], 901).unwrap();
        assert_eq!(st.check_against(&s.mandate), Err(MandateError::Expired("mandate")));
        for n in 0..st.encode().len() {
            assert!(DepositStatement::decode_verified(&st.encode()[..n]).is_err());
        }
    }
}
