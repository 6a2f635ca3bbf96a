//! The agent's QR text as the holder's camera reads it (`COFFRE-AGENT:`, v2 with the commitment), the
//! desk's contribution / reveal messages, and the agent's enrolment request. Any input must give `Ok`
//! or a typed error, never a panic; a parsed offer re-encodes to the same text.
#![no_main]

use coffre_mandate::{MandateOffer, decode_desk_nonce, encode_desk_nonce, parse_enrolment_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(n) = decode_desk_nonce(data) {
        assert_eq!(encode_desk_nonce(&n), data);
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(offer) = MandateOffer::parse(text, 1_700_000_000) {
        assert_eq!(MandateOffer::parse(&offer.to_qr_text(), 1_700_000_000).ok(), Some(offer));
    }
    // The same bytes behind the prefix, to get past base64 quickly.
    let _ = MandateOffer::parse(&format!("COFFRE-AGENT:{}", coffre_mandate::b64(data)), 1_700_000_000);
    let _ = parse_enrolment_request(text);
});
