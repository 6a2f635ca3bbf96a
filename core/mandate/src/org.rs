//! Organisations and their agents.
//!
//! An organisation (a CCAS, an association) has an Ed25519 key. It **certifies** each agent device:
//! the agent's device Ed25519 key (signs requests, mandates' counterpart, deposits) and X25519 key
//! (receives collection keys), with the agent's name, role, the organisation's name and a validity
//! window. It **revokes** an agent device with a signed statement published to the server. It
//! **registers** its public key with a server so the server knows which certificates to honour.
//!
//! ```text
//! AgentCertificate v1 = 1 || org_pk(32) || device_pk(32) || x25519_pk(32) || valid_from(u64)
//!                       || valid_until(u64) || org_name(s16) || agent_name(s16) || role(s16) || sig(64)
//!     sig = Ed25519(org, "coffre-agent-cert-v1" || everything before sig)
//! OrgRegistration v1  = 1 || org_pk(32) || created_at(u64) || name(s16) || sig(64)
//!     sig = Ed25519(org, "coffre-org-v1" || everything before sig)
//! AgentRevocation v1  = 1 || org_pk(32) || device_pk(32) || revoked_at(u64) || sig(64)
//!     sig = Ed25519(org, "coffre-agent-revocation-v1" || everything before sig)
//! ```
//! `s16` is a u16 big-endian length then UTF-8 without control characters (at most [`MAX_NAME`]).

use coffre_crypto::{ExchangePublic, Signature, SigningKey, VerifyingKey};

use crate::codec::{Reader, Writer, check_text};
use crate::error::{MandateError, Result};

/// Longest organisation name, agent name or role, in bytes.
pub const MAX_NAME: usize = 120;
/// Longest encoded certificate.
pub const MAX_CERT_LEN: usize = 1 + 32 * 3 + 16 + 3 * (2 + MAX_NAME) + 64;

const CERT_VERSION: u8 = 1;
const ORG_VERSION: u8 = 1;
const REVOCATION_VERSION: u8 = 1;
const CERT_LABEL: &[u8] = b"coffre-agent-cert-v1";
const ORG_LABEL: &[u8] = b"coffre-org-v1";
const REVOCATION_LABEL: &[u8] = b"coffre-agent-revocation-v1";

pub(crate) fn verifying(pk: &[u8; 32], what: &'static str) -> Result<VerifyingKey> {
    VerifyingKey::from_bytes(pk).map_err(|_| MandateError::BadKey(what))
}

pub(crate) fn verify(pk: &[u8; 32], label: &[u8], body: &[u8], sig: &[u8; 64], what: &'static str) -> Result<()> {
    verifying(pk, what)?
        .verify(&[label, body].concat(), &Signature::from_bytes(sig))
        .map_err(|_| MandateError::BadSignature(what))
}

pub(crate) fn sign(key: &SigningKey, label: &[u8], body: &[u8]) -> [u8; 64] {
    key.sign(&[label, body].concat()).to_bytes()
}

/// An organisation's signing key, with its name.
pub struct OrgKey {
    pub name: String,
    key: SigningKey,
}

impl std::fmt::Debug for OrgKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OrgKey([redacted])")
    }
}

impl OrgKey {
    /// A new organisation key.
    pub fn generate(name: &str) -> Result<Self> {
        check_text(name, MAX_NAME, "organisation name")?;
        Ok(Self { name: name.to_string(), key: SigningKey::generate() })
    }

    /// From a stored key (see [`crate::keyfile`]).
    pub fn from_signing_key(name: &str, key: SigningKey) -> Result<Self> {
        check_text(name, MAX_NAME, "organisation name")?;
        Ok(Self { name: name.to_string(), key })
    }

    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    pub fn public(&self) -> [u8; 32] {
        *self.key.verifying_key().as_bytes()
    }

    /// The statement registering this organisation with a server.
    pub fn registration(&self, now: u64) -> OrgRegistration {
        let mut r = OrgRegistration { org_pk: self.public(), created_at: now, name: self.name.clone(), sig: [0; 64] };
        r.sig = sign(&self.key, ORG_LABEL, &r.body());
        r
    }

