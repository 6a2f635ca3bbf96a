//! Key files for an organisation's admin and for an agent device: JSON, versioned, the secret wrapped
//! under a passphrase with the vault's own local-unlock construction (Argon2id + XChaCha20-Poly1305,
//! `coffre_crypto::wrap_ark_with_passphrase`). The 32-byte secret is a root from which the keys are
//! derived exactly as a holder's identity is (`derive_identity(0)`: Ed25519 then X25519), so one wrap
//! protects both keys.

use coffre_crypto::{AccountRootKey, ExchangeSecret, KdfParams, SigningKey};
use serde::{Deserialize, Serialize};

use crate::codec::{b64, unb64};
use crate::error::{MandateError, Result};
use crate::org::{AgentCertificate, OrgKey};

const FILE_VERSION: u32 = 1;
const ORG_KIND: &str = "coffre-org-admin";
const AGENT_KIND: &str = "coffre-agent";

/// The organisation admin's file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrgAdminFile {
    pub v: u32,
    pub kind: String,
    pub name: String,
    /// base64url Ed25519 public key.
    pub org_pk: String,
    /// base64url passphrase-wrapped root.
    pub wrapped: String,
}

impl OrgAdminFile {
    /// A new organisation: its key, and the file holding it under `passphrase`.
    pub fn create(name: &str, passphrase: &[u8]) -> Result<(Self, OrgKey)> {
        let root = AccountRootKey::generate();
        let key = OrgKey::from_signing_key(name, root.derive_identity(0).signing)?;
        let wrapped = coffre_crypto::wrap_ark_with_passphrase(&root, passphrase, None, &KdfParams::recommended())
            .map_err(|_| MandateError::KeyFile)?;
        let file = OrgAdminFile {
            v: FILE_VERSION,
            kind: ORG_KIND.into(),
            name: name.into(),
            org_pk: b64(&key.public()),
            wrapped: b64(&wrapped),
        };
        Ok((file, key))
    }

    pub fn parse(json: &[u8]) -> Result<Self> {
        let f: Self = serde_json::from_slice(json).map_err(|_| MandateError::Malformed("organisation key file"))?;
        if f.kind != ORG_KIND {
            return Err(MandateError::Malformed("organisation key file"));
        }
        if f.v != FILE_VERSION {
            return Err(MandateError::UnsupportedVersion {
                what: "organisation key file",
                version: u8::try_from(f.v).unwrap_or(u8::MAX),
            });
        }
        Ok(f)
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// Opens the key; [`MandateError::KeyFile`] on a wrong passphrase.
    pub fn open(&self, passphrase: &[u8]) -> Result<OrgKey> {
        let wrapped = unb64(&self.wrapped, 256, "organisation key file")?;
        let root =
            coffre_crypto::unwrap_ark_with_passphrase(&wrapped, passphrase, None).map_err(|_| MandateError::KeyFile)?;
        let key = OrgKey::from_signing_key(&self.name, root.derive_identity(0).signing)?;
        if b64(&key.public()) != self.org_pk {
            return Err(MandateError::Mismatch("organisation key file"));
        }
        Ok(key)
    }
}

/// An agent device's keys.
pub struct AgentKeys {
    pub signing: SigningKey,
    pub exchange: ExchangeSecret,
}

impl std::fmt::Debug for AgentKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AgentKeys([redacted])")
    }
}

impl AgentKeys {
    pub fn device_pk(&self) -> [u8; 32] {
        *self.signing.verifying_key().as_bytes()
    }
    pub fn x25519_pk(&self) -> [u8; 32] {
        *self.exchange.public().as_bytes()
    }
    fn from_root(root: &AccountRootKey) -> Self {
        let id = root.derive_identity(0);
        AgentKeys { signing: id.signing.clone(), exchange: id.exchange.clone() }
    }
}

/// An agent device's file: its wrapped keys and, once enrolled, its organisation certificate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentFile {
    pub v: u32,
    pub kind: String,
    pub device_pk: String,
    pub x25519_pk: String,
    pub wrapped: String,
    /// base64url [`AgentCertificate`], once the organisation enrolled this device.
    #[serde(default)]
    pub certificate: Option<String>,
}

impl AgentFile {
    pub fn create(passphrase: &[u8]) -> Result<(Self, AgentKeys)> {
        let root = AccountRootKey::generate();
        let keys = AgentKeys::from_root(&root);
        let wrapped = coffre_crypto::wrap_ark_with_passphrase(&root, passphrase, None, &KdfParams::recommended())
            .map_err(|_| MandateError::KeyFile)?;
        let file = AgentFile {
            v: FILE_VERSION,
            kind: AGENT_KIND.into(),
            device_pk: b64(&keys.device_pk()),
            x25519_pk: b64(&keys.x25519_pk()),
            wrapped: b64(&wrapped),
            certificate: None,
        };
        Ok((file, keys))
    }

