//! The assisted-recovery kit share as printed on the kit (docs/recovery.md §3): a second QR
//! holding `coffre-kit-share:1:<70 hex digits>` and the same hex digits in groups of five, to type
//! when the QR cannot be read. Hex, not words: the share is 35 bytes (no BIP39 length), and hex has
//! no letters that look alike in print once lower-cased (no `l`, `o`, `i`).

use zeroize::Zeroizing;

use crate::assisted::{AssistedError, Role, ShareVersion};

const PREFIX: &str = "coffre-kit-share:1:";
/// Length of a share: version, role, x, 32 bytes of y.
const SHARE_LEN: usize = 35;

/// What the kit share's QR holds.
pub fn qr_text(share: &[u8]) -> Zeroizing<String> {
    Zeroizing::new(format!("{PREFIX}{}", hex::encode(share)))
}

/// The share as hex digits in groups of five, for the printed page.
pub fn groups(share: &[u8]) -> Vec<String> {
    let hex = Zeroizing::new(hex::encode(share));
    hex.as_bytes().chunks(5).map(|c| String::from_utf8_lossy(c).into_owned()).collect()
}

/// A kit share from its QR text or its typed hex digits (spaces, dashes and case ignored). Kits
/// printed before share version 2 still parse: the prefix's `1` is this text's version, the share
/// carries its own.
pub fn parse(text: &str) -> Result<Zeroizing<Vec<u8>>, AssistedError> {
    let text = text.trim();
    let body = text.strip_prefix(PREFIX).unwrap_or(text);
    let digits: Zeroizing<String> =
        Zeroizing::new(body.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_lowercase());
    let bytes = Zeroizing::new(hex::decode(digits.as_bytes()).map_err(|_| AssistedError::Malformed)?);
    match bytes.as_slice() {
        [version, role, ..]
            if ShareVersion::from_byte(*version).is_some() && bytes.len() == SHARE_LEN && *role == Role::Kit as u8 =>
        {
            Ok(bytes)
        }
        _ => Err(AssistedError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assisted::SHARE_VERSION;

    #[test]
    fn printed_and_scanned_forms_give_the_share_back() {
        let mut share = vec![SHARE_VERSION, Role::Kit as u8];
        share.extend((0..33).map(|i| i as u8 * 7));
        assert_eq!(*parse(&qr_text(&share)).expect("qr"), share);
        let typed = groups(&share).join(" ").to_uppercase();
        assert_eq!(groups(&share).len(), 14);
        assert_eq!(*parse(&typed).expect("typed"), share);
        // A typo that breaks the hex, a provider share, a short share: refused.
        assert!(parse(&typed.replacen('0', "g", 1)).is_err());
        let mut provider = share.clone();
        provider[1] = Role::Provider as u8;
        assert!(parse(&qr_text(&provider)).is_err());
        assert!(parse(&qr_text(&share[..20])).is_err());
    }
}