    /// Certifies an agent device for `valid_from..=valid_until` (unix seconds).
    pub fn certify(
        &self,
        device_pk: [u8; 32],
        x25519_pk: [u8; 32],
        agent_name: &str,
        role: &str,
        valid_from: u64,
        valid_until: u64,
    ) -> Result<AgentCertificate> {
        check_text(agent_name, MAX_NAME, "agent name")?;
        check_text(role, MAX_NAME, "agent role")?;
        verifying(&device_pk, "agent device key")?;
        if valid_until <= valid_from {
            return Err(MandateError::Malformed("certificate validity"));
        }
        let mut c = AgentCertificate {
            org_pk: self.public(),
            device_pk,
            x25519_pk,
            valid_from,
            valid_until,
            org_name: self.name.clone(),
            agent_name: agent_name.to_string(),
            role: role.to_string(),
            sig: [0; 64],
        };
        c.sig = sign(&self.key, CERT_LABEL, &c.body());
        Ok(c)
    }

    /// Revokes an agent device from `now` on.
    pub fn revoke(&self, device_pk: [u8; 32], now: u64) -> AgentRevocation {
        let mut r = AgentRevocation { org_pk: self.public(), device_pk, revoked_at: now, sig: [0; 64] };
        r.sig = sign(&self.key, REVOCATION_LABEL, &r.body());
        r
    }
}

/// An organisation's agent device, certified by the organisation's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCertificate {
    pub org_pk: [u8; 32],
    /// The agent device's Ed25519 key (signs requests, offers and deposits).
    pub device_pk: [u8; 32],
    /// The agent device's X25519 key (receives collection keys).
    pub x25519_pk: [u8; 32],
    pub valid_from: u64,
    pub valid_until: u64,
    pub org_name: String,
    pub agent_name: String,
    pub role: String,
    pub sig: [u8; 64],
}

impl AgentCertificate {
    fn body(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(CERT_VERSION)
            .raw(&self.org_pk)
            .raw(&self.device_pk)
            .raw(&self.x25519_pk)
            .u64(self.valid_from)
            .u64(self.valid_until)
            .bytes16(self.org_name.as_bytes())
            .bytes16(self.agent_name.as_bytes())
            .bytes16(self.role.as_bytes());
        w.into_inner()
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut b = self.body();
        b.extend_from_slice(&self.sig);
        b
    }

    /// Parses (does not verify: see [`Self::verify`]).
    pub fn decode(b: &[u8]) -> Result<Self> {
        if b.len() > MAX_CERT_LEN {
            return Err(MandateError::Oversized("agent certificate"));
        }
        let mut r = Reader::new(b, "agent certificate");
        r.version(CERT_VERSION)?;
        let c = AgentCertificate {
            org_pk: r.arr()?,
            device_pk: r.arr()?,
            x25519_pk: r.arr()?,
            valid_from: r.u64()?,
            valid_until: r.u64()?,
            org_name: r.text(MAX_NAME)?,
            agent_name: r.text(MAX_NAME)?,
            role: r.text(MAX_NAME)?,
            sig: r.arr()?,
        };
        r.end()?;
        Ok(c)
    }

    /// The organisation's signature and the validity window at `now`. Whether the organisation is one
    /// the caller trusts (registered on the server) and the agent is not revoked is the caller's check.
    pub fn verify(&self, now: u64) -> Result<()> {
        self.verify_signature()?;
        self.check_time(now)
    }

    /// Only the organisation's signature (offline verification of an old deposit).
    pub fn verify_signature(&self) -> Result<()> {
        verifying(&self.device_pk, "agent device key")?;
        verify(&self.org_pk, CERT_LABEL, &self.body(), &self.sig, "agent certificate")
    }

    pub fn check_time(&self, now: u64) -> Result<()> {
        if now < self.valid_from {
            return Err(MandateError::NotYetValid("agent certificate"));
        }
        if now > self.valid_until {
            return Err(MandateError::Expired("agent certificate"));
        }
        Ok(())
    }

    pub fn exchange_public(&self) -> ExchangePublic {
        ExchangePublic::from_bytes(self.x25519_pk)
    }
}

/// An organisation's self-signed registration (proof it holds the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRegistration {
    pub org_pk: [u8; 32],
    pub created_at: u64,
    pub name: String,
    pub sig: [u8; 64],
}

impl OrgRegistration {
    fn body(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(ORG_VERSION).raw(&self.org_pk).u64(self.created_at).bytes16(self.name.as_bytes());
        w.into_inner()
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut b = self.body();
        b.extend_from_slice(&self.sig);
        b
    }

