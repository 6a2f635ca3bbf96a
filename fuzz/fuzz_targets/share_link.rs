//! Share links as scanned from a QR code or typed, and the share wire parts the server and the
//! recipient read: upload frames, share ids, the JSON bodies.
#![no_main]

use coffre_sync::protocol::ShareId;
use coffre_sync::protocol::share::{ShareCreate, ShareList, ShareOpened, parse_share_link, split_frames};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(link) = parse_share_link(text) {
            // What parses prints back to a link that parses to the same thing.
            let again = parse_share_link(&link.to_url()).expect("round trip");
            assert!(again == link);
        }
        let _ = ShareId::parse(text);
    }
    if let Ok(frames) = split_frames(data) {
        assert!(frames.iter().map(|f| f.len() + 4).sum::<usize>() == data.len());
        if let Some(first) = frames.first() {
            let _ = serde_json::from_slice::<ShareCreate>(first);
        }
    }
    let _ = serde_json::from_slice::<ShareOpened>(data);
    let _ = serde_json::from_slice::<ShareList>(data);
});
