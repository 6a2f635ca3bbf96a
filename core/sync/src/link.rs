//! Device linking by QR.
//!
//! 1. The new phone makes a [`LinkOffer`]: an ephemeral X25519 key, its new device Ed25519 key, a one-time
//!    secret and the server URL, shown as a QR ([`LinkQr::encode`]) and as a 6-digit [`short_code`].
//! 2. The enrolled phone scans it ([`LinkQr::parse`]), shows the same short code computed from the QR,
//!    and only once the person confirms both screens match, enrolls the new device key on the server and
//!    puts [`seal_grant`] (vault id, pinned server key and the opaque secret, e.g. the ARK) in the mailbox.
//! 3. The new phone polls the mailbox and opens the grant with [`LinkOffer::open`].
//!
//! A swapped QR gives different codes on the two screens; the grant is sealed to the new phone's
//! ephemeral key, bound to the whole QR (AAD), and the mailbox is reachable only with the one-time secret.

use coffre_crypto::{ExchangePublic, ExchangeSecret, Zeroizing, open_sealed, seal_to};
use coffre_sync_protocol::{Hash, PublicKey, b64, sha256, unb64};
use hkdf::Hkdf;
use rand_core::{OsRng, RngCore};
use sha2::Sha256;

use crate::error::{Result, SyncError};

const QR_PREFIX: &str = "COFFRE-LINK:";
const QR_VERSION: u8 = 1;
const GRANT_VERSION: u8 = 1;
const CODE_INFO: &[u8] = b"coffre-link-code-v1";
const AAD_LABEL: &[u8] = b"coffre-link-grant-v1";

/// What the new phone's QR carries.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkQr {
    pub server_url: String,
    pub x25519_pk: [u8; 32],
    pub device_pk: PublicKey,
    pub secret: [u8; 32],
}

impl std::fmt::Debug for LinkQr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkQr").field("server_url", &self.server_url).field("secret", &"[redacted]").finish()
    }
}

impl LinkQr {
    /// `COFFRE-LINK:` + base64url(version(1) || x25519(32) || device(32) || secret(32) || url).
    pub fn encode(&self) -> String {
        let mut b = Vec::with_capacity(97 + self.server_url.len());
        b.push(QR_VERSION);
        b.extend_from_slice(&self.x25519_pk);
        b.extend_from_slice(&self.device_pk);
        b.extend_from_slice(&self.secret);
        b.extend_from_slice(self.server_url.as_bytes());
        format!("{QR_PREFIX}{}", b64(&b))
    }

    pub fn parse(s: &str) -> Result<LinkQr> {
        let body = s.trim().strip_prefix(QR_PREFIX).ok_or(SyncError::Link("not a Coffre linking code"))?;
        let b = unb64(body, "qr").map_err(|_| SyncError::Link("unreadable linking code"))?;
        if b.first() != Some(&QR_VERSION) {
            return Err(SyncError::Link("linking code from another app version"));
        }
        if b.len() < 97 + 8 {
            return Err(SyncError::Link("linking code too short"));
        }
        let arr = |r: std::ops::Range<usize>| -> Result<[u8; 32]> {
            b[r].try_into().map_err(|_| SyncError::Link("linking code too short"))
        };
        let server_url =
            String::from_utf8(b[97..].to_vec()).map_err(|_| SyncError::Link("bad server address in linking code"))?;
        if !(server_url.starts_with("https://") || server_url.starts_with("http://")) {
            return Err(SyncError::Link("bad server address in linking code"));
        }
        Ok(LinkQr { x25519_pk: arr(1..33)?, device_pk: arr(33..65)?, secret: arr(65..97)?, server_url })
    }

    fn aad(&self) -> Vec<u8> {
        [AAD_LABEL, &self.x25519_pk, &self.device_pk, &sha256(&self.secret), self.server_url.as_bytes()].concat()
    }
}

/// The 6-digit code both phones show: HKDF-SHA256(ikm = secret, info = label || x25519 || device || url).
pub fn short_code(qr: &LinkQr) -> String {
    let hk = Hkdf::<Sha256>::new(None, &qr.secret);
    let mut out = [0u8; 8];
    let info = [CODE_INFO, &qr.x25519_pk, &qr.device_pk, qr.server_url.as_bytes()].concat();
    // 8 bytes is a valid HKDF output length; on the impossible error the code is all zeros and mismatches.
    let _ = hk.expand(&info, &mut out);
    format!("{:06}", u64::from_be_bytes(out) % 1_000_000)
}

