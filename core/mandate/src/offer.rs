//! The agent's QR at the desk: what the holder scans to grant a mandate.
//!
//! ```text
//! text  = "COFFRE-AGENT:" || base64url(payload)            at most MAX_OFFER_TEXT characters
//! payload v1 = 1 || cert(b16) || nonce(16) || issued_at(u64) || server_url(s16) || sig(64)
//!     sig = Ed25519(agent device key, "coffre-mandate-offer-v1" || everything before sig)
//! ```
//! The signature by the certified device key shows the QR comes from the agent's own device (a photo
//! of a certificate alone is not enough), and the nonce binds the mandate the holder signs to this
//! one desk session. Both screens show [`MandateOffer::short_code`], computed over the whole payload: a
//! swapped QR gives different digits.

use coffre_crypto::{SigningKey, sha256};

use crate::codec::{Reader, Writer, b64, unb64};
use crate::error::{MandateError, Result};
use crate::org::{AgentCertificate, MAX_CERT_LEN, sign, verify};

const PREFIX: &str = "COFFRE-AGENT:";
const OFFER_VERSION: u8 = 1;
const OFFER_LABEL: &[u8] = b"coffre-mandate-offer-v1";
const CODE_LABEL: &[u8] = b"coffre-mandate-code-v1";
/// Longest server address in an offer.
pub const MAX_URL: usize = 200;
/// Longest QR text accepted (fits a version-25 QR code at level M).
pub const MAX_OFFER_TEXT: usize = 1200;

/// A decoded, signature-checked offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateOffer {
    pub cert: AgentCertificate,
    pub nonce: [u8; 16],
    pub issued_at: u64,
    pub server_url: String,
    pub sig: [u8; 64],
}

impl MandateOffer {
    /// Made on the agent's device.
    pub fn new(
        cert: AgentCertificate,
        device: &SigningKey,
        server_url: &str,
        nonce: [u8; 16],
        now: u64,
    ) -> Result<Self> {
        if device.verifying_key().as_bytes() != &cert.device_pk {
            return Err(MandateError::Mismatch("offer signer is not the certified device"));
        }
        let server_url = server_url.trim_end_matches('/').to_string();
        check_url(&server_url)?;
        let mut o = MandateOffer { cert, nonce, issued_at: now, server_url, sig: [0; 64] };
        o.sig = sign(device, OFFER_LABEL, &o.body());
        Ok(o)
    }

    fn body(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u8(OFFER_VERSION)
            .bytes16(&self.cert.encode())
            .raw(&self.nonce)
            .u64(self.issued_at)
            .bytes16(self.server_url.as_bytes());
        w.into_inner()
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut b = self.body();
        b.extend_from_slice(&self.sig);
        b
    }

    /// The text to render as a QR code.
    pub fn to_qr_text(&self) -> String {
        format!("{PREFIX}{}", b64(&self.encode()))
    }

    /// Parses a scanned QR and checks the device signature and the organisation's signature on the
    /// certificate at `now`. Whether the organisation is registered and the agent not revoked is
    /// checked by the server when the mandate is stored.
    pub fn parse(text: &str, now: u64) -> Result<Self> {
        let text = text.trim();
        if text.len() > MAX_OFFER_TEXT {
            return Err(MandateError::Oversized("agent QR code"));
        }
        let body = text.strip_prefix(PREFIX).ok_or(MandateError::Malformed("agent QR code"))?;
        let b = unb64(body, MAX_OFFER_TEXT, "agent QR code")?;
        let mut r = Reader::new(&b, "agent QR code");
        r.version(OFFER_VERSION)?;
        let cert = AgentCertificate::decode(r.bytes16(MAX_CERT_LEN)?)?;
        let o = MandateOffer {
            cert,
            nonce: r.arr()?,
            issued_at: r.u64()?,
            server_url: String::from_utf8(r.bytes16(MAX_URL)?.to_vec())
                .map_err(|_| MandateError::Malformed("server address"))?,
            sig: r.arr()?,
        };
        r.end()?;
        check_url(&o.server_url)?;
        verify(&o.cert.device_pk, OFFER_LABEL, &o.body(), &o.sig, "agent QR code")?;
        o.cert.verify(now)?;
        Ok(o)
    }

