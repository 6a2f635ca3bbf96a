//! The mandate a holder signs for an agent, and its scopes.
//!
//! ```text
//! Mandate v1 = 1 || id(16) || vault(32) || holder_pk(32) || holder_x25519(32) || cert(b16)
//!              || offer_nonce(16) || scopes(u8) || not_before(u64) || not_after(u64)
//!              || n(u8) || collection(s16) * n || sig(64)
//!     sig = Ed25519(holder identity key, "coffre-mandate-v1" || everything before sig)
//! ```
//! `vault` must be the vault id of `holder_pk` (`sha256("coffre-vault-v1" || holder_pk)`), so a mandate
//! names exactly one vault and only its holder can have signed it. `holder_x25519` is where deposits
//! are sealed. The certificate is embedded so the server and any verifier see which organisation
//! vouched for the agent at signing time.

use coffre_crypto::{SigningKey, sha256};

use crate::codec::{Reader, Writer, check_text};
use crate::error::{MandateError, Result};
use crate::org::{AgentCertificate, MAX_CERT_LEN, sign, verify};

const MANDATE_VERSION: u8 = 1;
const MANDATE_LABEL: &[u8] = b"coffre-mandate-v1";
const VAULT_LABEL: &[u8] = b"coffre-vault-v1";
/// At most this many collections per mandate.
pub const MAX_COLLECTIONS: usize = 16;
/// Longest collection name.
pub const MAX_COLLECTION_NAME: usize = 32;
/// Longest mandate: one year (and a day), in seconds.
pub const MAX_DURATION_SECS: u64 = 366 * 24 * 3600;
/// Longest encoded mandate.
pub const MAX_MANDATE_LEN: usize =
    1 + 16 + 32 * 3 + 2 + MAX_CERT_LEN + 16 + 1 + 16 + 1 + MAX_COLLECTIONS * (2 + MAX_COLLECTION_NAME) + 64;

/// What an agent may do under a mandate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Send documents into the vault (write-only, sealed to the holder).
    Deposit,
    /// See the documents of the mandated collections (in the agent's app).
    Consult,
    /// Download copies of them.
    Extract,
    /// Pass them on to a third party on the holder's behalf.
    Transmit,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Deposit, Scope::Consult, Scope::Extract, Scope::Transmit];

    pub fn bit(self) -> u8 {
        match self {
            Scope::Deposit => 1,
            Scope::Consult => 2,
            Scope::Extract => 4,
            Scope::Transmit => 8,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Scope::Deposit => "deposit",
            Scope::Consult => "consult",
            Scope::Extract => "extract",
            Scope::Transmit => "transmit",
        }
    }

    pub fn from_code(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|sc| sc.code() == s)
    }
}

/// A set of scopes (bit mask, see [`Scope::bit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes(pub u8);

impl Scopes {
    pub fn of(list: &[Scope]) -> Scopes {
        Scopes(list.iter().fold(0, |m, s| m | s.bit()))
    }
    pub fn contains(self, s: Scope) -> bool {
        self.0 & s.bit() != 0
    }
    pub fn list(self) -> Vec<Scope> {
        Scope::ALL.into_iter().filter(|s| self.contains(*s)).collect()
    }
    fn valid(self) -> bool {
        self.0 != 0 && self.0 & !0x0f == 0
    }
}

/// The vault id of a holder identity key (same rule as the sync protocol).
pub fn vault_of(holder_pk: &[u8; 32]) -> [u8; 32] {
    sha256(&[VAULT_LABEL, holder_pk].concat())
}

/// What the holder chose at the desk.
#[derive(Debug, Clone)]
pub struct MandateTerms {
    pub scopes: Scopes,
    pub collections: Vec<String>,
    pub not_before: u64,
    pub not_after: u64,
}

