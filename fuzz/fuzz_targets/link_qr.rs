//! The device-linking QR text (`COFFRE-LINK:`, v2 with the commitment) as the enrolled phone's camera
//! reads it, and the contribution / reveal messages read from the mailboxes. Any input gives `Ok` or
//! a typed error; a parsed QR re-encodes to itself.
#![no_main]

use coffre_sync::{LinkQr, decode_nonce, encode_nonce};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(n) = decode_nonce(data) {
        assert_eq!(encode_nonce(&n), data);
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(qr) = LinkQr::parse(text) {
        assert_eq!(LinkQr::parse(&qr.encode()).ok(), Some(qr));
    }
    let _ = LinkQr::parse(&format!("COFFRE-LINK:{}", coffre_sync::protocol::b64(data)));
});