    /// The six digits both screens show.
    pub fn short_code(&self) -> String {
        let h = sha256(&[CODE_LABEL, &self.encode()].concat());
        let n = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) % 1_000_000;
        format!("{n:06}")
    }
}

fn check_url(url: &str) -> Result<()> {
    if url.len() > MAX_URL {
        return Err(MandateError::Oversized("server address"));
    }
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > 8
        && !url.chars().any(|c| c.is_control() || c.is_whitespace());
    if ok { Ok(()) } else { Err(MandateError::Malformed("server address")) }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::org::OrgKey;
    use coffre_crypto::ExchangeSecret;

    pub(crate) fn offer() -> (MandateOffer, SigningKey) {
        let org = OrgKey::generate("CCAS de Lyon").unwrap();
        let dev = SigningKey::generate();
        let x = ExchangeSecret::generate().public();
        let cert = org.certify(*dev.verifying_key().as_bytes(), *x.as_bytes(), "Mme Martin", "ASS", 0, 1000).unwrap();
        (MandateOffer::new(cert, &dev, "https://coffre.example.org/", [7; 16], 10).unwrap(), dev)
    }

    #[test]
    fn qr_round_trip_and_code() {
        let (o, _) = offer();
        let text = o.to_qr_text();
        assert!(text.len() < 600, "{}", text.len());
        let back = MandateOffer::parse(&text, 20).unwrap();
        assert_eq!(back, o);
        assert_eq!(back.server_url, "https://coffre.example.org");
        assert_eq!(back.short_code(), o.short_code());
        assert_eq!(o.short_code().len(), 6);
        let (other, _) = offer();
        assert_ne!(other.short_code(), o.short_code());
    }

    #[test]
    fn forged_offers_give_typed_errors() {
        let (o, _) = offer();
        let text = o.to_qr_text();
        let raw = o.encode();
        // truncated
        for n in [0, 1, 10, raw.len() / 2, raw.len() - 1] {
            let t = format!("{PREFIX}{}", b64(&raw[..n]));
            assert!(matches!(MandateOffer::parse(&t, 20), Err(MandateError::Truncated(_))), "{n}");
        }
        // wrong version
        let mut v = raw.clone();
        v[0] = 2;
        assert_eq!(
            MandateOffer::parse(&format!("{PREFIX}{}", b64(&v)), 20),
            Err(MandateError::UnsupportedVersion { what: "agent QR code", version: 2 })
        );
        // oversized
        let big = format!("{text}{}", "A".repeat(MAX_OFFER_TEXT));
        assert_eq!(MandateOffer::parse(&big, 20), Err(MandateError::Oversized("agent QR code")));
        // bad signature (last byte of the device signature)
        let mut s = raw.clone();
        let last = s.len() - 1;
        s[last] ^= 1;
        assert_eq!(
            MandateOffer::parse(&format!("{PREFIX}{}", b64(&s)), 20),
            Err(MandateError::BadSignature("agent QR code"))
        );
        // trailing bytes, bad prefix, bad base64
        let t = format!("{PREFIX}{}", b64(&[raw.as_slice(), &[0]].concat()));
        assert_eq!(MandateOffer::parse(&t, 20), Err(MandateError::Malformed("agent QR code")));
        assert!(MandateOffer::parse("COFFRE-LINK:abc", 20).is_err());
        assert!(MandateOffer::parse(&format!("{PREFIX}!!!"), 20).is_err());
        // signed by a device other than the certified one
        let (o2, _) = offer();
        let mut mixed = o.clone();
        mixed.sig = o2.sig;
        assert!(MandateOffer::parse(&mixed.to_qr_text(), 20).is_err());
        // certificate expired at scan time
        assert_eq!(MandateOffer::parse(&text, 5000), Err(MandateError::Expired("agent certificate")));
    }

    #[test]
    fn offer_must_be_signed_by_the_certified_device() {
        let (o, _) = offer();
        assert!(MandateOffer::new(o.cert.clone(), &SigningKey::generate(), "https://x.org", [0; 16], 1).is_err());
    }
}