/// A holder-signed mandate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mandate {
    pub id: [u8; 16],
    pub vault: [u8; 32],
    pub holder_pk: [u8; 32],
    pub holder_x25519: [u8; 32],
    pub cert: AgentCertificate,
    pub offer_nonce: [u8; 16],
    pub scopes: Scopes,
    pub not_before: u64,
    pub not_after: u64,
    pub collections: Vec<String>,
    pub sig: [u8; 64],
}

impl Mandate {
    /// Signs a mandate with the holder identity key.
    pub fn sign(
        holder: &SigningKey,
        holder_x25519: [u8; 32],
        id: [u8; 16],
        cert: AgentCertificate,
        offer_nonce: [u8; 16],
        terms: MandateTerms,
    ) -> Result<Mandate> {
        let holder_pk = *holder.verifying_key().as_bytes();
        let mut m = Mandate {
            id,
            vault: vault_of(&holder_pk),
            holder_pk,
            holder_x25519,
            cert,
            offer_nonce,
            scopes: terms.scopes,
            not_before: terms.not_before,
            not_after: terms.not_after,
            collections: terms.collections,
            sig: [0; 64],
        };
        m.check_shape()?;
        m.sig = sign(holder, MANDATE_LABEL, &m.body());
        Ok(m)
    }

    fn check_shape(&self) -> Result<()> {
        if !self.scopes.valid() {
            return Err(MandateError::Malformed("mandate scopes"));
        }
        if self.not_after <= self.not_before || self.not_after - self.not_before > MAX_DURATION_SECS {
            return Err(MandateError::Malformed("mandate duration"));
        }
        if self.collections.len() > MAX_COLLECTIONS {
            return Err(MandateError::Oversized("mandate collections"));
        }
        for c in &self.collections {
            check_text(c, MAX_COLLECTION_NAME, "collection name")?;
        }
        Ok(())
    }

    fn body(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(MANDATE_VERSION)
            .raw(&self.id)
            .raw(&self.vault)
            .raw(&self.holder_pk)
            .raw(&self.holder_x25519)
            .bytes16(&self.cert.encode())
            .raw(&self.offer_nonce)
            .u8(self.scopes.0)
            .u64(self.not_before)
            .u64(self.not_after)
            .u8(u8::try_from(self.collections.len()).unwrap_or(u8::MAX));
        for c in &self.collections {
            w.bytes16(c.as_bytes());
        }
        w.into_inner()
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut b = self.body();
        b.extend_from_slice(&self.sig);
        b
    }

    /// Parses and verifies the holder's signature, the vault binding and the organisation's signature on
    /// the embedded certificate (not its dates: see [`Self::check_active`]).
    pub fn decode_verified(b: &[u8]) -> Result<Mandate> {
        if b.len() > MAX_MANDATE_LEN {
            return Err(MandateError::Oversized("mandate"));
        }
        let mut r = Reader::new(b, "mandate");
        r.version(MANDATE_VERSION)?;
        let id = r.arr()?;
        let vault = r.arr()?;
        let holder_pk = r.arr()?;
        let holder_x25519 = r.arr()?;
        let cert = AgentCertificate::decode(r.bytes16(MAX_CERT_LEN)?)?;
        let offer_nonce = r.arr()?;
        let scopes = Scopes(r.u8()?);
        let not_before = r.u64()?;
        let not_after = r.u64()?;
        let n = usize::from(r.u8()?);
        if n > MAX_COLLECTIONS {
            return Err(MandateError::Oversized("mandate collections"));
        }
        let mut collections = Vec::with_capacity(n);
        for _ in 0..n {
            collections.push(r.text(MAX_COLLECTION_NAME)?);
        }
        let sig = r.arr()?;
        r.end()?;
        let m = Mandate {
            id,
            vault,
            holder_pk,
            holder_x25519,
            cert,
            offer_nonce,
            scopes,
            not_before,
            not_after,
            collections,
            sig,
        };
        m.check_shape()?;
        if vault_of(&m.holder_pk) != m.vault {
            return Err(MandateError::Mismatch("mandate vault is not the holder's"));
        }
        verify(&m.holder_pk, MANDATE_LABEL, &m.body(), &m.sig, "mandate")?;
        m.cert.verify_signature()?;
        Ok(m)
    }

