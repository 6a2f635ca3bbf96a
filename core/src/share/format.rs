//! The share link format, version 1 (`docs/sharing.md`). Everything here is pure and total: any input
//! gives a value or a typed error, never a panic (fuzzed by the `share_link` target).
//!
//! - Link: `<server>/s/<id>#v1.<link key>`; id = 16 random bytes, link key = 32 random bytes, both
//!   base64url without padding. The fragment never leaves the browser.
//! - Keys: HKDF-SHA256(ikm = link key, no salt, info = `coffre/share/v1/manifest` or
//!   `coffre/share/v1/page/<n>`).
//! - Envelope: `0x01 || nonce(24) || XChaCha20-Poly1305(key, nonce, plaintext, aad)`,
//!   aad = `coffre/share/v1` `0x00` id(16) kind(1: 0 manifest, 1 page) index(be32).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::ShareError;

/// Version byte of the envelope and number in the link fragment.
pub const FORMAT_VERSION: u8 = 1;
const FRAGMENT_PREFIX: &str = coffre_sync::protocol::share::LINK_FRAGMENT_PREFIX;
const AAD_LABEL: &[u8] = b"coffre/share/v1";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
pub use coffre_sync::protocol::share::MAX_LINK_LEN;

/// What an envelope holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Manifest,
    Page(u32),
}

/// A parsed share link.
#[derive(Clone, PartialEq, Eq)]
pub struct ShareLink {
    /// Scheme, host and any path prefix, without the trailing slash.
    pub server: String,
    pub id: [u8; 16],
    pub key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for ShareLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("ShareLink").field("server", &self.server).field("id", &self.id_text()).finish()
    }
}

impl ShareLink {
    /// A fresh share on `server`: random id and link key.
    pub fn generate(server: &str) -> ShareLink {
        ShareLink {
            server: server.trim_end_matches('/').to_string(),
            id: coffre_crypto::random_bytes::<16>(),
            key: Zeroizing::new(coffre_crypto::random_bytes::<32>()),
        }
    }

    pub fn id_text(&self) -> String {
        coffre_sync::protocol::ShareId::from(self.id).to_string()
    }

    /// The link to show as text or QR code.
    pub fn to_url(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "{}/s/{}#{FRAGMENT_PREFIX}{}",
            self.server,
            self.id_text(),
            URL_SAFE_NO_PAD.encode(self.key.as_slice())
        ))
    }

    /// Parses a link, as scanned from a QR code or typed (the parser itself lives with the wire types,
    /// `coffre_sync_protocol::share::parse_share_link`, where it is fuzzed).
    pub fn parse(link: &str) -> Result<ShareLink, ShareError> {
        use coffre_sync::protocol::share::{LinkError, parse_share_link};
        let p = parse_share_link(link).map_err(|e| match e {
            LinkError::Version => ShareError::UnsupportedVersion,
            LinkError::TooLong => ShareError::BadLink("too long"),
            LinkError::NotWeb => ShareError::BadLink("not a web address"),
            LinkError::MissingKey => ShareError::BadLink("the key is missing"),
            LinkError::BadKey => ShareError::BadLink("bad key"),
            LinkError::NotShare => ShareError::BadLink("not a share address"),
            LinkError::BadServer => ShareError::BadLink("bad server address"),
            LinkError::BadId => ShareError::BadLink("bad share id"),
        })?;
        Ok(ShareLink { server: p.server.clone(), id: p.id.to_bytes(), key: p.key.clone() })
    }

    /// What the recipient shows the server so that an opening counts (a hash of the link key).
    pub fn open_proof(&self) -> [u8; 32] {
        coffre_sync::protocol::share::open_proof(&self.key)
    }

    /// What the server stores to check [`ShareLink::open_proof`] (base64url, for `ShareCreate`).
    pub fn open_check_text(&self) -> String {
        URL_SAFE_NO_PAD.encode(coffre_sync::protocol::share::open_check(&self.open_proof()))
    }

    fn part_key(&self, part: Part) -> Zeroizing<[u8; 32]> {
        let info = match part {
            Part::Manifest => "coffre/share/v1/manifest".to_string(),
            Part::Page(n) => format!("coffre/share/v1/page/{n}"),
        };
        let mut okm = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's 8160-byte limit: expand cannot fail.
        let _ = Hkdf::<Sha256>::new(None, self.key.as_slice()).expand(info.as_bytes(), okm.as_mut_slice());
        okm
    }

    fn aad(&self, part: Part) -> Vec<u8> {
        let (kind, index) = match part {
            Part::Manifest => (0u8, 0u32),
            Part::Page(n) => (1u8, n),
        };
        let mut aad = Vec::with_capacity(AAD_LABEL.len() + 22);
        aad.extend_from_slice(AAD_LABEL);
        aad.push(0);
        aad.extend_from_slice(&self.id);
        aad.push(kind);
        aad.extend_from_slice(&index.to_be_bytes());
        aad
    }

    /// Encrypts one part of this share.
    pub fn seal(&self, part: Part, plaintext: &[u8]) -> Vec<u8> {
        let key = self.part_key(part);
        let cipher = XChaCha20Poly1305::new(key.as_slice().into());
        let nonce = coffre_crypto::random_bytes::<NONCE_LEN>();
        let aad = self.aad(part);
        // Encryption only fails for plaintexts beyond 256 GiB, which the page size limits rule out.
        let ct = cipher.encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: &aad }).unwrap_or_default();
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(FORMAT_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Decrypts one part; any change to the bytes, the id, the part or the key fails.
    pub fn open(&self, part: Part, envelope: &[u8]) -> Result<Zeroizing<Vec<u8>>, ShareError> {
        let (&version, rest) = envelope.split_first().ok_or(ShareError::Truncated)?;
        if version != FORMAT_VERSION {
            return Err(ShareError::UnsupportedVersion);
        }
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(ShareError::Truncated);
        }
        let (nonce, ct) = rest.split_at(NONCE_LEN);
        let key = self.part_key(part);
        let cipher = XChaCha20Poly1305::new(key.as_slice().into());
        let aad = self.aad(part);
        cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map(Zeroizing::new)
            .map_err(|_| ShareError::Decrypt)
    }
}

