//! The device-linking QR text (`COFFRE-LINK:`) as the enrolled phone's camera reads it.
#![no_main]

use coffre_sync::LinkQr;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(qr) = LinkQr::parse(text) {
        assert_eq!(LinkQr::parse(&qr.encode()).ok(), Some(qr));
    }
    let _ = LinkQr::parse(&format!("COFFRE-LINK:{}", coffre_sync::protocol::b64(data)));
});
