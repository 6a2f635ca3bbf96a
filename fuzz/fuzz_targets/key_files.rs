//! The organisation admin's and the agent's key files, and certificate text, as read from disk.
#![no_main]

use coffre_mandate::{AgentFile, OrgAdminFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = OrgAdminFile::parse(data);
    if let Ok(f) = AgentFile::parse(data) {
        let _ = f.certificate();
        let _ = f.enrolment_request();
    }
});