    /// Whether the mandate and its certificate are within their windows at `now`.
    pub fn check_active(&self, now: u64) -> Result<()> {
        if now < self.not_before {
            return Err(MandateError::NotYetValid("mandate"));
        }
        if now > self.not_after {
            return Err(MandateError::Expired("mandate"));
        }
        self.cert.check_time(now)
    }

    /// `sha256` of the encoding: what deposits and audit entries refer to.
    pub fn hash(&self) -> [u8; 32] {
        sha256(&self.encode())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::org::OrgKey;
    use coffre_crypto::ExchangeSecret;

    fn mandate() -> (Mandate, SigningKey) {
        let org = OrgKey::generate("CCAS").unwrap();
        let dev = SigningKey::generate();
        let cert = org.certify(*dev.verifying_key().as_bytes(), [9; 32], "M. Diallo", "Conseiller", 0, 10_000).unwrap();
        let holder = SigningKey::generate();
        let terms = MandateTerms {
            scopes: Scopes::of(&[Scope::Deposit, Scope::Consult]),
            collections: vec!["identity".into(), "income".into()],
            not_before: 100,
            not_after: 200,
        };
        let x = *ExchangeSecret::generate().public().as_bytes();
        (Mandate::sign(&holder, x, [1; 16], cert, [2; 16], terms).unwrap(), holder)
    }

    #[test]
    fn round_trip_scopes_and_windows() {
        let (m, _) = mandate();
        let back = Mandate::decode_verified(&m.encode()).unwrap();
        assert_eq!(back, m);
        assert!(back.scopes.contains(Scope::Deposit) && !back.scopes.contains(Scope::Extract));
        assert_eq!(back.scopes.list(), vec![Scope::Deposit, Scope::Consult]);
        back.check_active(150).unwrap();
        assert_eq!(back.check_active(99), Err(MandateError::NotYetValid("mandate")));
        assert_eq!(back.check_active(201), Err(MandateError::Expired("mandate")));
        assert_eq!(Scope::from_code("extract"), Some(Scope::Extract));
        assert_eq!(Scope::from_code("x"), None);
    }

    #[test]
    fn tampered_mandates_are_refused() {
        let (m, _) = mandate();
        let b = m.encode();
        for i in 0..b.len() {
            let mut bad = b.clone();
            bad[i] ^= 0x10;
            assert!(Mandate::decode_verified(&bad).is_err(), "byte {i}");
        }
        for n in 0..b.len() {
            assert!(Mandate::decode_verified(&b[..n]).is_err());
        }
        // Signed by someone other than the vault's holder.
        let (mut m2, _) = mandate();
        m2.vault = m.vault;
        assert!(Mandate::decode_verified(&m2.encode()).is_err());
    }

    #[test]
    fn bad_terms_are_refused_at_signing() {
        let (m, holder) = mandate();
        let t = |scopes, nb, na, cols: Vec<String>| MandateTerms {
            scopes,
            collections: cols,
            not_before: nb,
            not_after: na,
        };
        let sign = |terms| Mandate::sign(&holder, [3; 32], [0; 16], m.cert.clone(), [0; 16], terms);
        assert!(sign(t(Scopes(0), 1, 2, vec![])).is_err());
        assert!(sign(t(Scopes(0x10), 1, 2, vec![])).is_err());
        assert!(sign(t(Scopes(1), 2, 2, vec![])).is_err());
        assert!(sign(t(Scopes(1), 0, MAX_DURATION_SECS + 1, vec![])).is_err());
        assert!(sign(t(Scopes(1), 1, 2, vec!["x".repeat(33)])).is_err());
        assert!(sign(t(Scopes(1), 1, 2, vec!["a".into(); 17])).is_err());
    }
}