    /// Parses and verifies the self-signature.
    pub fn decode_verified(b: &[u8]) -> Result<Self> {
        if b.len() > 1 + 32 + 8 + 2 + MAX_NAME + 64 {
            return Err(MandateError::Oversized("organisation registration"));
        }
        let mut r = Reader::new(b, "organisation registration");
        r.version(ORG_VERSION)?;
        let reg = OrgRegistration { org_pk: r.arr()?, created_at: r.u64()?, name: r.text(MAX_NAME)?, sig: r.arr()? };
        r.end()?;
        verify(&reg.org_pk, ORG_LABEL, &reg.body(), &reg.sig, "organisation registration")?;
        Ok(reg)
    }
}

/// An organisation's signed statement that an agent device is no longer certified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRevocation {
    pub org_pk: [u8; 32],
    pub device_pk: [u8; 32],
    pub revoked_at: u64,
    pub sig: [u8; 64],
}

impl AgentRevocation {
    fn body(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(REVOCATION_VERSION).raw(&self.org_pk).raw(&self.device_pk).u64(self.revoked_at);
        w.into_inner()
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut b = self.body();
        b.extend_from_slice(&self.sig);
        b
    }

    /// Parses and verifies the organisation's signature.
    pub fn decode_verified(b: &[u8]) -> Result<Self> {
        let mut r = Reader::new(b, "agent revocation");
        r.version(REVOCATION_VERSION)?;
        let rev = AgentRevocation { org_pk: r.arr()?, device_pk: r.arr()?, revoked_at: r.u64()?, sig: r.arr()? };
        r.end()?;
        verify(&rev.org_pk, REVOCATION_LABEL, &rev.body(), &rev.sig, "agent revocation")?;
        Ok(rev)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use coffre_crypto::ExchangeSecret;

    fn agent() -> ([u8; 32], [u8; 32]) {
        (*SigningKey::generate().verifying_key().as_bytes(), *ExchangeSecret::generate().public().as_bytes())
    }

    #[test]
    fn certificate_round_trip_and_checks() {
        let org = OrgKey::generate("CCAS de Lyon").unwrap();
        let (d, x) = agent();
        let c = org.certify(d, x, "Mme Martin", "Travailleuse sociale", 100, 200).unwrap();
        let b = c.encode();
        let back = AgentCertificate::decode(&b).unwrap();
        assert_eq!(back, c);
        back.verify(150).unwrap();
        assert_eq!(back.verify(99), Err(MandateError::NotYetValid("agent certificate")));
        assert_eq!(back.verify(201), Err(MandateError::Expired("agent certificate")));
        // Any flipped byte is refused (signature, or parse).
        for i in 0..b.len() {
            let mut bad = b.clone();
            bad[i] ^= 1;
            let r = AgentCertificate::decode(&bad).and_then(|c| c.verify(150));
            assert!(r.is_err(), "byte {i}");
        }
        // Another organisation's key with the same name does not verify.
        let forger = OrgKey::generate("CCAS de Lyon").unwrap();
        let mut forged = forger.certify(d, x, "Mme Martin", "Travailleuse sociale", 100, 200).unwrap();
        forged.org_pk = org.public();
        assert_eq!(forged.verify(150), Err(MandateError::BadSignature("agent certificate")));
        for n in 0..b.len() {
            assert!(AgentCertificate::decode(&b[..n]).is_err());
        }
        assert!(org.certify(d, x, "", "r", 1, 2).is_err());
        assert!(org.certify(d, x, "a\nb", "r", 1, 2).is_err());
        assert!(org.certify(d, x, "a", "r", 2, 2).is_err());
    }

    #[test]
    fn registration_and_revocation() {
        let org = OrgKey::generate("Secours Populaire").unwrap();
        let reg = org.registration(5);
        assert_eq!(OrgRegistration::decode_verified(&reg.encode()).unwrap(), reg);
        let mut bad = reg.encode();
        bad[40] ^= 1;
        assert!(OrgRegistration::decode_verified(&bad).is_err());
        let (d, _) = agent();
        let rev = org.revoke(d, 9);
        assert_eq!(AgentRevocation::decode_verified(&rev.encode()).unwrap(), rev);
        let mut bad = rev.encode();
        bad[70] ^= 1;
        assert_eq!(AgentRevocation::decode_verified(&bad), Err(MandateError::BadSignature("agent revocation")));
        assert!(AgentRevocation::decode_verified(&rev.encode()[..50]).is_err());
    }
}