    pub fn parse(json: &[u8]) -> Result<Self> {
        let f: Self = serde_json::from_slice(json).map_err(|_| MandateError::Malformed("agent key file"))?;
        if f.kind != AGENT_KIND {
            return Err(MandateError::Malformed("agent key file"));
        }
        if f.v != FILE_VERSION {
            return Err(MandateError::UnsupportedVersion {
                what: "agent key file",
                version: u8::try_from(f.v).unwrap_or(u8::MAX),
            });
        }
        Ok(f)
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    pub fn open(&self, passphrase: &[u8]) -> Result<AgentKeys> {
        let wrapped = unb64(&self.wrapped, 256, "agent key file")?;
        let root =
            coffre_crypto::unwrap_ark_with_passphrase(&wrapped, passphrase, None).map_err(|_| MandateError::KeyFile)?;
        let keys = AgentKeys::from_root(&root);
        if b64(&keys.device_pk()) != self.device_pk {
            return Err(MandateError::Mismatch("agent key file"));
        }
        Ok(keys)
    }

    /// The enrolment request the agent hands to the organisation admin:
    /// `COFFRE-AGENT-REQ:` + base64url(1 || device_pk || x25519_pk).
    pub fn enrolment_request(&self) -> Result<String> {
        let d = unb64(&self.device_pk, 32, "agent key file")?;
        let x = unb64(&self.x25519_pk, 32, "agent key file")?;
        Ok(format!("{REQ_PREFIX}{}", b64(&[&[1u8][..], &d, &x].concat())))
    }

    /// Installs the organisation's certificate after checking it certifies this device.
    pub fn install_certificate(&mut self, cert: &AgentCertificate) -> Result<()> {
        cert.verify_signature()?;
        if b64(&cert.device_pk) != self.device_pk || b64(&cert.x25519_pk) != self.x25519_pk {
            return Err(MandateError::Mismatch("certificate is for another agent device"));
        }
        self.certificate = Some(b64(&cert.encode()));
        Ok(())
    }

    pub fn certificate(&self) -> Result<Option<AgentCertificate>> {
        self.certificate
            .as_deref()
            .map(|c| AgentCertificate::decode(&unb64(c, crate::org::MAX_CERT_LEN, "agent certificate")?))
            .transpose()
    }
}

const REQ_PREFIX: &str = "COFFRE-AGENT-REQ:";

/// Parses an enrolment request: the agent device's Ed25519 and X25519 public keys.
pub fn parse_enrolment_request(s: &str) -> Result<([u8; 32], [u8; 32])> {
    let body = s.trim().strip_prefix(REQ_PREFIX).ok_or(MandateError::Malformed("enrolment request"))?;
    let b = unb64(body, 65, "enrolment request")?;
    let mut r = crate::codec::Reader::new(&b, "enrolment request");
    r.version(1)?;
    let (d, x) = (r.arr()?, r.arr()?);
    r.end()?;
    crate::org::verifying(&d, "agent device key")?;
    Ok((d, x))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn org_and_agent_files() {
        let (file, key) = OrgAdminFile::create("CCAS de Lyon", b"org pass").unwrap();
        let again = OrgAdminFile::parse(&file.to_json()).unwrap();
        assert_eq!(again.open(b"org pass").unwrap().public(), key.public());
        assert_eq!(again.open(b"wrong").unwrap_err(), MandateError::KeyFile);

        let (mut af, keys) = AgentFile::create(b"agent pass").unwrap();
        let (d, x) = parse_enrolment_request(&af.enrolment_request().unwrap()).unwrap();
        assert_eq!((d, x), (keys.device_pk(), keys.x25519_pk()));
        let cert = key.certify(d, x, "Mme Martin", "Assistante sociale", 1, 10).unwrap();
        af.install_certificate(&cert).unwrap();
        let af = AgentFile::parse(&af.to_json()).unwrap();
        assert_eq!(af.certificate().unwrap().unwrap(), cert);
        assert_eq!(af.open(b"agent pass").unwrap().device_pk(), d);
        // A certificate for someone else is refused.
        let (mut other, _) = AgentFile::create(b"x").unwrap();
        assert!(other.install_certificate(&cert).is_err());
        assert!(parse_enrolment_request("COFFRE-AGENT-REQ:AAAA").is_err());
        assert!(parse_enrolment_request("nope").is_err());
        assert!(OrgAdminFile::parse(b"{}").is_err());
    }
}
