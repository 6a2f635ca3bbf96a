//! An audit page as the server sends it: JSON entries, then chain and signature verification.
#![no_main]

use coffre_mandate::wire::AuditPage;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(page) = serde_json::from_slice::<AuditPage>(data) {
        let vault = [7u8; 32];
        let server = [9u8; 32];
        let _ =
            coffre_mandate::verify_chain(&page.entries, &vault, &server, (0, coffre_mandate::audit::genesis(&vault)));
    }
});