/// The manifest the recipient sees (encrypted; the server never reads it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub v: u32,
    /// Why, or for whom, the holder shares (shown to the recipient; burned into ID watermarks).
    pub purpose: Option<String>,
    pub created_at: u64,
    pub expires_at: u64,
    pub max_opens: Option<u32>,
    /// The dossier shared, if a whole dossier was (its French name).
    pub dossier: Option<String>,
    pub documents: Vec<ManifestDocument>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestDocument {
    pub title: String,
    pub category: String,
    pub category_label: String,
    pub expires_on: Option<String>,
    /// True when the page copies carry a "COPIE" watermark (identity documents).
    pub watermarked: bool,
    pub pages: Vec<ManifestPage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestPage {
    /// Index of the page among all pages of the share (its key and URL).
    pub index: u32,
    pub mime: String,
    pub size: u64,
    /// SHA-256 (hex) of the page copy, checked by the viewer after decryption.
    pub sha256: String,
}

impl Manifest {
    pub fn page_count(&self) -> usize {
        self.documents.iter().map(|d| d.pages.len()).sum()
    }

    /// Parses a decrypted manifest; the page indexes must be exactly 0..n in order.
    pub fn from_json(bytes: &[u8]) -> Result<Manifest, ShareError> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(|_| ShareError::BadManifest)?;
        if m.v != u32::from(FORMAT_VERSION) {
            return Err(ShareError::UnsupportedVersion);
        }
        let indexes = m.documents.iter().flat_map(|d| d.pages.iter().map(|p| p.index));
        if !indexes.enumerate().all(|(n, i)| n as u64 == u64::from(i)) {
            return Err(ShareError::BadManifest);
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn link() -> ShareLink {
        ShareLink { server: "https://coffre.example.org".into(), id: [3; 16], key: Zeroizing::new([9; 32]) }
    }

    #[test]
    fn link_round_trips_and_hides_the_key_in_debug() {
        let l = link();
        let url = l.to_url();
        assert_eq!(
            url.as_str(),
            "https://coffre.example.org/s/AwMDAwMDAwMDAwMDAwMDAw#v1.CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk"
        );
        assert_eq!(ShareLink::parse(&url).unwrap(), l);
        assert!(!format!("{l:?}").contains("CQkJ"));
        let prefixed = ShareLink::parse(
            "http://127.0.0.1:9/base/s/AwMDAwMDAwMDAwMDAwMDAw#v1.CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk",
        )
        .unwrap();
        assert_eq!(prefixed.server, "http://127.0.0.1:9/base");
    }

    #[test]
    fn forged_and_truncated_links_are_typed_errors() {
        let url = link().to_url().to_string();
        for cut in 0..url.len() {
            let r = ShareLink::parse(&url[..cut]);
            assert!(r.is_err(), "prefix of {cut} chars parsed");
        }
        assert!(matches!(ShareLink::parse(&url.replace("#v1.", "#v2.")), Err(ShareError::UnsupportedVersion)));
        assert!(matches!(ShareLink::parse(&url.replace("#v1.", "#")), Err(ShareError::BadLink(_))));
        assert!(matches!(ShareLink::parse(&format!("{url}AA")), Err(ShareError::BadLink("bad key"))));
        assert!(matches!(ShareLink::parse(&url.replace("/s/", "/x/")), Err(ShareError::BadLink(_))));
        assert!(matches!(ShareLink::parse(&url.replace("https", "ftp")), Err(ShareError::BadLink(_))));
        assert!(matches!(ShareLink::parse(&"h".repeat(10_000)), Err(ShareError::BadLink("too long"))));
        assert!(ShareLink::parse("https://#v1.").is_err());
        assert!(ShareLink::parse("https:///s/#v1.").is_err());
    }

    #[test]
    fn envelopes_bind_key_id_part_and_version() {
        let l = link();
        let env = l.seal(Part::Page(2), b"page two");
        assert_eq!(l.open(Part::Page(2), &env).unwrap().as_slice(), b"page two");
        assert!(matches!(l.open(Part::Page(1), &env), Err(ShareError::Decrypt)));
        assert!(matches!(l.open(Part::Manifest, &env), Err(ShareError::Decrypt)));
        let mut other = link();
        other.id[0] ^= 1;
        assert!(matches!(other.open(Part::Page(2), &env), Err(ShareError::Decrypt)));
        let mut flipped = env.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(matches!(l.open(Part::Page(2), &flipped), Err(ShareError::Decrypt)));
        let mut v2 = env.clone();
        v2[0] = 2;
        assert!(matches!(l.open(Part::Page(2), &v2), Err(ShareError::UnsupportedVersion)));
        for cut in 0..(1 + NONCE_LEN + TAG_LEN) {
            assert!(l.open(Part::Page(2), &env[..cut]).is_err());
        }
    }

    /// Known answer shared with the viewer's JavaScript test (`sync-server/viewer/test/kat.mjs`):
    /// the same link key and id must give the same part keys.
    #[test]
    fn part_keys_known_answer() {
        let l = link();
        assert_eq!(hex::encode(l.part_key(Part::Manifest).as_slice()), KAT_MANIFEST_KEY,);
        assert_eq!(hex::encode(l.part_key(Part::Page(7)).as_slice()), KAT_PAGE7_KEY);
        assert_eq!(
            hex::encode(l.aad(Part::Page(7))),
            "636f666672652f73686172652f763100030303030303030303030303030303030100000007"
        );
    }

    const KAT_MANIFEST_KEY: &str = "1b2f146186616953f02fce97f17e0a7e0671236a3477726e265928f125ccb7a2";
    const KAT_PAGE7_KEY: &str = "bc947f27a2f240c74c82a7abca713df46f1d2b03544d835097459bb1a52b3e0c";

    #[test]
    fn manifest_page_indexes_must_be_in_order() {
        let page = |index| ManifestPage { index, mime: "image/jpeg".into(), size: 1, sha256: String::new() };
        let mut m = Manifest {
            v: 1,
            purpose: None,
            created_at: 0,
            expires_at: 1,
            max_opens: None,
            dossier: None,
            documents: vec![ManifestDocument {
                title: "t".into(),
                category: "autre".into(),
                category_label: "Autre".into(),
                expires_on: None,
                watermarked: false,
                pages: vec![page(0), page(1)],
            }],
        };
        assert_eq!(Manifest::from_json(&serde_json::to_vec(&m).unwrap()).unwrap(), m);
        m.documents[0].pages[1].index = 5;
        assert!(matches!(Manifest::from_json(&serde_json::to_vec(&m).unwrap()), Err(ShareError::BadManifest)));
        assert!(matches!(Manifest::from_json(b"{"), Err(ShareError::BadManifest)));
    }
}
