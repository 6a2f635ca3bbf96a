//! Every binary structure of `coffre-mandate`: agent certificate, organisation registration, agent
//! revocation, mandate, deposit statement, deposit receipt, deposit content. The first byte picks one.
#![no_main]

use coffre_mandate::{
    AgentCertificate, AgentRevocation, DepositContent, DepositReceipt, DepositStatement, Mandate, OrgRegistration,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    match which % 7 {
        0 => {
            if let Ok(c) = AgentCertificate::decode(rest) {
                assert_eq!(c.encode(), rest);
                let _ = c.verify(1_700_000_000);
            }
        }
        1 => drop(OrgRegistration::decode_verified(rest)),
        2 => drop(AgentRevocation::decode_verified(rest)),
        3 => {
            if let Ok(m) = Mandate::decode_verified(rest) {
                let _ = m.check_active(1_700_000_000);
            }
        }
        4 => drop(DepositStatement::decode_verified(rest)),
        5 => drop(DepositReceipt::decode_verified(rest)),
        _ => drop(DepositContent::decode(rest)),
    }
});