/// What the enrolled phone hands over.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkGrant {
    pub vault: Hash,
    pub server_pk: PublicKey,
    /// Opaque to this crate (the ARK, possibly with more): zeroized on drop.
    pub secret: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for LinkGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkGrant").field("vault", &hex::encode(self.vault)).field("secret", &"[redacted]").finish()
    }
}

/// Seal a grant to the new phone of `qr` (enrolled side).
pub fn seal_grant(qr: &LinkQr, grant: &LinkGrant) -> Result<Vec<u8>> {
    let mut plain = Zeroizing::new(Vec::with_capacity(65 + grant.secret.len()));
    plain.push(GRANT_VERSION);
    plain.extend_from_slice(&grant.vault);
    plain.extend_from_slice(&grant.server_pk);
    plain.extend_from_slice(&grant.secret);
    seal_to(&ExchangePublic::from_bytes(qr.x25519_pk), &plain, &qr.aad())
        .map_err(|_| SyncError::Link("cannot seal to this key"))
}

/// The new phone's side of a linking.
pub struct LinkOffer {
    qr: LinkQr,
    exchange: ExchangeSecret,
}

impl LinkOffer {
    /// A fresh offer for the new device key `device_pk` on `server_url`.
    pub fn new(server_url: &str, device_pk: PublicKey) -> LinkOffer {
        let exchange = ExchangeSecret::generate();
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        let qr = LinkQr {
            server_url: server_url.trim_end_matches('/').to_string(),
            x25519_pk: *exchange.public().as_bytes(),
            device_pk,
            secret,
        };
        LinkOffer { qr, exchange }
    }

    pub fn qr(&self) -> &LinkQr {
        &self.qr
    }

    pub fn short_code(&self) -> String {
        short_code(&self.qr)
    }

    /// Open the sealed grant found in the mailbox.
    pub fn open(&self, sealed: &[u8]) -> Result<LinkGrant> {
        let plain = open_sealed(&self.exchange, sealed, &self.qr.aad())
            .map_err(|_| SyncError::Link("the grant does not open"))?;
        if plain.len() < 65 || plain[0] != GRANT_VERSION {
            return Err(SyncError::Link("malformed grant"));
        }
        let vault: Hash = plain[1..33].try_into().map_err(|_| SyncError::Link("malformed grant"))?;
        let server_pk: PublicKey = plain[33..65].try_into().map_err(|_| SyncError::Link("malformed grant"))?;
        Ok(LinkGrant { vault, server_pk, secret: Zeroizing::new(plain[65..].to_vec()) })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn qr_roundtrip_code_and_grant() {
        let offer = LinkOffer::new("https://coffre.example.org/", [7; 32]);
        let text = offer.qr().encode();
        let scanned = LinkQr::parse(&text).unwrap();
        assert_eq!(&scanned, offer.qr());
        assert_eq!(short_code(&scanned), offer.short_code());
        assert_eq!(offer.short_code().len(), 6);
        let grant = LinkGrant { vault: [1; 32], server_pk: [2; 32], secret: Zeroizing::new(vec![3; 32]) };
        let sealed = seal_grant(&scanned, &grant).unwrap();
        assert_eq!(offer.open(&sealed).unwrap(), grant);
        // Another offer cannot open it, and a different QR gives a different code.
        let other = LinkOffer::new("https://coffre.example.org", [7; 32]);
        assert!(other.open(&sealed).is_err());
        assert_ne!(other.short_code(), offer.short_code());
        assert!(!format!("{:?}", offer.qr()).contains(&hex::encode(offer.qr().secret)));
    }

    #[test]
    fn bad_qr_refused() {
        assert!(LinkQr::parse("hello").is_err());
        assert!(LinkQr::parse("COFFRE-LINK:AAAA").is_err());
        let offer = LinkOffer::new("ftp://x.example", [1; 32]);
        assert!(LinkQr::parse(&offer.qr().encode()).is_err());
    }
}
