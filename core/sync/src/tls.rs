//! Which HTTPS servers the clients trust: Mozilla's root list compiled in (`webpki-roots`), plus the
//! operator's own certificate authority when the app or the CLI gives one ([`trust_operator_ca`]).
//! The same rule on every platform, Android included: no platform verifier to initialise through JNI,
//! and no certificate a person (or stalkerware) installed on the phone is trusted behind our back.
//! Why: docs/adr/0013-client-tls-trust.md.

use std::sync::{Arc, RwLock};

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

/// The operator CAs trusted by every client built after [`trust_operator_ca`], in this process.
static OPERATOR_CAS: RwLock<Vec<CertificateDer<'static>>> = RwLock::new(Vec::new());

/// Why an operator CA was not accepted. Names no certificate content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    #[error("no PEM certificate (-----BEGIN CERTIFICATE-----) in the CA file")]
    NoCertificate,
    #[error("the CA file is not valid PEM")]
    NotPem,
    #[error("a certificate in the CA file cannot be used as a trust anchor")]
    NotAnAuthority,
    #[error("cannot read the CA file: {0}")]
    Read(String),
}

/// Trusts the certificate authorities in `pem` (one or more PEM certificates), in addition to the
/// public roots and to the CAs given before, for every client built from now on in this process
/// (a phone may know two operators). Returns how many certificates were read.
pub fn trust_operator_ca(pem: &[u8]) -> Result<usize, TrustError> {
    let certs = CertificateDer::pem_slice_iter(pem).collect::<Result<Vec<_>, _>>().map_err(|_| TrustError::NotPem)?;
    if certs.is_empty() {
        return Err(TrustError::NoCertificate);
    }
    let mut check = RootCertStore::empty();
    for c in &certs {
        check.add(c.clone()).map_err(|_| TrustError::NotAnAuthority)?;
    }
    let n = certs.len();
    if let Ok(mut cas) = OPERATOR_CAS.write() {
        for c in certs {
            if !cas.contains(&c) {
                cas.push(c);
            }
        }
    }
    Ok(n)
}

/// [`trust_operator_ca`] on a file's content.
pub fn trust_operator_ca_file(path: &std::path::Path) -> Result<usize, TrustError> {
    let pem = std::fs::read(path).map_err(|e| TrustError::Read(e.kind().to_string()))?;
    trust_operator_ca(&pem)
}

/// The TLS settings of a new HTTP client: the public roots and the operator CAs, ring, TLS 1.2+.
pub(crate) fn client_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Ok(cas) = OPERATOR_CAS.read() {
        // Checked in `trust_operator_ca`.
        let _ = roots.add_parsable_certificates(cas.iter().cloned());
    }
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// A `reqwest` client builder with [`client_config`]; the crate's clients all start from it.
pub fn http_client_builder() -> crate::Result<reqwest::ClientBuilder> {
    crate::init_tls();
    let tls = client_config().map_err(|e| crate::SyncError::Protocol(format!("TLS set-up: {e}")))?;
    Ok(reqwest::Client::builder().tls_backend_preconfigured(tls))
}

/// Whether `e` (a failed request) is the server's certificate not being trusted: expired, for another
/// name, or signed by an authority this client does not know.
pub(crate) fn is_untrusted_certificate(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(rustls::Error::InvalidCertificate(_)) = err.downcast_ref::<rustls::Error>() {
            return true;
        }
        // An `io::Error` wrapping the rustls error skips it in `source()`: look inside.
        cur = match err.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    false
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn refuses_what_is_not_a_ca_file() {
        assert_eq!(trust_operator_ca(b""), Err(TrustError::NoCertificate));
        assert_eq!(trust_operator_ca(b"hello"), Err(TrustError::NoCertificate));
        let broken = b"-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n";
        assert_eq!(trust_operator_ca(broken), Err(TrustError::NotPem));
        let junk = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert_eq!(trust_operator_ca(junk), Err(TrustError::NotAnAuthority));
        assert!(matches!(
            trust_operator_ca_file(std::path::Path::new("/nonexistent/ca.pem")),
            Err(TrustError::Read(_))
        ));
    }
}
